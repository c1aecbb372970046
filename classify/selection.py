"""Univariate feature selection (ANOVA F between classes), fit on the training side only."""
from __future__ import annotations

import warnings

import numpy as np


class FeatureSelector:
    """Keep the ``k`` columns with the largest ANOVA F statistic on the training rows.

    Learned: ``support_`` (sorted column indices kept), ``scores_`` (F of every column).
    """

    def __init__(self, k: int):
        self.k = k

    def fit(self, X: np.ndarray, y: np.ndarray) -> "FeatureSelector":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant columns give F = NaN: they rank last
            from sklearn.feature_selection import f_classif  # here: training only

            scores, _ = f_classif(X, y)
        scores = np.nan_to_num(scores, nan=-1.0, posinf=np.finfo(np.float64).max)
        order = np.argsort(-scores, kind="stable")
        self.scores_ = scores
        self.support_ = np.sort(order[: min(self.k, X.shape[1])])
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return X[:, self.support_]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"support": self.support_.astype(np.int64), "scores": self.scores_}

    @classmethod
    def from_arrays(cls, arrays: dict, k: int) -> "FeatureSelector":
        self = cls(k)
        self.support_ = np.asarray(arrays["support"], dtype=np.int64)
        self.scores_ = np.asarray(arrays["scores"])
        return self
