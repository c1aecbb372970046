"""Late fusion: the weighted mean of member models' class probabilities (e.g. SVM + XGBoost)."""
from __future__ import annotations

import numpy as np

from classify.estimators.base import Estimator


class Fusion(Estimator):
    """Parameters: members (model kinds), weights (None = equal), member_params ({kind: params}), class_weight, seed."""

    kind = "fusion"

    def __init__(self, members=("svm", "xgboost"), weights=None, member_params: dict | None = None,
                 class_weight: str | None = None, seed: int = 0):
        self.members = members
        self.weights = weights
        self.member_params = member_params
        self.class_weight = class_weight
        self.seed = seed

    def _weights(self) -> np.ndarray:
        w = np.ones(len(self.members)) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        return w / w.sum()

    def _fit(self, X, y, groups, *, feature_names):
        from classify.estimators import make_estimator

        self.members_ = []
        for kind in self.members:
            member = make_estimator(kind, (self.member_params or {}).get(kind, {}), self.class_weight, self.seed)
            member.fit(X, y, groups, n_classes=self.n_classes_, feature_names=feature_names)
            self.members_.append(member)
        self.best_params_ = {kind: m.fitted_params() for kind, m in zip(self.members, self.members_)}

    def predict_proba(self, X):
        return sum(w * m.predict_proba(X) for w, m in zip(self._weights(), self.members_))

    def fitted_params(self):
        return dict(getattr(self, "best_params_", {}))

    def _arrays(self):
        return {}

    def save(self, directory, prefix):
        files, state = super().save(directory, prefix)
        members = []
        for i, member in enumerate(self.members_):
            member_files, member_state = member.save(directory, f"{prefix}m{i}-")
            files += member_files
            members.append({"kind": member.kind, "params": member.get_params(), "state": member_state})
        return files, {**state, "members": members}

    def _restore(self, arrays, state, directory, prefix):
        from classify.estimators import ESTIMATORS

        self.members_ = []
        for i, (kind, entry) in enumerate(zip(self.members, state["members"])):
            self.members_.append(ESTIMATORS[kind][0].load(directory, f"{prefix}m{i}-", entry["params"], entry["state"]))
