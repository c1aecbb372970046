"""Whisper features through the commands: extract (fused with default) -> train -> label, and the one-line errors.

Uses the tiny random Whisper model of tests/whisper_tiny.py (no real weights).
"""
from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import audio_io
import features_store
from emovox.errors import UsageError
from featuresets import make_extractor, resolve_feature_set
from labelling.model_cache import encoder_path_for
from labelling.model_dir import SHIPPED_MODELS_DIR
from tests.conftest import EXAMPLES, run_module
from tests.whisper_tiny import build_tiny_whisper

pytest.importorskip("ctranslate2")
SR = 16000


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("whisper-flows")
    encoder = build_tiny_whisper(root / "tiny-whisper", n_layers=3)
    corpus = root / "corpus"
    rng = np.random.default_rng(0)
    for i, label in enumerate(["angry", "sad", "angry", "sad"]):
        t = np.arange(int((0.8 + 0.5 * i) * SR)) / SR
        signal = 0.3 * np.sin(2 * np.pi * (140 + 60 * i) * t) * (1 + np.sin(2 * np.pi * 4 * t)) + 0.01 * rng.standard_normal(t.size)
        (corpus / label).mkdir(parents=True, exist_ok=True)
        sf.write(corpus / label / f"take{i}.wav", signal.astype(np.float32), SR)
    return root, encoder, corpus


def _one_line_error(result):
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_missing_encoder_path_is_one_line(workdir, tmp_path):
    root, _, corpus = workdir
    line = _one_line_error(run_module("flows.extract", str(corpus), "--store", str(tmp_path / "s.zarr"),
                                      "--feature-set", "default+whisper"))
    assert "--encoder-path" in line
    line = _one_line_error(run_module("flows.extract", str(corpus), "--store", str(tmp_path / "s.zarr"),
                                      "--feature-set", "whisper", "--encoder-path", str(root / "absent")))
    assert "absent" in line and "no such folder" in line


@pytest.mark.slow
def test_extract_train_label_with_default_plus_whisper(workdir):
    root, encoder, corpus = workdir
    store = root / "fused.zarr"
    result = run_module("flows.extract", str(corpus), "--store", str(store), "--feature-set", "default+whisper",
                        "--encoder-path", str(encoder), "--encoder-layer", "2", "--compute-type", "float32",
                        "--workers", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "4 ok, 0 failed" in result.stdout.strip().splitlines()[-1]

    opened = features_store.open(store)
    config = resolve_feature_set("default+whisper", encoder_path=str(encoder), encoder_layer=2, compute_type="float32")
    assert opened.feature_hash == config.feature_hash
    names = list(opened.feature_names)
    n_whisper = sum(name.startswith("whisper_") for name in names)
    assert n_whisper == 128 and names[-1] == "whisper_e063_std" and "rms_mean" in names
    X = opened.read_features()
    assert X.shape == (4, len(names)) and np.isfinite(X).all()
    # the store's whisper columns are the extractor's (batched in the worker, one by one here)
    whisper_only = make_extractor(dataclasses.replace(config, families=("whisper",)), intra_threads=1).whisper
    by_id = dict(zip(opened.meta["path"], X))
    for path, row in by_id.items():
        np.testing.assert_allclose(row[-n_whisper:], whisper_only.embed([audio_io.load(path)])[0], atol=1e-4)

    model = root / "model"
    result = run_module("flows.train", "--store", str(store), "--model", "lda", "--out", str(model))
    assert result.returncode == 0, result.stderr[-3000:]

    # label with the same weights in another folder (the recorded one is gone)
    moved = shutil.move(str(encoder), str(root / "elsewhere"))
    archive = root / "archive"
    archive.mkdir()
    for flac in sorted((EXAMPLES / "ravdess").rglob("*.flac"))[:2]:
        shutil.copy(flac, archive / flac.name)
    out = root / "labels"
    result = run_module("flows.label", str(archive), "--model", str(model), "--out", str(out), "--workers", "1")
    assert "needs the Whisper encoder" in _one_line_error(result)
    result = run_module("flows.label", str(archive), "--model", str(model), "--out", str(out), "--workers", "1",
                        "--encoder-path", str(moved))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 ok, 0 failed" in result.stdout.strip().splitlines()[-1]
    segments = pd.read_parquet(out / "segments.parquet")
    assert len(segments) >= 2 and set(segments.label) <= {"angry", "sad"}


def test_labelling_with_other_weights_is_refused(workdir):
    root, encoder, _ = workdir
    config = resolve_feature_set("whisper", encoder_path=str(encoder) if encoder.exists() else str(root / "elsewhere"))
    other = build_tiny_whisper(root / "other-weights", n_layers=3, seed=9)
    with pytest.raises(UsageError, match="use the same weights"):
        make_extractor(config.__class__.from_dict({**config.to_dict(), "family_params": {
            **config.to_dict()["family_params"],
            "whisper": {**config.to_dict()["family_params"]["whisper"], "encoder_path": str(other)}}}))


def test_missing_weights_say_how_to_get_them(workdir, tmp_path, monkeypatch):
    root, encoder, _ = workdir
    config = resolve_feature_set("whisper", encoder_path=str(encoder) if encoder.exists() else str(root / "elsewhere"))
    params = dict(config.to_dict()["family_params"]["whisper"], encoder_path=str(tmp_path / "whisper-base"))
    gone = config.__class__.from_dict({**config.to_dict(), "family_params": {"whisper": params}})
    monkeypatch.setenv("EMOVOX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EMOVOX_WHISPER_PATH", raising=False)
    with pytest.raises(UsageError, match="needs the Whisper encoder .*ct2-transformers-converter.*--encoder-path"):
        encoder_path_for("some-model", gone, None)
    monkeypatch.setenv("EMOVOX_WHISPER_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(UsageError, match="EMOVOX_WHISPER_PATH=.*no CTranslate2 model"):
        encoder_path_for("some-model", gone, None)


@pytest.mark.skipif(not (SHIPPED_MODELS_DIR / "default-whisper" / "config.json").is_file(),
                    reason="the shipped default-whisper head is not built")
def test_shipped_whisper_head_without_weights_is_one_line(tmp_path):
    result = run_module("flows.label", str(EXAMPLES / "ravdess"), "--model", "default-whisper", "--out",
                        str(tmp_path / "out"), "--encoder-path", str(tmp_path / "no-weights"))
    assert "no such folder" in _one_line_error(result)
