"""Time-domain frame energy descriptors."""
from __future__ import annotations

from featuresets.families.base import Family


class Rms(Family):
    """Root-mean-square amplitude of each analysis frame (no window), ``(n_frames, 1)``."""

    name = "rms"

    def frame_lld_names(self):
        return ["rms"]

    def frame_values(self, ctx):
        return ctx.time_statistics()[:, 0:1]  # = kernels.rms(ctx.frames())


class ZeroCrossingRate(Family):
    """Zero crossings per sample in each analysis frame (librosa's definition), ``(n_frames, 1)``."""

    name = "zcr"

    def frame_lld_names(self):
        return ["zcr"]

    def frame_values(self, ctx):
        return ctx.time_statistics()[:, 1:2]  # = kernels.zero_crossing_rate(ctx.frames())
FAMILY_CLASSES = (Rms, ZeroCrossingRate)
