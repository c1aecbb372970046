"""Centred framing over blocks (featuresets.stream) and what a FrameContext cuts from a segment."""

import numpy as np
import pytest

import kernels
from featuresets import FeatureExtractor, FeatureSetConfig, get_feature_set
from featuresets.context import FrameContext, SpectralSetup
from featuresets.stream import FrameCounter, iter_centered_frames, iter_centered_segments

HOP = 160


def _reference_frames(x, width):
    return kernels.frame_signal(np.pad(x, width // 2).astype(np.float32), width, HOP)


@pytest.mark.parametrize("length", [0, 1, 399, 400, 16000, 16093])
@pytest.mark.parametrize("split", [1, 3, 101])
def test_segments_give_the_frames_of_the_padded_signal(length, split):
    x = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    counter = FrameCounter()
    batches = list(iter_centered_segments(np.array_split(x, split), frame_length=1120, hop_length=HOP,
                                          counter=counter))
    assert counter.n_samples == length
    assert sum(n for _, n in batches) == 1 + length // HOP
    for segment, n in batches:
        assert segment.dtype == np.float32 and segment.flags.c_contiguous
        assert len(segment) == (n - 1) * HOP + 1120
    frames = np.concatenate([kernels.frame_signal(s, 1120, HOP) for s, _ in batches])
    np.testing.assert_array_equal(frames, _reference_frames(x, 1120))
    listed = list(iter_centered_frames(np.array_split(x, split), frame_length=1120, hop_length=HOP))
    np.testing.assert_array_equal(np.concatenate(listed), frames)


def test_one_block_is_one_batch():
    x = np.ones(48000, np.float32)
    assert len(list(iter_centered_segments([x], frame_length=400, hop_length=HOP))) == 1
    assert len(list(iter_centered_segments([], frame_length=400, hop_length=HOP))) == 1  # the empty signal


def test_frame_context_cuts_centred_frames_and_signal_views():
    x = np.random.default_rng(1).standard_normal(5000).astype(np.float32)
    config = FeatureSetConfig(name="t", families=("rms",))
    (segment, n), = iter_centered_segments([x], frame_length=1120, hop_length=HOP)
    ctx = FrameContext(segment, n, 1120, SpectralSetup(config))
    for width in (256, 384, 400, 1120):
        frames = ctx.frames(width)
        assert frames.shape == (n, width) and not frames.flags.writeable
        np.testing.assert_array_equal(frames, _reference_frames(x, width))
        signal = ctx.signal(width)
        assert np.shares_memory(signal, segment)
        np.testing.assert_array_equal(kernels.frame_signal(signal, width, HOP), frames)
    np.testing.assert_array_equal(ctx.power_t(), ctx.power_spectrum().T)


def test_timings_hook_is_off_by_default_and_charges_every_part():
    extractor = FeatureExtractor(get_feature_set("default"))
    assert extractor.timings is None
    x = np.random.default_rng(2).standard_normal(16000).astype(np.float32) * 0.1
    plain, _ = extractor.extract([x])
    extractor.timings = {}
    timed, _ = extractor.extract([x])
    np.testing.assert_array_equal(plain, timed)
    keys = set(extractor.timings)
    assert {"decode", "framing", "shared power_spectrum", "stage1 pitch", "stage2 msf", "assembly",
            "functionals"} <= keys
    assert all(v >= 0.0 for v in extractor.timings.values())
