"""Centred framing over a stream of audio blocks.

A recording is decoded block by block (never whole); this module turns those blocks into the
same frames that framing the whole signal at once would give: frame ``t`` covers samples
``[t*hop - frame_length//2, t*hop - frame_length//2 + frame_length)`` of the signal, with ``frame_length // 2``
zeros padded at each end (librosa's ``center=True, pad_mode="constant"``), so an even
``frame_length`` gives ``1 + L // hop_length`` frames for ``L`` samples, whatever the block sizes.

``iter_centered_segments`` yields the (padded) stretch of signal under each batch of frames
rather than the frames themselves: a caller cuts whatever frame widths it needs from it, and a
signal of one block (any recording up to the decoder's block length) is one batch.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from kernels import frame_signal


class FrameCounter:
    """Counts the samples that went through ``iter_centered_segments`` (for the duration)."""

    def __init__(self) -> None:
        self.n_samples = 0


def _with_last_flag(blocks: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    """``(block, is_last)`` pairs: one block of look-ahead, so the last block is known when it is seen."""
    iterator = iter(blocks)
    try:
        pending = next(iterator)
    except StopIteration:
        return
    for block in iterator:
        yield pending, False
        pending = block
    yield pending, True


def iter_centered_segments(
    blocks: Iterable[np.ndarray],
    *,
    frame_length: int,
    hop_length: int,
    counter: FrameCounter | None = None,
) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(segment, n_frames)`` for consecutive batches of centred frames.

    ``segment`` is a 1-D float32 C-contiguous stretch of the zero-padded signal, ``(n_frames - 1)
    * hop_length + frame_length`` samples long: frame ``i`` of the batch is ``segment[i *
    hop_length : i * hop_length + frame_length]``. ``blocks`` are 1-D float32 pieces of one
    signal, in order; the last block is padded at once (one block of look-ahead), so a signal
    given as one block gives one batch with all ``1 + L // hop_length`` frames. Blocks that
    complete no frame yield nothing. ``counter.n_samples`` ends as the signal's length in samples.
    """
    if frame_length <= 0 or frame_length % 2 or hop_length <= 0:
        raise ValueError("need an even frame_length > 0 and hop_length > 0")
    pad = frame_length // 2
    carry = np.zeros(pad, dtype=np.float32)
    seen = False
    for block, is_last in _with_last_flag(blocks):
        seen = True
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if counter is not None:
            counter.n_samples += len(block)
        parts = (carry, block, np.zeros(pad, dtype=np.float32)) if is_last else (carry, block)
        carry = np.concatenate(parts)
        if len(carry) < frame_length:
            continue
        n_frames = 1 + (len(carry) - frame_length) // hop_length
        yield carry[: (n_frames - 1) * hop_length + frame_length], n_frames
        carry = carry[n_frames * hop_length :]
    if not seen:  # no samples at all: one frame of zeros, like framing an empty signal with its padding
        yield np.zeros(frame_length, dtype=np.float32), 1


def iter_centered_frames(
    blocks: Iterable[np.ndarray],
    *,
    frame_length: int,
    hop_length: int,
    counter: FrameCounter | None = None,
) -> Iterator[np.ndarray]:
    """Yield ``(n_frames_in_batch, frame_length)`` float32 arrays of consecutive centred frames
    (``frame_signal`` of each ``iter_centered_segments`` segment)."""
    for segment, _ in iter_centered_segments(
        blocks, frame_length=frame_length, hop_length=hop_length, counter=counter
    ):
        yield frame_signal(segment, frame_length, hop_length)
