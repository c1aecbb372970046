"""A Prefect server of its own on loopback (SQLite in a given PREFECT_HOME), for tests and benchmarks.

Commands then talk to it through PREFECT_API_URL instead of each starting Prefect's temporary
server (~10-20 s per command), as an operator's nightly runs talk to their Prefect server.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_prefect_server(home: str, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """``prefect server start`` on a free loopback port with its own home; returns (process, API URL)."""
    port = _free_port()
    env = dict(os.environ, PREFECT_HOME=home, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(api_url):
            return process, api_url
        if process.poll() is not None:
            break
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the Prefect server did not start within {timeout} s")
