"""rms and zero_crossing_rate vs librosa."""

import numpy as np
import pytest

import kernels
from tests.test_kernels_pipeline import HOP_LENGTH, WIN_LENGTH, centered_frames, signal  # noqa: F401

librosa = pytest.importorskip("librosa")


def test_rms_matches_librosa(signal):
    frames = centered_frames(signal)
    values = kernels.rms(frames)
    reference = librosa.feature.rms(
        y=signal, frame_length=WIN_LENGTH, hop_length=HOP_LENGTH, center=True, pad_mode="constant"
    )[0]
    assert values.shape == reference.shape == (frames.shape[0],)
    assert values.dtype == np.float32
    # librosa averages x**2 in float32, we in float64: relative 1e-6 (measured 1.2e-7).
    np.testing.assert_allclose(values, reference, rtol=1e-6, atol=1e-12)
    assert np.any(values == 0.0)  # the digital-silence frames


def test_rms_analytic():
    # RMS of a full-period sine of amplitude A is A / sqrt(2); of a constant c is |c|.
    n = np.arange(400)
    frames = np.stack([0.8 * np.sin(2 * np.pi * 5 * n / 400), np.full(400, -0.25)]).astype(np.float32)
    np.testing.assert_allclose(kernels.rms(frames), [0.8 / np.sqrt(2), 0.25], rtol=1e-6)
    assert kernels.rms(np.zeros((3, 0), np.float32)).tolist() == [0.0, 0.0, 0.0]


def test_zero_crossing_rate_matches_librosa_interior(signal):
    frames = centered_frames(signal)
    values = kernels.zero_crossing_rate(frames)
    reference = librosa.feature.zero_crossing_rate(
        signal, frame_length=WIN_LENGTH, hop_length=HOP_LENGTH, center=True
    )[0]
    assert values.shape == reference.shape and values.dtype == np.float32
    # librosa pads with mode='edge' when centering, our caller pads with zeros, so
    # only frames that do not reach into the padding are comparable: frame t covers
    # padded samples [t*hop, t*hop+400) and the padding is 200 samples each side.
    pad = WIN_LENGTH // 2
    t = np.arange(len(values))
    interior = (t * HOP_LENGTH >= pad) & (t * HOP_LENGTH + WIN_LENGTH <= pad + len(signal))
    assert interior.sum() >= len(values) - 6
    # Counts / 400 are exact in float64; ours are rounded to float32 (ulp < 6e-8).
    np.testing.assert_allclose(values[interior], reference[interior], rtol=0, atol=1e-7)
    assert values.max() > 0.05 and np.any(values == 0.0)


def test_zero_crossing_rate_threshold_and_zero_sign():
    thr = float(np.float32(1e-10))
    frames = np.array(
        [
            [1.0, -1.0, 1.0, -1.0],  # 3 crossings
            [1.0, 0.0, -1.0, -0.0],  # 0 counts positive: + + - + -> 2
            [1.0, -1e-11, 1.0, -thr],  # tiny negatives (|x| <= 1e-10) are zero -> 0
            [1.0, -2e-10, 1.0, 1.0],  # beyond the threshold -> 2
            [-1.0, -2.0, -3.0, -0.5],  # no crossing
            [-1e-11, 1.0, -1.0, 1.0],  # a tiny negative first sample is zero too -> 2
        ],
        dtype=np.float32,
    )
    values = kernels.zero_crossing_rate(frames)
    np.testing.assert_array_equal(values, np.array([3, 2, 0, 2, 0, 2], np.float32) / 4)
    # Same as librosa's own zero_crossings on these frames (threshold compared in float32).
    reference = librosa.zero_crossings(frames, pad=False, axis=-1).mean(axis=-1)
    np.testing.assert_array_equal(values, reference.astype(np.float32))
    assert kernels.zero_crossing_rate(np.zeros((2, 0), np.float32)).tolist() == [0.0, 0.0]


def test_frame_time_statistics_match_the_single_purpose_kernels(signal):
    from kernels.teager import teo_frame_stats
    from kernels.time_features import FRAME_STATISTIC_NAMES, frame_time_statistics, time_features

    padded = np.pad(signal, WIN_LENGTH // 2).astype(np.float32)
    stats = frame_time_statistics(padded, WIN_LENGTH, HOP_LENGTH, 16000.0, 1e-10, 1e-10)
    frames = centered_frames(signal)
    assert stats.shape == (frames.shape[0], len(FRAME_STATISTIC_NAMES)) and stats.dtype == np.float32
    reference = np.column_stack([
        kernels.rms(frames), kernels.zero_crossing_rate(frames), time_features(frames, 16000.0, 1e-10),
        teo_frame_stats(frames, 1e-10),
    ])
    # the same float64 sums in another order, rounded once to float32
    np.testing.assert_allclose(stats, reference, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(stats[:, 1], reference[:, 1])  # crossing counts: exact
    # a frame's values depend only on its samples
    np.testing.assert_array_equal(
        frame_time_statistics(padded[3 * HOP_LENGTH :], WIN_LENGTH, HOP_LENGTH, 16000.0, 1e-10, 1e-10), stats[3:]
    )
    # silence and too-short signals
    silent = frame_time_statistics(np.zeros(800, np.float32), WIN_LENGTH, HOP_LENGTH, 16000.0, 1e-10, 1e-10)
    np.testing.assert_allclose(silent[0], [0, 0, 199.5 / 16000, 0, np.log(1e-10), 0, 0, -100.0], rtol=1e-6)
    assert frame_time_statistics(np.zeros(399, np.float32), WIN_LENGTH, HOP_LENGTH, 16000.0, 1e-10, 1e-10).shape == (0, 8)


@pytest.mark.parametrize(
    "frame_length, hop_length",
    [(400, 160), (256, 64), (48, 16), (64, 48), (400, 159), (100, 300), (400, 400), (16, 8), (3, 1), (2, 1), (1, 1)],
)
def test_frame_time_statistics_pieces_match_per_frame_kernels(frame_length, hop_length):
    # Overlapping frames with gcd(frame_length, hop_length) >= 16 are summed from pieces of that many
    # samples (400/160: 80); the others frame by frame. Both against the single-purpose kernels on
    # the frames themselves, with digital silence, exact zeros and sub-threshold values in the signal.
    from kernels.teager import teo_frame_stats
    from kernels.time_features import frame_time_statistics, time_features

    rng = np.random.default_rng(frame_length * 1000 + hop_length)
    x = (0.3 * rng.standard_normal(6000)).astype(np.float32)
    x[1000:1700] = 0.0  # silence across several frames and pieces
    x[2000:2100:3] = -1e-11  # below the zero-crossing threshold
    x[3000:3400] = np.float32(0.25)  # constant stretch: psi 0 in its interior, variance 0
    stats = frame_time_statistics(x, frame_length, hop_length, 16000.0, 1e-10, 1e-10)
    frames = kernels.frame_signal(x, frame_length, hop_length)
    assert stats.shape == (frames.shape[0], 8)
    reference = np.column_stack([
        kernels.rms(frames), kernels.zero_crossing_rate(frames), time_features(frames, 16000.0, 1e-10),
        teo_frame_stats(frames, 1e-10),
    ])
    others = [0, 1, 2, 3, 4, 5, 7]
    np.testing.assert_allclose(stats[:, others], reference[:, others], rtol=1e-6, atol=1e-12)
    # teo_std from E[psi^2] - E[psi]^2: ~1e-8 where a single interior sample makes it 0
    np.testing.assert_allclose(stats[:, 6], reference[:, 6], rtol=1e-6, atol=1e-6 * np.abs(reference[:, 5]).max())
    np.testing.assert_array_equal(stats[:, 1], reference[:, 1])  # crossing counts: exact
    silent = (frames == 0).all(axis=1)
    if silent.any():  # the floors, exactly
        np.testing.assert_array_equal(stats[silent][:, [0, 1, 3, 5, 6]], 0.0)
        np.testing.assert_array_equal(stats[silent][:, 4], np.float32(np.log(1e-10)))
    # a frame's values depend only on its samples, not on where the signal starts
    shift = 3 * hop_length
    np.testing.assert_array_equal(
        frame_time_statistics(x[shift:], frame_length, hop_length, 16000.0, 1e-10, 1e-10), stats[3:]
    )
