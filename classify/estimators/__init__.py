"""Estimators by model kind, following scikit-learn's conventions, persisted without pickle.

| kind | estimator |
| --- | --- |
| ``xgboost`` | XGBoost hist, early stopping on held-out training speakers (``xgb.XGBoost``) |
| ``svm`` | RBF SVM, C and gamma by inner speaker-group CV (``svm.SVM``) |
| ``svm-linear`` | linear SVM, C by inner speaker-group CV |
| ``knn`` | k-nearest neighbours, k by inner CV |
| ``mlp`` | multilayer perceptron (the survey's ANN) |
| ``lda`` | shrinkage linear discriminant analysis |
| ``fcm-mlp``, ``fcm-svm``, ``fcm-knn`` | MFCC -> fuzzy C-means -> classifier (Demircan & Kahramanli 2018) |
| ``svm+xgboost`` (any ``a+b``) | mean of the members' probabilities |
"""
from __future__ import annotations

import inspect

from classify.errors import UsageError
from classify.estimators.base import Estimator
from classify.estimators.fcm import FCM
from classify.estimators.fusion import Fusion
from classify.estimators.knn import KNN
from classify.estimators.linear import LDA, MLP
from classify.estimators.svm import SVM
from classify.estimators.xgb import XGBoost

#: kind -> (class, fixed constructor arguments)
ESTIMATORS: dict[str, tuple[type[Estimator], dict]] = {
    "xgboost": (XGBoost, {}),
    "svm": (SVM, {"kernel": "rbf"}),
    "svm-linear": (SVM, {"kernel": "linear", "C": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 1e-1)}),
    "knn": (KNN, {}),
    "mlp": (MLP, {}),
    "lda": (LDA, {}),
    "fcm-mlp": (FCM, {"classifier": "mlp"}),
    "fcm-svm": (FCM, {"classifier": "svm"}),
    "fcm-knn": (FCM, {"classifier": "knn"}),
    "fcm": (FCM, {}),
    "fusion": (Fusion, {}),
}
#: The kinds offered on the command line (``a+b`` fusions of them too).
MODEL_KINDS = ("xgboost", "svm", "svm-linear", "knn", "mlp", "lda", "fcm-mlp", "fcm-svm", "fcm-knn")


def check_kind(kind: str) -> str:
    parts = kind.split("+")
    bad = [p for p in parts if p not in MODEL_KINDS]
    if bad or not kind:
        raise UsageError(
            f"--model {kind!r}: unknown model kind; choose one of {', '.join(MODEL_KINDS)} or a fusion such as svm+xgboost"
        )
    return kind


def make_estimator(kind: str, params: dict | None = None, class_weight: str | None = None, seed: int = 0) -> Estimator:
    """A new (unfitted) estimator of ``kind``; ``params`` override its defaults (UsageError on an unknown name)."""
    check_kind(kind) if "+" in kind else None
    params = dict(params or {})
    if "+" in kind:
        members = tuple(kind.split("+"))
        params = {"members": members, "member_params": params.pop("member_params", {}), **params}
        cls, fixed = Fusion, {}
    else:
        if kind not in ESTIMATORS:
            check_kind(kind)
        cls, fixed = ESTIMATORS[kind]
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise UsageError(f"--param {unknown[0]}: not a parameter of model {kind!r}; it takes {', '.join(sorted(accepted))}")
    merged = {**fixed, **params}
    if "class_weight" in accepted and class_weight not in (None, "none"):
        merged.setdefault("class_weight", class_weight)
    if "seed" in accepted:
        merged.setdefault("seed", seed)
    return cls(**merged)


__all__ = ["ESTIMATORS", "MODEL_KINDS", "Estimator", "check_kind", "make_estimator"]
