"""Audio -> frame-level descriptors (LLDs) -> one fixed-length, fully named feature vector.

The extractor is built once per feature configuration (window and mel filterbank are computed
then) and applied to many recordings. Frame-local LLDs are computed block by block as audio is
decoded; LLDs that need neighbouring frames (deltas) are computed on the whole LLD matrix, which
is ~60x smaller than the audio it came from for the default set.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

import kernels
from featuresets.config import ALL_FUNCTIONALS, FeatureSetConfig
from featuresets.stream import FrameCounter, iter_centered_frames


class FeatureExtractor:
    """Computes the feature vector of one configuration.

    Attributes:
        config: the configuration.
        lld_names: names of the LLD columns, ``(n_lld,)``.
        feature_names: names of the vector's entries, ``(n_features,)``, each ``"{lld}_{functional}"``
            in LLD-major order.
    """

    def __init__(self, config: FeatureSetConfig):
        self.config = config
        families = set(config.families)
        self._needs_mel = bool(families & {"mfcc", "mfcc_delta", "mfcc_delta2", "logmel"})
        self._needs_mfcc = bool(families & {"mfcc", "mfcc_delta", "mfcc_delta2"})
        self._window = kernels.hann_window(config.frame_length)
        if self._needs_mel:
            self._filterbank = kernels.mel_filterbank(
                config.sampling_rate, config.n_fft, config.n_mels, config.fmin_hz, config.fmax_hz,
                config.mel_scale == "htk", config.mel_slaney_norm,
            )
        self._functional_columns = np.array(
            [ALL_FUNCTIONALS.index(name) for name in config.functionals], dtype=np.int64
        )
        self.lld_names = self._lld_names()
        self.feature_names = [f"{lld}_{fn}" for lld in self.lld_names for fn in config.functionals]

    def _lld_names(self) -> list[str]:
        c = self.config
        mfcc = [f"mfcc_{i:02d}" for i in range(c.n_mfcc)]
        names_by_family = {
            "rms": ["rms"],
            "zcr": ["zcr"],
            "mfcc": mfcc,
            "mfcc_delta": [f"{m}_delta" for m in mfcc],
            "mfcc_delta2": [f"{m}_delta2" for m in mfcc],
            "logmel": [f"logmel_{i:02d}" for i in range(c.n_mels)],
        }
        return [name for family in c.families for name in names_by_family[family]]

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def _frame_local(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """Frame-local LLDs of ``frames`` ``(n, frame_length)``, each ``(n, k)`` float32."""
        c = self.config
        out: dict[str, np.ndarray] = {}
        if "rms" in c.families:
            out["rms"] = kernels.rms(frames)[:, None]
        if "zcr" in c.families:
            out["zcr"] = kernels.zero_crossing_rate(frames)[:, None]
        if self._needs_mel:
            power = kernels.power_spectrum(frames, self._window, c.n_fft)
            log_mel = kernels.power_to_db(kernels.apply_filterbank(power, self._filterbank))
            if "logmel" in c.families:
                out["logmel"] = log_mel
            if self._needs_mfcc:
                out["mfcc"] = kernels.mfcc(log_mel, c.n_mfcc)
        return out

    def llds(self, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, int]:
        """LLD matrix ``(n_frames, n_lld)`` float32 of a signal given as 1-D blocks, and its length in samples."""
        c = self.config
        counter = FrameCounter()
        pieces: dict[str, list[np.ndarray]] = {}
        for frames in iter_centered_frames(
            blocks, frame_length=c.frame_length, hop_length=c.hop_length, counter=counter
        ):
            for family, values in self._frame_local(frames).items():
                pieces.setdefault(family, []).append(values)
        local = {family: np.concatenate(parts) for family, parts in pieces.items()}
        if "mfcc_delta" in c.families or "mfcc_delta2" in c.families:
            delta = kernels.deltas(local["mfcc"], c.delta_width)
            local["mfcc_delta"] = delta
            if "mfcc_delta2" in c.families:
                local["mfcc_delta2"] = kernels.deltas(delta, c.delta_width)
        matrix = np.concatenate([local[f] for f in c.families], axis=1)
        return np.ascontiguousarray(matrix, dtype=np.float32), counter.n_samples

    def vector_from_llds(self, lld: np.ndarray) -> np.ndarray:
        """Feature vector ``(n_features,)`` float32 from an LLD matrix ``(n_frames, n_lld)``."""
        stats = kernels.functionals(lld)  # (n_lld, len(ALL_FUNCTIONALS))
        return np.ascontiguousarray(stats[:, self._functional_columns]).reshape(-1)

    def extract(self, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, float]:
        """Feature vector ``(n_features,)`` float32 and duration in seconds of a signal given as blocks."""
        lld, n_samples = self.llds(blocks)
        return self.vector_from_llds(lld), n_samples / self.config.sampling_rate
