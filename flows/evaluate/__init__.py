"""Feature store -> protocol metrics and report (metrics.json, confusion.png, summary.md, predictions.csv).

    python -m flows.evaluate --store STORE.zarr --model xgboost|svm|... --protocol loso|speaker-folds:K|kfold:K
                             --out REPORT_DIR [--test-store OTHER.zarr] [--normalise global|speaker|none]
                             [--class-weight balanced] [--select-features K] [--calibrate] [--seed N]

Features come from the store, chunk by chunk (rows with status ok and a label); audio is never
read. Each fold fits a fresh model (normalisation, selection, inner searches, early stopping and
calibration all on the fold's training side only) and predicts its test side. Folds run in this
process, or one Dask task each with ``--workers N`` (N > 1) or ``--address``. The same command
gives the same numbers.

Protocols (``classify.protocols``): ``loso``; ``speaker-folds:K`` (speakers in natural order cut
into K contiguous groups: RAVDESS with K=6 gives the standard folds, actors 4k-3..4k);
``kfold:K`` (speaker-dependent, stratified); ``cross-corpus`` (train on --store, test on
--test-store, on the labels both have).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

import features_store
from classify.data import LabelledData, load_labelled
from classify.errors import DataError, FeatureMismatchError, UsageError
from classify.evaluation import FoldOutcome, run_folds
from classify.options import add_model_options, parse_labels, spec_from_args
from classify.pipeline import ModelSpec
from classify.protocols import PROTOCOL_HELP, Protocol, check_speaker_independent, cross_corpus_folds, make_folds, parse_protocol
from classify.report import build_metrics, write_report
from emovox.errors import EmovoxError
from flows import _cli
from flows._dask import dask_client


def _transient(task, task_run, state) -> bool:
    return not isinstance(state.result(raise_on_failure=False), EmovoxError)


@task(name="load-features", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2, retry_condition_fn=_transient)
def load_task(store: str, labels: list[str] | None) -> LabelledData:
    data = load_labelled(store, labels)
    get_run_logger().info("%s: %d labelled utterances, %d speakers, %d labels, %d features",
                          store, len(data.y), len(set(data.groups)), len(data.labels), len(data.feature_names))
    return data


def join_cross_corpus(train: LabelledData, test: LabelledData) -> tuple[LabelledData, int]:
    """Both stores on the labels they share, concatenated (train rows first); checks hashes and speakers."""
    if train.feature_hash != test.feature_hash:
        raise FeatureMismatchError(
            f"{test.store}: feature hash {test.feature_hash} differs from {train.store}'s {train.feature_hash}; "
            "extract both corpora with the same --feature-set"
        )
    shared = sorted(set(train.y) & set(test.y))
    if len(shared) < 2:
        raise DataError(f"cross-corpus: {train.store} and {test.store} share {len(shared)} labels ({', '.join(shared)}); need 2")
    train = train.subset(np.isin(train.y, shared))
    test = test.subset(np.isin(test.y, shared))
    joined = LabelledData(
        store=train.store, X=np.concatenate([train.X, test.X]), y=np.concatenate([train.y, test.y]),
        groups=np.concatenate([train.groups, test.groups]), ids=np.concatenate([train.ids, test.ids]),
        rows=np.concatenate([train.rows, test.rows]), feature_names=train.feature_names,
        feature_set=train.feature_set, feature_config=train.feature_config, feature_hash=train.feature_hash,
        extra={"test_store": test.store, "shared_labels": shared},
    )
    return joined, len(train.y)


@task(name="folds", cache_policy=NO_CACHE)
def folds_task(data: LabelledData, protocol: Protocol, seed: int, n_train: int | None):
    if protocol.name == "cross-corpus":
        folds = cross_corpus_folds(n_train, len(data.y) - n_train, data.groups)
        check_speaker_independent(folds, data.groups)
    else:
        folds = make_folds(protocol, data.y, data.groups, seed)
    get_run_logger().info("protocol %s: %d folds, test sides of %s rows", protocol, len(folds),
                          "/".join(str(len(f.test)) for f in folds))
    return folds


@task(name="run-folds", cache_policy=NO_CACHE)
def folds_run_task(data: LabelledData, folds, spec: ModelSpec, workers: int | None, address: str | None) -> list[FoldOutcome]:
    logger = get_run_logger()

    def progress(outcome: FoldOutcome, total: int) -> None:
        logger.info("fold %d/%d (test %s): %d rows in %.1f s %s", outcome.index + 1, total,
                    ", ".join(outcome.test_speakers[:4]) + ("..." if len(outcome.test_speakers) > 4 else ""),
                    len(outcome.test), outcome.seconds, outcome.fitted_params or "")

    if address or (workers or 1) > 1:
        with dask_client(address, workers) as client:
            logger.info("Dask: %d workers (%s)", len(client.scheduler_info()["workers"]), client.scheduler.address)
            return run_folds(data, folds, spec, client=client, progress=progress)
    return run_folds(data, folds, spec, progress=progress)


@task(name="report", cache_policy=NO_CACHE)
def report_task(data, outcomes, protocol, spec, out, test_store, seconds) -> dict:
    metrics, proba, fold_of_row = build_metrics(data, outcomes, protocol, spec, test_store=test_store, seconds=seconds)
    write_report(out, metrics, data, proba, fold_of_row)
    return metrics


@flow(name="emovox-evaluate", log_prints=False, validate_parameters=True)
def evaluate_flow(
    store: str,
    out: str,
    model: str = "svm",
    protocol: str = "loso",
    test_store: str | None = None,
    normalise: str = "global",
    class_weight: str = "none",
    select_features: int | None = None,
    calibrate: bool = False,
    params: dict | None = None,
    labels: list[str] | None = None,
    seed: int = 0,
    workers: int | None = None,
    address: str | None = None,
) -> dict:
    """Run ``protocol`` with a fresh ``model`` per fold and write the report to ``out``; returns the metrics."""
    started = time.monotonic()
    spec = ModelSpec(kind=model, params=dict(params or {}), normalise=normalise, class_weight=class_weight,
                     select_features=select_features, calibrate=calibrate, seed=seed)
    parsed = parse_protocol("cross-corpus" if test_store and protocol == "loso" else protocol)
    if parsed.name == "cross-corpus" and not test_store:
        raise UsageError("--protocol cross-corpus needs --test-store")
    if test_store and parsed.name != "cross-corpus":
        raise UsageError(f"--test-store goes with --protocol cross-corpus, not {parsed}")
    data = load_task(store, labels)
    n_train = None
    if test_store:
        data, n_train = join_cross_corpus(data, load_task(test_store, labels))
    folds = folds_task(data, parsed, seed, n_train)
    outcomes = folds_run_task(data, folds, spec, workers, address)
    return report_task(data, outcomes, parsed, spec, out, test_store, time.monotonic() - started)


def build_parser() -> _cli.ArgumentParser:
    parser = _cli.ArgumentParser(
        prog="python -m flows.evaluate",
        description="Evaluate a model kind on a feature store under a protocol; write metrics.json, "
                    "confusion.png, summary.md and predictions.csv.",
    )
    parser.add_argument("--store", required=True, help="feature store made by flows.extract")
    parser.add_argument("--protocol", default="loso", help=f"{PROTOCOL_HELP} (default: loso)")
    parser.add_argument("--out", required=True, help="report folder (created; its report files are replaced)")
    parser.add_argument("--test-store", help="cross-corpus: train on --store, test on this store (shared labels)")
    add_model_options(parser)
    parser.add_argument("--workers", type=int, help="run folds as Dask tasks on N local worker processes (default: in this process)")
    parser.add_argument("--address", help="Dask scheduler for the folds, e.g. tcp://host:8786")
    _cli.add_common_options(parser)
    return parser


def preflight(args) -> ModelSpec:
    _cli.check_positive("--workers", args.workers)
    spec = spec_from_args(args)
    protocol = parse_protocol(args.protocol)
    if protocol.name == "cross-corpus" and not args.test_store:
        raise UsageError("--protocol cross-corpus needs --test-store (train on --store, test on --test-store)")
    for path in filter(None, (args.store, args.test_store)):
        features_store.open(path)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; give a folder for the report")
    return spec


def main(args) -> int:
    spec = preflight(args)
    metrics = evaluate_flow(
        store=args.store, out=args.out, model=spec.kind, protocol=args.protocol, test_store=args.test_store,
        normalise=spec.normalise, class_weight=spec.class_weight, select_features=spec.select_features,
        calibrate=spec.calibrate, params=spec.params, labels=parse_labels(args.labels), seed=spec.seed,
        workers=args.workers, address=args.address,
    )
    flag = " [per-speaker normalisation (transductive)]" if metrics["normalisation"]["transductive"] else ""
    print(
        f"emovox evaluate: {metrics['model']['kind']} {metrics['protocol']}: UA {100 * metrics['ua']:.1f} %, "
        f"WA {100 * metrics['wa']:.1f} %, macro-F1 {100 * metrics['macro_f1']:.1f} % "
        f"(fold UA {100 * metrics['fold_mean']['ua']:.1f} ± {100 * metrics['fold_std']['ua']:.1f}; "
        f"{metrics['n_utterances']} utterances, {metrics['n_folds']} folds){flag} -> {Path(args.out).absolute()}"
    )
    return _cli.EXIT_OK

