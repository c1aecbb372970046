"""Nothing lost (issue 6, the extract half): bad input, crashed workers, interrupted and concurrent runs.

Each ``python -m flows.extract`` costs ~10-15 s (Prefect's local API, a Dask cluster), so the few
command runs here each assert many things, and whatever needs no subprocess runs in-process through
``flows._work.extract_chunk`` and the ``features_store`` API. All audio is generated in tmp_path.

"Equal to a clean run" means: the same rows in the same order (meta, every column, equal) and the
same features bit for bit as a store built in-process, chunk after chunk, with nothing going wrong.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import zarr

import audio_io
import corpora
import features_store
from emovox.errors import StoreError
from features_store import StoreLock, plan_pending_chunks, prepare_store
from features_store.schema import STATUS_ERROR, STATUS_OK, STATUS_PENDING
from featuresets import FeatureExtractor, get_feature_set
from flows._work import extract_chunk, extract_file
from tests.conftest import REPO_ROOT, SHARED_CORPORA
from tests.test_extract_flow import (
    BAD_FILES,
    GOOD_EXTRA,
    ONE_SAMPLE,
    assert_bitwise_equal,
    assert_one_line_error,
    assert_success,
    build_broken_archive,
    describe,
    file_snapshot,
    summary_counts,
)
from tests.test_features_store import fake_results, make_store, utterances

try:
    import psutil  # the bench extra: finds and measures the Dask worker processes
except ImportError:  # pragma: no cover
    psutil = None
needs_psutil = pytest.mark.skipif(psutil is None, reason="psutil is not installed (pip install -e .[bench])")

SR = 16000
#: --block-seconds of the hostile run: the 1-hour file goes through the pipeline in 360 blocks.
HOSTILE_BLOCK_SECONDS = 10.0
DEFAULT_BLOCK_SECONDS = 30.0  # the command's default
LOCKED = "another run is writing to this store"


# ------------------------------------------------------------------------------------------ helpers


def speechlike(seconds: float, sampling_rate: int = SR, seed: int = 0) -> np.ndarray:
    """A voiced, syllable-like float32 signal: a gliding 120 Hz harmonic tone, 3 Hz envelope, pauses, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sampling_rate))) / sampling_rate
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.5 * t) + (10 * seed) % 40
    phase = 2 * np.pi * np.cumsum(f0) / sampling_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) ** 2 * (np.sin(2 * np.pi * 0.25 * t) > -0.3)
    return (0.2 * voiced * envelope + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


@dataclass
class Run:
    """A ``python -m`` command started in its own process group, output going to files."""

    proc: subprocess.Popen
    stdout: Path
    stderr: Path

    def finish(self, timeout: float = 300) -> SimpleNamespace:
        """Wait for the command; returns what ``subprocess.run`` would (returncode, stdout, stderr)."""
        self.proc.wait(timeout=timeout)
        return SimpleNamespace(
            returncode=self.proc.returncode, stdout=self.stdout.read_text(), stderr=self.stderr.read_text()
        )


@pytest.fixture
def launch(tmp_path):
    """``launch(module, *args, cwd=...)`` starts a command; any still running at teardown is killed (its group)."""
    runs: list[Run] = []

    def start(module: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
        n = len(runs)
        out, err = tmp_path / f"run{n}.stdout", tmp_path / f"run{n}.stderr"
        with open(out, "w") as fo, open(err, "w") as fe:
            proc = subprocess.Popen(
                [sys.executable, "-m", module, *args], cwd=cwd, stdout=fo, stderr=fe,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}, start_new_session=True,
            )
        runs.append(Run(proc, out, err))
        return runs[-1]

    yield start
    for run in runs:
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait()


_PREFECT_RECORD = re.compile(r"^\d\d:\d\d:\d\d\.\d+ \| (DEBUG|INFO|WARNING) +\| ")


def assert_error_after_prefect(result, *needles: str) -> str:
    """``assert_one_line_error(..., only_line=False)`` for an error raised inside the flow.

    Prefect keeps logging while the interpreter exits, after ``_cli.run`` printed the error: "Stopping
    temporary server" (INFO) and, on a busy machine, "EventsWorker - Still processing items" (WARNING).
    Those trailing Prefect records are dropped before checking that the error is the last line.
    """
    lines = result.stderr.splitlines()
    while lines and (not lines[-1].strip() or _PREFECT_RECORD.match(lines[-1])):
        lines.pop()
    trimmed = SimpleNamespace(returncode=result.returncode, stdout=result.stdout, stderr="\n".join(lines))
    return assert_one_line_error(trimmed, *needles, only_line=False)


def run_sync(launch, command: tuple[str, ...], cwd: Path) -> SimpleNamespace:
    return launch(*command, cwd=cwd).finish()


def descendants(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def dask_worker_processes(pid: int) -> list:
    """The Dask worker processes below ``pid`` (LocalCluster starts them with multiprocessing's spawn)."""
    workers = []
    for child in descendants(pid):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.Error:
            pass
    return workers


def rows_done(store_path: Path) -> int | None:
    """Rows whose status is committed (ok or error), or None while the store is not readable yet."""
    try:
        return int((features_store.open(store_path).status_codes() != STATUS_PENDING).sum())
    except Exception:  # a poll: the store may not exist yet, or be half created
        return None


def wait_for_rows(run: Run, store_path: Path, at_least: int, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            raise AssertionError(f"the run ended before {at_least} rows were written\n{describe(run.finish())}")
        done = rows_done(store_path)
        if done is not None and done >= at_least:
            return done
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} rows written after {timeout} s")


class PeakRSS(threading.Thread):
    """Samples the resident memory of ``pid``'s Dask worker processes until stopped; ``peak`` per pid (bytes)."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak: dict[int, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            for worker in dask_worker_processes(self.pid):
                try:
                    rss = worker.memory_info().rss
                except psutil.Error:
                    continue
                self.peak[worker.pid] = max(self.peak.get(worker.pid, 0), rss)
            self._stop_event.wait(self.interval)

    def stop(self) -> dict[int, int]:
        self._stop_event.set()
        self.join()
        return self.peak


def build_in_process(corpus: Path, store_path: Path, rows_per_chunk: int, block_seconds: float = DEFAULT_BLOCK_SECONDS):
    """The clean run: discover, plan and extract chunk after chunk in this process (no Prefect, no Dask)."""
    config = get_feature_set("default")
    discovery = corpora.discover(str(corpus))
    store = prepare_store(
        store_path, feature_set=config.name, feature_config=config.to_dict(), feature_hash=config.feature_hash,
        feature_names=FeatureExtractor(config).feature_names, rows_per_chunk=rows_per_chunk,
    )
    jobs, _ = plan_pending_chunks(store, discovery.utterances, source={"root": discovery.root, "format": discovery.format})
    for job in jobs:
        extract_chunk(str(store_path), job, config.to_dict(), block_seconds)
    return features_store.open(store_path)


def assert_same_as_clean(store_path: Path, clean) -> None:
    """Same rows (every meta column), no duplicates, same features bit for bit."""
    got = features_store.open(store_path)
    meta = got.meta
    assert meta.id.is_unique and meta.path.is_unique, "duplicate rows"
    assert (meta.id != "").all(), "nameless rows"
    pd.testing.assert_frame_equal(meta, clean.meta)
    assert_bitwise_equal(got.features[:].ravel(), clean.features[:].ravel(), f"features of {store_path}")


# ------------------------------------------------------------------------ the reference corpus (2-4)

ROWS_PER_CHUNK = 4  # many small chunks: a run is long enough, in chunks, to be hit in the middle


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """(corpus folder, clean store) for the fault runs: EMO-DB when present, else a generated corpus of the same size."""
    emodb = SHARED_CORPORA / "emodb"
    if emodb.is_dir():
        corpus = emodb
    else:
        corpus = tmp_path_factory.mktemp("generated") / "archive"
        corpus.mkdir()
        for i in range(535):
            sf.write(corpus / f"utt{i:04d}.wav", speechlike(1.5 + (i % 9) / 4, seed=i), SR, subtype="PCM_16")
    clean = build_in_process(corpus, tmp_path_factory.mktemp("clean") / "clean.zarr", ROWS_PER_CHUNK)
    assert (clean.meta.status == "ok").all()
    return corpus, clean


def fault_command(corpus: Path, store: Path) -> tuple[str, ...]:
    return ("flows.extract", str(corpus), "--store", str(store), "--workers", "2", "--rows-per-chunk", str(ROWS_PER_CHUNK))


# ------------------------------------------------------------------------------- 1. hostile corpus

#: good file -> why it is here; every one must come out ok, bit for bit as extracted alone.
ODD_BUT_GOOD = {
    "silence.wav": "pure digital silence",
    "dc_only.wav": "a constant (pure DC) signal",
    "dc_offset.wav": "speech riding on a +0.4 DC offset",
    "clipped.wav": "speech driven into full-scale clipping",
    "pcm_u8.wav": "8-bit unsigned PCM",
    "pcm_24.wav": "24-bit PCM",
    "float32.wav": "32-bit float",
    "rate_8k.wav": "8 kHz",
    "rate_96k.wav": "96 kHz",
    "six_channels.wav": "6 channels",
    "speech.ogg": "Ogg Vorbis",
    "speech.flac": "FLAC",
    "speech.mp3": "MP3",
    "one_hour.wav": "one hour, 16 kHz 16-bit (115 MB)",
    "with spaces in the name.wav": "spaces",
    "ünïcödé 日本語 🎙.wav": "unicode",
    "it's \"quoted\".wav": "quotes",
    "link_to_speech.wav": "a symbolic link to a good file",
}
#: bad file -> what its error must name (beyond the ones build_broken_archive makes).
HOSTILE_BAD = {
    "pos_inf.wav": "infinite",
    "neg_inf.wav": "infinite",
    "ten_ms.wav": "too short",
    "loop_a.wav": "symbolic link loop",
    "loop_b.wav": "symbolic link loop",
}
IS_ROOT = os.geteuid() == 0


def write_one_hour(path: Path) -> None:
    """3600 s of 16 kHz 16-bit speech-like audio, written 10 s at a time (never whole in memory)."""
    pattern = speechlike(10.0, seed=3)
    with sf.SoundFile(path, "w", SR, 1, "PCM_16", format="WAV") as f:
        for _ in range(360):
            f.write(pattern)


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory):
    """(folder, good names -> why, bad names -> cause): build_broken_archive's files plus the issue's list."""
    root = tmp_path_factory.mktemp("hostile") / "archive"
    build_broken_archive(root)  # 4 FLACs, GOOD_EXTRA, empty, noise, truncated, header only, dir.wav, NaN, one sample
    speech = speechlike(2.0)
    good = dict(ODD_BUT_GOOD)
    bad = {**BAD_FILES, ONE_SAMPLE: "too short", **HOSTILE_BAD}

    def write(name: str, data: np.ndarray, rate: int = SR, **kw) -> None:
        sf.write(root / name, data, rate, **kw)

    write("silence.wav", np.zeros(2 * SR, np.float32), subtype="PCM_16")
    write("dc_only.wav", np.full(2 * SR, 0.5, np.float32), subtype="PCM_16")
    write("dc_offset.wav", 0.5 * speech + 0.4, subtype="PCM_16")
    write("clipped.wav", np.clip(20 * speech, -1.0, 1.0), subtype="PCM_16")
    write("pcm_u8.wav", speech, subtype="PCM_U8")
    write("pcm_24.wav", speech, subtype="PCM_24")
    write("float32.wav", speech, subtype="FLOAT")
    write("rate_8k.wav", speechlike(2.0, 8000, seed=1), 8000, subtype="PCM_16")
    write("rate_96k.wav", speechlike(2.0, 96000, seed=2), 96000, subtype="PCM_16")
    write("six_channels.wav", np.stack([speech * (c + 1) / 6 for c in range(6)], axis=1), subtype="PCM_16")
    write("speech.ogg", speech, format="OGG", subtype="VORBIS")
    write("speech.flac", speech, format="FLAC", subtype="PCM_16")
    try:
        write("speech.mp3", speech, format="MP3")
    except (sf.LibsndfileError, ValueError, TypeError) as error:
        (root / "speech.mp3").unlink(missing_ok=True)
        del good["speech.mp3"]
        warnings.warn(f"no MP3 in the hostile corpus: this libsndfile cannot write MP3 ({error})", stacklevel=1)
    write_one_hour(root / "one_hour.wav")
    for name in ("with spaces in the name.wav", "ünïcödé 日本語 🎙.wav", "it's \"quoted\".wav"):
        write(name, speechlike(1.5, seed=len(name)), subtype="PCM_16")
    os.symlink("speech.flac", root / "link_to_speech.wav")

    for name, value in (("pos_inf.wav", np.inf), ("neg_inf.wav", -np.inf)):
        samples = speech.copy()
        samples[1000] = value
        write(name, samples, subtype="FLOAT")
    write("ten_ms.wav", speech[: SR // 100], subtype="PCM_16")
    os.symlink("loop_b.wav", root / "loop_a.wav")
    os.symlink("loop_a.wav", root / "loop_b.wav")
    if not IS_ROOT:  # root reads through any mode bits: test_unreadable_file_is_an_error_row simulates it
        write("unreadable.wav", speech, subtype="PCM_16")
        (root / "unreadable.wav").chmod(0)
        bad["unreadable.wav"] = "permission denied"
    good.update({p.name: "a RAVDESS example" for p in root.glob("*.flac") if p.name != "speech.flac"})
    good[GOOD_EXTRA] = "unicode and quotes (test_extract_flow)"
    yield root, good, bad
    (root / "one_hour.wav").unlink()  # 115 MB: not worth keeping in pytest's last three basetemps


@pytest.mark.slow
@needs_psutil
def test_hostile_corpus_loses_nothing(hostile_corpus, launch, tmp_path):
    """Bad files become error rows naming the cause; odd but valid files come out exactly as alone."""
    root, good, bad = hostile_corpus
    store_path = tmp_path / "hostile.zarr"
    run = launch(
        "flows.extract", str(root), "--store", str(store_path), "--workers", "2", "--rows-per-chunk", "4",
        "--block-seconds", str(HOSTILE_BLOCK_SECONDS), cwd=tmp_path,
    )
    sampler = PeakRSS(run.proc.pid)
    sampler.start()
    # Meanwhile (Prefect takes seconds to start), each good file alone, in this process.
    extractor = FeatureExtractor(get_feature_set("default"))
    alone = {name: extract_file(extractor, str(root / name), block_seconds=HOSTILE_BLOCK_SECONDS) for name in good}
    result = run.finish()
    peaks = sampler.stop()
    summary = assert_success(result)
    assert summary_counts(summary) == f"{len(good)} ok, {len(bad)} failed, 0 already done", summary

    store = features_store.open(store_path)
    meta = store.meta.set_index("id")
    assert sorted(meta.index) == sorted([*good, *bad]), "exactly the audio-named entries, hidden ones and notes.txt left out"
    features = store.features[:]
    row_of = {uid: i for i, uid in enumerate(store.meta.id)}

    for name, why in good.items():
        row = meta.loc[name]
        assert row.status == "ok" and row.error == "", (name, why, row.to_dict())
        assert row.path == str(root / name), f"{name}: the path survives the store"
        vector, duration = alone[name]
        assert np.isfinite(features[row_of[name]]).all(), (name, why)
        assert_bitwise_equal(features[row_of[name]], vector, f"{name} ({why})")
        assert row.duration == pytest.approx(duration, rel=1e-6), name
    assert meta.loc["one_hour.wav"].duration == pytest.approx(3600.0)

    for name, cause in bad.items():
        row = meta.loc[name]
        assert row.status == "error", (name, row.to_dict())
        assert cause.lower() in row.error.lower(), f"{name}: error {row.error!r} does not name {cause!r}"
        assert "\n" not in row.error and "Traceback" not in row.error, row.error
        assert np.isnan(features[row_of[name]]).all(), f"{name}: an error row holds NaN features"
    assert "25 ms frame" in meta.loc["ten_ms.wav"].error, meta.loc["ten_ms.wav"].error

    # The one-hour file went through the workers in 10 s blocks. Its frame-level descriptors
    # (n_frames x n_lld float32, ~0.35 GB per hour, plus copies) are held until the functionals:
    # that, not the decoding (see test_one_hour_file_is_decoded_in_blocks), sets the peak.
    assert len(peaks) >= 2, f"no Dask worker processes seen: {peaks}"
    print(f"hostile run: worker peak RSS {sorted(round(v / 2**20) for v in peaks.values())} MiB")
    assert max(peaks.values()) < 3 * 2**30, f"worker peak RSS {max(peaks.values()) / 2**20:.0f} MiB"


def test_one_hour_file_is_decoded_in_blocks(hostile_corpus):
    """Decoding 1 h of audio in 10 s blocks allocates a few blocks, never the file (230 MB as float32)."""
    root, _, _ = hostile_corpus
    tracemalloc.start()
    try:
        n_samples = 0
        for block in audio_io.iter_blocks(root / "one_hour.wav", block_seconds=HOSTILE_BLOCK_SECONDS):
            assert len(block) <= HOSTILE_BLOCK_SECONDS * SR
            n_samples += len(block)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n_samples == 3600 * SR
    assert peak < 16 * 2**20, f"decoding peaked at {peak / 2**20:.0f} MiB"


def test_unreadable_file_is_an_error_row(tmp_path, monkeypatch):
    """A file that cannot be read is an error row saying so; the chunk's other file is unaffected.

    As root, mode bits do not stop a read, so the refusal is simulated: ``os.open`` of that file
    raises EACCES, as it does for another user.
    """
    archive = tmp_path / "archive"
    archive.mkdir()
    sf.write(archive / "good.wav", speechlike(1.0), SR, subtype="PCM_16")
    sf.write(archive / "unreadable.wav", speechlike(1.0, seed=5), SR, subtype="PCM_16")
    unreadable = str(archive / "unreadable.wav")
    if IS_ROOT:
        real_open = os.open

        def refusing_open(path, flags, *args, **kwargs):
            if os.fspath(path) == unreadable:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    else:
        os.chmod(unreadable, 0)
    store = build_in_process(archive, tmp_path / "s.zarr", rows_per_chunk=2)
    meta = store.meta.set_index("id")
    assert meta.loc["good.wav"].status == "ok"
    row = meta.loc["unreadable.wav"]
    assert row.status == "error" and "permission denied" in row.error, row.to_dict()


def test_unexpected_exception_costs_only_its_file(tmp_path, monkeypatch):
    """A kernel raising something unforeseen (RuntimeError, MemoryError on a recording too long for the
    worker) is that file's error row; before, it failed the whole chunk, at every re-run."""
    import flows._work as work

    archive = tmp_path / "archive"
    archive.mkdir()
    for name in ("a.wav", "b_runtime.wav", "c.wav", "d_memory.wav"):
        sf.write(archive / name, speechlike(1.0, seed=len(name)), SR, subtype="PCM_16")
    real_extract_file = work.extract_file

    def tripping(extractor, path, **kwargs):
        if path.endswith("_runtime.wav"):
            raise RuntimeError("numba kernel:\nunexpected state")
        if path.endswith("_memory.wav"):
            raise MemoryError()
        return real_extract_file(extractor, path, **kwargs)

    monkeypatch.setattr(work, "extract_file", tripping)
    store = build_in_process(archive, tmp_path / "s.zarr", rows_per_chunk=4)  # one chunk for all four
    meta = store.meta.set_index("id")
    assert list(meta.status) == ["ok", "error", "ok", "error"], meta.to_dict()
    assert meta.loc["b_runtime.wav"].error == "extraction failed: RuntimeError: numba kernel: unexpected state"
    assert meta.loc["d_memory.wav"].error.startswith("extraction failed: out of memory"), meta.loc["d_memory.wav"].error


# ---------------------------------------------------------------------- 2. a Dask worker is killed


@pytest.mark.slow
@needs_psutil
def test_killed_worker_loses_nothing(reference, launch, tmp_path):
    """SIGKILL one of two workers mid-run: Dask re-runs its chunk, the result equals a clean run's."""
    corpus, clean = reference
    store_path = tmp_path / "killed-worker.zarr"
    run = launch(*fault_command(corpus, store_path), cwd=tmp_path)
    wait_for_rows(run, store_path, at_least=2 * ROWS_PER_CHUNK)
    workers = dask_worker_processes(run.proc.pid)
    assert len(workers) == 2, [w.cmdline() for w in workers]
    victim = workers[0]
    victim.kill()
    victim.wait(timeout=30)
    done_at_kill = rows_done(store_path)
    assert done_at_kill is not None and done_at_kill < clean.n_rows, "the run had finished before the worker was killed"

    summary = assert_success(run.finish())
    assert summary_counts(summary) == f"{clean.n_rows} ok, 0 failed, 0 already done", summary
    assert_same_as_clean(store_path, clean)


#: Loaded by every Python process of the run (the command and each Dask worker): opening a file
#: named poison.wav ends the process at once, as a crash in a decoder (or the OOM killer) would.
POISON_SITECUSTOMIZE = """
import os
_open = os.open

def open_or_crash(path, *args, **kwargs):
    if os.fspath(path).endswith("poison.wav"):
        os._exit(139)
    return _open(path, *args, **kwargs)

os.open = open_or_crash
"""


@pytest.mark.slow
def test_file_that_kills_every_worker_becomes_an_error_row(launch, tmp_path):
    """A file whose worker dies every time (segfault, OOM) must not fail the run at every re-run, nor
    cost the other files of its chunk: it becomes an error row, its chunk mates are extracted."""
    corpus = tmp_path / "archive"
    corpus.mkdir()
    for i in range(7):
        sf.write(corpus / f"a{i}.wav", speechlike(1.0, seed=i), SR, subtype="PCM_16")
    sf.write(corpus / "poison.wav", speechlike(1.0, seed=9), SR, subtype="PCM_16")  # last: chunk 1 with a4..a6
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(POISON_SITECUSTOMIZE)
    store_path = tmp_path / "poison.zarr"
    run = launch(
        "flows.extract", str(corpus), "--store", str(store_path), "--workers", "2", "--rows-per-chunk", "4",
        cwd=tmp_path, env={
            "PYTHONPATH": f"{site}{os.pathsep}{REPO_ROOT}",
            # Dask's default gives a task 3 dead workers more; 0 keeps this test to two deaths.
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
        },
    )
    summary = assert_success(run.finish())
    assert summary_counts(summary) == "7 ok, 1 failed, 0 already done", summary

    store = features_store.open(store_path)
    meta = store.meta.set_index("id")
    row = meta.loc["poison.wav"]
    assert row.status == "error" and "worker process died" in row.error, row.to_dict()
    extractor = FeatureExtractor(get_feature_set("default"))
    features = store.features[:]
    for i, uid in enumerate(store.meta.id):
        if uid != "poison.wav":
            assert meta.loc[uid].status == "ok", (uid, meta.loc[uid].to_dict())
            assert_bitwise_equal(features[i], extract_file(extractor, str(corpus / uid), block_seconds=30.0)[0], uid)


# ------------------------------------------------------------------- 3. the whole run is killed


@pytest.mark.slow
@needs_psutil
def test_killed_run_resumes_to_a_clean_store(reference, launch, tmp_path):
    """SIGKILL the command's process group mid-write: the store opens, holds only finished rows, and a
    re-run completes it to exactly a clean run's store."""
    corpus, clean = reference
    store_path = tmp_path / "killed-run.zarr"
    command = fault_command(corpus, store_path)
    run = launch(*command, cwd=tmp_path)
    wait_for_rows(run, store_path, at_least=3 * ROWS_PER_CHUNK)
    processes = [psutil.Process(run.proc.pid), *descendants(run.proc.pid)]
    os.killpg(run.proc.pid, signal.SIGKILL)
    run.proc.wait(timeout=30)
    _, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive, f"processes outlived SIGKILL of the group: {[p.pid for p in alive]}"

    # The interrupted store opens and reads; rows are done (and then exactly as clean) or pending.
    store = features_store.open(store_path)
    codes = store.status_codes()
    ok = codes == STATUS_OK
    n_done = int(ok.sum())
    assert 0 < n_done < clean.n_rows, f"{n_done} rows done: the kill did not land mid-run"
    assert not (codes == STATUS_ERROR).any()
    features = store.features[:]
    clean_features = clean.features[:]
    assert np.isfinite(features[ok]).all(), "a row marked ok holds non-finite features"
    assert_bitwise_equal(features[ok].ravel(), clean_features[ok].ravel(), "rows done before the kill")
    pd.testing.assert_frame_equal(store.meta[ok].reset_index(drop=True), clean.meta[ok].reset_index(drop=True))

    # Zarr writes each chunk to "<key>.<hex>.partial" and renames it: a kill leaves at most such
    # leftovers, never a torn chunk. Plant torn ones (a half-written features chunk where rows are
    # done; an "all ok" status chunk where rows are pending): they must never be read as data.
    done_chunk = int(np.flatnonzero(ok)[0]) // ROWS_PER_CHUNK
    pending_chunk = int(np.flatnonzero(~ok)[-1]) // ROWS_PER_CHUNK
    good_chunk = store_path / "features" / "c" / str(done_chunk) / "0"
    (good_chunk.parent / "0.0badc0de.partial").write_bytes(good_chunk.read_bytes()[:10])
    (store_path / "meta" / "status" / "c" / f"{pending_chunk}.0badc0de.partial").write_bytes(bytes([STATUS_OK]) * 16)
    again = features_store.open(store_path)
    np.testing.assert_array_equal(again.status_codes(), codes)
    assert_bitwise_equal(again.features[:].ravel(), features.ravel(), "features with torn leftovers beside them")

    # The lock died with the run; the same command finishes the job.
    summary = assert_success(run_sync(launch, command, tmp_path))
    assert summary_counts(summary) == f"{clean.n_rows - n_done} ok, 0 failed, {n_done} already done", summary
    assert_same_as_clean(store_path, clean)


# ------------------------------------------------------------------ 4. two runs on the same store


@pytest.mark.slow
def test_concurrent_runs_on_one_store(reference, launch, tmp_path):
    """Two runs at once: one does the work, the other refuses in one line (or, started late enough,
    finds nothing to do); the store equals a clean run's, and a later re-run is a no-op."""
    corpus, clean = reference
    store_path = tmp_path / "shared.zarr"
    command = fault_command(corpus, store_path)
    first, second = launch(*command, cwd=tmp_path), launch(*command, cwd=tmp_path)
    results = [first.finish(), second.finish()]
    winners = [r for r in results if r.returncode == 0]
    assert winners, "neither run succeeded\n" + "\n".join(describe(r) for r in results)
    summaries = [assert_success(r) for r in winners]
    full = f"{clean.n_rows} ok, 0 failed, 0 already done"
    assert [summary_counts(s) for s in summaries].count(full) == 1, summaries
    if len(winners) == 1:
        loser = next(r for r in results if r.returncode != 0)
        assert_error_after_prefect(loser, str(store_path), LOCKED)
    else:  # the other took the lock only after the first had released it
        assert any("nothing to do" in s for s in summaries), summaries
    assert_same_as_clean(store_path, clean)

    # Deterministic refusals while this test process holds the lock: an existing store is refused
    # before Prefect starts; a store not yet created is refused inside the flow, before any write.
    snapshot = file_snapshot(store_path)
    fresh = tmp_path / "fresh.zarr"
    fresh.mkdir()
    with StoreLock(store_path):
        refused = run_sync(launch, command, tmp_path)
    assert_one_line_error(refused, str(store_path), LOCKED, f"pid {os.getpid()}")
    assert file_snapshot(store_path) == snapshot, "a refused run changed the store"
    with StoreLock(fresh):
        in_flow = launch(*fault_command(corpus, fresh), cwd=tmp_path)
        rerun = launch(*command, cwd=tmp_path)  # meanwhile, the lock of the shared store is free again
        in_flow_result = in_flow.finish()
    assert_error_after_prefect(in_flow_result, str(fresh), LOCKED)
    assert sorted(p.name for p in fresh.iterdir()) == [".emovox-lock"], "a refused run wrote to the store"
    summary = assert_success(rerun.finish())
    assert "nothing to do" in summary and f"all {clean.n_rows} files" in summary, summary
    assert_same_as_clean(store_path, clean)


# ---------------------------------------------------------------- in-process: crashes in the driver


class Killed(BaseException):
    """Stands for SIGKILL at a chosen point: nothing after it runs (not even except Exception)."""


def killed(*args, **kwargs):
    raise Killed()


def test_store_killed_while_being_created_is_created_again(tmp_path, monkeypatch):
    """A run killed before the store's provenance was written leaves its skeleton; the next run must
    not refuse it as "not an emovox feature store" for ever, but create the store afresh."""
    import features_store.writer as writer

    path = tmp_path / "s.zarr"
    with monkeypatch.context() as patch:
        patch.setattr(writer, "_now", killed)  # called just before the provenance is written
        with pytest.raises(Killed):
            make_store(path)
    assert (path / "zarr.json").is_file() and (path / "features").is_dir()
    with pytest.raises(StoreError):
        features_store.open(path)  # not a store yet: readers refuse it
    store = make_store(path)  # the next run
    jobs, done = plan_pending_chunks(store, utterances(6), source={"root": "/x"})
    fake_results(str(path), jobs)
    assert (features_store.open(path).meta.status == "ok").all() and done == 0

    # Only a skeleton is taken over: another Zarr group without our provenance is still refused.
    foreign = tmp_path / "foreign.zarr"
    zarr.open_group(str(foreign), mode="w").create_array("other", shape=(3,), dtype="float32")
    with pytest.raises(StoreError, match="not an emovox feature store"):
        make_store(foreign)


@pytest.mark.parametrize("killed_at", ["third resize", "naming the rows"])
def test_store_killed_while_growing(tmp_path, monkeypatch, killed_at):
    """A run killed while adding rows (between resizing the arrays, or before naming the new rows)
    leaves a readable store, and the next run fills exactly the new rows: no nameless or duplicate rows."""
    import features_store.writer as writer

    path = tmp_path / "s.zarr"
    first = utterances(6)
    jobs, _ = plan_pending_chunks(make_store(path), first, source={"root": "/x"})
    fake_results(str(path), jobs)
    everything = first + utterances(5, start=6)

    with monkeypatch.context() as patch:
        if killed_at == "third resize":
            calls = []
            real_resize = zarr.Array.resize

            def resize(self, *args, **kwargs):
                calls.append(self.path)
                if len(calls) == 3:
                    raise Killed()
                return real_resize(self, *args, **kwargs)

            patch.setattr(zarr.Array, "resize", resize)
        else:
            patch.setattr(writer, "_write_static_columns", killed)
        with pytest.raises(Killed):
            plan_pending_chunks(make_store(path), everything, source={"root": "/x"})

    interrupted = features_store.open(path)
    meta = interrupted.meta  # readable, as long as `features`, though some columns are shorter
    assert len(meta) == interrupted.n_rows == 11
    assert list(meta.status[:6]) == ["ok"] * 6 and set(meta.status[6:]) == {"pending"}

    store = make_store(path)  # the next run
    jobs, done = plan_pending_chunks(store, everything, source={"root": "/x"})
    assert done == 6 and sorted(r for j in jobs for r in j.rows) == list(range(6, 11))
    fake_results(str(path), jobs)
    final = features_store.open(path)
    assert final.meta.id.tolist() == [u.id for u in everything]
    assert (final.meta.status == "ok").all()
    assert all(array.shape[0] == 11 for array in (final.features, final.meta_array("id"), final.meta_array("status")))


# ---------------------------------------------------------------- 5. bad parameters and paths


@pytest.mark.slow
def test_bad_paths_and_parameters_fail_in_one_line(tmp_path):
    """The cases test_extract_flow.test_bad_input_fails_with_one_line does not cover (run concurrently)."""
    from tests.conftest import EXAMPLES, run_module

    corpus = str(EXAMPLES / "ravdess")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    under_file = a_file / "s.zarr"
    no_columns = tmp_path / "no-columns"
    no_columns.mkdir()
    (no_columns / "manifest.csv").write_text("file,emotion\na.wav,angry\n")
    escaping = tmp_path / "escaping"
    (escaping / "audio").mkdir(parents=True)
    flac = next((EXAMPLES / "ravdess").rglob("*.flac"))
    shutil.copy(flac, escaping / "audio" / flac.name)
    (escaping / "manifest.csv").write_text(f"path,label\naudio/{flac.name},angry\n../a-file,happy\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    store = str(tmp_path / "never.zarr")
    cases = {  # name: (arguments, what the error line names, exactly one stderr line?)
        # Found before Prefect starts: one line, in about a second.
        "store under a regular file": ((corpus, "--store", str(under_file)), (str(under_file), "is a file, not a folder"), True),
        "block seconds nan": ((corpus, "--block-seconds", "nan"), ("--block-seconds", "nan"), True),
        "block seconds inf": ((corpus, "--block-seconds", "inf"), ("--block-seconds", "inf"), True),
        "block seconds negative": ((corpus, "--block-seconds", "-1"), ("--block-seconds", "-1"), True),
        "rows per chunk zero": ((corpus, "--rows-per-chunk", "0"), ("--rows-per-chunk", "0"), True),
        # Found inside the flow, after Prefect's start-up lines: the error is the last line.
        "manifest without its columns": (
            (str(no_columns), "--store", store), (str(no_columns / "manifest.csv"), "lacks required column(s) path, label"), False),
        "manifest path escaping its folder": (
            (str(escaping / "manifest.csv"), "--store", store), ("row 3", "../a-file", "outside the manifest's folder"), False),
    }
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        futures = {name: pool.submit(run_module, "flows.extract", *args, cwd=cwd) for name, (args, _, _) in cases.items()}
        results = {name: future.result() for name, future in futures.items()}
    for name, (args, needles, only_line) in cases.items():
        try:
            if only_line:
                assert_one_line_error(results[name], *needles)
            else:
                assert_error_after_prefect(results[name], *needles)
        except AssertionError as error:
            raise AssertionError(f"case {name!r} (python -m flows.extract {' '.join(args)}): {error}") from None
    assert list(cwd.iterdir()) == [], "a failed run left a store behind"
    assert not Path(store).exists()


def test_store_in_a_folder_nobody_can_write():
    """/proc takes no new folders, even from root (for whom os.access says yes): a StoreError, which
    the command prints as one line like any other (see the manifest cases above)."""
    path = Path(f"/proc/emovox-test-{os.getpid()}.zarr")
    if not Path("/proc").is_dir():
        pytest.skip("no /proc on this system")
    with pytest.raises(StoreError, match="cannot create the store|permission denied|not writable"):
        features_store.check_store_target(path, feature_set="default", feature_hash="h")
        features_store.ensure_store_folder(path)
    assert not path.exists()
