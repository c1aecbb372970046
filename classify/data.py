"""Labelled rows of a feature store as arrays: features (read chunk by chunk), labels, speaker groups.

Only rows with status ``ok`` and a non-empty label are used. A row's speaker group is
``"<corpus>:<speaker>"``, because speaker codes repeat across corpora ("03" is an EMO-DB speaker
and a RAVDESS actor). Nothing here reads audio.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from classify.errors import DataError, UsageError

#: Order of the harmonised labels in reports (corpora.HARMONISED_LABELS); others follow, sorted.
LABEL_ORDER = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "boredom")


def order_labels(labels) -> list[str]:
    """Distinct labels in report order: the harmonised ones first (neutral, calm, happy, ...), then the rest sorted."""
    distinct = set(labels)
    return [x for x in LABEL_ORDER if x in distinct] + sorted(distinct - set(LABEL_ORDER))


@dataclass
class LabelledData:
    """The labelled ok rows of one store.

    X: ``(n, d)`` float32 features; y: ``(n,)`` label names; groups: ``(n,)`` ``"corpus:speaker"``
    (``""`` for rows without a speaker); ids: utterance ids; rows: store row indices.
    """

    store: str
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    ids: np.ndarray
    rows: np.ndarray
    feature_names: list[str]
    feature_set: str
    feature_config: dict
    feature_hash: str
    extra: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return order_labels(self.y)

    def subset(self, mask: np.ndarray) -> "LabelledData":
        return LabelledData(
            self.store, self.X[mask], self.y[mask], self.groups[mask], self.ids[mask], self.rows[mask],
            self.feature_names, self.feature_set, self.feature_config, self.feature_hash, dict(self.extra),
        )

    def feature_info(self) -> dict:
        return {"name": self.feature_set, "hash": self.feature_hash, "config": self.feature_config}


def speaker_groups(corpus: Sequence[str], speaker: Sequence[str]) -> np.ndarray:
    """``"corpus:speaker"`` per row, ``""`` where the speaker is unknown."""
    return np.array([f"{c}:{s}" if s else "" for c, s in zip(corpus, speaker)], dtype=object)


def load_labelled(store_path: str, labels: Sequence[str] | None = None) -> LabelledData:
    """Read the ok, labelled rows of ``store_path`` (optionally only those whose label is in ``labels``)."""
    import features_store  # zarr: only where a store is read, not in a worker that labels with a model

    store = features_store.open(store_path)
    meta = store.meta
    keep = (meta["status"] == "ok").to_numpy() & (meta["label"] != "").to_numpy()
    if labels:
        unknown = sorted(set(labels) - set(meta["label"][keep]))
        if unknown:
            raise UsageError(
                f"--labels: {', '.join(unknown)} not in {store_path} (it has {', '.join(order_labels(meta['label'][keep]))})"
            )
        keep &= meta["label"].isin(list(labels)).to_numpy()
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        raise DataError(
            f"{store_path}: no labelled rows with status ok ({len(meta)} rows in all); "
            "extract a labelled corpus into it first"
        )
    selected = meta.iloc[rows]
    X = store.read_features(rows)
    return LabelledData(
        store=str(store_path),
        X=X,
        y=selected["label"].to_numpy(dtype=object),
        groups=speaker_groups(selected["corpus"], selected["speaker"]),
        ids=selected["id"].to_numpy(dtype=object),
        rows=rows,
        feature_names=store.feature_names,
        feature_set=store.feature_set,
        feature_config=store.feature_config,
        feature_hash=store.feature_hash,
    )
