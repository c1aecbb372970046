"""An exclusive, crash-safe lock on a store: one writing run at a time.

Uses ``flock`` on a file inside the store, so the lock disappears with the process that held it
(even after SIGKILL) and a stale lock file never blocks a later run.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from emovox.errors import StoreLockedError
from features_store.schema import LOCK_FILE


class StoreLock:
    """Context manager holding the store's writer lock; raises StoreLockedError if another run holds it."""

    def __init__(self, store_path: str | os.PathLike):
        self.store_path = Path(store_path)
        self._fd: int | None = None

    def __enter__(self) -> "StoreLock":
        lock_path = self.store_path / LOCK_FILE
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreLockedError(
                f"{self.store_path}: another run is writing to this store ({holder}); "
                "wait for it to finish or use another --store"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["since"]))
        return f"pid {info['pid']} on {info['host']}, since {since}"
    except (ValueError, KeyError, OSError):
        return "holder unknown"
