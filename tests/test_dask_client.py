"""The flows' Dask client: a local cluster started early, in the background, is the one used."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from distributed import Status

from flows import _dask
from flows._dask import dask_client, early_local_cluster


def test_early_cluster_is_used_and_closed():
    with early_local_cluster(None, 1):
        early = _dask._early[1]
        with dask_client(None, 1) as client:
            assert client.submit(sum, [1, 2]).result() == 3
            cluster = early.started.result()
            assert client.scheduler.address == cluster.scheduler_address
        assert 1 not in _dask._early, "a cluster is lent once"
    assert cluster.status == Status.closed


def test_unused_early_cluster_is_closed():
    with early_local_cluster(None, 1):
        early = _dask._early[1]
    assert early.started.result().status == Status.closed and not _dask._early


def test_failed_early_start_is_raised_where_the_cluster_is_needed(monkeypatch):
    def fails(n_workers):
        raise OSError("cannot start worker processes")

    monkeypatch.setattr(_dask, "_start_local_cluster", fails)
    with early_local_cluster(None, 2):
        with pytest.raises(OSError, match="cannot start worker processes"):
            with dask_client(None, 2):
                pass
    assert not _dask._early


def test_scheduler_address_starts_nothing_early():
    with early_local_cluster("tcp://127.0.0.1:1", None):
        assert not _dask._early


def _mark_process(folder: Path) -> None:
    (folder / str(os.getpid())).touch()


def _fail() -> None:
    raise RuntimeError("no model here")


def test_warm_up_runs_on_every_worker_before_the_first_task_and_its_failure_is_not_fatal(tmp_path):
    with early_local_cluster(None, 2, functools.partial(_mark_process, tmp_path)):
        with dask_client(None, 2) as client:
            assert len(list(tmp_path.iterdir())) == 2  # before any task: the warm-up is part of the start
            worker_pids = set(client.run(os.getpid).values())
        assert {int(p.name) for p in tmp_path.iterdir()} == worker_pids
    with early_local_cluster(None, 1, _fail):
        with dask_client(None, 1) as client:
            assert client.submit(sum, [1, 2]).result() == 3


def _worker_logger_keeps(message: str) -> bool:
    import logging

    logger = logging.getLogger("distributed.worker")
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, message, None, None)
    return bool(logger.filter(record))


def test_local_workers_drop_only_the_heartbeat_failure_of_a_closing_cluster():
    """A run that went well must not end with a worker's heartbeat traceback on the terminal."""
    with dask_client(None, 1) as client:
        kept = client.run(_worker_logger_keeps, "Failed to communicate with scheduler during heartbeat.")
        assert list(kept.values()) == [False]
        kept = client.run(_worker_logger_keeps, "Worker stream died during communication")
        assert list(kept.values()) == [True], "other worker errors still reach the log"


def test_local_cluster_says_nothing_when_port_8787_is_taken():
    """Another Dask cluster on the machine (the usual one owns 8787) is no reason to warn the user."""
    import socket
    import warnings

    with socket.socket() as other_cluster:
        try:
            other_cluster.bind(("", 8787))
            other_cluster.listen()
        except OSError:
            pass  # taken already: the same situation
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with dask_client(None, 1) as client:
                assert client.submit(sum, [1, 2]).result() == 3
    assert not [w for w in caught if "8787" in str(w.message)], [str(w.message) for w in caught]


def _profiles_its_tasks(dask_worker) -> bool:
    return "profile" in dask_worker.periodic_callbacks


def test_local_workers_do_not_run_dask_statistical_profiler():
    """It samples each worker's stack every 10 ms for a dashboard local clusters do not serve
    (~10 % of labelling CPU); a remote cluster's workers are configured by their owner."""
    with dask_client(None, 1) as client:
        assert list(client.run(_profiles_its_tasks).values()) == [False]
