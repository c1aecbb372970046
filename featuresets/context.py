"""What the feature families compute from: frames of one block, then the whole utterance.

Stage 1 (per decoded block): a ``FrameContext`` holds the stretch of signal under a batch of
frames centred on the hop grid; a family takes the frames of the width it needs
(``frames(length)``, a strided view: no copy), the signal itself (``signal(width)``, for kernels
that cut their own frames) and what several families share, computed once per batch by whoever
asks first: the power spectrum (also transposed, frames along the SIMD axis, for the ``*_t``
kernels), the log-mel energies and the time-domain frame statistics.
Stage 2 (per utterance): a ``SequenceContext`` holds every stage-1 column over all frames, for
what needs neighbouring frames or the whole utterance (deltas, flux, modulation spectra, tempo,
jitter).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

import kernels
from kernels.mel import filterbank_db_t
from kernels.stft import framed_power_spectrum, transpose_frames
from kernels.time_features import LOG_ENERGY_FLOOR, frame_time_statistics

if TYPE_CHECKING:
    from featuresets.config import FeatureSetConfig

#: Floor of the mel band energies before the dB values (-100 dB, librosa's amin).
MEL_FLOOR = 1e-10

#: Floor of the mean absolute Teager energy before its dB value (-100 dB).
TEO_FLOOR = 1e-10


class SpectralSetup:
    """Per-configuration constants shared by all blocks: analysis window and mel filterbank."""

    def __init__(self, config: "FeatureSetConfig"):
        self.config = config
        self.window = kernels.hann_window(config.frame_length)
        self.mel_filterbank = kernels.mel_filterbank(
            config.sampling_rate, config.n_fft, config.n_mels, config.fmin_hz, config.fmax_hz,
            config.mel_scale == "htk", config.mel_slaney_norm,
        )
        #: Frequency in Hz of each power-spectrum bin, ``(n_fft // 2 + 1,)`` float32.
        self.bin_frequencies_hz = np.linspace(0, config.sampling_rate / 2, config.n_fft // 2 + 1).astype(np.float32)


class FrameContext:
    """One batch of frames (one decoded block, or the whole of a short recording) and what is
    derived from them.

    ``segment`` is the zero-padded signal under the batch: ``(n_frames - 1) * hop_length +
    context_length`` float32 samples, frame ``t``'s context being ``segment[t * hop_length : t *
    hop_length + context_length]``, centred on sample ``t * hop_length`` of the signal (plus the
    batch's offset). Narrower frames are the centred slices of that context.
    """

    def __init__(self, segment: np.ndarray, n_frames: int, context_length: int, setup: SpectralSetup):
        self.segment = segment
        self.context_length = context_length
        self.setup = setup
        self.config = setup.config
        self._n_frames = n_frames
        self._cache: dict[Any, np.ndarray] = {}

    @property
    def n_frames(self) -> int:
        return self._n_frames

    def signal(self, width: int) -> np.ndarray:
        """The signal under the centred ``width``-sample slices of the frames (a view, no copy).

        ``(width + (n_frames - 1) * hop_length,)`` float32; frame ``t``'s slice is
        ``signal[t * hop_length : t * hop_length + width]``; ``width`` at most the context length.
        """
        offset = self.context_length // 2 - width // 2
        return self.segment[offset : offset + (self._n_frames - 1) * self.config.hop_length + width]

    def frames(self, length: int | None = None) -> np.ndarray:
        """``(n_frames, length)`` centred frames (default: the analysis ``frame_length``).

        A read-only strided view of the segment (row ``t`` starts ``t * hop_length`` samples after
        row ``t - 1``): no copy, so the kernels reading it cut each frame into their own scratch.
        """
        length = length or self.config.frame_length
        key = ("frames", length)
        cache = self._cache
        if key not in cache:
            segment = self.segment
            step = segment.strides[0]
            view = np.ndarray(
                (self._n_frames, length), dtype=segment.dtype, buffer=segment,
                offset=(self.context_length // 2 - length // 2) * step,
                strides=(self.config.hop_length * step, step),
            )
            view.flags.writeable = False
            cache[key] = view
        return cache[key]

    def cached(self, key: Any, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """``compute()`` once per batch for ``key``; for what several families share."""
        cache = self._cache
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def power_spectrum(self) -> np.ndarray:
        """``(n_frames, n_fft // 2 + 1)`` power spectrum of the Hann-windowed analysis frames."""
        cache = self._cache
        if "power" not in cache:
            length = self.config.frame_length
            # = kernels.power_spectrum(self.frames(), ...), reading the contiguous signal instead
            cache["power"] = framed_power_spectrum(
                self.signal(length), length, self.config.hop_length, self.setup.window, self.config.n_fft
            )
        return cache["power"]

    def time_statistics(self) -> np.ndarray:
        """``(n_frames, 8)`` time-domain statistics of the analysis frames, columns
        ``kernels.time_features.FRAME_STATISTIC_NAMES`` (RMS, ZCR, temporal centroid, variance,
        log energy, Teager-energy mean / std / dB), all from one pass over the samples."""
        cache = self._cache
        if "time_statistics" not in cache:
            length = self.config.frame_length
            cache["time_statistics"] = frame_time_statistics(
                self.signal(length), length, self.config.hop_length, float(self.config.sampling_rate),
                LOG_ENERGY_FLOOR, TEO_FLOOR,
            )
        return cache["time_statistics"]

    def power_t(self) -> np.ndarray:
        """The power spectrum transposed, ``(n_bins, n_frames)`` float32: frames along the last
        (SIMD) axis, for the ``*_t`` kernels that compute many frames at once."""
        cache = self._cache
        if "power_t" not in cache:
            cache["power_t"] = transpose_frames(self.power_spectrum())
        return cache["power_t"]

    def log_mel(self) -> np.ndarray:
        """``(n_frames, n_mels)`` log-mel energies in dB (``power_to_db(apply_filterbank(power,
        mel_filterbank), 1e-10)`` to ~1 float32 ulp, from the transposed power spectrum)."""
        cache = self._cache
        if "log_mel" not in cache:
            cache["log_mel"] = filterbank_db_t(self.power_t(), self.setup.mel_filterbank, MEL_FLOOR)
        return cache["log_mel"]


class SequenceContext:
    """Every stage-1 column of one utterance: ``lld(family)`` is ``(n_frames, k)`` float32."""

    def __init__(self, columns: dict[str, np.ndarray], n_samples: int, config: "FeatureSetConfig"):
        self._columns = dict(columns)
        self.n_samples = n_samples
        self.config = config

    @property
    def n_frames(self) -> int:
        return next(iter(self._columns.values())).shape[0] if self._columns else 1 + self.n_samples // self.config.hop_length

    def lld(self, family: str) -> np.ndarray:
        return self._columns[family]

    def add(self, family: str, values: np.ndarray) -> None:
        """Make a stage-2 frame-level result visible to later families (e.g. deltas of deltas)."""
        self._columns[family] = values
