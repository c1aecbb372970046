"""Feature normalisation, fit on the training side only.

* ``none``: features as stored (non-finite values replaced by the training mean).
* ``global``: standardisation with the training rows' mean and standard deviation.
* ``speaker``: per-speaker z-normalisation: every speaker group's rows are standardised with that
  group's own mean and standard deviation. For a speaker not seen in training this uses the
  (unlabelled) features of the test speaker, so it is *transductive*; reports say "per-speaker
  normalisation (transductive)". A speaker seen in training (speaker-dependent protocols) keeps its
  training statistics; an unseen group with fewer than ``min_rows`` rows falls back to the training
  rows' pooled statistics.

Every normaliser keeps only numpy arrays (saved as ``.npz`` without pickle).
"""
from __future__ import annotations

import numpy as np

from classify.errors import UsageError

NORMALISATIONS = ("none", "global", "speaker")
TRANSDUCTIVE_NOTE = "per-speaker normalisation (transductive)"


def _stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and standard deviation over finite values; a constant (or empty) column gets scale 1."""
    finite = np.isfinite(X)
    count = finite.sum(axis=0)
    Xz = np.where(finite, X, 0.0)
    mean = Xz.sum(axis=0) / np.maximum(count, 1)
    var = (np.where(finite, X - mean, 0.0) ** 2).sum(axis=0) / np.maximum(count, 1)
    scale = np.sqrt(var)
    scale[~(scale > 1e-12)] = 1.0
    return mean, scale


def _fill(X: np.ndarray, fill: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    bad = ~np.isfinite(X)
    if bad.any():
        X = X.copy()
        X[bad] = np.broadcast_to(fill, X.shape)[bad]
    return X


class Normaliser:
    """Base: ``fit(X, groups)`` on training rows, ``transform(X, groups)`` on any rows."""

    kind = "none"
    transductive = False

    def fit(self, X: np.ndarray, groups: np.ndarray | None = None) -> "Normaliser":
        self.mean_, self.scale_ = _stats(np.asarray(X, dtype=np.float64))
        return self

    def transform(self, X: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        return _fill(X, self.mean_)

    def fit_transform(self, X: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        return self.fit(X, groups).transform(X, groups)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "scale": self.scale_}

    def config(self) -> dict:
        return {"kind": self.kind, "transductive": self.transductive}

    @classmethod
    def from_arrays(cls, arrays: dict, config: dict) -> "Normaliser":
        self = cls(**{k: v for k, v in config.items() if k not in ("kind", "transductive")})
        self.mean_, self.scale_ = np.asarray(arrays["mean"]), np.asarray(arrays["scale"])
        return self


class NoNormalisation(Normaliser):
    kind = "none"


class GlobalStandardiser(Normaliser):
    kind = "global"

    def transform(self, X, groups=None):
        return (_fill(X, self.mean_) - self.mean_) / self.scale_


class SpeakerNormaliser(Normaliser):
    """Per-speaker z-normalisation.

    ``fit`` keeps every training group's statistics (``group_keys_``, ``group_mean_``,
    ``group_scale_``) and the pooled ones. ``transform`` standardises a group seen in training with
    its training statistics (so a speaker-dependent protocol never uses test rows), an unseen group
    of at least ``min_rows`` rows with its own statistics (transductive), and a smaller unseen group
    with the pooled training statistics. ``groups=None`` makes the whole input one unseen group.
    """

    kind = "speaker"
    transductive = True

    def __init__(self, min_rows: int = 10):
        self.min_rows = min_rows

    def fit(self, X, groups=None):
        super().fit(X, groups)
        X = _fill(X, self.mean_)
        keys, means, scales = [], [], []
        if groups is not None:
            groups = np.asarray(groups).astype(str)
            for group in np.unique(groups[groups != ""]):  # rows without a speaker are no speaker
                mean, scale = _stats(X[groups == group])
                keys.append(group)
                means.append(mean)
                scales.append(scale)
        d = X.shape[1]
        self.group_keys_ = np.array(keys, dtype=str)
        self.group_mean_ = np.array(means).reshape(len(keys), d)
        self.group_scale_ = np.array(scales).reshape(len(keys), d)
        return self

    def transform(self, X, groups=None):
        X = _fill(X, self.mean_)
        out = (X - self.mean_) / self.scale_  # pooled training statistics: the small-group fallback
        groups = np.full(len(X), "\0batch", dtype=object) if groups is None else np.asarray(groups).astype(str)
        known = {key: i for i, key in enumerate(self.group_keys_.tolist())}
        for group in np.unique(groups):
            rows = np.flatnonzero(groups == group)
            if group in known:
                i = known[group]
                out[rows] = (X[rows] - self.group_mean_[i]) / self.group_scale_[i]
            elif len(rows) >= self.min_rows:
                mean, scale = _stats(X[rows])
                out[rows] = (X[rows] - mean) / scale
        return out

    def to_arrays(self):
        return {**super().to_arrays(), "group_keys": self.group_keys_, "group_mean": self.group_mean_,
                "group_scale": self.group_scale_}

    @classmethod
    def from_arrays(cls, arrays, config):
        self = super().from_arrays(arrays, config)
        self.group_keys_ = np.asarray(arrays["group_keys"]).astype(str)
        self.group_mean_ = np.asarray(arrays["group_mean"])
        self.group_scale_ = np.asarray(arrays["group_scale"])
        return self

    def config(self) -> dict:
        return {**super().config(), "min_rows": self.min_rows, "note": TRANSDUCTIVE_NOTE}


_KINDS = {"none": NoNormalisation, "global": GlobalStandardiser, "speaker": SpeakerNormaliser}


def make_normaliser(kind: str) -> Normaliser:
    try:
        return _KINDS[kind]()
    except KeyError:
        raise UsageError(f"--normalise {kind!r}: choose one of {', '.join(NORMALISATIONS)}") from None


def normaliser_from_arrays(arrays: dict, config: dict) -> Normaliser:
    return _KINDS[config["kind"]].from_arrays(arrays, config)
