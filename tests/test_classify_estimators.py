"""Estimators: numpy prediction equals scikit-learn's, seeded fits repeat, every kind separates easy data."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from classify.errors import UsageError
from classify.estimators import MODEL_KINDS, make_estimator
from classify.estimators.fcm import fcm_memberships, fuzzy_c_means
from classify.estimators.svm import _FittedSVC, ovr_from_ovo
from tests.test_classify_stores import FEATURE_NAMES, synthetic_features

#: Small parameters so every kind fits in well under a second on the synthetic data.
FAST = {
    "xgboost": {"max_rounds": 40, "early_stopping_rounds": 10, "learning_rate": 0.3},
    "svm": {"C": [1.0, 10.0], "gamma": [1.0]},
    "svm-linear": {"C": [0.01, 1.0]},
    "knn": {"n_neighbors": [3, 5]},
    "mlp": {"hidden_layer_sizes": [16], "max_iter": 60},
    "lda": {},
    "fcm-mlp": {"n_clusters": 6, "classifier_params": {"hidden_layer_sizes": [16], "max_iter": 400}},
    "fcm-svm": {"n_clusters": 6, "classifier_params": {"C": [1.0], "gamma": [1.0]}},
    "fcm-knn": {"n_clusters": 6, "classifier_params": {"n_neighbors": [3]}},
}


def easy_data(seed=0, n_speakers=4, per_class=6):
    utts, X = synthetic_features(n_speakers=n_speakers, per_class=per_class, seed=seed, speaker_offset=0.3)
    labels = sorted({u.label for u in utts})
    y = np.array([labels.index(u.label) for u in utts])
    groups = np.array([f"synth:{u.speaker}" for u in utts], dtype=object)
    X = (X - X.mean(0)) / X.std(0)
    return X.astype(np.float64), y, groups


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("kernel", ["rbf", "linear"])
def test_svm_numpy_decision_equals_scikit_learn(kernel, n_classes):
    rng = np.random.default_rng(n_classes)
    X = rng.normal(size=(90, 6))
    y = np.arange(90) % n_classes
    X[:, 0] += y
    svc = SVC(kernel=kernel, C=3.0, gamma=0.1, decision_function_shape="ovo").fit(X, y)
    fitted = _FittedSVC.from_sklearn(svc, kernel)
    T = rng.normal(size=(40, 6))
    ovo = fitted.ovo(T)
    reference = svc.decision_function(T)
    if n_classes == 2:  # scikit-learn's binary sign is the opposite of libsvm's
        np.testing.assert_allclose(ovo[:, 0], -reference, atol=1e-10)
    else:
        np.testing.assert_allclose(ovo, reference, atol=1e-10)
        svc.set_params(decision_function_shape="ovr")
        np.testing.assert_allclose(ovr_from_ovo(ovo, n_classes), svc.decision_function(T), atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_linear_svm_weights_equal_support_vector_form_and_scikit_learn(n_classes):
    rng = np.random.default_rng(10 + n_classes)
    X = rng.normal(size=(120, 8))
    y = np.arange(120) % n_classes
    X[:, 0] += y
    svc = SVC(kernel="linear", C=0.5, decision_function_shape="ovo").fit(X, y)
    fitted = _FittedSVC.from_sklearn(svc, "linear")
    n_pairs = n_classes * (n_classes - 1) // 2
    assert fitted.coef.shape == (n_pairs, 8)
    T = rng.normal(size=(50, 8))
    primal = fitted.ovo(T)
    np.testing.assert_allclose(primal, fitted.ovo_dual(T), rtol=1e-10, atol=1e-10)
    sign = -1.0 if n_classes == 2 else 1.0  # scikit-learn's binary sign is the opposite of libsvm's
    np.testing.assert_allclose(primal, sign * svc.decision_function(T).reshape(len(T), -1), atol=1e-10)
    np.testing.assert_allclose(fitted.coef, sign * svc.coef_, atol=1e-10)
    # what a model file holds: the weights, no support vectors; loading gives the same decision values
    arrays = fitted.arrays()
    assert set(arrays) == {"coef", "n_support", "intercept"}
    again = _FittedSVC.from_arrays("linear", fitted.gamma, arrays)
    assert again.support_vectors is None
    np.testing.assert_array_equal(again.ovo(T), primal)
    # the older file layout (support vectors and dual coefficients) still loads, to the same values
    old = {"support_vectors": fitted.support_vectors, "n_support": fitted.n_support, "dual_coef": fitted.dual_coef,
           "intercept": fitted.intercept}
    np.testing.assert_allclose(_FittedSVC.from_arrays("linear", fitted.gamma, old).ovo(T), primal, atol=1e-12)


def test_linear_svm_model_file_round_trip_holds_weights_only(tmp_path):
    from classify.estimators.svm import SVM

    X, y, groups = easy_data()
    est = make_estimator("svm-linear", FAST["svm-linear"]).fit(X, y, groups)
    files, state = est.save(tmp_path, "")
    with np.load(tmp_path / files[0], allow_pickle=False) as data:
        assert "support_vectors" not in data.files
        assert data["coef"].shape == (6, X.shape[1])  # 4 classes -> 6 pairs
    loaded = SVM.load(tmp_path, "", est.get_params(), state)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    np.testing.assert_allclose(est.model_.ovo(X), est.model_.ovo_dual(X), atol=1e-10)


def test_mlp_and_lda_numpy_probabilities_equal_scikit_learn():
    X, y, groups = easy_data()
    mlp = make_estimator("mlp", {"hidden_layer_sizes": [8, 4], "max_iter": 30, "activation": "tanh"}).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MLPClassifier(hidden_layer_sizes=(8, 4), activation="tanh", alpha=0.01, batch_size=64, max_iter=30,
                            random_state=0).fit(X, y)
    np.testing.assert_allclose(mlp.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    lda = make_estimator("lda").fit(X, y)
    ref = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(X, y)
    np.testing.assert_allclose(lda.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    binary = y < 2
    lda2 = make_estimator("lda").fit(X[binary], y[binary])
    ref2 = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(X[binary], y[binary])
    np.testing.assert_allclose(lda2.predict_proba(X), ref2.predict_proba(X), atol=1e-10)


def test_knn_equals_scikit_learn():
    X, y, groups = easy_data()
    rng = np.random.default_rng(3)
    Q = rng.normal(size=(30, X.shape[1]))
    for weights in ("uniform", "distance"):
        ours = make_estimator("knn", {"n_neighbors": 5, "weights": weights}).fit(X, y, groups)
        ref = KNeighborsClassifier(n_neighbors=5, weights=weights).fit(X, y)
        np.testing.assert_allclose(ours.predict_proba(Q), ref.predict_proba(Q), atol=1e-12)


@pytest.mark.parametrize("kind", [*MODEL_KINDS, "svm+xgboost"])
def test_every_kind_learns_easy_data_and_repeats_with_the_same_seed(kind):
    X, y, groups = easy_data()
    test = groups == "synth:04"
    params = FAST.get(kind, {"member_params": FAST})
    a = make_estimator(kind, params, seed=3).fit(X[~test], y[~test], groups[~test], feature_names=FEATURE_NAMES)
    b = make_estimator(kind, params, seed=3).fit(X[~test], y[~test], groups[~test], feature_names=FEATURE_NAMES)
    pa = a.predict_proba(X[test])
    assert pa.shape == (test.sum(), 4)
    np.testing.assert_allclose(pa.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(pa, b.predict_proba(X[test]))
    assert np.mean(np.argmax(pa, axis=1) == y[test]) >= 0.75, kind


def test_fusion_weights_by_inner_cv_use_the_training_side():
    from classify.estimators.fusion import weight_grid

    assert [list(w) for w in weight_grid(2, 0.5)] == [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    X, y, groups = easy_data()
    rng = np.random.default_rng(0)
    noise = np.concatenate([X[:, :2], rng.normal(size=(len(y), 10))], axis=1)  # the KNN sees mostly noise
    fused = make_estimator("lda+knn", {"weights": "inner-cv", "member_params": {"knn": {"n_neighbors": 1}}}).fit(noise, y, groups)
    assert len(fused.weights_) == 2 and abs(fused.weights_.sum() - 1) < 1e-12
    assert fused.best_params_["weights"] == [round(float(w), 4) for w in fused.weights_]
    fixed = make_estimator("lda+knn", {"weights": [3, 1]}).fit(X, y, groups)
    np.testing.assert_allclose(fixed.weights_, [0.75, 0.25])


def test_equal_weight_fusion_is_the_mean_of_its_members_fit_alone():
    X, y, groups = easy_data()
    fused = make_estimator("svm+xgboost", {"member_params": FAST}, seed=4).fit(X, y, groups)
    alone = [make_estimator(k, FAST[k], seed=4).fit(X, y, groups) for k in ("svm", "xgboost")]
    np.testing.assert_array_equal(fused.predict_proba(X), 0.5 * alone[0].predict_proba(X) + 0.5 * alone[1].predict_proba(X))


def test_class_weighting_and_missing_classes():
    X, y, groups = easy_data(per_class=8)
    keep = (y != 0) | (np.arange(len(y)) % 8 == 0)  # class 0 rare
    for kind in ("svm", "xgboost", "mlp", "lda"):
        est = make_estimator(kind, FAST[kind], class_weight="balanced").fit(X[keep], y[keep], groups[keep])
        assert est.predict_proba(X).shape == (len(y), 4)
    # a class absent from training gets probability 0, in its own column
    est = make_estimator("svm", FAST["svm"]).fit(X[y != 2], y[y != 2], groups[y != 2], n_classes=4)
    proba = est.predict_proba(X)
    assert proba.shape == (len(y), 4) and np.all(proba[:, 2] == 0)


def test_svm_search_picks_from_the_grid_and_reports_it():
    X, y, groups = easy_data()
    est = make_estimator("svm", {"C": [0.001, 1.0, 10.0], "gamma": [0.1, 1.0]}).fit(X, y, groups)
    scores = est.search_scores_
    assert len(scores) == 6 and est.temperature_ > 0
    best = max(scores, key=lambda s: s["inner_ua"])  # max() keeps the first on ties, as the search does
    assert est.best_params_ == best["params"]


def test_fuzzy_c_means_memberships():
    rng = np.random.default_rng(0)
    Z = np.concatenate([rng.normal(-5, 0.5, size=(40, 2)), rng.normal(5, 0.5, size=(40, 2))])
    centres = fuzzy_c_means(Z, 2, 2.0, max_iter=100, tol=1e-6, seed=0)
    assert sorted(np.round(centres[:, 0])) == [-5.0, 5.0]
    U = fcm_memberships(Z, centres, 2.0)
    np.testing.assert_allclose(U.sum(axis=1), 1.0)
    assert (U.max(axis=1) > 0.9).all()


def test_unknown_kind_and_parameter_are_usage_errors():
    with pytest.raises(UsageError, match="unknown model kind"):
        make_estimator("random-forest")
    with pytest.raises(UsageError, match="--param gamma_typo"):
        make_estimator("svm", {"gamma_typo": 1})
