"""Speech segmentation: silence is never a segment, segments are bounded and overlap, blocks don't matter."""
from __future__ import annotations

import numpy as np
import pytest

from labelling.jobs import SegmenterConfig
from labelling.segmenter import segment_stream

SR = 16000


def voiced(seconds: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def background(seconds: float, rng, level: float = 1e-3) -> np.ndarray:
    return rng.normal(0, level, int(seconds * SR)).astype(np.float32)


def recording(rng):
    """1 s noise, 2 s speech, 1.5 s noise, 9 s speech, 2 s noise, a 0.1 s click, 1 s noise."""
    parts = [background(1, rng), voiced(2), background(1.5, rng), voiced(9), background(2, rng), voiced(0.1), background(1, rng)]
    return np.concatenate(parts)


def spans(segments):
    return [(round(s.start, 2), round(s.end, 2)) for s in segments]


def test_speech_regions_are_found_bounded_and_overlapping():
    x = recording(np.random.default_rng(0))
    segments = list(segment_stream([x]))
    assert spans(segments) == [(0.9, 3.3), (4.4, 8.4), (7.4, 11.4), (10.4, 13.8)]
    config = SegmenterConfig()
    for s in segments:
        assert s.end - s.start <= config.segment_seconds + 1e-9
        assert len(s.samples) == round((s.end - s.start) * SR)
        np.testing.assert_array_equal(s.samples, x[round(s.start * SR) : round(s.end * SR)])


@pytest.mark.parametrize("block", [1, 333, 16000, 10**7])
def test_block_size_does_not_change_segments(block):
    x = recording(np.random.default_rng(1))
    whole = list(segment_stream([x]))
    pieces = list(segment_stream([x[i : i + block] for i in range(0, len(x), block)] if block > 1 else np.array_split(x, 97)))
    assert spans(pieces) == spans(whole)
    for a, b in zip(pieces, whole):
        np.testing.assert_array_equal(a.samples, b.samples)


def test_silence_and_noise_give_no_segment():
    rng = np.random.default_rng(2)
    assert list(segment_stream([np.zeros(SR * 5, np.float32)])) == []
    assert list(segment_stream([background(5, rng)])) == []


def test_quiet_speaker_over_louder_background_change_is_followed():
    rng = np.random.default_rng(3)
    # Background steps up 20 dB after the first utterance. The detector may take the first second
    # of the louder background for speech (the floor rises 3 dB/s), but it finds both utterances
    # and, once adapted, never labels the louder background alone.
    x = np.concatenate([background(3, rng), voiced(2, 0.05), background(3, rng, 1e-2), voiced(2, 0.3), background(3, rng, 1e-2)])
    found = spans(segment_stream([x]))
    assert found[0][0] == 2.9 and 5.3 <= found[0][1] <= 6.5
    assert found[-1] == (7.9, 10.3)
    assert len(found) == 2


def test_compiled_scan_equals_the_python_reference():
    rng = np.random.default_rng(4)
    for trial in range(12):
        # speech-like bursts at random levels over a random background, cut into random blocks
        levels = np.repeat(10 ** rng.uniform(-4.5, -0.5, 60), SR // 4)
        x = (rng.normal(size=len(levels)) * levels).astype(np.float32)
        x[: 2 * SR] += voiced(2)
        config = SegmenterConfig(segment_seconds=float(rng.choice([0.5, 1.0, 4.0])), overlap_seconds=0.25,
                                 min_speech_seconds=float(rng.choice([0.0, 0.5])))
        size = int(rng.integers(100, 3 * SR))
        blocks = [x[i : i + size] for i in range(0, len(x), size)]
        compiled = list(segment_stream(blocks, config))
        reference = list(segment_stream(blocks, config, compiled=False))
        assert len(compiled) > 0
        assert spans(compiled) == spans(reference), trial
        for a, b in zip(compiled, reference):
            np.testing.assert_array_equal(a.samples, b.samples)
