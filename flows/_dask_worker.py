"""Set-up run in every worker process of a local cluster (a Dask "preload": ``dask_setup``).

Closing a local cluster races with the workers' heartbeats: a heartbeat already on its way when
the scheduler closes its end fails, and the worker logs the failure as an ERROR with a traceback
(dask/distributed#7192; NVIDIA-NeMo/Curator#9), on the user's terminal, after a run that went
well. The scheduler of a local cluster lives in the command's own process, so a failed heartbeat
can only mean that process is closing the cluster: drop that one message. Workers of a remote
scheduler (``--address``) are not ours and keep their logging as it is.
"""
from __future__ import annotations

import logging

HEARTBEAT_FAILURE = "Failed to communicate with scheduler during heartbeat."


def _not_a_heartbeat_failure(record: logging.LogRecord) -> bool:
    return record.msg != HEARTBEAT_FAILURE


def dask_setup(worker) -> None:
    """Called by Dask in each worker process as it starts (``worker`` unused)."""
    logger = logging.getLogger("distributed.worker")
    if _not_a_heartbeat_failure not in logger.filters:
        logger.addFilter(_not_a_heartbeat_failure)
