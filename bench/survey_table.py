"""The SER survey's reproducible classical systems on one store, under equal terms.

    python bench/survey_table.py [--store emodb.zarr] [--normalise global|speaker] [--protocols loso kfold:10]
                                 [--systems knn mlp ...] [--out table.md]

One row per classical system the survey lists that can be rebuilt from a feature store: KNN,
MLP (ANN), LDA, SVM (RBF and linear), XGBoost / gradient boosting, and the MFCC -> fuzzy C-means
-> ANN / SVM / KNN pipeline of Demircan & Kahramanli (2018). Every system gets the same features
(the store's), the same normalisation (default: global standardisation fit on the training side),
the same folds and the same seed; inner choices (SVM C/gamma, KNN k, XGBoost rounds) by inner
speaker-group CV of the training side. Columns: UA and WA under leave-one-speaker-out (speaker-
independent) and under stratified 10-fold (speaker-dependent: the same speakers on both sides, as
in most of the surveyed papers). Default store: EMO-DB extracted into the bench cache (see
bench/accuracy.py).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classify.data import load_labelled  # noqa: E402
from classify.evaluation import run_folds  # noqa: E402
from classify.pipeline import ModelSpec  # noqa: E402
from classify.protocols import make_folds, parse_protocol  # noqa: E402
from classify.report import build_metrics  # noqa: E402

#: row name -> (model kind, parameters, what it stands for in the survey)
SYSTEMS = {
    "knn": ("knn", {}, "k-nearest neighbours (k in 3/5/9/15 by inner CV)"),
    "mlp": ("mlp", {"hidden_layer_sizes": [128], "max_iter": 100}, "MLP / ANN, one hidden layer of 128 ReLU"),
    "lda": ("lda", {}, "linear discriminant analysis (Ledoit-Wolf shrinkage)"),
    "svm-rbf": ("svm", {}, "SVM, RBF kernel (C, gamma by inner CV)"),
    "svm-linear": ("svm-linear", {}, "SVM, linear kernel (C by inner CV)"),
    "xgboost": ("xgboost", {}, "gradient boosting (XGBoost hist, early stopping on held-out speakers)"),
    "fcm-mlp": ("fcm-mlp", {"classifier_params": {"hidden_layer_sizes": [128], "max_iter": 100}},
                "Demircan & Kahramanli 2018: MFCC -> FCM -> ANN"),
    "fcm-svm": ("fcm-svm", {}, "Demircan & Kahramanli 2018: MFCC -> FCM -> SVM"),
    "fcm-knn": ("fcm-knn", {}, "Demircan & Kahramanli 2018: MFCC -> FCM -> KNN"),
}


def evaluate(data, protocol: str, spec: ModelSpec) -> dict:
    parsed = parse_protocol(protocol)
    folds = make_folds(parsed, data.y, data.groups, spec.seed)
    started = time.perf_counter()
    metrics, _, _ = build_metrics(data, run_folds(data, folds, spec), parsed, spec, seconds=time.perf_counter() - started)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="feature store (default: EMO-DB in the bench cache, extracted if needed)")
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "corpora"))
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "emovox-bench"))
    parser.add_argument("--normalise", default="global", choices=["none", "global", "speaker"])
    parser.add_argument("--protocols", nargs="+", default=["loso", "kfold:10"])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the table (Markdown) and the metrics (JSON beside it)")
    args = parser.parse_args()

    store = args.store
    if not store:
        sys.path.insert(0, str(REPO / "bench"))
        from accuracy import ensure_store

        store = ensure_store(Path(args.corpora) / "emodb", Path(args.cache).expanduser())
    data = load_labelled(store)
    print(f"store {store}: {len(data.y)} utterances, {len(set(data.groups))} speakers, {len(data.labels)} labels, "
          f"{len(data.feature_names)} features (hash {data.feature_hash}); normalisation {args.normalise}, "
          f"seed {args.seed}", file=sys.stderr, flush=True)
    results: dict[str, dict[str, dict]] = {}
    for name in args.systems:
        kind, params, _ = SYSTEMS[name]
        spec = ModelSpec(kind=kind, params=params, normalise=args.normalise, seed=args.seed)
        for protocol in args.protocols:
            m = evaluate(data, protocol, spec)
            results.setdefault(name, {})[protocol] = m
            print(f"  {name} {protocol}: UA {100 * m['ua']:.1f} %, WA {100 * m['wa']:.1f} % ({m['seconds']} s)",
                  file=sys.stderr, flush=True)

    header = "| system | " + " | ".join(f"UA % {p} | WA % {p}" for p in args.protocols) + " |"
    lines = [f"Store `{store}` ({len(data.y)} utterances, feature hash {data.feature_hash}), normalisation "
             f"{args.normalise}{' (transductive)' if args.normalise == 'speaker' else ''}, seed {args.seed}.", "",
             header, "| --- |" + " --- | --- |" * len(args.protocols)]
    for name, by_protocol in results.items():
        cells = " | ".join(f"{100 * by_protocol[p]['ua']:.1f} | {100 * by_protocol[p]['wa']:.1f}" for p in args.protocols)
        lines.append(f"| {SYSTEMS[name][2]} | {cells} |")
    table = "\n".join(lines)
    print()
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")
        Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
