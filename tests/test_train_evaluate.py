"""flows.train and flows.evaluate end to end: reports, reproducibility, cross-corpus, model directories, errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

import classify
import features_store
from classify.data import load_labelled
from tests.conftest import EXAMPLES, run_module, shared_corpus
from tests.test_classify_stores import make_store

METRIC_KEYS = {
    "ua", "wa", "macro_f1", "per_fold", "confusion", "labels", "protocol", "n_utterances", "recall", "per_class",
    "fold_mean", "fold_std", "normalisation", "model", "feature_hash", "n_folds", "speaker_independent",
    "log_loss", "ece", "notes",
}


def check_metrics(metrics: dict, n: int) -> None:
    assert METRIC_KEYS <= set(metrics)
    for key in ("ua", "wa", "macro_f1"):
        assert 0.0 <= metrics[key] <= 1.0
        assert 0.0 <= metrics["fold_mean"][key] <= 1.0 and metrics["fold_std"][key] >= 0.0
    labels = metrics["labels"]
    confusion = np.array(metrics["confusion"])
    assert confusion.shape == (len(labels), len(labels)) and confusion.sum() == n == metrics["n_utterances"]
    np.testing.assert_allclose(metrics["wa"], np.trace(confusion) / n)
    np.testing.assert_allclose(metrics["ua"], np.mean(np.diag(confusion) / confusion.sum(axis=1)))
    assert set(metrics["recall"]) == set(labels)
    assert sum(f["n"] for f in metrics["per_fold"]) == n
    for fold in metrics["per_fold"]:
        assert {"ua", "wa", "macro_f1", "n", "test_speakers"} <= set(fold)


def test_evaluate_command_writes_the_report(tmp_path):
    store = make_store(tmp_path / "s.zarr", n_speakers=5, per_class=6)
    out = tmp_path / "report"
    done = run_module("flows.evaluate", "--store", str(store), "--model", "svm-linear", "--protocol", "loso",
                      "--normalise", "speaker", "--param", "C=[0.01,1]", "--out", str(out))
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("emovox evaluate: svm-linear loso: UA ") and "transductive" in line
    metrics = json.loads((out / "metrics.json").read_text())
    check_metrics(metrics, 120)
    assert metrics["ua"] > 0.9 and metrics["protocol"] == "loso" and metrics["n_folds"] == 5
    assert metrics["normalisation"] == {"kind": "speaker", "transductive": True,
                                        "note": "per-speaker normalisation (transductive)"}
    assert [f["test_speakers"] for f in metrics["per_fold"]] == [[f"synth:0{i}"] for i in range(1, 6)]
    assert metrics["feature_hash"] == "synth-h1" and metrics["model"]["kind"] == "svm-linear"
    assert (out / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text()
    assert "per-speaker normalisation (transductive)" in summary and "| UA (unweighted average recall) |" in summary
    assert len((out / "predictions.csv").read_text().strip().splitlines()) == 121


def test_evaluate_is_reproducible_and_kfold_is_flagged_speaker_dependent(tmp_path):
    from flows.evaluate import evaluate_flow

    store = str(make_store(tmp_path / "s.zarr", n_speakers=4, per_class=6, separation=1.0))
    args = dict(store=store, model="xgboost", protocol="kfold:3", seed=11,
                params={"max_rounds": 30, "early_stopping_rounds": 5, "learning_rate": 0.3, "subsample": 0.7})
    first = evaluate_flow(out=str(tmp_path / "a"), **args)
    second = evaluate_flow(out=str(tmp_path / "b"), **args)
    strip = lambda m: {k: v for k, v in m.items() if k != "seconds"} | {  # noqa: E731
        "per_fold": [{k: v for k, v in f.items() if k != "seconds"} for f in m["per_fold"]]}
    assert strip(first) == strip(second)
    assert (tmp_path / "a" / "predictions.csv").read_text() == (tmp_path / "b" / "predictions.csv").read_text()
    check_metrics(first, 96)
    assert first["speaker_independent"] is False and "speaker-dependent" in first["notes"][0]
    other = evaluate_flow(out=str(tmp_path / "c"), **{**args, "seed": 12})
    assert (tmp_path / "c" / "predictions.csv").read_text() != (tmp_path / "a" / "predictions.csv").read_text()
    assert other["n_utterances"] == 96


@pytest.mark.slow
def test_folds_on_dask_workers_give_the_same_numbers(tmp_path):
    from flows.evaluate import evaluate_flow

    store = str(make_store(tmp_path / "s.zarr", n_speakers=4, per_class=5, separation=1.0))
    args = dict(store=store, model="svm", protocol="speaker-folds:2", normalise="global",
                params={"C": [1.0, 10.0], "gamma": [1.0]})
    local = evaluate_flow(out=str(tmp_path / "a"), **args)
    on_dask = evaluate_flow(out=str(tmp_path / "b"), workers=2, **args)
    assert (tmp_path / "a" / "predictions.csv").read_text() == (tmp_path / "b" / "predictions.csv").read_text()
    assert local["ua"] == on_dask["ua"] and local["confusion"] == on_dask["confusion"]


def test_cross_corpus_uses_shared_labels_and_tests_the_other_store_only(tmp_path):
    from flows.evaluate import evaluate_flow

    train = make_store(tmp_path / "a.zarr", n_speakers=3, per_class=5, corpus="corpus_a", seed=1,
                       labels=("neutral", "happy", "sad", "angry"))
    test = make_store(tmp_path / "b.zarr", n_speakers=2, per_class=5, corpus="corpus_b", seed=1,
                      labels=("neutral", "happy", "sad", "boredom"))
    metrics = evaluate_flow(store=str(train), test_store=str(test), out=str(tmp_path / "r"), model="lda",
                            protocol="cross-corpus", normalise="speaker")
    assert metrics["labels"] == ["neutral", "happy", "sad"] and metrics["protocol"] == "cross-corpus"
    assert metrics["n_utterances"] == 2 * 3 * 5 and metrics["n_folds"] == 1
    assert metrics["per_fold"][0]["test_speakers"] == ["corpus_b:01", "corpus_b:02"]
    assert metrics["per_fold"][0]["n_train"] == 3 * 3 * 5
    check_metrics(metrics, 30)


def test_train_command_writes_a_model_that_loads_and_refuses_other_features(tmp_path):
    store = make_store(tmp_path / "s.zarr", n_speakers=4, per_class=6)
    done = run_module("flows.train", "--store", str(store), "--model", "svm", "--param", "C=[1,10]",
                      "--param", "gamma=[1]", "--calibrate", "--out", str(tmp_path / "model"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("emovox train: svm on 96 utterances (4 speakers, 4 labels)")
    model = classify.load_model(tmp_path / "model")
    data = load_labelled(str(store))
    model.check_store(features_store.open(store))
    proba = model.predict_proba(data.X)
    assert proba.shape == (96, 4) and np.mean(model.predict(data.X) == data.y) > 0.9
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["feature_set"]["hash"] == "synth-h1" and config["labels"] == model.labels_
    assert config["model"]["fitted_params"]["C"] in (1, 10) and config["calibration"]["temperature"] > 0
    other = make_store(tmp_path / "o.zarr", feature_hash="other-h9", n_speakers=1, per_class=1)
    with pytest.raises(classify.FeatureMismatchError, match="other-h9"):
        model.check_store(features_store.open(other))


def run_in_process(module, argv, capsys) -> tuple[int, str]:
    """``python -m flows.<module> argv`` in this process (exit status, stderr): no interpreter start-up."""
    from flows import _cli

    try:
        status = _cli.run(module.main, module.build_parser(), argv)
    except SystemExit as exit_:  # argparse errors
        status = exit_.code
    return status, capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--protocol", "leave-some-out"], "--protocol 'leave-some-out': expected"),
    (["--protocol", "cross-corpus"], "--protocol cross-corpus needs --test-store"),
    (["--model", "forest"], "--model 'forest': unknown model kind"),
    (["--param", "C"], "--param 'C': expected NAME=VALUE"),
    (["--normalise", "minmax"], "argument --normalise: invalid choice"),
    (["--select-features", "0"], "--select-features 0: must be at least 1"),
])
def test_bad_options_are_one_line_errors(tmp_path, capsys, args, message):
    from flows import evaluate

    store = make_store(tmp_path / "s.zarr", n_speakers=2, per_class=2)
    status, err = run_in_process(evaluate, ["--store", str(store), "--out", str(tmp_path / "r"), *args], capsys)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_missing_store_and_foreign_out_folder_are_one_line_errors(tmp_path, capsys):
    from flows import train

    status, err = run_in_process(train, ["--store", str(tmp_path / "nope.zarr"), "--out", str(tmp_path / "m")], capsys)
    assert status == 2 and "nope.zarr: no feature store here" in err and "Traceback" not in err
    store = make_store(tmp_path / "s.zarr", n_speakers=2, per_class=2)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("x")
    status, err = run_in_process(train, ["--store", str(store), "--out", str(tmp_path / "docs")], capsys)
    assert status == 2 and "not an emovox model directory" in err.strip().splitlines()[-1]


def test_cross_corpus_with_another_feature_hash_is_a_one_line_error(tmp_path, capsys):
    from flows import evaluate

    a = make_store(tmp_path / "a.zarr", n_speakers=2, per_class=2)
    b = make_store(tmp_path / "b.zarr", n_speakers=2, per_class=2, feature_hash="h-other", corpus="other")
    status, err = run_in_process(evaluate, ["--store", str(a), "--test-store", str(b), "--protocol", "cross-corpus",
                                            "--model", "lda", "--out", str(tmp_path / "r")], capsys)
    assert status == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "h-other" in last and "synth-h1" in last
    assert "Traceback" not in err


@pytest.mark.slow
def test_examples_store_trains_and_the_model_loads(tmp_path):
    store = tmp_path / "ravdess.zarr"
    done = run_module("flows.extract", str(EXAMPLES / "ravdess"), "--store", str(store), "--workers", "1")
    assert done.returncode == 0, done.stderr
    done = run_module("flows.train", "--store", str(store), "--model", "xgboost", "--out", str(tmp_path / "m"),
                      "--param", "max_rounds=20")
    assert done.returncode == 0, done.stderr
    model = classify.load_model(tmp_path / "m")
    opened = features_store.open(store)
    model.check_store(opened)
    proba = model.predict_proba(opened.read_features())
    assert proba.shape == (4, 4) and model.labels_ == ["neutral", "happy", "sad", "angry"]
    assert "CC BY-NC-SA 4.0" in (tmp_path / "m" / "MODEL_CARD.md").read_text()


@pytest.mark.slow
@pytest.mark.corpus
def test_emodb_loso_end_to_end(tmp_path):
    corpus = shared_corpus("emodb")
    store = tmp_path / "emodb.zarr"
    done = run_module("flows.extract", str(corpus), "--store", str(store), "--workers", "2")
    assert done.returncode == 0, done.stderr
    done = run_module("flows.evaluate", "--store", str(store), "--model", "svm-linear", "--protocol", "loso",
                      "--normalise", "speaker", "--param", "C=[0.001]", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    check_metrics(metrics, 535)
    assert metrics["n_folds"] == 10 and metrics["ua"] > 0.7
    for fold in metrics["per_fold"]:
        assert len(fold["test_speakers"]) == 1
