"""Feature store -> model directory (config.json + native model files; no pickle).

    python -m flows.train --store STORE.zarr --model xgboost|svm|... --out MODEL_DIR
                          [--normalise global|speaker|none] [--class-weight balanced]
                          [--select-features K] [--calibrate] [--param NAME=VALUE] [--seed N]

Trains on every labelled ok row of the store (features read chunk by chunk, never audio). Inner
choices (SVM C and gamma, KNN k, XGBoost's number of rounds, the calibration temperature) use
splits of the store's speakers. The directory loads with ``classify.load_model(MODEL_DIR)``
(flows.label uses it), which checks every file's sha256 and refuses a store whose feature hash
differs from the model's.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

import features_store
from classify.data import LabelledData, load_labelled
from classify.errors import DataError, UsageError
from classify.evaluation import single_threaded_blas
from classify.modeldir import is_model_dir, save_model
from classify.options import add_model_options, parse_labels, spec_from_args
from classify.pipeline import EmotionModel, ModelSpec
from classify.report import flatten_params
from emovox.errors import EmovoxError
from flows import _cli


def _transient(task, task_run, state) -> bool:
    return not isinstance(state.result(raise_on_failure=False), EmovoxError)


@task(name="load-features", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2, retry_condition_fn=_transient)
def load_task(store: str, labels: list[str] | None) -> LabelledData:
    data = load_labelled(store, labels)
    if len(data.labels) < 2:
        raise DataError(f"{store}: only one label ({data.labels[0]}) among the labelled rows; need at least two")
    get_run_logger().info("%s: %d labelled utterances, %d speakers, %d labels", store, len(data.y),
                          len(set(data.groups)), len(data.labels))
    return data


@task(name="fit", cache_policy=NO_CACHE)
def fit_task(data: LabelledData, spec: ModelSpec) -> EmotionModel:
    started = time.perf_counter()
    with single_threaded_blas():
        model = EmotionModel(spec).fit(data.X, data.y, data.groups, data.feature_names)
    get_run_logger().info("fitted %s in %.1f s %s", spec.describe(), time.perf_counter() - started, model.fitted_params())
    return model


@task(name="save", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2, retry_condition_fn=_transient)
def save_task(model: EmotionModel, data: LabelledData, out: str) -> str:
    training = {
        "store": str(Path(data.store).absolute()),
        "n_utterances": int(len(data.y)),
        "n_speakers": len({g for g in data.groups if g}),
        "corpora": sorted({g.split(":", 1)[0] for g in data.groups if g}),
        "label_counts": dict(sorted(Counter(data.y.tolist()).items())),
    }
    path = save_model(model, out, feature_info=data.feature_info(), feature_names=data.feature_names, training=training)
    get_run_logger().info("model written to %s", path)
    return str(path)


@flow(name="emovox-train", log_prints=False, validate_parameters=True)
def train_flow(
    store: str,
    out: str,
    model: str = "svm",
    normalise: str = "global",
    class_weight: str = "none",
    select_features: int | None = None,
    calibrate: bool = False,
    params: dict | None = None,
    labels: list[str] | None = None,
    seed: int = 0,
) -> dict:
    """Train ``model`` on every labelled row of ``store`` and write the model directory ``out``."""
    started = time.monotonic()
    spec = ModelSpec(kind=model, params=dict(params or {}), normalise=normalise, class_weight=class_weight,
                     select_features=select_features, calibrate=calibrate, seed=seed)
    data = load_task(store, labels)
    fitted = fit_task(data, spec)
    path = save_task(fitted, data, out)
    return {"out": path, "kind": spec.kind, "n_utterances": int(len(data.y)), "labels": fitted.labels_,
            "n_speakers": len({g for g in data.groups if g}), "fitted_params": fitted.fitted_params(),
            "normalisation": spec.normalise, "seconds": round(time.monotonic() - started, 1)}


def build_parser() -> _cli.ArgumentParser:
    parser = _cli.ArgumentParser(
        prog="python -m flows.train",
        description="Train a classifier on a feature store and write a model directory (JSON config + native files).",
    )
    parser.add_argument("--store", required=True, help="feature store made by flows.extract")
    parser.add_argument("--out", required=True, help="model directory to write (an existing model directory is replaced)")
    add_model_options(parser)
    _cli.add_common_options(parser)
    return parser


def preflight(args) -> ModelSpec:
    spec = spec_from_args(args)
    features_store.open(args.store)
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not is_model_dir(out))):
        raise UsageError(f"--out {out}: exists and is not an emovox model directory; choose another folder")
    return spec


def main(args) -> int:
    spec = preflight(args)
    summary = train_flow(
        store=args.store, out=args.out, model=spec.kind, normalise=spec.normalise, class_weight=spec.class_weight,
        select_features=spec.select_features, calibrate=spec.calibrate, params=spec.params,
        labels=parse_labels(args.labels), seed=spec.seed,
    )
    fitted = ", ".join(f"{k}={v}" for k, v in flatten_params(summary["fitted_params"]).items())
    print(
        f"emovox train: {summary['kind']} on {summary['n_utterances']} utterances ({summary['n_speakers']} speakers, "
        f"{len(summary['labels'])} labels), normalise={summary['normalisation']}"
        + (f", {fitted}" if fitted else "") + f", {summary['seconds']} s -> {summary['out']}"
    )
    return _cli.EXIT_OK


if __name__ == "__main__":
    _cli.exit(_cli.run(main, build_parser()))
