"""frame_signal and hann_window (references: numpy striding, scipy windows)."""

import numpy as np
import pytest
import scipy.signal

import kernels


def _reference_frames(x, frame_length, hop_length):
    if len(x) < frame_length:
        return np.zeros((0, frame_length), dtype=np.float32)
    return np.lib.stride_tricks.sliding_window_view(x, frame_length)[::hop_length]


@pytest.mark.parametrize(
    "n_samples, expected_frames",
    [
        (0, 0),
        (399, 0),  # shorter than one frame
        (400, 1),  # exactly one frame
        (400 + 5 * 160, 6),  # exact multiple of the hop after the first frame
        (400 + 5 * 160 - 1, 5),  # one sample short of the 6th frame
        (400 + 5 * 160 + 159, 6),  # tail shorter than a hop is dropped
        (20803, 1 + (20803 - 400) // 160),  # odd length
    ],
)
def test_frame_signal_counts_and_content(n_samples, expected_frames):
    x = np.random.default_rng(n_samples).standard_normal(n_samples).astype(np.float32)
    frames = kernels.frame_signal(x, 400, 160)
    assert frames.shape == (expected_frames, 400)
    assert frames.dtype == np.float32
    assert frames.flags.c_contiguous
    # Exact copy of the samples: no padding, no windowing.
    np.testing.assert_array_equal(frames, _reference_frames(x, 400, 160))
    if expected_frames:
        last = expected_frames - 1
        np.testing.assert_array_equal(frames[last], x[last * 160 : last * 160 + 400])


def test_frame_signal_returns_a_copy():
    x = np.arange(1000, dtype=np.float32)
    frames = kernels.frame_signal(x, 100, 50)
    frames[0, 0] = -1.0
    assert x[0] == 0.0


def test_frame_signal_hop_larger_than_frame():
    x = np.arange(1000, dtype=np.float32)
    frames = kernels.frame_signal(x, 10, 300)
    assert frames.shape == (4, 10)
    np.testing.assert_array_equal(frames[:, 0], [0, 300, 600, 900])


@pytest.mark.parametrize("frame_length, hop_length", [(0, 160), (400, 0), (-1, 160)])
def test_frame_signal_rejects_bad_sizes(frame_length, hop_length):
    with pytest.raises(ValueError):
        kernels.frame_signal(np.zeros(1000, np.float32), frame_length, hop_length)


@pytest.mark.parametrize("window_length", [1, 2, 3, 255, 400, 401, 512])
def test_hann_window_matches_scipy_periodic(window_length):
    window = kernels.hann_window(window_length)
    reference = scipy.signal.get_window("hann", window_length, fftbins=True)
    assert window.shape == (window_length,)
    assert window.dtype == np.float32
    # float32 result of a float64 formula: within one float32 ulp of 1.0 (6e-8).
    np.testing.assert_allclose(window, reference, rtol=0, atol=1.2e-7)


def test_hann_window_is_periodic_not_symmetric():
    window = kernels.hann_window(8)
    assert window[0] == 0.0
    assert window[4] == pytest.approx(1.0)
    # A symmetric window would end in 0; the periodic one does not.
    assert window[-1] == pytest.approx(0.5 - 0.5 * np.cos(2 * np.pi * 7 / 8))
    assert kernels.hann_window(0).shape == (0,)
