"""``python -m flows.label``: its arguments, their checks, and its Dask workers started first.

Light on purpose: a local cluster's workers take 2-3 s to start (Python, distributed, the
kernels, the model), and Prefect and the flow take the command ~1-2 s to import, so the workers
are started (``early_local_cluster``) before any of that is imported (``flows.label.flow``); they
load the model and the kernels (``labelling.worker.warm_up``) while the driver goes on.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path

import corpora
from emovox.errors import UsageError
from flows import _cli
from flows._dask import WorkerFunction, early_local_cluster
from labelling.model_dir import resolve_model_dir


def build_parser() -> _cli.ArgumentParser:
    parser = _cli.ArgumentParser(prog="python -m flows.label",
                                 description="Label the emotions in an archive of recordings, per file and per speech segment.")
    parser.add_argument("archive_dir", metavar="ARCHIVE_DIR", help="folder of recordings (searched recursively)")
    parser.add_argument("--model", default="default", help="'default' (shipped) or a folder written by flows.train")
    parser.add_argument("--out", required=True, help="output folder (created; re-runs add new and changed files)")
    parser.add_argument("--workers", type=int, help="local Dask worker processes (default: one per core)")
    parser.add_argument("--address", help="Dask scheduler to use instead of a local cluster")
    parser.add_argument("--files-per-batch", type=int, default=32, help="files per Dask task at most")
    parser.add_argument("--seconds-per-batch", type=float, default=600.0, help="audio per Dask task, roughly")
    parser.add_argument("--segment-seconds", type=float, default=4.0, help="longest segment")
    parser.add_argument("--overlap-seconds", type=float, default=1.0, help="overlap of consecutive segments")
    parser.add_argument("--block-seconds", type=float, default=30.0, help="decoding block length")
    parser.add_argument("--encoder-path", metavar="DIR",
                        help="models trained on whisper features: the CTranslate2 Whisper folder (default: "
                             "$EMOVOX_WHISPER_PATH, else the one recorded in the model, else ~/.cache/emovox/<its name>)")
    parser.add_argument("--max-timelines", type=int, default=50, help="timeline PNGs to draw per run (the first files labelled, by path)")
    _cli.add_common_options(parser)
    return parser


def check_arguments(args) -> str:
    """UsageError for arguments that cannot work (one line: which, why, what to do); the model's folder."""
    for name in ("workers", "files_per_batch", "seconds_per_batch", "segment_seconds", "block_seconds"):
        _cli.check_positive("--" + name.replace("_", "-"), getattr(args, name))
    if args.max_timelines < 0:
        raise UsageError(f"--max-timelines {args.max_timelines}: must be 0 (none) or more")
    if not 0 <= args.overlap_seconds < args.segment_seconds:
        raise UsageError(f"--overlap-seconds {args.overlap_seconds}: must be at least 0 and less than --segment-seconds")
    corpora.check_root(args.archive_dir, "archive")
    model_dir = resolve_model_dir(args.model)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; give a folder")
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"--out {out}: {parent} is a file, not a folder; give a folder")
            break
    return model_dir


@contextlib.contextmanager
def workers_started_early(args) -> Iterator[None]:
    """Check the arguments, then start the local workers for the block (none with --address)."""
    model_dir = check_arguments(args)
    warm_up = functools.partial(WorkerFunction("labelling.worker", "warm_up"), model_dir, args.encoder_path)
    with early_local_cluster(args.address, args.workers, warm_up):
        yield


def main(args) -> int:
    from flows.label.flow import label_command  # Prefect, numpy, the flow: while the workers start

    return label_command(args)


def run(argv: Sequence[str] | None = None) -> int:
    """What ``python -m flows.label ARGV`` does; its exit status."""
    return _cli.run(main, build_parser(), argv, before_prefect=workers_started_early)
