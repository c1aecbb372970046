"""Shared test setup: an isolated Prefect home and server, and the shared corpora when present.

Every command a test runs talks to ONE Prefect server started for the test session on loopback
(SQLite in a temporary PREFECT_HOME), instead of each starting Prefect's temporary server (~10 s
each). Tests of the contract's zero-setup default pass ``ephemeral=True`` to ``run_module``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from flows._prefect_server import start_prefect_server

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


@pytest.fixture(scope="session", autouse=True)
def prefect_server():
    """One Prefect server for the whole session; its URL is in PREFECT_API_URL for every command."""
    try:
        process, api_url = start_prefect_server(os.path.join(_PREFECT_HOME, "server"))
    except RuntimeError:
        yield None  # fall back to each command's temporary server
        return
    os.environ["PREFECT_API_URL"] = api_url
    try:
        yield api_url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def run_module(module: str, *args: str, timeout: float = 600, cwd: Path | None = None,
               ephemeral: bool = False) -> subprocess.CompletedProcess:
    """Run ``python -m <module> args`` as a user would, with the test's isolated Prefect home.

    ``ephemeral=True`` leaves PREFECT_API_URL unset, so the command starts Prefect's temporary
    local server itself, as on a fresh machine.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    if ephemeral:
        env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd or REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
