"""Time-domain, spectral-shape, chroma and rhythm descriptors (issue 3).

Time domain (on the unwindowed analysis frame, ``frame_length`` samples centred on ``t * hop``):
``temporal_centroid``, ``signal_variance``, ``log_energy``.
Spectral (on the shared Hann power spectrum): ``spectral_shape`` (centroid, bandwidth, flatness,
entropy, roll-offs), ``spectral_contrast``, ``spectral_flux`` (stage 2, reads the per-frame unit
magnitude spectra of the helper family ``_norm_spectrum``), ``chroma``.
Rhythm (stage 2, per utterance): ``onset_strength`` (frame level, from the ``logmel`` family) and
``beat_histogram`` (utterance level: tempo and beat-histogram statistics).

The definitions, units and the values for digital silence are in the kernels' docstrings
(``kernels.time_features``, ``kernels.spectral_shape``, ``kernels.chroma``, ``kernels.rhythm``).

Kernels whose name ends in ``_t`` take the transposed power spectrum (``FrameContext.power_t``)
and give the same values as their per-frame namesakes, all frames at once.

Every kernel is called with all its arguments spelled out: numba's dispatcher takes a slow path
(~25 us per call) for calls that omit default arguments once any function with defaults has been
compiled (numba issues #6173, #7615).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from emovox.errors import UsageError
from featuresets.families.base import Family
from kernels.chroma import PITCH_CLASSES, chroma, chroma_filterbank
from kernels.rhythm import BEAT_HISTOGRAM_NAMES, beat_histogram, onset_strength
from kernels.spectral_shape import (
    AMIN,
    contrast_bands,
    spectral_contrast_t,
    spectral_flux,
    spectral_shape,
    spectral_shape_unit,
    unit_magnitude,
)

# ---------------------------------------------------------------------------------------------
# Time domain: one kernel pass (FrameContext.time_statistics, shared with rms, zcr and teo) gives
# all three columns; each family takes its own.


def _time_features(ctx) -> np.ndarray:
    """(n_frames, 3): temporal centroid, variance, log energy (``kernels.time_features.time_features``)."""
    return ctx.time_statistics()[:, 2:5]


class TemporalCentroid(Family):
    """Per frame: centre of gravity of the energy envelope ``x[n]**2`` of the (unwindowed) analysis
    frame, in seconds from the frame's first sample (``t * hop - frame_length / 2``), 0..0.025 s for
    400-sample frames; silence gives the frame centre, ``(frame_length - 1) / 2 / sampling_rate``."""

    name = "temporal_centroid"

    def frame_lld_names(self):
        return ["temporal_centroid"]

    def frame_values(self, ctx):
        return _time_features(ctx)[:, 0:1]


class SignalVariance(Family):
    """Per frame: population variance (ddof=0) of the analysis frame's samples; silence 0."""

    name = "signal_variance"

    def frame_lld_names(self):
        return ["signal_variance"]

    def frame_values(self, ctx):
        return _time_features(ctx)[:, 1:2]


class LogEnergy(Family):
    """Per frame: ``ln(max(sum(x**2), 1e-10))`` of the unwindowed analysis frame; silence -23.03."""

    name = "log_energy"

    def frame_lld_names(self):
        return ["log_energy"]

    def frame_values(self, ctx):
        return _time_features(ctx)[:, 2:3]


# ---------------------------------------------------------------------------------------------
# Spectral.

#: ``FrameContext.cached`` key of the block's ``unit_magnitude`` spectra.
_UNIT_MAGNITUDE = "unit_magnitude"


class SpectralShape(Family):
    """Centroid and bandwidth (p=2) of the magnitude spectrum (Hz), flatness of the power
    spectrum (floor 1e-10), Shannon entropy of the normalised (floored) power spectrum in bits
    divided by log2(n_bins) (0..1), and the roll-off frequencies (Hz) where the cumulative
    magnitude reaches each of ``roll_percents`` (librosa's definitions; see
    ``kernels.spectral_shape.spectral_shape``). Silence: 0 Hz, flatness 1, entropy 1."""

    name = "spectral_shape"

    @dataclasses.dataclass(frozen=True)
    class Params:
        roll_percents: tuple[float, ...] = (0.85, 0.95)

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        if not params.roll_percents or not all(0.0 < p <= 1.0 for p in params.roll_percents):
            raise UsageError(f"spectral_shape: roll_percents must be values in (0, 1], not {params.roll_percents}")
        self._roll = np.asarray(params.roll_percents, dtype=np.float64)
        self._freq = setup.bin_frequencies_hz.astype(np.float64)
        from featuresets.families import with_requirements  # (the registry imports this module)

        # With _norm_spectrum in the set (registered after this family, so computed later in each
        # block), its unit spectra come from this family's pass over the power spectrum.
        self._share_unit = NormSpectrum.name in with_requirements(config.families)

    def frame_lld_names(self):
        names = ["spectral_centroid", "spectral_bandwidth", "spectral_flatness", "spectral_entropy"]
        return names + [f"spectral_rolloff{round(p * 100):02d}" for p in self.params.roll_percents]

    def frame_values(self, ctx):
        if not self._share_unit:
            return spectral_shape(ctx.power_spectrum(), self._freq, self._roll, AMIN)
        features, unit = spectral_shape_unit(ctx.power_spectrum(), self._freq, self._roll, AMIN)
        ctx.cached(_UNIT_MAGNITUDE, lambda: unit)
        return features


class SpectralContrast(Family):
    """librosa's spectral contrast (octave sub-bands from ``fmin_hz``, ``n_bands + 1`` values, in
    dB of magnitude peak/valley ratios), without librosa's file-wide ``top_db`` clipping; silence 0."""

    name = "spectral_contrast"

    @dataclasses.dataclass(frozen=True)
    class Params:
        fmin_hz: float = 200.0
        n_bands: int = 6
        quantile: float = 0.02

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        try:
            self._bands = contrast_bands(
                setup.bin_frequencies_hz.astype(np.float64), float(config.sampling_rate),
                float(params.fmin_hz), int(params.n_bands), float(params.quantile),
            )
        except ValueError as error:
            raise UsageError(f"spectral_contrast: {error} (parameters {params})") from None

    def frame_lld_names(self):
        return [f"spectral_contrast_{b}" for b in range(self.params.n_bands + 1)]

    def frame_values(self, ctx):
        return spectral_contrast_t(ctx.power_t(), *self._bands, AMIN)  # = spectral_contrast(power, ...)


class NormSpectrum(Family):
    """INTERNAL helper of ``spectral_flux``: each frame's magnitude spectrum scaled to unit L2 norm
    (``n_fft // 2 + 1`` columns). Not meant to be selected in a feature set."""

    name = "_norm_spectrum"

    def frame_lld_names(self):
        return [f"_norm_spectrum_{k:03d}" for k in range(self.config.n_fft // 2 + 1)]

    def frame_values(self, ctx):
        return ctx.cached(_UNIT_MAGNITUDE, lambda: unit_magnitude(ctx.power_spectrum()))  # see SpectralShape


class SpectralFlux(Family):
    """Stage 2: ``||u[t] - u[t-1]||_2`` of consecutive unit-L2-norm magnitude spectra (0..sqrt(2));
    0 for the first frame; 1 between silence and sound, 0 between silent frames."""

    name = "spectral_flux"
    requires = ("_norm_spectrum",)

    def sequence_lld_names(self):
        return ["spectral_flux"]

    def sequence_values(self, seq):
        return spectral_flux(seq.lld("_norm_spectrum"))[:, None], None


class Chroma(Family):
    """12 pitch classes (C first) of the shared n_fft power spectrum, librosa's ``chroma_stft``
    (filterbank ``librosa.filters.chroma``, tuning 0, each frame scaled to maximum 1); silence 0."""

    name = "chroma"

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        self._filterbank = chroma_filterbank(float(config.sampling_rate), config.n_fft, 12, 0.0, 5.0, 2.0, True)

    def frame_lld_names(self):
        return [f"chroma_{pc}" for pc in PITCH_CLASSES]

    def frame_values(self, ctx):
        return chroma(ctx.power_spectrum(), self._filterbank)


# ---------------------------------------------------------------------------------------------
# Rhythm (stage 2).


class OnsetStrength(Family):
    """Stage 2: mean over mel bands of the positive log-mel (dB) rise from the previous frame
    (librosa's ``onset_strength`` on the log-mel spectrum, lag 1, no centring delay); 0 for the
    first frame."""

    name = "onset_strength"
    requires = ("logmel",)

    def sequence_lld_names(self):
        return ["onset_strength"]

    def sequence_values(self, seq):
        onset = onset_strength(seq.lld("logmel"))[:, None]
        seq.add(self.name, onset)
        return onset, None


class BeatHistogram(Family):
    """Utterance level: tempo (BPM, autocorrelation of the onset envelope with librosa's log-normal
    prior) and beat-histogram statistics (Tzanetakis & Cook 2002) over ``min_bpm..max_bpm``; see
    ``kernels.rhythm.beat_histogram``. All 0 without periodicity (silence, < 0.2 s)."""

    name = "beat_histogram"
    requires = ("onset_strength",)

    @dataclasses.dataclass(frozen=True)
    class Params:
        min_bpm: float = 30.0  # histogram range, BPM
        max_bpm: float = 300.0
        prior_bpm: float = 120.0
        prior_octaves: float = 1.0

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        if not (0.0 < params.min_bpm < params.max_bpm and params.prior_bpm > 0.0 and params.prior_octaves > 0.0):
            raise UsageError(f"beat_histogram: need 0 < min_bpm < max_bpm and a positive prior, not {params}")

    def utterance_names(self):
        return list(BEAT_HISTOGRAM_NAMES)

    def sequence_values(self, seq):
        p = self.params
        values = beat_histogram(
            np.ascontiguousarray(seq.lld("onset_strength")[:, 0]),
            self.config.sampling_rate / self.config.hop_length,
            float(p.min_bpm), float(p.max_bpm), float(p.prior_bpm), float(p.prior_octaves),
        )
        return None, values


FAMILY_CLASSES = (
    TemporalCentroid,
    SignalVariance,
    LogEnergy,
    SpectralShape,
    SpectralContrast,
    NormSpectrum,
    SpectralFlux,
    Chroma,
    OnsetStrength,
    BeatHistogram,
)
