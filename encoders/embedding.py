"""Audio -> Whisper log-mel windows -> batched encoder calls -> one pooled vector per utterance.

Windows: an utterance of at most ``window_seconds`` (30 s, Whisper's context) is one window, encoded
at its own length; a longer one is cut into consecutive windows of ``window_seconds``, the last two
sharing what is left evenly (so no window is a sliver), read from a stream of blocks with at most
two windows of audio held.

Padding and batching: each window is padded with zeros to the next multiple of ``pad_seconds``
(at most ``window_seconds``); windows of the same padded length are encoded together, up to
``batch_size`` per call. The padded length depends only on the window itself, so an utterance's
vector is the same whatever it is batched with (Whisper's encoder has no attention mask: padding
to a batch-dependent length would change it). Pooling runs over the encoder frames of real audio
only: ``ceil(ceil(L / hop) / 2)`` frames for ``L`` samples, all windows of an utterance together.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from kernels.whisper_mel import WHISPER_HOP_LENGTH, WHISPER_N_FFT, WHISPER_SAMPLING_RATE, whisper_log_mel, whisper_mel_filterbank

POOLINGS = ("mean+std", "mean")


@dataclass(frozen=True)
class WindowPlan:
    """How audio becomes encoder input: window and padding lengths in seconds, calls of at most ``batch_size``."""

    window_seconds: float = 30.0
    pad_seconds: float = 1.0
    batch_size: int = 8

    @property
    def window_samples(self) -> int:
        return int(round(self.window_seconds * WHISPER_SAMPLING_RATE))

    def padded_length(self, n_samples: int) -> int:
        """Samples after padding a window of ``n_samples``: the next multiple of ``pad_seconds``, at most a window."""
        step = int(round(self.pad_seconds * WHISPER_SAMPLING_RATE))
        padded = n_samples if step <= 0 else math.ceil(n_samples / step) * step
        return max(min(padded, self.window_samples), n_samples, WHISPER_N_FFT)


def real_encoder_frames(n_samples: int, padded_samples: int) -> int:
    """Encoder frames that hold real audio, of a window of ``n_samples`` padded to ``padded_samples``."""
    mel_frames = min(-(-n_samples // WHISPER_HOP_LENGTH), padded_samples // WHISPER_HOP_LENGTH)
    return max(1, -(-mel_frames // 2))


class WindowCutter:
    """Cuts a stream of blocks into windows (see the module): ``push(block)`` and ``close()`` return the
    windows completed, 1-D float32; at most two windows and a block of audio are held."""

    def __init__(self, window_samples: int):
        self.window_samples = window_samples
        self.n_samples = 0
        self._pending: list[np.ndarray] = []
        self._held = 0

    def push(self, block: np.ndarray) -> list[np.ndarray]:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self.n_samples += block.size
        if not block.size:
            return []
        self._pending.append(block)
        self._held += block.size
        windows = []
        w = self.window_samples
        while self._held > 2 * w:
            buffer = np.concatenate(self._pending)
            windows.append(buffer[:w])
            self._pending, self._held = [buffer[w:]], buffer.size - w
        return windows

    def close(self) -> list[np.ndarray]:
        if not self._held:
            return []
        buffer = np.concatenate(self._pending)
        self._pending, self._held = [], 0
        if buffer.size <= self.window_samples:
            return [buffer]
        half = buffer.size // 2
        return [buffer[:half], buffer[half:]]


def iter_windows(blocks: Iterable[np.ndarray], window_samples: int) -> Iterator[np.ndarray]:
    """The windows of a signal given as blocks (``WindowCutter``)."""
    cutter = WindowCutter(window_samples)
    for block in blocks:
        yield from cutter.push(block)
    yield from cutter.close()


class PooledEmbedder:
    """Pooled encoder vectors of many utterances, encoded in batches.

    ``encode`` maps ``(batch, n_mels, n_frames)`` float32 log-mel to ``(batch, ceil(n_frames / 2),
    d_model)`` (``encoders.ctranslate2_whisper.WhisperEncoder.encode``). Use: ``add(key, blocks)`` for
    each utterance (its windows go to the queue; full batches are encoded at once), then ``finish()``
    -> ``{key: vector}``: ``(2 * d_model,)`` float32 for ``mean+std`` (means, then population standard
    deviations over the real frames) or ``(d_model,)`` for ``mean``. ``discard(key)`` forgets an
    utterance whose audio failed half way.
    """

    def __init__(self, encode: Callable[[np.ndarray], np.ndarray], *, n_mels: int, d_model: int,
                 pooling: str = "mean+std", plan: WindowPlan = WindowPlan()):
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        self._encode = encode
        self.n_mels = n_mels
        self.d_model = d_model
        self.pooling = pooling
        self.plan = plan
        self._filterbank = whisper_mel_filterbank(n_mels)
        self._queues: dict[int, list[tuple[Hashable, np.ndarray, int]]] = {}
        self._sums: dict[Hashable, list] = {}  # key -> [sum (d,), sum of squares (d,), frames]
        self._cutters: dict[Hashable, WindowCutter] = {}
        #: Utterances whose encoder call failed, with the error (they get no vector from ``finish``).
        self.failed: dict[Hashable, Exception] = {}

    @property
    def dimension(self) -> int:
        return self.d_model * (2 if self.pooling == "mean+std" else 1)

    def add(self, key: Hashable, blocks: Iterable[np.ndarray]) -> int:
        """Queue the windows of one utterance; returns its length in samples. Exceptions of ``blocks`` propagate."""
        self.begin(key)
        for block in blocks:
            self.feed(key, block)
        return self.end(key)

    def begin(self, key: Hashable) -> None:
        self._sums[key] = [np.zeros(self.d_model), np.zeros(self.d_model), 0]
        self._cutters[key] = WindowCutter(self.plan.window_samples)

    def feed(self, key: Hashable, block: np.ndarray) -> None:
        for window in self._cutters[key].push(block):
            self._queue(key, window)

    def end(self, key: Hashable) -> int:
        """Queue the rest of ``key``'s audio; returns its length in samples."""
        cutter = self._cutters.pop(key)
        for window in cutter.close():
            self._queue(key, window)
        return cutter.n_samples

    def _queue(self, key: Hashable, window: np.ndarray) -> None:
        padded = self.plan.padded_length(window.size)
        queue = self._queues.setdefault(padded, [])
        queue.append((key, window, padded))
        if len(queue) >= self.plan.batch_size:
            self._run(padded)

    def _run(self, padded: int) -> None:
        queue = self._queues.pop(padded, [])
        if not queue:
            return
        mel = np.empty((len(queue), self.n_mels, padded // WHISPER_HOP_LENGTH), dtype=np.float32)
        for i, (_, window, _) in enumerate(queue):
            signal = np.zeros(padded, dtype=np.float32)
            signal[: window.size] = window
            mel[i] = whisper_log_mel(signal, self._filterbank).T
        try:
            frames = self._encode(mel)
        except Exception as error:  # noqa: BLE001 - fails the utterances of this call, not the others
            for key, _, _ in queue:
                if self._sums.pop(key, None) is not None:
                    self.failed[key] = error
            return
        for i, (key, window, _) in enumerate(queue):
            sums = self._sums.get(key)
            if sums is None:  # discarded meanwhile
                continue
            real = frames[i, : real_encoder_frames(window.size, padded)].astype(np.float64)
            sums[0] += real.sum(axis=0)
            sums[1] += np.square(real).sum(axis=0)
            sums[2] += real.shape[0]

    def discard(self, key: Hashable) -> None:
        self._sums.pop(key, None)
        self._cutters.pop(key, None)
        for padded in list(self._queues):
            self._queues[padded] = [item for item in self._queues[padded] if item[0] != key]

    def finish(self) -> dict[Hashable, np.ndarray]:
        """Encode what is queued and return the vector of every added utterance that was not discarded and
        whose encoder calls succeeded (``failed`` has the others); NaN if it had no audio."""
        for padded in sorted(self._queues):
            self._run(padded)
        vectors = {}
        for key, (total, squares, n) in self._sums.items():
            if n == 0:
                vectors[key] = np.full(self.dimension, np.nan, dtype=np.float32)
                continue
            mean = total / n
            parts = [mean]
            if self.pooling == "mean+std":
                parts.append(np.sqrt(np.maximum(squares / n - mean * mean, 0.0)))
            vectors[key] = np.concatenate(parts).astype(np.float32)
        self._sums = {}
        return vectors
