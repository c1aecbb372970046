"""power_spectrum vs librosa.stft and numpy.fft."""

import numpy as np
import pytest

import kernels
from tests.test_kernels_pipeline import HOP_LENGTH, N_FFT, WIN_LENGTH, centered_frames, signal  # noqa: F401

librosa = pytest.importorskip("librosa")


def test_power_spectrum_matches_librosa(signal):
    frames = centered_frames(signal)
    assert frames.shape[0] == 1 + len(signal) // HOP_LENGTH
    power = kernels.power_spectrum(frames, kernels.hann_window(WIN_LENGTH), N_FFT)
    reference = (
        np.abs(
            librosa.stft(
                signal, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH,
                window="hann", center=True, pad_mode="constant",
            )
        )
        ** 2
    ).T.astype(np.float64)
    assert power.shape == reference.shape == (frames.shape[0], N_FFT // 2 + 1)
    assert power.dtype == np.float32
    # Tolerance: both FFTs run in float64, but our window is float32 (librosa's is
    # float64) and librosa rounds the spectrum to complex64. The window rounding
    # (~6e-8 relative) leaks ~1e-7 of a frame's peak power into every bin, so the
    # bound is relative (1e-5) plus 1e-6 of the frame's peak bin power; measured
    # worst case: 5e-5 relative in bins > 80 dB below the peak, 3e-7 of the peak.
    frame_peak = reference.max(axis=1, keepdims=True)
    excess = np.abs(power - reference) - (1e-5 * reference + 1e-6 * frame_peak)
    assert np.max(excess) <= 0.0
    # In dB, bins within 60 dB of the frame peak agree to 1e-3 dB.
    strong = reference > 1e-6 * frame_peak
    db_error = np.abs(10 * np.log10(power[strong]) - 10 * np.log10(reference[strong]))
    assert db_error.max() < 1e-3
    # The 60 ms digital silence gives all-zero frames, exactly.
    assert np.any(np.all(power == 0.0, axis=1))


def test_power_spectrum_full_length_frames_vs_numpy():
    # frame_length == n_fft (no zero-padding), arbitrary window, float64 reference.
    rng = np.random.default_rng(3)
    frames = rng.standard_normal((300, 256)).astype(np.float32)  # > one internal block
    window = rng.uniform(0.1, 1.0, 256).astype(np.float32)
    power = kernels.power_spectrum(frames, window, 256)
    spectrum = np.fft.rfft(frames.astype(np.float64) * window.astype(np.float64), axis=1)
    reference = spectrum.real**2 + spectrum.imag**2
    # Only the final float32 rounding differs (relative 6e-8); white noise has no
    # deep bins, so a relative bound with a tiny absolute floor suffices.
    np.testing.assert_allclose(power, reference, rtol=2e-6, atol=1e-6 * reference.max())


def test_power_spectrum_odd_n_fft_and_padding():
    rng = np.random.default_rng(4)
    frames = rng.standard_normal((5, 100)).astype(np.float32)
    window = kernels.hann_window(100)
    power = kernels.power_spectrum(frames, window, 301)
    spectrum = np.fft.rfft(frames.astype(np.float64) * window.astype(np.float64), n=301, axis=1)
    assert power.shape == (5, 151)
    np.testing.assert_allclose(power, np.abs(spectrum) ** 2, rtol=2e-6, atol=1e-6 * power.max())


def test_power_spectrum_edge_cases():
    window = kernels.hann_window(400)
    empty = kernels.power_spectrum(np.zeros((0, 400), np.float32), window, 512)
    assert empty.shape == (0, 257) and empty.dtype == np.float32
    with pytest.raises(ValueError):
        kernels.power_spectrum(np.zeros((2, 600), np.float32), kernels.hann_window(600), 512)
    with pytest.raises(ValueError):
        kernels.power_spectrum(np.zeros((2, 400), np.float32), kernels.hann_window(300), 512)


def test_transpose_frames_and_weighted_sums_t():
    from kernels.stft import support, transpose_frames, weighted_sums_t

    rng = np.random.default_rng(4)
    values = rng.uniform(0, 2, (37, 21)).astype(np.float32)
    values_t = transpose_frames(values)
    np.testing.assert_array_equal(values_t, values.T)
    weights = rng.standard_normal((5, 21))
    weights[0, :] = 0.0
    weights[1, :3] = weights[1, 9:] = 0.0  # support 3..8 (6 bins: one pass of 4, then 2)
    first, stop = support(weights)
    np.testing.assert_array_equal(first, [0, 3, 0, 0, 0])
    np.testing.assert_array_equal(stop, [0, 9, 21, 21, 21])
    out = weighted_sums_t(values_t, weights, first, stop, np.empty((5, 37)))
    # exactly the per-frame loop: for k: acc += w * x (float64, no fused multiply-add)
    for m in range(5):
        for t in range(37):
            acc = 0.0
            for k in range(first[m], stop[m]):
                acc += weights[m, k] * float(values[t, k])
            assert out[m, t] == acc
