"""Corpus or archive -> feature store.

    python -m flows.extract CORPUS_DIR [--store STORE.zarr] [--format auto|emodb|ravdess|...]
                            [--feature-set default] [--workers N] [--address tcp://HOST:PORT]

Prefect orchestrates the steps (discover, plan, extract, summarise); Dask fans the row chunks out
to worker processes, each of which decodes its files, runs the kernels and writes its chunk into
the store. One Dask task per row chunk (64 files by default), not one Prefect task per file: a
100k-file corpus is ~1,600 Dask tasks, which the scheduler handles easily, and Prefect tracks four
task runs instead of 100k. Re-running on the same store resumes: only missing or failed files are
processed.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from distributed import KilledWorker, as_completed
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

import corpora
import features_store
from emovox.errors import EmovoxError, UsageError
from features_store import (
    ChunkJob,
    ChunkResult,
    StoreLock,
    check_store_target,
    ensure_store_folder,
    plan_pending_chunks,
    prepare_store,
    write_chunk,
)
from features_store.schema import DEFAULT_ROWS_PER_CHUNK
from featuresets import FeatureSetConfig, make_extractor, resolve_feature_set
from featuresets.encoded import feature_set_names
from flows import _cli
from flows._dask import dask_client, early_local_cluster
from flows._work import ChunkSummary, extract_chunk

PROGRESS_EVERY_SECONDS = 5.0


@dataclass
class ExtractSummary:
    """The outcome of one run, also printed as the command's last line."""

    store: str
    corpus_format: str
    n_files: int
    n_already_done: int = 0
    n_ok: int = 0
    n_failed: int = 0
    n_unparsed: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    worker_cpu_seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        if self.n_ok + self.n_failed == 0:
            return (
                f"emovox extract: nothing to do: all {self.n_already_done} files are already in {self.store}"
            )
        speed = self.audio_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0
        return (
            f"emovox extract: {self.n_ok} ok, {self.n_failed} failed, {self.n_already_done} already done "
            f"({self.corpus_format}, {self.audio_seconds:.0f} s of audio in {self.wall_seconds:.1f} s, "
            f"{speed:.0f}x real time) -> {self.store}"
        )


def default_store_path(corpus_dir: str) -> str:
    """``./<name of CORPUS_DIR>.zarr`` (the contract's default)."""
    name = Path(os.path.abspath(corpus_dir)).name
    if name.endswith(".csv"):
        name = name[: -len(".csv")]
    return f"{name}.zarr"


def _transient(task, task_run, state) -> bool:
    """Retry I/O hiccups, not input errors: an EmovoxError will fail the same way again."""
    return not isinstance(state.result(raise_on_failure=False), EmovoxError)


@task(name="discover", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2, retry_condition_fn=_transient)
def discover_corpus(corpus_dir: str, corpus_format: str) -> corpora.Discovery:
    logger = get_run_logger()
    discovery = corpora.discover(corpus_dir, corpus_format)
    n_speakers = len({u.speaker for u in discovery.utterances if u.speaker})
    n_labels = len({u.label for u in discovery.utterances if u.label})
    logger.info(
        "found %d audio files in %s (format %s, %d speakers, %d labels)",
        len(discovery.utterances), discovery.root, discovery.format, n_speakers, n_labels,
    )
    for path, reason in discovery.skipped[:5]:
        logger.warning("skipped %s: %s", path, reason)
    if len(discovery.skipped) > 5:
        logger.warning("... and %d more skipped files", len(discovery.skipped) - 5)
    return discovery


@task(name="plan", cache_policy=NO_CACHE)
def plan_store(store_path: str, discovery: corpora.Discovery, feature_config: dict, rows_per_chunk: int) -> tuple[list[ChunkJob], int]:
    config = FeatureSetConfig.from_dict(feature_config)
    store = prepare_store(
        store_path,
        feature_set=config.name,
        feature_config=config.to_dict(),
        feature_hash=config.feature_hash,
        feature_names=make_extractor(config).feature_names,
        rows_per_chunk=rows_per_chunk,
    )
    jobs, done = plan_pending_chunks(
        store, discovery.utterances, source={"root": discovery.root, "format": discovery.format}
    )
    n_pending = sum(len(job.rows) for job in jobs)
    get_run_logger().info(
        "store %s: %d files already done, %d to extract in %d chunks", store_path, done, n_pending, len(jobs)
    )
    return jobs, done


@task(name="extract-chunks", cache_policy=NO_CACHE)
def run_chunks(
    store_path: str, jobs: list[ChunkJob], feature_config: dict, *, address: str | None,
    workers: int | None, block_seconds: float,
) -> list[ChunkSummary]:
    """Run every chunk job on Dask; Dask re-runs a chunk whose worker died, and retries it twice on error.

    A chunk whose every worker died (Dask's KilledWorker) is run again file by file, so that the
    file that kills workers becomes an error row instead of failing the run (see _isolate_files).
    """
    logger = get_run_logger()
    config = feature_config
    n_files = sum(len(job.rows) for job in jobs)
    summaries: list[ChunkSummary] = []
    started = last_report = time.monotonic()
    with dask_client(address, workers) as client:
        logger.info("Dask: %d workers (%s)", len(client.scheduler_info()["workers"]), client.scheduler.address)
        futures = client.map(
            extract_chunk, [store_path] * len(jobs), jobs,
            [config] * len(jobs), [block_seconds] * len(jobs),
            key=[f"extract-{os.getpid()}-{time.time_ns()}-{job.chunk_index}" for job in jobs],
            retries=2,
        )
        job_of = {future.key: job for future, job in zip(futures, jobs)}
        for future in as_completed(futures):
            job = job_of.pop(future.key)
            try:
                summaries.append(future.result())
            except KilledWorker:
                logger.warning("chunk %d: its workers died; extracting its %d files one by one",
                               job.chunk_index, len(job.rows))
                summaries.append(_isolate_files(client, store_path, job, config, block_seconds))
            future.release()
            now = time.monotonic()
            if now - last_report >= PROGRESS_EVERY_SECONDS or len(summaries) == len(jobs):
                last_report = now
                logger.info(_progress_line(summaries, n_files, now - started))
    return summaries


def _isolate_files(client, store_path: str, job: ChunkJob, config: dict, block_seconds: float) -> ChunkSummary:
    """Run each file of ``job`` as its own task, one after the other; a file whose worker dies on every
    try (a crash in a decoder, memory exhausted) becomes an error row written here, by the driver.

    Without this, one such file fails the whole run with KilledWorker at every re-run, and the other
    files of its chunk are never extracted. One task at a time: tasks of one chunk must not overlap,
    as each rewrites the chunk's files.
    """
    parts: list[ChunkSummary] = []
    for row, path in zip(job.rows, job.paths):
        single = ChunkJob(job.chunk_index, (row,), (path,))
        future = client.submit(
            extract_chunk, store_path, single, config, block_seconds,
            key=f"extract-{os.getpid()}-{time.time_ns()}-{job.chunk_index}-{row}", retries=2,
        )
        try:
            parts.append(future.result())
        except KilledWorker:
            reason = ("the worker process died on every try while extracting this file "
                      "(a crash in a decoder, or out of memory)")
            n_features = features_store.open(store_path).features.shape[1]
            write_chunk(store_path, ChunkResult(
                job.chunk_index, (row,), np.full((1, n_features), np.nan, dtype=np.float32),
                np.full(1, np.nan, dtype=np.float32), (reason,),
            ))
            parts.append(ChunkSummary(job.chunk_index, 0, 1, 0.0, 0.0, ((path, reason),)))
        future.release()
    return ChunkSummary(
        chunk_index=job.chunk_index,
        n_ok=sum(p.n_ok for p in parts),
        n_failed=sum(p.n_failed for p in parts),
        audio_seconds=sum(p.audio_seconds for p in parts),
        cpu_seconds=sum(p.cpu_seconds for p in parts),
        failures=tuple(f for p in parts for f in p.failures),
    )


def _progress_line(summaries: list[ChunkSummary], n_files: int, elapsed: float) -> str:
    done = sum(s.n_ok + s.n_failed for s in summaries)
    failed = sum(s.n_failed for s in summaries)
    audio = sum(s.audio_seconds for s in summaries)
    eta = elapsed / done * (n_files - done) if done else float("nan")
    return (
        f"extract: {done}/{n_files} files ({100 * done / max(n_files, 1):.0f} %), {failed} failed, "
        f"{audio:.0f} s of audio, {audio / max(elapsed, 1e-9):.0f}x real time, ~{eta:.0f} s left"
    )


@flow(name="emovox-extract", log_prints=False, validate_parameters=True)
def extract_flow(
    corpus_dir: str,
    store: str | None = None,
    format: str = "auto",  # noqa: A002 - the command-line option's name
    feature_set: str = "default",
    workers: int | None = None,
    address: str | None = None,
    rows_per_chunk: int = DEFAULT_ROWS_PER_CHUNK,
    block_seconds: float = 30.0,
    encoder_path: str | None = None,
    encoder_layer: int | None = None,
    pooling: str | None = None,
    compute_type: str | None = None,
) -> dict:
    """Extract features of every audio file under ``corpus_dir`` into the store (resuming)."""
    started = time.monotonic()
    logger = get_run_logger()
    feature_config = resolve_feature_set(
        feature_set, encoder_path=encoder_path, encoder_layer=encoder_layer, pooling=pooling, compute_type=compute_type,
    ).to_dict()
    store_path = os.path.abspath(store or default_store_path(corpus_dir))
    discovery = discover_corpus(corpus_dir, format)
    ensure_store_folder(store_path)
    with StoreLock(store_path):
        jobs, done = plan_store(store_path, discovery, feature_config, rows_per_chunk)
        summaries = run_chunks(
            store_path, jobs, feature_config, address=address, workers=workers, block_seconds=block_seconds
        ) if jobs else []
    summary = ExtractSummary(
        store=store_path,
        corpus_format=discovery.format,
        n_files=len(discovery.utterances),
        n_already_done=done,
        n_ok=sum(s.n_ok for s in summaries),
        n_failed=sum(s.n_failed for s in summaries),
        n_unparsed=len(discovery.skipped),
        audio_seconds=sum(s.audio_seconds for s in summaries),
        worker_cpu_seconds=sum(s.cpu_seconds for s in summaries),
        failures=[f for s in summaries for f in s.failures],
        wall_seconds=time.monotonic() - started,
    )
    for path, reason in summary.failures[:10]:
        logger.warning("failed: %s: %s", path, reason)
    if len(summary.failures) > 10:
        logger.warning("... and %d more failed files (status 'error' in the store's meta)", len(summary.failures) - 10)
    return asdict(summary)


def build_parser() -> _cli.ArgumentParser:
    parser = _cli.ArgumentParser(
        prog="python -m flows.extract",
        description="Extract acoustic features of a corpus or archive into a Zarr feature store (resumable).",
    )
    parser.add_argument("corpus_dir", metavar="CORPUS_DIR", help="folder of audio (or a CSV manifest)")
    parser.add_argument("--store", help="feature store to create or resume (default: ./<name of CORPUS_DIR>.zarr)")
    parser.add_argument("--format", default="auto", choices=corpora.FORMATS, help="corpus layout (default: auto)")
    parser.add_argument("--feature-set", default="default", metavar="SET",
                        help=f"named feature set: {', '.join(feature_set_names())} (default: default)")
    parser.add_argument("--encoder-path", metavar="DIR",
                        help="whisper feature sets: a CTranslate2 Whisper model folder (see README 'Whisper features')")
    parser.add_argument("--encoder-layer", type=int, metavar="K",
                        help="whisper feature sets: keep encoder layers 1..K (default 3)")
    parser.add_argument("--pooling", choices=("mean+std", "mean"), help="whisper feature sets: pooling over frames (default mean+std)")
    parser.add_argument("--compute-type", choices=("int8", "int8_float32", "int16", "float32"),
                        help="whisper feature sets: CTranslate2 numeric type (default int8)")
    parser.add_argument("--workers", type=int, help="local Dask worker processes (default: one per core)")
    parser.add_argument("--address", help="Dask scheduler to use instead of a local cluster, e.g. tcp://host:8786")
    parser.add_argument("--rows-per-chunk", type=int, default=DEFAULT_ROWS_PER_CHUNK,
                        help="rows per Zarr chunk and per Dask task (new stores only)")
    parser.add_argument("--block-seconds", type=float, default=30.0,
                        help="decode recordings longer than this in blocks of this many seconds")
    _cli.add_common_options(parser)
    return parser


def preflight(args) -> None:
    """The checks that need no walk and no Prefect, so a wrong path or option fails in a second."""
    _cli.check_positive("--workers", args.workers)
    _cli.check_positive("--rows-per-chunk", args.rows_per_chunk)
    _cli.check_positive("--block-seconds", args.block_seconds)
    if not math.isfinite(args.block_seconds):
        # check_positive lets nan and inf through; the decoder would refuse them only on the workers,
        # once per file, with a message that does not name the option.
        raise UsageError(f"--block-seconds {args.block_seconds}: must be a finite number of seconds")
    corpora.check_root(args.corpus_dir, args.format)
    config = resolve_feature_set(
        args.feature_set, encoder_path=args.encoder_path, encoder_layer=args.encoder_layer, pooling=args.pooling,
        compute_type=args.compute_type,
    )
    store_path = args.store or default_store_path(args.corpus_dir)
    if check_store_target(store_path, feature_set=config.name, feature_hash=config.feature_hash):
        with StoreLock(store_path):
            pass


def main(args) -> int:
    preflight(args)
    with early_local_cluster(args.address, args.workers):  # workers start while Prefect does
        summary = ExtractSummary(**extract_flow(
            corpus_dir=args.corpus_dir, store=args.store, format=args.format, feature_set=args.feature_set,
            workers=args.workers, address=args.address, rows_per_chunk=args.rows_per_chunk,
            block_seconds=args.block_seconds, encoder_path=args.encoder_path, encoder_layer=args.encoder_layer,
            pooling=args.pooling, compute_type=args.compute_type,
        ))
    print(summary.line())
    return _cli.EXIT_OK

