"""The issue-3 families (time domain, spectral shape, contrast, flux, chroma, rhythm) in the extractor."""

import dataclasses
import math

import numpy as np
import pytest

import kernels
from emovox.errors import UsageError
from featuresets import FAMILIES, FeatureExtractor, FeatureSetConfig
from kernels.spectral_shape import AMIN, spectral_shape
from kernels.time_features import LOG_ENERGY_FLOOR
from tests.conftest import SHARED_CORPORA
from tests.test_kernels_pipeline import centered_frames, vowel_like

MINE = (
    "temporal_centroid", "signal_variance", "log_energy", "spectral_shape", "spectral_contrast",
    "spectral_flux", "chroma", "onset_strength", "beat_histogram",
)
CONFIG = FeatureSetConfig(name="t", families=MINE)


@pytest.fixture(scope="module")
def extractor():
    return FeatureExtractor(CONFIG)


def speech():
    """3 s of EMO-DB speech when the shared corpora are here, else the synthetic vowel."""
    path = SHARED_CORPORA / "emodb" / "wav" / "03a05Nd.wav"
    if path.is_file():
        import soundfile

        y, rate = soundfile.read(str(path), dtype="float32")
        assert rate == 16000
        return y
    return vowel_like(48000, seed=3)


def test_registered_in_order():
    names = list(FAMILIES)
    for name in MINE + ("_norm_spectrum",):
        assert name in names
    assert names.index("logmel") < names.index("onset_strength") < names.index("beat_histogram")
    assert names.index("_norm_spectrum") < names.index("spectral_flux")


def test_names(extractor):
    lld = extractor.lld_names
    assert lld[:3] == ["temporal_centroid", "signal_variance", "log_energy"]
    assert lld[3:9] == [
        "spectral_centroid", "spectral_bandwidth", "spectral_flatness", "spectral_entropy",
        "spectral_rolloff85", "spectral_rolloff95",
    ]
    assert lld[9:16] == [f"spectral_contrast_{b}" for b in range(7)]
    assert lld[16] == "spectral_flux"
    assert lld[17:29] == [f"chroma_{p}" for p in ("c", "cs", "d", "ds", "e", "f", "fs", "g", "gs", "a", "as", "b")]
    assert lld[29:] == ["onset_strength"]
    assert extractor.utterance_names == [
        "tempo_bpm", "beat_peak1_amplitude", "beat_peak1_bpm", "beat_peak2_amplitude",
        "beat_peak2_bpm", "beat_peak_ratio", "beat_sum",
    ]
    # Required helpers (logmel, _norm_spectrum) are computed but add no column.
    assert extractor.n_features == 30 * len(CONFIG.functionals) + 7
    assert not any(n.startswith(("_norm", "logmel")) for n in extractor.feature_names)


def test_block_size_does_not_change_the_vector(extractor):
    x = speech()
    whole, duration = extractor.extract([x])
    assert duration == pytest.approx(len(x) / 16000)
    assert np.all(np.isfinite(whole))
    for n_blocks in (7, 31):
        pieces, _ = extractor.extract(np.array_split(x, n_blocks))
        np.testing.assert_array_equal(pieces, whole)
    uneven, _ = extractor.extract([x[:1], x[1:161], x[161:5000], x[5000:]])
    np.testing.assert_array_equal(uneven, whole)


def test_llds_match_the_kernels(extractor):
    x = speech()[:16000]
    lld, utterance, _ = extractor.llds([x])
    names = extractor.lld_names
    power = kernels.power_spectrum(centered_frames(x), kernels.hann_window(400), 512)
    shape = spectral_shape(power, np.linspace(0, 8000, 257), np.array([0.85, 0.95]), AMIN)
    np.testing.assert_array_equal(lld[:, names.index("spectral_centroid")], shape[:, 0])
    np.testing.assert_array_equal(lld[:, names.index("spectral_rolloff95")], shape[:, 5])
    frames = centered_frames(x).astype(np.float64)
    np.testing.assert_allclose(
        lld[:, names.index("log_energy")], np.log(np.maximum((frames**2).sum(1), LOG_ENERGY_FLOOR)), rtol=1e-6
    )
    # Temporal centroid of an impulse: seconds from the start of the frame's 400 samples
    # (frame t covers samples t*160 - 200 .. t*160 + 199).
    y = np.zeros(3200, np.float32)
    y[1650] = 1.0  # frame 10 starts at 1400 -> 250 samples in; frame 9 (1240) -> 410: outside
    lld, _, _ = extractor.llds([y])
    tc = lld[:, names.index("temporal_centroid")]
    assert tc[10] == pytest.approx(250 / 16000) and tc[11] == pytest.approx(90 / 16000)
    assert tc[9] == pytest.approx(199.5 / 16000)  # no energy: the frame centre


def test_silence_values(extractor):
    lld, utterance, _ = extractor.llds([np.zeros(16000, np.float32)])
    names = extractor.lld_names
    expected = {
        "temporal_centroid": 199.5 / 16000, "signal_variance": 0.0, "log_energy": math.log(LOG_ENERGY_FLOOR),
        "spectral_centroid": 0.0, "spectral_bandwidth": 0.0, "spectral_flatness": 1.0, "spectral_entropy": 1.0,
        "spectral_rolloff85": 0.0, "spectral_rolloff95": 0.0, "spectral_contrast_0": 0.0,
        "spectral_contrast_6": 0.0, "spectral_flux": 0.0, "chroma_a": 0.0, "onset_strength": 0.0,
    }
    for name, value in expected.items():
        np.testing.assert_allclose(lld[:, names.index(name)], value, rtol=1e-6, err_msg=name)
    np.testing.assert_array_equal(utterance, np.zeros(7, np.float32))


@pytest.mark.parametrize("signal_name", ["one_sample", "empty", "clipped", "dc", "tiny"])
def test_finite_for_edge_signals(extractor, signal_name):
    rng = np.random.default_rng(0)
    x = {
        "one_sample": np.array([0.7], np.float32),
        "empty": np.zeros(0, np.float32),
        "clipped": np.clip(5 * rng.standard_normal(24000), -1, 1).astype(np.float32),
        "dc": np.ones(8000, np.float32),
        "tiny": (1e-30 * rng.standard_normal(8000)).astype(np.float32),
    }[signal_name]
    vector, _ = extractor.extract([x])
    assert vector.shape == (extractor.n_features,)
    assert np.all(np.isfinite(vector)), [n for n, v in zip(extractor.feature_names, vector) if not np.isfinite(v)]


def test_beat_histogram_finds_the_click_tempo():
    from tests.test_kernels_spectral import click_track

    ex = FeatureExtractor(FeatureSetConfig(name="r", families=("beat_histogram",)))
    assert ex.lld_names == [] and ex.utterance_names[0] == "tempo_bpm"
    vector, _ = ex.extract(np.array_split(click_track(120), 5))
    assert vector[0] == pytest.approx(120.0, abs=0.5)


def test_params_round_trip_and_validation():
    cfg = FeatureSetConfig(
        name="p", families=("spectral_shape", "spectral_contrast", "beat_histogram"),
        family_params={"spectral_shape": {"roll_percents": [0.5, 0.9]}, "beat_histogram": {"prior_bpm": 100.0}},
    )
    again = FeatureSetConfig.from_dict(cfg.to_dict())
    assert again.feature_hash == cfg.feature_hash
    assert again.params_of("spectral_shape") == cfg.params_of("spectral_shape")
    assert cfg.params_of("spectral_shape").roll_percents == (0.5, 0.9)
    assert cfg.feature_hash != dataclasses.replace(cfg, family_params={}).feature_hash
    ex = FeatureExtractor(cfg)
    assert "spectral_rolloff50_mean" in ex.feature_names and "spectral_rolloff90_mean" in ex.feature_names
    for family, params in (
        ("spectral_shape", {"roll_percents": [1.5]}),
        ("spectral_contrast", {"n_bands": 7}),  # 12.8 kHz band edge above Nyquist
        ("beat_histogram", {"min_bpm": 300.0, "max_bpm": 30.0}),
    ):
        with pytest.raises(UsageError):
            FeatureExtractor(FeatureSetConfig(name="bad", families=(family,), family_params={family: params}))
