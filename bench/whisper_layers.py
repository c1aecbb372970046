"""Whisper encoder features per encoder layer K: accuracy on EMO-DB and RAVDESS, and encoder throughput.

    python bench/whisper_layers.py --encoder-path ~/.cache/emovox/whisper-base [--layers 1 2 3 4 5 6]
                                   [--compute-type int8] [--jobs 2] [--limit N] [--corpora ../shared/corpora]
                                   [--cache ~/.cache/emovox-bench] [--models svm-linear lda]

For each corpus and layer K the utterances go through the project's own path (``featuresets``:
Whisper log-mel kernel, the model cut after layer K, batched encoder calls, mean+std pooling over
real frames), one process per (corpus, K) job, ``--jobs`` at a time, each with ``intra_threads`` 1
(a process per core, like the extract flow's workers). Features are cached as .npz under --cache
(keyed by the weights' SHA-256, K, compute type and pooling), so re-runs only evaluate.

Evaluation with the ``classify`` package, on the corpora's standard protocols: EMO-DB leave-one-
speaker-out (10 folds), RAVDESS speaker-folds:6; per-speaker z-normalisation ("speaker",
transductive) and training-side standardisation ("global", what labelling an archive can do).
Throughput: seconds of audio per second of wall time, per job (= per core), decoding excluded.
Not a test: it prints a Markdown table; the default layer is the best mean UA over both corpora.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PROTOCOLS = {"emodb": "loso", "ravdess": "speaker-folds:6"}


def discover(corpora_dir: str, corpus: str, limit: int | None):
    import corpora

    utterances = [u for u in corpora.discover(str(Path(corpora_dir) / corpus), "auto").utterances if u.label]
    utterances.sort(key=lambda u: u.id)
    if limit:  # an even sample over the whole list (every speaker keeps some)
        utterances = utterances[:: max(1, len(utterances) // limit)][:limit]
    return utterances


def features_job(corpora_dir: str, corpus: str, layer: int, encoder_path: str, compute_type: str, pooling: str,
                 cache: str, limit: int | None) -> dict:
    """Encode one corpus at one layer (or read the cache); returns X, ids and the throughput."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import audio_io
    from featuresets import resolve_feature_set
    from featuresets.families.whisper import WhisperFeatures

    config = resolve_feature_set("whisper", encoder_path=encoder_path, encoder_layer=layer, pooling=pooling,
                                 compute_type=compute_type)
    params = config.params_of("whisper")
    utterances = discover(corpora_dir, corpus, limit)
    ids = [u.id for u in utterances]
    path = Path(cache) / f"whisper-{corpus}-{params.weights_sha256[:12]}-L{layer}-{compute_type}-{pooling}-n{len(ids)}.npz"
    if path.is_file():
        data = np.load(path, allow_pickle=False)
        if list(data["ids"]) == ids:
            return {"corpus": corpus, "layer": layer, "X": data["X"], "ids": ids, "audio_seconds": float(data["audio"]),
                    "encode_seconds": float(data["seconds"]), "cached": True, "hash": config.feature_hash}
    features = WhisperFeatures(params, intra_threads=1)
    features.embed([np.zeros(16000, np.float32)])  # load (and cut) the model outside the timing
    parts, audio, seconds = [], 0.0, 0.0
    for start in range(0, len(utterances), 64):
        signals = [audio_io.load(u.path) for u in utterances[start:start + 64]]
        audio += sum(len(s) for s in signals) / 16000
        started = time.perf_counter()
        parts.append(features.embed(signals))
        seconds += time.perf_counter() - started
    X = np.concatenate(parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, X=X, ids=np.array(ids), audio=audio, seconds=seconds)
    return {"corpus": corpus, "layer": layer, "X": X, "ids": ids, "audio_seconds": audio, "encode_seconds": seconds,
            "cached": False, "hash": config.feature_hash}


def evaluate_job(corpora_dir: str, corpus: str, X: np.ndarray, ids: list[str], kind: str, normalise: str,
                 limit: int | None, feature_hash: str) -> dict:
    from classify.data import LabelledData, speaker_groups
    from classify.evaluation import run_folds
    from classify.pipeline import ModelSpec
    from classify.protocols import check_speaker_independent, make_folds, parse_protocol
    from classify.report import build_metrics
    from featuresets.families.whisper import whisper_feature_names

    utterances = {u.id: u for u in discover(corpora_dir, corpus, limit)}
    rows = [utterances[i] for i in ids]
    pooled = "mean+std" if X.shape[1] % 2 == 0 else "mean"
    data = LabelledData(
        store=f"(bench {corpus})", X=X.astype(np.float32), y=np.array([u.label for u in rows], dtype=object),
        groups=speaker_groups([u.corpus for u in rows], [u.speaker for u in rows]),
        ids=np.array(ids, dtype=object), rows=np.arange(len(rows)),
        feature_names=whisper_feature_names(X.shape[1] // 2, pooled), feature_set="whisper", feature_config={},
        feature_hash=feature_hash,
    )
    protocol = parse_protocol(PROTOCOLS[corpus])
    spec = ModelSpec(kind=kind, normalise=normalise)
    folds = make_folds(protocol, data.y, data.groups, spec.seed)
    check_speaker_independent(folds, data.groups)
    started = time.perf_counter()
    outcomes = run_folds(data, folds, spec)
    metrics, _, _ = build_metrics(data, outcomes, protocol, spec, seconds=time.perf_counter() - started)
    return {"ua": metrics["ua"], "wa": metrics["wa"], "macro_f1": metrics["macro_f1"]}


def measure_speed(encoder_path: str, corpora_dir: str, layers: list[int], compute_types: list[str], n: int,
          threads: list[int], repeats: int = 3) -> None:
    """Encoder throughput on the same sample per (layer, compute type, threads): best of ``repeats``, in this process.

    ``n`` EMO-DB utterances, decoded beforehand; timed: log-mel kernel + batched encoder + pooling.
    """
    import audio_io
    from featuresets import resolve_feature_set
    from featuresets.families.whisper import WhisperFeatures

    signals = [audio_io.load(u.path) for u in discover(corpora_dir, "emodb", n)]
    audio = sum(len(s) for s in signals) / 16000
    print(f"throughput on {len(signals)} EMO-DB utterances ({audio:.0f} s of audio), best of {repeats}:")
    print("| layer K | compute type | intra_threads | audio s per s | per core |")
    print("| --- | --- | --- | --- | --- |")
    for k in layers:
        for compute_type in compute_types:
            for t in threads:
                config = resolve_feature_set("whisper", encoder_path=encoder_path, encoder_layer=k, compute_type=compute_type)
                features = WhisperFeatures(config.params_of("whisper"), intra_threads=t)
                features.embed(signals[:2])
                best = min(_timed(features.embed, signals) for _ in range(repeats))
                print(f"| {k} | {compute_type} | {t} | {audio / best:.1f} | {audio / best / t:.1f} |", flush=True)


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder-path", default=str(Path.home() / ".cache" / "emovox" / "whisper-base"))
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--pooling", default="mean+std")
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "corpora"))
    parser.add_argument("--only", choices=sorted(PROTOCOLS))
    parser.add_argument("--models", nargs="+", default=["svm-linear"])
    parser.add_argument("--normalise", nargs="+", default=["speaker", "global"])
    parser.add_argument("--jobs", type=int, default=2, help="processes (one core each)")
    parser.add_argument("--limit", type=int, help="utterances per corpus (a sample, for a quick look)")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "emovox-bench"))
    parser.add_argument("--speed", action="store_true",
                        help="only time the encoder per layer (int8 and float32, 1 and 2 threads) on --limit utterances")
    args = parser.parse_args()
    if args.speed:
        measure_speed(args.encoder_path, args.corpora, args.layers, ["int8", "float32"], args.limit or 100, [1, 2])
        return
    corpora_names = [args.only] if args.only else list(PROTOCOLS)
    cache = str(Path(args.cache).expanduser())
    started = time.perf_counter()

    with ProcessPoolExecutor(args.jobs) as pool:
        feature_futures = [
            pool.submit(features_job, args.corpora, c, k, args.encoder_path, args.compute_type, args.pooling, cache, args.limit)
            for k in args.layers for c in corpora_names
        ]
        encoded = [f.result() for f in feature_futures]
        for e in encoded:
            tag = "cached" if e["cached"] else "encoded"
            print(f"{e['corpus']} layer {e['layer']}: {len(e['ids'])} utterances, {e['audio_seconds']:.0f} s of audio, "
                  f"{tag}: {e['audio_seconds'] / max(e['encode_seconds'], 1e-9):.1f} s of audio per second per core",
                  flush=True)
        eval_futures = {
            (e["corpus"], e["layer"], kind, norm): pool.submit(
                evaluate_job, args.corpora, e["corpus"], e["X"], e["ids"], kind, norm, args.limit, e["hash"])
            for e in encoded for kind in args.models for norm in args.normalise
        }
        results = {key: f.result() for key, f in eval_futures.items()}

    print(f"\nencoder {args.encoder_path} ({args.compute_type}, {args.pooling}); {time.perf_counter() - started:.0f} s in all\n")
    columns = [(kind, norm) for kind in args.models for norm in args.normalise]
    print("| corpus (protocol) | layer | " + " | ".join(f"{k} {n}: UA / WA %" for k, n in columns)
          + " | audio s per s per core |")
    print("| --- | --- | " + " | ".join("---" for _ in columns) + " | --- |")
    speed = {(e["corpus"], e["layer"]): e["audio_seconds"] / max(e["encode_seconds"], 1e-9) for e in encoded}
    for corpus in corpora_names:
        for k in args.layers:
            cells = [f"{100 * results[(corpus, k, kind, n)]['ua']:.1f} / {100 * results[(corpus, k, kind, n)]['wa']:.1f}"
                     for kind, n in columns]
            print(f"| {corpus} ({PROTOCOLS[corpus]}) | {k} | " + " | ".join(cells) + f" | {speed[(corpus, k)]:.1f} |")
    for kind, norm in columns:
        mean_ua = {k: np.mean([results[(c, k, kind, norm)]["ua"] for c in corpora_names]) for k in args.layers}
        best = max(mean_ua, key=mean_ua.get)
        print(f"best layer for {kind}/{norm}: {best} (mean UA over {', '.join(corpora_names)} {100 * mean_ua[best]:.1f} %)")


if __name__ == "__main__":
    main()
