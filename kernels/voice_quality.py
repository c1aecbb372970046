"""Voice quality per frame: local jitter and shimmer by peak picking, HNR from the autocorrelation.

Frames are implied by a signal as in ``kernels.pitch.yin``: analysis frame ``t`` is
``signal[offset + t*hop_length : offset + t*hop_length + frame_length]``; everything a frame
gets depends only on that frame's samples.

Cycle peaks (``jitter_shimmer``): the polarity is the sign of the larger extreme
(``max x >= -min x`` -> positive) of the period centred on the frame's middle, and the anchor
is the largest (signed) sample of that period; from it the peaks are tracked forwards and backwards, each the
largest sample within ``[p + T (1 - tol), p + T (1 + tol)]`` of the previous one
(``T`` = YIN period, ``tol`` = ``search_tolerance``), for as long as that window lies inside
the frame. Peak positions and amplitudes are refined by a parabola through the three samples
around the peak. With peaks ``q_0 < ... < q_{m-1}`` and amplitudes ``A_i``:

* local jitter = mean ``|P_{i+1} - P_i|`` / mean ``P_i`` with periods ``P_i = q_{i+1} - q_i``
  (needs m >= 3 peaks, else 0);
* local shimmer = mean ``|A_{i+1} - A_i|`` / mean ``A_i`` (needs m >= 2 and a positive mean,
  else 0).

Both are dimensionless ratios (x100 for the usual percent). Frames that are not voiced, or
whose period is below 2 samples, get 0.
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _peak_in(x, sign, lo, hi):
    """Index of the largest sign*x[i] for lo <= i < hi (first one on ties); sign is +1 or -1."""
    best = lo
    value = x[lo]  # compared in x's own dtype: negating is exact, so this is the signed comparison
    if sign > 0.0:
        for i in range(lo + 1, hi):
            if x[i] > value:
                value = x[i]
                best = i
    else:
        for i in range(lo + 1, hi):
            if x[i] < value:
                value = x[i]
                best = i
    return best


@numba.njit(cache=True, nogil=True)
def _refine_peak(x, sign, i):
    """(position, amplitude) of the parabola through sign*x[i-1..i+1] (x[i] at the ends)."""
    n = x.shape[0]
    y0 = sign * np.float64(x[i])
    if i <= 0 or i >= n - 1:
        return np.float64(i), y0
    ym = sign * np.float64(x[i - 1])
    yp = sign * np.float64(x[i + 1])
    a = ym + yp - 2.0 * y0
    b = (yp - ym) / 2.0
    if a >= 0.0 or abs(b) >= abs(a):
        return np.float64(i), y0
    shift = -b / a
    return i + shift, y0 - b * b / (2.0 * a)


@numba.njit(cache=True, nogil=True)
def _max_peaks(n, period, search_tolerance):
    """Capacity ``_cycle_peaks_into`` needs for a frame of n samples: 2 * max_peaks + 1."""
    return 2 * (int(n / (period * (1.0 - search_tolerance))) + 3) + 1


@numba.njit(cache=True, nogil=True)
def _cycle_peaks_into(frame, period, search_tolerance, pos, amp):
    """``cycle_peaks`` into the buffers ``pos`` / ``amp`` (``>= _max_peaks`` long): returns
    ``(first, stop)``, the peaks being ``pos[first:stop]`` (an empty range when there are none)."""
    n = frame.shape[0]
    if period < 2.0 or n < 3 or not (0.0 < search_tolerance < 0.5):
        return 0, 0
    half = period / 2.0
    lo = max(int(np.floor(n / 2.0 - half)), 1)
    hi = min(int(np.ceil(n / 2.0 + half)), n - 1)
    if hi <= lo:
        return 0, 0
    big = small = frame[lo]  # one pass: the extremes and where they first occur
    i_big = i_small = lo
    for i in range(lo + 1, hi):
        if frame[i] > big:
            big = frame[i]
            i_big = i
        if frame[i] < small:
            small = frame[i]
            i_small = i
    sign = 1.0 if big >= -small else -1.0
    anchor = i_big if sign > 0.0 else i_small
    max_peaks = (_max_peaks(n, period, search_tolerance) - 1) // 2
    # backwards into the first half (stored from the middle of the buffer downwards)
    mid = max_peaks
    p, a = _refine_peak(frame, sign, anchor)
    pos[mid] = p
    amp[mid] = a
    first = mid
    i = anchor
    while first > 0:
        w_lo = int(np.floor(i - period * (1.0 + search_tolerance)))
        w_hi = int(np.ceil(i - period * (1.0 - search_tolerance))) + 1
        if w_lo < 1 or w_hi > n - 1 or w_hi <= w_lo:
            break
        i = _peak_in(frame, sign, w_lo, w_hi)
        first -= 1
        pos[first], amp[first] = _refine_peak(frame, sign, i)
    last = mid
    i = anchor
    while last < 2 * max_peaks:
        w_lo = int(np.floor(i + period * (1.0 - search_tolerance)))
        w_hi = int(np.ceil(i + period * (1.0 + search_tolerance))) + 1
        if w_lo < 1 or w_hi > n - 1 or w_hi <= w_lo:
            break
        i = _peak_in(frame, sign, w_lo, w_hi)
        last += 1
        pos[last], amp[last] = _refine_peak(frame, sign, i)
    return first, last + 1


@numba.njit(cache=True, nogil=True)
def cycle_peaks(frame, period, search_tolerance):
    """Cycle peaks of one frame (see the module docstring).

    Parameters
    ----------
    frame : (frame_length,) float32 samples
    period : float, period in samples (>= 2)
    search_tolerance : float in (0, 0.5), relative half width of the search window

    Returns
    -------
    positions : (n_peaks,) float64, sample positions (sub-sample), increasing
    amplitudes : (n_peaks,) float64, peak values times the polarity (same unit as the frame)
    """
    if period < 2.0 or frame.shape[0] < 3 or not (0.0 < search_tolerance < 0.5):
        return np.zeros(0), np.zeros(0)
    size = _max_peaks(frame.shape[0], period, search_tolerance)
    pos = np.empty(size)
    amp = np.empty(size)
    first, stop = _cycle_peaks_into(frame, period, search_tolerance, pos, amp)
    return pos[first:stop].copy(), amp[first:stop].copy()


@numba.njit(cache=True, nogil=True)
def jitter_shimmer_from_peaks(positions, amplitudes):
    """(local jitter, local shimmer) from cycle peaks (see the module docstring); 0 when undefined."""
    m = positions.shape[0]
    jitter = 0.0
    shimmer = 0.0
    if m >= 3:
        mean_p = (positions[m - 1] - positions[0]) / (m - 1)
        acc = 0.0
        for i in range(m - 2):
            acc += abs((positions[i + 2] - positions[i + 1]) - (positions[i + 1] - positions[i]))
        if mean_p > 0.0:
            jitter = acc / (m - 2) / mean_p
    if m >= 2:
        mean_a = 0.0
        for i in range(m):
            mean_a += amplitudes[i]
        mean_a /= m
        acc = 0.0
        for i in range(m - 1):
            acc += abs(amplitudes[i + 1] - amplitudes[i])
        if mean_a > 0.0:
            shimmer = acc / (m - 1) / mean_a
    return jitter, shimmer


@numba.njit(cache=True, nogil=True)
def jitter_shimmer(signal, frame_length, hop_length, offset, period, voiced, search_tolerance):
    """Local jitter and shimmer of every voiced frame.

    Parameters
    ----------
    signal : (n_samples,) float32
    frame_length, hop_length, offset : int, frame ``t`` is
        ``signal[offset + t*hop_length : offset + t*hop_length + frame_length]``
    period : (n_frames,) float32, period in samples of each frame (``kernels.pitch.yin``)
    voiced : (n_frames,) bool, frames to analyse (the others get 0)
    search_tolerance : float in (0, 0.5), e.g. 0.2

    Returns
    -------
    jitter : (n_frames,) float32, dimensionless (mean |dP| / mean P)
    shimmer : (n_frames,) float32, dimensionless (mean |dA| / mean A)
    """
    jitter = np.zeros(period.shape[0], dtype=np.float32)
    shimmer = np.zeros(period.shape[0], dtype=np.float32)
    _jitter_shimmer_into(signal, frame_length, hop_length, offset, period, voiced, search_tolerance, jitter, shimmer)
    return jitter, shimmer


@numba.njit(cache=True, nogil=True)
def _jitter_shimmer_into(signal, frame_length, hop_length, offset, period, voiced, search_tolerance,
                         jitter, shimmer):
    """``jitter_shimmer`` writing the voiced frames' values into ``jitter`` / ``shimmer`` (the others untouched)."""
    n_frames = period.shape[0]
    if voiced.shape[0] != n_frames:
        raise ValueError("period and voiced must have the same length")
    if n_frames > 0 and offset + (n_frames - 1) * hop_length + frame_length > signal.shape[0]:
        raise ValueError("the signal is shorter than the frames")
    capacity = 0
    for t in range(n_frames):
        if voiced[t] and period[t] >= 2.0:
            capacity = max(capacity, _max_peaks(frame_length, np.float64(period[t]), search_tolerance))
    pos = np.empty(capacity)  # one buffer for every frame (no allocation per frame)
    amp = np.empty(capacity)
    for t in range(n_frames):
        if not voiced[t]:
            continue
        start = offset + t * hop_length
        first, stop = _cycle_peaks_into(signal[start : start + frame_length], np.float64(period[t]),
                                        search_tolerance, pos, amp)
        j, s = jitter_shimmer_from_peaks(pos[first:stop], amp[first:stop])
        jitter[t] = j
        shimmer[t] = s


@numba.njit(cache=True, nogil=True)
def voice_quality_frames(signal, frame_length, hop_length, offset, f0, prob, voicing_threshold, period, nacf,
                         search_tolerance, min_db, max_db):
    """Jitter, shimmer and HNR of every frame in one pass: ``jitter_shimmer`` and ``hnr_db`` on
    the voiced frames (``prob >= voicing_threshold`` and ``f0 > 0``), 0 elsewhere.

    Parameters
    ----------
    signal, frame_length, hop_length, offset : as ``jitter_shimmer``
    f0 : (n_frames,) float32, Hz (``kernels.pitch.yin``)
    prob : (n_frames,) float32, voicing probability
    voicing_threshold : float32 (compared in float32, as numpy compares ``prob >= threshold``)
    period : (n_frames,) float32, samples; nacf : (n_frames,) float32, in [-1, 1]
    search_tolerance : float in (0, 0.5); min_db, max_db : float, the HNR clipping range (dB)

    Returns
    -------
    values : (n_frames, 3) float32, columns jitter, shimmer (dimensionless), HNR (dB)
    """
    n_frames = period.shape[0]
    if f0.shape[0] != n_frames or prob.shape[0] != n_frames or nacf.shape[0] != n_frames:
        raise ValueError("f0, prob, period and nacf must have the same length")
    voiced = np.empty(n_frames, dtype=np.bool_)
    for t in range(n_frames):
        voiced[t] = prob[t] >= voicing_threshold and f0[t] > 0
    out = np.zeros((n_frames, 3), dtype=np.float32)
    _jitter_shimmer_into(signal, frame_length, hop_length, offset, period, voiced, search_tolerance,
                         out[:, 0], out[:, 1])
    r_lo = 1.0 / (1.0 + 10.0 ** (-min_db / 10.0))  # as hnr_db
    r_hi = 1.0 / (1.0 + 10.0 ** (-max_db / 10.0))
    for t in range(n_frames):
        if voiced[t]:
            r = min(max(np.float64(nacf[t]), r_lo), r_hi)
            out[t, 2] = 10.0 * np.log10(r / (1.0 - r))
    return out


@numba.njit(cache=True, nogil=True)
def hnr_db(nacf, min_db=-30.0, max_db=60.0):
    """Harmonics-to-noise ratio ``10 log10(r / (1 - r))`` of normalised autocorrelations (Boersma 1993).

    ``r`` is clipped so the result lies in ``[min_db, max_db]`` (r <= 0 gives ``min_db``,
    r -> 1 gives ``max_db``).

    Parameters
    ----------
    nacf : (n,) float32, normalised autocorrelation at the period, in [-1, 1]

    Returns
    -------
    hnr : (n,) float32, dB
    """
    out = np.empty(nacf.shape[0], dtype=np.float32)
    r_lo = 1.0 / (1.0 + 10.0 ** (-min_db / 10.0))
    r_hi = 1.0 / (1.0 + 10.0 ** (-max_db / 10.0))
    for i in range(nacf.shape[0]):
        r = min(max(np.float64(nacf[i]), r_lo), r_hi)
        out[i] = 10.0 * np.log10(r / (1.0 - r))
    return out


@numba.njit(cache=True, nogil=True)
def voiced_mean_std(columns, voiced):
    """Mean and population std of every column over the voiced frames (0, 0 without any).

    Parameters
    ----------
    columns : (n_frames, k) float32
    voiced : (n_frames,) bool

    Returns
    -------
    stats : (2 * k,) float32, ``[mean_0, std_0, mean_1, std_1, ...]``
    """
    n, k = columns.shape
    out = np.zeros(2 * k, dtype=np.float32)
    for c in range(k):
        m = 0
        s = 0.0
        for t in range(n):
            if voiced[t]:
                s += columns[t, c]
                m += 1
        if m == 0:
            continue
        mean = s / m
        var = 0.0
        for t in range(n):
            if voiced[t]:
                var += (columns[t, c] - mean) ** 2
        out[2 * c] = mean
        out[2 * c + 1] = np.sqrt(var / m)
    return out
