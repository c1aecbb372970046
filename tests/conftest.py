"""Shared test setup: an isolated Prefect home, and the shared corpora when present."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Before anything imports Prefect: never touch the user's ~/.prefect, never phone home.
_PREFECT_HOME = tempfile.mkdtemp(prefix="emovox-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
EXAMPLES = REPO_ROOT / "examples"


def shared_corpus(name: str) -> Path:
    """Path of a corpus in ../shared/corpora, or skip the test saying why."""
    path = SHARED_CORPORA / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent (the shared corpora are not on this machine)")
    return path


def run_module(module: str, *args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m <module> args`` as a user would, with the test's isolated Prefect home."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd or REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
