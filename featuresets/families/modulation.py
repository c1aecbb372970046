"""Modulation spectral, wavelet and Fourier-parameter descriptors (issue 3).

* ``msf``: modulation spectral features (Wu, Falk & Chan 2011), utterance-level, from the shared
  log-mel bands (``logmel``).
* ``dwt``: per-frame db4 DWT sub-band log energies and entropies.
* ``cwt``: per-frame Morlet CWT scale energies (Shegokar & Sircar 2016).
* ``fourier_params``: harmonic levels and their first/second differences (Wang et al. 2015).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emovox.errors import UsageError
from featuresets.families.base import Family
from kernels.fourier_params import (
    autocorrelation_pitch_t,
    autocorrelation_pitch_plan,
    harmonic_differences,
    harmonic_levels,
)
from kernels.framing import hann_window
from kernels.mel import filterbank_db_t
from kernels.modulation import (
    MSF_MEASURES,
    modulation_band_edges,
    modulation_spectral_vector,
)
from kernels.wavelets import (
    DB4_DEC_HI,
    DB4_DEC_LO,
    dwt_subband_features_hop,
    morlet_filterbank,
    morlet_scales,
)


#: Power floor of ``harmonic_levels`` (its default, passed explicitly: numba's dispatcher takes a
#: slow path for calls that omit default arguments, numba #6173 / #7615).
HARMONIC_FLOOR = 1e-10


def _hz_label(value: float) -> str:
    return f"{value:g}hz"


class ModulationSpectralFeatures(Family):
    """Modulation spectral features (MSF), utterance-level.

    After Wu, Falk & Chan, Speech Communication 53 (2011) 768-785 (Sec. 2-3: a critical-band
    filterbank, each band's temporal envelope, its modulation spectrum in octave-spaced modulation
    bands over long frames, then features of the acoustic x modulation energy map).

    * Acoustic bands (stage 1, shared): adjacent pairs of the ``logmel`` bands (40 Slaney mel
      bands, 0-8 kHz, area-normalised, of the 25 ms / 10 ms power spectrum; a pair spans about one
      critical band, 0.8-1.5 Bark; 20 bands). Computed anyway for the default set, so MSF adds no
      per-frame work. This filterbank stands in for the paper's gammatone bank.
    * Envelope of acoustic band ``j`` (linear amplitude, not log): ``sqrt`` of the summed power of
      its mel bands, from the dB values; sampled every 10 ms, so modulation up to the 50 Hz
      envelope Nyquist is visible; the 25 ms window attenuates envelope modulation by ~0.6 dB at
      16 Hz and ~2.2 dB at 32 Hz.
    * Modulation spectrum (stage 2, ``kernels.modulation.modulation_energies``): Welch average
      over Hann-windowed segments of ``window_frames`` (1.28 s, resolution 0.78 Hz) every
      ``hop_frames`` (0.64 s, 50 % overlap), mean removed per segment; an utterance shorter than
      one segment is zero-padded around its centre.
    * Modulation bands: octave-wide, centres 2, 4, 8, 16, 32 Hz, edges ``c / sqrt 2 .. c sqrt 2``
      (1.41 .. 45.3 Hz). ``E(j, k)``: mean square of envelope ``j`` in modulation band ``k``.

    Utterance values:

    * ``msf_energy_acJJ_modKhz`` (20 x 5): ``10 log10(max(E(j, k), 1e-10))`` dB, the mean
      modulation energy of every acoustic x modulation band (the paper's first feature type);
    * ``msf_{measure}_modKhz`` (5 x 6): per modulation band, measures across the acoustic bands
      (``kernels.modulation.modulation_spectral_measures``): total_energy (dB), centroid and spread
      (acoustic band index), flatness, crest, slope (dB per band).

    Silence or a 1-frame signal gives ``E = 0``: -100 dB energies and the flat-spectrum measures
    documented in ``modulation_spectral_measures``.
    """

    name = "msf"
    requires = ("logmel",)

    @dataclass(frozen=True)
    class Params:
        mel_bands_per_band: int = 2  # acoustic band = this many adjacent log-mel bands
        window_frames: int = 128  # 1.28 s at a 10 ms hop
        hop_frames: int = 64  # 0.64 s: 50 % overlap (Welch)
        modulation_centres_hz: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 32.0)
        floor: float = 1e-10

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        if params.mel_bands_per_band < 1:
            raise UsageError(f"feature set {config.name!r}: msf mel_bands_per_band must be >= 1")
        self.n_bands = -(-config.n_mels // params.mel_bands_per_band)
        self.frame_rate_hz = config.sampling_rate / config.hop_length
        self.band_edges_hz = modulation_band_edges(np.asarray(params.modulation_centres_hz, dtype=np.float64))
        lowest = self.frame_rate_hz / params.window_frames  # bin 1: DC leaks into bins 0 and 1
        if (
            params.window_frames < 4 or params.hop_frames < 1 or not len(params.modulation_centres_hz)
            or self.band_edges_hz[:, 0].min() <= lowest or self.band_edges_hz[:, 1].max() > self.frame_rate_hz / 2
        ):
            raise UsageError(
                f"feature set {config.name!r}: msf modulation bands must lie above {lowest:g} Hz and below the "
                f"envelope Nyquist {self.frame_rate_hz / 2:g} Hz (band edges are centre / sqrt 2 .. centre * sqrt 2)"
            )
        self._mod_labels = [_hz_label(c) for c in params.modulation_centres_hz]

    def utterance_names(self):
        energy = [f"msf_energy_ac{j:02d}_mod{m}" for j in range(self.n_bands) for m in self._mod_labels]
        measures = [f"msf_{name}_mod{m}" for m in self._mod_labels for name in MSF_MEASURES]
        return energy + measures

    def envelopes(self, log_mel_db: np.ndarray) -> np.ndarray:
        """``(n_frames, n_bands)`` float32 amplitude envelopes from ``(n_frames, n_mels)`` dB."""
        power = np.exp(log_mel_db * np.float32(np.log(10.0) / 10.0), dtype=np.float32)
        group = self.params.mel_bands_per_band
        pad = -power.shape[1] % group
        if pad:
            power = np.concatenate([power, np.zeros((power.shape[0], pad), np.float32)], axis=1)
        total = power[:, 0::group].copy()
        for i in range(1, group):
            total += power[:, i::group]
        return np.sqrt(total)

    def sequence_values(self, seq):
        # modulation_energies, its dB values and modulation_spectral_measures in one kernel call
        # (numpy's SIMD exp keeps the envelopes here: Numba's scalar exp cost twice as much)
        p = self.params
        return None, modulation_spectral_vector(
            self.envelopes(seq.lld("logmel")), self.frame_rate_hz, p.window_frames, p.hop_frames,
            self.band_edges_hz, float(p.floor),
        )


class DiscreteWavelet(Family):
    """db4 DWT sub-band log energies and entropies of each centred frame, ``(n_frames, 12)``.

    Each frame of ``frame_length`` samples (default 384 = 24 ms, centred on the hop grid) is
    multiplied by a periodic Hann window and decomposed with ``pywt.wavedec(x, 'db4',
    mode='periodization', level=5)`` (``kernels.wavelets.dwt_subband_features``). Sub-bands
    ``a5, d5, d4, d3, d2, d1`` cover about 0-0.25, 0.25-0.5, 0.5-1, 1-2, 2-4, 4-8 kHz at 16 kHz
    (12 coefficients in ``a5`` and ``d5``). 384 rather than 512 samples: the largest multiple of
    ``2**5`` inside the shared 400-sample analysis frame, so the DWT does not widen the context
    every family is framed with (a 512-sample context cost ~0.2 ms per second of audio in
    framing alone).
    Columns ``dwt_logenergy_<band>`` (dB, floor -100 dB) then ``dwt_entropy_<band>`` (Shannon
    entropy of the normalised coefficient energies over ``ln(n_coefficients)``, in [0, 1]; 0 for
    a sub-band at the energy floor, e.g. silence).
    """

    name = "dwt"

    @dataclass(frozen=True)
    class Params:
        frame_length: int = 384
        level: int = 5
        floor: float = 1e-10

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        length, level = params.frame_length, params.level
        if level < 1 or length <= 0 or length % (1 << level):
            raise UsageError(
                f"feature set {config.name!r}: dwt frame_length must be a positive multiple of 2**level"
            )
        self.window = hann_window(params.frame_length)
        self._bands = [f"a{params.level}"] + [f"d{j}" for j in range(params.level, 0, -1)]

    @property
    def context_length(self) -> int:
        return self.params.frame_length

    def frame_lld_names(self):
        return [f"dwt_logenergy_{b}" for b in self._bands] + [f"dwt_entropy_{b}" for b in self._bands]

    def frame_values(self, ctx):
        # frames read in place from the block's signal (a copy of the strided frame view cost
        # ~0.15 us per frame more)
        length = self.params.frame_length
        return dwt_subband_features_hop(
            ctx.signal(length), self.config.hop_length, ctx.n_frames, self.window, self.params.level,
            DB4_DEC_LO, DB4_DEC_HI, float(self.params.floor),
        )


class ContinuousWavelet(Family):
    """Morlet CWT scale energies of each analysis frame in dB, ``(n_frames, n_scales)``.

    After Shegokar & Sircar, "Continuous wavelet transform based speech emotion recognition",
    ICSPCS 2016. Real Morlet wavelet ``exp(-t**2/2) cos(5t)`` (PyWavelets' ``'morl'``) at
    ``n_scales`` scales whose spectra peak at frequencies geometrically spaced from ``fmin_hz`` to
    ``fmax_hz`` (12 scales, 100 Hz .. 4 kHz, ~0.48 octave apart). The energy of the CWT of the
    Hann-windowed 25 ms frame at each scale, summed over all translations, is computed in the
    frequency domain from the shared power spectrum (``kernels.wavelets.morlet_filterbank``:
    ``E(s) = sum_k |X_k|**2 s |Psi(s w_k)|**2 / n_fft``), then ``10 log10(max(E, 1e-10))``.
    Columns ``cwt_logenergy_<f>hz``.
    """

    name = "cwt"

    @dataclass(frozen=True)
    class Params:
        fmin_hz: float = 100.0
        fmax_hz: float = 4000.0
        n_scales: int = 12
        floor: float = 1e-10

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        if params.n_scales < 1 or not 0.0 < params.fmin_hz <= params.fmax_hz < config.sampling_rate / 2:
            raise UsageError(
                f"feature set {config.name!r}: cwt needs n_scales >= 1 and 0 < fmin_hz <= fmax_hz < Nyquist"
            )
        self.frequencies_hz = np.geomspace(params.fmin_hz, params.fmax_hz, params.n_scales)
        scales = morlet_scales(self.frequencies_hz, float(config.sampling_rate))
        self.filterbank = morlet_filterbank(scales, config.n_fft)

    def frame_lld_names(self):
        return [f"cwt_logenergy_{f:.0f}hz" for f in self.frequencies_hz]

    def frame_values(self, ctx):
        return filterbank_db_t(ctx.power_t(), self.filterbank, float(self.params.floor))


class FourierParameters(Family):
    """Fourier-parameter features: harmonic levels and their differences.

    After Wang, An, Li, Zhang & Li, IEEE Trans. Affective Computing 6(1) 2015. Stage 1, per
    25 ms frame, from the shared power spectrum (``kernels.fourier_params``):

    * ``fp_voicing``: normalised autocorrelation at the chosen F0 lag, in [0, 1] (0: silence);
      F0 comes from a self-contained spectral autocorrelation estimate (75-500 Hz, signal
      low-passed at 1.5 kHz, ``kernels.fourier_params.autocorrelation_pitch``); a frame is voiced
      when ``fp_voicing >= voicing_threshold`` (0.6);
    * ``fp_hNN`` (N = 12): level of harmonic NN in dB re the total power of the 12 harmonics
      (scale-invariant, powers sum to 1; -100 dB above Nyquist); unvoiced frames get the flat
      value ``-10 log10(12) = -10.8`` dB in every column. (The paper's exact normalisation could
      not be checked here; relative to the total rather than to H1 so that every column carries
      information: re H1, ``fp_h01`` would be constant.)

    Stage 2: ``fp_hNN_d1`` = ``h[t] - h[t-1]`` and ``fp_hNN_d2`` = ``d1[t] - d1[t-1]``, set to 0
    unless every frame involved (2 resp. 3 consecutive frames) is voiced.
    """

    name = "fourier_params"

    @dataclass(frozen=True)
    class Params:
        n_harmonics: int = 12
        fmin_hz: float = 75.0
        fmax_hz: float = 500.0
        cutoff_hz: float = 1500.0
        lag_step: int = 3  # samples
        voicing_threshold: float = 0.6
        octave_cost: float = 0.1

    def __init__(self, config, params, setup):
        super().__init__(config, params, setup)
        problem = None
        if params.n_harmonics < 1 or params.lag_step < 1:
            problem = "n_harmonics >= 1 and lag_step >= 1"
        elif not 0.0 < params.fmin_hz < params.fmax_hz < params.cutoff_hz <= config.sampling_rate / 2:
            problem = "0 < fmin_hz < fmax_hz < cutoff_hz <= Nyquist"
        else:
            try:
                self._plan = autocorrelation_pitch_plan(
                    setup.window, config.n_fft, float(config.sampling_rate), params.fmin_hz, params.fmax_hz,
                    params.cutoff_hz, params.lag_step,
                )
            except ValueError as error:
                problem = f"a pitch search it can run ({error})"
        if problem:
            raise UsageError(f"feature set {config.name!r}: fourier_params needs {problem}; fix its family_params")
        self._h = [f"fp_h{h:02d}" for h in range(1, params.n_harmonics + 1)]

    def frame_lld_names(self):
        return ["fp_voicing"] + self._h

    def sequence_lld_names(self):
        return [f"{h}_d1" for h in self._h] + [f"{h}_d2" for h in self._h]

    def frame_values(self, ctx):
        p = self.params
        power = ctx.power_spectrum()
        f0, voicing = autocorrelation_pitch_t(  # = autocorrelation_pitch(power, ...), all frames at once
            ctx.power_t(), *self._plan, float(self.config.sampling_rate), p.fmin_hz, p.voicing_threshold,
            p.octave_cost,
        )
        levels = harmonic_levels(power, f0, p.n_harmonics, float(self.config.sampling_rate), self.config.n_fft,
                                 HARMONIC_FLOOR)
        return np.concatenate([voicing[:, None], levels], axis=1)

    def sequence_values(self, seq):
        # = voiced_differences of the levels, then of those over pairs of voiced frames
        return harmonic_differences(seq.lld(self.name), float(self.params.voicing_threshold)), None


FAMILY_CLASSES = (ModulationSpectralFeatures, DiscreteWavelet, ContinuousWavelet, FourierParameters)
