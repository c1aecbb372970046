"""Centred framing over a stream of audio blocks.

A recording is decoded block by block (never whole); this module turns those blocks into the
same frames that framing the whole signal at once would give: frame ``t`` covers samples
``[t*hop - frame_length//2, t*hop - frame_length//2 + frame_length)`` of the signal, with ``frame_length // 2``
zeros padded at each end (librosa's ``center=True, pad_mode="constant"``), so an even
``frame_length`` gives ``1 + L // hop_length`` frames for ``L`` samples, whatever the block sizes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from kernels import frame_signal


class FrameCounter:
    """Counts the samples that went through ``iter_centered_frames`` (for the duration)."""

    def __init__(self) -> None:
        self.n_samples = 0


def iter_centered_frames(
    blocks: Iterable[np.ndarray],
    *,
    frame_length: int,
    hop_length: int,
    counter: FrameCounter | None = None,
) -> Iterator[np.ndarray]:
    """Yield ``(n_frames_in_block, frame_length)`` float32 arrays of consecutive centred frames.

    ``blocks`` are 1-D float32 pieces of one signal, in order. Blocks that complete no frame
    yield nothing. ``counter.n_samples`` ends as the signal's length in samples.
    """
    pad = frame_length // 2
    carry = np.zeros(pad, dtype=np.float32)
    for block in blocks:
        if counter is not None:
            counter.n_samples += len(block)
        carry = np.concatenate((carry, np.asarray(block, dtype=np.float32)))
        if len(carry) < frame_length:
            continue
        frames = frame_signal(carry, frame_length, hop_length)
        carry = carry[len(frames) * hop_length:]
        yield frames
    tail = np.concatenate((carry, np.zeros(pad, dtype=np.float32)))
    frames = frame_signal(tail, frame_length, hop_length)
    if len(frames):
        yield frames
