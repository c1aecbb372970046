"""power_spectrum vs librosa.stft, numpy.fft and its former formulation; framed_power_spectrum vs
power_spectrum."""

import numba
import numpy as np
import pytest

import kernels
from kernels.stft import framed_power_spectrum
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


@numba.njit(cache=True)
def _former_power_spectrum(frames, window, n_fft):
    # The kernel before it wrote pocketfft's halfcomplex spectra into a reused buffer:
    # np.fft.rfft (rocket-fft) of the float64 windowed frames, |c|**2 per complex bin.
    buf = np.zeros((frames.shape[0], n_fft))
    for j in range(frames.shape[0]):
        for i in range(frames.shape[1]):
            buf[j, i] = frames[j, i] * np.float64(window[i])
    spec = np.fft.rfft(buf)
    power = np.empty(spec.shape, dtype=np.float32)
    for j in range(spec.shape[0]):
        for k in range(spec.shape[1]):
            c = spec[j, k]
            power[j, k] = c.real * c.real + c.imag * c.imag
    return power


@pytest.mark.parametrize(
    "n_samples, frame_length, hop_length, n_fft",
    [
        (16000, 400, 160, 512),  # the default configuration; 98 frames = 3 blocks + 2
        (5000, 300, 160, 301),  # odd n_fft: no Nyquist bin
        (3000, 256, 100, 256),  # no zero-padding
        (2000, 120, 200, 128),  # hop > frame: gaps between frames
        (400, 400, 160, 512),  # exactly one frame
    ],
)
def test_framed_power_spectrum_is_power_spectrum_of_frames(n_samples, frame_length, hop_length, n_fft):
    rng = np.random.default_rng(n_samples)
    x = (rng.standard_normal(n_samples) * np.exp(rng.uniform(-12, 0, n_samples))).astype(np.float32)
    x[: n_samples // 4] = 0.0  # digital silence: all-zero frames
    window = kernels.hann_window(frame_length)
    frames = kernels.frame_signal(x, frame_length, hop_length)
    power = kernels.power_spectrum(frames, window, n_fft)
    # bit-identical: the same float64 products and FFT, whether the frames are a copy, a strided
    # view or cut by the kernel itself
    np.testing.assert_array_equal(power, _former_power_spectrum(frames, window, n_fft))
    view = np.lib.stride_tricks.sliding_window_view(x, frame_length)[::hop_length]
    np.testing.assert_array_equal(kernels.power_spectrum(view, window, n_fft), power)
    framed = framed_power_spectrum(x, frame_length, hop_length, window, n_fft)
    assert framed.dtype == np.float32 and framed.shape == (frames.shape[0], n_fft // 2 + 1)
    np.testing.assert_array_equal(framed, power)
    # and a contiguous slice of a longer signal (what FrameContext.power_spectrum passes)
    padded = np.concatenate([np.ones(7, np.float32), x, np.ones(5, np.float32)])
    np.testing.assert_array_equal(framed_power_spectrum(padded[7:-5], frame_length, hop_length, window, n_fft), power)


def test_framed_power_spectrum_edge_cases():
    window = kernels.hann_window(400)
    for n_samples in (0, 1, 399):
        empty = framed_power_spectrum(np.ones(n_samples, np.float32), 400, 160, window, 512)
        assert empty.shape == (0, 257) and empty.dtype == np.float32
    with pytest.raises(ValueError):
        framed_power_spectrum(np.ones(1000, np.float32), 400, 0, window, 512)
    with pytest.raises(ValueError):
        framed_power_spectrum(np.ones(1000, np.float32), 400, 160, window, 256)
    with pytest.raises(ValueError):
        framed_power_spectrum(np.ones(1000, np.float32), 300, 160, window, 512)


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
