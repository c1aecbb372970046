"""Audio -> frame-level descriptors (LLDs) -> one fixed-length, fully named feature vector.

The extractor is built once per feature configuration (windows, filterbanks and other constants
are computed then) and applied to many recordings. Stage 1 runs per decoded block on centred
frames; stage 2 runs once per utterance on the stage-1 columns (see ``featuresets.context``).
The vector is the configured functionals of every frame-level LLD (LLD-major), then the
utterance-level values.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

import kernels
from featuresets.config import ALL_FUNCTIONALS, FeatureSetConfig
from featuresets.context import FrameContext, SequenceContext, SpectralSetup
from featuresets.families import FAMILIES, with_requirements
from featuresets.stream import FrameCounter, iter_centered_frames


class FeatureExtractor:
    """Computes the feature vector of one configuration.

    Attributes:
        config: the configuration.
        lld_names: names of the frame-level LLD columns, ``(n_lld,)``.
        feature_names: names of the vector's entries, ``(n_features,)``: ``"{lld}_{functional}"``
            in LLD-major order, then the utterance-level names.
    """

    def __init__(self, config: FeatureSetConfig):
        self.config = config
        self.setup = SpectralSetup(config)
        self._families = {
            name: FAMILIES[name](config, config.params_of(name), self.setup)
            for name in with_requirements(config.families)
        }
        self._selected = list(config.families)
        self.context_length = max(f.context_length for f in self._families.values())
        if self.context_length % 2:
            self.context_length += 1  # even, so frame counts are 1 + L // hop
        self._functional_columns = np.array(
            [ALL_FUNCTIONALS.index(name) for name in config.functionals], dtype=np.int64
        )
        self.lld_names: list[str] = []
        self.utterance_names: list[str] = []
        for name in self._selected:
            family = self._families[name]
            self.lld_names += family.frame_lld_names() + family.sequence_lld_names()
            self.utterance_names += family.utterance_names()
        self.feature_names = [
            f"{lld}_{fn}" for lld in self.lld_names for fn in config.functionals
        ] + self.utterance_names

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def _stage1(self, blocks: Iterable[np.ndarray]) -> tuple[dict[str, np.ndarray], int]:
        counter = FrameCounter()
        pieces: dict[str, list[np.ndarray]] = {name: [] for name in self._families}
        for context_frames in iter_centered_frames(
            blocks, frame_length=self.context_length, hop_length=self.config.hop_length, counter=counter
        ):
            ctx = FrameContext(context_frames, self.setup)
            for name, family in self._families.items():
                values = family.frame_values(ctx)
                if values is not None:
                    pieces[name].append(np.asarray(values, dtype=np.float32).reshape(ctx.n_frames, -1))
        columns = {name: np.concatenate(parts) for name, parts in pieces.items() if parts}
        return columns, counter.n_samples

    def llds(self, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
        """Frame-level LLD matrix ``(n_frames, n_lld)``, utterance values ``(n_utterance,)`` and length in samples."""
        columns, n_samples = self._stage1(blocks)
        seq = SequenceContext(columns, n_samples, self.config)
        lld_parts: dict[str, list[np.ndarray]] = {}
        utterance_parts: dict[str, np.ndarray] = {}
        for name, family in self._families.items():
            frame_part, utterance_part = family.sequence_values(seq)
            parts = [columns[name]] if name in columns else []
            if frame_part is not None:
                parts.append(np.asarray(frame_part, dtype=np.float32).reshape(seq.n_frames, -1))
            lld_parts[name] = parts
            if utterance_part is not None:
                utterance_part = np.asarray(utterance_part, dtype=np.float32).reshape(-1)
                utterance_parts[name] = utterance_part
        selected_llds = [p for name in self._selected for p in lld_parts[name]]
        lld = (
            np.ascontiguousarray(np.concatenate(selected_llds, axis=1), dtype=np.float32)
            if selected_llds else np.zeros((seq.n_frames, 0), np.float32)
        )
        utterance = np.concatenate(
            [utterance_parts[name] for name in self._selected if name in utterance_parts]
            or [np.zeros(0, np.float32)]
        )
        return lld, utterance, n_samples

    def vector_from_llds(self, lld: np.ndarray, utterance: np.ndarray) -> np.ndarray:
        """Feature vector ``(n_features,)`` float32 from the LLD matrix and the utterance values."""
        stats = kernels.functionals(lld)  # (n_lld, len(ALL_FUNCTIONALS))
        functionals = np.ascontiguousarray(stats[:, self._functional_columns]).reshape(-1)
        return np.concatenate([functionals, utterance]).astype(np.float32, copy=False)

    def extract(self, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, float]:
        """Feature vector ``(n_features,)`` float32 and duration in seconds of a signal given as blocks."""
        lld, utterance, n_samples = self.llds(blocks)
        vector = self.vector_from_llds(lld, utterance)
        if vector.shape[0] != self.n_features:
            raise ValueError(f"feature vector has {vector.shape[0]} values, expected {self.n_features}")
        return vector, n_samples / self.config.sampling_rate
