"""Dask client for the flows: connect to a scheduler, or start a local cluster of processes.

A command line that will need a local cluster starts it early (``early_local_cluster``), in a
background thread, while Python and Prefect get going: starting worker processes (Python, numba,
the kernels) takes 3-4 s, Prefect's start 3-15 s, and the two need not wait for each other.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass

import dask
from distributed import Client, LocalCluster

from emovox.errors import UsageError


@dataclass(frozen=True)
class WorkerFunction:
    """The function ``name`` of ``module``, imported where it is called: on a Dask worker.

    A driver submits work with it without importing the module, and with it the libraries only its
    workers need (numba and the kernels, pandas, the model): ~1.5 s of CPU less in the driver of every
    run, on the cores its workers are starting on. Pickles as the two names.
    """

    module: str
    name: str

    @property
    def __name__(self) -> str:  # what Dask names its tasks after ("verify_model-<id>")
        return self.name

    def __call__(self, *args, **kwargs):
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)


class _EarlyCluster:
    """A local cluster started by a background thread, and the thread closing it once used."""

    def __init__(self, n_workers: int, warm_up: Callable[[], object] | None):
        self.started: Future = Future()
        self.closer: threading.Thread | None = None
        self.starter = threading.Thread(target=self._start, args=(n_workers, warm_up), name="emovox-dask-start",
                                        daemon=True)
        self.starter.start()

    def _start(self, n_workers: int, warm_up: Callable[[], object] | None) -> None:
        try:
            cluster = _start_local_cluster(n_workers)
        except BaseException as error:  # noqa: BLE001 - raised by the dask_client call that uses it
            self.started.set_exception(error)
            return
        if warm_up is not None:
            try:
                with Client(cluster, set_as_default=False) as client:
                    client.run(warm_up)
            except Exception as error:  # noqa: BLE001 - the tasks meet the same problem and report it properly
                logging.getLogger("emovox").debug("warming up the Dask workers failed: %s", error)
        self.started.set_result(cluster)

    def close_in_background(self) -> None:
        self.closer = threading.Thread(target=self.started.result().close, name="emovox-dask-close", daemon=True)
        self.closer.start()

    def close(self) -> None:
        self.starter.join()
        if self.closer is not None:
            self.closer.join()
        elif self.started.exception() is None:
            self.started.result().close()


#: Local clusters being started ahead of use, by number of workers (see ``early_local_cluster``).
_early: dict[int, _EarlyCluster] = {}


def _n_workers(workers: int | None) -> int:
    n_workers = workers or os.cpu_count() or 1
    if n_workers < 1:
        raise UsageError(f"--workers {workers}: need at least 1 worker")
    return n_workers


@contextlib.contextmanager
def _local_cluster_settings() -> Iterator[None]:
    """Settings that must hold for a local cluster's whole life (Dask reads them as things happen)."""
    # The cluster closes for good a nanny whose worker has not re-registered within Dask's
    # "lost-worker-timeout" (15 s) of dying, and never starts another. On a busy machine a new worker
    # process (importing numba, zarr, the kernels) can take longer than that, so a run whose workers
    # were killed (a file that crashes a decoder, or exhausts memory) went on with fewer workers, or
    # with none, waiting for ever. The nannies restart their workers themselves: never give up on them.
    #
    # The scheduler and the nannies log in this process. ``silence_logs`` quiets only Dask's own
    # handlers, and their INFO records (clients and workers coming and going) still reach any handler
    # on the root logger: keep them from being made at all.
    #
    # Dask's statistical profiler walks each worker's stack every 10 ms for a dashboard that local
    # clusters do not serve; it cost ~10 % of the workers' CPU (flows.label on bench/label_speed.py's
    # 10.7 h archive, 2 workers: 2.4 of 26 CPU seconds, the labelling phase 11.2 -> 9.8 s). The nannies
    # hand this process's configuration to the worker processes they start.
    distributed_logger = logging.getLogger("distributed")
    level = distributed_logger.level
    distributed_logger.setLevel(max(level, logging.ERROR))
    try:
        with dask.config.set({"distributed.deploy.lost-worker-timeout": "24h",
                              "distributed.worker.profile.enabled": False}):
            yield
    finally:
        distributed_logger.setLevel(level)


def _start_local_cluster(n_workers: int) -> LocalCluster:
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        # No dashboard, but the scheduler still serves its health and metrics routes, by default on
        # port 8787, warning on the terminal when another cluster has it: any free port will do.
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=logging.ERROR,
        preload=["flows._dask_worker"],
    )


@contextlib.contextmanager
def early_local_cluster(address: str | None, workers: int | None,
                        warm_up: Callable[[], object] | None = None) -> Iterator[None]:
    """Start, in a background thread, the local cluster a ``dask_client(None, workers)`` call in
    this block will use, and close it on leaving the block. Nothing happens with ``address``.
    ``warm_up`` (picklable) then runs on every worker, before the cluster is handed over: the
    imports, model loading and kernel-cache loading that the first task would otherwise do.

    The cluster lives for the block: ``dask_client`` borrows it, and when done with it starts
    closing it in the background (so a flow's reports overlap the shutdown), which the end of the
    block waits for. A failed start is raised by the ``dask_client`` call, as a direct start would be.
    """
    if address:
        yield
        return
    n_workers = _n_workers(workers)
    with _local_cluster_settings():
        early = _early[n_workers] = _EarlyCluster(n_workers, warm_up)
        try:
            yield
        finally:
            if _early.get(n_workers) is early:
                del _early[n_workers]
            early.close()


@contextlib.contextmanager
def dask_client(address: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A ``distributed.Client`` for the duration of the block.

    With ``address`` (``tcp://host:8786``) it connects to that scheduler and leaves its workers
    alone; without it starts ``workers`` single-threaded worker processes (default: one per core)
    and stops them afterwards (or uses the cluster ``early_local_cluster`` is starting). Kernels
    are single-threaded, so a process per core is the fastest layout and isolates a crashing
    file's worker from the others.
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
    n_workers = _n_workers(workers)
    early = _early.pop(n_workers, None)
    if early is not None:
        with Client(early.started.result()) as client:
            yield client
        early.close_in_background()
        return
    with _local_cluster_settings():
        with _start_local_cluster(n_workers) as cluster, Client(cluster) as client:
            yield client
