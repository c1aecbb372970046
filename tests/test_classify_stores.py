"""Synthetic feature stores for the classify tests, and reading labelled rows from a store.

``make_store`` writes a real emovox store (prepare_store / plan_pending_chunks / write_chunk) with
separable synthetic features: class means apart, plus a per-speaker offset that per-speaker
normalisation removes. Other test modules import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from classify.data import load_labelled, order_labels, speaker_groups
from classify.errors import DataError, UsageError
from features_store import ChunkResult, plan_pending_chunks, prepare_store, write_chunk

FEATURE_NAMES = [f"mfcc_{i:02d}_mean" for i in range(8)] + ["rms_mean", "rms_std", "zcr_mean", "zcr_std"]
LABELS = ("neutral", "happy", "sad", "angry")


@dataclass(frozen=True)
class Utt:
    id: str
    path: str
    corpus: str
    speaker: str
    gender: str
    label: str
    label_code: str


def synthetic_features(n_speakers=6, per_class=6, labels=LABELS, *, corpus="synth", seed=0, separation=3.0,
                       speaker_offset=2.0, n_features=len(FEATURE_NAMES)):
    """(utterances, features): class means ``separation`` apart, a random offset per speaker."""
    rng = np.random.default_rng(seed)
    class_means = rng.normal(size=(len(labels), n_features)) * separation
    utts, rows = [], []
    for s in range(1, n_speakers + 1):
        offset = rng.normal(size=n_features) * speaker_offset
        for c, label in enumerate(labels):
            for r in range(per_class):
                uid = f"spk{s:02d}/{label}_{r}.wav"
                utts.append(Utt(uid, f"/synthetic/{uid}", corpus, f"{s:02d}", "", label, label[:1].upper()))
                rows.append(class_means[c] + offset + rng.normal(size=n_features))
    return utts, np.array(rows, dtype=np.float32)


def make_store(path: Path, *, feature_hash="synth-h1", broken=(), unlabelled=(), rows_per_chunk=16, **kwargs) -> Path:
    """Write a synthetic store; row indices in ``broken`` get status error, in ``unlabelled`` an empty label."""
    utts, X = synthetic_features(**kwargs)
    utts = [Utt(u.id, u.path, u.corpus, u.speaker, u.gender, "" if i in unlabelled else u.label,
                "" if i in unlabelled else u.label_code) for i, u in enumerate(utts)]
    store = prepare_store(path, feature_set="synthetic", feature_config={"kind": "synthetic"}, feature_hash=feature_hash,
                          feature_names=FEATURE_NAMES[: X.shape[1]], rows_per_chunk=rows_per_chunk)
    jobs, _ = plan_pending_chunks(store, utts, source={"root": "/synthetic", "format": "manifest"})
    row_of = {u.id: i for i, u in enumerate(utts)}
    for job in jobs:
        feats = np.stack([X[row_of[utts[r].id]] for r in job.rows])  # plan keeps the given order
        errors = tuple("broken" if r in broken else "" for r in job.rows)
        feats[[bool(e) for e in errors]] = np.nan
        write_chunk(path, ChunkResult(job.chunk_index, job.rows, feats, np.ones(len(job.rows), np.float32), errors))
    return Path(path)


def test_load_labelled_uses_ok_labelled_rows_only(tmp_path):
    path = make_store(tmp_path / "s.zarr", broken={3, 40}, unlabelled={5}, n_speakers=3, per_class=5)
    data = load_labelled(str(path))
    utts, X = synthetic_features(n_speakers=3, per_class=5)
    keep = [i for i in range(len(utts)) if i not in {3, 40, 5}]
    assert list(data.rows) == keep
    np.testing.assert_array_equal(data.X, X[keep])
    assert set(data.groups) == {"synth:01", "synth:02", "synth:03"}
    assert data.labels == ["neutral", "happy", "sad", "angry"]
    assert data.feature_hash == "synth-h1" and data.feature_names == FEATURE_NAMES


def test_label_subset_and_errors(tmp_path):
    path = make_store(tmp_path / "s.zarr", n_speakers=2, per_class=3)
    assert set(load_labelled(str(path), ["sad", "angry"]).y) == {"sad", "angry"}
    with pytest.raises(UsageError, match="surprised"):
        load_labelled(str(path), ["sad", "surprised"])
    empty = make_store(tmp_path / "e.zarr", n_speakers=1, per_class=1, unlabelled={0, 1, 2, 3})
    with pytest.raises(DataError, match="no labelled rows"):
        load_labelled(str(empty))


def test_group_key_is_corpus_and_speaker():
    assert list(speaker_groups(["emodb", "ravdess", "x"], ["03", "03", ""])) == ["emodb:03", "ravdess:03", ""]
    assert order_labels(["zzz", "sad", "neutral", "boredom", "aaa"]) == ["neutral", "sad", "boredom", "aaa", "zzz"]
