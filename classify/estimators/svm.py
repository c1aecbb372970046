"""Support vector machine (RBF or linear kernel), C and gamma chosen by inner speaker-group CV.

Training uses scikit-learn's ``SVC`` (libsvm, one-vs-one). After fit only arrays are kept (support
vectors, dual coefficients, intercepts) and prediction is numpy code:

* one-vs-one decision values, libsvm's sign convention (positive -> the first class of the pair),
  equal to ``SVC.decision_function`` with ``decision_function_shape="ovo"`` (tested);
* scikit-learn's one-vs-rest aggregation of those (votes + bounded confidences), equal to
  ``SVC.decision_function`` (tested);
* probabilities = ``softmax(ovr_scores / T)``: the temperature T is fit by log loss on the
  out-of-fold scores of the inner speaker-group CV (the training side only). The arg-max is the
  one-vs-rest winner, i.e. libsvm's vote with ties broken by confidence.

A linear SVM keeps no support vectors: per one-vs-one pair k = (i, j) it keeps the primal weight
vector ``w_k = sum over the pair's support vectors of dual_coef * SV`` (``coef``, n_pairs x d) and
computes decision values as ``X @ coef.T + intercept`` (equal to the support-vector form and to
``SVC.decision_function``, tested); the model file is then n_pairs x d numbers, whatever the
number of support vectors. Model files of the older support-vector form still load (the weights
are computed from them on load).

``gamma`` values are multiples of ``1 / n_features`` (on standardised features, 1 equals
scikit-learn's ``gamma="scale"``).
"""
from __future__ import annotations

import warnings

import numpy as np

from classify.calibration import softmax
from classify.estimators.base import Estimator, SearchMixin, expand, grid, temperature_from


def ovo_pairs(n_classes: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n_classes) for j in range(i + 1, n_classes)]


def ovr_from_ovo(dec: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's ``_ovr_decision_function`` on libsvm-signed one-vs-one decision values."""
    votes = np.zeros((dec.shape[0], n_classes))
    confidence = np.zeros((dec.shape[0], n_classes))
    for k, (i, j) in enumerate(ovo_pairs(n_classes)):
        confidence[:, i] += dec[:, k]
        confidence[:, j] -= dec[:, k]
        votes[dec[:, k] >= 0, i] += 1
        votes[dec[:, k] < 0, j] += 1
    return votes + confidence / (3 * (np.abs(confidence) + 1))


class _FittedSVC:
    """The arrays of one fitted SVC and numpy decision functions over them.

    RBF: support vectors, dual coefficients, intercepts. Linear: the primal weights ``coef``
    (n_pairs x d) and intercepts; the support vectors are kept only when given (e.g. right after
    fit, for ``ovo_dual``) and are not saved.
    """

    def __init__(self, kernel, gamma, support_vectors, n_support, dual_coef, intercept, coef=None):
        self.kernel, self.gamma = kernel, float(gamma)
        self.n_support = np.asarray(n_support, dtype=np.int64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.support_vectors = None if support_vectors is None else np.asarray(support_vectors, dtype=np.float64)
        self.dual_coef = None if dual_coef is None else np.asarray(dual_coef, dtype=np.float64)
        self.coef = None
        if kernel == "linear":
            self.coef = (np.asarray(coef, dtype=np.float64) if coef is not None
                         else linear_weights(self.support_vectors, self.n_support, self.dual_coef))
        elif self.support_vectors is None or self.dual_coef is None:
            raise ValueError(f"a {kernel} SVM needs its support vectors and dual coefficients")

    @classmethod
    def from_sklearn(cls, svc: SVC, kernel: str) -> "_FittedSVC":
        dual, intercept = svc.dual_coef_, svc.intercept_
        if len(svc.classes_) == 2:  # scikit-learn flips the binary case's signs; undo to libsvm's
            dual, intercept = -dual, -intercept
        return cls(kernel, svc._gamma, svc.support_vectors_, svc.n_support_, dual, intercept)

    @property
    def n_classes(self) -> int:
        return len(self.n_support)

    def kernel_matrix(self, X: np.ndarray) -> np.ndarray:
        dot = X @ self.support_vectors.T
        if self.kernel == "linear":
            return dot
        sq = (X * X).sum(axis=1)[:, None] + (self.support_vectors ** 2).sum(axis=1)[None, :] - 2.0 * dot
        return np.exp(-self.gamma * np.maximum(sq, 0.0))

    def ovo(self, X: np.ndarray) -> np.ndarray:
        """One-vs-one decision values (n, n_pairs), libsvm's signs."""
        X = np.asarray(X, dtype=np.float64)
        if self.coef is not None:
            return X @ self.coef.T + self.intercept
        return self.ovo_dual(X)

    def ovo_dual(self, X: np.ndarray) -> np.ndarray:
        """The same from the support vectors (kernel expansion); needs them."""
        if self.support_vectors is None:
            raise ValueError("this SVM keeps no support vectors (linear weights only)")
        n_classes = self.n_classes
        K = self.kernel_matrix(np.asarray(X, dtype=np.float64))
        start = np.concatenate([[0], np.cumsum(self.n_support)])
        dec = np.empty((K.shape[0], n_classes * (n_classes - 1) // 2))
        for k, (i, j) in enumerate(ovo_pairs(n_classes)):
            si, sj = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
            dec[:, k] = K[:, si] @ self.dual_coef[j - 1, si] + K[:, sj] @ self.dual_coef[i, sj] + self.intercept[k]
        return dec

    def _scores(self, X: np.ndarray) -> np.ndarray:
        return ovr_from_ovo(self.ovo(X), self.n_classes)

    def arrays(self) -> dict[str, np.ndarray]:
        """What a model file holds: weights for a linear SVM, support vectors otherwise."""
        if self.kernel == "linear":
            return {"coef": self.coef, "n_support": self.n_support, "intercept": self.intercept}
        return {"support_vectors": self.support_vectors, "n_support": self.n_support, "dual_coef": self.dual_coef,
                "intercept": self.intercept}

    @classmethod
    def from_arrays(cls, kernel: str, gamma: float, arrays: dict) -> "_FittedSVC":
        return cls(kernel, gamma, arrays.get("support_vectors"), arrays["n_support"], arrays.get("dual_coef"),
                   arrays["intercept"], coef=arrays.get("coef") if kernel == "linear" else None)


def linear_weights(support_vectors: np.ndarray, n_support: np.ndarray, dual_coef: np.ndarray) -> np.ndarray:
    """Primal weights (n_pairs, d) of a linear one-vs-one SVC: per pair (i, j),
    ``dual_coef[j-1, SV of i] @ SV of i + dual_coef[i, SV of j] @ SV of j`` (libsvm's layout)."""
    n_classes = len(n_support)
    start = np.concatenate([[0], np.cumsum(n_support)])
    coef = np.empty((n_classes * (n_classes - 1) // 2, support_vectors.shape[1]))
    for k, (i, j) in enumerate(ovo_pairs(n_classes)):
        si, sj = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
        coef[k] = dual_coef[j - 1, si] @ support_vectors[si] + dual_coef[i, sj] @ support_vectors[sj]
    return coef


class SVM(SearchMixin, Estimator):
    """SVM classifier.

    Parameters:
        kernel: "rbf" or "linear".
        C: value or list of values searched.
        gamma: multiple(s) of 1/n_features (RBF only).
        class_weight: None or "balanced".
        inner_folds: speaker-group folds of the inner search and of the temperature fit.
        seed: seeds the inner split.
    """

    kind = "svm"

    def __init__(self, kernel: str = "rbf", C=(3.0, 10.0, 30.0), gamma=(0.05, 0.1, 0.25),
                 class_weight: str | None = None, inner_folds: int = 3, seed: int = 0, cache_size: float = 500.0):
        self.kernel = kernel
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.inner_folds = inner_folds
        self.seed = seed
        self.cache_size = cache_size

    def _candidates(self) -> list[dict]:
        if self.kernel == "linear":
            return grid(C=self.C)
        return grid(C=self.C, gamma=self.gamma)

    def _fit_candidate(self, X, y, params) -> "_Expanded":
        svc = self._sk_fit(X, y, params)
        return _Expanded(_FittedSVC.from_sklearn(svc, self.kernel), svc.classes_, self.n_classes_)

    def _fit(self, X, y, groups, *, feature_names) -> None:
        best, oof, y_oof = self._search(X, y, groups, inner_folds=self.inner_folds, seed=self.seed, need_oof=True)
        self.best_params_ = best
        self.temperature_ = temperature_from(oof, y_oof) if oof is not None else 1.0
        self.model_ = _FittedSVC.from_sklearn(self._sk_fit(X, y, best), self.kernel)

    def _sk_fit(self, X, y, params) -> "SVC":
        from sklearn.svm import SVC  # here: a loaded model predicts with numpy alone (labelling workers)

        svc = SVC(kernel=self.kernel, C=params["C"], gamma=params.get("gamma", 1.0) / X.shape[1],
                  cache_size=self.cache_size, class_weight="balanced" if self.class_weight == "balanced" else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return svc.fit(X, y)

    def decision_function(self, X) -> np.ndarray:
        """One-vs-rest scores over the classes seen in training."""
        return self.model_._scores(np.asarray(X, dtype=np.float64))

    def predict_proba(self, X) -> np.ndarray:
        return expand(softmax(self.decision_function(X) / self.temperature_), self.present_, self.n_classes_)

    def _arrays(self):
        return self.model_.arrays()

    def _state(self):
        return {"temperature": self.temperature_, "gamma_absolute": self.model_.gamma,
                "n_support_vectors": int(self.model_.n_support.sum())}

    def _restore(self, arrays, state, directory, prefix):
        self.temperature_ = float(state["temperature"])
        self.model_ = _FittedSVC.from_arrays(self.kernel, state["gamma_absolute"], arrays)


class _Expanded:
    """A candidate fitted on a subset that may lack classes: scores in all ``n_classes`` columns."""

    def __init__(self, fitted, present, n_classes):
        self.fitted, self.present, self.n_classes = fitted, np.asarray(present), n_classes

    def _scores(self, X):
        scores = self.fitted._scores(X)
        if len(self.present) == self.n_classes:
            return scores
        out = np.full((X.shape[0], self.n_classes), -1e9)
        out[:, self.present] = scores
        return out
