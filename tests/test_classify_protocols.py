"""Protocols: no speaker on both sides of a speaker-independent fold, the standard RAVDESS folds, stratification."""
from __future__ import annotations

import numpy as np
import pytest

from classify.errors import DataError, UsageError
from classify.protocols import (
    Fold,
    check_speaker_independent,
    cross_corpus_folds,
    inner_splits,
    kfold_folds,
    loso_folds,
    make_folds,
    natural_key,
    parse_protocol,
    speaker_folds,
    validation_split,
)


def random_design(seed: int, n_speakers: int, corpora=("emodb", "ravdess")):
    """Rows of random speakers of two corpora whose speaker codes repeat ("03" in both)."""
    rng = np.random.default_rng(seed)
    n = 40 * n_speakers
    corpus = rng.choice(corpora, size=n)
    speaker = np.array([f"{s:02d}" for s in rng.integers(1, n_speakers + 1, size=n)])
    groups = np.array([f"{c}:{s}" for c, s in zip(corpus, speaker)], dtype=object)
    y = rng.choice(["neutral", "happy", "sad", "angry"], size=n)
    return y, groups


def assert_partition(folds: list[Fold], n: int) -> None:
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested) == list(range(n)), "every row is tested exactly once"
    for fold in folds:
        assert not set(fold.train) & set(fold.test)
        assert len(fold.train) + len(fold.test) == n


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("protocol", ["loso", "speaker-folds:2", "speaker-folds:3", "speaker-folds:5"])
def test_no_speaker_on_both_sides_of_a_speaker_independent_fold(protocol, seed):
    y, groups = random_design(seed, n_speakers=6)
    folds = make_folds(parse_protocol(protocol), y, groups, seed)
    assert_partition(folds, len(y))
    for fold in folds:
        train_speakers, test_speakers = set(groups[fold.train]), set(groups[fold.test])
        assert not train_speakers & test_speakers, f"fold {fold.index}: {train_speakers & test_speakers}"
        assert set(fold.test_speakers) == test_speakers
    # the same speaker code in two corpora is two speakers: emodb:03 may train while ravdess:03 tests
    assert len({g for g in groups}) > 6


def test_cross_corpus_fold_is_speaker_independent():
    groups = np.array(["emodb:03"] * 5 + ["ravdess:03"] * 4, dtype=object)
    folds = cross_corpus_folds(5, 4, groups)
    assert list(folds[0].train) == [0, 1, 2, 3, 4] and list(folds[0].test) == [5, 6, 7, 8]
    check_speaker_independent(folds, groups)
    with pytest.raises(DataError, match="both sides"):
        check_speaker_independent(cross_corpus_folds(5, 4, np.array(["a:1"] * 9, dtype=object)), np.array(["a:1"] * 9))


def test_the_checker_catches_a_leaking_fold():
    groups = np.array(["c:1", "c:1", "c:2", "c:2"], dtype=object)
    leaky = [Fold(0, np.array([0, 2]), np.array([1, 3]), ("c:1", "c:2"))]
    with pytest.raises(DataError, match="c:1, c:2 on both sides"):
        check_speaker_independent(leaky, groups)


def test_ravdess_speaker_folds_6_are_the_standard_folds():
    actors = [f"{a:02d}" for a in range(1, 25)]
    groups = np.array([f"ravdess:{a}" for a in actors for _ in range(60)], dtype=object)
    y = np.tile(np.repeat(["neutral", "calm", "happy", "sad", "angry", "fearful"], 10), 24)
    folds = make_folds(parse_protocol("speaker-folds:6"), y, groups, 0)
    assert [f.test_speakers for f in folds] == [
        tuple(f"ravdess:{a:02d}" for a in range(4 * k - 3, 4 * k + 1)) for k in range(1, 7)
    ]
    # unpadded codes sort naturally too: 1..24, not 1, 10, 11, ...
    groups = np.array([f"ravdess:{a}" for a in range(1, 25) for _ in range(3)], dtype=object)
    folds = speaker_folds(groups, 6)
    assert folds[0].test_speakers == ("ravdess:1", "ravdess:2", "ravdess:3", "ravdess:4")
    assert folds[2].test_speakers == ("ravdess:9", "ravdess:10", "ravdess:11", "ravdess:12")


def test_speaker_folds_cut_into_contiguous_near_equal_groups():
    groups = np.array([f"emodb:{s}" for s in ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]], dtype=object)
    folds = speaker_folds(groups, 3)
    assert [len(f.test_speakers) for f in folds] == [4, 3, 3]
    assert folds[0].test_speakers == ("emodb:03", "emodb:08", "emodb:09", "emodb:10")
    assert [len(f.test) for f in loso_folds(groups)] == [1] * 10


def test_kfold_is_stratified_and_seeded():
    y = np.repeat(["neutral", "happy", "sad", "angry"], [40, 30, 20, 10])
    folds = kfold_folds(y, 10, seed=7)
    assert_partition(folds, len(y))
    for fold in folds:
        counts = {label: int(np.sum(y[fold.test] == label)) for label in set(y)}
        assert counts == {"neutral": 4, "happy": 3, "sad": 2, "angry": 1}
    again = kfold_folds(y, 10, seed=7)
    assert all(np.array_equal(a.test, b.test) for a, b in zip(folds, again))
    other = kfold_folds(y, 10, seed=8)
    assert not all(np.array_equal(a.test, b.test) for a, b in zip(folds, other))
    with pytest.raises(DataError, match="smallest class"):
        kfold_folds(y, 11, seed=0)


def test_protocol_parsing_and_errors():
    assert str(parse_protocol("speaker-folds:6")) == "speaker-folds:6"
    assert parse_protocol("kfold:10").speaker_independent is False
    assert parse_protocol("LOSO").speaker_independent is True
    for bad in ("leave-one-out", "kfold", "kfold:1", "speaker-folds:x"):
        with pytest.raises(UsageError):
            parse_protocol(bad)
    with pytest.raises(DataError, match="no speaker"):
        loso_folds(np.array(["c:1", "", "c:2"], dtype=object))
    with pytest.raises(DataError, match="at least 4 speakers"):
        speaker_folds(np.array(["c:1", "c:2", "c:3"], dtype=object), 4)
    assert sorted(["c:10", "c:9", "c:1"], key=natural_key) == ["c:1", "c:9", "c:10"]


def test_inner_splits_and_validation_split_stay_within_training_speakers():
    y, groups = random_design(3, n_speakers=5)
    splits = inner_splits(y, groups, 3, seed=1)
    assert len(splits) == 3
    covered = np.concatenate([val for _, val in splits])
    assert sorted(covered) == list(range(len(y)))
    for train, val in splits:
        assert not set(groups[train]) & set(groups[val])
    train, val = validation_split(y, groups, 0.2, seed=1)
    assert not set(groups[train]) & set(groups[val]) and len(val) > 0
    assert set(y[train]) == set(y)
    # without speakers: stratified rows; with too little data: no inner splits at all
    no_speakers = np.full(len(y), "", dtype=object)
    for train, val in inner_splits(y, no_speakers, 3, seed=1):
        assert set(y[val]) == set(y)
    assert inner_splits(np.array(["a", "b", "c"]), None, 3, seed=0) == []
