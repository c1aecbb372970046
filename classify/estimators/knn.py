"""k-nearest neighbours (Euclidean), numpy only; k chosen by inner speaker-group CV."""
from __future__ import annotations

import numpy as np

from classify.estimators.base import Estimator, SearchMixin


class _Neighbours:
    def __init__(self, X, y, n_classes, k, weights):
        self.X, self.y, self.n_classes, self.k, self.weights = X, y, n_classes, int(k), weights

    def _scores(self, Q):
        Q = np.asarray(Q, dtype=np.float64)
        d2 = (Q * Q).sum(1)[:, None] + (self.X * self.X).sum(1)[None, :] - 2.0 * Q @ self.X.T
        d2 = np.maximum(d2, 0.0)
        k = min(self.k, len(self.X))
        nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
        if self.weights == "distance":
            w = 1.0 / np.maximum(np.sqrt(np.take_along_axis(d2, nearest, axis=1)), 1e-12)
        else:
            w = np.ones(nearest.shape)
        votes = np.zeros((len(Q), self.n_classes))
        np.add.at(votes, (np.repeat(np.arange(len(Q)), k), self.y[nearest].ravel()), w.ravel())
        return votes / votes.sum(axis=1, keepdims=True)


class KNN(SearchMixin, Estimator):
    """Parameters: n_neighbors (value or list searched), weights ("uniform"/"distance"), inner_folds, seed."""

    kind = "knn"

    def __init__(self, n_neighbors=(3, 5, 9, 15), weights: str = "uniform", inner_folds: int = 3, seed: int = 0):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.inner_folds = inner_folds
        self.seed = seed

    def _candidates(self):
        values = self.n_neighbors if isinstance(self.n_neighbors, (list, tuple)) else [self.n_neighbors]
        return [{"n_neighbors": int(k)} for k in values]

    def _fit_candidate(self, X, y, params):
        return _Neighbours(X, y, self.n_classes_, params["n_neighbors"], self.weights)

    def _fit(self, X, y, groups, *, feature_names):
        best, _, _ = self._search(X, y, groups, inner_folds=self.inner_folds, seed=self.seed, need_oof=False)
        self.best_params_ = best
        self.model_ = _Neighbours(X, y, self.n_classes_, best["n_neighbors"], self.weights)

    def predict_proba(self, X):
        return self.model_._scores(X)

    def _arrays(self):
        return {"X": self.model_.X, "y": self.model_.y}

    def _restore(self, arrays, state, directory, prefix):
        self.model_ = _Neighbours(arrays["X"], arrays["y"], self.n_classes_, self.best_params_["n_neighbors"], self.weights)
