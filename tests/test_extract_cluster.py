"""`flows.extract --address` and `flows.label --address`: the flows use a running Dask scheduler and its
workers, and leave them running."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

import features_store
from labelling.model_dir import SHIPPED_MODELS_DIR
from tests.conftest import EXAMPLES, run_module


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_extract_and_label_on_an_existing_scheduler(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = _start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                       "--scheduler-file", str(scheduler_file))
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = _start("worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1")

        store = tmp_path / "s.zarr"
        done = run_module("flows.extract", str(EXAMPLES / "ravdess"), "--store", str(store), "--address", address)
        assert done.returncode == 0, done.stderr
        assert "4 ok, 0 failed" in done.stdout.strip().splitlines()[-1]
        assert (features_store.open(store).meta.status == "ok").all()
        assert scheduler.poll() is None and worker.poll() is None, "the flow must not stop a cluster it did not start"

        # The label flow verifies the model and writes its reports on the cluster's workers too.
        labels = tmp_path / "labels"
        done = run_module("flows.label", str(EXAMPLES / "ravdess"), "--out", str(labels), "--address", address)
        assert done.returncode == 0, done.stderr
        assert "4 ok, 0 failed" in done.stdout.strip().splitlines()[-1]
        assert {"files.parquet", "segments.csv", "summary.md", "label_shares.png"} <= {p.name for p in labels.iterdir()}
        tampered = tmp_path / "tampered"
        shutil.copytree(SHIPPED_MODELS_DIR / "default", tampered)
        data = bytearray((tampered / "svm.npz").read_bytes())
        data[len(data) // 2] ^= 0x01
        (tampered / "svm.npz").write_bytes(bytes(data))
        refused = run_module("flows.label", str(EXAMPLES / "ravdess"), "--model", str(tampered),
                             "--out", str(tmp_path / "refused"), "--address", address)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert refused.stderr.strip().splitlines()[-1].startswith(f"error: tampered or corrupted: {tampered / 'svm.npz'}")
        assert not (tmp_path / "refused").exists()
        assert scheduler.poll() is None and worker.poll() is None
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def test_unreachable_scheduler_is_a_one_line_error(tmp_path):
    done = run_module("flows.extract", str(EXAMPLES / "ravdess"), "--store", str(tmp_path / "s.zarr"),
                      "--address", "tcp://127.0.0.1:9")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --address tcp://127.0.0.1:9: cannot reach")
    assert "Traceback" not in done.stderr
