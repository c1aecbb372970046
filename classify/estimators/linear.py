"""Linear discriminant analysis (shrinkage LDA) and a multilayer perceptron, numpy prediction.

Both are trained by scikit-learn; afterwards only their arrays are kept, and prediction is numpy
code tested to equal scikit-learn's ``predict_proba``.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit

from classify.calibration import softmax
from classify.estimators.base import Estimator, class_weights, expand

_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "logistic": expit,
    "identity": lambda z: z,
}


def _two_or_more(decision: np.ndarray) -> np.ndarray:
    """Probabilities from a linear output: logistic for one column (binary), softmax otherwise."""
    if decision.shape[1] == 1:
        p = expit(decision[:, 0])
        return np.column_stack([1.0 - p, p])
    return softmax(decision)


class LDA(Estimator):
    """Parameters: solver ("lsqr"/"eigen"/"svd"), shrinkage ("auto", a float, or None), class_weight (balanced -> equal priors)."""

    kind = "lda"

    def __init__(self, solver: str = "lsqr", shrinkage="auto", class_weight: str | None = None):
        self.solver = solver
        self.shrinkage = shrinkage
        self.class_weight = class_weight

    def _fit(self, X, y, groups, *, feature_names):
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis  # here: a loaded model needs numpy only

        k = len(self.present_)
        priors = np.full(k, 1.0 / k) if self.class_weight == "balanced" else None
        lda = LinearDiscriminantAnalysis(solver=self.solver, shrinkage=None if self.solver == "svd" else self.shrinkage,
                                         priors=priors)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lda.fit(X, y)
        self.coef_, self.intercept_ = np.atleast_2d(lda.coef_), np.atleast_1d(lda.intercept_)

    def predict_proba(self, X):
        decision = np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_
        return expand(_two_or_more(decision), self.present_, self.n_classes_)

    def _arrays(self):
        return {"coef": self.coef_, "intercept": self.intercept_}

    def _restore(self, arrays, state, directory, prefix):
        self.coef_, self.intercept_ = arrays["coef"], arrays["intercept"]


class MLP(Estimator):
    """Multilayer perceptron (the survey's ANN). Parameters as scikit-learn's MLPClassifier, plus class_weight."""

    kind = "mlp"

    def __init__(self, hidden_layer_sizes=(256,), activation: str = "relu", alpha: float = 0.01,
                 learning_rate_init: float = 0.001, batch_size: int = 64, max_iter: int = 200,
                 class_weight: str | None = None, seed: int = 0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.seed = seed

    def _fit(self, X, y, groups, *, feature_names):
        from sklearn.neural_network import MLPClassifier  # here: a loaded model needs numpy only

        mlp = MLPClassifier(hidden_layer_sizes=tuple(self.hidden_layer_sizes), activation=self.activation,
                            alpha=self.alpha, learning_rate_init=self.learning_rate_init,
                            batch_size=min(self.batch_size, len(y)), max_iter=self.max_iter, random_state=self.seed)
        codes = np.searchsorted(self.present_, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is expected
            mlp.fit(X, codes, sample_weight=class_weights(codes, len(self.present_), self.class_weight))
        self.coefs_ = [np.asarray(w) for w in mlp.coefs_]
        self.intercepts_ = [np.asarray(b) for b in mlp.intercepts_]
        self.best_params_ = {"n_iter": int(mlp.n_iter_)}

    def predict_proba(self, X):
        a = np.asarray(X, dtype=np.float64)
        act = _ACTIVATIONS[self.activation]
        for W, b in zip(self.coefs_[:-1], self.intercepts_[:-1]):
            a = act(a @ W + b)
        out = a @ self.coefs_[-1] + self.intercepts_[-1]
        return expand(_two_or_more(out), self.present_, self.n_classes_)

    def _arrays(self):
        arrays = {}
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            arrays[f"W{i}"], arrays[f"b{i}"] = W, b
        return arrays

    def _state(self):
        return {"n_layers": len(self.coefs_)}

    def _restore(self, arrays, state, directory, prefix):
        n = int(state["n_layers"])
        self.coefs_ = [arrays[f"W{i}"] for i in range(n)]
        self.intercepts_ = [arrays[f"b{i}"] for i in range(n)]
