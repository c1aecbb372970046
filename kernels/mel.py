"""Mel scale, mel filterbank, and log (dB) compression.

Formulas follow librosa 0.11 (``librosa.hz_to_mel``, ``librosa.mel_to_hz``,
``librosa.filters.mel``, ``librosa.power_to_db``).
"""

import numba
import numpy as np

from kernels.modulation import ln_inplace
from kernels.stft import support, weighted_sums_t

# Slaney (Auditory Toolbox) mel scale: linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3.0  # Hz per mel in the linear part
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # = 15 mel
_LOGSTEP = np.log(6.4) / 27.0  # natural-log step per mel in the log part


@numba.njit(cache=True, nogil=True)
def _hz_to_mel_scalar(frequency_hz, htk):
    if htk:
        return 2595.0 * np.log10(1.0 + frequency_hz / 700.0)
    if frequency_hz >= _MIN_LOG_HZ:
        return _MIN_LOG_MEL + np.log(frequency_hz / _MIN_LOG_HZ) / _LOGSTEP
    return frequency_hz / _F_SP


@numba.njit(cache=True, nogil=True)
def _mel_to_hz_scalar(mel, htk):
    if htk:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    if mel >= _MIN_LOG_MEL:
        return _MIN_LOG_HZ * np.exp(_LOGSTEP * (mel - _MIN_LOG_MEL))
    return _F_SP * mel


@numba.vectorize(["float64(float64, boolean)"], cache=True)
def _hz_to_mel_ufunc(frequency_hz, htk):
    return _hz_to_mel_scalar(frequency_hz, htk)


@numba.vectorize(["float64(float64, boolean)"], cache=True)
def _mel_to_hz_ufunc(mel, htk):
    return _mel_to_hz_scalar(mel, htk)


@numba.njit(cache=True, nogil=True)
def hz_to_mel(frequency_hz, htk):
    """Convert frequency in Hz to mel (librosa's ``hz_to_mel``).

    ``htk=True``: ``2595 * log10(1 + f / 700)``.
    ``htk=False`` (Slaney, librosa's default): ``f / (200/3)`` below 1 kHz,
    ``15 + ln(f / 1000) / (ln(6.4) / 27)`` from 1 kHz up.

    Parameters
    ----------
    frequency_hz : float scalar, or float array of any shape, Hz
    htk : bool

    Returns
    -------
    mel : float (for a scalar) or float64 array of the input's shape, mel.
        float64 on purpose: used to design filterbanks, not on per-frame data.
    """
    return _hz_to_mel_ufunc(frequency_hz, htk)


@numba.njit(cache=True, nogil=True)
def mel_to_hz(mel, htk):
    """Convert mel to frequency in Hz (inverse of ``hz_to_mel``).

    Parameters
    ----------
    mel : float scalar, or float array of any shape, mel
    htk : bool

    Returns
    -------
    frequency_hz : float (for a scalar) or float64 array of the input's shape, Hz.
    """
    return _mel_to_hz_ufunc(mel, htk)


@numba.njit(cache=True, nogil=True)
def mel_filterbank(sampling_rate, n_fft, n_mels, fmin_hz, fmax_hz, htk, slaney_norm):
    """Triangular mel filterbank, identical to ``librosa.filters.mel``.

    Equivalent call: ``librosa.filters.mel(sr=sampling_rate, n_fft=n_fft,
    n_mels=n_mels, fmin=fmin_hz, fmax=fmax_hz, htk=htk,
    norm='slaney' if slaney_norm else None)``. ``n_mels + 2`` edge frequencies
    are spaced uniformly in mel between ``fmin_hz`` and ``fmax_hz``; filter ``m``
    rises from edge ``m`` to ``m+1`` and falls to ``m+2`` (weights computed in
    float64). With ``slaney_norm`` each triangle is scaled by
    ``2 / (f[m+2] - f[m])`` (f in Hz) for roughly constant energy per channel;
    otherwise the peak weight is at most 1.

    Parameters
    ----------
    sampling_rate : float, Hz
    n_fft : int > 0, samples
    n_mels : int > 0
    fmin_hz, fmax_hz : float, Hz, ``0 <= fmin_hz < fmax_hz`` (usually
        ``fmax_hz = sampling_rate / 2``; there is no implicit default).
    htk : bool, HTK mel formula instead of Slaney's
    slaney_norm : bool, area (Slaney) normalisation

    Returns
    -------
    filterbank : (n_mels, n_fft // 2 + 1) float32, weights per FFT bin
        (dimensionless without norm, 1/Hz with ``slaney_norm``).
    """
    if n_mels <= 0 or n_fft <= 0:
        raise ValueError("n_mels and n_fft must be > 0")
    if not (fmin_hz >= 0.0 and fmax_hz > fmin_hz):
        raise ValueError("need 0 <= fmin_hz < fmax_hz")
    n_bins = n_fft // 2 + 1
    # Same construction as librosa: np.linspace in mel, then back to Hz.
    min_mel = _hz_to_mel_scalar(float(fmin_hz), htk)
    max_mel = _hz_to_mel_scalar(float(fmax_hz), htk)
    mels = np.linspace(min_mel, max_mel, n_mels + 2)
    edges_hz = np.empty(n_mels + 2, dtype=np.float64)
    for i in range(n_mels + 2):
        edges_hz[i] = _mel_to_hz_scalar(mels[i], htk)
    # np.fft.rfftfreq(n_fft, 1 / sampling_rate)
    bin_step = 1.0 / (n_fft * (1.0 / sampling_rate))
    filterbank = np.zeros((n_mels, n_bins), dtype=np.float32)
    for m in range(n_mels):
        f_lo = edges_hz[m]
        f_c = edges_hz[m + 1]
        f_hi = edges_hz[m + 2]
        d_lo = f_c - f_lo
        d_hi = f_hi - f_c
        scale = 2.0 / (f_hi - f_lo) if slaney_norm else 1.0
        for k in range(n_bins):
            f = k * bin_step
            lower = (f - f_lo) / d_lo
            upper = (f_hi - f) / d_hi
            w = min(lower, upper)
            if w > 0.0:
                filterbank[m, k] = w * scale
    return filterbank


@numba.njit(cache=True, nogil=True)
def apply_filterbank(power, filterbank):
    """Project a power spectrogram onto a filterbank: ``power @ filterbank.T``.

    Sums run in float64 over each filter's non-zero bin range only (mel filters
    are sparse), so the cost is ~ n_frames * (total filter support), not
    n_frames * n_mels * n_bins.

    Parameters
    ----------
    power : (n_frames, n_bins) float32
        Power spectrum, e.g. from ``power_spectrum``.
    filterbank : (n_filters, n_bins) float32
        E.g. from ``mel_filterbank``.

    Returns
    -------
    band_power : (n_frames, n_filters) float32, in the unit of ``power``
        times the filterbank's unit.
    """
    n_frames = power.shape[0]
    n_bins = power.shape[1]
    n_filters = filterbank.shape[0]
    if filterbank.shape[1] != n_bins:
        raise ValueError("filterbank has a different number of bins than power")
    # Non-zero support of every filter, found once per call.
    first = np.zeros(n_filters, dtype=np.int64)
    stop = np.zeros(n_filters, dtype=np.int64)
    for m in range(n_filters):
        lo = n_bins
        hi = 0
        for k in range(n_bins):
            if filterbank[m, k] != 0.0:
                if k < lo:
                    lo = k
                hi = k + 1
        if hi > lo:
            first[m] = lo
            stop[m] = hi
    out = np.empty((n_frames, n_filters), dtype=np.float32)
    for t in range(n_frames):
        for m in range(n_filters):
            acc = 0.0
            for k in range(first[m], stop[m]):
                acc += np.float64(power[t, k]) * np.float64(filterbank[m, k])
            out[t, m] = acc
    return out


@numba.njit(cache=True, nogil=True)
def power_to_db(power, amin=1e-10):
    """Power to decibels: ``10 * log10(max(power, amin))`` (reference power 1.0).

    No ``top_db`` clipping: that needs the maximum over a whole file, which
    breaks block-wise processing. Equals
    ``librosa.power_to_db(power, ref=1.0, amin=amin, top_db=None)``.

    Parameters
    ----------
    power : float32 array of any shape, non-negative power
    amin : float > 0, floor applied before the log (1e-10 -> -100 dB)

    Returns
    -------
    db : float32 array of the same shape, dB re 1.0.
    """
    if not amin > 0.0:
        raise ValueError("amin must be > 0")
    out = np.empty(power.size, dtype=np.float32)
    i = 0
    for v in power.flat:
        x = np.float64(v)
        if x < amin:
            x = amin
        out[i] = 10.0 * np.log10(x)
        i += 1
    return out.reshape(power.shape)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def filterbank_db_t(power_t, filterbank, floor):
    """Filterbank energies in dB from the transposed power spectrum: ``10 log10(max(power @
    filterbank.T, floor))``.

    The band energies are ``apply_filterbank``'s exact sums (float64, each filter's non-zero bins
    in increasing order, no fused multiply-adds), computed for all frames at once
    (``weighted_sums_t``); the logarithm is ``ln_inplace`` (vectorised, absolute error < 4e-8,
    i.e. < 2e-7 dB), so the result equals ``power_to_db(apply_filterbank(power, filterbank),
    floor)`` to ~1 float32 ulp, and a frame's values do not depend on the other frames.

    Parameters
    ----------
    power_t : (n_bins, n_frames) float32, ``transpose_frames(power)``
    filterbank : (n_filters, n_bins) float32, weights (e.g. ``mel_filterbank``)
    floor : float > 0, in the unit of the band energies (1e-10 -> -100 dB)

    Returns
    -------
    energies_db : (n_frames, n_filters) float32, dB re 1.
    """
    n_bins = power_t.shape[0]
    n_frames = power_t.shape[1]
    n_filters = filterbank.shape[0]
    if filterbank.shape[1] != n_bins:
        raise ValueError("filterbank has a different number of bins than the power spectrum")
    if not floor > 0.0:
        raise ValueError("floor must be > 0")
    first, stop = support(filterbank)
    acc = np.empty((n_filters, n_frames), dtype=np.float64)
    weighted_sums_t(power_t, filterbank.astype(np.float64), first, stop, acc)
    flat = acc.reshape(-1)
    for i in range(flat.shape[0]):
        if not flat[i] > floor:
            flat[i] = floor
    ln_inplace(flat, flat.view(np.int64), np.empty(flat.shape[0], dtype=np.float64), flat.shape[0])
    out = np.empty((n_frames, n_filters), dtype=np.float32)
    to_db = 10.0 / np.log(10.0)
    for t in range(n_frames):
        dst = out[t]
        for m in range(n_filters):
            dst[m] = acc[m, t] * to_db
    return out
