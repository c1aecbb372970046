"""Wavelet kernels: per-frame DWT against PyWavelets, sub-band features, Morlet CWT energies."""
from __future__ import annotations

import numpy as np
import pytest

from kernels import frame_signal, hann_window, power_spectrum
from kernels.wavelets import (
    DB4_DEC_HI,
    DB4_DEC_LO,
    dwt_periodization,
    dwt_subband_features,
    dwt_subband_features_hop,
    morlet_filterbank,
    morlet_scales,
    quadrature_mirror,
)

FS = 16000.0


def _frames(n_frames=6, length=512, seed=0):
    rng = np.random.default_rng(seed)
    return (0.5 * rng.standard_normal((n_frames, length))).astype(np.float32)


def _reference_features(frame, window, level, wavelet="db4"):
    """Energies (dB) and normalised entropies from PyWavelets' coefficients, in float64 numpy."""
    pywt = pytest.importorskip("pywt")
    coeffs = pywt.wavedec(frame.astype(np.float64) * window, wavelet, mode="periodization", level=level)
    energies, entropies = [], []
    for c in coeffs:
        e = c**2
        total = e.sum()
        energies.append(10 * np.log10(max(total, 1e-10)))
        if total <= 1e-10:
            entropies.append(0.0)
            continue
        p = e[e > 0] / total
        entropies.append(-(p * np.log(p)).sum() / np.log(len(c)))
    return np.array(energies + entropies)


def test_db4_filters_are_pywavelets():
    pywt = pytest.importorskip("pywt")
    w = pywt.Wavelet("db4")
    np.testing.assert_allclose(DB4_DEC_LO, w.dec_lo, rtol=0, atol=1e-15)
    np.testing.assert_allclose(DB4_DEC_HI, w.dec_hi, rtol=0, atol=1e-15)
    db2 = pywt.Wavelet("db2")
    np.testing.assert_allclose(quadrature_mirror(np.array(db2.dec_lo)), db2.dec_hi, atol=1e-15)


@pytest.mark.parametrize("level", [1, 3, 5, 6])
@pytest.mark.parametrize("windowed", [True, False])
def test_dwt_matches_pywavelets_wavedec(level, windowed):
    # Tolerance 1e-5 absolute on coefficients of order 1: both sides compute in float64 from
    # the same float32 input; ours is rounded once to float32 (~1e-7 relative) at the end.
    pywt = pytest.importorskip("pywt")
    frames = _frames()
    window = hann_window(512) if windowed else np.ones(512, np.float32)
    ours = dwt_periodization(frames, window, level, DB4_DEC_LO, DB4_DEC_HI)
    for t in range(len(frames)):
        x = frames[t].astype(np.float64) * window
        ref = np.concatenate(pywt.wavedec(x, "db4", mode="periodization", level=level))
        np.testing.assert_allclose(ours[t], ref, rtol=0, atol=1e-5)


def test_dwt_short_frames_deep_levels_match_pywavelets():
    # Levels whose input is shorter than the filter (n < 8 here) take the general path, with
    # several periodic wraps; PyWavelets warns that the level is high but still defines it.
    pywt = pytest.importorskip("pywt")
    frames = _frames(3, 64)
    ours = dwt_periodization(frames, np.ones(64, np.float32), 5, DB4_DEC_LO, DB4_DEC_HI)
    for t in range(len(frames)):
        with pytest.warns(UserWarning):
            ref = np.concatenate(pywt.wavedec(frames[t].astype(np.float64), "db4", mode="periodization", level=5))
        np.testing.assert_allclose(ours[t], ref, rtol=0, atol=1e-5)


def test_dwt_general_filter_length_matches_pywavelets():
    # The 8-tap fast path is db4's; other lengths go through the general loop.
    pywt = pytest.importorskip("pywt")
    frames = _frames(3, 256)
    for name in ("db2", "db6"):
        w = pywt.Wavelet(name)
        ours = dwt_periodization(frames, np.ones(256, np.float32), 4, np.array(w.dec_lo), np.array(w.dec_hi))
        for t in range(len(frames)):
            ref = np.concatenate(pywt.wavedec(frames[t].astype(np.float64), name, mode="periodization", level=4))
            np.testing.assert_allclose(ours[t], ref, rtol=0, atol=1e-5)


def test_dwt_subband_features_match_numpy_on_pywavelets_coefficients():
    # Energies to 1e-4 dB and entropies to 1e-6: the only approximations are the float32
    # transform (white frames: every sub-band within ~15 dB of the frame's energy, so its
    # rounding is ~1e-7 relative), the float32 output and the vectorised logarithm
    # (|error| < 4e-8, divided by ln n >= ln 16).
    frames = _frames(8)
    frames[3] *= 1e-3  # a quiet frame
    frames[4, :] = 0.0
    frames[4, 100] = 1.0  # an impulse
    window = hann_window(512)
    ours = dwt_subband_features(frames, window, 5, DB4_DEC_LO, DB4_DEC_HI)
    assert ours.shape == (8, 12) and ours.dtype == np.float32
    for t in range(len(frames)):
        ref = _reference_features(frames[t], window, 5)
        np.testing.assert_allclose(ours[t, :6], ref[:6], rtol=0, atol=1e-4)
        np.testing.assert_allclose(ours[t, 6:], ref[6:], rtol=0, atol=1e-6)


def test_dwt_subband_features_float32_transform_on_coloured_frames():
    """The feature path transforms in float32; against float64 (PyWavelets) its error in a
    sub-band grows with the band's distance below the frame's total energy (the rounding is
    ~1e-7 of the frame's RMS). Speech-like frames: harmonics of 150 Hz falling 12 dB per octave,
    the weakest sub-band ~45 dB below the total (errors here ~2e-5 dB). Tolerances: 2e-3 dB and
    1e-4 in entropy (on 50 EMO-DB files the largest differences were 1.3e-3 dB and 6.5e-5, in
    sub-bands 60-80 dB below the total; 2e-4 dB and 1.3e-5 at 40-60 dB; 3e-5 dB and 3e-6 within
    40 dB)."""
    n = np.arange(3000)
    x = sum(np.cos(2 * np.pi * 150 * k * n / FS + k) / k**2 for k in range(1, 53))
    x = (0.3 * x / np.abs(x).max() + 1e-5 * np.random.default_rng(7).standard_normal(n.size)).astype(np.float32)
    frames = np.ascontiguousarray(frame_signal(x, 384, 160))
    window = hann_window(384)
    ours = dwt_subband_features(frames, window, 5, DB4_DEC_LO, DB4_DEC_HI)
    ref = np.array([_reference_features(f, window, 5) for f in frames])
    spread = ref[:, :6].max(axis=1) - ref[:, :6].min(axis=1)
    assert spread.min() > 40.0  # weak sub-bands present
    np.testing.assert_allclose(ours[:, :6], ref[:, :6], rtol=0, atol=2e-3)
    np.testing.assert_allclose(ours[:, 6:], ref[:, 6:], rtol=0, atol=1e-4)


def test_dwt_subband_sums_in_float32_match_float64():
    # _subband_sums: energies and sum e ln e (e = c**2) in float32 with the polynomial logarithm,
    # against float64 numpy, over coefficients spanning 1e-30..1 (tiny ones underflow to 0 or
    # subnormal float32 squares), zeros, and sub-band sizes that are not a multiple of the SIMD
    # width.
    from kernels.wavelets import _subband_sums

    rng = np.random.default_rng(21)
    for n in (1, 7, 12, 24, 100, 192):
        coef = (rng.standard_normal(n) * 10.0 ** rng.uniform(-30, 0, n)).astype(np.float32)
        coef[::5] = 0.0
        e = coef.astype(np.float64) ** 2
        total = e.sum()
        positive = e[e > 0]
        energy, acc = _subband_sums(coef, n, 1e-300)
        np.testing.assert_allclose(energy, total, rtol=1e-6)
        np.testing.assert_allclose(acc, (positive * np.log(positive)).sum(), rtol=1e-6, atol=total * 1e-6)
        # the entropy term -sum p ln p = ln S - acc / S, to ~1e-6 absolute
        if total > 0:
            reference = np.log(total) - (positive * np.log(positive)).sum() / total
            assert abs((np.log(energy) - acc / energy) - reference) < 2e-6
    # at or below the floor the second sum is 0
    energy, acc = _subband_sums(np.full(4, 1e-6, np.float32), 4, 1e-10)
    assert energy == pytest.approx(4e-12, rel=1e-6) and acc == 0.0


def test_dwt_subband_features_silence_noise_and_impulse():
    window = hann_window(512)
    silence = np.zeros((2, 512), np.float32)
    out = dwt_subband_features(silence, window, 5, DB4_DEC_LO, DB4_DEC_HI)
    np.testing.assert_array_equal(out[:, :6], -100.0)  # the energy floor
    np.testing.assert_array_equal(out[:, 6:], 0.0)  # entropy defined as 0 at the floor
    # White Gaussian noise (no window): an orthogonal DWT gives i.i.d. Gaussian coefficients, so
    # with x = c**2 / var ~ chi2(1) the entropy is about ln n - E[x ln x] = ln n - (psi(3/2) +
    # ln 2) = ln n - 0.7296 nats, i.e. 1 - 0.7296 / ln n normalised (finite-n bias at n = 16).
    noise = dwt_subband_features(_frames(40, seed=3), np.ones(512, np.float32), 5, DB4_DEC_LO, DB4_DEC_HI)
    n_coef = np.array([16, 16, 32, 64, 128, 256])
    expected = 1 - 0.7296 / np.log(n_coef)
    deviation = np.abs(noise[:, 6:].mean(axis=0) - expected)
    assert np.all(deviation < np.where(n_coef <= 32, 0.05, 0.015)), (noise[:, 6:].mean(axis=0), expected)
    # An impulse concentrates D1's energy in a few coefficients.
    impulse = np.zeros((1, 512), np.float32)
    impulse[0, 256] = 1.0
    imp = dwt_subband_features(impulse, window, 5, DB4_DEC_LO, DB4_DEC_HI)
    assert imp[0, 11] < 0.3  # D1 entropy
    # White noise: D1 (4-8 kHz) holds half the energy, each coarser band half the previous.
    mean_db = noise[:, :6].mean(axis=0)
    np.testing.assert_allclose(np.diff(mean_db[1:]), 10 * np.log10(2), atol=0.6)


def test_dwt_subband_features_hop_reads_the_frames_of_a_signal():
    # Overlapping frames read in place (as the dwt family does) = the same frames as rows.
    signal = _frames(1, 3000, seed=5)[0]
    window = hann_window(384)
    hop = 160
    n_frames = 1 + (len(signal) - 384) // hop
    frames = frame_signal(signal, 384, hop)
    assert frames.shape[0] == n_frames
    np.testing.assert_array_equal(
        dwt_subband_features_hop(signal, hop, n_frames, window, 5, DB4_DEC_LO, DB4_DEC_HI, 1e-10),
        dwt_subband_features(np.ascontiguousarray(frames), window, 5, DB4_DEC_LO, DB4_DEC_HI, 1e-10),
    )
    assert dwt_subband_features_hop(signal, hop, 0, window, 5, DB4_DEC_LO, DB4_DEC_HI, 1e-10).shape == (0, 12)
    with pytest.raises(ValueError):
        dwt_subband_features_hop(signal, hop, n_frames + 1, window, 5, DB4_DEC_LO, DB4_DEC_HI, 1e-10)


def test_dwt_rejects_bad_shapes():
    with pytest.raises(ValueError):
        dwt_periodization(_frames(1, 500), np.ones(500, np.float32), 5, DB4_DEC_LO, DB4_DEC_HI)
    with pytest.raises(ValueError):
        dwt_subband_features(_frames(1, 512), np.ones(400, np.float32), 5, DB4_DEC_LO, DB4_DEC_HI)


# ------------------------------------------------------------------------------------------- CWT

FREQS = np.geomspace(100.0, 4000.0, 12)


def test_morlet_filterbank_rows_integrate_to_wavelet_energy():
    # Sum_k of a row = (1/N) sum over all N bins of s |Psi(s w_k)|^2 ~ (1/2pi) int |Psi(u)|^2 du
    # = ||psi||^2 = sqrt(pi)/2 (1 + exp(-25)): white noise has the same expected energy at every
    # scale. The Riemann sum is exact to 1e-6 once the wavelet spans a few bins (>= 190 Hz) and
    # within 2 % for the 100 Hz scale (0.6 bins wide at n_fft = 512); the sparsity cut-off drops
    # 1.7e-5 of the weight (erfc(3.03)).
    norm = np.sqrt(np.pi) / 2 * (1 + np.exp(-25))
    rows = morlet_filterbank(morlet_scales(FREQS, FS), 512).astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(rows[2:], norm, rtol=5e-5)
    dense = morlet_filterbank(morlet_scales(FREQS, FS), 512, 0.0).astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(dense[2:], norm, rtol=1e-6)
    np.testing.assert_allclose(rows[:2], norm, rtol=0.02)


@pytest.mark.parametrize("index", range(12))
def test_cwt_of_a_tone_peaks_at_its_scale(index):
    window = hann_window(400)
    n = np.arange(4000)
    tone = (0.5 * np.cos(2 * np.pi * FREQS[index] * n / FS)).astype(np.float32)
    power = power_spectrum(frame_signal(tone, 400, 160), window, 512)
    energies = power.astype(np.float64) @ morlet_filterbank(morlet_scales(FREQS, FS), 512).T.astype(np.float64)
    assert np.all(np.argmax(energies, axis=1) == index)


@pytest.mark.parametrize("index", [0, 2, 4, 6, 8, 10, 11])
def test_cwt_energy_matches_pywavelets_cwt(index):
    """Energy over all translations at the tone's scale, against ``pywt.cwt(..., 'morl')``.

    The definitions align once one difference is accounted for: PyWavelets differentiates the
    convolution with the *integrated* wavelet, i.e. it treats the samples as a piecewise-constant
    signal, which multiplies the wavelet's spectrum by ``sinc(f / fs)`` (energy by
    ``sinc**2``: -0.1 % at 100 Hz, -19 % at 4 kHz). With that factor the long-FFT version of our
    formula matches to 0.5 %; the pipeline's 512-point spectrum of the 400-sample frame is
    exact (1e-4) from 190 Hz up and within 5 % at 100 Hz (the wavelet's autocorrelation, ~20 ms
    long there, wraps around the 32 ms FFT).
    """
    pywt = pytest.importorskip("pywt")
    window = hann_window(400)
    scales = morlet_scales(FREQS, FS)
    f = FREQS[index]
    frame = np.cos(2 * np.pi * f * np.arange(400) / FS).astype(np.float32)
    long = 8192
    padded = np.zeros(long)
    padded[long // 2 - 200 : long // 2 + 200] = frame.astype(np.float64) * window
    coefs, _ = pywt.cwt(padded, scales, "morl", method="fft")
    reference = (coefs[index] ** 2).sum()
    ours_long = (np.abs(np.fft.rfft(padded)) ** 2) @ morlet_filterbank(scales, long)[index].astype(np.float64)
    np.testing.assert_allclose(ours_long * np.sinc(f / FS) ** 2, reference, rtol=5e-3)
    power_512 = power_spectrum(frame[None], window, 512)[0].astype(np.float64)
    ours_512 = power_512 @ morlet_filterbank(scales, 512)[index].astype(np.float64)
    np.testing.assert_allclose(ours_512, ours_long, rtol=0.05 if f < 150 else 1e-4)


def test_morlet_scales():
    s = morlet_scales(np.array([1000.0]), FS)
    np.testing.assert_allclose(s, 5 * FS / (2 * np.pi * 1000.0))
    with pytest.raises(ValueError):
        morlet_scales(np.array([0.0]), FS)
