"""Archive of recordings -> per-file and per-segment emotion labels (Parquet and CSV).

    python -m flows.label ARCHIVE_DIR --model default|MODEL_DIR --out OUT_DIR [--workers N] [--address ...]

Every audio file under ARCHIVE_DIR is decoded block by block, cut into speech segments (energy
VAD; silence is never labelled), and each segment is classified. Dask runs batches of files; each
batch writes its own part files, so results appear as the run goes and an interrupted run resumes
where it stopped. Files already labelled (same path, size and modification time) are skipped; a
changed file is labelled again. At the end the parts are consolidated into files.{parquet,csv},
segments.{parquet,csv}, summary.md and label_shares.png. Workers draw the per-file timeline PNGs
(the first ``--max-timelines`` files of the run, by path) as they label them.

The workers do all the work that needs numpy, numba, pandas or the model, the model's verification
and the reports included (``labelling.worker``, called by name): this process plans and hands out
batches, and never imports them.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from distributed import Client, KilledWorker, as_completed
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

import corpora
from emovox.errors import UsageError
from flows import _cli
from flows._dask import WorkerFunction, dask_client
from labelling.jobs import BatchSummary, FileJob, SegmenterConfig, file_job
from labelling.model_dir import resolve_model_dir
from labelling.outputs import PARTS, done_files, new_run_id

PROGRESS_EVERY_SECONDS = 5.0

#: The work done on Dask workers (``labelling.worker``), by name: this process never imports it.
VERIFY_MODEL = WorkerFunction("labelling.worker", "verify_model")
LABEL_BATCH = WorkerFunction("labelling.worker", "label_batch")
WRITE_REPORTS = WorkerFunction("labelling.worker", "write_reports")


@dataclass
class LabelSummary:
    out: str
    n_files: int
    n_already_done: int = 0
    n_ok: int = 0
    n_failed: int = 0
    audio_seconds: float = 0.0
    speech_seconds: float = 0.0
    wall_seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        if self.n_ok + self.n_failed == 0:
            return f"emovox label: nothing to do: all {self.n_already_done} files are already labelled in {self.out}"
        speed = self.audio_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0
        return (
            f"emovox label: {self.n_ok} ok, {self.n_failed} failed, {self.n_already_done} already done "
            f"({self.audio_seconds:.0f} s of audio, {self.speech_seconds:.0f} s of speech, in {self.wall_seconds:.1f} s, "
            f"{speed:.0f}x real time) -> {self.out}"
        )


def plan_batches(jobs: list[FileJob], files_per_batch: int, seconds_per_batch: float) -> list[list[FileJob]]:
    """Cut the files into batches of at most ``files_per_batch`` files and roughly ``seconds_per_batch`` of audio.

    File sizes stand in for durations (16-bit mono 16 kHz is 32 kB/s; compressed files are smaller,
    so batches of them hold more audio), so that one long recording does not share a batch with many others.
    """
    bytes_per_batch = seconds_per_batch * 32000
    batches: list[list[FileJob]] = []
    current: list[FileJob] = []
    size = 0
    for job in jobs:
        if current and (len(current) >= files_per_batch or size + job.size > bytes_per_batch):
            batches.append(current)
            current, size = [], 0
        current.append(job)
        size += job.size
    if current:
        batches.append(current)
    return batches


@task(name="plan-labelling", cache_policy=NO_CACHE)
def plan_labelling(archive_dir: str, out_dir: str) -> tuple[list[FileJob], int]:
    logger = get_run_logger()
    discovery = corpora.discover(archive_dir, "archive")
    done = done_files(out_dir)
    jobs, n_done = [], 0
    for utterance in discovery.utterances:
        job = file_job(utterance.path)
        if done.get(job.path) == (job.size, job.mtime_ns):
            n_done += 1
        else:
            jobs.append(job)
    logger.info("found %d audio files in %s: %d already labelled, %d to label", len(discovery.utterances),
                discovery.root, n_done, len(jobs))
    return jobs, n_done


@task(name="label-batches", cache_policy=NO_CACHE)
def run_batches(client: Client, out_dir: str, batches: list[list[FileJob]], model_dir: str, labels: list[str],
                segmenter: SegmenterConfig, *, block_seconds: float, encoder_path: str | None = None,
                timelines: frozenset[str] = frozenset()) -> list[BatchSummary]:
    """Label the batches on the Dask workers; the files in ``timelines`` also get their timeline PNG."""
    logger = get_run_logger()
    run = new_run_id()
    n_files = sum(len(b) for b in batches)
    summaries: list[BatchSummary] = []
    started = last = time.monotonic()
    logger.info("Dask: %d workers; %d files in %d batches", len(client.scheduler_info()["workers"]), n_files, len(batches))
    futures = client.map(
        LABEL_BATCH, [out_dir] * len(batches), [run] * len(batches), range(len(batches)), batches,
        [model_dir] * len(batches), [segmenter] * len(batches), [block_seconds] * len(batches),
        [encoder_path] * len(batches), [frozenset(j.path for j in b if j.path in timelines) for b in batches],
        key=[f"label-{run}-{i}" for i in range(len(batches))], retries=2,
    )
    batch_of = {future.key: i for i, future in enumerate(futures)}
    next_batch = len(batches)  # batch numbers of files run again one by one
    for future in as_completed(futures):
        i = batch_of.pop(future.key)
        try:
            summaries.append(future.result())
        except KilledWorker:
            logger.warning("batch %d: its workers died; labelling its %d files one by one", i, len(batches[i]))
            summary = _isolate_files(client, out_dir, run, i, batches[i], next_batch, model_dir, labels, segmenter,
                                     block_seconds, encoder_path, timelines)
            next_batch += len(batches[i])
            summaries.append(summary)
        future.release()
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_SECONDS or len(summaries) == len(batches):
            last = now
            done = sum(s.n_ok + s.n_failed for s in summaries)
            audio = sum(s.audio_seconds for s in summaries)
            logger.info("label: %d/%d files, %d failed, %.0f s of audio, %.0fx real time", done, n_files,
                        sum(s.n_failed for s in summaries), audio, audio / max(now - started, 1e-9))
    return summaries


def _isolate_files(client: Client, out_dir: str, run: str, batch: int, jobs: list[FileJob], first_batch: int,
                   model_dir: str, labels: list[str], segmenter: SegmenterConfig, block_seconds: float,
                   encoder_path: str | None, timelines: frozenset[str]) -> BatchSummary:
    """Label each file of a batch whose every worker died as its own batch (numbered from ``first_batch``),
    one after the other; a file whose worker dies on every try (a crash in a decoder, memory exhausted)
    becomes an error row written here, by the driver. Without this, one such file fails the whole run
    at every re-run, and the other files of its batch are never labelled."""
    from labelling.worker import failed_batch  # pandas: only on this rare path

    for leftover in (Path(out_dir) / PARTS).glob(f"{run}-{batch:06d}.*"):  # whatever the dead batch wrote
        leftover.unlink(missing_ok=True)
    parts: list[BatchSummary] = []
    for k, job in enumerate(jobs):
        single = first_batch + k
        future = client.submit(LABEL_BATCH, out_dir, run, single, [job], model_dir, segmenter, block_seconds,
                               encoder_path, timelines & {job.path}, key=f"label-{run}-{single}", retries=2)
        try:
            parts.append(future.result())
        except KilledWorker:
            reason = ("the worker process died on every try while labelling this file "
                      "(a crash in a decoder, or out of memory)")
            parts.append(failed_batch(out_dir, run, single, job, reason, labels))
        future.release()
    return BatchSummary(
        batch, sum(p.n_ok for p in parts), sum(p.n_failed for p in parts), sum(p.audio_seconds for p in parts),
        sum(p.speech_seconds for p in parts), sum(p.cpu_seconds for p in parts), tuple(f for p in parts for f in p.failures),
    )


@task(name="verify-model", cache_policy=NO_CACHE)
def verify_model(client: Client, model_dir: str, encoder_path: str | None = None) -> list[str]:
    """The model's labels, once a worker has loaded and verified it (checksums, feature configuration,
    encoder weights), as every batch will; the worker's EmovoxError (one line) if it is refused."""
    outcome = client.submit(VERIFY_MODEL, model_dir, encoder_path, pure=False).result()
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


@task(name="report", cache_policy=NO_CACHE)
def write_reports(client: Client, out_dir: str, labels: list[str]) -> None:
    """Consolidate the part files and write the archive's summary table and label-shares PNG (on a worker)."""
    client.submit(WRITE_REPORTS, out_dir, labels, pure=False).result()


@flow(name="emovox-label", validate_parameters=True)
def label_flow(
    archive_dir: str,
    out: str,
    model: str = "default",
    workers: int | None = None,
    address: str | None = None,
    files_per_batch: int = 32,
    seconds_per_batch: float = 600.0,
    segment_seconds: float = 4.0,
    overlap_seconds: float = 1.0,
    block_seconds: float = 30.0,
    max_timelines: int = 50,
    encoder_path: str | None = None,
) -> dict:
    """Label every new or changed recording under ``archive_dir`` into ``out`` (resuming)."""
    started = time.monotonic()
    model_dir = resolve_model_dir(model)
    if not 0 <= overlap_seconds < segment_seconds:
        raise UsageError(f"overlap_seconds {overlap_seconds}: must be at least 0 and less than segment_seconds")
    segmenter = SegmenterConfig(segment_seconds=segment_seconds, overlap_seconds=overlap_seconds)
    out_dir = os.path.abspath(out)
    jobs, n_done = plan_labelling(archive_dir, out_dir)  # reads only: while a local cluster's workers start
    # Longest batches first: a long recording started last would keep one worker busy while the others idle.
    batches = sorted(plan_batches(jobs, files_per_batch, seconds_per_batch), key=lambda b: -sum(j.size for j in b))
    timelines = frozenset(sorted(job.path for job in jobs)[:max(max_timelines, 0)])
    with dask_client(address, workers) as client:
        labels = verify_model(client, model_dir, encoder_path)  # before anything is written
        _create_out_dir(out, out_dir)
        summaries = run_batches(client, out_dir, batches, model_dir, labels, segmenter, block_seconds=block_seconds,
                                encoder_path=encoder_path, timelines=timelines) if batches else []
        write_reports(client, out_dir, labels)
    summary = LabelSummary(
        out=out_dir, n_files=len(jobs) + n_done, n_already_done=n_done,
        n_ok=sum(s.n_ok for s in summaries), n_failed=sum(s.n_failed for s in summaries),
        audio_seconds=sum(s.audio_seconds for s in summaries), speech_seconds=sum(s.speech_seconds for s in summaries),
        failures=[f for s in summaries for f in s.failures], wall_seconds=time.monotonic() - started,
    )
    logger = get_run_logger()
    for path, reason in summary.failures[:10]:
        logger.warning("failed: %s: %s", path, reason)
    return asdict(summary)


def _create_out_dir(out: str, out_dir: str) -> None:
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out}: cannot create the folder ({error.strerror or error}); "
                         "give a folder you can write to") from None


def label_command(args) -> int:
    """The work of ``python -m flows.label`` once its arguments are checked (``flows.label.command``) and
    its local workers are starting: label (the flow verifies the model first), print the summary line."""
    summary = LabelSummary(**label_flow(
        archive_dir=args.archive_dir, out=args.out, model=args.model, workers=args.workers, address=args.address,
        files_per_batch=args.files_per_batch, seconds_per_batch=args.seconds_per_batch,
        segment_seconds=args.segment_seconds, overlap_seconds=args.overlap_seconds,
        block_seconds=args.block_seconds, max_timelines=args.max_timelines, encoder_path=args.encoder_path,
    ))
    print(summary.line())
    return _cli.EXIT_OK
