"""MFCC -> fuzzy C-means reduction -> ANN / SVM / KNN (after Demircan & Kahramanli 2018).

Demircan S., Kahramanli H. (2018), "Application of fuzzy C-means clustering algorithm to spectral
features for emotion classification from speech", Neural Computing and Applications 29:59-66:
statistics of MFCCs, type-1 fuzzy C-means (FCM) on them, the FCM output as the classifier's input
(ANN, kNN, SVM; EMO-DB, seven emotions). The paper's full text is not open; this is our reading of
it, computed from the store (the paper clusters frame-level data, which the store does not keep):

* the input columns are the MFCC functionals (feature names starting with ``columns``, default
  "mfcc": static, delta and delta-delta), already normalised by the pipeline;
* type-1 FCM with ``n_clusters`` centres and fuzzifier m is fit on the training rows only
  (unsupervised), initialised from ``seed``-chosen training rows;
* each utterance becomes its vector of fuzzy memberships to the centres (``representation=
  "membership"``) or of its distances to them (``"distance"``), standardised on the training rows;
* the classifier (``mlp``, ``svm`` or ``knn``, with its own parameters) is fit on that vector.
"""
from __future__ import annotations

import numpy as np

from classify.estimators.base import Estimator


def _sq_distances(Z: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d2 = (Z * Z).sum(1)[:, None] + (centres * centres).sum(1)[None, :] - 2.0 * Z @ centres.T
    return np.maximum(d2, 1e-12)


def fcm_memberships(Z: np.ndarray, centres: np.ndarray, m: float) -> np.ndarray:
    """u_ic = 1 / sum_j (d_ic / d_jc)^(2/(m-1)), rows summing to one."""
    d2 = _sq_distances(Z, centres)
    # (d_ic^2)^(-1/(m-1)), normalised over centres; computed in log space for stability
    logw = -np.log(d2) / (m - 1.0)
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    return w / w.sum(axis=1, keepdims=True)


def fuzzy_c_means(Z: np.ndarray, n_clusters: int, m: float, *, max_iter: int, tol: float, seed: int) -> np.ndarray:
    """Centres (n_clusters, d) of type-1 FCM on the rows of Z (alternating updates until the centres move < tol)."""
    rng = np.random.default_rng(seed)
    centres = Z[rng.choice(len(Z), size=min(n_clusters, len(Z)), replace=False)].copy()
    for _ in range(max_iter):
        um = fcm_memberships(Z, centres, m) ** m
        new = (um.T @ Z) / um.sum(axis=0)[:, None]
        shift = np.max(np.abs(new - centres))
        centres = new
        if shift < tol:
            break
    return centres


class FCM(Estimator):
    kind = "fcm"

    def __init__(self, classifier: str = "mlp", n_clusters: int = 32, fuzzifier: float = 2.0,
                 columns: str = "mfcc", representation: str = "membership", max_iter: int = 300,
                 tol: float = 1e-5, classifier_params: dict | None = None, class_weight: str | None = None,
                 seed: int = 0):
        self.classifier = classifier
        self.n_clusters = n_clusters
        self.fuzzifier = fuzzifier
        self.columns = columns
        self.representation = representation
        self.max_iter = max_iter
        self.tol = tol
        self.classifier_params = classifier_params
        self.class_weight = class_weight
        self.seed = seed

    def _reduce(self, X: np.ndarray) -> np.ndarray:
        Z = np.asarray(X, dtype=np.float64)[:, self.columns_]
        if self.representation == "distance":
            R = np.sqrt(_sq_distances(Z, self.centres_))
        else:
            R = fcm_memberships(Z, self.centres_, self.fuzzifier)
        return (R - self.r_mean_) / self.r_scale_

    def _fit(self, X, y, groups, *, feature_names):
        from classify.estimators import make_estimator

        if feature_names is None:
            raise ValueError("FCM needs the feature names to find the MFCC columns")
        self.columns_ = np.array([i for i, n in enumerate(feature_names) if n.startswith(self.columns)], dtype=np.int64)
        if len(self.columns_) == 0:
            from classify.errors import UsageError
            raise UsageError(f"model fcm: no feature named {self.columns}* in the store (it needs MFCC functionals)")
        Z = X[:, self.columns_]
        self.centres_ = fuzzy_c_means(Z, self.n_clusters, self.fuzzifier, max_iter=self.max_iter, tol=self.tol, seed=self.seed)
        self.r_mean_, self.r_scale_ = 0.0, 1.0
        R = self._reduce(X)
        self.r_mean_, self.r_scale_ = R.mean(axis=0), np.where(R.std(axis=0) > 1e-12, R.std(axis=0), 1.0)
        self.classifier_ = make_estimator(self.classifier, self.classifier_params or {}, self.class_weight, self.seed)
        self.classifier_.fit(self._reduce(X), y, groups, n_classes=self.n_classes_)
        self.best_params_ = {"n_columns": int(len(self.columns_)), **self.classifier_.fitted_params()}

    def predict_proba(self, X):
        return self.classifier_.predict_proba(self._reduce(X))

    def _arrays(self):
        return {"columns": self.columns_, "centres": self.centres_, "r_mean": np.asarray(self.r_mean_),
                "r_scale": np.asarray(self.r_scale_)}

    def save(self, directory, prefix):
        files, state = super().save(directory, prefix)
        inner_files, inner_state = self.classifier_.save(directory, f"{prefix}fcm-")
        return [*files, *inner_files], {**state, "classifier": {"params": self.classifier_.get_params(), "state": inner_state}}

    def _restore(self, arrays, state, directory, prefix):
        from classify.estimators import ESTIMATORS

        self.columns_, self.centres_ = arrays["columns"], arrays["centres"]
        self.r_mean_, self.r_scale_ = arrays["r_mean"], arrays["r_scale"]
        inner = state["classifier"]
        self.classifier_ = ESTIMATORS[self.classifier][0].load(directory, f"{prefix}fcm-", inner["params"], inner["state"])
