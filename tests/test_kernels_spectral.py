"""Time-domain, spectral-shape, chroma and rhythm kernels vs librosa, numpy and analytic values.

Spectra: our frames -> our Hann power spectrum (what the pipeline computes) against librosa's
``S = np.abs(librosa.stft(..., n_fft=512, win_length=400, hop_length=160, center=True,
pad_mode='constant'))`` of the same signal (test_kernels_stft bounds that difference: ~1e-7 of a
frame's peak power per bin).
"""

import numpy as np
import pytest

import kernels
from kernels.chroma import PITCH_CLASSES, chroma, chroma_filterbank
from kernels.rhythm import BEAT_HISTOGRAM_NAMES, beat_histogram, normalized_autocorrelation, onset_strength
from kernels.spectral_shape import (
    AMIN,
    _log2_positive,
    contrast_bands,
    spectral_contrast,
    spectral_flux,
    spectral_shape,
    spectral_shape_unit,
    unit_magnitude,
)
from kernels.time_features import LOG_ENERGY_FLOOR, time_features
from tests.test_kernels_pipeline import (  # noqa: F401
    HOP_LENGTH,
    N_FFT,
    SAMPLING_RATE,
    WIN_LENGTH,
    centered_frames,
    signal,
    vowel_like,
)

librosa = pytest.importorskip("librosa")

FREQ = np.linspace(0, SAMPLING_RATE / 2, N_FFT // 2 + 1)
ROLL = np.array([0.85, 0.95])


def our_power(y):
    return kernels.power_spectrum(centered_frames(y), kernels.hann_window(WIN_LENGTH), N_FFT)


def librosa_magnitude(y):
    return np.abs(
        librosa.stft(
            y, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH, window="hann",
            center=True, pad_mode="constant",
        )
    )


def our_log_mel(y):
    fb = kernels.mel_filterbank(SAMPLING_RATE, N_FFT, 40, 0.0, SAMPLING_RATE / 2, False, True)
    return kernels.power_to_db(kernels.apply_filterbank(our_power(y), fb), 1e-10)


# --------------------------------------------------------------------------------------------
# Time domain


def test_time_features_analytic():
    n = WIN_LENGTH
    frames = np.zeros((5, n), np.float32)
    frames[0, 100] = 0.5  # impulse: centroid at its sample, energy 0.25
    frames[1, :] = 0.3  # constant: flat envelope -> centre; variance 0
    frames[2, 50] = 1.0
    frames[2, 350] = 1.0  # two equal impulses -> midway (200)
    frames[3, :] = np.where(np.arange(n) % 2, 0.5, -0.5)  # +-0.5: variance 0.25, energy 100
    # frames[4]: digital silence
    out = time_features(frames, float(SAMPLING_RATE), LOG_ENERGY_FLOOR)
    assert out.shape == (5, 3) and out.dtype == np.float32
    np.testing.assert_allclose(
        out[:, 0], np.array([100, 199.5, 200, 199.5, 199.5]) / SAMPLING_RATE, rtol=1e-6
    )
    np.testing.assert_allclose(out[:, 1], [0.25 / n - (0.5 / n) ** 2, 0.0, 2 / n - (2 / n) ** 2, 0.25, 0.0], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(
        out[:, 2], np.log([0.25, 0.09 * n, 2.0, 0.25 * n, LOG_ENERGY_FLOOR]), rtol=1e-6
    )


def test_time_features_match_numpy(signal):
    frames = centered_frames(signal)
    out = time_features(frames, float(SAMPLING_RATE), LOG_ENERGY_FLOOR)
    x = frames.astype(np.float64)
    energy = np.sum(x * x, axis=1)
    n = np.arange(frames.shape[1])
    silent = energy == 0
    assert silent.any()  # the fixture's digital silence
    centroid = np.where(silent, (len(n) - 1) / 2, (x * x) @ n / np.where(silent, 1, energy)) / SAMPLING_RATE
    # float64 sums rounded once to float32: 1e-6 relative (variance: E[x^2] - E[x]^2 of
    # zero-mean speech frames, no cancellation to speak of).
    np.testing.assert_allclose(out[:, 0], centroid, rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], np.var(x, axis=1), rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(out[:, 2], np.log(np.maximum(energy, LOG_ENERGY_FLOOR)), rtol=1e-6)


# --------------------------------------------------------------------------------------------
# Spectral shape


def test_log2_positive():
    x = np.concatenate([np.geomspace(1e-300, 1e300, 20001), [1.0, 2.0, np.sqrt(2.0), 0.7071067811865476, 3.0]])
    # exact exponent + series to s**9 on |s| <= 0.1716: |error| < 2e-9 (measured 1e-10).
    np.testing.assert_allclose(_log2_positive(x), np.log2(x), rtol=0, atol=2e-9)


def test_spectral_shape_matches_librosa(signal):
    power = our_power(signal)
    out = spectral_shape(power, FREQ, ROLL, AMIN)
    assert out.shape == (power.shape[0], 6) and out.dtype == np.float32
    S = librosa_magnitude(signal)
    sr = SAMPLING_RATE
    centroid = librosa.feature.spectral_centroid(S=S, sr=sr)[0]
    bandwidth = librosa.feature.spectral_bandwidth(S=S, sr=sr)[0]
    flatness = librosa.feature.spectral_flatness(S=S, amin=AMIN, power=2.0)[0]
    # Centroid / bandwidth: ratios of magnitude sums, float32 magnitudes on both sides (and our
    # float32 window): measured 6e-8 relative -> 1e-5 relative, 1e-3 Hz absolute (silence: 0).
    np.testing.assert_allclose(out[:, 0], centroid, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(out[:, 1], bandwidth, rtol=1e-5, atol=1e-3)
    # Flatness: librosa takes logs and means in float32 (1e-6 relative); ours float64 sums of a
    # float32 series log. Measured 6e-7 absolute.
    np.testing.assert_allclose(out[:, 2], flatness, rtol=1e-5, atol=1e-6)
    # Roll-off: a bin frequency; the cumulative sums (librosa float32, ours float64) can only
    # disagree when a frame's crossing is within rounding of the threshold: allow one bin off in
    # at most 2 % of the frames (measured: none).
    for j, percent in enumerate(ROLL):
        rolloff = librosa.feature.spectral_rolloff(S=S, sr=sr, roll_percent=percent)[0]
        diff = np.abs(out[:, 4 + j] - rolloff)
        assert diff.max() <= FREQ[1] + 1e-3
        assert np.mean(diff > 1e-3) <= 0.02
    assert np.all(out[:, 5] >= out[:, 4])


def test_spectral_entropy_matches_numpy(signal):
    power = our_power(signal)
    out = spectral_shape(power, FREQ, ROLL, AMIN)
    q = np.maximum(power.astype(np.float64), np.float32(AMIN))
    p = q / q.sum(axis=1, keepdims=True)
    entropy = -np.sum(p * np.log2(p), axis=1) / np.log2(power.shape[1])
    # Our log2: exact exponent + float32 series (< 1e-7 per bin), summed in float64: measured 3e-8.
    np.testing.assert_allclose(out[:, 3], entropy, rtol=0, atol=1e-6)
    assert 0.0 < out[:, 3].min() and out[:, 3].max() <= 1.0


def test_spectral_shape_analytic():
    n_bins = len(FREQ)
    power = np.zeros((4, n_bins), np.float32)
    power[0, :] = 2.0  # white: centroid 4000 Hz, flatness 1, entropy 1
    power[1, 64] = 9.0  # one bin (2000 Hz): centroid there, bandwidth 0, entropy ~0
    power[2, [32, 96]] = 4.0  # two equal bins, 1000 and 3000 Hz: centroid 2000, bandwidth 1000
    # power[3]: silence
    out = spectral_shape(power, FREQ, np.array([0.5, 0.85, 1.0]), AMIN)
    np.testing.assert_allclose(out[0, :4], [4000.0, np.sqrt(np.mean((FREQ - 4000) ** 2)), 1.0, 1.0], rtol=1e-6)
    # first bin k whose cumulative magnitude (k + 1) * m reaches r * 257 * m: k = 128, 218, 256
    np.testing.assert_allclose(out[0, 4:], [4000.0, 6812.5, 8000.0])
    np.testing.assert_allclose(out[1, [0, 1, 4, 5, 6]], [2000.0, 0.0, 2000.0, 2000.0, 2000.0], atol=1e-3)
    q = np.maximum(power[1].astype(np.float64), np.float32(AMIN))
    np.testing.assert_allclose(out[1, 2], np.exp(np.mean(np.log(q))) / np.mean(q), rtol=1e-5)  # ~3e-9
    assert out[1, 3] < 1e-6
    np.testing.assert_allclose(out[2, [0, 1, 4, 5, 6]], [2000.0, 1000.0, 1000.0, 3000.0, 3000.0], rtol=1e-6)
    # Silence: 0 Hz (as librosa), flatness and entropy of the flat floored spectrum: 1.
    np.testing.assert_array_equal(out[3], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    # Centroid, bandwidth and roll-offs do not depend on the level; flatness and entropy only
    # through the 1e-10 floor (row 0 has no bin near it).
    scaled = spectral_shape(power * 1e3, FREQ, np.array([0.5, 0.85, 1.0]), AMIN)
    np.testing.assert_allclose(scaled[:, [0, 1, 4, 5, 6]], out[:, [0, 1, 4, 5, 6]], rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(scaled[0], out[0], rtol=1e-6)
    assert scaled[1, 2] < out[1, 2] and scaled[1, 3] < out[1, 3]


def test_unit_magnitude_and_flux():
    rng = np.random.default_rng(3)
    power = rng.random((6, 257)).astype(np.float32) ** 3
    power[2] = power[1]  # repeated frame -> flux 0
    power[3] = 0.0  # silence: zero vector -> flux 1 on both sides
    power[5, :] = 0.0
    power[5, :100] = 1.0  # disjoint supports (rows 5 vs 6)
    power = np.vstack([power, np.zeros((1, 257), np.float32)])
    power[6, 100:] = 2.0
    unit = unit_magnitude(power)
    norms = np.linalg.norm(unit.astype(np.float64), axis=1)
    np.testing.assert_allclose(norms, [1, 1, 1, 0, 1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(unit[0], np.sqrt(power[0] / power[0].sum(dtype=np.float64)), rtol=1e-6)
    flux = spectral_flux(unit)
    reference = np.concatenate([[0.0], np.linalg.norm(np.diff(unit.astype(np.float64), axis=0), axis=1)])
    np.testing.assert_allclose(flux, reference, rtol=1e-6)
    assert flux[0] == 0.0 and flux[2] == 0.0
    np.testing.assert_allclose(flux[[3, 4]], [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(flux[6], np.sqrt(2.0), rtol=1e-6)



def rolloff_reference(power, percents):
    """Roll-off bins by a plain float64 cumulative sum of the float32 magnitudes."""
    mag = np.sqrt(power).astype(np.float64)
    cum = np.cumsum(mag, axis=1)
    found = np.empty((power.shape[0], len(percents)), np.int64)
    for j, r in enumerate(percents):
        below = cum < r * mag.sum(axis=1, keepdims=True)
        found[:, j] = np.minimum(below.sum(axis=1), power.shape[1] - 1)
    return found


def test_spectral_rolloff_on_block_edges():
    # Crossings in the first bin, on the 16-bin block edges of the kernel's search, in the last
    # (partial) block and beyond; also the bin count of a partial last block of every size.
    rng = np.random.default_rng(7)
    percents = np.array([0.0001, 0.3, 0.5, 0.85, 0.95, 1.0])
    for n_bins in (257, 256, 241, 17, 16, 3):
        power = (rng.random((40, n_bins)) ** 4).astype(np.float32)
        power[:5] = 0.0
        for t in range(5):  # all the energy in a few bins at or around block edges
            power[t, [min(15, n_bins - 1), min(16, n_bins - 1), n_bins - 1][: t % 3 + 1]] = 1.0
        power[5] = 0.0  # silence
        freq = np.arange(n_bins, dtype=np.float64)
        out = spectral_shape(power, freq, percents, AMIN)
        expected = rolloff_reference(power, percents).astype(np.float64)
        expected[5] = 0.0
        np.testing.assert_array_equal(out[:, 4:], expected)


def test_spectral_shape_unit_is_shape_and_unit_magnitude(signal):
    power = our_power(signal)
    power[3] = 0.0  # silence
    features, unit = spectral_shape_unit(power, FREQ, ROLL, AMIN)
    np.testing.assert_array_equal(features, spectral_shape(power, FREQ, ROLL, AMIN))
    # the same float64 sum, possibly reassociated differently: within one float32 step
    np.testing.assert_allclose(unit, unit_magnitude(power), rtol=1.2e-7, atol=0)
    assert unit.dtype == np.float32 and unit.shape == power.shape
    assert np.all(unit[3] == 0.0)
    empty_features, empty_unit = spectral_shape_unit(power[:0], FREQ, ROLL, AMIN)
    assert empty_features.shape == (0, 6) and empty_unit.shape == (0, 257)

def contrast_reference_signal(n_samples):
    """vowel_like with its digital silence replaced by quiet noise: librosa's top_db=80 clipping
    (file-wide, which we leave out) then never applies."""
    y = vowel_like(n_samples, seed=11)
    quiet = y == 0.0
    y[quiet] = 1e-3 * np.random.default_rng(1).standard_normal(quiet.sum()).astype(np.float32)
    return y


@pytest.mark.parametrize("quantile", [0.02, 0.1])
def test_spectral_contrast_matches_librosa(quantile):
    y = contrast_reference_signal(20803)
    power = our_power(y)
    start, stop, n_select = contrast_bands(FREQ, float(SAMPLING_RATE), 200.0, 6, quantile)
    if quantile == 0.02:
        # librosa's bookkeeping at n_fft=512: the bands partition the bins, 2 values at each
        # end of the 3.2-6.4 kHz band, 1 elsewhere.
        np.testing.assert_array_equal(start, [0, 6, 12, 25, 51, 102, 204])
        np.testing.assert_array_equal(stop, [6, 12, 25, 51, 102, 204, 257])
        np.testing.assert_array_equal(n_select, [1, 1, 1, 1, 1, 2, 1])
    else:
        assert n_select.max() >= 5  # the insertion path with several values per end
    out = spectral_contrast(power, start, stop, n_select, AMIN)
    assert out.shape == (power.shape[0], 7) and out.dtype == np.float32
    reference = librosa.feature.spectral_contrast(
        S=librosa_magnitude(y), sr=SAMPLING_RATE, n_bands=6, fmin=200.0, quantile=quantile
    ).T
    # Valleys are the band's smallest magnitudes, the ones the float32 FFT leakage (~3e-4 of the
    # frame's peak magnitude) perturbs most: measured 3e-4 dB -> 5e-3 dB.
    np.testing.assert_allclose(out, reference, rtol=0, atol=5e-3)


@pytest.mark.parametrize("quantile", [0.02, 0.1])
def test_spectral_contrast_t_is_spectral_contrast(quantile):
    from kernels.spectral_shape import spectral_contrast_t
    from kernels.stft import transpose_frames

    power = our_power(contrast_reference_signal(20803))
    power[10:13] = 0.0  # silence
    power[20, :] = 4.0  # flat: ties everywhere
    bands = contrast_bands(FREQ, float(SAMPLING_RATE), 200.0, 6, quantile)
    np.testing.assert_array_equal(
        spectral_contrast_t(transpose_frames(power), *bands, AMIN), spectral_contrast(power, *bands, AMIN)
    )


def test_spectral_contrast_silence_and_ties():
    start, stop, n_select = contrast_bands(FREQ, float(SAMPLING_RATE), 200.0, 6, 0.02)
    power = np.zeros((3, 257), np.float32)
    power[1, :] = 4.0  # flat: peak == valley -> 0 dB
    power[2, :] = 1e-4
    power[2, 120] = 1.0  # one strong bin in band 5 (2 values per end): peak (1 + 0.01) / 2
    out = spectral_contrast(power, start, stop, n_select, AMIN)
    np.testing.assert_array_equal(out[0], np.zeros(7, np.float32))
    np.testing.assert_allclose(out[1], 0.0, atol=1e-6)
    np.testing.assert_allclose(out[2, 5], 10 * np.log10(0.505 / 0.01), rtol=1e-6)
    np.testing.assert_allclose(np.delete(out[2], 5), 0.0, atol=1e-6)
    with pytest.raises(ValueError):
        contrast_bands(FREQ, float(SAMPLING_RATE), 200.0, 7, 0.02)  # 12.8 kHz > Nyquist


# --------------------------------------------------------------------------------------------
# Chroma


def test_chroma_filterbank_matches_librosa():
    fb = chroma_filterbank(float(SAMPLING_RATE), N_FFT, 12, 0.0, 5.0, 2.0, True)
    reference = librosa.filters.chroma(sr=SAMPLING_RATE, n_fft=N_FFT, tuning=0.0)
    assert fb.shape == reference.shape == (12, N_FFT // 2 + 1) and fb.dtype == np.float32
    # Same float64 formula rounded once to float32 (log2 may differ by an ulp): 1e-7 absolute.
    np.testing.assert_allclose(fb, reference, rtol=0, atol=1e-7)
    other = chroma_filterbank(22050.0, 2048, 12, 0.3, 4.0, 1.5, False)
    reference = librosa.filters.chroma(sr=22050, n_fft=2048, tuning=0.3, ctroct=4.0, octwidth=1.5, base_c=False)
    np.testing.assert_allclose(other, reference, rtol=0, atol=1e-7)


def test_chroma_matches_librosa(signal):
    power = our_power(signal)
    fb = chroma_filterbank(float(SAMPLING_RATE), N_FFT, 12, 0.0, 5.0, 2.0, True)
    out = chroma(power, fb)
    assert out.shape == (power.shape[0], 12) and out.dtype == np.float32
    reference = librosa.feature.chroma_stft(
        S=librosa_magnitude(signal) ** 2, sr=SAMPLING_RATE, n_fft=N_FFT, tuning=0.0
    ).T
    # Weighted power sums over the whole spectrum, divided by the frame maximum: relative
    # errors of the float32 spectra (measured 7e-7) -> 1e-5 absolute on values in [0, 1].
    np.testing.assert_allclose(out, reference, rtol=0, atol=1e-5)
    silent = np.all(power == 0.0, axis=1)
    assert silent.any() and np.all(out[silent] == 0.0)
    assert np.allclose(out[~silent].max(axis=1), 1.0)
    # Frames are computed in tiles of 4: a frame's value must not depend on its tile slot.
    for shift in (1, 2, 3):
        np.testing.assert_array_equal(chroma(np.ascontiguousarray(power[shift:]), fb), out[shift:])


def test_chroma_of_tones():
    fb = chroma_filterbank(float(SAMPLING_RATE), N_FFT, 12, 0.0, 5.0, 2.0, True)
    t = np.arange(8000) / SAMPLING_RATE
    for name, hz in (("a", 880.0), ("c", 1046.5), ("e", 1318.5), ("g", 1568.0)):
        y = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        out = chroma(our_power(y), fb)[5:-5]
        assert np.all(np.array(PITCH_CLASSES)[out.argmax(axis=1)] == name), name


# --------------------------------------------------------------------------------------------
# Rhythm


def test_onset_strength_matches_librosa(signal):
    log_mel = our_log_mel(signal)
    out = onset_strength(log_mel)
    reference = librosa.onset.onset_strength(
        S=log_mel.T, lag=1, max_size=1, detrend=False, center=False, aggregate=np.mean
    )
    assert out.shape == reference.shape == (log_mel.shape[0],) and out.dtype == np.float32
    # Means of 40 float32 dB differences (ours float64): measured 1.2e-7 dB.
    np.testing.assert_allclose(out, reference, rtol=1e-6, atol=1e-5)
    assert out[0] == 0.0 and out.max() > 10.0  # the silence -> sound step


def test_onset_strength_analytic():
    s = np.zeros((5, 4), np.float32)
    s[2:] = 10.0  # +10 dB in every band at frame 2
    s[3, 3] = 16.0  # +6 dB in one band of four: 1.5
    s[4, :2] = -5.0  # falls (here 15 dB in two bands, 6 dB in one) are ignored
    s[4, 2] = 16.0
    np.testing.assert_allclose(onset_strength(s), [0, 0, 10, 1.5, 1.5])


def click_track(bpm, seconds=10.0, offset=800):
    """Decaying noise bursts (10 ms) every 60/bpm s at 16 kHz."""
    n = int(seconds * SAMPLING_RATE)
    y = np.zeros(n, np.float32)
    rng = np.random.default_rng(0)
    period = 60.0 / bpm * SAMPLING_RATE
    burst = 0.5 * rng.standard_normal(160) * np.exp(-np.arange(160) / 30.0)
    for k in range(int(n / period) + 1):
        start = int(round(k * period)) + offset
        if start + 160 <= n:
            y[start : start + 160] += burst
    return y


@pytest.mark.parametrize("bpm, tolerance", [(120, 0.5), (90, 1.5), (150, 1.0)])
def test_tempo_of_click_tracks(bpm, tolerance):
    onset = onset_strength(our_log_mel(click_track(bpm)))
    values = beat_histogram(onset, SAMPLING_RATE / HOP_LENGTH, 30.0, 300.0, 120.0, 1.0)
    named = dict(zip(BEAT_HISTOGRAM_NAMES, values))
    # A period of 50 frames (120 BPM) is exact; 90 BPM is 66.7 frames (parabolic refinement).
    assert abs(named["tempo_bpm"] - bpm) < tolerance, named
    assert named["beat_peak1_amplitude"] > 0.7
    assert 0 < named["beat_peak2_amplitude"] <= named["beat_peak1_amplitude"]
    np.testing.assert_allclose(
        named["beat_peak_ratio"], named["beat_peak2_amplitude"] / named["beat_peak1_amplitude"], rtol=1e-6
    )
    assert named["beat_sum"] > named["beat_peak1_amplitude"]
    # librosa's tempo (windowed tempogram, same prior) agrees on these tracks.
    reference = librosa.feature.tempo(onset_envelope=onset, sr=SAMPLING_RATE, hop_length=HOP_LENGTH)[0]
    assert abs(reference - bpm) < 2.0


def test_beat_histogram_without_periodicity():
    rate = SAMPLING_RATE / HOP_LENGTH
    for onset in (np.zeros(500, np.float32), np.full(500, 3.0, np.float32), np.zeros(1, np.float32),
                  np.arange(15, dtype=np.float32)):
        values = beat_histogram(onset, rate, 30.0, 300.0, 120.0, 1.0)
        assert values.shape == (7,) and values.dtype == np.float32
        np.testing.assert_array_equal(values, np.zeros(7, np.float32))


def test_normalized_autocorrelation_matches_numpy():
    x = np.random.default_rng(5).random(300).astype(np.float32)
    r = normalized_autocorrelation(x, 250)
    c = x.astype(np.float64) - x.astype(np.float64).mean()
    full = np.correlate(c, c, mode="full")[len(c) - 1 :]
    np.testing.assert_allclose(r, full[:251] / full[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(normalized_autocorrelation(x[:10], 20)[10:], 0.0)


@pytest.mark.parametrize("families", [("spectral_shape", "spectral_flux"), ("spectral_flux",), ("spectral_shape",)])
def test_flux_family_with_and_without_shared_unit_spectra(families):
    # With spectral_shape in the set, spectral_flux reads the unit spectra of spectral_shape's
    # pass (spectral_shape_unit); without it, unit_magnitude's. Either way the kernels' values.
    from featuresets import FeatureExtractor, FeatureSetConfig

    y = vowel_like(24000, seed=5)
    y[8000:9600] = 0.0  # silent frames
    extractor = FeatureExtractor(FeatureSetConfig(name="t", families=families))
    if "spectral_shape" in families:
        assert extractor._families["spectral_shape"]._share_unit == ("spectral_flux" in families)
    lld, _, _ = extractor.llds([y[:10000], y[10000:]])  # two blocks
    names = extractor.lld_names
    power = our_power(y)
    if "spectral_flux" in families:
        flux = spectral_flux(unit_magnitude(power))
        np.testing.assert_allclose(lld[:, names.index("spectral_flux")], flux, rtol=1e-6, atol=1e-7)
    if "spectral_shape" in families:
        first = names.index("spectral_centroid")
        np.testing.assert_array_equal(lld[:, first:first + 6], spectral_shape(power, FREQ, ROLL, AMIN))
