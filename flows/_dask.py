"""Dask client for the flows: connect to a scheduler, or start a local cluster of processes."""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import dask
from distributed import Client, LocalCluster

from emovox.errors import UsageError


@contextlib.contextmanager
def dask_client(address: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A ``distributed.Client`` for the duration of the block.

    With ``address`` (``tcp://host:8786``) it connects to that scheduler and leaves its workers
    alone; without it starts ``workers`` single-threaded worker processes (default: one per core)
    and stops them afterwards. Kernels are single-threaded, so a process per core is the fastest
    layout and isolates a crashing file's worker from the others.
    """
    if address:
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise UsageError(
                f"--address {address}: cannot reach a Dask scheduler there ({error}); "
                "check the address or leave it out to start a local cluster"
            ) from None
        with client:
            yield client
        return
    n_workers = workers or os.cpu_count() or 1
    if n_workers < 1:
        raise UsageError(f"--workers {workers}: need at least 1 worker")
    # The cluster closes for good a nanny whose worker has not re-registered within Dask's
    # "lost-worker-timeout" (15 s) of dying, and never starts another. On a busy machine a new worker
    # process (importing numba, zarr, the kernels) can take longer than that, so a run whose workers
    # were killed (a file that crashes a decoder, or exhausts memory) went on with fewer workers, or
    # with none, waiting for ever. The nannies restart their workers themselves: never give up on them.
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "24h"}):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        with cluster, Client(cluster) as client:
            yield client
