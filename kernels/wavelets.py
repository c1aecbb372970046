"""Wavelet descriptors: a per-frame discrete wavelet transform (DWT) and Morlet CWT scale energies.

* ``dwt_periodization`` is PyWavelets' ``pywt.wavedec(x, wavelet, mode='periodization', level=L)``
  of every frame, packed like ``np.concatenate(pywt.wavedec(...))`` (``[cA_L, cD_L, ..., cD_1]``).
* ``dwt_subband_features`` (``dwt_subband_features_hop``: frames read in place from a signal)
  gives, per frame, the log energy and the normalised Shannon entropy of every sub-band of that
  DWT without storing the coefficients.
* ``morlet_filterbank`` turns a power spectrum into energies of the continuous wavelet transform
  (real Morlet wavelet, PyWavelets' ``'morl'``) at chosen scales, by Parseval's theorem.
"""

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.extending import intrinsic

from kernels.modulation import (
    _LN2,
    _Q0,
    _Q1,
    _Q2,
    _Q3,
    _Q4,
    _Q5,
    _Q6,
    _Q7,
    FAST_FLAGS,
    ln_inplace,
)

#: Daubechies-4 (8 taps) decomposition low-pass filter, PyWavelets' ``pywt.Wavelet('db4').dec_lo``.
DB4_DEC_LO = np.array([
    -0.010597401785069032, 0.0328830116668852, 0.030841381835560764, -0.18703481171909309,
    -0.027983769416859854, 0.6308807679298589, 0.7148465705529157, 0.2303778133088965,
])


def quadrature_mirror(dec_lo: np.ndarray) -> np.ndarray:
    """Decomposition high-pass filter of an orthogonal wavelet from its low-pass one.

    ``dec_hi[k] = (-1)**(k+1) * dec_lo[L-1-k]`` (PyWavelets' convention: ``Wavelet('db4').dec_hi``).
    """
    dec_lo = np.asarray(dec_lo, dtype=np.float64)
    length = dec_lo.shape[0]
    signs = np.where(np.arange(length) % 2 == 0, -1.0, 1.0)
    return signs * dec_lo[::-1]


DB4_DEC_HI = quadrature_mirror(DB4_DEC_LO)

#: Bits of the float32 nearest sqrt(1/2): x - this, shifted right by 23, is k with x = m 2**k,
#: m in [sqrt(1/2), sqrt(2)) (the range reduction of musl's logf).
_SQRT_HALF_BITS32 = np.int32(0x3F3504F3)

#: ``ln_inplace``'s polynomial and ln 2 in float32 (``_subband_sums``).
_LN2_32 = np.float32(_LN2)
_P0, _P1, _P2, _P3 = np.float32(_Q0), np.float32(_Q1), np.float32(_Q2), np.float32(_Q3)
_P4, _P5, _P6, _P7 = np.float32(_Q4), np.float32(_Q5), np.float32(_Q6), np.float32(_Q7)

#: SIMD reductions and fused multiply-adds allowed (see ``kernels.modulation.FAST_FLAGS``).
_FAST = FAST_FLAGS


@numba.njit(cache=True, nogil=True, inline="always", fastmath=_FAST, error_model="numpy")
def _analysis_step(src, n, rev_lo, rev_hi, even, odd, approx, detail):
    """One periodized DWT level of ``src[:n]`` (n even) into ``approx[:n//2]`` and ``detail[:n//2]``.

    PyWavelets' periodization: ``a[i] = sum_k dec_lo[k] * x[(2i + L/2 - k) mod n]`` (``detail``
    likewise with ``dec_hi``). With ``rev = dec[::-1]`` and ``e`` = ``x`` extended periodically by
    ``L/2 - 1`` samples at each end, ``a[i] = sum_m rev[m] * e[2i + m]``; ``e`` is split into its
    even and odd samples so every inner loop runs over contiguous memory (SIMD-friendly).
    """
    taps = rev_lo.shape[0]
    half = n // 2
    if taps == 8 and n >= 8:
        # db4 and other 8-tap wavelets (pad = 3), written with constant offsets so that LLVM
        # vectorises both loops (a runtime pad made the split 4x slower).
        even[0] = src[n - 3]
        odd[0] = src[n - 2]
        even[1] = src[n - 1]
        odd[1] = src[0]
        for q in range(2, half + 1):
            even[q] = src[2 * q - 3]
            odd[q] = src[2 * q - 2]
        even[half + 1] = src[n - 1]
        odd[half + 1] = src[0]
        even[half + 2] = src[1]
        odd[half + 2] = src[2]
        l0, l1, l2, l3 = rev_lo[0], rev_lo[1], rev_lo[2], rev_lo[3]
        l4, l5, l6, l7 = rev_lo[4], rev_lo[5], rev_lo[6], rev_lo[7]
        h0, h1, h2, h3 = rev_hi[0], rev_hi[1], rev_hi[2], rev_hi[3]
        h4, h5, h6, h7 = rev_hi[4], rev_hi[5], rev_hi[6], rev_hi[7]
        for i in range(half):
            e0 = even[i]
            o0 = odd[i]
            e1 = even[i + 1]
            o1 = odd[i + 1]
            e2 = even[i + 2]
            o2 = odd[i + 2]
            e3 = even[i + 3]
            o3 = odd[i + 3]
            approx[i] = l0 * e0 + l1 * o0 + l2 * e1 + l3 * o1 + l4 * e2 + l5 * o2 + l6 * e3 + l7 * o3
            detail[i] = h0 * e0 + h1 * o0 + h2 * e1 + h3 * o1 + h4 * e2 + h5 * o2 + h6 * e3 + h7 * o3
        return
    # General filter length: even[q] = e[2q], odd[q] = e[2q+1], e[p] = x[(p - pad) mod n].
    pad = taps // 2 - 1
    for q in range(half + pad):
        even[q] = src[(2 * q - pad) % n]
        odd[q] = src[(2 * q + 1 - pad) % n]
    for i in range(half):
        acc_a = 0.0
        acc_d = 0.0
        for j in range(taps // 2):
            ve = even[i + j]
            vo = odd[i + j]
            acc_a += rev_lo[2 * j] * ve + rev_lo[2 * j + 1] * vo
            acc_d += rev_hi[2 * j] * ve + rev_hi[2 * j + 1] * vo
        approx[i] = acc_a
        detail[i] = acc_d


@numba.njit(cache=True, nogil=True)
def _validate(frame_length, window_length, level, taps):
    if window_length != frame_length:
        raise ValueError("window length must equal the frame length")
    if level < 1:
        raise ValueError("level must be >= 1")
    if taps < 2 or taps % 2:
        raise ValueError("the wavelet filters need an even number of taps")
    if frame_length % (1 << level):
        raise ValueError("frame length must be a multiple of 2**level")


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def dwt_periodization(frames, window, level, dec_lo, dec_hi):
    """Multilevel DWT (periodization mode) of every windowed frame.

    Equals ``np.concatenate(pywt.wavedec(frame * window, wavelet, mode='periodization',
    level=level))`` per frame, for an orthogonal wavelet with decomposition filters ``dec_lo`` /
    ``dec_hi`` (e.g. ``DB4_DEC_LO`` / ``DB4_DEC_HI``); float64 arithmetic, float32 result.

    Parameters
    ----------
    frames : (n_frames, frame_length) float32, ``frame_length`` a multiple of ``2**level``
    window : (frame_length,) float32, e.g. ``hann_window(frame_length)`` or ones
    level : int >= 1, number of decomposition levels
    dec_lo, dec_hi : (L,) float64, L even

    Returns
    -------
    coefficients : (n_frames, frame_length) float32, input unit. Columns
        ``[0, n/2**level)`` are ``cA_level``, then ``cD_level`` (same length), ``cD_{level-1}``
        (twice as long), ..., ``cD_1`` (the last ``frame_length / 2`` columns).
    """
    n_frames = frames.shape[0]
    frame_length = frames.shape[1]
    taps = dec_lo.shape[0]
    _validate(frame_length, window.shape[0], level, taps)
    out = np.empty((n_frames, frame_length), dtype=np.float32)
    src = np.empty(frame_length, dtype=np.float64)
    approx = np.empty(frame_length // 2, dtype=np.float64)
    detail = np.empty(frame_length // 2, dtype=np.float64)
    even = np.empty(frame_length // 2 + taps, dtype=np.float64)
    odd = np.empty(frame_length // 2 + taps, dtype=np.float64)
    rev_lo = dec_lo[::-1].astype(np.float64)
    rev_hi = dec_hi[::-1].astype(np.float64)
    for t in range(n_frames):
        for i in range(frame_length):
            src[i] = np.float64(frames[t, i]) * np.float64(window[i])
        n = frame_length
        for _ in range(level):
            _analysis_step(src, n, rev_lo, rev_hi, even, odd, approx, detail)
            half = n // 2
            # cD of this level occupies columns [half, n) of the packed layout.
            for i in range(half):
                out[t, half + i] = detail[i]
                src[i] = approx[i]
            n = half
        for i in range(n):
            out[t, i] = src[i]
    return out


@intrinsic
def _float32_bits(typingctx, x):
    """The IEEE-754 bits of a float32 as an int32 (a register move: the loop stays SIMD)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def _bits_float32(typingctx, x):
    """The float32 whose IEEE-754 bits are the int32 ``x``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@numba.njit(cache=True, nogil=True, inline="always", fastmath=_FAST, error_model="numpy")
def _subband_sums(coef, n, floor):
    """``(S, sum e ln e)`` of ``coef[:n]`` (float32) with ``e = c**2``, ``S = sum e``
    (``0 ln 0 = 0``), computed in float32 (16 SIMD lanes), returned as float64.

    The second sum is 0 when ``S <= floor``. ``ln e`` is ``ln_inplace``'s (exponent from the bits,
    degree-7 polynomial of the mantissa in [sqrt(1/2), sqrt(2))) evaluated in float32 (polynomial
    error < 8e-8; the float32 rounding of ``ln e``, ~6e-8 of ``|ln e|``, dominates): a libm call
    per coefficient would cost more than the transform itself. Computed in the same pass as the
    sums (one loop, SIMD; the bit casts are register moves, ``_float32_bits``). Against float64
    sums, on EMO-DB the entropies move by < 2e-6 and the energies by a float32 ulp of the dB value.
    """
    energy = np.float32(0.0)
    acc = np.float32(0.0)
    for i in range(n):
        c = coef[i]
        e = c * c
        bits = _float32_bits(e)
        k = (bits - _SQRT_HALF_BITS32) >> np.int32(23)  # e = m 2**k with m in [sqrt(1/2), sqrt(2))
        u = _bits_float32(np.int32(bits - (k << np.int32(23)))) - np.float32(1.0)  # m - 1
        u2 = u * u
        u4 = u2 * u2
        q = (_P0 + _P1 * u) + u2 * (_P2 + _P3 * u) + u4 * ((_P4 + _P5 * u) + u2 * (_P6 + _P7 * u))
        energy += e
        # (e = 0: m = 1, a term of 0; subnormal e: a wrong but finite log times e < 1.2e-38)
        acc += e * (np.float32(k) * _LN2_32 + u * q)
    if np.float64(energy) <= floor:
        return np.float64(energy), 0.0
    return np.float64(energy), np.float64(acc)


@numba.njit(cache=True, nogil=True)
def dwt_subband_features(frames, window, level, dec_lo, dec_hi, floor=1e-10):
    """Log energy and Shannon entropy of every DWT sub-band of every windowed frame.

    ``dwt_subband_features_hop`` of the rows of ``frames`` laid end to end (a contiguous copy
    first if ``frames`` is a strided view).

    Parameters
    ----------
    frames : (n_frames, frame_length) float32, ``frame_length`` a multiple of ``2**level``
    window, level, dec_lo, dec_hi, floor : as for ``dwt_subband_features_hop``

    Returns
    -------
    features : (n_frames, 2 * (level + 1)) float32, as ``dwt_subband_features_hop``.
    """
    n_frames = frames.shape[0]
    frame_length = frames.shape[1]
    _validate(frame_length, window.shape[0], level, dec_lo.shape[0])
    signal = np.ascontiguousarray(frames).reshape(n_frames * frame_length)
    return dwt_subband_features_hop(signal, frame_length, n_frames, window, level, dec_lo, dec_hi, floor)


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def dwt_subband_features_hop(signal, hop_length, n_frames, window, level, dec_lo, dec_hi, floor=1e-10):
    """Log energy and Shannon entropy of every DWT sub-band of every windowed frame of a signal.

    Frame ``t`` is ``signal[t * hop_length : t * hop_length + frame_length]`` (``frame_length =
    window.shape[0]``), read in place: a family passes the block's signal rather than a strided
    frame view (in the extractor, a contiguous copy of that view cost ~0.15 us per frame, a
    sixth of the transform).

    The transform is ``dwt_periodization``'s (PyWavelets' ``wavedec(..., mode='periodization')``)
    computed in float32 (window products, filters, coefficients: twice the SIMD lanes of float64),
    and so are the per-coefficient energies, logarithms and their sums (``_subband_sums``; the
    sub-band logarithms and entropies are float64). The transform's rounding errors are ~1e-7 of
    the frame's RMS, so they matter only for sub-bands far below the frame's total energy: against
    float64, up to 1.3e-3 dB and 6.5e-5 in entropy on EMO-DB speech (sub-bands 60-80 dB below the
    total; 3e-5 dB within 40 dB of it; tests/test_kernels_wavelets.py); the float32 sums add
    < 2e-6 in entropy.
    Sub-bands in PyWavelets' order ``[A_level, D_level, ..., D_1]``; at 16 kHz with ``level=5``
    they span roughly 0-250, 250-500, 500-1k, 1-2k, 2-4k and 4-8 kHz.

    * energy: ``10 * log10(max(sum c**2, floor))`` dB (input unit squared; floor 1e-10 -> -100 dB;
      logarithms from the vectorised ``ln_inplace``, error < 2e-7 dB);
    * entropy: Shannon entropy of the normalised coefficient energies ``p_i = c_i**2 / sum c**2``
      divided by ``ln(n_coefficients)``, so it lies in [0, 1] (1: energy spread evenly over the
      sub-band's coefficients; 0: all in one coefficient). Defined as 0 when the sub-band energy
      is <= ``floor`` (e.g. digital silence).

    Parameters
    ----------
    signal : (>= (n_frames - 1) * hop_length + frame_length,) float32, contiguous
    hop_length : int >= 1, samples between frame starts
    n_frames : int >= 0
    window : (frame_length,) float32, applied before the transform; ``frame_length`` a multiple
        of ``2**level``
    level : int >= 1
    dec_lo, dec_hi : (L,) float64 decomposition filters (e.g. ``DB4_DEC_LO``, ``DB4_DEC_HI``)
    floor : float > 0, energy floor

    Returns
    -------
    features : (n_frames, 2 * (level + 1)) float32: the ``level + 1`` log energies (dB) in
        sub-band order, then the ``level + 1`` normalised entropies (dimensionless).
    """
    frame_length = window.shape[0]
    taps = dec_lo.shape[0]
    _validate(frame_length, frame_length, level, taps)
    if not floor > 0.0:
        raise ValueError("floor must be > 0")
    if n_frames < 0 or hop_length < 1 or (n_frames and signal.shape[0] < (n_frames - 1) * hop_length + frame_length):
        raise ValueError("need hop_length >= 1 and a signal long enough for n_frames frames")
    n_bands = level + 1
    out = np.empty((n_frames, 2 * n_bands), dtype=np.float32)
    # The transform and the per-coefficient sums run in float32 (twice the SIMD lanes of
    # float64); the sub-band logs and entropies in float64.
    src = np.empty(frame_length, dtype=np.float32)
    approx = np.empty(frame_length, dtype=np.float32)  # swapped with src after each level
    detail = np.empty(frame_length // 2, dtype=np.float32)
    even = np.empty(frame_length // 2 + taps, dtype=np.float32)
    odd = np.empty(frame_length // 2 + taps, dtype=np.float32)
    rev_lo = dec_lo[::-1].astype(np.float32)
    rev_hi = dec_hi[::-1].astype(np.float32)
    win = window.astype(np.float32)
    # Per frame and sub-band: energy S and sum e ln e; after the frames, ln S of all of them in
    # one vectorised log call (level + 1 values per frame are too few for SIMD); the constant
    # 1 / ln(n_coefficients) per sub-band.
    energies = np.empty((n_frames, n_bands), dtype=np.float64)
    sums = np.empty((n_frames, n_bands), dtype=np.float64)
    inv_log_count = np.empty(n_bands, dtype=np.float64)
    inv_log_count[0] = 1.0 / np.log(frame_length >> level) if (frame_length >> level) > 1 else 0.0
    for j in range(level):
        count = frame_length >> (j + 1)
        inv_log_count[level - j] = 1.0 / np.log(count) if count > 1 else 0.0
    to_db = 10.0 / np.log(10.0)
    for t in range(n_frames):
        frame = signal[t * hop_length:t * hop_length + frame_length]
        for i in range(frame_length):
            src[i] = frame[i] * win[i]
        n = frame_length
        for j in range(level):
            _analysis_step(src, n, rev_lo, rev_hi, even, odd, approx, detail)
            half = n // 2
            band = level - j  # D_1 is the last sub-band
            energies[t, band], sums[t, band] = _subband_sums(detail, half, floor)
            src, approx = approx, src  # the next level's input
            n = half
        energies[t, 0], sums[t, 0] = _subband_sums(src, n, floor)
    total = n_frames * n_bands
    log_energies = np.empty(total, dtype=np.float64)
    exponents = np.empty(total, dtype=np.float64)
    flat_energies = energies.reshape(total)
    for i in range(total):
        log_energies[i] = max(flat_energies[i], floor)
    ln_inplace(log_energies, log_energies.view(np.int64), exponents, total)
    for t in range(n_frames):
        for b in range(n_bands):
            log_energy = log_energies[t * n_bands + b]
            out[t, b] = log_energy * to_db
            entropy = 0.0
            if energies[t, b] > floor:
                # -sum p ln p = ln S - sum e ln e / S, normalised by ln(n_coefficients)
                entropy = (log_energy - sums[t, b] / energies[t, b]) * inv_log_count[b]
                entropy = min(max(entropy, 0.0), 1.0)
            out[t, n_bands + b] = entropy
    return out


# ------------------------------------------------------------------------------------------- CWT

#: Centre angular frequency (rad per unit time) of PyWavelets' real Morlet ``'morl'``:
#: ``psi(t) = exp(-t**2 / 2) * cos(5 t)``.
MORLET_OMEGA0 = 5.0


@numba.njit(cache=True, nogil=True)
def morlet_scales(frequencies_hz, sampling_rate):
    """Scales (in samples) whose Morlet spectra peak at ``frequencies_hz``: ``s = 5 fs / (2 pi f)``.

    The peak of ``|Psi(s w)|`` is at ``s w = 5`` rad. (PyWavelets' ``scale2frequency('morl', s)``
    uses a numerically estimated centre frequency of 0.8125 instead of ``5 / (2 pi) = 0.7958``
    cycles per unit, i.e. its frequencies are 2.1 % higher for the same scale.)

    Parameters
    ----------
    frequencies_hz : (n_scales,) float, Hz, > 0
    sampling_rate : float, Hz

    Returns
    -------
    scales : (n_scales,) float64, samples.
    """
    scales = np.empty(frequencies_hz.shape[0], dtype=np.float64)
    for i in range(frequencies_hz.shape[0]):
        f = np.float64(frequencies_hz[i])
        if not f > 0.0:
            raise ValueError("frequencies must be > 0")
        scales[i] = MORLET_OMEGA0 * sampling_rate / (2.0 * np.pi * f)
    return scales


@numba.njit(cache=True, nogil=True)
def morlet_filterbank(scales, n_fft, rel_floor=1e-4):
    """Weights that turn a one-sided power spectrum into Morlet CWT energies per scale.

    For a real frame ``x`` (length <= ``n_fft``, zero-padded) with ``X = rfft(x, n_fft)``, the CWT
    ``W(s, b) = s**-0.5 * sum_n x[n] psi((n - b) / s)`` with PyWavelets' real Morlet
    ``psi(t) = exp(-t**2/2) cos(5t)`` has, by Parseval, the energy over all translations ``b``

        E(s) = sum_b W(s, b)**2 = (1 / n_fft) * sum_{k=0}^{n_fft-1} |X_k|**2 * s * Psi(s w_k)**2,

    ``w_k = 2 pi k / n_fft`` (rad/sample, folded to [-pi, pi)), ``Psi(w) = sqrt(pi/2) *
    (exp(-(w-5)**2/2) + exp(-(w+5)**2/2))`` the wavelet's Fourier transform. This routine returns
    the one-sided weights ``c_k * s * Psi(s w_k)**2 / n_fft`` (``c_k`` = 1 at DC and Nyquist, 2
    elsewhere), so ``E = power @ filterbank.T`` (``apply_filterbank``). The sum samples the
    continuous-frequency integral at the FFT bins; for scales whose spectral width
    (``1 / s`` rad) is below a few bins the result is approximate (see tests). Weights below
    ``rel_floor`` times a row's maximum are set to 0 so the rows are sparse (1e-4: the Gaussian
    ``exp(-(s w - 5)**2)`` is cut at ``|s w - 5| = 3.03``, losing 2e-5 of a row's weight).
    With this (L2) normalisation white noise has the same expected energy at every scale.

    Parameters
    ----------
    scales : (n_scales,) float64, samples (``morlet_scales``)
    n_fft : int > 0
    rel_floor : float >= 0

    Returns
    -------
    filterbank : (n_scales, n_fft // 2 + 1) float32, dimensionless (energy of ``x`` per unit of
        ``|X|**2``).
    """
    n_bins = n_fft // 2 + 1
    n_scales = scales.shape[0]
    bank = np.zeros((n_scales, n_bins), dtype=np.float32)
    norm = np.sqrt(np.pi / 2.0)
    row = np.empty(n_bins, dtype=np.float64)
    for j in range(n_scales):
        s = scales[j]
        if not s > 0.0:
            raise ValueError("scales must be > 0")
        peak = 0.0
        for k in range(n_bins):
            w = 2.0 * np.pi * k / n_fft
            a = s * w
            psi = norm * (np.exp(-0.5 * (a - MORLET_OMEGA0) ** 2) + np.exp(-0.5 * (a + MORLET_OMEGA0) ** 2))
            c = 1.0 if (k == 0 or 2 * k == n_fft) else 2.0
            row[k] = c * s * psi * psi / n_fft
            if row[k] > peak:
                peak = row[k]
        for k in range(n_bins):
            if row[k] > rel_floor * peak:
                bank[j, k] = row[k]
    return bank
