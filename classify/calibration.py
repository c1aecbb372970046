"""Temperature scaling: one scalar T, fit by log loss on out-of-fold scores of the training side.

``softmax(scores / T)``; for probabilities the scores are their logarithms. The arg-max (and so
UA and WA) is unchanged; only the confidence is calibrated.
"""
from __future__ import annotations

import numpy as np

PROBA_FLOOR = 1e-12


def softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_proba(proba: np.ndarray) -> np.ndarray:
    return np.log(np.clip(proba, PROBA_FLOOR, 1.0))


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The T in [0.01, 100] minimising the mean negative log-likelihood of ``softmax(scores / T)``."""
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)

    def nll(log_t: float) -> float:
        p = softmax(scores / np.exp(log_t))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], PROBA_FLOOR, 1.0))))

    from scipy.optimize import minimize_scalar  # here: training only; labelling workers never load it

    result = minimize_scalar(nll, bounds=(np.log(0.01), np.log(100.0)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))
