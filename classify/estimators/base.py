"""What every estimator shares: scikit-learn conventions, class bookkeeping, native persistence.

An estimator is fit on integer class codes ``y`` in ``0 .. n_classes-1`` (the pipeline maps label
names to codes). ``fit`` returns self; learned attributes end in ``_``; ``get_params`` gives the
constructor parameters unchanged (JSON values). After ``fit`` an estimator holds only numpy arrays
(or an XGBoost booster), so ``save`` / ``load`` round-trips it exactly, without pickle:

    files = est.save(directory, prefix)       # writes <prefix>*.npz / .ubj, returns their names
    est2 = Estimator.load(directory, prefix, params, state)
"""
from __future__ import annotations

import inspect
import json
from itertools import product
from pathlib import Path

import numpy as np

from classify.calibration import fit_temperature, softmax
from classify.protocols import inner_splits


def class_weights(y: np.ndarray, n_classes: int, mode: str | None) -> np.ndarray | None:
    """Per-row weights ``n / (n_present_classes * count[class])`` for ``mode="balanced"``, else None."""
    if mode in (None, "none"):
        return None
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    present = counts > 0
    per_class = np.zeros(n_classes)
    per_class[present] = len(y) / (present.sum() * counts[present])
    return per_class[y]


def unweighted_recall(y: np.ndarray, pred: np.ndarray) -> float:
    """UA: mean recall over the classes present in ``y``."""
    classes = np.unique(y)
    return float(np.mean([np.mean(pred[y == c] == c) for c in classes]))


def expand(proba: np.ndarray, present: np.ndarray, n_classes: int) -> np.ndarray:
    """Columns of the classes seen in training placed into ``n_classes`` columns (zeros elsewhere)."""
    if len(present) == n_classes:
        return proba
    out = np.zeros((proba.shape[0], n_classes))
    out[:, present] = proba
    return out


class Estimator:
    """Base class; subclasses set ``kind`` and implement ``_fit``, ``predict_proba``, ``_arrays``/``_from_arrays``."""

    kind = "base"

    # -- scikit-learn conventions ---------------------------------------------------------------
    def get_params(self, deep: bool = False) -> dict:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> "Estimator":
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def clone(self, **overrides) -> "Estimator":
        return type(self)(**{**self.get_params(), **overrides})

    def fit(self, X, y, groups=None, *, n_classes: int | None = None, feature_names=None) -> "Estimator":
        y = np.asarray(y, dtype=np.int64)
        self.n_classes_ = int(n_classes if n_classes is not None else y.max() + 1)
        self.classes_ = np.arange(self.n_classes_)
        self.present_ = np.unique(y)
        self.n_features_in_ = int(np.shape(X)[1])
        self._fit(np.asarray(X, dtype=np.float64), y, None if groups is None else np.asarray(groups, dtype=object),
                  feature_names=None if feature_names is None else list(feature_names))
        return self

    def _fit(self, X, y, groups, *, feature_names) -> None:
        raise NotImplementedError

    def predict_proba(self, X) -> np.ndarray:
        raise NotImplementedError

    def predict(self, X) -> np.ndarray:
        return np.argmax(self.predict_proba(X), axis=1)

    def fitted_params(self) -> dict:
        """Hyper-parameters chosen during fit (inner search), for reports."""
        return dict(getattr(self, "best_params_", {}))

    # -- persistence ------------------------------------------------------------------------------
    def _arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _state(self) -> dict:
        return {}

    def _restore(self, arrays: dict, state: dict, directory: Path, prefix: str) -> None:
        raise NotImplementedError

    def save(self, directory: Path, prefix: str) -> tuple[list[str], dict]:
        """Write the learned arrays; returns (file names written, JSON state)."""
        name = f"{prefix}{self.kind}.npz"
        arrays = {"present": self.present_, **self._arrays()}
        np.savez(Path(directory) / name, **arrays)
        state = {"n_classes": self.n_classes_, "n_features_in": self.n_features_in_,
                 "best_params": self.fitted_params(), **self._state()}
        return [name], json.loads(json.dumps(state))

    @classmethod
    def load(cls, directory: Path, prefix: str, params: dict, state: dict) -> "Estimator":
        self = cls(**params)
        self.n_classes_ = int(state["n_classes"])
        self.classes_ = np.arange(self.n_classes_)
        self.n_features_in_ = int(state["n_features_in"])
        self.best_params_ = dict(state.get("best_params", {}))
        path = Path(directory) / f"{prefix}{self.kind}.npz"
        arrays = {}
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            self.present_ = arrays["present"]
        self._restore(arrays, state, Path(directory), prefix)
        return self


class SearchMixin:
    """Grid search by inner cross-validation over speaker groups (of the training side only).

    ``_candidates()`` lists parameter dicts; ``_fit_candidate(X, y, params)`` returns a fitted
    object with ``_scores(X)`` giving per-class scores. The candidate with the best pooled
    out-of-fold UA wins (the first one on ties). Returns (best params, its out-of-fold scores, their
    labels) for calibration. With one candidate and ``need_oof=False`` no inner fit is made; with
    too little data for inner folds the first candidate wins and no scores are returned.
    """

    def _search(self, X, y, groups, *, inner_folds: int, seed: int, need_oof: bool):
        candidates = self._candidates()
        if len(candidates) == 1 and not need_oof:
            return candidates[0], None, None
        splits = inner_splits(y, groups, inner_folds, seed)
        if not splits:
            self.search_scores_ = []
            return candidates[0], None, None
        oof = [np.zeros((len(y), self.n_classes_)) for _ in candidates]
        for train, val in splits:
            for i, params in enumerate(candidates):
                fitted = self._fit_candidate(X[train], y[train], params)
                oof[i][val] = fitted._scores(X[val])
        covered = np.concatenate([val for _, val in splits])
        ua = [unweighted_recall(y[covered], np.argmax(s[covered], axis=1)) for s in oof]
        best = int(np.argmax(ua))
        self.search_scores_ = [{"params": c, "inner_ua": round(u, 4)} for c, u in zip(candidates, ua)]
        return candidates[best], oof[best][covered], y[covered]


def grid(**axes) -> list[dict]:
    """Cartesian product of parameter axes (scalars count as one value), in the given order."""
    names = list(axes)
    values = [v if isinstance(v, (list, tuple)) else [v] for v in axes.values()]
    return [dict(zip(names, combo)) for combo in product(*values)]


def temperature_from(scores: np.ndarray, y: np.ndarray) -> float:
    return fit_temperature(scores, y)


__all__ = ["Estimator", "SearchMixin", "class_weights", "expand", "grid", "softmax", "temperature_from", "unweighted_recall"]
