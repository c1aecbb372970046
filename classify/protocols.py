"""Evaluation protocols as split functions over speaker groups.

A protocol turns labels ``y`` and speaker groups ``groups`` (``"corpus:speaker"``) into folds of
row indices. Speaker-independent protocols never put a speaker on both sides of a fold:

* ``loso``: leave one speaker out, one fold per speaker (EMO-DB: 10 folds).
* ``speaker-folds:K``: speakers sorted naturally ("2" before "10") and cut into K contiguous groups
  of sizes differing by at most one (``numpy.array_split``); fold k tests group k. For RAVDESS's 24
  actors and K=6 this is the standard split: fold k holds actors 4k-3 .. 4k.
* ``cross-corpus``: train on one store, test on another (one fold; see ``cross_corpus_folds``).

``kfold:K`` is speaker-dependent: stratified K-fold over utterances, shuffled with the seed.

Inner splits (hyper-parameter search, early stopping, calibration) are carved from the training
side only, also by speaker group when the training rows have at least two speakers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from classify.errors import DataError, UsageError

PROTOCOL_HELP = "loso, speaker-folds:K, kfold:K or cross-corpus"


@dataclass(frozen=True)
class Protocol:
    name: str  # "loso" | "speaker-folds" | "kfold" | "cross-corpus"
    k: int | None = None

    def __str__(self) -> str:
        return f"{self.name}:{self.k}" if self.k is not None else self.name

    @property
    def speaker_independent(self) -> bool:
        return self.name != "kfold"


@dataclass(frozen=True)
class Fold:
    """Row indices of one fold's training and test sides, and the speaker groups tested."""

    index: int
    train: np.ndarray
    test: np.ndarray
    test_speakers: tuple[str, ...]


def parse_protocol(text: str) -> Protocol:
    """``"loso"``, ``"speaker-folds:6"``, ``"kfold:10"`` or ``"cross-corpus"`` -> Protocol; UsageError otherwise."""
    text = text.strip().lower()
    if text in ("loso", "cross-corpus"):
        return Protocol(text)
    match = re.fullmatch(r"(speaker-folds|kfold):(\d+)", text)
    if not match:
        raise UsageError(f"--protocol {text!r}: expected {PROTOCOL_HELP}")
    k = int(match.group(2))
    if k < 2:
        raise UsageError(f"--protocol {text}: K must be at least 2")
    return Protocol(match.group(1), k)


def natural_key(text: str) -> tuple:
    """Sort key that orders digit runs by value: "ravdess:2" < "ravdess:10"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def sorted_speakers(groups: np.ndarray) -> list[str]:
    return sorted({str(g) for g in groups}, key=natural_key)


def _require_speakers(groups: np.ndarray, protocol: str, minimum: int) -> list[str]:
    if any(g == "" for g in groups):
        raise DataError(
            f"--protocol {protocol}: {sum(g == '' for g in groups)} rows have no speaker; "
            "use --protocol kfold:K (speaker-dependent) for a corpus without speakers"
        )
    speakers = sorted_speakers(groups)
    if len(speakers) < minimum:
        raise DataError(f"--protocol {protocol}: needs at least {minimum} speakers, the data has {len(speakers)}")
    return speakers


def _fold(index: int, test_mask: np.ndarray, groups: np.ndarray) -> Fold:
    test = np.flatnonzero(test_mask)
    return Fold(index, np.flatnonzero(~test_mask), test, tuple(sorted_speakers(groups[test])))


def loso_folds(groups: np.ndarray) -> list[Fold]:
    """One fold per speaker group, in natural order."""
    groups = np.asarray(groups, dtype=object)
    speakers = _require_speakers(groups, "loso", 2)
    return [_fold(i, groups == s, groups) for i, s in enumerate(speakers)]


def speaker_folds(groups: np.ndarray, k: int) -> list[Fold]:
    """Speakers sorted naturally, cut into ``k`` contiguous groups (sizes differ by at most one)."""
    groups = np.asarray(groups, dtype=object)
    speakers = _require_speakers(groups, f"speaker-folds:{k}", k)
    parts = np.array_split(np.array(speakers, dtype=object), k)
    return [_fold(i, np.isin(groups, part), groups) for i, part in enumerate(parts)]


def kfold_folds(y: np.ndarray, k: int, seed: int, groups: np.ndarray | None = None) -> list[Fold]:
    """Stratified K-fold over utterances (speaker-dependent), shuffled with ``seed``."""
    y = np.asarray(y)
    smallest = min(np.unique(y, return_counts=True)[1])
    if smallest < k:
        raise DataError(f"--protocol kfold:{k}: the smallest class has only {smallest} rows; choose K <= {smallest}")
    groups = np.full(len(y), "", dtype=object) if groups is None else np.asarray(groups, dtype=object)
    from sklearn.model_selection import StratifiedKFold  # here: ~0.7 s to import, and labelling never splits

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = []
    for i, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        mask = np.zeros(len(y), dtype=bool)
        mask[test] = True
        folds.append(_fold(i, mask, groups))
    return folds


def cross_corpus_folds(n_train: int, n_test: int, groups: np.ndarray) -> list[Fold]:
    """One fold over concatenated data: the first ``n_train`` rows train, the next ``n_test`` test."""
    mask = np.zeros(n_train + n_test, dtype=bool)
    mask[n_train:] = True
    return [_fold(0, mask, np.asarray(groups, dtype=object))]


def make_folds(protocol: Protocol, y: np.ndarray, groups: np.ndarray, seed: int) -> list[Fold]:
    if protocol.name == "loso":
        folds = loso_folds(groups)
    elif protocol.name == "speaker-folds":
        folds = speaker_folds(groups, protocol.k)
    elif protocol.name == "kfold":
        folds = kfold_folds(y, protocol.k, seed, groups)
    else:
        raise UsageError("--protocol cross-corpus needs --test-store (train on --store, test on --test-store)")
    if protocol.speaker_independent:
        check_speaker_independent(folds, groups)
    return folds


def check_speaker_independent(folds: list[Fold], groups: np.ndarray) -> None:
    """Raise DataError if any speaker group has rows on both sides of a fold (or no speaker is known)."""
    groups = np.asarray(groups, dtype=object)
    for fold in folds:
        train, test = set(groups[fold.train]), set(groups[fold.test])
        shared = sorted((train & test) | ({""} & (train | test)), key=natural_key)
        if shared:
            raise DataError(
                f"fold {fold.index}: speakers {', '.join(s or '<unknown>' for s in shared[:5])} on both sides "
                "of a speaker-independent split"
            )


# ---- inner splits, carved from a training side -------------------------------------------------

def _has_speakers(groups: np.ndarray | None, n_splits: int) -> bool:
    return groups is not None and "" not in set(groups) and len(set(groups)) >= n_splits


def inner_splits(y: np.ndarray, groups: np.ndarray | None, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, validation) index pairs for inner cross-validation on a training side.

    By speaker group when there are at least ``n_splits`` speakers (speakers shuffled with ``seed``,
    then dealt round-robin), else stratified by label (``n_splits`` capped by the smallest class);
    an empty list when even two stratified folds are impossible.
    """
    y = np.asarray(y)
    if _has_speakers(groups, n_splits):
        groups = np.asarray(groups, dtype=object)
        speakers = sorted_speakers(groups)
        order = np.random.default_rng(seed).permutation(len(speakers))
        fold_of = {speakers[j]: i % n_splits for i, j in enumerate(order)}
        assignment = np.array([fold_of[g] for g in groups])
        return [(np.flatnonzero(assignment != i), np.flatnonzero(assignment == i)) for i in range(n_splits)]
    smallest = int(min(np.unique(y, return_counts=True)[1]))
    n = min(n_splits, smallest)
    if n < 2:
        return []  # too little data for inner cross-validation: callers fall back to defaults
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
    return [(tr, va) for tr, va in splitter.split(np.zeros(len(y)), y)]


def validation_split(y: np.ndarray, groups: np.ndarray | None, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices: about ``fraction`` of the speakers held out (at least one), or of the rows."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    if _has_speakers(groups, 2):
        groups = np.asarray(groups, dtype=object)
        speakers = sorted_speakers(groups)
        n_val = min(len(speakers) - 1, max(1, round(fraction * len(speakers))))
        for _ in range(20):  # prefer a split that leaves every class on the training side
            held = set(np.array(speakers, dtype=object)[rng.permutation(len(speakers))[:n_val]])
            val = np.isin(groups, list(held))
            if set(y[~val]) == set(y):
                break
        return np.flatnonzero(~val), np.flatnonzero(val)
    val = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        n_val = int(round(fraction * len(idx))) if len(idx) > 1 else 0
        val[rng.permutation(idx)[:n_val]] = True
    return np.flatnonzero(~val), np.flatnonzero(val)
