"""What every ``python -m flows.<name>`` entry point shares: argument errors, --debug, exit codes.

An EmovoxError ends the command with one line on stderr (``error: <what, where, what to do>``)
and exit status 2; the traceback is shown only with ``--debug``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence

from emovox.errors import EmovoxError, UsageError

EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED = 0, 2, 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (``error: ... (see --help)``) instead of usage dumps."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_ERROR, f"error: {self.prog}: {message} (see --help)\n")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")


def _expected_error_names() -> set[str]:
    names, stack = set(), [EmovoxError]
    while stack:
        cls = stack.pop()
        names.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    return names


class _QuietExpectedErrors(logging.Filter):
    """Without --debug, an EmovoxError is told once, by ``run``, in one line.

    Drops Prefect's task-run and flow-run error records about it (with their tracebacks); every
    other record passes unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR or not record.name.startswith(("prefect.task_runs", "prefect.flow_runs")):
            return True
        if record.exc_info and isinstance(record.exc_info[1], EmovoxError):
            return False
        message = record.getMessage()
        return not any(f"{name}(" in message or f"{name}:" in message for name in _expected_error_names())


def _quiet_prefect_errors() -> None:
    for name in ("prefect", ""):
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(_QuietExpectedErrors())
    # Prefect's background services log "Still processing items: N items remaining..." while they
    # flush at exit (on a busy machine, after our one-line error): progress noise, not a problem.
    for service in ("EventsWorker", "APILogWorker"):
        logging.getLogger(service).setLevel(logging.ERROR)


def run(main: Callable[[argparse.Namespace], int], parser: argparse.ArgumentParser, argv: Sequence[str] | None = None,
        before_prefect: Callable[[argparse.Namespace], contextlib.AbstractContextManager] | None = None) -> int:
    """Parse ``argv``, call ``main(args)`` and turn expected failures into one-line errors.

    ``before_prefect(args)``, a context manager, is entered before Prefect is imported and
    ``main`` runs inside it (the label command starts its Dask workers there).
    """
    args = parser.parse_args(argv)
    try:
        with before_prefect(args) if before_prefect else contextlib.nullcontext():
            if not args.debug:
                import prefect.logging.configuration  # noqa: F401  (configures Prefect's handlers first)

                prefect.logging.configuration.setup_logging()
                _quiet_prefect_errors()
            return main(args)
    except EmovoxError as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except RuntimeError as error:
        if args.debug or "ephemeral Prefect API server" not in str(error):
            raise
        print("error: Prefect's temporary local API server did not start in time (a busy machine?): run the "
              "command again, or raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (now "
              f"{os.environ.get('PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS')} s), or start a server with "
              "`prefect server start` and set PREFECT_API_URL", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: finished chunks are kept; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


def exit(status: int) -> None:
    """End a command's process with ``status``, skipping the garbage collection of everything at exit.

    Freezing the heap first saves the ~0.9 s a command spent, after its work and its summary line,
    collecting the reference cycles of Prefect, pydantic, numba and pandas objects one by one while
    the interpreter shut down. Nothing else changes: threads are joined, atexit handlers (Prefect's
    log and event flushing, logging's) run, files are flushed, and objects not in cycles are freed as
    usual; only ``__del__`` of an object left in a cycle is not called, as Python never promises at exit.
    For ``if __name__ == "__main__"`` blocks only, never in a process that goes on (a test calling ``run``).
    """
    gc.freeze()
    sys.exit(status)


def check_positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise UsageError(f"{name} {value}: must be greater than 0")
