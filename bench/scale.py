"""Does flows.extract scale to 100k files? Throughput and memory at 1k, 10k and 100k files.

    python bench/scale.py [--sizes 1000 10000 100000] [--workers 2] [--source DIR] [--keep]

For each size N it builds a corpus of N files in a temporary folder (hard links, or symbolic links
across file systems, to the files of --source: EMO-DB by default, laid out as EMO-DB in sub-folders
of 535, so discovery, labels and decoding are those of the real corpus), then runs
`python -m flows.extract CORPUS --store <fresh> --workers W` exactly as a user does, while a
background thread samples the memory (RSS) of the command's processes with psutil:

  driver     the command's own process: Prefect client, the flow, and the Dask scheduler of the
             LocalCluster (it runs in-process), the futures, discovery and plan for N files
  worker     each Dask worker process (peak of each, then the highest)
  prefect    Prefect's temporary API server (a subprocess of the driver)

Printed per size: end-to-end wall time; the extraction phase (from the "Dask: N workers" log line to
the last progress line) and its throughput in files/s and seconds of audio per second; the set-up
before it (Prefect start, discovery, plan); peak RSS of the driver, of the workers, and of Prefect's
server; CPU time per file of the workers (all worker processes, summed) and of the driver, which the
machine's other work does not change as it changes wall times (a busy machine slows every wall-clock
figure; the CPU seconds a file costs grow only if the work per file grows with the corpus); the 1-minute
load average at the start and the highest seen during the run. Targets (printed with whether they are met), the 1k run being the anchor measured in the same
invocation: extraction throughput at the largest size within 20 % of the anchor's; worker peak
memory flat (largest/smallest size within 20 %) and under 1 GiB; driver memory bounded (under
1 GiB, and growing by less than 4 KiB per file).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "corpora" / "emodb"
PER_FOLDER = 535
GIB = 2**30

_PROGRESS = re.compile(r"extract: (\d+)/(\d+) files")
_SUMMARY = re.compile(r"emovox extract: (\d+) ok, (\d+) failed, .*?, ([\d.]+) s of audio in ([\d.]+) s")


# ------------------------------------------------------------------------------------------ corpus


def source_files(source: Path | None, scratch: Path) -> list[Path]:
    """The audio files to link to: --source's (sorted), or 200 generated ones when it is absent."""
    if source is not None and source.is_dir():
        files = sorted(p for p in source.rglob("*.wav") if p.is_file())
        if files:
            return files
        sys.exit(f"error: {source}: no .wav files")
    import numpy as np
    import soundfile as sf

    print(f"(no {source}: generating 200 synthetic 2-4 s files as the source)", flush=True)
    pool = scratch / "pool"
    pool.mkdir()
    files = []
    for i in range(200):
        rng = np.random.default_rng(i)
        n = int(16000 * (2 + 2 * rng.random()))
        t = np.arange(n) / 16000
        f0 = 100 + 80 * rng.random() + 20 * np.sin(2 * np.pi * 0.5 * t)
        phase = 2 * np.pi * np.cumsum(f0) / 16000
        x = sum(np.sin(k * phase) / k for k in range(1, 6)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) ** 2
        path = pool / f"{i:03d}.wav"
        sf.write(path, (0.2 * x + 0.003 * rng.standard_normal(n)).astype(np.float32), 16000, subtype="PCM_16")
        files.append(path)
    return files


def build_corpus(folder: Path, files: list[Path], n: int) -> str:
    """``n`` links to ``files`` (cycling) in sub-folders of PER_FOLDER; returns "hard" or "symbolic"."""
    kind = "hard"
    for i in range(n):
        sub = folder / f"set{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            sub.mkdir(parents=True)
        target = files[i % len(files)]
        link = sub / (target.name if len(files) >= PER_FOLDER else f"{i % PER_FOLDER:04d}_{target.name}")
        if kind == "hard":
            try:
                os.link(target, link)
                continue
            except OSError:
                kind = "symbolic"
        os.symlink(target, link)
    return kind


# ------------------------------------------------------------------------------------------ sampling


@dataclass
class Sampler:
    """Peak RSS of the command's processes, sampled every ``interval`` s in a background thread."""

    pid: int
    interval: float = 0.5
    driver: int = 0
    workers: dict[int, int] = field(default_factory=dict)
    prefect: int = 0
    driver_cpu: float = 0.0  # CPU seconds (user + system) of the command's own process
    worker_cpu: dict[int, float] = field(default_factory=dict)  # per worker pid, its last sampled CPU seconds
    prefect_cpu: dict[int, float] = field(default_factory=dict)  # per Prefect server pid, likewise
    max_load: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Sampler":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                self.driver = max(self.driver, root.memory_info().rss)
                times = root.cpu_times()
                self.driver_cpu = times.user + times.system
                self.max_load = max(self.max_load, os.getloadavg()[0])
                children = root.children(recursive=True)
            except psutil.Error:
                break
            for child in children:
                try:
                    cmd = " ".join(child.cmdline())
                    rss = child.memory_info().rss
                    times = child.cpu_times()
                except psutil.Error:
                    continue
                if "spawn_main" in cmd:
                    self.workers[child.pid] = max(self.workers.get(child.pid, 0), rss)
                    self.worker_cpu[child.pid] = times.user + times.system
                elif "prefect" in cmd or "uvicorn" in cmd:
                    self.prefect = max(self.prefect, rss)
                    self.prefect_cpu[child.pid] = times.user + times.system
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------------------ one run


@dataclass
class Result:
    n_files: int
    links: str
    wall: float
    setup: float
    extract: float
    audio_seconds: float
    n_ok: int
    n_failed: int
    driver: int
    worker: int
    n_worker_pids: int
    prefect: int
    load: float  # 1-minute load average at the end of the run: others' work on the machine skews every number
    load_start: float = 0.0
    load_max: float = 0.0
    worker_cpu: float = 0.0  # CPU seconds of all worker processes
    driver_cpu: float = 0.0

    @property
    def worker_ms_per_file(self) -> float:
        return 1000 * self.worker_cpu / self.n_files

    @property
    def driver_ms_per_file(self) -> float:
        return 1000 * self.driver_cpu / self.n_files

    @property
    def files_per_s(self) -> float:
        return self.n_files / self.extract

    @property
    def audio_per_s(self) -> float:
        return self.audio_seconds / self.extract


def run_size(n: int, files: list[Path], scratch: Path, workers: int, rows_per_chunk: int | None) -> Result:
    corpus = scratch / f"corpus-{n}" / "emodb-like"
    started = time.perf_counter()
    links = build_corpus(corpus, files, n)
    print(f"[{n}] corpus of {n} {links} links built in {time.perf_counter() - started:.1f} s; extracting...", flush=True)

    store = scratch / f"store-{n}.zarr"
    env = dict(os.environ, PYTHONPATH=str(REPO), PREFECT_HOME=str(scratch / "prefect-home"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="INFO")  # the phases are timed by the INFO log lines
    command = [sys.executable, "-m", "flows.extract", str(corpus), "--store", str(store), "--workers", str(workers)]
    if rows_per_chunk:
        command += ["--rows-per-chunk", str(rows_per_chunk)]
    log_path = scratch / f"run-{n}.log"
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    sampler = Sampler(proc.pid).start()
    dask_at = last_progress_at = None
    summary = None
    with open(log_path, "w") as log:
        for line in proc.stdout:  # read live: the log lines time the phases
            now = time.perf_counter() - t0
            log.write(line)
            if dask_at is None and "Dask: " in line and " workers" in line:
                dask_at = now
            match = _PROGRESS.search(line)
            if match:
                last_progress_at = now
            if line.startswith("emovox extract:"):
                summary = line.strip()
    proc.wait()
    wall = time.perf_counter() - t0
    sampler.stop()
    if proc.returncode != 0 or summary is None:
        sys.exit(f"error: flows.extract failed on {n} files (exit {proc.returncode}); see {log_path}")
    match = _SUMMARY.search(summary)
    if match is None:
        sys.exit(f"error: unexpected summary line: {summary}")
    n_ok, n_failed, audio = int(match.group(1)), int(match.group(2)), float(match.group(3))
    if dask_at is None or last_progress_at is None:
        sys.exit(f"error: no Dask or progress log lines in {log_path}; are INFO logs switched off?")
    return Result(
        n_files=n, links=links, wall=wall, setup=dask_at, extract=last_progress_at - dask_at,
        audio_seconds=audio, n_ok=n_ok, n_failed=n_failed, driver=sampler.driver,
        worker=max(sampler.workers.values(), default=0), n_worker_pids=len(sampler.workers), prefect=sampler.prefect,
        load=os.getloadavg()[0], load_start=load_start, load_max=sampler.max_load,
        worker_cpu=sum(sampler.worker_cpu.values()), driver_cpu=sampler.driver_cpu,
    )


# ------------------------------------------------------------------------------------------ report


def mib(n: int) -> str:
    return f"{n / 2**20:.0f}"


def report(results: list[Result], workers: int) -> None:
    print()
    print(f"flows.extract --workers {workers}; {os.cpu_count()} cores; RSS peaks in MiB; "
          f"load = 1-min load average at the start / highest / end of the run (above the core count: wall "
          f"times skewed); cpu ms/file = CPU time per file of the workers (summed) and of the driver")
    header = (f"{'files':>7s} {'wall s':>7s} {'setup s':>8s} {'extract s':>10s} {'files/s':>8s} {'audio s/s':>10s} "
              f"{'ok':>7s} {'failed':>6s} {'driver':>7s} {'worker':>7s} {'prefect':>8s} {'cpu ms/file w':>13s} "
              f"{'cpu ms/file d':>13s} {'load':>14s}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.n_files:7d} {r.wall:7.1f} {r.setup:8.1f} {r.extract:10.1f} {r.files_per_s:8.1f} "
              f"{r.audio_per_s:10.0f} {r.n_ok:7d} {r.n_failed:6d} {mib(r.driver):>7s} {mib(r.worker):>7s} "
              f"{mib(r.prefect):>8s} {r.worker_ms_per_file:13.2f} {r.driver_ms_per_file:13.2f} "
              f"{f'{r.load_start:.1f}/{r.load_max:.1f}/{r.load:.1f}':>14s}")
    if len(results) < 2:
        return
    anchor, last = results[0], results[-1]
    ratio = last.files_per_s / anchor.files_per_s
    worker_ratio = last.worker / anchor.worker if anchor.worker else float("nan")
    growth = (last.driver - anchor.driver) / max(1, last.n_files - anchor.n_files)
    cpu_ratio = last.worker_ms_per_file / anchor.worker_ms_per_file if anchor.worker_cpu else float("nan")
    driver_cpu_ratio = last.driver_ms_per_file / anchor.driver_ms_per_file if anchor.driver_cpu else float("nan")
    targets = [
        (f"throughput at {last.n_files} within 20 % of that at {anchor.n_files} (files/s in the extraction phase)",
         f"{ratio:.2f}x", ratio >= 0.8),
        (f"  the same, load-independent: worker CPU per file at {last.n_files} within 20 % of that at {anchor.n_files}",
         f"{cpu_ratio:.2f}x", cpu_ratio <= 1.2),
        (f"  driver CPU per file at {last.n_files} vs {anchor.n_files} (includes fixed start-up, so falls with size)",
         f"{driver_cpu_ratio:.2f}x", driver_cpu_ratio <= 1.2),
        (f"worker peak memory flat ({last.n_files} vs {anchor.n_files} files: within 20 %)",
         f"{worker_ratio:.2f}x", abs(worker_ratio - 1) <= 0.2),
        ("worker peak memory < 1 GiB at every size", f"{mib(max(r.worker for r in results))} MiB",
         all(r.worker < GIB for r in results)),
        ("driver (flow + Dask scheduler) memory bounded: < 1 GiB at every size",
         f"{mib(max(r.driver for r in results))} MiB", all(r.driver < GIB for r in results)),
        ("driver memory grows < 4 KiB per file", f"{growth / 1024:.2f} KiB/file", growth < 4096),
    ]
    print()
    print("targets:")
    for name, value, met in targets:
        print(f"  [{'met' if met else 'NOT MET'}] {name}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="corpus sizes (files)")
    parser.add_argument("--workers", type=int, default=2, help="local Dask workers (default 2)")
    parser.add_argument("--rows-per-chunk", type=int, help="passed on to flows.extract (default: its own)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of .wav files to link to")
    parser.add_argument("--keep", action="store_true", help="keep the corpora, stores and logs (path printed)")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="emovox-scale-"))
    results = []
    try:
        files = source_files(args.source, scratch)
        print(f"source: {len(files)} files ({args.source if args.source.is_dir() else 'generated'}); "
              f"scratch {scratch}", flush=True)
        for n in sorted(args.sizes):
            result = run_size(n, files, scratch, args.workers, args.rows_per_chunk)
            results.append(result)
            print(f"[{n}] {result.wall:.1f} s wall, {result.files_per_s:.1f} files/s, "
                  f"worker peak {mib(result.worker)} MiB, driver peak {mib(result.driver)} MiB", flush=True)
            if not args.keep:  # the next size's corpus and store replace this one's
                shutil.rmtree(scratch / f"corpus-{n}", ignore_errors=True)
                shutil.rmtree(scratch / f"store-{n}.zarr", ignore_errors=True)
        report(results, args.workers)
    finally:
        if args.keep:
            print(f"\nkept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
