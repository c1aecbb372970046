"""Scores of a protocol run: UA (headline), WA, macro-F1, per-class recall, confusion, fold spread.

UA (unweighted average recall, = balanced accuracy) is the mean recall over the classes present in
the true labels; WA is accuracy; macro-F1 is the mean F1 over the classes present in the true or
predicted labels. Pooled scores are computed over all test predictions of all folds; ``fold_mean``
and ``fold_std`` (population std) over the folds' own scores.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from classify.calibration import PROBA_FLOOR


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> np.ndarray:
    """(n_labels, n_labels) counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """ua, wa, macro_f1 and n for integer-coded labels."""
    present = np.unique(y_true)
    ua = float(np.mean([np.mean(y_pred[y_true == c] == c) for c in present]))
    return {
        "ua": ua,
        "wa": float(np.mean(y_true == y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "n": int(len(y_true)),
    }


def calibration_scores(proba: np.ndarray, y_true: np.ndarray, n_bins: int = 15) -> dict:
    """Mean log loss and expected calibration error (top-label confidence, equal-width bins)."""
    p_true = np.clip(proba[np.arange(len(y_true)), y_true], PROBA_FLOOR, 1.0)
    confidence = proba.max(axis=1)
    correct = np.argmax(proba, axis=1) == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = sum(abs(correct[bins == b].mean() - confidence[bins == b].mean()) * np.mean(bins == b)
              for b in range(n_bins) if np.any(bins == b))
    return {"log_loss": float(-np.mean(np.log(p_true))), "ece": float(ece)}


def summarise(labels: list[str], y_true: np.ndarray, proba: np.ndarray, fold_of_row: np.ndarray,
              fold_info: list[dict]) -> dict:
    """Pooled and per-fold metrics. ``y_true`` integer codes into ``labels``; ``proba`` (n, n_labels)."""
    y_pred = np.argmax(proba, axis=1)
    pooled = scores(y_true, y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=np.arange(len(labels)), zero_division=0
    )
    per_fold = []
    for info in fold_info:
        rows = fold_of_row == info["fold"]
        per_fold.append({**info, **scores(y_true[rows], y_pred[rows])})
    spread = {key: [f[key] for f in per_fold] for key in ("ua", "wa", "macro_f1")}
    return {
        "ua": pooled["ua"],
        "wa": pooled["wa"],
        "macro_f1": pooled["macro_f1"],
        "n_utterances": pooled["n"],
        "labels": list(labels),
        "recall": {label: float(recall[i]) for i, label in enumerate(labels)},
        "per_class": {
            label: {"recall": float(recall[i]), "precision": float(precision[i]), "f1": float(f1[i]),
                    "support": int(support[i])}
            for i, label in enumerate(labels)
        },
        "confusion": confusion_matrix(y_true, y_pred, len(labels)).tolist(),
        "per_fold": per_fold,
        "fold_mean": {k: float(np.mean(v)) for k, v in spread.items()},
        "fold_std": {k: float(np.std(v)) for k, v in spread.items()},
        **calibration_scores(proba, y_true),
    }
