"""Normalisation and feature selection are fit on the training side only (per-speaker: flagged transductive)."""
from __future__ import annotations

import numpy as np
import pytest

from classify.errors import UsageError
from classify.evaluation import fit_predict_fold
from classify.normalise import GlobalStandardiser, SpeakerNormaliser, make_normaliser
from classify.pipeline import EmotionModel, ModelSpec
from classify.protocols import Fold
from classify.selection import FeatureSelector
from tests.test_classify_stores import FEATURE_NAMES, synthetic_features


def test_global_standardiser_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train, test = rng.normal(2.0, 3.0, size=(200, 5)), rng.normal(size=(50, 5))
    norm = GlobalStandardiser().fit(train)
    np.testing.assert_allclose(norm.mean_, train.mean(axis=0))
    np.testing.assert_allclose(norm.scale_, train.std(axis=0))
    shifted = norm.transform(test + 1000.0)
    np.testing.assert_allclose(shifted, (test + 1000.0 - train.mean(0)) / train.std(0))


def test_speaker_normalisation_is_per_group_and_falls_back_for_small_groups():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(5, 2, size=(30, 3)), rng.normal(-5, 1, size=(30, 3)), rng.normal(size=(3, 3))])
    groups = np.array(["a:1"] * 30 + ["a:2"] * 30 + ["a:3"] * 3, dtype=object)
    norm = SpeakerNormaliser().fit(X[:60], groups[:60])
    Z = norm.transform(X, groups)
    for g in ("a:1", "a:2"):
        np.testing.assert_allclose(Z[groups == g].mean(0), 0, atol=1e-12)
        np.testing.assert_allclose(Z[groups == g].std(0), 1, atol=1e-12)
    # a 3-row unseen group is standardised with the training rows' pooled statistics
    np.testing.assert_allclose(Z[60:], (X[60:] - X[:60].mean(0)) / X[:60].std(0))
    assert norm.transductive and "transductive" in norm.config()["note"]
    # an unseen group of enough rows uses its own statistics (transductive)...
    new = rng.normal(40, 5, size=(12, 3))
    Zn = norm.transform(new, np.array(["b:9"] * 12, dtype=object))
    np.testing.assert_allclose(Zn.mean(0), 0, atol=1e-12)
    # ...and a speaker seen in training keeps its training statistics (kfold: no test rows used)
    few = X[:4] + 100.0
    Zk = norm.transform(few, np.array(["a:1"] * 4, dtype=object))
    np.testing.assert_allclose(Zk, (few - X[:30].mean(0)) / X[:30].std(0))


def test_non_finite_values_become_the_training_mean_and_constant_columns_stay_finite():
    X = np.array([[1.0, 5.0], [3.0, 5.0], [np.nan, 5.0], [np.inf, 5.0]])
    Z = GlobalStandardiser().fit(X[:2]).transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z[2:, 0], 0.0)
    np.testing.assert_allclose(Z[:, 1], 0.0)
    with pytest.raises(UsageError, match="--normalise"):
        make_normaliser("minmax")


def test_selection_is_fit_on_training_rows():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 50)
    X = rng.normal(size=(100, 6))
    X[:, 4] += 3 * y
    sel = FeatureSelector(2).fit(X, y)
    assert 4 in sel.support_ and sel.transform(X).shape == (100, 2)


@pytest.mark.parametrize("normalise", ["global", "speaker", "none"])
def test_a_test_side_shift_does_not_leak_into_training_statistics(normalise):
    utts, X = synthetic_features(n_speakers=4, per_class=5)
    X = X.astype(np.float64)
    y = np.array([u.label for u in utts], dtype=object)
    groups = np.array([f"synth:{u.speaker}" for u in utts], dtype=object)
    test = np.flatnonzero(groups == "synth:04")
    train = np.flatnonzero(groups != "synth:04")
    spec = ModelSpec(kind="lda", normalise=normalise, select_features=6)
    reference = EmotionModel(spec).fit(X[train], y[train], groups[train], FEATURE_NAMES)

    shifted = X.copy()
    shifted[test] += 1000.0  # the test speaker changes wildly; nothing learned may move
    model = EmotionModel(spec).fit(shifted[train], y[train], groups[train], FEATURE_NAMES)
    np.testing.assert_array_equal(model.normaliser_.mean_, reference.normaliser_.mean_)
    np.testing.assert_array_equal(model.normaliser_.scale_, reference.normaliser_.scale_)
    np.testing.assert_array_equal(model.selector_.support_, reference.selector_.support_)
    np.testing.assert_array_equal(model.estimator_.coef_, reference.estimator_.coef_)

    # the evaluation path fits on the fold's training rows only: same predictions for the untouched rows' model
    fold = Fold(0, train, test, ("synth:04",))
    a = fit_predict_fold(X, y, groups, FEATURE_NAMES, fold, spec.to_dict(), reference.labels_)
    b = fit_predict_fold(shifted, y, groups, FEATURE_NAMES, fold, spec.to_dict(), reference.labels_)
    if normalise == "speaker":
        # transductive: the test speaker is standardised with its own statistics, so a constant shift vanishes
        np.testing.assert_allclose(a.proba, b.proba, atol=1e-9)
    else:
        np.testing.assert_array_equal(
            b.proba, EmotionModel(spec).fit(X[train], y[train], groups[train], FEATURE_NAMES).predict_proba(shifted[test], groups[test])
        )
