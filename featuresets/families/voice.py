"""Voice-source and production descriptors: pitch, voice quality, LPC / LPCC, Teager energy.

Families (see each class): ``pitch`` and ``voice_quality`` (YIN f0 and voicing per frame; jitter,
shimmer, HNR per voiced frame; statistics over voiced frames per utterance), ``lpc`` and
``lpcc`` (from the shared power spectrum), ``teo`` (Teager energy statistics of the analysis
frame) and ``teo_cb`` (TEO-CB-Auto-Env, 16 critical bands).

Frame-level columns of ``pitch`` and ``voice_quality`` are 0 in unvoiced frames (openSMILE's
convention for F0 and jitter); their utterance-level values use voiced frames only.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from featuresets.families.base import Family, NoParams
from kernels.lpc import lpc_basis, lpc_from_power_t, lpcc_from_lpc
from kernels.pitch import pitch_column_stats, pitch_frame_columns, yin, yin_margin
from kernels.teager import CRITICAL_BAND_EDGES_HZ, teo_cb_auto_env_hop, teo_cb_tables
from kernels.voice_quality import voice_quality_frames, voiced_mean_std

#: Reference of the semitone scale (A0, as eGeMAPS): ``12 log2(f0 / 27.5 Hz)``.
SEMITONE_REFERENCE_HZ = 27.5
_PERCENTILES = (10, 25, 50, 75, 90)


def _check(condition: bool, message: str) -> None:
    # TypeError: the configuration turns it into a UsageError naming the family.
    if not condition:
        raise TypeError(message)


@dataclasses.dataclass(frozen=True)
class PitchParams:
    """YIN settings and the voicing decision.

    ``frame_length`` samples (64 ms at 16 kHz) centred on each hop. ``decimation`` 4 chooses the
    YIN trough at 4 kHz and refines the period at 16 kHz: on EMO-DB's voiced frames 98.9 % agree
    with ``librosa.yin`` within 1 % (0.9 % octave errors); 2 (8 kHz) gives 99.6 % (0.2 %) for
    ~2x the pitch cost; 1 is librosa's full-rate YIN (~6x). A frame is voiced when its
    voicing probability ``1 - CMND`` is at least ``voicing_threshold`` (0.5 agrees best with
    ``librosa.pyin``'s voiced flags on EMO-DB: 87 % of frames). Voiced segments are counted
    after a majority vote over ``segment_smoothing_frames`` frames (1: none).
    """

    fmin_hz: float = 60.0
    fmax_hz: float = 500.0
    frame_length: int = 1024
    trough_threshold: float = 0.1
    voicing_threshold: float = 0.5
    decimation: int = 4
    segment_smoothing_frames: int = 5

    def __post_init__(self):
        # f0 >= ~fmin, so fmin >= 30 Hz keeps every voiced semitone value above 0 (0 = unvoiced)
        _check(30.0 <= self.fmin_hz < self.fmax_hz, "pitch: need 30 <= fmin_hz < fmax_hz")
        _check(self.decimation in (1, 2, 4), "pitch: decimation must be 1, 2 or 4")
        _check(self.frame_length > 0 and self.frame_length % (2 * self.decimation) == 0,
               "pitch: frame_length must be a positive multiple of 2 * decimation")
        _check(0.0 <= self.voicing_threshold <= 1.0, "pitch: voicing_threshold must be in [0, 1]")
        _check(self.segment_smoothing_frames >= 1 and self.segment_smoothing_frames % 2 == 1,
               "pitch: segment_smoothing_frames must be odd and >= 1")


def _pitch_context(params: PitchParams) -> int:
    return params.frame_length + 2 * yin_margin(params.decimation)


def _yin_block(ctx, params: PitchParams):
    """(f0 Hz, voicing probability, period, nacf) of the block's frames, computed once per block."""

    def compute():
        signal = ctx.signal(_pitch_context(params))  # the block's signal under the pitch frames (a view)
        return yin(signal, params.frame_length, ctx.config.hop_length, float(ctx.config.sampling_rate),
                   params.fmin_hz, params.fmax_hz, params.trough_threshold, params.decimation,
                   params.voicing_threshold)

    return ctx.cached(("yin", params), compute)


class Pitch(Family):
    """F0 by YIN and voicing probability per frame; f0 statistics and voicing rhythm per utterance.

    Frame LLDs (``(n_frames, 2)``): ``f0_semitone`` = ``12 log2(f0 / 27.5 Hz)`` in voiced frames,
    0 in unvoiced ones; ``voicing_prob`` = ``clip(1 - CMND, 0, 1)`` of YIN's chosen trough (0 for
    digital silence).

    Utterance values over voiced frames (semitones re 27.5 Hz): mean, std, min, max, range,
    percentiles 10/25/50/75/90, slope (semitones per second, least squares against frame time);
    ``voiced_fraction`` (voiced frames / frames), ``voiced_segment_rate`` (runs of voiced frames
    per second) and ``voiced_segment_mean_s`` (mean run length in seconds), both after a
    5-frame majority vote on the voicing. Durations count frames x hop. Without a voiced frame
    every value is 0 (the slope also with a single one, the segment values when the vote leaves
    no run).
    """

    name = "pitch"
    Params = PitchParams

    @property
    def context_length(self):
        return _pitch_context(self.params)

    def frame_lld_names(self):
        return ["f0_semitone", "voicing_prob"]

    def utterance_names(self):
        stats = ["mean", "std", "min", "max", "range"] + [f"p{p}" for p in _PERCENTILES] + ["slope"]
        return [f"f0_semitone_voiced_{s}" for s in stats] + [
            "voiced_fraction", "voiced_segment_rate", "voiced_segment_mean_s",
        ]

    def frame_values(self, ctx):
        f0, prob, _, _ = _yin_block(ctx, self.params)
        return pitch_frame_columns(f0, prob, self.params.voicing_threshold, SEMITONE_REFERENCE_HZ)

    def sequence_values(self, seq):
        frame_s = self.config.hop_length / self.config.sampling_rate
        return None, pitch_column_stats(seq.lld(self.name), self.params.voicing_threshold, frame_s,
                                        self.params.segment_smoothing_frames)


@dataclasses.dataclass(frozen=True)
class VoiceQualityParams:
    """Peak search window ``T (1 +- search_tolerance)``; the HNR is clipped to ``[hnr_min_db, hnr_max_db]``."""

    search_tolerance: float = 0.2
    hnr_min_db: float = -30.0
    hnr_max_db: float = 60.0

    def __post_init__(self):
        _check(0.0 < self.search_tolerance < 0.5, "voice_quality: search_tolerance must be in (0, 0.5)")
        _check(self.hnr_min_db < self.hnr_max_db, "voice_quality: need hnr_min_db < hnr_max_db")


class VoiceQuality(Family):
    """Local jitter, local shimmer and HNR per voiced frame; their mean and std over voiced frames.

    Uses the ``pitch`` family's YIN period and voicing (its parameters). Frame LLDs
    (``(n_frames, 3)``), 0 in unvoiced frames: ``jitter_local`` and ``shimmer_local``
    (dimensionless ratios, see ``kernels.voice_quality``: cycle peaks picked around the YIN
    period inside the 64 ms frame), ``hnr_db`` = ``10 log10(r / (1 - r))`` with ``r`` the
    normalised autocorrelation at the period (Boersma 1993), clipped to [-30, 60] dB.
    Utterance values: mean and std of each over voiced frames (0 without any).
    """

    name = "voice_quality"
    Params = VoiceQualityParams
    requires = ("pitch",)

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        self.pitch_params = config.params_of("pitch")

    @property
    def context_length(self):
        return _pitch_context(self.pitch_params)

    def frame_lld_names(self):
        return ["jitter_local", "shimmer_local", "hnr_db"]

    def utterance_names(self):
        return [f"{name}_voiced_{stat}" for name in self.frame_lld_names() for stat in ("mean", "std")]

    def frame_values(self, ctx):
        pp, vq = self.pitch_params, self.params
        f0, prob, period, nacf = _yin_block(ctx, pp)
        # voiced: prob >= threshold (in float32, as Pitch's numpy comparison) and f0 > 0
        return voice_quality_frames(ctx.signal(_pitch_context(pp)), pp.frame_length, self.config.hop_length,
                                    yin_margin(pp.decimation), f0, prob, np.float32(pp.voicing_threshold), period,
                                    nacf, vq.search_tolerance, vq.hnr_min_db, vq.hnr_max_db)

    def sequence_values(self, seq):
        pitch = seq.lld("pitch")
        voiced = (pitch[:, 1] >= self.pitch_params.voicing_threshold) & (pitch[:, 0] > 0)
        return None, voiced_mean_std(seq.lld(self.name), np.ascontiguousarray(voiced))


@dataclasses.dataclass(frozen=True)
class LpcParams:
    """All-pole model order and the pre-emphasis ``1 - mu z^-1`` (applied to the windowed frame)."""

    order: int = 12
    pre_emphasis: float = 0.97

    def __post_init__(self):
        _check(self.order >= 1, "lpc: order must be >= 1")
        _check(0.0 <= self.pre_emphasis < 1.0, "lpc: pre_emphasis must be in [0, 1)")


def _check_lpc_fits(config, order: int) -> None:
    # the autocorrelation read off the zero-padded power spectrum is exact up to this lag
    if order > config.n_fft - config.frame_length - 1:
        raise ValueError(f"LPC order {order} needs n_fft >= frame_length + order + 1 "
                         f"(n_fft {config.n_fft}, frame_length {config.frame_length})")


def _lpc_block(ctx, order: int, pre_emphasis: float, basis: np.ndarray) -> np.ndarray:
    """``lpc_from_power(power, n_fft, order, pre_emphasis)`` of the block (``basis`` =
    ``lpc_basis(n_fft, order, pre_emphasis)``), computed once per block for lpc and lpcc."""
    return ctx.cached(("lpc", order, pre_emphasis), lambda: lpc_from_power_t(ctx.power_t(), basis, order))


class Lpc(Family):
    """LPC coefficients ``a_1..a_p`` of ``A(z) = 1 + sum a_k z^-k``, ``(n_frames, order)``.

    Autocorrelation method on the Hann-windowed analysis frame pre-emphasised by 0.97 (from the
    shared power spectrum), Levinson-Durbin; 0 for silent frames.
    """

    name = "lpc"
    Params = LpcParams

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        _check_lpc_fits(config, params.order)
        self._basis = lpc_basis(config.n_fft, params.order, float(params.pre_emphasis))

    def frame_lld_names(self):
        return [f"lpc_{k:02d}" for k in range(1, self.params.order + 1)]

    def frame_values(self, ctx):
        return _lpc_block(ctx, self.params.order, self.params.pre_emphasis, self._basis).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class LpccParams:
    """The LPC model (as ``LpcParams``) and the number of cepstral coefficients ``c_1..c_n``."""

    order: int = 12
    pre_emphasis: float = 0.97
    n_cepstra: int = 12

    def __post_init__(self):
        _check(self.order >= 1, "lpcc: order must be >= 1")
        _check(0.0 <= self.pre_emphasis < 1.0, "lpcc: pre_emphasis must be in [0, 1)")
        _check(self.n_cepstra >= 1, "lpcc: n_cepstra must be >= 1")


class Lpcc(Family):
    """LPC cepstrum ``c_1..c_12`` of the all-pole model ``1 / A(z)`` (no gain term), ``(n_frames, n_cepstra)``."""

    name = "lpcc"
    Params = LpccParams

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        _check_lpc_fits(config, params.order)
        self._basis = lpc_basis(config.n_fft, params.order, float(params.pre_emphasis))

    def frame_lld_names(self):
        return [f"lpcc_{k:02d}" for k in range(1, self.params.n_cepstra + 1)]

    def frame_values(self, ctx):
        a = _lpc_block(ctx, self.params.order, self.params.pre_emphasis, self._basis)
        return lpcc_from_lpc(a, self.params.n_cepstra)


class Teo(Family):
    """Teager energy inside the analysis frame (no window): mean, std, ``10 log10(max(mean |psi|, 1e-10))``.

    ``(n_frames, 3)``; mean and std in squared sample units, the log in dB (-100 dB for silence).
    """

    name = "teo"
    Params = NoParams

    def frame_lld_names(self):
        return ["teo_mean", "teo_std", "teo_log_abs_mean_db"]

    def frame_values(self, ctx):
        return ctx.time_statistics()[:, 5:8]  # = teo_frame_stats(ctx.frames(), 1e-10)


@dataclasses.dataclass(frozen=True)
class TeoCbParams:
    """Frame (Hann, ``frame_length`` samples centred on each hop), band edges in Hz, lags averaged."""

    frame_length: int = 256
    band_edges_hz: tuple[float, ...] = CRITICAL_BAND_EDGES_HZ
    n_lags: int = 128

    def __post_init__(self):
        _check(self.frame_length >= 4 and self.frame_length % 2 == 0, "teo_cb: frame_length must be even and >= 4")
        edges = tuple(self.band_edges_hz)
        _check(len(edges) >= 2 and all(0 < a < b for a, b in zip(edges, edges[1:])),
               "teo_cb: band_edges_hz must be at least two increasing positive frequencies")
        _check(1 <= self.n_lags <= self.frame_length, "teo_cb: need 1 <= n_lags <= frame_length")


class TeoCb(Family):
    """TEO-CB-Auto-Env (Zhou, Hansen & Kaiser 2001) per critical band, ``(n_frames, n_bands)``.

    16 Gabor band-pass filters on Zwicker's critical bands 100-3700 Hz applied to the Hann-windowed
    16 ms frame in the DFT domain; the normalised autocorrelation of each band's Teager energy
    profile averaged over lags 0..127 (see ``kernels.teager``). Dimensionless, ~(0, 1]; 0 for a
    silent band.
    """

    name = "teo_cb"
    Params = TeoCbParams

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        self.tables = teo_cb_tables(params.frame_length, float(config.sampling_rate),
                                    np.asarray(params.band_edges_hz, dtype=np.float64), params.n_lags)

    @property
    def context_length(self):
        return self.params.frame_length

    def frame_lld_names(self):
        return [f"teo_cb_auto_env_{b:02d}" for b in range(1, len(self.params.band_edges_hz))]

    def frame_values(self, ctx):
        length = self.params.frame_length
        return teo_cb_auto_env_hop(ctx.signal(length), self.config.hop_length, ctx.n_frames, *self.tables)


FAMILY_CLASSES = (Pitch, VoiceQuality, Lpc, Lpcc, Teo, TeoCb)
