"""Audio -> frame-level descriptors (LLDs) -> one fixed-length, fully named feature vector.

The extractor is built once per feature configuration (windows, filterbanks and other constants
are computed then) and applied to many recordings. Stage 1 runs per decoded block on centred
frames; stage 2 runs once per utterance on the stage-1 columns (see ``featuresets.context``).
The vector is the configured functionals of every frame-level LLD (LLD-major), then the
utterance-level values.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

import kernels
from featuresets.config import ALL_FUNCTIONALS, FeatureSetConfig
from featuresets.context import FrameContext, SequenceContext, SpectralSetup
from featuresets.families import FAMILIES, Family, with_requirements
from featuresets.stream import FrameCounter, iter_centered_segments


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
        # Only the families that override a stage are called in it (the base class's no-ops are skipped).
        self._stage1_families = [
            (name, f) for name, f in self._families.items() if type(f).frame_values is not Family.frame_values
        ]
        self._stage2_families = [
            (name, f) for name, f in self._families.items() if type(f).sequence_values is not Family.sequence_values
        ]
        self.context_length = max(f.context_length for f in self._families.values())
        if self.context_length % 2:
            self.context_length += 1  # even, so frame counts are 1 + L // hop
        # Columns of the kernel's statistics to keep; None: all of them, in the kernel's order (no copy).
        self._functional_columns = (
            None if tuple(config.functionals) == ALL_FUNCTIONALS
            else np.array([ALL_FUNCTIONALS.index(name) for name in config.functionals], dtype=np.int64)
        )
        self.lld_names: list[str] = []
        self.utterance_names: list[str] = []
        for name in self._selected:
            family = self._families[name]
            self.lld_names += family.frame_lld_names() + family.sequence_lld_names()
            self.utterance_names += family.utterance_names()
        #: None (the default), or a dict to which ``extract`` adds CPU seconds per part: "decode"
        #: (pulling the blocks), "framing", "shared ..." (see ``SHARED_PARTS``), "stage1 <family>",
        #: "stage2 <family>", "assembly" and "functionals". For benchmarks; off, it costs nothing.
        self.timings: dict[str, float] | None = None
        self.feature_names = [
            f"{lld}_{fn}" for lld in self.lld_names for fn in config.functionals
        ] + self.utterance_names

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def _stage1(self, blocks: Iterable[np.ndarray]) -> tuple[dict[str, np.ndarray], int]:
        counter = FrameCounter()
        timings = self.timings
        pieces: dict[str, list[np.ndarray]] = {name: [] for name, _ in self._stage1_families}
        batches = iter_centered_segments(
            blocks, frame_length=self.context_length, hop_length=self.config.hop_length, counter=counter
        )
        if timings is not None:
            batches = _timed_iter(batches, timings, "framing", nested="decode")
        for segment, n_frames in batches:
            ctx = FrameContext(segment, n_frames, self.context_length, self.setup)
            if timings is not None:
                _time_shared(ctx, timings)
            for name, family in self._stage1_families:
                if timings is None:
                    values = family.frame_values(ctx)
                else:
                    started = time.process_time()
                    values = family.frame_values(ctx)
                    _add(timings, f"stage1 {name}", started)
                if values is not None:
                    pieces[name].append(np.asarray(values, dtype=np.float32).reshape(n_frames, -1))
        columns = {
            name: parts[0] if len(parts) == 1 else np.concatenate(parts) for name, parts in pieces.items() if parts
        }
        return columns, counter.n_samples

    def llds(self, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
        """Frame-level LLD matrix ``(n_frames, n_lld)``, utterance values ``(n_utterance,)`` and length in samples."""
        timings = self.timings
        if timings is not None:
            blocks = _timed_iter(blocks, timings, "decode")
        columns, n_samples = self._stage1(blocks)
        seq = SequenceContext(columns, n_samples, self.config)
        lld_parts: dict[str, list[np.ndarray]] = {
            name: [columns[name]] if name in columns else [] for name in self._families
        }
        utterance_parts: dict[str, np.ndarray] = {}
        for name, family in self._stage2_families:
            if timings is None:
                frame_part, utterance_part = family.sequence_values(seq)
            else:
                started = time.process_time()
                frame_part, utterance_part = family.sequence_values(seq)
                _add(timings, f"stage2 {name}", started)
            if frame_part is not None:
                lld_parts[name].append(np.asarray(frame_part, dtype=np.float32).reshape(seq.n_frames, -1))
            if utterance_part is not None:
                utterance_parts[name] = np.asarray(utterance_part, dtype=np.float32).reshape(-1)
        if timings is not None:
            started = time.process_time()
        selected_llds = [p for name in self._selected for p in lld_parts[name]]
        lld = (
            np.ascontiguousarray(np.concatenate(selected_llds, axis=1), dtype=np.float32)
            if selected_llds else np.zeros((seq.n_frames, 0), np.float32)
        )
        utterance = np.concatenate(
            [utterance_parts[name] for name in self._selected if name in utterance_parts]
            or [np.zeros(0, np.float32)]
        )
        if timings is not None:
            _add(timings, "assembly", started)
        return lld, utterance, n_samples

    def vector_from_llds(self, lld: np.ndarray, utterance: np.ndarray) -> np.ndarray:
        """Feature vector ``(n_features,)`` float32 from the LLD matrix and the utterance values."""
        if self.timings is not None:
            started = time.process_time()
        stats = kernels.functionals(lld)  # (n_lld, len(ALL_FUNCTIONALS)) float32, C order
        if self._functional_columns is not None:
            stats = stats[:, self._functional_columns]
        vector = np.concatenate([stats.reshape(-1), utterance]).astype(np.float32, copy=False)
        if self.timings is not None:
            _add(self.timings, "functionals", started)
        return vector

    def extract(self, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, float]:
        """Feature vector ``(n_features,)`` float32 and duration in seconds of a signal given as blocks."""
        lld, utterance, n_samples = self.llds(blocks)
        vector = self.vector_from_llds(lld, utterance)
        if vector.shape[0] != self.n_features:
            raise ValueError(f"feature vector has {vector.shape[0]} values, expected {self.n_features}")
        return vector, n_samples / self.config.sampling_rate


# ---------------------------------------------------------------------------------------------
# Optional timing (``FeatureExtractor.timings``): off by default, where it costs one ``is None``
# test per family call. On, it adds CPU seconds (``time.process_time``) per part; a benchmark
# (bench/features_speed.py) reads them.

#: Shared per-batch computations timed on their own, in this order, before any family runs
#: (otherwise they would be charged to the first family that asks for them).
SHARED_PARTS: tuple[tuple[str, str], ...] = (
    ("shared power_spectrum", "power_spectrum"),
    ("shared power_t", "power_t"),
    ("shared log_mel", "log_mel"),
    ("shared time_statistics", "time_statistics"),
)


def _add(timings: dict[str, float], key: str, started: float) -> None:
    timings[key] = timings.get(key, 0.0) + time.process_time() - started


def _time_shared(ctx: FrameContext, timings: dict[str, float]) -> None:
    for key, method in SHARED_PARTS:
        started = time.process_time()
        getattr(ctx, method)()
        _add(timings, key, started)


def _timed_iter(iterable, timings: dict[str, float], key: str, nested: str | None = None):
    """``iterable``'s items, with the time spent producing them added to ``timings[key]``, minus
    what a timed iterator nested inside it charged to ``timings[nested]`` meanwhile."""
    iterator = iter(iterable)
    while True:
        inner = timings.get(nested, 0.0) if nested else 0.0
        started = time.process_time()
        try:
            item = next(iterator)
        except StopIteration:
            item = None
            done = True
        else:
            done = False
        spent = time.process_time() - started
        if nested:
            spent -= timings.get(nested, 0.0) - inner
        timings[key] = timings.get(key, 0.0) + spent
        if done:
            return
        yield item
