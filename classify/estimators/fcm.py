"""MFCC -> fuzzy C-means -> ANN / SVM / KNN (after Demircan & Kahramanli 2018).

Demircan S., Kahramanli H. (2018), "Application of fuzzy C-means clustering algorithm to spectral
features for emotion classification from speech", Neural Computing and Applications 29:59-66:
statistics of MFCCs; "cluster centers were identified by using type-1 fuzzy C-means (FCM) and used
as input to the classifier" (ANN, kNN, SVM; EMO-DB, seven emotions; 92.86 % with SVM, speaker-
dependent). The full text is not open; this is our reading of the abstract, computed from the store:

* input columns: the MFCC functionals (feature names starting with ``columns``, default "mfcc":
  static, delta and delta-delta), already normalised by the pipeline;
* ``representation="prototypes"`` (default): type-1 FCM (fuzzifier m) on each class's training
  rows gives ``n_clusters`` centres per class; the classifier is trained on those centres (labelled
  with their class) - FCM as a reduction of the training data to class prototypes; test utterances
  go to the classifier unchanged;
* ``representation="membership"`` / ``"distance"``: FCM on all training rows (unsupervised); every
  utterance becomes its fuzzy memberships to (or distances from) the centres, standardised on the
  training rows - FCM as a reduction of the feature dimension. (Much weaker on EMO-DB: memberships
  in ~900 dimensions are nearly uniform.)

FCM is fit on the training side only and initialised from ``seed``-chosen training rows.
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


def fuzzy_c_means(Z: np.ndarray, n_clusters: int, m: float = 2.0, *, max_iter: int = 300, tol: float = 1e-5,
                  seed: int = 0) -> np.ndarray:
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

    def __init__(self, classifier: str = "mlp", n_clusters: int = 10, fuzzifier: float = 2.0,
                 columns: str = "mfcc", representation: str = "prototypes", max_iter: int = 300,
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
        if self.representation == "prototypes":
            return Z
        if self.representation == "distance":
            R = np.sqrt(_sq_distances(Z, self.centres_))
        else:
            R = fcm_memberships(Z, self.centres_, self.fuzzifier)
        return (R - self.r_mean_) / self.r_scale_

    def _fit(self, X, y, groups, *, feature_names):
        from classify.errors import UsageError
        from classify.estimators import make_estimator

        if self.representation not in ("prototypes", "membership", "distance"):
            raise UsageError(f"model fcm: representation {self.representation!r}: prototypes, membership or distance")
        if feature_names is None:
            raise UsageError("model fcm: needs the feature names to find the MFCC columns")
        self.columns_ = np.array([i for i, n in enumerate(feature_names) if n.startswith(self.columns)], dtype=np.int64)
        if len(self.columns_) == 0:
            raise UsageError(f"model fcm: no feature named {self.columns}* in the store (it needs MFCC functionals)")
        Z = X[:, self.columns_]
        fcm = dict(m=self.fuzzifier, max_iter=self.max_iter, tol=self.tol, seed=self.seed)
        self.r_mean_, self.r_scale_ = np.zeros(1), np.ones(1)
        if self.representation == "prototypes":
            centres, labels = [], []
            for c in np.unique(y):
                rows = Z[y == c]
                k = min(self.n_clusters, len(rows))
                centres.append(fuzzy_c_means(rows, k, **fcm))
                labels.append(np.full(k, c))
            self.centres_ = np.concatenate(centres)
            train_X, train_y, train_groups = self.centres_, np.concatenate(labels), None
        else:
            self.centres_ = fuzzy_c_means(Z, self.n_clusters, **fcm)
            R = self._reduce(X)
            self.r_mean_, self.r_scale_ = R.mean(axis=0), np.where(R.std(axis=0) > 1e-12, R.std(axis=0), 1.0)
            train_X, train_y, train_groups = self._reduce(X), y, groups
        self.classifier_ = make_estimator(self.classifier, self.classifier_params or {}, self.class_weight, self.seed)
        self.classifier_.fit(train_X, train_y, train_groups, n_classes=self.n_classes_)
        self.best_params_ = {"n_columns": int(len(self.columns_)), "n_centres": int(len(self.centres_)),
                             **self.classifier_.fitted_params()}

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
