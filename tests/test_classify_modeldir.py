"""Model directory: identical probabilities after save/load for every kind, checksums, feature-hash refusal, no pickle."""
from __future__ import annotations

import json

import numpy as np
import pytest

import classify
import features_store
from classify.errors import FeatureMismatchError, ModelError, ModelIntegrityError
from classify.pipeline import EmotionModel, ModelSpec
from classify.estimators import MODEL_KINDS
from tests.test_classify_estimators import FAST
from tests.test_classify_stores import FEATURE_NAMES, make_store, synthetic_features

FEATURE_INFO = {"name": "synthetic", "hash": "synth-h1", "config": {"kind": "synthetic"}}


def fitted(spec: ModelSpec):
    utts, X = synthetic_features(n_speakers=4, per_class=6)
    y = np.array([u.label for u in utts], dtype=object)
    groups = np.array([f"synth:{u.speaker}" for u in utts], dtype=object)
    return EmotionModel(spec).fit(X, y, groups, FEATURE_NAMES), X, groups


def save(model, path):
    return classify.save_model(model, path, feature_info=FEATURE_INFO, feature_names=FEATURE_NAMES,
                               training={"store": "synthetic", "n_utterances": 96, "n_speakers": 4, "corpora": ["emodb"]})


@pytest.mark.parametrize("kind", [*MODEL_KINDS, "svm+xgboost", "svm-linear+knn"])
def test_round_trip_gives_identical_probabilities(kind, tmp_path):
    params = FAST.get(kind, {"member_params": FAST})
    if kind == "svm-linear+knn":
        params = {**params, "weights": "inner-cv", "weight_step": 0.5}
    spec = ModelSpec(kind=kind, params=params, normalise="speaker",
                     select_features=10 if kind in ("svm", "lda") else None, calibrate=kind == "lda", seed=5)
    model, X, groups = fitted(spec)
    save(model, tmp_path / "m")
    loaded = classify.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X, groups), model.predict_proba(X, groups))
    assert loaded.labels_ == model.labels_ == ["neutral", "happy", "sad", "angry"]
    assert loaded.feature_hash == "synth-h1" and loaded.feature_names == FEATURE_NAMES
    assert loaded.predict_proba(X[:3], groups[:3]).shape == (3, 4)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["model"]["kind"] == kind and config["normalisation"]["transductive"] is True
    for name in config["files"]:  # native formats only: every .npz opens without pickle
        assert name.endswith((".npz", ".ubj"))
        if name.endswith(".npz"):
            np.load(tmp_path / "m" / name, allow_pickle=False).files
    assert "RAVDESS" not in (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "EMO-DB" in (tmp_path / "m" / "MODEL_CARD.md").read_text()


def test_tampered_or_missing_files_are_refused(tmp_path):
    model, X, groups = fitted(ModelSpec(kind="xgboost", params=FAST["xgboost"]))
    save(model, tmp_path / "m")
    ubj = tmp_path / "m" / "xgboost.ubj"
    data = bytearray(ubj.read_bytes())
    data[len(data) // 2] ^= 0x01
    ubj.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"tampered or corrupted: .*xgboost\.ubj"):
        classify.load_model(tmp_path / "m")
    ubj.unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        classify.load_model(tmp_path / "m")

    save(model, tmp_path / "m2")
    (tmp_path / "m2" / "normaliser.npz").write_bytes(b"not the numbers")
    with pytest.raises(ModelIntegrityError, match="tampered or corrupted: .*normaliser.npz"):
        classify.load_model(tmp_path / "m2")
    with pytest.raises(ModelError, match="no config.json"):
        classify.load_model(tmp_path)


def test_feature_hash_mismatch_is_refused(tmp_path):
    model, X, groups = fitted(ModelSpec(kind="lda"))
    save(model, tmp_path / "m")
    loaded = classify.load_model(tmp_path / "m")
    same = features_store.open(make_store(tmp_path / "same.zarr", feature_hash="synth-h1", n_speakers=1, per_class=1))
    loaded.check_store(same)
    other = features_store.open(make_store(tmp_path / "other.zarr", feature_hash="other-h2", n_speakers=1, per_class=1))
    with pytest.raises(FeatureMismatchError, match="other-h2 differs from the model's synth-h1"):
        loaded.check_store(other)


def test_save_replaces_a_model_directory_but_not_other_folders(tmp_path):
    model, X, groups = fitted(ModelSpec(kind="lda"))
    save(model, tmp_path / "m")
    save(model, tmp_path / "m")  # replacing a model directory is fine
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    with pytest.raises(ModelError, match="not an emovox model directory"):
        save(model, tmp_path / "notes")
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"
