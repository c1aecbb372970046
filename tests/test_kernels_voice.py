"""kernels.voice_quality, kernels.lpc, kernels.teager: analytic checks and scipy references."""

import numpy as np
import pytest

import kernels
from kernels.lpc import (
    autocorrelation_from_power,
    levinson_durbin,
    lpc_from_power,
    lpc_to_cepstrum,
    lpcc_from_lpc,
)
from kernels.pitch import yin, yin_margin
from kernels.teager import (
    CRITICAL_BAND_EDGES_HZ,
    teager_energy,
    teo_cb_auto_env,
    teo_cb_auto_env_hop,
    teo_cb_tables,
    teo_frame_stats,
)
from kernels.voice_quality import (
    cycle_peaks,
    hnr_db,
    jitter_shimmer,
    jitter_shimmer_from_peaks,
    voice_quality_frames,
    voiced_mean_std,
)

scipy_linalg = pytest.importorskip("scipy.linalg")
scipy_signal = pytest.importorskip("scipy.signal")

SR = 16000
FRAME = 1024
HOP = 160


def glottal_train(f0, seconds=1.0, jitter=0.0, shimmer=0.0, seed=0):
    """Glottal-like periodic wave whose cycles have their own period and amplitude.

    Each cycle is the same smooth band-limited shape (11 harmonics, decaying) stretched to its
    period: periods ``T (1 + jitter U)`` and amplitudes ``1 + shimmer U`` with U uniform in
    [-1, 1], so ``E|T_i+1 - T_i| / T = 2/3 jitter`` and likewise for shimmer. Peak 0.5.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    periods, amplitudes, total = [], [], 0.0
    while total < n + 2 * SR / f0:
        periods.append(SR / f0 * (1 + jitter * rng.uniform(-1, 1)))
        amplitudes.append(1 + shimmer * rng.uniform(-1, 1))
        total += periods[-1]
    edges = np.concatenate([[0.0], np.cumsum(periods)])
    cycle = np.searchsorted(edges, np.arange(n), side="right") - 1
    phase = (np.arange(n) - edges[cycle]) / np.asarray(periods)[cycle]
    shape = sum(0.8**h / h * np.sin(2 * np.pi * h * phase + 0.3 * h) for h in range(1, 12))
    y = np.asarray(amplitudes)[cycle] * shape
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def voice_measures(y, period=None):
    """(jitter, shimmer, hnr_db) per interior voiced frame: YIN at decimation 2, then the VQ kernels."""
    margin = yin_margin(2)
    signal = np.pad(y, FRAME // 2 + margin).astype(np.float32)
    f0, prob, yin_period, nacf = yin(signal, FRAME, HOP, float(SR), 60.0, 500.0, 0.1, 2, 0.0)
    voiced = prob >= 0.5
    voiced[:8] = voiced[-8:] = False  # frames reaching into the padding
    use = yin_period if period is None else np.full_like(yin_period, period)
    jitter, shimmer = jitter_shimmer(signal, FRAME, HOP, margin, use, voiced, 0.2)
    return jitter[voiced], shimmer[voiced], hnr_db(nacf[voiced])


# ------------------------------------------------------------------ jitter, shimmer, HNR

@pytest.mark.parametrize("f0", [100.0, 160.0])
def test_perfectly_periodic_integer_period_has_no_jitter_or_shimmer(f0):
    jitter, shimmer, hnr = voice_measures(glottal_train(f0), period=SR / f0)
    assert len(jitter) > 50
    # the same samples repeat exactly: only rounding is left
    assert jitter.max() < 1e-5 and shimmer.max() < 1e-5
    assert hnr.min() > 55.0  # 60 dB is the clip


@pytest.mark.parametrize("f0", [150.0, 237.3])
def test_periodic_fractional_period_bounds(f0):
    # Peaks are read off the samples by a parabola; with a fractional period each cycle is
    # sampled at another phase, which leaves < 0.2 % jitter and < 0.1 % shimmer here.
    jitter, shimmer, hnr = voice_measures(glottal_train(f0))
    assert np.mean(jitter) < 0.002 and np.mean(shimmer) < 0.001
    assert np.median(hnr) > 40.0


def test_jitter_grows_with_period_perturbation():
    levels = [0.0, 0.005, 0.01, 0.02, 0.04]
    means = [np.mean(voice_measures(glottal_train(150.0, jitter=j, seed=1))[0]) for j in levels]
    assert all(a < b for a, b in zip(means, means[1:])), means
    # uniform +-j perturbation: E|dT| / T = 2/3 j (the sampled peaks add a little, see above)
    for j, m in zip(levels[2:], means[2:]):
        assert 0.6 * (2 / 3) * j < m < 1.3 * (2 / 3) * j + 0.002, (j, m)


def test_shimmer_grows_with_amplitude_perturbation():
    levels = [0.0, 0.02, 0.05, 0.1]
    results = [voice_measures(glottal_train(150.0, shimmer=s, seed=2)) for s in levels]
    means = [np.mean(r[1]) for r in results]
    assert all(a < b for a, b in zip(means, means[1:])), means
    for s, m in zip(levels[1:], means[1:]):
        assert 0.8 * (2 / 3) * s < m < 1.2 * (2 / 3) * s + 0.001, (s, m)
    # amplitude changes alone do not move the periods much
    assert np.mean(results[-1][0]) < 0.003


def test_hnr_follows_the_signal_to_noise_ratio():
    # Boersma: r = P_harmonic / (P_harmonic + P_noise) -> HNR = SNR for noise independent of the
    # periodic part (measured within 0.5 dB from 0 to 20 dB).
    rng = np.random.default_rng(3)
    n = np.arange(SR)
    harmonic = sum(np.cos(2 * np.pi * k * 150.0 * n / SR + k) / k for k in range(1, 15))
    power = np.mean(harmonic**2)
    medians = []
    for snr in (0.0, 10.0, 20.0):
        noise = rng.standard_normal(SR) * np.sqrt(power / 10 ** (snr / 10))
        _, _, hnr = voice_measures((0.1 * (harmonic + noise)).astype(np.float32))
        medians.append(np.median(hnr))
        assert abs(medians[-1] - snr) < 1.0, (snr, medians[-1])
    assert medians[0] < medians[1] < medians[2]


def test_cycle_peaks_finds_the_pulses():
    # Gaussian bumps (sigma 3 samples) at known fractional positions, negative polarity.
    positions = 40.3 + 97.6 * np.arange(10)  # every search window inside the 1000 samples
    n = np.arange(1000)
    frame = -sum(np.exp(-0.5 * ((n - p) / 3.0) ** 2) for p in positions).astype(np.float32)
    found, amplitudes = cycle_peaks(frame, 97.6, 0.2)
    np.testing.assert_allclose(found, positions, atol=0.05)  # parabola on a Gaussian peak
    np.testing.assert_allclose(amplitudes, 1.0, atol=0.01)
    jitter, shimmer = jitter_shimmer_from_peaks(found, amplitudes)
    assert jitter < 1e-3 and shimmer < 1e-3
    assert cycle_peaks(frame, 1.5, 0.2)[0].shape == (0,)  # period below 2 samples


def test_jitter_shimmer_from_peaks_definitions():
    pos = np.array([0.0, 100.0, 210.0, 300.0, 400.0])  # periods 100, 110, 90, 100
    amp = np.array([1.0, 0.8, 1.0, 1.2, 1.0])
    jitter, shimmer = jitter_shimmer_from_peaks(pos, amp)
    assert np.isclose(jitter, np.mean([10, 20, 10]) / 100.0)
    assert np.isclose(shimmer, np.mean([0.2, 0.2, 0.2, 0.2]) / 1.0)
    assert jitter_shimmer_from_peaks(pos[:2], amp[:2])[0] == 0.0  # one period: no jitter
    assert jitter_shimmer_from_peaks(pos[:1], amp[:1]) == (0.0, 0.0)


def test_jitter_shimmer_unvoiced_frames_are_zero():
    y = glottal_train(150.0, jitter=0.03, seed=4)
    signal = np.pad(y, FRAME // 2).astype(np.float32)
    n_frames = 1 + len(y) // HOP
    period = np.full(n_frames, SR / 150.0, np.float32)
    voiced = np.zeros(n_frames, bool)
    voiced[40:60] = True
    jitter, shimmer = jitter_shimmer(signal, FRAME, HOP, 0, period, voiced, 0.2)
    assert jitter.dtype == np.float32 and jitter.shape == (n_frames,)
    assert not jitter[~voiced].any() and not shimmer[~voiced].any()
    assert (jitter[voiced] > 0).all() and (shimmer[voiced] >= 0).all()


def test_voice_quality_frames_is_jitter_shimmer_and_hnr_on_voiced_frames():
    rng = np.random.default_rng(8)
    y = glottal_train(140.0, jitter=0.02, shimmer=0.05, seed=5) + 0.01 * rng.standard_normal(SR).astype(np.float32)
    margin = yin_margin(4)
    signal = np.pad(y, FRAME // 2 + margin).astype(np.float32)
    f0, prob, period, nacf = yin(signal, FRAME, HOP, float(SR), 60.0, 500.0, 0.1, 4, 0.0)
    prob[::7] = 0.3  # some unvoiced frames
    voiced = (prob >= 0.5) & (f0 > 0)
    values = voice_quality_frames(signal, FRAME, HOP, margin, f0, prob, np.float32(0.5), period, nacf, 0.2, -30.0, 60.0)
    jitter, shimmer = jitter_shimmer(signal, FRAME, HOP, margin, period, voiced, 0.2)
    hnr = hnr_db(nacf, -30.0, 60.0)
    hnr[~voiced] = 0.0
    assert values.dtype == np.float32 and voiced.sum() > 50 and (~voiced).sum() > 10
    np.testing.assert_array_equal(values, np.stack([jitter, shimmer, hnr], axis=1))


def test_hnr_db_values_and_clipping():
    nacf = np.array([1.0, 0.9999999, 0.999, 0.9, 0.5, 0.0, -0.4], np.float32)
    expected = [60.0, 60.0, 10 * np.log10(0.999 / 0.001), 10 * np.log10(9), 0.0, -30.0, -30.0]
    np.testing.assert_allclose(hnr_db(nacf), expected, atol=2e-3)  # float32 r near 1
    np.testing.assert_allclose(hnr_db(np.array([0.99], np.float32), -10.0, 15.0), [15.0], atol=1e-5)


def test_voiced_mean_std():
    columns = np.array([[1, 5], [3, 5], [100, -1], [5, 5]], np.float32)
    voiced = np.array([True, True, False, True])
    np.testing.assert_allclose(voiced_mean_std(columns, voiced), [3, np.std([1, 3, 5]), 5, 0], rtol=1e-6)
    assert not voiced_mean_std(columns, np.zeros(4, bool)).any()


# ------------------------------------------------------------------ LPC / LPCC

def random_autocorrelation(rng, n_lags, length=400):
    x = rng.standard_normal(length) * np.hanning(length)
    x = scipy_signal.lfilter([1.0], [1.0, -0.9], x)  # coloured, so the solution is not trivial
    return np.array([np.dot(x[: length - k], x[k:]) for k in range(n_lags)])


@pytest.mark.parametrize("order", [1, 2, 5, 12])
def test_levinson_durbin_matches_solve_toeplitz(order):
    rng = np.random.default_rng(order)
    r = random_autocorrelation(rng, order + 1)
    a, error = levinson_durbin(r, order)
    # the normal equations R alpha = r[1:], predictor alpha = -a
    alpha = scipy_linalg.solve_toeplitz(r[:order], r[1 : order + 1])
    np.testing.assert_allclose(a, -alpha, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(error, r[0] + np.dot(a, r[1 : order + 1]), rtol=1e-9)


def test_lpc_recovers_an_ar2_process_from_frames():
    # A(z) = 1 - 1.6 z^-1 + 0.9 z^-2 (poles at radius 0.95): white noise through 1 / A(z), then the
    # family's path: Hann-windowed 400-sample frames -> power spectrum -> LPC of order 2. Single
    # frames are noisy estimates; the median over ~300 frames is within 0.03.
    rng = np.random.default_rng(0)
    x = scipy_signal.lfilter([1.0], [1.0, -1.6, 0.9], rng.standard_normal(50000)).astype(np.float32)
    frames = kernels.frame_signal(x, 400, 160)
    power = kernels.power_spectrum(frames, kernels.hann_window(400), 512)
    a = lpc_from_power(power, 512, 2, 0.0)
    assert a.shape == (len(frames), 2) and a.dtype == np.float64
    np.testing.assert_allclose(np.median(a, axis=0), [-1.6, 0.9], atol=0.03)


def test_autocorrelation_from_power_is_the_pre_emphasised_windowed_frame():
    rng = np.random.default_rng(5)
    frames = rng.standard_normal((4, 400)).astype(np.float32)
    window = kernels.hann_window(400)
    power = kernels.power_spectrum(frames, window, 512)
    for mu in (0.0, 0.97):
        r = autocorrelation_from_power(power, 512, 13, mu)
        y = frames.astype(np.float64) * window
        y = np.stack([scipy_signal.lfilter([1.0, -mu], [1.0], np.r_[row, 0.0]) for row in y])
        direct = np.stack([[np.dot(row[: len(row) - k], row[k:]) for k in range(13)] for row in y])
        # the power spectrum is float32: relative 1e-7 of r(0)
        np.testing.assert_allclose(r, direct, rtol=0, atol=1e-6 * direct[:, :1].max())


def test_lpcc_is_the_cepstrum_of_the_all_pole_model():
    # log(1 / A(e^jw)) = sum_n c_n e^{-jwn} for minimum-phase A: c_n = 2 x the real cepstrum of |1/A|.
    rng = np.random.default_rng(6)
    a, _ = levinson_durbin(random_autocorrelation(rng, 13), 12)
    c = lpc_to_cepstrum(a, 20)
    n_fft = 8192
    real_cepstrum = np.fft.irfft(-np.log(np.abs(np.fft.rfft(np.r_[1.0, a], n_fft))), n_fft)
    np.testing.assert_allclose(c, 2 * real_cepstrum[1:21], atol=1e-10)
    rows = lpcc_from_lpc(np.stack([a, np.zeros(12)]), 13)
    assert rows.dtype == np.float32
    np.testing.assert_allclose(rows[0], lpc_to_cepstrum(a, 13), rtol=1e-6, atol=1e-7)
    assert not rows[1].any()
    # many frames (SIMD across frames): the per-frame recursion's values, rounded to float32
    many = np.stack([levinson_durbin(random_autocorrelation(rng, 13), 12)[0] for _ in range(37)])
    expected = np.stack([lpc_to_cepstrum(row, 14) for row in many]).astype(np.float32)
    np.testing.assert_array_equal(lpcc_from_lpc(many, 14), expected)


def test_lpc_silence_and_singular_input():
    a, error = levinson_durbin(np.zeros(13), 12)
    assert not a.any() and error == 0.0
    # a pure sinusoid has a rank-2 autocorrelation: order 2 would predict it without error, so the
    # recursion stops after order 1 and the rest stays 0
    w = 0.3
    r = np.cos(w * np.arange(13))
    a, error = levinson_durbin(r, 12)
    assert np.isfinite(a).all() and not a[1:].any()
    np.testing.assert_allclose(a[0], -np.cos(w), rtol=1e-12)
    np.testing.assert_allclose(error, np.sin(w) ** 2, rtol=1e-12)
    power = np.zeros((3, 257), np.float32)
    assert not lpc_from_power(power, 512, 12, 0.97).any()


def test_lpc_from_power_t_and_with_basis_are_lpc_from_power():
    from kernels.lpc import lpc_basis, lpc_from_power_basis, lpc_from_power_t
    from kernels.stft import transpose_frames

    rng = np.random.default_rng(9)
    x = scipy_signal.lfilter([1.0], [1.0, -1.6, 0.9], rng.standard_normal(20000)).astype(np.float32)
    x[4000:6000] = 0.0  # silent frames
    x[8000:9000] = np.cos(0.3 * np.arange(1000))  # near-singular frames (the recursion stops early)
    power = kernels.power_spectrum(kernels.frame_signal(x, 400, 160), kernels.hann_window(400), 512)
    reference = lpc_from_power(power, 512, 12, 0.97)
    basis = lpc_basis(512, 12, 0.97)
    np.testing.assert_array_equal(lpc_from_power_basis(power, basis, 12), reference)
    batch = lpc_from_power_t(transpose_frames(power), basis, 12)
    assert batch.shape == reference.shape and batch.dtype == np.float64
    # the autocorrelation summed in another order: float64 rounding, which the near-singular frames
    # (a pure tone, frames 48-57) amplify
    tone = (np.arange(len(power)) * 160 + 400 > 8000) & (np.arange(len(power)) * 160 < 9000)
    np.testing.assert_allclose(batch[~tone], reference[~tone], rtol=0, atol=1e-9)
    assert np.isfinite(batch).all()
    np.testing.assert_allclose(batch[tone], reference[tone], rtol=0, atol=0.01)
    assert not batch[30:33].any()  # silence
    # all frames at once, each frame's result depends only on its spectrum
    np.testing.assert_array_equal(lpc_from_power_t(transpose_frames(power[7:]), basis, 12), batch[7:])


@pytest.mark.parametrize("n_fft", [424, 500, 1024])
def test_lpc_from_power_t_other_fft_sizes(n_fft):
    # folded sums for n_fft a multiple of 8 (424, 1024), the dense sum otherwise (500)
    from kernels.lpc import lpc_basis, lpc_from_power_t
    from kernels.stft import transpose_frames

    rng = np.random.default_rng(n_fft)
    x = scipy_signal.lfilter([1.0], [1.0, -1.6, 0.9], rng.standard_normal(8000)).astype(np.float32)
    power = kernels.power_spectrum(kernels.frame_signal(x, 400, 160), kernels.hann_window(400), n_fft)
    batch = lpc_from_power_t(transpose_frames(power), lpc_basis(n_fft, 12, 0.97), 12)
    np.testing.assert_allclose(batch, lpc_from_power(power, n_fft, 12, 0.97), rtol=0, atol=1e-9)


# ------------------------------------------------------------------ Teager energy

@pytest.mark.parametrize("amplitude,omega,phase", [(1.0, 0.3, 0.0), (0.25, 1.1, 0.7), (0.8, 2.9, -1.0)])
def test_teager_energy_of_a_cosine(amplitude, omega, phase):
    # psi[A cos(w n + phi)] = A^2 sin^2(w) at every interior sample (exact identity; float32 input
    # rounding leaves ~1e-7 A^2).
    x = (amplitude * np.cos(omega * np.arange(500) + phase)).astype(np.float32)
    psi = teager_energy(x)
    assert psi.shape == (498,) and psi.dtype == np.float32
    np.testing.assert_allclose(psi, amplitude**2 * np.sin(omega) ** 2, atol=1e-6 * amplitude**2)
    stats = teo_frame_stats(x[None, :400])
    expected = amplitude**2 * np.sin(omega) ** 2
    np.testing.assert_allclose(stats[0, 0], expected, rtol=1e-5)
    assert stats[0, 1] < 1e-3 * expected
    np.testing.assert_allclose(stats[0, 2], 10 * np.log10(expected), atol=1e-4)


def test_teager_frame_stats_definitions_and_silence():
    rng = np.random.default_rng(7)
    frames = rng.standard_normal((3, 50)).astype(np.float32)
    frames[2] = 0.0
    stats = teo_frame_stats(frames)
    for row, frame in zip(stats[:2], frames[:2]):
        psi = teager_energy(frame).astype(np.float64)
        np.testing.assert_allclose(row, [psi.mean(), psi.std(), 10 * np.log10(np.abs(psi).mean())], rtol=1e-5)
    np.testing.assert_array_equal(stats[2], [0.0, 0.0, -100.0])
    assert teager_energy(np.zeros(2, np.float32)).shape == (0,)
    np.testing.assert_array_equal(teo_frame_stats(np.zeros((1, 2), np.float32)), [[0.0, 0.0, -100.0]])


def teo_cb_literal(frame, tables, edges, sampling_rate=SR):
    """The definition step by step in the time domain: circular Gabor band-pass of the Hann-windowed
    frame, exact TEO of the real band signal, circular autocorrelation, mean over the first N/2 lags."""
    window, band_lo, band_size = tables[0], tables[1], tables[2]
    n = len(frame)
    spectrum = np.fft.fft(frame.astype(np.float64) * window)
    out = []
    for b in range(len(edges) - 1):
        centre = 0.5 * (edges[b] + edges[b + 1])
        sigma = (edges[b + 1] - edges[b]) / (2 * np.sqrt(np.log(2)))
        k = np.arange(band_lo[b], band_lo[b] + band_size[b])
        gain = np.zeros(n)
        gain[k] = np.exp(-0.5 * ((k * sampling_rate / n - centre) / sigma) ** 2)
        gain[n - k] = gain[k]
        y = np.fft.ifft(spectrum * gain).real
        psi = y**2 - np.roll(y, 1) * np.roll(y, -1)
        r = np.fft.ifft(np.abs(np.fft.fft(psi)) ** 2).real
        out.append(r[: n // 2].mean() / r[0] if r[0] > 0 else 0.0)
    return np.array(out)


@pytest.fixture(scope="module")
def cb_tables():
    return teo_cb_tables(256, float(SR), np.asarray(CRITICAL_BAND_EDGES_HZ), 128)


def test_teo_cb_tables(cb_tables):
    window, band_lo, band_size, weight_start, weights, lag_weights = cb_tables
    assert len(band_lo) == 16
    np.testing.assert_allclose(window, 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(256) / 256))
    centres = (band_lo + (band_size - 1) / 2) * SR / 256
    edges = np.asarray(CRITICAL_BAND_EDGES_HZ)
    np.testing.assert_allclose(centres, (edges[:-1] + edges[1:]) / 2, atol=SR / 256)
    assert weight_start[-1] + band_size[-1] * (band_size[-1] + 1) // 2 == len(weights)
    assert lag_weights[0] == 1.0  # mean of cos(0) over the lags


def test_teo_cb_matches_the_time_domain_definition(cb_tables):
    # The kernel keeps the slowly varying part of each band's TEO exactly and drops the part around
    # twice the band frequency (products of bins weighted by sin^2 of half their distance). Measured
    # on EMO-DB speech and noise: <= 0.027 apart in the lowest band (100-200 Hz, where twice the
    # band frequency falls inside the profile's own band), <= 0.001 in the others. (In a band that
    # only holds the window's leakage of a far-away tone both values are arbitrary.)
    rng = np.random.default_rng(8)
    y = glottal_train(130.0, seconds=0.6) + glottal_train(210.0, seconds=0.6, jitter=0.02, seed=3)
    y = y + 0.01 * rng.standard_normal(len(y))
    frames = [rng.standard_normal(256) for _ in range(3)] + [y[i : i + 256] for i in range(0, 9000, 700)]
    frames = np.stack(frames).astype(np.float32)
    fast = teo_cb_auto_env(frames, *cb_tables)
    assert fast.shape == (len(frames), 16) and fast.dtype == np.float32
    literal = np.stack([teo_cb_literal(f, cb_tables, np.asarray(CRITICAL_BAND_EDGES_HZ)) for f in frames])
    np.testing.assert_allclose(fast[:, 0], literal[:, 0], atol=0.03)
    np.testing.assert_allclose(fast[:, 1:], literal[:, 1:], atol=0.002)
    # a tone in its own band (2160 Hz, band 13) and an AM tone
    n = np.arange(256)
    tones = np.stack([np.cos(2 * np.pi * 2160.7 * n / SR),
                      (1 + np.cos(2 * np.pi * 90 * n / SR)) * np.cos(2 * np.pi * 2160.7 * n / SR)]).astype(np.float32)
    got = teo_cb_auto_env(tones, *cb_tables)[:, 12]
    want = [teo_cb_literal(t, cb_tables, np.asarray(CRITICAL_BAND_EDGES_HZ))[12] for t in tones]
    np.testing.assert_allclose(got, want, atol=0.002)


def teo_cb_float64(frames, tables):
    """The kernel's frequency-domain formula (module docstring, steps 1-4) in float64 numpy."""
    window, band_lo, band_size, weight_start, weights, lag_weights = tables
    spectra = np.fft.rfft(frames.astype(np.float64) * window, axis=1)
    out = np.zeros((len(frames), len(band_lo)))
    for b in range(len(band_lo)):
        lo, size, pos = band_lo[b], band_size[b], weight_start[b]
        num = np.zeros(len(frames))
        den = np.zeros(len(frames))
        for m in range(size):
            q = np.arange(size - m)
            w = weights[pos:pos + size - m]
            p = (w * spectra[:, lo + q + m] * np.conj(spectra[:, lo + q])).sum(axis=1)
            pos += size - m
            num += lag_weights[m] * np.abs(p) ** 2
            den += (1.0 if m == 0 else 2.0) * np.abs(p) ** 2
        out[:, b] = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return out


def test_teo_cb_band_sums_in_float32_are_within_float_rounding(cb_tables):
    # The band sums run in float32 (the FFT in float64): within a few float32 ulps of the same
    # formula in float64, also for quiet bands next to loud ones (speech with a -60 dB noise floor).
    rng = np.random.default_rng(11)
    y = glottal_train(120.0, seconds=0.5) + 1e-3 * rng.standard_normal(8000)
    frames = np.stack([y[i:i + 256] for i in range(0, 7700, 160)] + [rng.standard_normal(256)]).astype(np.float32)
    np.testing.assert_allclose(teo_cb_auto_env(frames, *cb_tables), teo_cb_float64(frames, cb_tables),
                               rtol=0, atol=1e-6)


def test_teo_cb_frame_value_does_not_depend_on_its_lane(cb_tables):
    # Frames are summed 32 at a time (SIMD lanes), four bin pairs per pass plus the remainder;
    # every lane goes through the same operations, so shifting the frames by a few lanes (and
    # leaving the last group part-filled) gives bit-identical values, which match the float64
    # formula to float32 rounding.
    rng = np.random.default_rng(13)
    y = glottal_train(140.0, seconds=0.5, jitter=0.01) + 1e-3 * rng.standard_normal(8000)
    frames = np.stack([y[i:i + 256] for i in range(0, 7700, 160)]).astype(np.float32)
    full = teo_cb_auto_env(frames, *cb_tables)
    for shift in (1, 5, 31):
        np.testing.assert_array_equal(teo_cb_auto_env(frames[shift:], *cb_tables), full[shift:])
    np.testing.assert_allclose(full, teo_cb_float64(frames, cb_tables), rtol=0, atol=5e-7)


def test_teo_cb_hop_reads_the_frames_of_a_signal(cb_tables):
    rng = np.random.default_rng(12)
    signal = rng.standard_normal(4000).astype(np.float32)
    frames = kernels.frame_signal(signal, 256, 160)
    n_frames = len(frames)
    np.testing.assert_array_equal(teo_cb_auto_env_hop(signal, 160, n_frames, *cb_tables),
                                  teo_cb_auto_env(frames, *cb_tables))
    strided = np.lib.stride_tricks.sliding_window_view(signal, 256)[::160]  # a non-contiguous view
    np.testing.assert_array_equal(teo_cb_auto_env(strided, *cb_tables), teo_cb_auto_env(frames, *cb_tables))
    with pytest.raises(ValueError):
        teo_cb_auto_env_hop(signal, 160, n_frames + 1, *cb_tables)


def test_teo_cb_steady_versus_modulated_and_silence(cb_tables):
    n = np.arange(256)
    band = 12  # 2000-2320 Hz
    steady = np.cos(2 * np.pi * 2160 * n / SR)
    modulated = (1 + 0.9 * np.cos(2 * np.pi * 125 * n / SR)) * steady
    values = teo_cb_auto_env(np.stack([steady, modulated, np.zeros(256)]).astype(np.float32), *cb_tables)
    # a steady tone: the Teager profile is the squared window's (area ~0.5); modulation lowers it
    assert 0.45 < values[0, band] < 0.7
    assert values[1, band] < values[0, band] - 0.1
    assert not values[2].any()  # silence: 0 by definition
