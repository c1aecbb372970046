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

Encoder rows (issue 7), with ``--encoder-path DIR`` (a CTranslate2 Whisper model folder): the
``whisper`` and ``default+whisper`` sets extracted into their own cached stores, each with the
models of ENCODER_SYSTEMS (LDA and linear SVM, per-speaker and global normalisation), against the
same anchor; targets EMO-DB UA >= 95 %, RAVDESS UA >= 82 % (per-speaker normalisation).
``--skip-handcrafted --systems`` runs only the anchor and those rows.

Stores: given with --emodb-store / --ravdess-store, else extracted (or resumed) into --cache with
`python -m flows.extract` (the current default feature set; the store name carries its hash).
Not a test: numbers and ratios are printed, and the targets (EMO-DB UA >= 88 %, RAVDESS UA >= 70 %,
above the anchor) are checked in the last lines.
"""
from __future__ import annotations

import argparse
import hashlib
import json
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

#: The anchor: openSMILE ComParE_2016 functionals + linear SVM (C by inner speaker-group CV).
ANCHORS: dict[str, ModelSpec] = {
    "anchor/speaker": ModelSpec(kind="svm-linear", normalise="speaker"),
    "anchor/global": ModelSpec(kind="svm-linear", normalise="global"),
}
#: emovox's configurations, declared before the run (default parameters of each model kind).
SYSTEMS: dict[str, ModelSpec] = {
    "svm-linear/speaker": ModelSpec(kind="svm-linear", normalise="speaker"),
    "svm-rbf/speaker": ModelSpec(kind="svm", normalise="speaker"),
    "xgboost/speaker": ModelSpec(kind="xgboost", normalise="speaker"),
    "svm-linear/global": ModelSpec(kind="svm-linear", normalise="global"),
    "svm-rbf/global": ModelSpec(kind="svm", normalise="global"),
    "xgboost/global": ModelSpec(kind="xgboost", normalise="global"),
}
#: Probability fusions with equal weights, computed from the members' fold predictions above (the
#: same numbers as ``--model svm+xgboost``: every member is fit exactly as on its own).
FUSIONS: dict[str, tuple[str, ...]] = {
    "svm-rbf+xgboost/speaker": ("svm-rbf/speaker", "xgboost/speaker"),
    "svm-linear+svm-rbf+xgboost/speaker": ("svm-linear/speaker", "svm-rbf/speaker", "xgboost/speaker"),
    "svm-rbf+xgboost/global": ("svm-rbf/global", "xgboost/global"),
    "svm-linear+svm-rbf+xgboost/global": ("svm-linear/global", "svm-rbf/global", "xgboost/global"),
}
#: Encoder feature sets (``--encoder-path``) and the models run on them, rows named "<set>:<system>".
#: LDA is the linear model the layer benchmark (bench/whisper_layers.py) found best on whisper features.
ENCODER_SETS = ("whisper", "default+whisper")
ENCODER_SYSTEMS: dict[str, ModelSpec] = {
    "lda/speaker": ModelSpec(kind="lda", normalise="speaker"),
    "svm-linear/speaker": ModelSpec(kind="svm-linear", normalise="speaker"),
    "lda/global": ModelSpec(kind="lda", normalise="global"),
    "svm-linear/global": ModelSpec(kind="svm-linear", normalise="global"),
}
ENCODER_TARGETS = {"emodb": 0.95, "ravdess": 0.82}
#: The one configuration named in advance as emovox's headline (the issue's SVM + XGBoost fusion).
HEADLINE = "svm-rbf+xgboost"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- stores -------------------------------------------------------------------------------------

def ensure_store(corpus_dir: Path, cache: Path, feature_set: str = "default", encoder_path: str | None = None) -> str:
    """Extract (or resume) the corpus into a store in the cache named after the feature set's hash."""
    from featuresets import resolve_feature_set

    config = resolve_feature_set(feature_set, encoder_path=encoder_path)
    slug = "" if feature_set == "default" else feature_set.replace("+", "-") + "-"
    store = cache / "stores" / f"{corpus_dir.name}-{slug}{config.feature_hash}.zarr"
    log(f"store {store}: extracting / resuming {corpus_dir} ...")
    env = dict(os.environ, PYTHONPATH=str(REPO), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    command = [sys.executable, "-m", "flows.extract", str(corpus_dir), "--store", str(store), "--workers", "2",
               "--feature-set", feature_set] + (["--encoder-path", encoder_path] if encoder_path else [])
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
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

def evaluate(data: LabelledData, protocol: str, spec: ModelSpec) -> tuple[dict, list]:
    parsed = parse_protocol(protocol)
    folds = make_folds(parsed, data.y, data.groups, spec.seed)
    started = time.perf_counter()
    outcomes = run_folds(data, folds, spec)
    metrics, _, _ = build_metrics(data, outcomes, parsed, spec, seconds=time.perf_counter() - started)
    return metrics, outcomes


def fuse(data: LabelledData, protocol: str, names: tuple[str, ...], members: list[list]) -> dict:
    """Metrics of the equal-weight mean of the members' fold probabilities (same folds, same rows)."""
    from classify.evaluation import FoldOutcome

    fused = []
    for parts in zip(*members):
        assert all(np.array_equal(p.test, parts[0].test) for p in parts)
        weight = 1.0 / len(parts)  # as classify.estimators.fusion computes it
        fused.append(FoldOutcome(parts[0].index, parts[0].test, sum(weight * p.proba for p in parts),
                                 parts[0].test_speakers, parts[0].n_train, {}, sum(p.seconds for p in parts)))
    spec = ModelSpec(kind="+".join(SYSTEMS[n].kind for n in names), normalise=SYSTEMS[names[0]].normalise)
    metrics, _, _ = build_metrics(data, fused, parse_protocol(protocol), spec,
                                  seconds=sum(o.seconds for o in fused))
    return metrics


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "corpora"))
    parser.add_argument("--emodb-store")
    parser.add_argument("--ravdess-store")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "emovox-bench"))
    parser.add_argument("--only", choices=sorted(PROTOCOLS))
    parser.add_argument("--systems", nargs="*", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument("--json", help="also write every run's metrics to this JSON file")
    parser.add_argument("--encoder-path", help="a CTranslate2 Whisper model folder: adds the whisper and "
                        "default+whisper rows (issue 7)")
    parser.add_argument("--encoder-systems", nargs="*", default=list(ENCODER_SYSTEMS), choices=list(ENCODER_SYSTEMS))
    parser.add_argument("--skip-handcrafted", action="store_true", help="only the anchor and the encoder rows")
    args = parser.parse_args()
    cache = Path(args.cache).expanduser()
    corpora = [args.only] if args.only else list(PROTOCOLS)

    results: dict[str, dict[str, dict]] = {}
    info: dict[str, str] = {}
    for corpus in corpora:
        corpus_dir = Path(args.corpora) / corpus
        if not corpus_dir.is_dir():
            sys.exit(f"{corpus_dir}: corpus folder not found (--corpora)")
        store = getattr(args, f"{corpus}_store") or ensure_store(corpus_dir, cache)
        data = load_labelled(store)
        protocol = PROTOCOLS[corpus]
        info[corpus] = (f"{corpus}: {len(data.y)} utterances, {len(set(data.groups))} speakers, {protocol}; emovox "
                        f"store {store}: {len(data.feature_names)} features, hash {data.feature_hash}")
        log(info[corpus])
        rows = results.setdefault(corpus, {})
        anchor = anchor_data(data, corpus_dir, cache)
        for name, spec in ANCHORS.items():
            rows[name], _ = evaluate(anchor, protocol, spec)
            log(f"  {name}: UA {pct(rows[name]['ua'])} % ({rows[name]['seconds']} s)")
        outcomes = {}
        for feature_set in ENCODER_SETS if args.encoder_path else ():
            encoded = load_labelled(ensure_store(corpus_dir, cache, feature_set, args.encoder_path))
            assert sorted(set(encoded.groups)) == sorted(set(data.groups)), "the stores hold other speakers"
            info[f"{corpus} {feature_set}"] = (f"  {feature_set} store {encoded.store}: {len(encoded.feature_names)} "
                                              f"features, hash {encoded.feature_hash}")
            for system in args.encoder_systems:
                name = f"{feature_set}:{system}"
                rows[name], _ = evaluate(encoded, protocol, ENCODER_SYSTEMS[system])
                log(f"  {name}: UA {pct(rows[name]['ua'])} % ({rows[name]['seconds']} s)")
        for name in [] if args.skip_handcrafted else args.systems:
            rows[name], outcomes[name] = evaluate(data, protocol, SYSTEMS[name])
            log(f"  {name}: UA {pct(rows[name]['ua'])} % ({rows[name]['seconds']} s)")
        for name, members in FUSIONS.items():
            if all(m in outcomes for m in members):
                rows[name] = fuse(data, protocol, members, [outcomes[m] for m in members])
                log(f"  {name}: UA {pct(rows[name]['ua'])} %")

    print()
    for line in info.values():
        print(line)
    print()
    print("| corpus (protocol) | system | normalisation | UA % | WA % | macro-F1 % | fold UA mean ± std | UA - anchor (pp) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for corpus, rows in results.items():
        for name, m in rows.items():
            model, norm = name.rsplit("/", 1)
            anchor = rows[f"anchor/{norm}"]
            label = ("anchor: openSMILE ComParE_2016 + linear SVM" if model == "anchor"
                     else f"emovox {model}" + (" (equal-weight fusion)" if "+" in model else ""))
            norm_text = "per-speaker (transductive)" if norm == "speaker" else "global (training side)"
            delta = "" if model == "anchor" else f"{100 * (m['ua'] - anchor['ua']):+.1f}"
            print(f"| {corpus} ({PROTOCOLS[corpus]}) | {label} | {norm_text} | {pct(m['ua'])} | {pct(m['wa'])} | "
                  f"{pct(m['macro_f1'])} | {pct(m['fold_mean']['ua'])} ± {pct(m['fold_std']['ua'])} | {delta} |")
    print()
    for corpus, rows in results.items():
        anchor = rows["anchor/speaker"]
        target = TARGETS[corpus]
        candidates = {n: m for n, m in rows.items()
                      if n.endswith("/speaker") and not n.startswith("anchor") and ":" not in n}
        for title, name in (("headline (named in advance)", f"{HEADLINE}/speaker"),
                            (f"best of {len(candidates)} declared emovox rows", max(candidates, key=lambda n: candidates[n]["ua"], default=None))):
            if name not in rows:
                continue
            m = rows[name]
            met = m["ua"] >= target and m["ua"] > anchor["ua"]
            miss = max(target - m["ua"], anchor["ua"] - m["ua"])
            print(f"{corpus}: {title}: emovox {name} UA {pct(m['ua'])} % (WA {pct(m['wa'])} %) vs anchor UA "
                  f"{pct(anchor['ua'])} % (WA {pct(anchor['wa'])} %): ratio {m['ua'] / anchor['ua']:.3f}, "
                  f"{100 * (m['ua'] - anchor['ua']):+.1f} pp; target UA >= {100 * target:.0f} % and above the anchor: "
                  + ("MET" if met else f"MISSED by {100 * miss:.1f} pp"))
        for feature_set in ENCODER_SETS:
            for norm in ("speaker", "global"):
                encoded = {n: m for n, m in rows.items() if n.startswith(feature_set + ":") and n.endswith("/" + norm)}
                if not encoded:
                    continue
                best = max(encoded, key=lambda n: encoded[n]["ua"])
                m, reference = encoded[best], rows[f"anchor/{norm}"]
                met = m["ua"] >= ENCODER_TARGETS[corpus] and m["ua"] > reference["ua"]
                print(f"{corpus}: {feature_set} ({norm} normalisation): best of {len(encoded)} declared rows {best} UA "
                      f"{pct(m['ua'])} % (WA {pct(m['wa'])} %) vs anchor/{norm} UA {pct(reference['ua'])} %: "
                      f"{100 * (m['ua'] - reference['ua']):+.1f} pp; target UA >= {100 * ENCODER_TARGETS[corpus]:.0f} %"
                      + (": MET" if met else f": MISSED by {100 * (ENCODER_TARGETS[corpus] - m['ua']):.1f} pp")
                      * (norm == "speaker"))
        glob = {n: m for n, m in rows.items() if n.endswith("/global") and not n.startswith("anchor") and ":" not in n}
        if glob:
            best = max(glob, key=lambda n: glob[n]["ua"])
            print(f"{corpus}: without per-speaker normalisation: best emovox {best} UA {pct(glob[best]['ua'])} % "
                  f"(WA {pct(glob[best]['wa'])} %) vs anchor/global UA {pct(rows['anchor/global']['ua'])} %")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
