"""Speech/non-speech detection and bounded, overlapping segments, over a stream of audio blocks.

Energy-based voice activity detection on 20 ms frames: a frame is speech when its level is above
both an absolute floor (dBFS) and a tracked noise floor plus a margin. The noise floor falls at
once to a quieter frame and rises slowly (dB per second), so it follows the background of a long
recording. Speech regions get a pre-roll and a hang-over, short gaps are bridged, short regions
dropped; each region is cut into windows of at most ``segment_seconds`` overlapping by
``overlap_seconds``. Silence never becomes a segment.

Memory is bounded by the longest open region's audio (at most ``segment_seconds`` plus the
pre-roll are kept), whatever the recording's length.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

import kernels


@dataclass(frozen=True)
class SegmenterConfig:
    """Parameters of the detector and the segmentation (seconds, dB)."""

    sampling_rate: int = 16000
    frame_seconds: float = 0.02
    absolute_floor_dbfs: float = -50.0
    margin_db: float = 12.0
    noise_rise_db_per_second: float = 3.0
    pre_roll_seconds: float = 0.1
    hangover_seconds: float = 0.3
    min_speech_seconds: float = 0.5
    segment_seconds: float = 4.0
    overlap_seconds: float = 1.0


@dataclass(frozen=True)
class Segment:
    """A stretch of speech: ``samples`` (float32, at the segmenter's rate) from ``start`` to ``end`` seconds."""

    start: float
    end: float
    samples: np.ndarray


class StreamingSegmenter:
    """Feed blocks in order with ``feed``; call ``finish`` at the end. Both yield finished segments."""

    def __init__(self, config: SegmenterConfig = SegmenterConfig()):
        c = config
        self.config = c
        self._frame = max(1, int(round(c.frame_seconds * c.sampling_rate)))
        self._rise_per_frame = c.noise_rise_db_per_second * self._frame / c.sampling_rate
        self._hangover_frames = int(np.ceil(c.hangover_seconds / c.frame_seconds))
        self._pre_roll = int(round(c.pre_roll_seconds * c.sampling_rate))
        self._segment = int(round(c.segment_seconds * c.sampling_rate))
        self._hop = self._segment - int(round(c.overlap_seconds * c.sampling_rate))
        if self._hop <= 0:
            raise ValueError("overlap_seconds must be shorter than segment_seconds")
        self._min_speech = int(round(c.min_speech_seconds * c.sampling_rate))
        self._noise_floor: float | None = None
        self._pending = np.zeros(0, np.float32)  # samples not yet framed
        self._history = np.zeros(0, np.float32)  # audio kept for pre-roll / the open region
        self._history_start = 0  # absolute sample index of _history[0]
        self._position = 0  # absolute sample index of the next frame
        self._region_start: int | None = None  # absolute start of the open speech region
        self._next_window: int = 0  # absolute start of the next window in the open region
        self._last_speech_end = 0
        self._speech_start = 0  # absolute start of the open region's first speech frame
        self._silent_frames = 0

    def _levels(self, frames: np.ndarray) -> np.ndarray:
        rms = kernels.rms(frames).astype(np.float64)
        return 20.0 * np.log10(np.maximum(rms, 1e-10))

    def feed(self, block: np.ndarray) -> Iterator[Segment]:
        data = np.concatenate((self._pending, np.asarray(block, np.float32)))
        n_frames = len(data) // self._frame
        self._pending = data[n_frames * self._frame :]
        if n_frames == 0:
            return
        framed = data[: n_frames * self._frame]
        self._history = np.concatenate((self._history, framed))
        levels = self._levels(framed.reshape(n_frames, self._frame))
        for level in levels:
            yield from self._step(level)
        self._trim_history()

    def finish(self) -> Iterator[Segment]:
        if self._region_start is not None:
            yield from self._close_region(self._last_speech_end)

    def _step(self, level: float) -> Iterator[Segment]:
        c = self.config
        if self._noise_floor is None or level < self._noise_floor:
            self._noise_floor = level
        else:
            self._noise_floor += self._rise_per_frame
        is_speech = level > c.absolute_floor_dbfs and level > self._noise_floor + c.margin_db
        frame_start = self._position
        self._position += self._frame
        if is_speech:
            self._silent_frames = 0
            self._last_speech_end = self._position
            if self._region_start is None:
                self._region_start = max(self._history_start, frame_start - self._pre_roll, 0)
                self._next_window = self._region_start
                self._speech_start = frame_start
        elif self._region_start is not None:
            self._silent_frames += 1
            if self._silent_frames > self._hangover_frames:
                yield from self._close_region(self._last_speech_end)
                return
        if self._region_start is not None:
            # Emit full windows as soon as their audio is in, so an endless talker stays bounded.
            while self._next_window + self._segment <= self._position:
                yield self._window(self._next_window, self._next_window + self._segment)
                self._next_window += self._hop

    def _close_region(self, speech_end: int) -> Iterator[Segment]:
        end = min(speech_end + int(round(self.config.hangover_seconds * self.config.sampling_rate)), self._position)
        start, first = self._region_start, self._next_window
        self._region_start = None
        self._silent_frames = 0
        if first == start and speech_end - self._speech_start < self._min_speech:
            return  # a click or a breath, not speech
        if first > start and end - first <= self._segment - self._hop:
            return  # what is left is inside the previous window's overlap
        yield self._window(first, end)

    def _window(self, start: int, end: int) -> Segment:
        a, b = start - self._history_start, end - self._history_start
        rate = self.config.sampling_rate
        return Segment(start / rate, end / rate, self._history[a:b].copy())

    def _trim_history(self) -> None:
        keep_from = self._position - self._pre_roll
        if self._region_start is not None:
            keep_from = min(keep_from, self._next_window)
        drop = max(0, keep_from - self._history_start)
        if drop:
            self._history = self._history[drop:]
            self._history_start += drop


def segment_stream(blocks: Iterable[np.ndarray], config: SegmenterConfig = SegmenterConfig()) -> Iterator[Segment]:
    """All speech segments of a signal given as blocks, in time order."""
    segmenter = StreamingSegmenter(config)
    for block in blocks:
        yield from segmenter.feed(block)
    yield from segmenter.finish()
