"""Accuracy of emovox's classifiers against an openSMILE + SVM anchor, on the same folds, in one run.

    python bench/accuracy.py [--emodb-store S.zarr] [--ravdess-store S.zarr] [--corpora ../shared/corpora]
                             [--cache ~/.cache/emovox-bench] [--only emodb|ravdess] [--systems NAME ...]

Protocols: EMO-DB leave-one-speaker-out (10 folds), RAVDESS speaker-folds:6 (actors 4k-3..4k).
Headline: UA (unweighted average recall); WA beside it.

Systems (every fold fits everything on its training side only; inner choices by speaker-group CV):
  anchor            openSMILE ComParE_2016 functionals (6373) + linear SVM, per-speaker
                    standardisation, C by inner speaker-group CV. The features are computed once per
                    corpus and cached as .npz under --cache (keyed by the file list and openSMILE version).
  emovox rows       emovox's own features from its store (flows.extract), several models; see SYSTEMS.
                    "speaker" = per-speaker z-normalisation (transductive, like the anchor);
                    "global" = standardisation with training statistics only (no test-speaker statistics).

Stores: given with --emodb-store / --ravdess-store, else extracted (or resumed) into --cache with
`python -m flows.extract` (the current default feature set; the store name carries its hash).
Not a test: numbers and ratios are printed, and the targets (EMO-DB UA >= 88 %, RAVDESS UA >= 70 %,
above the anchor) are checked in the last lines.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classify.data import LabelledData, load_labelled  # noqa: E402
from classify.evaluation import run_folds  # noqa: E402
from classify.pipeline import ModelSpec  # noqa: E402
from classify.protocols import make_folds, parse_protocol  # noqa: E402
from classify.report import build_metrics  # noqa: E402

PROTOCOLS = {"emodb": "loso", "ravdess": "speaker-folds:6"}
TARGETS = {"emodb": 0.88, "ravdess": 0.70}
ANCHOR = ModelSpec(kind="svm-linear", normalise="speaker")

#: name -> (model spec, description). The first "best" row is what the targets are checked on.
SYSTEMS: dict[str, ModelSpec] = {
    "svm-linear/speaker": ModelSpec(kind="svm-linear", normalise="speaker"),
    "svm-rbf/speaker": ModelSpec(kind="svm", normalise="speaker", params={"C": [3, 10, 30], "gamma": [0.1, 0.25, 0.5]}),
    "xgboost/speaker": ModelSpec(kind="xgboost", normalise="speaker"),
    "svm+xgboost/speaker": ModelSpec(kind="svm-linear+xgboost", normalise="speaker"),
    "svm-linear/global": ModelSpec(kind="svm-linear", normalise="global"),
    "svm+xgboost/global": ModelSpec(kind="svm-linear+xgboost", normalise="global"),
}
BEST = "svm+xgboost/speaker"
BEST_GLOBAL = "svm+xgboost/global"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- stores -------------------------------------------------------------------------------------

def ensure_store(corpus_dir: Path, cache: Path) -> str:
    """Extract (or resume) the corpus into a store in the cache named after the default feature set's hash."""
    from featuresets import get_feature_set

    store = cache / "stores" / f"{corpus_dir.name}-{get_feature_set('default').feature_hash}.zarr"
    log(f"store {store}: extracting / resuming {corpus_dir} ...")
    env = dict(os.environ, PYTHONPATH=str(REPO), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, "-m", "flows.extract", str(corpus_dir), "--store", str(store), "--workers", "2"],
                          cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"flows.extract failed:\n{done.stderr[-3000:]}")
    log(done.stdout.strip().splitlines()[-1])
    return str(store)


# ---- the anchor's features ------------------------------------------------------------------------

def compare_features(corpus_dir: Path, ids: np.ndarray, paths: dict[str, str], cache: Path) -> np.ndarray:
    """ComParE_2016 functionals of the utterances ``ids`` (rows in that order), cached as .npz."""
    try:
        import opensmile
    except ImportError:
        sys.exit("the anchor needs openSMILE's Python package: pip install opensmile")
    import soundfile as sf

    all_ids = sorted(paths)
    key = hashlib.sha256(("\n".join(all_ids) + opensmile.__version__).encode()).hexdigest()[:12]
    path = cache / f"compare2016-{corpus_dir.name}-{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as cached:
            row_of = {str(i): r for r, i in enumerate(cached["ids"])}
            features = cached["features"]
    else:
        log(f"anchor: openSMILE ComParE_2016 functionals of {len(all_ids)} files (cached to {path}) ...")
        smile = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                                feature_level=opensmile.FeatureLevel.Functionals)
        rows = []
        for uid in all_ids:
            signal, rate = sf.read(paths[uid], dtype="float32", always_2d=True)
            rows.append(smile.process_signal(signal.mean(axis=1), rate).to_numpy()[0].astype(np.float32))
        features = np.stack(rows)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(path, features=features, ids=np.array(all_ids), names=np.array(smile.feature_names))
        row_of = {uid: r for r, uid in enumerate(all_ids)}
    return features[[row_of[str(i)] for i in ids]]


def anchor_data(data: LabelledData, corpus_dir: Path, cache: Path) -> LabelledData:
    import features_store

    meta = features_store.open(data.store).meta
    paths = dict(zip(meta["id"], meta["path"]))
    X = compare_features(corpus_dir, data.ids, paths, cache)
    return LabelledData(store=f"openSMILE ComParE_2016 of {corpus_dir}", X=X, y=data.y, groups=data.groups,
                        ids=data.ids, rows=data.rows, feature_names=[f"compare_{i}" for i in range(X.shape[1])],
                        feature_set="ComParE_2016", feature_config={}, feature_hash="opensmile-compare2016")


# ---- running --------------------------------------------------------------------------------------

def evaluate(data: LabelledData, protocol: str, spec: ModelSpec) -> dict:
    parsed = parse_protocol(protocol)
    folds = make_folds(parsed, data.y, data.groups, spec.seed)
    started = time.perf_counter()
    outcomes = run_folds(data, folds, spec)
    metrics, _, _ = build_metrics(data, outcomes, parsed, spec, seconds=time.perf_counter() - started)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "corpora"))
    parser.add_argument("--emodb-store")
    parser.add_argument("--ravdess-store")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "emovox-bench"))
    parser.add_argument("--only", choices=sorted(PROTOCOLS))
    parser.add_argument("--systems", nargs="*", default=list(SYSTEMS), choices=list(SYSTEMS))
    args = parser.parse_args()
    cache = Path(args.cache).expanduser()
    corpora = [args.only] if args.only else list(PROTOCOLS)

    results: dict[str, dict[str, dict]] = {}
    for corpus in corpora:
        corpus_dir = Path(args.corpora) / corpus
        if not corpus_dir.is_dir():
            sys.exit(f"{corpus_dir}: corpus folder not found (--corpora)")
        store = getattr(args, f"{corpus}_store") or ensure_store(corpus_dir, cache)
        data = load_labelled(store)
        protocol = PROTOCOLS[corpus]
        log(f"{corpus}: {len(data.y)} utterances, {len(set(data.groups))} speakers, {len(data.feature_names)} "
            f"emovox features (hash {data.feature_hash}), protocol {protocol}")
        rows = results.setdefault(corpus, {})
        rows["anchor"] = evaluate(anchor_data(data, corpus_dir, cache), protocol, ANCHOR)
        log(f"  anchor (ComParE_2016 + linear SVM, speaker norm): UA {100 * rows['anchor']['ua']:.1f} %")
        for name in args.systems:
            rows[name] = evaluate(data, protocol, SYSTEMS[name])
            log(f"  {name}: UA {100 * rows[name]['ua']:.1f} % ({rows[name]['seconds']} s)")

    print()
    print("| corpus (protocol) | system | normalisation | UA % | WA % | macro-F1 % | fold UA mean ± std | UA - anchor (pp) | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for corpus, rows in results.items():
        anchor = rows["anchor"]
        for name, m in rows.items():
            label = "anchor: openSMILE ComParE_2016 + linear SVM" if name == "anchor" else f"emovox {name.split('/')[0]}"
            norm = m["normalisation"]["kind"] + (" (transductive)" if m["normalisation"]["transductive"] else "")
            delta = "" if name == "anchor" else f"{100 * (m['ua'] - anchor['ua']):+.1f}"
            print(f"| {corpus} ({m['protocol']}) | {label} | {norm} | {100 * m['ua']:.1f} | {100 * m['wa']:.1f} | "
                  f"{100 * m['macro_f1']:.1f} | {100 * m['fold_mean']['ua']:.1f} ± {100 * m['fold_std']['ua']:.1f} | "
                  f"{delta} | {m['seconds']} |")
    print()
    for corpus, rows in results.items():
        anchor = rows["anchor"]
        for name in (BEST, BEST_GLOBAL):
            if name not in rows:
                continue
            m = rows[name]
            met = m["ua"] >= TARGETS[corpus] and m["ua"] > anchor["ua"]
            print(f"{corpus}: emovox {name} UA {100 * m['ua']:.1f} % (WA {100 * m['wa']:.1f} %) vs anchor UA "
                  f"{100 * anchor['ua']:.1f} % (WA {100 * anchor['wa']:.1f} %): {m['ua'] / anchor['ua']:.3f}x, "
                  f"{100 * (m['ua'] - anchor['ua']):+.1f} pp; target UA >= {100 * TARGETS[corpus]:.0f} % and above the "
                  f"anchor: {'MET' if met else 'MISSED by ' + format(100 * max(TARGETS[corpus] - m['ua'], anchor['ua'] - m['ua']), '.1f') + ' pp'}")


if __name__ == "__main__":
    main()
