"""The base class of a feature family: a group of descriptors computed together.

A family declares its parameters (a frozen dataclass with defaults, part of the feature hash),
the centred context each frame needs, and up to two computations:

* ``frame_values(ctx)`` per block -> ``(n_frames, len(frame_lld_names))`` frame-level LLDs;
* ``sequence_values(seq)`` per utterance -> (``(n_frames, len(sequence_lld_names))`` or None,
  ``(len(utterance_names),)`` or None), for what needs neighbouring frames or the whole utterance.

Frame-level LLDs (from either stage) go through the configured functionals; utterance values go
into the vector as they are.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from featuresets.config import FeatureSetConfig
    from featuresets.context import FrameContext, SequenceContext, SpectralSetup


@dataclasses.dataclass(frozen=True)
class NoParams:
    """For families without parameters of their own."""


class Family:
    name: ClassVar[str]
    Params: ClassVar[type] = NoParams
    #: Families whose stage-1 or stage-2 output this one reads (they are computed even if not selected).
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: "FeatureSetConfig", params, setup: "SpectralSetup"):
        self.config = config
        self.params = params
        self.setup = setup

    @property
    def context_length(self) -> int:
        """Samples of centred context each frame needs (default: the analysis frame)."""
        return self.config.frame_length

    def frame_lld_names(self) -> list[str]:
        return []

    def sequence_lld_names(self) -> list[str]:
        return []

    def utterance_names(self) -> list[str]:
        return []

    def frame_values(self, ctx: "FrameContext") -> np.ndarray | None:
        return None

    def sequence_values(self, seq: "SequenceContext") -> tuple[np.ndarray | None, np.ndarray | None]:
        return None, None
