"""Mel-spectral and cepstral descriptors: log-mel energies, MFCC and their deltas."""
from __future__ import annotations

import kernels
from kernels.cepstral import mfcc_basis, mfcc_from_basis
from featuresets.families.base import Family


def mfcc_names(n_mfcc: int) -> list[str]:
    return [f"mfcc_{i:02d}" for i in range(n_mfcc)]


class LogMel(Family):
    """Log-mel band energies in dB, ``(n_frames, n_mels)``."""

    name = "logmel"

    def frame_lld_names(self):
        return [f"logmel_{i:02d}" for i in range(self.config.n_mels)]

    def frame_values(self, ctx):
        return ctx.log_mel()


class Mfcc(Family):
    """MFCC 0..n_mfcc-1 (orthonormal DCT-II of the log-mel dB spectrum), ``(n_frames, n_mfcc)``."""

    name = "mfcc"

    def frame_lld_names(self):
        return mfcc_names(self.config.n_mfcc)

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        self._basis_t = mfcc_basis(config.n_mfcc, config.n_mels)

    def frame_values(self, ctx):
        return mfcc_from_basis(ctx.log_mel(), self._basis_t)  # = kernels.mfcc(ctx.log_mel(), n_mfcc)


class MfccDelta(Family):
    """First-order regression deltas of the MFCCs over ``delta_width`` frames, ``(n_frames, n_mfcc)``."""

    name = "mfcc_delta"
    requires = ("mfcc",)

    def sequence_lld_names(self):
        return [f"{m}_delta" for m in mfcc_names(self.config.n_mfcc)]

    def sequence_values(self, seq):
        delta = kernels.deltas(seq.lld("mfcc"), self.config.delta_width)
        seq.add(self.name, delta)
        return delta, None


class MfccDelta2(Family):
    """Second-order deltas (deltas of the deltas) of the MFCCs, ``(n_frames, n_mfcc)``."""

    name = "mfcc_delta2"
    requires = ("mfcc_delta",)

    def sequence_lld_names(self):
        return [f"{m}_delta2" for m in mfcc_names(self.config.n_mfcc)]

    def sequence_values(self, seq):
        return kernels.deltas(seq.lld("mfcc_delta"), self.config.delta_width), None
FAMILY_CLASSES = (Mfcc, MfccDelta, MfccDelta2, LogMel)
