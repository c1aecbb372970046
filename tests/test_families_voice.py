"""The voice families in the extractor: names, block-size independence, edge signals, values."""

import numpy as np
import pytest

from emovox.errors import UsageError
from featuresets import FeatureExtractor, FeatureSetConfig
from tests.test_kernels_voice import glottal_train

FAMILIES = ("pitch", "voice_quality", "lpc", "lpcc", "teo", "teo_cb")
SR = 16000


@pytest.fixture(scope="module")
def extractor():
    return FeatureExtractor(FeatureSetConfig(name="voice", families=FAMILIES))


def utterance(extractor, vector):
    names = extractor.feature_names
    return {name: float(vector[names.index(name)]) for name in extractor.utterance_names}


def speechlike(seconds=2.0, seed=0):
    """Voiced stretches (gliding glottal-like waves), pauses with faint noise, a fricative-like burst."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    y = 0.002 * rng.standard_normal(n)
    y[2000:12000] += glottal_train(140.0, seconds=10000 / SR, jitter=0.01, seed=seed)
    y[16000:26000] += glottal_train(210.0, seconds=10000 / SR, shimmer=0.05, seed=seed + 1)
    y[27000:29000] += 0.1 * rng.standard_normal(2000)
    return y.astype(np.float32)


def test_names_and_context(extractor):
    names = extractor.feature_names
    assert len(names) == len(set(names))
    assert extractor.lld_names[:5] == ["f0_semitone", "voicing_prob", "jitter_local", "shimmer_local", "hnr_db"]
    assert [n for n in extractor.lld_names if n.startswith("lpc_")] == [f"lpc_{k:02d}" for k in range(1, 13)]
    assert [n for n in extractor.lld_names if n.startswith("lpcc_")] == [f"lpcc_{k:02d}" for k in range(1, 13)]
    teo_cb = [n for n in extractor.lld_names if n.startswith("teo_cb_")]
    assert teo_cb == [f"teo_cb_auto_env_{b:02d}" for b in range(1, 17)]
    assert len(extractor.lld_names) == 2 + 3 + 12 + 12 + 3 + 16
    assert len(extractor.utterance_names) == 14 + 6
    assert extractor.context_length == 1024 + 2 * 48  # the pitch frame and the decimation filters' margin
    assert extractor.n_features == len(extractor.lld_names) * 15 + 20


def test_vector_does_not_depend_on_block_size(extractor):
    x = speechlike()
    whole, duration = extractor.extract([x])
    assert duration == len(x) / SR
    for pieces in (np.array_split(x, 7), np.array_split(x, 301), [x[:1], x[1:1057], x[1057:]]):
        split, _ = extractor.extract(pieces)
        np.testing.assert_array_equal(split, whole)


def test_vector_does_not_depend_on_block_size_with_other_pitch_settings():
    config = FeatureSetConfig(name="v2", families=("pitch", "voice_quality"),
                              family_params={"pitch": {"decimation": 2, "fmin_hz": 75.0}})
    extractor = FeatureExtractor(config)
    assert extractor.context_length == 1024 + 2 * 16
    x = speechlike(seed=3)
    np.testing.assert_array_equal(extractor.extract([x])[0], extractor.extract(np.array_split(x, 7))[0])


@pytest.mark.parametrize("signal", [
    np.zeros(SR, np.float32),  # digital silence
    np.zeros(1, np.float32),  # one sample, one frame
    np.full(3000, 0.3, np.float32),  # DC
], ids=["silence", "one-sample", "dc"])
def test_degenerate_signals_are_finite_and_defined(extractor, signal):
    vector, _ = extractor.extract([signal])
    assert np.isfinite(vector).all()
    values = utterance(extractor, vector)
    # nothing is voiced: every utterance value is 0 by definition
    assert all(v == 0.0 for v in values.values()), values
    lld, _, _ = extractor.llds([signal])
    names = extractor.lld_names
    if not signal.any():
        assert not lld[:, names.index("f0_semitone")].any()
        assert not lld[:, [i for i, n in enumerate(names) if n.startswith(("lpc", "teo_cb"))]].any()
        assert (lld[:, names.index("teo_log_abs_mean_db")] == -100.0).all()


def test_clipped_speech_is_finite(extractor):
    x = np.clip(30 * speechlike(seed=5), -1, 1)
    vector, _ = extractor.extract([x])
    assert np.isfinite(vector).all()


def test_pitch_and_voice_quality_values_on_a_known_signal(extractor):
    # 0.6 s at 150 Hz, then 0.6 s at 300 Hz (an octave up), periodic: known semitones, 1 segment
    # each, no jitter or shimmer, high HNR.
    x = np.concatenate([glottal_train(150.0, 0.6), glottal_train(300.0, 0.6), np.zeros(3200, np.float32)])
    values = utterance(extractor, extractor.extract([x])[0])
    st150 = 12 * np.log2(150 / 27.5)
    assert abs(values["f0_semitone_voiced_p10"] - st150) < 0.1
    assert abs(values["f0_semitone_voiced_p90"] - (st150 + 12)) < 0.1
    assert abs(values["f0_semitone_voiced_range"] - 12) < 0.3
    assert values["f0_semitone_voiced_slope"] > 0  # rising
    duration = (1 + len(x) // 160) * 0.01
    assert abs(values["voiced_fraction"] - 1.2 / duration) < 0.05
    runs = values["voiced_segment_rate"] * duration
    assert np.isclose(runs, 1.0, atol=1e-4) or np.isclose(runs, 2.0, atol=1e-4)  # one run, or one per tone
    assert abs(values["voiced_segment_mean_s"] * runs - values["voiced_fraction"] * duration) < 0.05
    # steady frames: ~0; frames over the onset, the change of tone and the offset see amplitude
    # and period changes, which the utterance means include
    lld = extractor.llds([x])[0]
    voiced = lld[:, 0] > 0
    assert np.median(lld[voiced, 2]) < 0.002 and np.median(lld[voiced, 3]) < 0.002
    assert values["jitter_local_voiced_mean"] < 0.01 and values["shimmer_local_voiced_mean"] < 0.05
    assert values["hnr_db_voiced_mean"] > 25


def test_voice_quality_reads_the_pitch_parameters():
    x = speechlike(seed=7)
    strict = FeatureSetConfig(name="s", families=("voice_quality",),
                              family_params={"pitch": {"voicing_threshold": 0.99}})
    loose = FeatureSetConfig(name="l", families=("voice_quality",))
    v_strict = FeatureExtractor(strict).llds([x])[0]
    v_loose = FeatureExtractor(loose).llds([x])[0]
    assert (v_strict[:, 0] > 0).sum() < (v_loose[:, 0] > 0).sum()  # fewer voiced frames get a jitter


@pytest.mark.parametrize("family,params", [
    ("pitch", {"fmin_hz": 600.0}),
    ("pitch", {"decimation": 3}),
    ("pitch", {"voicing_threshold": 1.5}),
    ("pitch", {"segment_smoothing_frames": 4}),
    ("voice_quality", {"search_tolerance": 0.7}),
    ("lpc", {"order": 0}),
    ("lpcc", {"n_cepstra": 0}),
    ("teo_cb", {"n_lags": 0}),
    ("teo_cb", {"frame_lengthh": 256}),
])
def test_bad_parameters_are_usage_errors(family, params):
    with pytest.raises(UsageError, match=family):
        FeatureSetConfig(name="bad", families=(family,), family_params={family: params})


def test_parameters_change_the_hash_and_the_values():
    base = FeatureSetConfig(name="p", families=("lpc", "lpcc"))
    other = FeatureSetConfig(name="p", families=("lpc", "lpcc"), family_params={"lpc": {"pre_emphasis": 0.0}})
    assert base.feature_hash != other.feature_hash
    x = speechlike(seed=9)
    a = FeatureExtractor(base).llds([x])[0]
    b = FeatureExtractor(other).llds([x])[0]
    assert not np.array_equal(a[:, :12], b[:, :12])  # lpc changed
    np.testing.assert_array_equal(a[:, 12:], b[:, 12:])  # lpcc has its own parameters
