"""Late fusion: the weighted mean of member models' class probabilities (e.g. SVM + XGBoost).

``weights``: None (equal), a list (fixed), or ``"inner-cv"``: chosen on the training side only,
from out-of-fold probabilities of the members on ``inner_folds`` speaker-group folds, among the
weight vectors on a grid of step ``weight_step`` (the one with the best inner UA; ties go to the
vector closest to equal weights). Inner XGBoost fits skip their refit (``refit=False``) to save time.
"""
from __future__ import annotations

from itertools import product

import numpy as np

from classify.estimators.base import Estimator, unweighted_recall
from classify.protocols import inner_splits


def weight_grid(n_members: int, step: float) -> list[np.ndarray]:
    """Weight vectors with entries in multiples of ``step`` summing to one."""
    n_steps = int(round(1.0 / step))
    out = []
    for combo in product(range(n_steps + 1), repeat=n_members):
        if sum(combo) == n_steps:
            out.append(np.array(combo, dtype=np.float64) / n_steps)
    return out


class Fusion(Estimator):
    """Parameters: members (model kinds), weights (None = equal, a list, or "inner-cv"), member_params
    ({kind: params}), inner_folds, weight_step, class_weight, seed."""

    kind = "fusion"

    def __init__(self, members=("svm", "xgboost"), weights=None, member_params: dict | None = None,
                 inner_folds: int = 3, weight_step: float = 0.25, class_weight: str | None = None, seed: int = 0):
        self.members = members
        self.weights = weights
        self.member_params = member_params
        self.inner_folds = inner_folds
        self.weight_step = weight_step
        self.class_weight = class_weight
        self.seed = seed

    def _member(self, kind: str, inner: bool = False):
        from classify.estimators import make_estimator

        params = dict((self.member_params or {}).get(kind, {}))
        if inner and kind == "xgboost":
            params.setdefault("refit", False)
        return make_estimator(kind, params, self.class_weight, self.seed)

    def _choose_weights(self, X, y, groups, feature_names) -> np.ndarray:
        equal = np.full(len(self.members), 1.0 / len(self.members))
        if self.weights is None:
            return equal
        if self.weights != "inner-cv":
            w = np.asarray(self.weights, dtype=np.float64)
            return w / w.sum()
        splits = inner_splits(y, groups, self.inner_folds, self.seed)
        if not splits:
            return equal
        oof = np.zeros((len(self.members), len(y), self.n_classes_))
        for train, val in splits:
            for i, kind in enumerate(self.members):
                member = self._member(kind, inner=True).fit(
                    X[train], y[train], None if groups is None else groups[train],
                    n_classes=self.n_classes_, feature_names=feature_names)
                oof[i, val] = member.predict_proba(X[val])
        covered = np.concatenate([val for _, val in splits])
        best, best_key = equal, None
        for w in weight_grid(len(self.members), self.weight_step):
            ua = unweighted_recall(y[covered], np.argmax(np.tensordot(w, oof[:, covered], axes=1), axis=1))
            key = (round(ua, 10), -float(np.abs(w - equal).sum()))
            if best_key is None or key > best_key:
                best, best_key = w, key
        self.inner_ua_ = float(best_key[0])
        return best

    def _fit(self, X, y, groups, *, feature_names):
        self.weights_ = self._choose_weights(X, y, groups, feature_names)
        # a member with weight 0 is not fitted (None in members_)
        self.members_ = [
            self._member(kind).fit(X, y, groups, n_classes=self.n_classes_, feature_names=feature_names) if w > 0 else None
            for kind, w in zip(self.members, self.weights_)
        ]
        self.best_params_ = {kind: m.fitted_params() for kind, m in zip(self.members, self.members_) if m is not None}
        self.best_params_["weights"] = [round(float(w), 4) for w in self.weights_]

    def predict_proba(self, X):
        return sum(w * m.predict_proba(X) for w, m in zip(self.weights_, self.members_) if m is not None)

    def _arrays(self):
        return {"weights": self.weights_}

    def save(self, directory, prefix):
        files, state = super().save(directory, prefix)
        members = []
        for i, member in enumerate(self.members_):
            if member is None:
                members.append(None)
                continue
            member_files, member_state = member.save(directory, f"{prefix}m{i}-")
            files += member_files
            members.append({"kind": member.kind, "params": member.get_params(), "state": member_state})
        return files, {**state, "members": members}

    def _restore(self, arrays, state, directory, prefix):
        from classify.estimators import ESTIMATORS

        self.weights_ = np.asarray(arrays["weights"], dtype=np.float64)
        self.members_ = []
        for i, (kind, entry) in enumerate(zip(self.members, state["members"])):
            self.members_.append(None if entry is None else
                                 ESTIMATORS[kind][0].load(directory, f"{prefix}m{i}-", entry["params"], entry["state"]))
