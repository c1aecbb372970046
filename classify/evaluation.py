"""Running a protocol: fit a fresh model on each fold's training side, predict its test side.

``fit_predict_fold`` is a pure function of arrays (no store, no Prefect), so folds can run in this
process or as Dask tasks on other machines. Every fold uses the same seed: the same data, spec and
protocol give the same numbers.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from classify.data import LabelledData
from classify.errors import DataError
from classify.pipeline import EmotionModel, ModelSpec
from classify.protocols import Fold


def single_threaded_blas():
    """One BLAS thread inside: parallelism comes from folds (Dask), and sums keep one order (reproducible)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


@dataclass
class FoldOutcome:
    index: int
    test: np.ndarray
    proba: np.ndarray  # (len(test), n_labels), columns in the run's label order
    test_speakers: tuple[str, ...]
    n_train: int
    fitted_params: dict
    seconds: float


def fit_predict_fold(X: np.ndarray, y: np.ndarray, groups: np.ndarray, feature_names: list[str], fold: Fold,
                     spec: dict, labels: list[str]) -> FoldOutcome:
    """Fit on ``fold.train`` only, predict ``fold.test``; probabilities in the order of ``labels``."""
    started = time.perf_counter()
    with single_threaded_blas():
        model = EmotionModel(ModelSpec.from_dict(spec)).fit(X[fold.train], y[fold.train], groups[fold.train], feature_names)
        proba = model.predict_proba(X[fold.test], groups[fold.test])
    out = np.zeros((len(fold.test), len(labels)))
    for j, label in enumerate(model.labels_):
        out[:, labels.index(label)] = proba[:, j]
    return FoldOutcome(fold.index, fold.test, out, fold.test_speakers, len(fold.train), model.fitted_params(),
                       time.perf_counter() - started)


def run_folds(data: LabelledData, folds: list[Fold], spec: ModelSpec, *, client=None, progress=None) -> list[FoldOutcome]:
    """Every fold, in this process or (with a ``distributed.Client``) as one Dask task per fold."""
    labels = data.labels
    for fold in folds:
        if len(fold.test) == 0 or len(fold.train) == 0:
            raise DataError(f"fold {fold.index} has an empty training or test side")
    spec_dict = spec.to_dict()
    outcomes: list[FoldOutcome] = []
    if client is None:
        for fold in folds:
            outcomes.append(fit_predict_fold(data.X, data.y, data.groups, data.feature_names, fold, spec_dict, labels))
            if progress:
                progress(outcomes[-1], len(folds))
        return outcomes
    from distributed import as_completed

    X, y, groups = client.scatter([data.X, data.y, data.groups], broadcast=True)
    futures = [
        client.submit(fit_predict_fold, X, y, groups, data.feature_names, fold, spec_dict, labels,
                      key=f"evaluate-fold-{os.getpid()}-{time.time_ns()}-{fold.index}", pure=False)
        for fold in folds
    ]
    for future in as_completed(futures):
        outcomes.append(future.result())
        if progress:
            progress(outcomes[-1], len(folds))
    return sorted(outcomes, key=lambda o: o.index)


def collect(data: LabelledData, outcomes: list[FoldOutcome]) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities for every tested row, fold index of every row; -1 for rows never tested)."""
    proba = np.full((len(data.y), len(data.labels)), np.nan)
    fold_of_row = np.full(len(data.y), -1, dtype=np.int64)
    for outcome in outcomes:
        proba[outcome.test] = outcome.proba
        fold_of_row[outcome.test] = outcome.index
    return proba, fold_of_row
