"""Dask's MALLOC_TRIM_THRESHOLD_ is relaxed in labelling workers (it made labelling ~1.6x slower)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

CODE = "from emovox.malloc import relax_malloc_trimming as r; print(r(), r())"


def run(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    env.update(env_extra, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_thresholds_are_raised_only_where_dask_set_the_variable():
    assert run({}) == "False False"  # glibc's own dynamic defaults stay in force
    assert run({"MALLOC_TRIM_THRESHOLD_": "65536"}) in ("True True", "False False")  # False off glibc (musl)
    import ctypes.util

    if ctypes.util.find_library("c") == "libc.so.6":
        assert run({"MALLOC_TRIM_THRESHOLD_": "65536"}) == "True True"
