"""Throughput of the extract flow on a corpus, with 1 and 2 Dask workers, beside an in-process anchor.

    python bench/extract_speed.py [CORPUS_DIR] [--repeats 3] [--workers 1 2]

Rows printed (seconds of audio per second of wall time; medians over repeats):
  anchor     the same feature extraction in a plain loop in this process (no Prefect, no Dask,
             no store), JIT already warm: what the kernels alone can do on one core
  flow Nw    `python -m flows.extract CORPUS --store <fresh> --workers N`, end to end as a user runs
             it: Prefect's ephemeral API, Dask cluster start, discovery, decoding, extraction, store writes
Ratios are against the anchor measured in the same run, and 2w/1w for scaling.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def anchor_speed(corpus: str) -> tuple[float, float]:
    """(audio seconds, wall seconds) of extracting every file in-process, after a warm-up file."""
    import corpora
    from featuresets import FeatureExtractor, get_feature_set
    from flows._work import extract_file

    extractor = FeatureExtractor(get_feature_set("default"))
    paths = [u.path for u in corpora.discover(corpus).utterances]
    extract_file(extractor, paths[0], block_seconds=30.0)  # JIT warm-up
    started = time.perf_counter()
    audio = sum(extract_file(extractor, p, block_seconds=30.0)[1] for p in paths)
    return audio, time.perf_counter() - started


def flow_speed(corpus: str, workers: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PREFECT_HOME=os.path.join(tmp, "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                   PYTHONPATH=str(REPO))
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "flows.extract", corpus, "--store", os.path.join(tmp, "s.zarr"),
             "--workers", str(workers)],
            cwd=REPO, env=env, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"flows.extract failed:\n{done.stderr[-3000:]}")
        import features_store

        audio = float(features_store.open(os.path.join(tmp, "s.zarr")).meta.duration.sum())
        return audio, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "corpora" / "emodb"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rows: dict[str, list[float]] = {}
    audio_total = 0.0
    for _ in range(args.repeats):
        audio_total, wall = anchor_speed(args.corpus)
        rows.setdefault("anchor (in-process loop, 1 core)", []).append(audio_total / wall)
        for n in args.workers:
            audio, wall = flow_speed(args.corpus, n)
            rows.setdefault(f"flow, {n} worker{'s' if n > 1 else ''} (end to end)", []).append(audio / wall)

    print(f"corpus {args.corpus}: {audio_total:.0f} s of audio; cores {os.cpu_count()}; median of {args.repeats}")
    anchor = statistics.median(next(iter(rows.values())))
    print(f"{'run':40s} {'x real time':>12s} {'vs anchor':>10s}")
    for name, speeds in rows.items():
        median = statistics.median(speeds)
        print(f"{name:40s} {median:12.0f} {median / anchor:10.2f}")
    flows = [statistics.median(v) for k, v in rows.items() if k.startswith("flow")]
    if len(flows) >= 2:
        print(f"scaling {args.workers[1]}w / {args.workers[0]}w: {flows[1] / flows[0]:.2f}")


if __name__ == "__main__":
    main()
