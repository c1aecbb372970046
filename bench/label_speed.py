"""Throughput of the label flow on an archive of long recordings, with 1 and 2 Dask workers.

    python bench/label_speed.py [--files 50] [--minutes 5 20] [--workers 1 2] [--format wav|flac] [--profile]
                                [--server] [--repeats 1] [--against CHECKOUT]

The archive: ``--files`` recordings of ``--minutes MIN MAX`` minutes each (uniform, seeded), made by
concatenating EMO-DB and RAVDESS utterances (../shared/corpora) in random order with pauses of
0.3-4 s of faint noise (-70 dBFS) between them, written as 16 kHz 16-bit WAV (or FLAC). It is built
once and cached in ~/.cache/emovox-bench/ (the folder name holds its parameters).

Rows printed (seconds of audio per second):
  anchor     three recordings (--anchor-files) labelled in this process through the worker code path
             (labelling.worker.label_file: decoding, VAD, segment features, SVM), model loaded and JIT
             warm; audio seconds per CPU second of this process: what one core can do
  flow Nw    `python -m flows.label ARCHIVE --model default --out <fresh> --workers N`, end to end as a
             user runs it (Python and Prefect start, Dask cluster start, discovery, labelling, writing
             parts, consolidation, reports); per wall second, and per wall second per worker ("per core")
The labelling phase alone (from the flow's "Dask: N workers" log line to its last progress line) is
shown beside it. Peak RSS of each Dask worker process (psutil, sampled every 0.5 s, as bench/scale.py
does) and of the driver. Load averages are printed: other jobs on the machine skew every figure.
Targets: >= 500x real time per core end to end; 2 workers >= 1.7x one worker. ``--server`` runs
both against one Prefect server started by the benchmark (an operator's setup: a nightly deployment
talks to its server) instead of each command starting Prefect's temporary one (~10-20 s each).
``--repeats N`` runs each worker count N times, interleaved (1w, 2w, 1w, 2w, ...) so they see the same
machine load, and reports the run of median wall time of each (every wall time is listed too).
``--against CHECKOUT`` also runs every flow from another checkout of emovox (a ``git worktree`` of an
earlier commit, say), interleaved with this one's runs, and prints their medians side by side: a
change measured against its baseline in one run, under the same load.
``--profile`` adds a cProfile of the anchor grouped by stage.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import Sampler  # noqa: E402  (bench/scale.py: peak RSS and CPU of a command's processes)


CORPORA = REPO.parent / "shared" / "corpora"
CACHE = Path.home() / ".cache" / "emovox-bench"
RATE = 16000
ARCHIVE_VERSION = 1  # bump when the way the archive is built changes

_SUMMARY = re.compile(r"emovox label: (\d+) ok, (\d+) failed, .*?\(([\d.]+) s of audio, ([\d.]+) s of speech, in ([\d.]+) s")
_PROGRESS = re.compile(r"label: (\d+)/(\d+) files")


# ------------------------------------------------------------------------------------------ archive


def corpus_files() -> list[Path]:
    files = sorted((CORPORA / "emodb").rglob("*.wav")) + sorted((CORPORA / "ravdess").rglob("*.flac"))
    if not files:
        sys.exit(f"error: no EMO-DB or RAVDESS files under {CORPORA}; see ../shared/corpora/README.md")
    return files


def build_archive(n_files: int, minutes: tuple[float, float], fmt: str, seed: int) -> Path:
    """The cached archive folder for these parameters, built first if missing."""
    import soundfile as sf

    import audio_io

    name = f"label-archive-v{ARCHIVE_VERSION}-{n_files}x{minutes[0]:g}-{minutes[1]:g}min-{fmt}-seed{seed}"
    folder = CACHE / name
    if (folder / "complete.json").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    tmp = CACHE / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    print(f"building the archive {folder} (once; cached) ...", flush=True)
    started = time.perf_counter()
    sources = [audio_io.load(p, sampling_rate=RATE) for p in corpus_files()]
    sources = [(np.clip(x, -1, 1) * 32767).astype(np.int16) for x in sources if len(x)]
    rng = np.random.default_rng(seed)
    total = 0.0
    for i in range(n_files):
        target = int(rng.uniform(*minutes) * 60 * RATE)
        path = tmp / f"recording_{i:04d}.{fmt}"
        with sf.SoundFile(path, "w", samplerate=RATE, channels=1, subtype="PCM_16", format=fmt.upper()) as out:
            written = 0
            while written < target:
                pause = (rng.standard_normal(int(rng.uniform(0.3, 4.0) * RATE)) * 10 ** (-70 / 20) * 32767).astype(np.int16)
                piece = np.concatenate([pause, sources[rng.integers(len(sources))]])[: target - written]
                out.write(piece)
                written += len(piece)
        total += target / RATE
    (tmp / "complete.json").write_text(json.dumps({"files": n_files, "audio_seconds": total, "minutes": minutes,
                                                   "format": fmt, "seed": seed}))
    os.replace(tmp, folder)
    print(f"archive built: {n_files} files, {total / 3600:.2f} h of audio, in {time.perf_counter() - started:.0f} s",
          flush=True)
    return folder


def archive_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".wav", ".flac"))


# ------------------------------------------------------------------------------------------ anchor


def anchor(paths: list[Path], profile: bool) -> tuple[float, float, float, pstats.Stats | None]:
    """(audio seconds, CPU seconds, wall seconds) of labelling ``paths`` in-process (worker code path)."""
    from labelling.model_cache import model_and_extractor
    from labelling.model_dir import resolve_model_dir
    from labelling.jobs import SegmenterConfig
    from labelling.worker import label_file

    model, extractor = model_and_extractor(resolve_model_dir("default"))
    config = SegmenterConfig()
    warm = archive_files(paths[0].parent)[-1]
    # JIT warm-up: a minute of the last file
    import audio_io

    with tempfile.TemporaryDirectory() as tmp:
        first = next(audio_io.iter_blocks(warm, sampling_rate=RATE, block_seconds=60.0))
        import soundfile as sf

        sf.write(Path(tmp) / "warm.wav", first, RATE, subtype="PCM_16")
        label_file(str(Path(tmp) / "warm.wav"), extractor, model, config, 30.0)
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    audio = 0.0
    with threadpool_limits(1):  # one core, as a Dask worker has (its nanny sets OMP/OPENBLAS threads to 1)
        for path in paths:
            audio += label_file(str(path), extractor, model, config, 30.0)[0]["duration"]
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return audio, cpu, wall, pstats.Stats(profiler) if profiler else None


STAGES = [  # (stage, a substring of a profiled function's file:name); first match wins
    ("decode + resample", ("audio_io",)),
    ("VAD + segmenting", ("segmenter.py",)),
    ("features", ("featuresets", "kernels")),
    ("SVM + normalise", ("classify",)),
]


def profile_by_stage(stats: pstats.Stats, total: float) -> list[tuple[str, float]]:
    """Cumulative time of the outermost project function of each stage."""
    out = []
    for stage, keys in STAGES:
        best = 0.0
        for (file, _, name), (_, _, _, cumulative, _) in stats.stats.items():
            if any(k in file for k in keys):
                best = max(best, cumulative)
        out.append((stage, best))
    out.append(("(whole label_file)", total))
    return out


# ------------------------------------------------------------------------------------------ flow


def worker_peaks(sampler: Sampler) -> list[int]:
    """Peak RSS of the processes that did the labelling (spawned processes that used at least 1 CPU
    second; a short-lived helper process of a few MiB is sometimes seen too), highest first."""
    busy = [rss for pid, rss in sampler.workers.items() if sampler.worker_cpu.get(pid, 0.0) >= 1.0]
    return sorted(busy or sampler.workers.values(), reverse=True)


@dataclass
class FlowResult:
    workers: int
    wall: float
    phase: float
    audio: float
    speech: float
    n_ok: int
    n_failed: int
    worker_peaks: list[int]
    driver_peak: int
    load: tuple[float, float, float]
    phases: dict[str, float]  # wall seconds of: start (Python, imports, Prefect's server, the flow run), plan +
    # workers ready + model verified, labelling, end (consolidation and reports on a worker, cluster close, exit)
    cpu: float  # CPU seconds of the whole command (driver, Prefect server, Dask workers)
    worker_cpu: float  # CPU seconds of the Dask worker processes (last sample, up to 0.5 s short)
    driver_cpu: float  # CPU seconds of the command's own process (flow, Dask scheduler), last sample
    prefect_cpu: float  # CPU seconds of Prefect's temporary server, last sample


def flow_run(archive: Path, workers: int, scratch: Path, repo: Path = REPO) -> FlowResult:
    """One end-to-end run of ``flows.label`` from the checkout ``repo``."""
    out = scratch / f"labels-{workers}w"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(repo), PREFECT_HOME=str(scratch / f"prefect-{workers}w"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="INFO")
    command = [sys.executable, "-m", "flows.label", str(archive), "--model", "default", "--out", str(out),
               "--workers", str(workers)]
    log_path = scratch / f"label-{workers}w.log"
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    sampler = Sampler(proc.pid).start()
    dask_at = last_progress = flow_at = None
    summary = None
    with open(log_path, "w") as log:
        for line in proc.stdout:
            now = time.perf_counter() - t0
            log.write(line)
            if flow_at is None and "Beginning flow run" in line:
                flow_at = now
            if dask_at is None and "Dask: " in line and " workers" in line:
                dask_at = now
            if _PROGRESS.search(line):
                last_progress = now
            if line.startswith("emovox label:"):
                summary = line.strip()
    proc.wait()
    wall = time.perf_counter() - t0
    sampler.stop()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children_after.ru_utime + children_after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    load = os.getloadavg()
    match = _SUMMARY.search(summary or "")
    if proc.returncode != 0 or match is None:
        sys.exit(f"error: flows.label --workers {workers} failed (exit {proc.returncode}); see {log_path}")
    phase = (last_progress - dask_at) if dask_at is not None and last_progress is not None else float("nan")
    nan = float("nan")
    phases = {
        "start (Python, imports, Prefect server, flow run)": flow_at if flow_at is not None else nan,
        "plan, workers ready, model verified": (dask_at - flow_at) if dask_at is not None and flow_at is not None else nan,
        "labelling (first to last batch)": phase,
        "end (consolidation, reports, cluster close, exit)": (wall - last_progress) if last_progress is not None else nan,
    }
    return FlowResult(workers, wall, phase, float(match.group(3)), float(match.group(4)), int(match.group(1)),
                      int(match.group(2)), worker_peaks(sampler), sampler.driver, load,
                      phases, cpu, sum(sampler.worker_cpu.values()), sampler.driver_cpu,
                      sum(sampler.prefect_cpu.values()))


def median_run(runs: list[FlowResult]) -> FlowResult:
    return sorted(runs, key=lambda r: r.wall)[(len(runs) - 1) // 2]


def warm_up_checkout(repo: Path, scratch: Path) -> None:
    """Label the other checkout's examples once, untimed: its kernels compile on their first use there."""
    out = scratch / "warm-up-against"
    env = dict(os.environ, PYTHONPATH=str(repo), PREFECT_HOME=str(scratch / "prefect-against"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, "-m", "flows.label", str(repo / "examples"), "--model", "default",
                           "--out", str(out), "--workers", "1"], cwd=scratch, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: --against {repo}: its flows.label failed on its examples (exit {done.returncode}): "
                 f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
    shutil.rmtree(out, ignore_errors=True)


# ------------------------------------------------------------------------------------------ main


def mib(n: int) -> str:
    return f"{n / 2**20:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=50, help="recordings in the archive (default 50)")
    parser.add_argument("--minutes", type=float, nargs=2, default=[5.0, 20.0], metavar=("MIN", "MAX"),
                        help="length of each recording, uniform between MIN and MAX minutes (default 5 20)")
    parser.add_argument("--format", choices=["wav", "flac"], default="wav")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--anchor-files", type=int, default=3, help="recordings labelled in-process (default 3)")
    parser.add_argument("--profile", action="store_true", help="profile the anchor by stage")
    parser.add_argument("--keep", action="store_true", help="keep the outputs and logs (path printed)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per worker count, interleaved; medians reported")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="also run the flows from this checkout of emovox, interleaved, for a side-by-side comparison")
    parser.add_argument("--server", action="store_true",
                        help="run the flows against one Prefect server started here (as a nightly deployment "
                             "does), not each run's temporary server; also used when PREFECT_API_URL is set")
    args = parser.parse_args()

    command = "python bench/label_speed.py " + " ".join(sys.argv[1:])
    archive = build_archive(args.files, tuple(args.minutes), args.format, args.seed)
    files = archive_files(archive)
    meta = json.loads((archive / "complete.json").read_text())
    load_before = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="emovox-label-speed-"))
    server = None
    if args.server and not os.environ.get("PREFECT_API_URL"):
        from flows._prefect_server import start_prefect_server

        server, os.environ["PREFECT_API_URL"] = start_prefect_server(str(scratch / "prefect-server"))
    prefect_mode = (f"one Prefect server at {os.environ['PREFECT_API_URL']}" if os.environ.get("PREFECT_API_URL")
                    else "each run starts Prefect's temporary server")
    try:
        anchor_files = files[: args.anchor_files]
        audio, cpu, wall, stats = anchor(anchor_files, args.profile)
        print(f"anchor: {len(anchor_files)} files, {audio:.0f} s of audio in {cpu:.2f} CPU s ({wall:.2f} wall s)",
              flush=True)
        if args.against:
            warm_up_checkout(args.against.resolve(), scratch)
        runs: dict[int, list[FlowResult]] = {n: [] for n in args.workers}
        baseline: dict[int, list[FlowResult]] = {n: [] for n in args.workers}
        for _ in range(max(args.repeats, 1)):
            for n in args.workers:
                for repo, into in ((REPO, runs), (args.against, baseline)) if args.against else ((REPO, runs),):
                    result = flow_run(archive, n, scratch, repo.resolve())
                    into[n].append(result)
                    print(f"flow {n}w{' (' + str(repo) + ')' if args.against else ''}: {result.audio:.0f} s of audio in "
                          f"{result.wall:.1f} s wall ({result.audio / result.wall:.0f}x real time); worker peaks "
                          f"{', '.join(mib(p) for p in result.worker_peaks)} MiB", flush=True)
        results = [median_run(runs[n]) for n in args.workers]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.keep:
            print(f"kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    anchor_speed = audio / cpu
    print()
    print(f"`{command}`")
    print()
    print(f"archive: {len(files)} {args.format.upper()} files, {meta['audio_seconds'] / 3600:.2f} h of audio "
          f"({args.minutes[0]:g}-{args.minutes[1]:g} min each), {archive}; {os.cpu_count()} cores; "
          f"{prefect_mode}; load average before {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} (1/5/15 min)")
    print()
    print("| run | audio s | wall s | x real time | per core | labelling phase x rt | audio s per worker CPU s "
          "| audio s per CPU s (whole command) | peak RSS per worker MiB | driver MiB | load 1/5 min after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| anchor: label_file in-process, {len(anchor_files)} file(s) | {audio:.0f} | {wall:.2f} ({cpu:.2f} CPU) | {audio / wall:.0f} "
          f"| {audio / wall:.0f} | | {anchor_speed:.0f} (this process) | | | | |")
    for r in results:
        speed = r.audio / r.wall
        phase = r.audio / r.phase if r.phase == r.phase and r.phase > 0 else float("nan")
        peaks = " / ".join(mib(p) for p in r.worker_peaks) or "?"
        worker_rate = f"{r.audio / r.worker_cpu:.0f}" if r.worker_cpu > 0 else "?"
        print(f"| flows.label --workers {r.workers} (end to end) | {r.audio:.0f} | {r.wall:.1f} | {speed:.0f} "
              f"| {speed / r.workers:.0f} | {phase:.0f} | {worker_rate} | {r.audio / r.cpu:.0f} | {peaks} "
              f"| {mib(r.driver_peak)} | {r.load[0]:.2f} / {r.load[1]:.2f} |")
    print()
    if args.repeats > 1:
        print(f"runs of median wall time shown; every wall time (s): "
              + "; ".join(f"{n}w " + ", ".join(f"{r.wall:.1f}" for r in runs[n]) for n in args.workers))
        print()
    print("per core = x real time / workers; the anchor and the CPU-second columns do not depend on what else "
          "runs on the machine, the wall-time columns do (see the load).")
    print()
    print("| wall seconds of | " + " | ".join(f"{r.workers}w" for r in results) + " |")
    print("| --- | " + " | ".join("---:" for _ in results) + " |")
    for name in results[0].phases:
        print(f"| {name} | " + " | ".join(f"{r.phases[name]:.1f}" for r in results) + " |")
    print("| total | " + " | ".join(f"{r.wall:.1f}" for r in results) + " |")
    print()
    print("| CPU seconds of | " + " | ".join(f"{r.workers}w" for r in results) + " |")
    print("| --- | " + " | ".join("---:" for _ in results) + " |")
    for name, attr in (("Dask workers (labelling, their start-up)", "worker_cpu"),
                       ("driver (imports, flow, Dask scheduler, reports)", "driver_cpu"),
                       ("Prefect's temporary server (0 with --server)", "prefect_cpu"), ("whole command", "cpu")):
        print(f"| {name} | " + " | ".join(f"{getattr(r, attr):.1f}" for r in results) + " |")
    print()
    if len(results) >= 2:
        ratio = (results[1].audio / results[1].wall) / (results[0].audio / results[0].wall)
        print(f"scaling {results[1].workers}w / {results[0].workers}w (end to end): {ratio:.2f}")
        if results[0].phase > 0 and results[1].phase > 0:
            print(f"scaling {results[1].workers}w / {results[0].workers}w (labelling phase): "
                  f"{(results[1].audio / results[1].phase) / (results[0].audio / results[0].phase):.2f}")
    per_core = min(r.audio / r.wall / r.workers for r in results)
    print(f"target >= 500x real time per core end to end: {'met' if per_core >= 500 else 'NOT MET'} ({per_core:.0f}x)")
    if len(results) >= 2:
        print(f"target 2 workers >= 1.7x one worker: {'met' if ratio >= 1.7 else 'NOT MET'} ({ratio:.2f}x)")
    if args.against:
        print()
        print(f"side by side, medians of {max(args.repeats, 1)} interleaved runs each:")
        print()
        print(f"| workers | this checkout: wall s | {args.against}: wall s | speed-up |")
        print("| ---: | ---: | ---: | ---: |")
        for n in args.workers:
            ours, theirs = median_run(runs[n]).wall, median_run(baseline[n]).wall
            print(f"| {n} | {ours:.1f} | {theirs:.1f} | {theirs / ours:.2f}x |")
        if len(args.workers) >= 2:
            a, b = args.workers[:2]
            print()
            print(f"scaling {b}w / {a}w (end to end): this checkout "
                  f"{median_run(runs[a]).wall / median_run(runs[b]).wall:.2f}, {args.against} "
                  f"{median_run(baseline[a]).wall / median_run(baseline[b]).wall:.2f}")
    if stats is not None:
        print()
        print("anchor profile (cumulative seconds, cProfile overhead included):")
        for stage, seconds in profile_by_stage(stats, cpu):
            print(f"  {stage:22s} {seconds:7.2f}")
        stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
