"""The model: normalisation -> feature selection -> estimator -> (optional) calibration.

``EmotionModel(spec).fit(X, labels, groups, feature_names)`` learns every step on the training
rows only; ``predict_proba(X, groups)`` gives ``(n, n_labels)`` probabilities in the order of
``labels_``. ``groups`` (speaker groups) matter only for per-speaker normalisation (transductive:
each group of the input is standardised with its own statistics) and for the inner speaker-group
splits during ``fit``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from classify.calibration import fit_temperature, log_proba, softmax
from classify.data import order_labels
from classify.errors import UsageError
from classify.estimators import check_kind, make_estimator
from classify.normalise import make_normaliser
from classify.protocols import inner_splits
from classify.selection import FeatureSelector

CLASS_WEIGHTS = ("none", "balanced")


@dataclass
class ModelSpec:
    """Everything that determines a model besides its training data (JSON-ready)."""

    kind: str = "svm"
    params: dict = field(default_factory=dict)
    normalise: str = "global"
    class_weight: str = "none"
    select_features: int | None = None
    calibrate: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        check_kind(self.kind)
        make_normaliser(self.normalise)
        if self.class_weight not in CLASS_WEIGHTS:
            raise UsageError(f"--class-weight {self.class_weight!r}: choose one of {', '.join(CLASS_WEIGHTS)}")
        if self.select_features is not None and self.select_features < 1:
            raise UsageError(f"--select-features {self.select_features}: must be at least 1")
        make_estimator(self.kind, self.params, self.class_weight, self.seed)  # validates the parameters

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        return cls(**data)

    def describe(self) -> str:
        parts = [self.kind, f"normalise={self.normalise}"]
        if self.class_weight != "none":
            parts.append(f"class-weight={self.class_weight}")
        if self.select_features:
            parts.append(f"select={self.select_features}")
        if self.calibrate:
            parts.append("calibrated")
        parts += [f"{k}={v}" for k, v in sorted(self.params.items())]
        return ", ".join(parts)


class EmotionModel:
    """A fitted pipeline. Learned: ``labels_``, ``normaliser_``, ``selector_``, ``estimator_``, ``temperature_``."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    # ---- fitting -----------------------------------------------------------------------------
    def _new_estimator(self):
        return make_estimator(self.spec.kind, self.spec.params, self.spec.class_weight, self.spec.seed)

    def fit(self, X: np.ndarray, labels, groups=None, feature_names=None) -> "EmotionModel":
        labels = np.asarray(labels, dtype=object)
        self.labels_ = order_labels(labels)
        y = np.array([self.labels_.index(v) for v in labels], dtype=np.int64)
        groups = None if groups is None else np.asarray(groups, dtype=object)
        self.feature_names_in_ = None if feature_names is None else list(feature_names)
        self.n_features_in_ = int(X.shape[1])

        self.normaliser_ = make_normaliser(self.spec.normalise).fit(X, groups)
        Z = self.normaliser_.transform(X, groups)
        self.selector_ = None
        names = self.feature_names_in_
        if self.spec.select_features:
            self.selector_ = FeatureSelector(self.spec.select_features).fit(Z, y)
            Z = self.selector_.transform(Z)
            names = None if names is None else [names[i] for i in self.selector_.support_]
        self.estimator_ = self._new_estimator().fit(Z, y, groups, n_classes=len(self.labels_), feature_names=names)

        self.temperature_ = 1.0
        if self.spec.calibrate:
            oof = np.zeros((len(y), len(self.labels_)))
            splits = inner_splits(y, groups, 3, self.spec.seed)
            for train, val in splits:
                est = self._new_estimator().fit(Z[train], y[train], None if groups is None else groups[train],
                                                n_classes=len(self.labels_), feature_names=names)
                oof[val] = est.predict_proba(Z[val])
            if splits:
                covered = np.concatenate([val for _, val in splits])
                self.temperature_ = fit_temperature(log_proba(oof[covered]), y[covered])
        return self

    # ---- prediction --------------------------------------------------------------------------
    def transform(self, X: np.ndarray, groups=None) -> np.ndarray:
        if X.shape[1] != self.n_features_in_:
            raise UsageError(f"features have {X.shape[1]} columns, the model expects {self.n_features_in_}")
        Z = self.normaliser_.transform(X, None if groups is None else np.asarray(groups, dtype=object))
        return Z if self.selector_ is None else self.selector_.transform(Z)

    def predict_proba(self, X: np.ndarray, groups=None) -> np.ndarray:
        """``(n, len(labels_))`` class probabilities."""
        proba = self.estimator_.predict_proba(self.transform(X, groups))
        if self.temperature_ != 1.0:
            proba = softmax(log_proba(proba) / self.temperature_)
        return proba

    def predict(self, X: np.ndarray, groups=None) -> np.ndarray:
        return np.array(self.labels_, dtype=object)[np.argmax(self.predict_proba(X, groups), axis=1)]

    def fitted_params(self) -> dict:
        params = self.estimator_.fitted_params()
        if self.spec.calibrate:
            params["temperature"] = round(self.temperature_, 4)
        return params
