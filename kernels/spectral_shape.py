"""Spectral shape descriptors of a power spectrogram.

Centroid, bandwidth and roll-off follow librosa 0.11 given the MAGNITUDE spectrum
(``librosa.feature.spectral_*(S=np.abs(stft))``), flatness follows
``librosa.feature.spectral_flatness(S=np.abs(stft), power=2.0)``, contrast follows
``librosa.feature.spectral_contrast(S=np.abs(stft))`` without its ``top_db`` clipping. All
kernels take the POWER spectrum (``power_spectrum`` output) and take square roots where the
definition is on magnitudes. Flux (consecutive frames) is ``spectral_flux`` on
``unit_magnitude`` spectra (or the same values from ``spectral_shape_unit``, which computes them
in ``spectral_shape``'s pass over the power spectrum).
"""

import numba
import numpy as np

#: Floor of the power before logs (flatness, entropy) and of contrast peaks/valleys: librosa's amin.
AMIN = 1e-10

# float32 bit patterns, for the vectorisable log2 in ``spectral_shape``.
_MANTISSA_MASK = np.int32(0x007FFFFF)
_ONE_BITS = np.int32(0x3F800000)  # exponent field of 1.0f
_SQRT2_32 = np.float32(np.sqrt(2.0))
# ln(m) = 2 atanh(s), s = (m - 1) / (m + 1): odd series coefficients 2/1, 2/3, ..., 2/9.
_C1 = np.float32(2.0)
_C3 = np.float32(2.0 / 3.0)
_C5 = np.float32(2.0 / 5.0)
_C7 = np.float32(2.0 / 7.0)
_C9 = np.float32(2.0 / 9.0)
_INV_LN2 = 1.0 / np.log(2.0)
_BLOCK = 16  # bins per partial sum when searching the roll-off
# Reassociation only (no nnan/ninf/approximate functions): lets LLVM vectorise the float64
# reductions; results stay deterministic for a given machine, whatever the block size.
# error_model="numpy" drops the per-division zero check that blocks vectorisation (every
# division below is guarded or by a non-zero constant).
_FASTMATH = {"reassoc", "contract"}


_DB_PER_OCTAVE = 10.0 * np.log10(2.0)
_MANTISSA_MASK64 = np.int64(0x000FFFFFFFFFFFFF)
_ONE_BITS64 = np.int64(0x3FF0000000000000)
_SQRT2 = np.sqrt(2.0)


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _log2_positive(x):
    """``log2`` of a 1-D float64 array of positive normal numbers, vectorisable.

    Exact exponent from the bit pattern, plus ``2 atanh((m-1)/(m+1)) / ln 2`` of the mantissa
    ``m`` in [sqrt(.5), sqrt(2)) by its odd series to s**9 (absolute error < 2e-9).
    """
    n = x.shape[0]
    xc = np.ascontiguousarray(x)
    bits = xc.view(np.int64)
    mant_bits = np.empty(n, dtype=np.int64)
    expo = np.empty(n, dtype=np.float64)
    for i in range(n):
        b = bits[i]
        expo[i] = np.float64((b >> 52) - 1023)
        mant_bits[i] = (b & _MANTISSA_MASK64) | _ONE_BITS64
    mant = mant_bits.view(np.float64)
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        m = mant[i]
        e = expo[i]
        if m > _SQRT2:
            m *= 0.5
            e += 1.0
        s = (m - 1.0) / (m + 1.0)
        s2 = s * s
        ln_m = s * (2.0 + s2 * (2.0 / 3.0 + s2 * (0.4 + s2 * (2.0 / 7.0 + s2 * (2.0 / 9.0)))))
        out[i] = e + ln_m * _INV_LN2
    return out


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def spectral_shape(power, bin_frequencies_hz, roll_percents, amin=AMIN):
    """Centroid, bandwidth, flatness, entropy and roll-off frequencies of every frame.

    With ``M_k = sqrt(P_k)`` the magnitude and ``f_k`` the bin frequency:

    * centroid ``c = sum(f_k M_k) / sum(M_k)`` in Hz (librosa's ``spectral_centroid``);
    * bandwidth ``sqrt(sum(M_k (f_k - c)**2) / sum(M_k))`` in Hz (``spectral_bandwidth``,
      p=2, centred on the same centroid);
    * flatness ``exp(mean(ln Q_k)) / mean(Q_k)`` with ``Q_k = max(P_k, amin)`` (``spectral_flatness``
      with power=2), dimensionless in (0, 1];
    * entropy: Shannon entropy of ``q_k = Q_k / sum(Q)`` in bits, divided by ``log2(n_bins)``
      so that a flat spectrum gives 1 (range 0..1); on the same floored ``Q`` as flatness;
    * roll-off: for each ``r`` in ``roll_percents``, the frequency of the first bin where the
      cumulative MAGNITUDE sum reaches ``r * sum(M)`` (``spectral_rolloff``), in Hz.

    Digital silence (all ``P_k = 0``): centroid, bandwidth and roll-offs 0 Hz (as librosa),
    flatness 1 and entropy 1 (the floored spectrum is flat).

    Logs use the exact binary exponent plus an odd (atanh) series for the mantissa in float32
    (absolute error < 1e-7 per bin), which vectorises where numba's ``log`` would not (no SVML);
    sums run in float64, reassociated for vectorisation (deterministic per frame on a given
    machine).

    Parameters
    ----------
    power : (n_frames, n_bins) float32, power spectrum (e.g. ``power_spectrum`` output)
    bin_frequencies_hz : (n_bins,) float, Hz of each bin (``k * sampling_rate / n_fft``)
    roll_percents : (n_roll,) float64, each in (0, 1], e.g. ``[0.85, 0.95]``
    amin : float > 0, floor of the power for flatness and entropy

    Returns
    -------
    features : (n_frames, 4 + n_roll) float32, columns centroid (Hz), bandwidth (Hz),
        flatness, entropy (normalised bits), then one roll-off (Hz) per ``roll_percents``.
    """
    n_frames = power.shape[0]
    n_bins = power.shape[1]
    _check_shape_args(n_bins, bin_frequencies_hz, amin)
    out = np.empty((n_frames, 4 + roll_percents.shape[0]), dtype=np.float32)
    _shape_into(power, bin_frequencies_hz, roll_percents, amin, out, np.empty((0, 0), dtype=np.float32))
    return out


@numba.njit(cache=True, nogil=True)
def spectral_shape_unit(power, bin_frequencies_hz, roll_percents, amin):
    """``spectral_shape`` and ``unit_magnitude`` of the same power spectrum in one pass.

    Parameters
    ----------
    power, bin_frequencies_hz, roll_percents, amin : as ``spectral_shape``

    Returns
    -------
    features : (n_frames, 4 + n_roll) float32, ``spectral_shape(power, ...)``
    unit : (n_frames, n_bins) float32, ``unit_magnitude(power)`` (the same values up to the order
        of a float64 sum: within one float32 rounding step)
    """
    n_frames = power.shape[0]
    n_bins = power.shape[1]
    _check_shape_args(n_bins, bin_frequencies_hz, amin)
    out = np.empty((n_frames, 4 + roll_percents.shape[0]), dtype=np.float32)
    unit = np.empty((n_frames, n_bins), dtype=np.float32)
    _shape_into(power, bin_frequencies_hz, roll_percents, amin, out, unit)
    return out, unit


@numba.njit(cache=True, nogil=True)
def _check_shape_args(n_bins, bin_frequencies_hz, amin):
    if bin_frequencies_hz.shape[0] != n_bins:
        raise ValueError("bin_frequencies_hz must have one entry per bin")
    if not amin > 0.0:
        raise ValueError("amin must be > 0")


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _shape_into(power, bin_frequencies_hz, roll_percents, amin, out, unit):
    """``spectral_shape`` into ``out``; also ``unit_magnitude`` into ``unit`` unless it has no rows."""
    n_frames = power.shape[0]
    n_bins = power.shape[1]
    n_roll = roll_percents.shape[0]
    with_unit = unit.shape[0] > 0
    if n_frames == 0 or n_bins == 0:
        return
    p32 = np.ascontiguousarray(power)
    bits = p32.view(np.int32)
    amin32 = np.float32(amin)
    amin_bits = np.array([amin32]).view(np.int32)[0]
    amin64 = np.float64(amin32)
    freq = bin_frequencies_hz.astype(np.float64)
    n_blocks = (n_bins + _BLOCK - 1) // _BLOCK
    mag = np.zeros(n_blocks * _BLOCK, dtype=np.float64)
    mant_bits = np.empty(n_bins, dtype=np.int32)
    mant = mant_bits.view(np.float32)
    block_cum = np.empty(n_blocks, dtype=np.float64)
    inv_log2_bins = 1.0 / np.log2(n_bins) if n_bins > 1 else 0.0
    for t in range(n_frames):
        # Pass 1: magnitudes (float32 sqrt: 16 lanes, correctly rounded) and their moments in
        # float64; the floored powers' mantissas (the bit patterns with a zero exponent field).
        sm = 0.0
        smf = 0.0
        smf2 = 0.0
        for k in range(n_bins):
            m = np.float64(np.sqrt(p32[t, k]))
            mag[k] = m
            mf = m * freq[k]
            sm += m
            smf += mf
            smf2 += mf * freq[k]
        for k in range(n_bins):
            b = max(bits[t, k], amin_bits)
            mant_bits[k] = (b & _MANTISSA_MASK) | _ONE_BITS
        # Pass 2: log2 of the floored power = exponent (from its bits, read again: cheaper than
        # storing it in pass 1) + log2(mantissa in [sqrt(.5), sqrt(2))),
        # the mantissa's log by the atanh series in float32 (abs. error < 1e-7 per bin, summed
        # in float64).
        s_log = 0.0
        s_q = 0.0
        s_qlog = 0.0
        s_p = 0.0
        for k in range(n_bins):
            m = mant[k]
            e = np.float64((max(bits[t, k], amin_bits) >> 23) - 127)
            if m > _SQRT2_32:
                m *= np.float32(0.5)
                e += 1.0
            s = (m - np.float32(1.0)) / (m + np.float32(1.0))
            s2 = s * s
            ln_m = s * (_C1 + s2 * (_C3 + s2 * (_C5 + s2 * (_C7 + s2 * _C9))))
            log2_q = e + np.float64(ln_m) * _INV_LN2
            p = np.float64(p32[t, k])
            q = p if p > amin64 else amin64
            s_log += log2_q
            s_q += q
            s_qlog += q * log2_q
            s_p += p
        if with_unit:  # unit_magnitude's values, from the magnitudes at hand
            scale = 1.0 / np.sqrt(s_p) if s_p > 0.0 else 0.0
            dst = unit[t]
            for k in range(n_bins):
                dst[k] = mag[k] * scale
        if sm > 0.0:
            centroid = smf / sm
            var = smf2 / sm - centroid * centroid
            out[t, 0] = centroid
            out[t, 1] = np.sqrt(var) if var > 0.0 else 0.0
        else:
            out[t, 0] = 0.0
            out[t, 1] = 0.0
        flatness = np.exp2(s_log / n_bins) / (s_q / n_bins)
        out[t, 2] = min(max(flatness, 0.0), 1.0)
        entropy = (np.log2(s_q) - s_qlog / s_q) * inv_log2_bins
        out[t, 3] = min(max(entropy, 0.0), 1.0)
        # Roll-off: sums per block of _BLOCK bins, their running total, then one block's running
        # sum; crossings are found by counting (branch-free) instead of a scan with an exit.
        cum_blocks = 0.0
        for j in range(n_blocks):
            acc = 0.0
            base = j * _BLOCK
            for i in range(_BLOCK):  # constant trip count: unrolled; mag is zero-padded
                acc += mag[base + i]
            cum_blocks += acc
            block_cum[j] = cum_blocks
        for r in range(n_roll):
            threshold = roll_percents[r] * sm
            jb = 0
            for j in range(n_blocks):
                jb += block_cum[j] < threshold
            if jb >= n_blocks:
                found = n_bins - 1
            else:
                cum = block_cum[jb - 1] if jb > 0 else 0.0
                first = jb * _BLOCK
                stop = min(first + _BLOCK, n_bins)
                below = 0
                # the whole block (constant trip count: unrolled): past stop, mag's zero padding
                # leaves cum as it is, and the extra counts are clipped to stop - 1 below
                for i in range(_BLOCK):
                    cum += mag[first + i]
                    below += cum < threshold
                found = min(first + below, stop - 1)
            out[t, 4 + r] = freq[found]


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def unit_magnitude(power):
    """Magnitude spectra scaled to unit Euclidean norm: ``sqrt(P) / sqrt(sum(P))``.

    The input of ``spectral_flux``. A frame without energy stays all zeros.

    Parameters
    ----------
    power : (n_frames, n_bins) float32, power spectrum

    Returns
    -------
    unit : (n_frames, n_bins) float32, dimensionless, each row of L2 norm 1 (or 0).
    """
    n_frames = power.shape[0]
    n_bins = power.shape[1]
    out = np.empty((n_frames, n_bins), dtype=np.float32)
    for t in range(n_frames):
        total = 0.0
        for k in range(n_bins):
            total += np.float64(power[t, k])
        # float32 sqrt (16 lanes, correctly rounded), then one float64 scaling; 0 for silence.
        scale = 1.0 / np.sqrt(total) if total > 0.0 else 0.0
        for k in range(n_bins):
            out[t, k] = np.float64(np.sqrt(power[t, k])) * scale
    return out


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def spectral_flux(unit_spectra):
    """Spectral flux: Euclidean distance between consecutive unit-norm magnitude spectra.

    ``flux[t] = || u[t] - u[t-1] ||_2`` for ``t >= 1`` and ``flux[0] = 0``, with ``u`` from
    ``unit_magnitude`` (so 0 <= flux <= sqrt(2); a step between silence and sound gives 1,
    silence to silence 0).

    Parameters
    ----------
    unit_spectra : (n_frames, n_bins) float32, rows of unit (or zero) L2 norm

    Returns
    -------
    flux : (n_frames,) float32, dimensionless.
    """
    n_frames = unit_spectra.shape[0]
    n_bins = unit_spectra.shape[1]
    out = np.zeros(n_frames, dtype=np.float32)
    for t in range(1, n_frames):
        acc = 0.0
        for k in range(n_bins):
            d = np.float64(unit_spectra[t, k]) - np.float64(unit_spectra[t - 1, k])
            acc += d * d
        out[t] = np.sqrt(acc)
    return out


@numba.njit(cache=True, nogil=True)
def contrast_bands(bin_frequencies_hz, sampling_rate, fmin_hz, n_bands, quantile):
    """Octave sub-bands of ``librosa.feature.spectral_contrast``, as bin ranges.

    Band edges ``[0, fmin, 2 fmin, ..., 2**n_bands fmin]``; band ``k`` holds the bins with
    ``edge_k <= f <= edge_{k+1}``, plus the bin just below for ``k > 0``, plus everything above
    for the last band; all but the last band then drop their highest bin. Each band averages its
    ``max(1, rint(quantile * count))`` smallest (valley) and largest (peak) values, where
    ``count`` is the band's size before that drop (librosa's exact bookkeeping).

    Parameters
    ----------
    bin_frequencies_hz : (n_bins,) float, Hz, increasing
    sampling_rate : float, Hz (every lower edge must be below sampling_rate / 2)
    fmin_hz : float > 0, upper edge of the first band, Hz
    n_bands : int >= 1, number of octave bands above the first (n_bands + 1 values)
    quantile : float in (0, 1)

    Returns
    -------
    band_start, band_stop, n_select : three (n_bands + 1,) int64 arrays; band ``k`` is bins
        ``band_start[k]:band_stop[k]`` and averages ``n_select[k]`` values at each end.
    """
    if n_bands < 1:
        raise ValueError("n_bands must be >= 1")
    if not (0.0 < quantile < 1.0):
        raise ValueError("quantile must lie in (0, 1)")
    if not fmin_hz > 0.0:
        raise ValueError("fmin_hz must be > 0")
    n_bins = bin_frequencies_hz.shape[0]
    freq = bin_frequencies_hz.astype(np.float64)
    edges = np.zeros(n_bands + 2)
    for i in range(n_bands + 1):
        edges[i + 1] = fmin_hz * 2.0 ** i
    for i in range(n_bands + 1):
        if edges[i] >= 0.5 * sampling_rate:
            raise ValueError("a contrast band starts above Nyquist: reduce fmin_hz or n_bands")
    start = np.zeros(n_bands + 1, dtype=np.int64)
    stop = np.zeros(n_bands + 1, dtype=np.int64)
    n_select = np.zeros(n_bands + 1, dtype=np.int64)
    for b in range(n_bands + 1):
        first = -1
        last = -1
        for k in range(n_bins):
            if freq[k] >= edges[b] and freq[k] <= edges[b + 1]:
                if first < 0:
                    first = k
                last = k
        if first < 0:
            raise ValueError("a contrast band holds no FFT bin: use a longer n_fft or a higher fmin_hz")
        lo = first - 1 if b > 0 else first
        hi = n_bins - 1 if b == n_bands else last
        count = hi - lo + 1
        stop_b = hi + 1 if b == n_bands else hi
        if stop_b <= lo:
            raise ValueError("a contrast band holds a single FFT bin: use a longer n_fft or a higher fmin_hz")
        start[b] = lo
        stop[b] = stop_b
        n_select[b] = min(max(1, np.int64(np.rint(quantile * count))), stop_b - lo)
    return start, stop, n_select


@numba.njit(cache=True, nogil=True, error_model="numpy")
def spectral_contrast(power, band_start, band_stop, n_select, amin=AMIN):
    """Spectral contrast per octave band: ``10 log10(max(peak, amin) / max(valley, amin))``.

    ``peak`` / ``valley`` are the means of the ``n_select[b]`` largest / smallest MAGNITUDES
    ``sqrt(P_k)`` of band ``b`` (bands from ``contrast_bands``). Equals
    ``librosa.feature.spectral_contrast(S=np.abs(stft))`` (which also applies ``power_to_db``
    to magnitudes, hence 10 log10) except for librosa's ``top_db=80`` clipping, which needs the
    whole file's maximum and is left out. Silence gives 0 dB.

    Parameters
    ----------
    power : (n_frames, n_bins) float32, power spectrum
    band_start, band_stop, n_select : (n_bands + 1,) int64, from ``contrast_bands``
    amin : float > 0, floor of the peak and valley magnitudes

    Returns
    -------
    contrast : (n_frames, n_bands + 1) float32, dB (of magnitude ratios), >= 0.
    """
    if not amin > 0.0:
        raise ValueError("amin must be > 0")
    n_frames = power.shape[0]
    n_out = band_start.shape[0]
    max_sel = 1
    for b in range(n_out):
        if n_select[b] > max_sel:
            max_sel = n_select[b]
    p32 = np.ascontiguousarray(power)
    # Non-negative float32 values order like their int32 bit patterns: integer min / max
    # loops vectorise (float min / max would need fastmath "nnan").
    bits = p32.view(np.int32)
    pair_bits = np.empty(2, dtype=np.int32)
    pair = pair_bits.view(np.float32)
    lows = np.empty(max_sel, dtype=np.float64)
    highs = np.empty(max_sel, dtype=np.float64)
    ratio = np.empty((n_frames, n_out), dtype=np.float64)
    for t in range(n_frames):
        for b in range(n_out):
            lo = band_start[b]
            hi = band_stop[b]
            n = n_select[b]
            if n == 1:
                bmin = bits[t, lo]
                bmax = bmin
                for k in range(lo + 1, hi):
                    bk = bits[t, k]
                    bmin = min(bmin, bk)
                    bmax = max(bmax, bk)
                pair_bits[0] = bmin
                pair_bits[1] = bmax
                valley = np.sqrt(np.float64(pair[0]))
                peak = np.sqrt(np.float64(pair[1]))
            else:
                # n smallest (ascending) and n largest (descending) by insertion; n is small
                # (quantile * band size: 2 for the 3.2-6.4 kHz band at n_fft=512).
                for i in range(n):
                    lows[i] = np.inf
                    highs[i] = -np.inf
                for k in range(lo, hi):
                    v = np.float64(p32[t, k])
                    if v < lows[n - 1]:
                        i = n - 1
                        while i > 0 and lows[i - 1] > v:
                            lows[i] = lows[i - 1]
                            i -= 1
                        lows[i] = v
                    if v > highs[n - 1]:
                        i = n - 1
                        while i > 0 and highs[i - 1] < v:
                            highs[i] = highs[i - 1]
                            i -= 1
                        highs[i] = v
                valley = 0.0
                peak = 0.0
                for i in range(n):
                    valley += np.sqrt(lows[i])
                    peak += np.sqrt(highs[i])
                valley /= n
                peak /= n
            ratio[t, b] = max(peak, amin) / max(valley, amin)
    db = _log2_positive(ratio.ravel())
    out = np.empty((n_frames, n_out), dtype=np.float32)
    for i in range(n_frames * n_out):
        out.flat[i] = _DB_PER_OCTAVE * db[i]
    return out


@numba.njit(cache=True, nogil=True)
def _band_min_max(power_t, lo, hi, low, high):
    """``low[t] = min(low[t], power_t[lo:hi, t])`` and ``high[t]`` likewise with max, in that
    order of the bins, four bins per pass over the frames (a quarter of the loads and stores of
    ``low`` and ``high``)."""
    n_frames = power_t.shape[1]
    k = lo
    while k + 4 <= hi:
        r0 = power_t[k]
        r1 = power_t[k + 1]
        r2 = power_t[k + 2]
        r3 = power_t[k + 3]
        for t in range(n_frames):
            v0 = r0[t]
            v1 = r1[t]
            v2 = r2[t]
            v3 = r3[t]
            low[t] = min(min(min(min(low[t], v0), v1), v2), v3)
            high[t] = max(max(max(max(high[t], v0), v1), v2), v3)
        k += 4
    while k < hi:
        row = power_t[k]
        for t in range(n_frames):
            v = row[t]
            low[t] = min(low[t], v)
            high[t] = max(high[t], v)
        k += 1


@numba.njit(cache=True, nogil=True)
def _band_two_smallest_largest(power_t, lo, hi, low0, low1, high0, high1):
    """``spectral_contrast_t``'s insertion chain for ``n_select`` 2 with its loop over the two
    places unrolled, so that the loop over the frames vectorises; bins in increasing order."""
    n_frames = power_t.shape[1]
    for k in range(lo, hi):
        row = power_t[k]
        for t in range(n_frames):
            v = row[t]
            a = low0[t]
            c = high0[t]
            low0[t] = min(a, v)
            low1[t] = min(low1[t], max(a, v))
            high0[t] = max(c, v)
            high1[t] = max(high1[t], min(c, v))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def spectral_contrast_t(power_t, band_start, band_stop, n_select, amin):
    """``spectral_contrast`` from the transposed power spectrum, all frames at once.

    The same values (bit for bit): per band, the ``n_select`` smallest and largest powers of
    every frame (kept sorted by a min / max insertion chain that runs across the frames, SIMD),
    their magnitudes' means (summed in increasing / decreasing order, as ``spectral_contrast``),
    then ``10 log10`` of the floored ratio via ``_log2_positive``.

    Parameters
    ----------
    power_t : (n_bins, n_frames) float32, ``transpose_frames(power)``
    band_start, band_stop, n_select : (n_bands + 1,) int64, from ``contrast_bands``
    amin : float > 0, floor of the peak and valley magnitudes

    Returns
    -------
    contrast : (n_frames, n_bands + 1) float32, dB (of magnitude ratios), >= 0.
    """
    if not amin > 0.0:
        raise ValueError("amin must be > 0")
    n_frames = power_t.shape[1]
    n_out = band_start.shape[0]
    max_sel = 1
    for b in range(n_out):
        max_sel = max(max_sel, n_select[b])
    lows = np.empty((max_sel, n_frames), dtype=np.float32)  # ascending: lows[0] is the smallest
    highs = np.empty((max_sel, n_frames), dtype=np.float32)  # descending: highs[0] is the largest
    peak = np.empty(n_frames)
    valley = np.empty(n_frames)
    ratio = np.empty((n_out, n_frames))
    for b in range(n_out):
        lo = max(band_start[b], 0)
        hi = max(band_stop[b], 0)
        n = max(n_select[b], 1)
        for i in range(n):
            lows[i, :] = np.inf
            highs[i, :] = -np.inf
        if n == 1:
            _band_min_max(power_t, lo, hi, lows[0], highs[0])
        elif n == 2:
            _band_two_smallest_largest(power_t, lo, hi, lows[0], lows[1], highs[0], highs[1])
        else:
            for k in range(lo, hi):
                row = power_t[k]
                for t in range(n_frames):
                    v = row[t]
                    w = v
                    for i in range(n):  # insert v into the sorted n smallest / w into the n largest
                        a = lows[i, t]
                        lows[i, t] = min(a, v)
                        v = max(a, v)
                        c = highs[i, t]
                        highs[i, t] = max(c, w)
                        w = min(c, w)
        valley[:] = 0.0
        peak[:] = 0.0
        for i in range(n):
            low_i = lows[i]
            high_i = highs[i]
            for t in range(n_frames):
                valley[t] += np.sqrt(np.float64(low_i[t]))
                peak[t] += np.sqrt(np.float64(high_i[t]))
        dst = ratio[b]
        for t in range(n_frames):
            dst[t] = max(peak[t] / n, amin) / max(valley[t] / n, amin)
    db = _log2_positive(ratio.ravel())
    out = np.empty((n_frames, n_out), dtype=np.float32)
    for t in range(n_frames):
        for b in range(n_out):
            out[t, b] = _DB_PER_OCTAVE * db[b * n_frames + t]
    return out

