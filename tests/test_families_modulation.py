"""Issue-3 families: msf, dwt, cwt, fourier_params through the extractor."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emovox.errors import UsageError
from featuresets import FeatureExtractor, FeatureSetConfig

FS = 16000
FAMILIES = ("msf", "dwt", "cwt", "fourier_params")
SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "emodb" / "wav" / "03a01Fa.wav"


def _extractor(families=FAMILIES, **params):
    return FeatureExtractor(FeatureSetConfig(name="t", families=families, family_params=params))


def _speech_like(seconds=2.0, seed=0):
    """Harmonics of a gliding F0 with syllable-rate amplitude modulation, pauses and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    f0 = 150 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / FS
    voiced = sum(np.cos(h * phase) / h for h in range(1, 25))
    envelope = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) ** 2
    return (0.2 * envelope * voiced + 0.002 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def extractor():
    return _extractor()


def test_names_and_shapes(extractor):
    names = extractor.feature_names
    assert len(names) == len(set(names)) == extractor.n_features
    n_fun = len(extractor.config.functionals)
    lld = extractor.lld_names
    assert not any(n.startswith("logmel") for n in lld)  # required by msf, not selected
    assert "dwt_logenergy_a5" in lld and "dwt_entropy_d1" in lld and sum(n.startswith("dwt_") for n in lld) == 12
    assert sum(n.startswith("cwt_logenergy_") for n in lld) == 12 and "cwt_logenergy_100hz" in lld
    assert lld[-37:] == (["fp_voicing"] + [f"fp_h{h:02d}" for h in range(1, 13)]
                         + [f"fp_h{h:02d}_d1" for h in range(1, 13)] + [f"fp_h{h:02d}_d2" for h in range(1, 13)])
    utt = extractor.utterance_names
    assert len(utt) == 20 * 5 + 5 * 6
    assert utt[0] == "msf_energy_ac00_mod2hz" and "msf_slope_mod32hz" in utt
    assert extractor.n_features == len(lld) * n_fun + len(utt)
    assert extractor.context_length == 400  # the DWT frame (384) fits in the analysis frame


@pytest.mark.parametrize("source", ["synthetic", "speech"])
def test_vector_does_not_depend_on_block_size(extractor, source):
    if source == "speech":
        if not SPEECH.is_file():
            pytest.skip(f"{SPEECH} is absent (the shared corpora are not on this machine)")
        import audio_io

        x = audio_io.load(SPEECH)
    else:
        x = _speech_like()
    whole, duration = extractor.extract([x])
    split, _ = extractor.extract(np.array_split(x, 7))
    np.testing.assert_array_equal(whole, split)
    odd, _ = extractor.extract([x[i : i + 333] for i in range(0, len(x), 333)])
    np.testing.assert_array_equal(whole, odd)
    assert np.all(np.isfinite(whole)) and duration == pytest.approx(len(x) / FS)


@pytest.mark.parametrize("signal", ["silence", "one_sample", "empty", "clipped", "square", "dc", "loud_noise"])
def test_outputs_are_finite_for_edge_signals(extractor, signal):
    rng = np.random.default_rng(1)
    x = {
        "silence": np.zeros(FS, np.float32),
        "one_sample": np.array([0.5], np.float32),
        "empty": np.zeros(0, np.float32),
        "clipped": np.clip(10 * _speech_like(1.0), -1, 1),
        "square": np.sign(np.sin(2 * np.pi * 220 * np.arange(FS) / FS)).astype(np.float32),
        "dc": np.full(FS // 2, 0.7, np.float32),
        "loud_noise": np.clip(rng.standard_normal(FS), -1, 1).astype(np.float32),
    }[signal]
    vector, _ = extractor.extract([x])
    assert vector.shape == (extractor.n_features,)
    assert np.all(np.isfinite(vector)), [n for n, v in zip(extractor.feature_names, vector) if not np.isfinite(v)]


def test_silence_values_are_the_documented_ones(extractor):
    vector, _ = extractor.extract([np.zeros(FS, np.float32)])
    values = dict(zip(extractor.feature_names, vector))
    assert values["dwt_logenergy_d1_max"] == -100.0 and values["dwt_entropy_a5_max"] == 0.0
    assert values["cwt_logenergy_100hz_mean"] == -100.0
    assert values["fp_voicing_max"] == 0.0
    assert values["fp_h01_mean"] == pytest.approx(-10 * np.log10(12))
    assert values["fp_h03_d1_max"] == 0.0
    assert values["msf_energy_ac08_mod4hz"] == -100.0
    assert values["msf_flatness_mod8hz"] == pytest.approx(1.0)
    assert values["msf_centroid_mod8hz"] == pytest.approx(9.5)  # (20 - 1) / 2


@pytest.mark.parametrize("fm", [4.0, 8.0])
def test_msf_of_an_am_tone_peaks_at_the_carrier_band_and_modulation_rate(fm):
    t = np.arange(3 * FS) / FS
    x = ((1 + 0.5 * np.cos(2 * np.pi * fm * t)) * 0.3 * np.cos(2 * np.pi * 1000 * t)).astype(np.float32)
    ex = _extractor(("msf",))
    vector, _ = ex.extract([x])
    names = ex.utterance_names
    energies = np.array([v for n, v in zip(names, vector) if n.startswith("msf_energy_ac")]).reshape(20, 5)
    band, mod = np.unravel_index(np.argmax(energies), energies.shape)
    msf = ex._families["msf"]
    steady = msf.envelopes(FeatureExtractor(FeatureSetConfig(name="m", families=("logmel",))).llds([x])[0])
    assert band == int(np.argmax(steady.mean(axis=0)))  # the acoustic band holding 1 kHz
    assert [2, 4, 8, 16, 32][mod] == fm
    values = dict(zip(names, vector))
    # Across acoustic bands the fm band is dominated by the carrier's band (and its neighbours,
    # which the carrier also reaches through the overlapping triangles): centroid there.
    assert abs(values[f"msf_centroid_mod{fm:g}hz"] - band) < 0.6
    assert values[f"msf_crest_mod{fm:g}hz"] > 5


def test_fourier_params_of_a_steady_voice():
    amps = 1.0 / np.arange(1, 13) ** 1.2
    t = np.arange(FS) / FS
    x = (0.2 * sum(a * np.cos(2 * np.pi * (h + 1) * 180.0 * t) for h, a in enumerate(amps))).astype(np.float32)
    ex = _extractor(("fourier_params",))
    lld, _, _ = ex.llds([x])
    inner = lld[3:-3]  # frames that are fully inside the signal
    names = ex.lld_names
    levels = inner[:, names.index("fp_h01") : names.index("fp_h12") + 1]
    np.testing.assert_allclose(levels.mean(axis=0), 10 * np.log10(amps**2 / np.sum(amps**2)), atol=0.5)
    d1 = inner[:, names.index("fp_h01_d1") : names.index("fp_h12_d1") + 1]
    d2 = inner[:, names.index("fp_h01_d2") :]
    assert np.abs(d1).max() < 0.3 and np.abs(d2).max() < 0.5  # steady: no change frame to frame
    assert np.all(inner[:, 0] > 0.9)  # fp_voicing


def test_cwt_and_dwt_follow_a_tone():
    ex = _extractor(("cwt", "dwt"))
    n = np.arange(FS // 2)
    lld, _, _ = ex.llds([(0.5 * np.sin(2 * np.pi * 750 * n / FS)).astype(np.float32)])
    names = ex.lld_names
    cwt = [i for i, name in enumerate(names) if name.startswith("cwt_")]
    assert names[cwt[int(np.argmax(lld[20, cwt]))]] == "cwt_logenergy_748hz"
    dwt = [names.index(f"dwt_logenergy_{b}") for b in ("a5", "d5", "d4", "d3", "d2", "d1")]
    assert names[dwt[int(np.argmax(lld[20, dwt]))]] == "dwt_logenergy_d4"  # 500-1000 Hz


def test_config_round_trip_and_parameter_validation():
    config = FeatureSetConfig(name="t", families=("msf", "fourier_params"), n_mels=30,
                              family_params={"msf": {"modulation_centres_hz": [4, 8, 16], "mel_bands_per_band": 3}})
    again = FeatureSetConfig.from_dict(config.to_dict())
    assert again.feature_hash == config.feature_hash
    ex = FeatureExtractor(again)
    assert len(ex.utterance_names) == 10 * 3 + 3 * 6 and ex.utterance_names[0] == "msf_energy_ac00_mod4hz"
    vector, _ = ex.extract([_speech_like(1.0)])
    assert np.all(np.isfinite(vector))
    assert FeatureSetConfig(name="t", families=("msf",)).feature_hash != FeatureSetConfig(
        name="t", families=("msf",), family_params={"msf": {"hop_frames": 16}}).feature_hash
    with pytest.raises(UsageError, match="msf"):
        _extractor(("msf",), msf={"modulation_centres_hz": [64.0]})
    with pytest.raises(UsageError, match="msf"):
        _extractor(("msf",), msf={"modulation_centres_hz": [0.5]})
    with pytest.raises(UsageError, match="dwt"):
        _extractor(("dwt",), dwt={"frame_length": 500})
    assert _extractor(("dwt",), dwt={"frame_length": 512}).context_length == 512
    with pytest.raises(UsageError, match="fourier_params"):
        _extractor(("fourier_params",), fourier_params={"fmin_hz": 20.0})
    with pytest.raises(UsageError, match="msf"):
        _extractor(("msf",), msf={"mel_bands_per_band": 0})
    with pytest.raises(UsageError, match="cwt"):
        _extractor(("cwt",), cwt={"fmax_hz": 8000.0})


def test_fourier_params_differences_kernel_is_the_voiced_differences_chain():
    # Stage 2 (``harmonic_differences``) = voiced_differences of the levels, then of those over
    # pairs of voiced frames, value for value.
    from kernels.fourier_params import harmonic_differences, voiced_differences

    rng = np.random.default_rng(5)
    for n in (0, 1, 2, 3, 40, 301):
        values = rng.standard_normal((n, 13)).astype(np.float32)
        values[:, 0] = rng.random(n).astype(np.float32)  # voicing
        values[: n // 3, 0] = 0.6  # at the threshold: voiced
        voiced = values[:, 0].astype(np.float64) >= 0.6
        d1 = voiced_differences(np.ascontiguousarray(values[:, 1:]), voiced)
        voiced2 = voiced.copy()
        voiced2[1:] &= voiced[:-1]
        voiced2[:1] = False
        expected = np.concatenate([d1, voiced_differences(d1, voiced2)], axis=1)
        np.testing.assert_array_equal(harmonic_differences(values, 0.6), expected)
