"""`flows.extract --address`: the flow uses a running Dask scheduler and its workers, and leaves them running."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

import features_store
from tests.conftest import EXAMPLES, run_module


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_extract_on_an_existing_scheduler(tmp_path):
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
