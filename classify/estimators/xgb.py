"""Gradient-boosted trees (XGBoost, ``tree_method="hist"``), saved as native UBJSON.

The number of boosting rounds is chosen by early stopping on a validation split carved from the
*training speakers only* (``validation_fraction`` of them, at least one; rows when there are no
speakers). With ``refit=True`` (default) the model is then retrained on all training rows for the
best number of rounds (scaled by ``refit_rounds_scale`` for the larger training set); otherwise the
early-stopped booster is kept, cut at its best iteration.
"""
from __future__ import annotations

import numpy as np

from classify.estimators.base import Estimator, class_weights, expand
from classify.protocols import validation_split


class XGBoost(Estimator):
    kind = "xgboost"

    def __init__(self, max_rounds: int = 1000, learning_rate: float = 0.1, max_depth: int = 4,
                 min_child_weight: float = 1.0, subsample: float = 0.8, colsample_bytree: float = 0.2,
                 colsample_bynode: float = 0.5, reg_lambda: float = 1.0, max_bin: int = 64,
                 early_stopping_rounds: int = 30, validation_fraction: float = 0.2, refit: bool = True,
                 refit_rounds_scale: float = 1.0, class_weight: str | None = None, n_jobs: int = 1, seed: int = 0):
        self.max_rounds = max_rounds
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.colsample_bynode = colsample_bynode
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.refit_rounds_scale = refit_rounds_scale
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.seed = seed

    def _booster_params(self, n_classes: int) -> dict:
        return {
            "objective": "multi:softprob", "num_class": n_classes, "eval_metric": "mlogloss",
            "tree_method": "hist", "eta": self.learning_rate, "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight, "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree, "colsample_bynode": self.colsample_bynode,
            "lambda": self.reg_lambda, "max_bin": self.max_bin, "nthread": self.n_jobs, "seed": self.seed,
            "verbosity": 0,
        }

    def _fit(self, X, y, groups, *, feature_names) -> None:
        import xgboost as xgb  # in the methods: ~0.3 s to import, and only xgboost models need it

        codes = np.searchsorted(self.present_, y)  # xgboost needs labels 0..k-1 of the classes present
        k = len(self.present_)
        weights = class_weights(codes, k, self.class_weight)
        params = self._booster_params(k)
        train, val = validation_split(codes, groups, self.validation_fraction, self.seed)

        def dmatrix(rows):
            return xgb.DMatrix(X[rows], label=codes[rows], weight=None if weights is None else weights[rows])

        dval = dmatrix(val)
        booster = xgb.train(params, dmatrix(train), num_boost_round=self.max_rounds, evals=[(dval, "validation")],
                            early_stopping_rounds=self.early_stopping_rounds, verbose_eval=False)
        best = int(booster.best_iteration) + 1
        self.best_params_ = {"n_rounds": best, "validation_speakers": len(set(groups[val])) if groups is not None else 0}
        if self.refit:
            rounds = max(1, int(round(best * self.refit_rounds_scale)))
            self.booster_ = xgb.train(params, dmatrix(np.arange(len(y))), num_boost_round=rounds, verbose_eval=False)
            self.best_params_["n_rounds_refit"] = rounds
        else:
            self.booster_ = booster[:best]

    def predict_proba(self, X) -> np.ndarray:
        import xgboost as xgb

        proba = self.booster_.predict(xgb.DMatrix(np.asarray(X, dtype=np.float64)))
        return expand(proba.reshape(len(X), -1).astype(np.float64), self.present_, self.n_classes_)

    def save(self, directory, prefix):
        name = f"{prefix}xgboost.ubj"
        self.booster_.save_model(str(directory / name))
        files, state = super().save(directory, prefix)
        return [name, *files], state

    def _arrays(self):
        return {}

    def _restore(self, arrays, state, directory, prefix):
        import xgboost as xgb

        self.booster_ = xgb.Booster()
        self.booster_.load_model(str(directory / f"{prefix}xgboost.ubj"))
        self.booster_.set_param({"nthread": self.n_jobs})
