"""Whisper encoder features on a tiny random CTranslate2 Whisper model (tests/whisper_tiny.py; no real weights).

Tolerances: the tiny model runs in float32 (``compute_type="float32"``) on one thread, where
CTranslate2's outputs for one input do not depend on the other inputs of a batch; vectors are
compared to 1e-5 (absolute, values of order 1).
"""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from emovox.errors import UsageError
from encoders.ct2_file import read_index
from encoders.ctranslate2_whisper import EncoderError, WhisperEncoder, cut_encoder, encoder_info
from encoders.embedding import PooledEmbedder, WindowPlan, iter_windows, real_encoder_frames
from featuresets import get_feature_set, make_extractor, resolve_feature_set
from kernels.whisper_mel import whisper_log_mel, whisper_mel_filterbank
from tests.whisper_tiny import build_tiny_whisper

pytest.importorskip("ctranslate2")
SR = 16000
TOL = 1e-5


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-whisper")
    os.environ["EMOVOX_CACHE_DIR"] = str(root / "cache")
    yield {
        "full": build_tiny_whisper(root / "full", n_layers=3),
        "two": build_tiny_whisper(root / "two", n_layers=3, keep_layers=2),
        "other": build_tiny_whisper(root / "other", n_layers=3, seed=5),
        "cache": root / "cache",
        "root": root,
    }
    os.environ.pop("EMOVOX_CACHE_DIR", None)


def _speech_like(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    return (0.2 * np.sin(2 * np.pi * (120 + 30 * seed) * t) * (1 + np.sin(2 * np.pi * 3 * t))
            + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def _features(models, layer=2, **options):
    config = resolve_feature_set("whisper", encoder_path=str(models["full"]), encoder_layer=layer,
                                 compute_type="float32", **options)
    return make_extractor(config, intra_threads=1).whisper


def test_info_reads_the_shape(models):
    info = encoder_info(models["full"])
    assert (info.n_layers, info.d_model, info.n_mels, info.max_frames) == (3, 64, 80, 1500)
    assert len(info.sha256) == 64


def test_missing_or_wrong_folder_is_a_usage_error(models, tmp_path):
    with pytest.raises(UsageError, match="--encoder-path .*no such folder"):
        encoder_info(tmp_path / "nope")
    with pytest.raises(UsageError, match="no model.bin"):
        encoder_info(tmp_path)
    (tmp_path / "model.bin").write_bytes(b"\x06\x00\x00\x00garbage")
    with pytest.raises(EncoderError, match="not a usable CTranslate2 Whisper model"):
        encoder_info(tmp_path)


def test_cut_equals_a_model_built_with_those_layers_only(models):
    rng = np.random.default_rng(1)
    mel = rng.standard_normal((2, 80, 300)).astype(np.float32)
    full = encoder_info(models["full"])
    cut = WhisperEncoder(full, 2, compute_type="float32", intra_threads=1)
    assert read_index(cut.folder / "model.bin").layer_count("encoder") == 2
    built = WhisperEncoder(encoder_info(models["two"]), 2, compute_type="float32", intra_threads=1)
    np.testing.assert_array_equal(cut.encode(mel), built.encode(mel))
    assert cut.encode(mel).shape == (2, 150, 64)
    # keeping every layer is the model itself, untouched
    whole = WhisperEncoder(full, 3, compute_type="float32", intra_threads=1)
    assert whole.folder == models["full"].resolve()
    assert np.abs(whole.encode(mel) - cut.encode(mel)).max() > 0.01  # layer 3 does change the output


def test_cut_is_cached_and_a_damaged_copy_refused(models):
    info = encoder_info(models["full"])
    folder = cut_encoder(info, 1)
    assert folder.parent == models["cache"] / "encoders"
    assert cut_encoder(info, 1) == folder  # reused
    with open(folder / "model.bin", "r+b") as handle:
        handle.seek(-5, os.SEEK_END)
        handle.write(b"\x01\x02\x03\x04\x05")
    os.utime(folder / "model.bin", ns=(1, 1))
    with pytest.raises(EncoderError, match="checksum .* differs from the recorded"):
        cut_encoder(info, 1)
    shutil.rmtree(folder)
    assert cut_encoder(info, 1) == folder  # rebuilt once deleted


def test_pooling_runs_over_real_frames_only(models):
    features = _features(models, layer=2)
    signal = _speech_like(1.37, 0)
    vector = features.embed([signal])[0]
    # by hand: padded to 2 s (pad_seconds 1), encoded, then the frames of real audio only
    padded = np.zeros(2 * SR, np.float32)
    padded[: signal.size] = signal
    mel = whisper_log_mel(padded, whisper_mel_filterbank(80)).T[None]
    frames = features._encoder.encode(mel)[0]
    n_real = real_encoder_frames(signal.size, padded.size)
    assert n_real == 69 and frames.shape[0] == 100
    real = frames[:n_real].astype(np.float64)
    np.testing.assert_allclose(vector[:64], real.mean(0), atol=TOL)
    np.testing.assert_allclose(vector[64:], real.std(0), atol=TOL)
    assert np.abs(vector[:64] - frames.mean(0)).max() > 1e-3  # the padding would have changed it


def test_a_batch_equals_one_by_one_and_is_deterministic(models):
    features = _features(models, layer=2)
    signals = [_speech_like(s, i) for i, s in enumerate((1.2, 1.7, 2.9, 1.05, 0.3))]
    batch = features.embed(signals)
    assert batch.shape == (5, 128) and np.isfinite(batch).all()
    for signal, row in zip(signals, batch):
        np.testing.assert_allclose(features.embed([signal])[0], row, atol=TOL)
    np.testing.assert_array_equal(features.embed(signals), batch)


def test_long_input_is_cut_into_windows(models):
    signal = _speech_like(35.0, 3)
    windows = list(iter_windows([signal], 30 * SR))
    assert [w.size for w in windows] == [17 * SR + SR // 2] * 2  # the remainder shared: no sliver
    assert [w.size for w in iter_windows([signal[:10 * SR]], 30 * SR)] == [10 * SR]
    assert [w.size for w in iter_windows(np.array_split(signal, 9), 30 * SR)] == [w.size for w in windows]
    assert [w.size for w in iter_windows([_speech_like(75.0, 0)], 30 * SR)] == [30 * SR, 22 * SR + SR // 2, 22 * SR + SR // 2]

    features = _features(models, layer=1)
    vector = features.embed([signal])[0]
    # the same as pooling the two windows' real frames together
    embedder = features.embedder()
    sums, squares, n = 0.0, 0.0, 0
    for window in windows:
        one = PooledEmbedder(features._encoder.encode, n_mels=80, d_model=64, pooling="mean", plan=WindowPlan())
        mean = one.add(0, [window]) and one.finish()[0].astype(np.float64)
        frames = real_encoder_frames(window.size, WindowPlan().padded_length(window.size))
        sums, n = sums + mean * frames, n + frames
    np.testing.assert_allclose(vector[:64], sums / n, atol=TOL)
    assert embedder.plan.window_samples == 30 * SR
    # blocks of any size give the same vector
    blocks = np.array_split(signal, 11)
    (streamed, seconds), = make_extractor(resolve_feature_set(
        "whisper", encoder_path=str(models["full"]), encoder_layer=1, compute_type="float32"), intra_threads=1
    ).extract_many([lambda: iter(blocks)])
    assert seconds == pytest.approx(35.0)
    np.testing.assert_allclose(streamed, vector, atol=TOL)


def test_hash_tells_encoders_apart(models, tmp_path):
    def hash_of(path=models["full"], **options):
        return resolve_feature_set("whisper", encoder_path=str(path), **options).feature_hash

    base = hash_of()
    moved = shutil.copytree(models["full"], tmp_path / "same-weights-elsewhere")
    assert len({base, hash_of(encoder_layer=1), hash_of(pooling="mean"), hash_of(models["other"]),
                hash_of(compute_type="float32"), hash_of(moved)}) == 6
    assert hash_of() == base
    fused = resolve_feature_set("default+whisper", encoder_path=str(models["full"]))
    assert fused.families == get_feature_set("default").families + ("whisper",)
    assert "whisper" not in get_feature_set("default").families


def test_fused_vector_is_default_then_whisper(models):
    config = resolve_feature_set("mfcc+whisper", encoder_path=str(models["full"]), encoder_layer=2, compute_type="float32")
    extractor = make_extractor(config, intra_threads=1)
    plain = make_extractor(get_feature_set("mfcc"))
    assert extractor.feature_names == plain.feature_names + _features(models).feature_names
    signal = _speech_like(1.5, 1)
    vector, seconds = extractor.extract([signal])
    np.testing.assert_allclose(vector[: plain.n_features], plain.extract([signal])[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(vector[plain.n_features:], _features(models).embed([signal])[0], atol=TOL)
    outcomes = extractor.extract_many([lambda: [signal], lambda: iter(_broken())])
    assert isinstance(outcomes[1], RuntimeError)
    np.testing.assert_allclose(outcomes[0][0], vector, atol=TOL)


def _broken():
    yield np.zeros(8000, np.float32)
    raise RuntimeError("decoder failed half way")


def test_option_errors_are_one_line(models):
    with pytest.raises(UsageError, match="needs --encoder-path"):
        resolve_feature_set("default+whisper")
    with pytest.raises(UsageError, match="has layers 1..3"):
        resolve_feature_set("whisper", encoder_path=str(models["full"]), encoder_layer=4)
    with pytest.raises(UsageError, match="do not apply"):
        resolve_feature_set("default", encoder_layer=2)
    with pytest.raises(UsageError, match="--feature-set nope\\+whisper: unknown feature set"):
        resolve_feature_set("nope+whisper", encoder_path=str(models["full"]))
    with pytest.raises(UsageError, match="--feature-set nope: unknown feature set"):
        resolve_feature_set("nope")


def test_a_failed_encoder_call_fails_only_its_utterances():
    calls = []

    def encode(mel):
        calls.append(mel.shape)
        if mel.shape[2] == 200:  # the 2 s bucket fails
            raise RuntimeError("encoder crashed")
        return np.ones((mel.shape[0], -(-mel.shape[2] // 2), 4), np.float32)

    embedder = PooledEmbedder(encode, n_mels=80, d_model=4, plan=WindowPlan(batch_size=2))
    for key, seconds in enumerate((0.5, 1.5, 0.8, 1.2)):
        embedder.add(key, [_speech_like(seconds, key)])
    vectors = embedder.finish()
    assert sorted(vectors) == [0, 2] and sorted(embedder.failed) == [1, 3]
    np.testing.assert_array_equal(vectors[0], [1, 1, 1, 1, 0, 0, 0, 0])
