"""What the feature families compute from: frames of one block, then the whole utterance.

Stage 1 (per decoded block): a ``FrameContext`` holds ``(n_frames, context_length)`` frames,
centred on the hop grid; a family takes the centred slice it needs (``frames(length)``) and the
shared spectra (computed once per block, whoever asks first).
Stage 2 (per utterance): a ``SequenceContext`` holds every stage-1 column over all frames, for
what needs neighbouring frames or the whole utterance (deltas, flux, modulation spectra, tempo,
jitter).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

import kernels

if TYPE_CHECKING:
    from featuresets.config import FeatureSetConfig


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
    """One block's frames and the spectra derived from them.

    ``context_frames`` is ``(n_frames, context_length)`` float32; frame ``t`` is centred on sample
    ``t * hop_length`` of the signal.
    """

    def __init__(self, context_frames: np.ndarray, setup: SpectralSetup):
        self.context_frames = context_frames
        self.setup = setup
        self.config = setup.config
        self._cache: dict[Any, np.ndarray] = {}

    @property
    def n_frames(self) -> int:
        return self.context_frames.shape[0]

    def frames(self, length: int | None = None) -> np.ndarray:
        """``(n_frames, length)`` centred slice of the context frames (default: the analysis ``frame_length``)."""
        length = length or self.config.frame_length
        if length == self.context_frames.shape[1]:
            return self.context_frames
        offset = self.context_frames.shape[1] // 2 - length // 2
        return self.cached(
            ("frames", length), lambda: np.ascontiguousarray(self.context_frames[:, offset : offset + length])
        )

    def cached(self, key: Any, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """``compute()`` once per block for ``key``; for spectra several families share."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def power_spectrum(self) -> np.ndarray:
        """``(n_frames, n_fft // 2 + 1)`` power spectrum of the Hann-windowed analysis frames."""
        return self.cached(
            "power", lambda: kernels.power_spectrum(self.frames(), self.setup.window, self.config.n_fft)
        )

    def log_mel(self) -> np.ndarray:
        """``(n_frames, n_mels)`` log-mel energies in dB."""
        return self.cached(
            "log_mel",
            lambda: kernels.power_to_db(
                kernels.apply_filterbank(self.power_spectrum(), self.setup.mel_filterbank), amin=1e-10
            ),
        )


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
