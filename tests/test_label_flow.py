"""`python -m flows.label`: labels per file and per speech segment, resumable, with reports; deployments."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import audio_io
from labelling.model_dir import SHIPPED_MODELS_DIR
from tests.conftest import EXAMPLES, REPO_ROOT, run_module

SR = 16000
pytestmark = pytest.mark.skipif(
    not (SHIPPED_MODELS_DIR / "default" / "config.json").is_file(), reason="the shipped default model is not built"
)


def build_archive(root: Path) -> dict[str, Path]:
    """Two recordings made of the example utterances with pauses, one silent, one broken."""
    rng = np.random.default_rng(0)
    utterances = [audio_io.load(p) for p in sorted((EXAMPLES / "ravdess").rglob("*.flac"))]

    def pause(seconds):
        return rng.normal(0, 1e-3, int(seconds * SR)).astype(np.float32)

    root.mkdir()
    files = {
        "call one.wav": np.concatenate([pause(1.0), utterances[0], pause(2.0), utterances[1], pause(1.5)]),
        "sub/call-two.flac": np.concatenate([pause(0.5), utterances[2], pause(3.0), utterances[3], utterances[1], pause(1)]),
        "silent.wav": np.zeros(SR * 3, np.float32),
    }
    paths = {}
    for name, signal_ in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, signal_, SR)
        paths[name] = path
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00")
    paths["broken.wav"] = root / "broken.wav"
    return paths


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("label")
    paths = build_archive(tmp / "archive")
    out = tmp / "out"
    result = run_module("flows.label", str(tmp / "archive"), "--model", "default", "--out", str(out), "--workers", "1")
    return tmp, paths, out, result


@pytest.mark.slow
def test_files_and_segments_are_labelled(labelled):
    _, paths, out, result = labelled
    assert result.returncode == 0, result.stderr[-3000:]
    assert "3 ok, 1 failed, 0 already done" in result.stdout.strip().splitlines()[-1]
    for name in ("files.parquet", "files.csv", "segments.parquet", "segments.csv", "summary.md", "label_shares.png"):
        assert (out / name).is_file(), name
    files = pd.read_parquet(out / "files.parquet").set_index("path")
    segments = pd.read_parquet(out / "segments.parquet")
    assert pd.read_csv(out / "files.csv").shape[0] == len(files) == 4
    assert pd.read_csv(out / "segments.csv").shape[0] == len(segments)

    labels = [c[len("p_"):] for c in segments.columns if c.startswith("p_")]
    assert len(labels) >= 7
    np.testing.assert_allclose(segments[[f"p_{l}" for l in labels]].sum(axis=1), 1.0, atol=1e-5)
    assert (segments.label.isin(labels)).all()
    assert (segments.end > segments.start).all() and (segments.end - segments.start <= 4.0 + 1e-6).all()

    broken = files.loc[str(paths["broken.wav"])]
    assert broken.status == "error" and broken.error
    silent = files.loc[str(paths["silent.wav"])]
    assert silent.status == "ok" and silent.n_segments == 0 and silent.dominant_label == "" and silent.speech_duration == 0
    assert not (segments.path == str(paths["silent.wav"])).any(), "silence is never labelled"

    for name, n_utterances in (("call one.wav", 2), ("sub/call-two.flac", 3)):
        row = files.loc[str(paths[name])]
        mine = segments[segments.path == str(paths[name])]
        # One segment per utterance (each holds 1.5-2.5 s of speech between its own silences).
        assert row.status == "ok" and row.n_segments == len(mine) == n_utterances
        assert mine.end.max() <= row.duration + 1e-6
        assert 1.2 * n_utterances < row.speech_duration < 0.6 * row.duration
        assert row.dominant_label in labels
        shares = np.array([row[f"share_{l}"] for l in labels])
        assert shares.sum() == pytest.approx(1.0) and row[f"share_{row.dominant_label}"] == shares.max()
    assert len(list((out / "timelines").glob("*.png"))) == 3


@pytest.mark.slow
def test_rerun_labels_only_new_and_changed_files(labelled):
    tmp, paths, out, first = labelled
    assert first.returncode == 0
    before = pd.read_parquet(out / "segments.parquet")
    again = run_module("flows.label", str(tmp / "archive"), "--model", "default", "--out", str(out), "--workers", "1")
    assert again.returncode == 0, again.stderr[-2000:]
    # The broken file is tried again (it may have been fixed); the good ones are not.
    assert "0 ok, 1 failed, 3 already done" in again.stdout.strip().splitlines()[-1]

    changed = paths["call one.wav"]
    signal_, _ = sf.read(changed, dtype="float32")
    sf.write(changed, np.concatenate([signal_, signal_]), SR)
    third = run_module("flows.label", str(tmp / "archive"), "--model", "default", "--out", str(out), "--workers", "1")
    assert third.returncode == 0, third.stderr[-2000:]
    assert "1 ok, 1 failed, 2 already done" in third.stdout.strip().splitlines()[-1]
    files = pd.read_parquet(out / "files.parquet")
    segments = pd.read_parquet(out / "segments.parquet")
    assert files.path.is_unique and len(files) == 4
    assert not segments.duplicated(["path", "segment"]).any()
    unchanged = str(paths["sub/call-two.flac"])
    pd.testing.assert_frame_equal(
        before[before.path == unchanged].reset_index(drop=True), segments[segments.path == unchanged].reset_index(drop=True)
    )
    assert files.set_index("path").loc[str(changed), "duration"] > 2 * 10


@pytest.mark.slow
def test_quick_start_labels_the_examples(tmp_path):
    """The README's first command, on a fresh machine: no Prefect server, relative --out."""
    done = run_module("flows.label", str(EXAMPLES / "ravdess"), "--out", "labels", cwd=tmp_path, ephemeral=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "4 ok, 0 failed, 0 already done" in done.stdout.strip().splitlines()[-1], done.stdout[-1000:]
    files = pd.read_csv(tmp_path / "labels" / "files.csv")
    assert len(files) == 4 and (files.status == "ok").all() and files.dominant_label.notna().all()
    assert (tmp_path / "labels" / "summary.md").is_file() and (tmp_path / "labels" / "label_shares.png").is_file()


def test_unknown_model_is_a_one_line_error(tmp_path):
    done = run_module("flows.label", str(EXAMPLES), "--model", "no-such-model", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "--model no-such-model" in done.stderr


@pytest.mark.slow
def test_scheduled_deployment_runs_on_a_prefect_server(tmp_path, prefect_server):
    """flows.deploy registers and serves a deployment on the server; a triggered run labels the archive."""
    if prefect_server is None:
        pytest.skip("no Prefect server could be started on loopback")
    archive = tmp_path / "archive"
    archive.mkdir()
    for path in sorted((EXAMPLES / "ravdess").rglob("*.flac"))[:2]:
        (archive / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PREFECT_API_URL=prefect_server)
    serve = subprocess.Popen(
        [sys.executable, "-m", "flows.deploy", "label", str(archive), "--out", str(out), "--name", "test",
         "--cron", "0 3 * * *", "--workers", "1"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        from prefect.deployments import run_deployment

        deadline = time.monotonic() + 120
        while True:  # the deployment exists once `serve` has registered it
            try:
                flow_run = run_deployment("emovox-label/test", timeout=0)
                break
            except Exception:  # noqa: BLE001 - not registered yet
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise
                time.sleep(1)
        deadline = time.monotonic() + 300
        while not (out / "files.parquet").is_file() and time.monotonic() < deadline:
            assert serve.poll() is None, serve.stderr.read()[-3000:]
            time.sleep(1)
        files = pd.read_parquet(out / "files.parquet")
        assert len(files) == 2 and (files.status == "ok").all()
        assert flow_run.deployment_id is not None
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)


def test_shipped_default_model_is_compact_and_verified():
    """The linear SVM ships as its one-vs-one weights (not support vectors): about 1 MB, checksums valid."""
    from classify import load_model

    directory = SHIPPED_MODELS_DIR / "default"
    size = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    assert size < 3 * 2**20, f"{directory}: {size / 2**20:.1f} MiB"
    model = load_model(directory)  # verifies every file's sha256
    svm = model.estimator_.model_
    if svm.kernel == "linear":
        with np.load(directory / "svm.npz", allow_pickle=False) as data:
            assert "support_vectors" not in data.files
            n = len(model.labels_)
            assert data["coef"].shape == (n * (n - 1) // 2, len(model.feature_names))
