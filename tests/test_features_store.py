"""The feature store: creation, provenance, resume planning, chunk writes, refusal of mixed configs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import features_store
from emovox.errors import StoreError, StoreLockedError, StoreMismatchError
from features_store import ChunkResult, StoreLock, plan_pending_chunks, prepare_store, write_chunk


@dataclass(frozen=True)
class Utt:
    id: str
    path: str
    corpus: str = "archive"
    speaker: str = "s1"
    gender: str = ""
    label: str = "neutral"
    label_code: str = "N"


NAMES = ["a_mean", "a_std", "b_mean"]


def make_store(path: Path, feature_hash: str = "h1", rows_per_chunk: int = 4):
    return prepare_store(
        path, feature_set="test", feature_config={"x": 1}, feature_hash=feature_hash,
        feature_names=NAMES, rows_per_chunk=rows_per_chunk,
    )


def fake_results(store_path, jobs, fail=()):
    """Write deterministic features (row index in every column) for each job; rows in ``fail`` error."""
    for job in jobs:
        feats = np.array([[r, r, r] for r in job.rows], dtype=np.float32)
        errors = tuple("broken" if r in fail else "" for r in job.rows)
        feats[[e != "" for e in errors]] = np.nan
        write_chunk(store_path, ChunkResult(job.chunk_index, job.rows, feats, np.ones(len(job.rows), np.float32), errors))


def utterances(n, start=0):
    return [Utt(id=f"u{i:03d}.wav", path=f"/x/u{i:03d}.wav") for i in range(start, start + n)]


def test_new_store_round_trip(tmp_path):
    path = tmp_path / "s.zarr"
    store = make_store(path)
    jobs, done = plan_pending_chunks(store, utterances(10), source={"root": "/x", "format": "archive"})
    assert done == 0
    assert [j.chunk_index for j in jobs] == [0, 1, 2]
    assert sum(len(j.rows) for j in jobs) == 10
    fake_results(str(path), jobs, fail={7})

    opened = features_store.open(path)
    assert opened.features.shape == (10, 3)
    assert opened.features.dtype == np.float32
    assert opened.features.chunks == (4, 3)
    assert opened.feature_names == NAMES
    meta = opened.meta
    assert list(meta.columns[:10]) == ["id", "path", "corpus", "speaker", "gender", "label", "label_code", "duration", "status", "error"]
    assert meta.status.tolist().count("ok") == 9
    assert meta.loc[7, "status"] == "error" and meta.loc[7, "error"] == "broken"
    assert np.isnan(opened.features[7]).all()
    np.testing.assert_array_equal(opened.read_features(), np.array([[r] * 3 for r in range(10) if r != 7], np.float32))
    prov = opened.provenance
    assert prov["feature_hash"] == "h1" and prov["feature_config"] == {"x": 1}
    assert prov["created"] and prov["updated"] and prov["emovox_version"]
    assert prov["sources"][0]["root"] == "/x"


def test_resume_redoes_only_failed_new_and_lost_rows(tmp_path):
    path = tmp_path / "s.zarr"
    store = make_store(path)
    jobs, _ = plan_pending_chunks(store, utterances(10), source={"root": "/x"})
    fake_results(str(path), jobs, fail={2})

    # Nothing changed but the failure: only row 2 is redone.
    store = make_store(path)
    jobs, done = plan_pending_chunks(store, utterances(10), source={"root": "/x"})
    assert done == 9
    assert [(j.chunk_index, j.rows) for j in jobs] == [(0, (2,))]
    fake_results(str(path), jobs)

    # A deleted features chunk and two new files: exactly those rows come back.
    chunk_file = path / "features" / "c" / "1" / "0"
    chunk_file.unlink()
    assert features_store.open(path).meta.status.tolist()[4:8] == ["pending"] * 4
    store = make_store(path)
    jobs, done = plan_pending_chunks(store, utterances(12), source={"root": "/x"})
    assert done == 6
    assert [(j.chunk_index, j.rows) for j in jobs] == [(1, (4, 5, 6, 7)), (2, (10, 11))]
    fake_results(str(path), jobs)
    opened = features_store.open(path)
    assert (opened.meta.status == "ok").all()
    np.testing.assert_array_equal(opened.read_features()[:, 0], np.arange(12, dtype=np.float32))
    assert opened.meta.id.tolist() == [f"u{i:03d}.wav" for i in range(12)]


def test_other_feature_config_is_refused(tmp_path):
    path = tmp_path / "s.zarr"
    make_store(path, feature_hash="h1")
    with pytest.raises(StoreMismatchError, match="hash h1"):
        make_store(path, feature_hash="h2")


def test_bad_store_paths(tmp_path):
    a_file = tmp_path / "file.zarr"
    a_file.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        make_store(a_file)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.txt").write_text("x")
    with pytest.raises(StoreError, match="not an emovox feature store"):
        make_store(foreign)
    with pytest.raises(StoreError, match="no feature store"):
        features_store.open(tmp_path / "missing.zarr")


def test_lock_is_exclusive_and_released(tmp_path):
    path = tmp_path / "s.zarr"
    make_store(path)
    with StoreLock(path):
        with pytest.raises(StoreLockedError, match="another run is writing"):
            with StoreLock(path):
                pass
    with StoreLock(path):  # released on exit
        pass
