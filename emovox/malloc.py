"""Undo Dask's malloc setting in a worker process, where it slows feature extraction down by half.

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
``distributed.nanny.pre-spawn-environ``), so that freed memory goes back to the system at once.
Setting that variable also switches off glibc's dynamic mmap threshold: every allocation above
128 KiB is then its own ``mmap`` and is page-faulted afresh. Feature extraction allocates many such
arrays per segment (frames, spectra), so labelling in a Dask worker took about 1.6x the CPU time of
the same code in a plain process (10x the page faults; measured with bench/label_speed.py).

``relax_malloc_trimming()`` (called once per worker process by the extract and label workers)
raises both thresholds with ``mallopt``: arrays up to 32 MiB come from the heap and are reused, and
up to 64 MiB of freed heap is kept before trimming, so a worker's memory stays bounded. It does
nothing unless the variable is set (glibc's own defaults are then in force) or off glibc.
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 2**20
TRIM_THRESHOLD_BYTES = 64 * 2**20

_applied: bool | None = None


def relax_malloc_trimming() -> bool:
    """Raise glibc's mmap and trim thresholds once per process if ``MALLOC_TRIM_THRESHOLD_`` is set.

    Returns whether the thresholds are (now) raised.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _applied
