"""Fundamental frequency by YIN (de Cheveigne & Kawahara 2002): decimated, time-domain, refined.

Frames are implied by a signal, like ``frame_signal``, with a margin on each side for the
decimation filter: analysis frame ``t`` is
``signal[margin + t*hop_length : margin + t*hop_length + frame_length]`` with
``margin = yin_margin(decimation)``. Every result of a frame depends only on the samples of its
frame and margins (its "context", ``frame_length + 2*margin`` samples), so a caller may cut the
signal into blocks anywhere. Work is shared between overlapping frames only where the
arithmetic of a value does not depend on where the block starts (the low-pass decimation, the
lag products of a hop-long segment), and loops with frames on the SIMD lanes give every lane
the same operations.

Algorithm (``yin``):

1. Coarse stage at ``sampling_rate / decimation`` (decimation 1, 2 or 4; a 31-tap
   Kaiser-windowed half-band low-pass applied once or twice, in float32): librosa 0.11's
   difference function over the whole (decimated) frame, zero-extended:
   ``d(tau) = sum_j (x_j - x_{j+tau})^2 = 2 (a(0) - a(tau)) - sum_{m<tau} x_m^2`` with a running
   energy sum and the autocorrelation ``a`` in the time domain: frames start on the boundaries of
   hop-long segments of the coarse signal, each segment's lag products
   ``sum_u x_u x_{u+tau}`` (float32) are computed once for all lags, and a frame's ``a(tau)`` is
   the float64 sum of its whole segments and of the partial one where its lag-tau products end
   (about half the cost of an FFT pair per frame; all frames of a chunk, up to 256, at once);
   the cumulative-mean-normalised difference ``d'(tau) = d(tau) / mean(d(1..tau))`` (CMND); the
   first trough below ``trough_threshold``, else the global minimum, between
   ``floor(rate/fmax)`` and ``ceil(rate/fmin)``; parabolic interpolation. With
   ``decimation=1`` this is librosa's ``yin`` step for step. With decimation the lag grid is
   coarse for sharp troughs, so troughs are compared by the value at their parabola's vertex;
   with decimation 4, when no trough is below the threshold, the first trough within 0.05 of
   the global minimum is taken instead of the global minimum (fewer octave-down errors there;
   with decimation 2 it does not help).
2. Refinement at the full rate (decimation > 1): ``d(tau)`` at the 3 integer lags around
   ``decimation * coarse period`` (one pass over the frame, float32 sums), walking downhill (at
   most 6 extra lags), then parabolic interpolation -> the period and
   ``f0 = sampling_rate / period``.
3. ``nacf``: the normalised autocorrelation ``a(tau) / sqrt(sum_{j<N-tau} x_j^2 sum_{j>=tau} x_j^2)``
   of the full-rate frame at the period (parabolic peak over integer lags), for the
   harmonics-to-noise ratio (Boersma 1993).

Voicing probability: ``clip(1 - CMND at the chosen trough, 0, 1)`` (YIN's aperiodicity turned
around; not pYIN). A frame whose decimated frame has a mean square below 1e-12 (digital
silence) gets f0 0, voicing probability 0, period 0, nacf 0.

Accuracy against ``librosa.yin`` (fmin 60, fmax 500, 16 kHz, frame 1024, hop 160) on the
voiced frames (librosa's CMND <= 0.15) of 134 EMO-DB utterances (every 4th file, 9877 frames):
with decimation 2 the median difference is 1.2 cents, 99.6 % of frames agree within 1 % and
0.2 % are octave errors (either side); decimation 4 is cheaper, 98.9 % within 1 %, 0.9 %
octave errors (0.7 % down).
"""

import numba
import numpy as np

_K = 15  # half-band half length: taps -15..15; the odd ones and the centre are non-zero


def _halfband_taps(half_length, beta):
    k = np.arange(-half_length, half_length + 1)
    taps = 0.5 * np.sinc(k / 2.0) * np.kaiser(2 * half_length + 1, beta)
    taps[(k % 2 == 0) & (k != 0)] = 0.0
    return taps / taps.sum()


# Kaiser-windowed (beta 7) half-band low-pass, 31 taps, unit DC gain: -1 dB at 0.216 and
# below -60 dB from 0.321 of the input rate (at 16 kHz: pass to 3.5 kHz, stop from 5.1 kHz).
_H = _halfband_taps(_K, 7.0)
_H_CENTRE = np.float32(_H[_K])
_H_ODD = np.ascontiguousarray(_H[_K + 1 :: 2], dtype=np.float32)  # taps at k = 1, 3, ..., 15
_N_ODD = _H_ODD.shape[0]
_SILENCE_MEAN_SQUARE = 1e-12
_OCTAVE_MARGIN = 0.05  # decimation 4 only: an earlier trough this close to the global minimum wins
_MAX_CLIMB = 6  # extra full-rate lags the refinement may walk beyond its first three
# At most this many CMND values (float64) per chunk of frames (the coarse stage works on all of
# them at once): 256 frames at decimation 4, buffers under glibc's 128 KiB mmap threshold (above
# it every call maps fresh pages: page faults).
_CHUNK_VALUES = 15360
_SEG_LANES = 16  # segments on the SIMD lanes of _segment_lag_products: a whole number of vectors
# Sums whose order LLVM may change to vectorise them: the order then depends on the length only.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
# The decimation filter and the loops with segments on the SIMD lanes: fused multiply-adds but
# no reassociation, so every value gets the same operations whatever its lane or position.
_LANES = {"contract"}


@numba.njit(cache=True, nogil=True)
def yin_margin(decimation):
    """Samples of context each side of a frame that ``yin`` needs: 0, 16 or 48 for decimation 1, 2, 4."""
    if decimation == 1:
        return 0
    if decimation == 2:
        return 16  # >= 15 (one stage), even
    if decimation == 4:
        return 48  # >= 45 (two stages), a multiple of 4
    raise ValueError("decimation must be 1, 2 or 4")


@numba.njit(cache=True, nogil=True)
def _round_up(n, m):
    return (n + m - 1) // m * m


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _dot(a, b):
    """sum a*b over the common length, in float64 (vectorised)."""
    s = 0.0
    for j in range(min(a.shape[0], b.shape[0])):
        s += np.float64(a[j]) * b[j]
    return s


@numba.njit(cache=True, nogil=True, fastmath=_LANES)
def _halfband_decimate(x, out, even, odd):
    """``out[j] = h0 x[2j] + sum_m h_m (x[2j-2m-1] + x[2j+2m+1])`` (float32) where the support is inside x.

    Polyphase and vectorised over j; every output gets the same operations in the same order,
    so its value does not depend on where it sits in the arrays. Outputs whose support leaves
    x are left as they are. even, odd: (>= len(x) // 2,) float32 scratch.
    """
    n = x.shape[0]
    for i in range(n // 2):  # both phases in one loop: vector loads and shuffles, no gathers
        even[i] = x[2 * i]
        odd[i] = x[2 * i + 1]
    lo = (_K + 1) // 2
    hi = max(min(out.shape[0], (n - 1 - _K) // 2 + 1), lo)  # (an early return here stops LLVM vectorising)
    o = out[lo:hi]
    e = even[lo:hi]
    for j in range(hi - lo):
        acc = _H_CENTRE * e[j]
        for m in range(_N_ODD):  # unrolled; the loop over j is vectorised
            acc += _H_ODD[m] * (odd[lo + j - m - 1] + odd[lo + j + m])
        o[j] = acc


@numba.njit(cache=True, nogil=True)
def _shifted(xt, v):
    """``x[s*hop + v]`` for s = 0, 1, ... as a view of the segment columns ``xt`` (see ``_segment_lag_products``)."""
    hop = xt.shape[0]
    return xt[v % hop, v // hop :]


@numba.njit(cache=True, nogil=True, fastmath=_LANES)
def _segment_lag_products(xt, n_seg, length, whole, part):
    """Lag products of the hop-long segments of a coarse signal x, shared by the frames containing them.

    ``xt[u, s] = x[s*hop + u]`` (``(hop, n_columns)``, a column per segment; enough columns for
    the longest lag), ``whole[tau, s] = sum_{u<hop} x[s*hop+u] x[s*hop+u+tau]`` and
    ``part[tau, s]`` the same over ``u < (length - tau) % hop`` only (the share of segment s in
    a frame of ``length`` samples ending inside it), for s < n_seg and tau < whole.shape[0] (a
    multiple of 4). Vectorised over the segments: 4 lags x 4 samples per pass.
    """
    hop = xt.shape[0]
    for tau0 in range(0, whole.shape[0], 4):
        w0 = whole[tau0]
        w1 = whole[tau0 + 1]
        w2 = whole[tau0 + 2]
        w3 = whole[tau0 + 3]
        for s in range(n_seg):
            w0[s] = w1[s] = w2[s] = w3[s] = 0.0
        u = 0
        while u < hop:
            step = 4 if u + 4 <= hop else 1
            for tau in range(tau0, tau0 + 4):  # a frame ending inside samples u .. u + step - 1: its partial sum
                r = (length - tau) % hop
                if u <= r < u + step:
                    p = part[tau]
                    w = whole[tau]
                    for s in range(n_seg):
                        p[s] = w[s]
                    for v in range(u, r):
                        a = xt[v]
                        b = _shifted(xt, v + tau)
                        for s in range(n_seg):
                            p[s] += a[s] * b[s]
            if step == 4:
                a0 = xt[u]
                a1 = xt[u + 1]
                a2 = xt[u + 2]
                a3 = xt[u + 3]
                b0 = _shifted(xt, u + tau0)
                b1 = _shifted(xt, u + tau0 + 1)
                b2 = _shifted(xt, u + tau0 + 2)
                b3 = _shifted(xt, u + tau0 + 3)
                b4 = _shifted(xt, u + tau0 + 4)
                b5 = _shifted(xt, u + tau0 + 5)
                b6 = _shifted(xt, u + tau0 + 6)
                for s in range(n_seg):
                    x0 = a0[s]
                    x1 = a1[s]
                    x2 = a2[s]
                    x3 = a3[s]
                    y0 = b0[s]
                    y1 = b1[s]
                    y2 = b2[s]
                    y3 = b3[s]
                    y4 = b4[s]
                    y5 = b5[s]
                    y6 = b6[s]
                    w0[s] += (x0 * y0 + x1 * y1) + (x2 * y2 + x3 * y3)
                    w1[s] += (x0 * y1 + x1 * y2) + (x2 * y3 + x3 * y4)
                    w2[s] += (x0 * y2 + x1 * y3) + (x2 * y4 + x3 * y5)
                    w3[s] += (x0 * y3 + x1 * y4) + (x2 * y5 + x3 * y6)
            else:  # hop not a multiple of 4: the last samples one by one
                a = xt[u]
                for tau in range(tau0, tau0 + 4):
                    b = _shifted(xt, u + tau)
                    w = whole[tau]
                    for s in range(n_seg):
                        w[s] += a[s] * b[s]
            u += step


@numba.njit(cache=True, nogil=True)
def _frame_lag_sums(whole, part, hop, length, tau, n_frames, out):
    """``out[g]`` (float64) = the autocorrelation at lag ``tau < length`` of frame g < n_frames.

    Frame g is the coarse ``x[g*hop : g*hop + length]`` (segments g, g+1, ...; ``whole``, ``part``
    from ``_segment_lag_products``): its ``q = (length - tau) // hop`` whole segments in order,
    then its partial one.
    """
    q = (length - tau) // hop
    w = whole[tau]
    p = part[tau, q:]
    i = 0
    while i + 3 <= q:  # three rows per pass over out (the order of the sum is the same)
        w0 = w[i:]
        w1 = w[i + 1 :]
        w2 = w[i + 2 :]
        if i == 0:
            for g in range(n_frames):
                out[g] = ((0.0 + w0[g]) + w1[g]) + w2[g]
        else:
            for g in range(n_frames):
                out[g] = ((out[g] + w0[g]) + w1[g]) + w2[g]
        i += 3
    if i == 0:
        for g in range(n_frames):
            out[g] = 0.0
    if i + 2 == q:
        w0 = w[i:]
        w1 = w[i + 1 :]
        for g in range(n_frames):
            out[g] = ((out[g] + w0[g]) + w1[g]) + p[g]
    elif i + 1 == q:
        w0 = w[i:]
        for g in range(n_frames):
            out[g] = (out[g] + w0[g]) + p[g]
    else:
        for g in range(n_frames):
            out[g] += p[g]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _cmnd(xt, whole, part, n_frames, length, min_lag, energy, h, running, a, yv):
    """CMND ``yv[tau - min_lag, g]`` of frame g for ``min_lag <= tau < min_lag + yv.shape[0]``.

    Frame g (< n_frames) is the coarse ``x[g*hop : g*hop + length]``; ``xt``, ``whole`` and
    ``part`` as from ``_segment_lag_products``. librosa's zero-extended
    ``d(tau) = 2 (a(0) - a(tau)) - sum_{m<tau} x_m^2`` (clipped at 0: a sum of squares, below
    only by rounding) and ``d'(tau) = d(tau) tau / (sum_{1..tau} d + tiny tau)``, float64,
    vectorised over the frames. Writes ``yv`` ((n_y, >= n_frames)) and ``energy[g] = a(0)``;
    h, running, a: (>= n_frames,) scratch.
    """
    hop = xt.shape[0]
    _frame_lag_sums(whole, part, hop, length, 0, n_frames, energy)
    for g in range(n_frames):
        h[g] = 0.0
        running[g] = 0.0
    for tau in range(1, min_lag + yv.shape[0]):
        _frame_lag_sums(whole, part, hop, length, tau, n_frames, a)
        xv = _shifted(xt, tau - 1)
        if tau < min_lag:
            for g in range(n_frames):  # running sums over tau, one per frame (lane)
                v = np.float64(xv[g])
                h[g] += v * v
                dt = max(2.0 * (energy[g] - a[g]) - h[g], 0.0)
                running[g] += dt
        else:
            y = yv[tau - min_lag]
            for g in range(n_frames):  # the same, and d'(tau)
                v = np.float64(xv[g])
                h[g] += v * v
                dt = max(2.0 * (energy[g] - a[g]) - h[g], 0.0)
                running[g] += dt
                y[g] = dt * tau / (running[g] + 1e-300 * tau)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _choose_troughs(yv, n_frames, threshold, decimation, vertex, first, best, low):
    """YIN's choice on the CMND ``yv[:, g]`` of each frame (``(n_y, ...)``, n_y >= 3), vectorised over the frames.

    The first trough (local minimum; index 0 if below index 1, the last if below the one before)
    whose value is below ``threshold``, else the global minimum (librosa's rule). With
    decimation, troughs are compared by their parabola's vertex value and only troughs count;
    with decimation 4 an earlier trough within ``_OCTAVE_MARGIN`` of the minimum wins.
    Writes ``vertex[i, g]`` (the trough value, inf off troughs), ``first[g]`` (the first trough
    below the threshold, n_y if none), ``best[g]`` and ``low[g]`` (the fallback choice and its
    value; ``low`` inf without any trough: then the smaller end, ``best`` 0 or n_y - 1).
    """
    n_y = yv.shape[0]
    last = n_y - 1
    parabola = decimation > 1
    for g in range(n_frames):
        v0 = yv[0, g] if yv[0, g] < yv[1, g] else np.inf
        v1 = yv[last, g] if yv[last, g] < yv[last - 1, g] else np.inf
        vertex[0, g] = v0
        vertex[last, g] = v1
        first[g] = min(0 if v0 < threshold else n_y, last if v1 < threshold else n_y)
        low[g] = min(v0, v1) if parabola else min(yv[0, g], yv[last, g])
    for i in range(1, last):  # (branch-free: minima over i, per frame)
        ym = yv[i - 1]
        y = yv[i]
        yp = yv[i + 1]
        out = vertex[i]
        for g in range(n_frames):
            a = yp[g] + ym[g] - 2.0 * y[g]
            b = (yp[g] - ym[g]) / 2.0
            value = y[g] - b * b / (2.0 * a) if parabola and abs(b) < abs(a) else y[g]
            value = value if (y[g] < ym[g]) & (y[g] <= yp[g]) else np.inf
            out[g] = value
            first[g] = min(first[g], i if value < threshold else n_y)
            low[g] = min(low[g], value if parabola else y[g])  # (not read back from vertex: it stays vectorised)
    scores = vertex if parabola else yv  # decimation 1: librosa's global minimum over all lags
    # the fallback: the first minimum; with decimation 4 the first trough within the margin of
    # it instead (the minimum itself is one, so this is the earliest such trough)
    margin = _OCTAVE_MARGIN if decimation == 4 else 0.0
    for g in range(n_frames):
        best[g] = n_y
    for i in range(n_y):
        sc = scores[i]
        for g in range(n_frames):
            best[g] = min(best[g], i if sc[g] <= low[g] + margin else n_y)
    for g in range(n_frames):
        if low[g] == np.inf:
            best[g] = 0 if yv[0, g] <= yv[last, g] else last


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _parabolic_shift(y, i, n):
    """librosa's parabolic-interpolation shift at index i of y[:n] (0 at the ends)."""
    if i <= 0 or i >= n - 1:
        return 0.0
    a = y[i + 1] + y[i - 1] - 2.0 * y[i]
    b = (y[i + 1] - y[i - 1]) / 2.0
    if abs(b) >= abs(a):
        return 0.0
    return -b / a


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _head_tail(frame, lo):
    """``(sum_{m<lo} x_m^2, sum_{m>=N-lo} x_m^2)`` of a float32 frame, in float64 (one vectorised loop)."""
    tail = frame[frame.shape[0] - lo :]
    h = 0.0
    t = 0.0
    for m in range(lo):
        h += np.float64(frame[m]) * frame[m]
        t += np.float64(tail[m]) * tail[m]
    return h, t


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _lag_dots(frame, lo, out):
    """One pass over a float32 frame: ``out[k] = sum_j x_j x_{j+lo+k}`` (k < 3); returns ``sum_{j<N-lo} x_j^2``.

    Float32 sums (vectorised: ~1e-7 of the frame energy off the float64 sums).
    """
    n = frame.shape[0]
    m = n - lo - 2
    x0 = frame[lo:]
    x1 = frame[lo + 1 :]
    x2 = frame[lo + 2 :]
    e = s0 = s1 = s2 = np.float32(0.0)
    for j in range(m):
        v = frame[j]
        e += v * v
        s0 += v * x0[j]
        s1 += v * x1[j]
        s2 += v * x2[j]
    v = frame[m]  # the products of lags lo, lo + 1 that lag lo + 2 does not have
    w = frame[m + 1]
    out[0] = s0 + (v * x0[m] + w * x0[m + 1])
    out[1] = s1 + v * x1[m]
    out[2] = s2
    return np.float64(e + (v * v + w * w))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lag_terms(energy, a, head, tail):
    """(d(lag), nacf(lag)) of a full-rate frame from its autocorrelation ``a`` at the lag.

    ``head = sum_{m<lag} x_m^2`` and ``tail = sum_{m>=N-lag} x_m^2``.
    """
    d = 2.0 * (energy - a) - head
    den = (energy - head) * (energy - tail)
    nacf = a / np.sqrt(den) if den > 0.0 else 0.0
    return d, nacf


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _refine(frame, period, min_p, max_p, climb, lags_d, lags_nacf, dots):
    """(period, nacf) of a full-rate frame around a period estimate (samples).

    ``d(tau)`` and ``nacf(tau)`` at the 3 integer lags around the estimate (one pass over the
    frame, ``_lag_dots``); with ``climb`` one more lag at a time (at most ``_MAX_CLIMB``) while
    the minimum of d is at an end, then the parabolic vertex of d (else the period is kept).
    nacf: the parabolic peak at the local maximum nearest the period. lags_d, lags_nacf, dots:
    scratch of ``_MAX_CLIMB + 3`` and 3.
    """
    n = frame.shape[0]
    lo = min(max(int(np.floor(period + 0.5)), min_p + 1), max_p - 1) - 1  # lags lo .. lo + n_eval - 1
    head_lo, tail_lo = _head_tail(frame, lo)  # sum_{m<lo} x_m^2, sum_{m>=N-lo} x_m^2
    energy = _lag_dots(frame, lo, dots) + tail_lo
    head = head_lo  # sum_{m<lo+n_eval} x_m^2 as the window grows (tail alike)
    tail = tail_lo
    for m in range(3):
        lags_d[m], lags_nacf[m] = _lag_terms(energy, dots[m], head, tail)
        head += np.float64(frame[lo + m]) ** 2
        tail += np.float64(frame[n - 1 - lo - m]) ** 2
    n_eval = 3
    if climb:
        for _ in range(_MAX_CLIMB):  # walk downhill on d while the minimum is at an end
            mbest = 0
            for m in range(1, n_eval):
                if lags_d[m] < lags_d[mbest]:
                    mbest = m
            if mbest == 0 and lo > min_p:
                for m in range(n_eval, 0, -1):
                    lags_d[m] = lags_d[m - 1]
                    lags_nacf[m] = lags_nacf[m - 1]
                lo -= 1
                head_lo -= np.float64(frame[lo]) ** 2
                tail_lo -= np.float64(frame[n - 1 - lo]) ** 2
                lags_d[0], lags_nacf[0] = _lag_terms(energy, _dot(frame[: n - lo], frame[lo:]), head_lo, tail_lo)
                n_eval += 1
            elif mbest == n_eval - 1 and lo + n_eval <= max_p:
                lag = lo + n_eval
                lags_d[n_eval], lags_nacf[n_eval] = _lag_terms(energy, _dot(frame[: n - lag], frame[lag:]), head, tail)
                head += np.float64(frame[lag]) ** 2
                tail += np.float64(frame[n - 1 - lag]) ** 2
                n_eval += 1
            else:
                break
        mbest = 0
        for m in range(1, n_eval):
            if lags_d[m] < lags_d[mbest]:
                mbest = m
        period = lo + mbest + _parabolic_shift(lags_d, mbest, n_eval)
    # normalised autocorrelation: parabolic peak at the local maximum nearest the period
    mc = min(max(int(np.floor(period + 0.5)) - lo, 0), n_eval - 1)
    if 0 < mc < n_eval - 1:
        if lags_nacf[mc - 1] > lags_nacf[mc] and lags_nacf[mc - 1] >= lags_nacf[mc + 1]:
            mc -= 1
        elif lags_nacf[mc + 1] > lags_nacf[mc]:
            mc += 1
    peak = lags_nacf[mc]
    if 0 < mc < n_eval - 1:
        a = lags_nacf[mc + 1] + lags_nacf[mc - 1] - 2.0 * lags_nacf[mc]
        b = (lags_nacf[mc + 1] - lags_nacf[mc - 1]) / 2.0
        if a < 0.0 and abs(b) < abs(a):
            peak = lags_nacf[mc] - b * b / (2.0 * a)
    return period, min(max(peak, -1.0), 1.0)


# error_model="numpy": no zero-division checks (every division is guarded or by a positive
# value), so the per-lag loops vectorise.
@numba.njit(cache=True, nogil=True, error_model="numpy")
def yin(signal, frame_length, hop_length, sampling_rate, fmin_hz, fmax_hz, trough_threshold, decimation,
        refine_min_prob=0.0):
    """YIN f0, voicing probability, period and normalised autocorrelation of every frame.

    Analysis frame ``t`` is ``signal[margin + t*hop_length : margin + t*hop_length + frame_length]``
    with ``margin = yin_margin(decimation)``, so there are
    ``1 + (n_samples - 2*margin - frame_length) // hop_length`` frames (0 if the signal is
    shorter than ``frame_length + 2*margin``). For centred frames zero-pad the signal by
    ``frame_length // 2 + margin`` on each side. With ``decimation=1`` the f0 equals
    ``librosa.yin(y, fmin=fmin_hz, fmax=fmax_hz, sr=sampling_rate, frame_length=frame_length,
    hop_length=hop_length, center=True, trough_threshold=trough_threshold)`` to rounding
    (librosa works in float32 for float32 input: measured <= 3e-4 relative on 99.9 % of the
    non-silent EMO-DB frames; a near-tie between two troughs can go either way), except in
    digital silence (0 here). See the module docstring for the algorithm and the accuracy with
    decimation 2 or 4.

    Parameters
    ----------
    signal : (n_samples,) float32
    frame_length : int, a positive multiple of 2 * decimation (e.g. 1024 = 64 ms at 16 kHz)
    hop_length : int > 0, a multiple of ``decimation``
    sampling_rate : float, Hz
    fmin_hz, fmax_hz : float, 0 < fmin < fmax, search range in Hz
    trough_threshold : float, absolute CMND threshold (librosa's default 0.1)
    decimation : int, 1, 2 or 4 (the coarse stage's rate is ``sampling_rate / decimation``)
    refine_min_prob : float, frames whose voicing probability is below it skip the full-rate
        step: their period stays ``decimation`` x the coarse period and their nacf is 0
        (saves time on frames a caller treats as unvoiced; 0 refines every frame)

    Returns
    -------
    f0_hz : (n_frames,) float32, ``sampling_rate / period`` in Hz (0 for silent frames)
    voicing_prob : (n_frames,) float32, ``clip(1 - CMND at the chosen trough, 0, 1)``
    period : (n_frames,) float32, full-rate period in samples (0 for silent frames)
    nacf : (n_frames,) float32, normalised autocorrelation at the period, in [-1, 1]
    """
    margin = yin_margin(decimation)
    if frame_length <= 0 or frame_length % (2 * decimation) != 0:
        raise ValueError("frame_length must be a positive multiple of 2 * decimation")
    if hop_length <= 0 or hop_length % decimation != 0:
        raise ValueError("hop_length must be a positive multiple of decimation")
    if not (0.0 < fmin_hz < fmax_hz):
        raise ValueError("need 0 < fmin_hz < fmax_hz")
    n_samples = signal.shape[0]
    context = frame_length + 2 * margin
    n_frames = 1 + (n_samples - context) // hop_length if n_samples >= context else 0
    f0 = np.zeros(n_frames, dtype=np.float32)
    prob = np.zeros(n_frames, dtype=np.float32)
    period_out = np.zeros(n_frames, dtype=np.float32)
    nacf_out = np.zeros(n_frames, dtype=np.float32)
    if n_frames == 0:
        return f0, prob, period_out, nacf_out

    # ---- lag ranges (full rate as librosa; coarse = full / decimation)
    min_p = max(int(np.floor(sampling_rate / fmax_hz)), 1)
    max_p = min(int(np.ceil(sampling_rate / fmin_hz)), frame_length - 1)
    rate_c = sampling_rate / decimation
    len_c = frame_length // decimation
    hop_c = hop_length // decimation
    min_pc = max(int(np.floor(rate_c / fmax_hz)), 1)
    max_pc = min(int(np.ceil(rate_c / fmin_hz)), len_c - 1)
    if max_p - min_p < 2 or max_pc - min_pc < 2:
        raise ValueError("the [fmin, fmax] lag range is too narrow for this frame_length / decimation")
    n_y = max_pc - min_pc + 1
    n_acf = (max_pc + 4) // 4 * 4  # lags 0..max_pc, rounded up to tiles of 4

    # ---- chunks of frames: their stretch of signal is decimated once (shared by the overlapping
    # frames; a sample's value does not depend on where the stretch starts, and the frames only
    # use samples whose filter support lies inside it); the coarse signal is cut into hop-long
    # segments, whose lag products are shared by the frames containing them (frame g of the
    # chunk starts at segment g; products reaching past the chunk's frames are computed from
    # whatever the buffer holds there and never used). Buffers are chunk-sized: no signal-sized
    # temporaries.
    n_chunks = -(-n_frames // max(_CHUNK_VALUES // n_y, 16))
    chunk = -(-n_frames // n_chunks)  # balanced chunks: a short one would waste the SIMD lanes
    seg_max = (chunk - 1) * hop_length + context
    n_seg = _round_up(chunk + len_c // hop_c + 1, _SEG_LANES)
    n_col = n_seg + (hop_c + n_acf) // hop_c + 1
    c_first = margin // decimation  # coarse index of the chunk's first frame
    coarse = np.zeros(max(seg_max // decimation, c_first + n_col * hop_c), dtype=np.float32)
    level1 = np.zeros(seg_max // 2 if decimation == 4 else 1, dtype=np.float32)
    even = np.empty(seg_max // 2, dtype=np.float32)
    odd = np.empty(seg_max // 2, dtype=np.float32)
    xt = np.empty((hop_c, n_col), dtype=np.float32)
    whole = np.empty((n_acf, n_seg), dtype=np.float32)
    part = np.empty((n_acf, n_seg), dtype=np.float32)
    yv = np.empty((n_y, chunk))
    vertex = np.empty((n_y, chunk))
    energy = np.empty(chunk)
    scratch = np.empty((3, chunk))
    low = np.empty(chunk)
    first = np.empty(chunk, dtype=np.int64)
    best = np.empty(chunk, dtype=np.int64)
    lags_d = np.empty(3 + _MAX_CLIMB)
    lags_nacf = np.empty(3 + _MAX_CLIMB)
    dots = np.empty(3)
    for start in range(0, n_frames, chunk):
        nb = min(chunk, n_frames - start)
        seg_start = start * hop_length
        seg_len = (nb - 1) * hop_length + context
        seg = signal[seg_start : seg_start + seg_len]
        if decimation == 1:
            coarse[:seg_len] = seg
        elif decimation == 2:
            _halfband_decimate(seg, coarse, even, odd)
        else:
            _halfband_decimate(seg, level1, even, odd)
            _halfband_decimate(level1[: seg_len // 2], coarse, even, odd)
        for s in range(n_col):  # (contiguous reads; strided reads would be gathers)
            column = coarse[c_first + s * hop_c : c_first + (s + 1) * hop_c]
            for u in range(hop_c):
                xt[u, s] = column[u]
        _segment_lag_products(xt, _round_up(nb + len_c // hop_c + 1, _SEG_LANES), len_c, whole, part)
        _cmnd(xt, whole, part, nb, len_c, min_pc, energy, scratch[0], scratch[1], scratch[2], yv)
        _choose_troughs(yv, nb, trough_threshold, decimation, vertex, first, best, low)
        for j in range(nb):
            if energy[j] <= _SILENCE_MEAN_SQUARE * len_c:
                continue  # silent frame: zeros
            t = start + j
            if first[j] < n_y:
                i = first[j]
                value = vertex[i, j]
            else:
                i = best[j]
                value = yv[i, j] if (decimation == 1 or low[j] == np.inf) else vertex[i, j]
            p = min(max(1.0 - value, 0.0), 1.0)
            period = decimation * (min_pc + i + _parabolic_shift(yv[:, j], i, n_y))
            if p >= refine_min_prob:
                frame = seg[margin + j * hop_length : margin + j * hop_length + frame_length]
                period, nacf_out[t] = _refine(frame, period, min_p, max_p, decimation > 1, lags_d, lags_nacf, dots)
            prob[t] = p
            f0[t] = sampling_rate / period
            period_out[t] = period
    return f0, prob, period_out, nacf_out


@numba.njit(cache=True, nogil=True)
def signal_from_frames(frames, hop_length, offset, length):
    """The signal under consecutive frames: the inverse of ``frame_signal`` on a slice of each row.

    ``frames`` are consecutive rows ``hop_length`` samples apart, ``(n_frames, width)``; the
    slice ``[offset, offset + length)`` of every row is used. Returns
    ``(length + (n_frames - 1) * hop_length,)`` float32 (empty without frames).
    """
    n = frames.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    if hop_length <= 0 or hop_length > length or offset < 0 or offset + length > frames.shape[1]:
        raise ValueError("need 0 < hop_length <= length and the slice inside the frames")
    out = np.empty(length + (n - 1) * hop_length, dtype=np.float32)
    out[:length] = frames[0, offset : offset + length]
    src = offset + length - hop_length
    for t in range(1, n):
        base = length + (t - 1) * hop_length
        out[base : base + hop_length] = frames[t, src : src + hop_length]
    return out


@numba.njit(cache=True, nogil=True)
def pitch_frame_columns(f0, prob, voicing_threshold, reference_hz):
    """The pitch family's frame columns from ``yin``'s f0 and voicing probability.

    Parameters
    ----------
    f0 : (n_frames,) float32, Hz
    prob : (n_frames,) float32, voicing probability
    voicing_threshold : float, a frame is voiced when ``prob >= voicing_threshold`` (compared
        in float32) and ``f0 > 0``
    reference_hz : float, > 0

    Returns
    -------
    columns : (n_frames, 2) float32, ``[12 log2(f0 / reference_hz), prob]`` (the semitone in
        float64, then rounded; 0 in unvoiced frames)
    """
    n = f0.shape[0]
    threshold = np.float32(voicing_threshold)
    out = np.empty((n, 2), dtype=np.float32)
    for t in range(n):
        voiced = prob[t] >= threshold and f0[t] > 0
        out[t, 0] = 12.0 * np.log2(np.float64(f0[t]) / reference_hz) if voiced else 0.0
        out[t, 1] = prob[t]
    return out


@numba.njit(cache=True, nogil=True)
def pitch_column_stats(columns, voicing_threshold, frame_seconds, smoothing_frames):
    """``pitch_utterance_stats`` of the pitch family's columns ``[semitone, prob]`` ((n_frames, 2) float32).

    A frame is voiced when ``prob >= voicing_threshold`` (compared in float32) and its semitone
    is above 0.
    """
    n = columns.shape[0]
    threshold = np.float32(voicing_threshold)
    semitone = np.empty(n, dtype=np.float32)
    voiced = np.empty(n, dtype=np.bool_)
    for t in range(n):
        semitone[t] = columns[t, 0]
        voiced[t] = columns[t, 1] >= threshold and columns[t, 0] > 0
    return pitch_utterance_stats(semitone, voiced, frame_seconds, smoothing_frames)


@numba.njit(cache=True, nogil=True)
def _percentile_sorted(v, q):
    """numpy's default ('linear') percentile q (0..100) of sorted v (non-empty)."""
    pos = q / 100.0 * (v.shape[0] - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, v.shape[0] - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


@numba.njit(cache=True, nogil=True)
def pitch_utterance_stats(semitone, voiced, frame_seconds, smoothing_frames):
    """Utterance statistics of a pitch track over its voiced frames.

    Parameters
    ----------
    semitone : (n_frames,) float32, f0 in semitones (any reference)
    voiced : (n_frames,) bool
    frame_seconds : float, hop in seconds
    smoothing_frames : int, odd >= 1: voiced segments are the runs of a centred majority vote
        over this many frames (fewer at the ends: more than half of those present)

    Returns
    -------
    stats : (14,) float32: over voiced frames mean, std (population), min, max, range,
        percentiles 10, 25, 50, 75, 90 (numpy's linear interpolation), slope (semitones per
        second, least squares against frame time; 0 with fewer than 2 voiced frames); voiced
        fraction; voiced segments per second (duration = n_frames * frame_seconds); mean
        segment length in seconds. All 0 without a voiced frame; the segment values 0 when the
        vote leaves no run.
    """
    n = semitone.shape[0]
    out = np.zeros(14, dtype=np.float32)
    n_voiced = 0
    for t in range(n):
        if voiced[t]:
            n_voiced += 1
    if n_voiced == 0 or n == 0:
        return out
    v = np.empty(n_voiced)
    times = np.empty(n_voiced)
    k = 0
    for t in range(n):
        if voiced[t]:
            v[k] = semitone[t]
            times[k] = t * frame_seconds
            k += 1
    mean = v.mean()
    var = 0.0
    for i in range(n_voiced):
        var += (v[i] - mean) ** 2
    var /= n_voiced
    s = np.sort(v)
    out[0] = mean
    out[1] = np.sqrt(var)
    out[2] = s[0]
    out[3] = s[n_voiced - 1]
    out[4] = s[n_voiced - 1] - s[0]
    qs = (10.0, 25.0, 50.0, 75.0, 90.0)
    for i in range(5):
        out[5 + i] = _percentile_sorted(s, qs[i])
    if n_voiced >= 2:
        tm = times.mean()
        num = 0.0
        den = 0.0
        for i in range(n_voiced):
            num += (times[i] - tm) * (v[i] - mean)
            den += (times[i] - tm) ** 2
        out[10] = num / den if den > 0.0 else 0.0
    out[11] = n_voiced / n
    # majority vote, then runs
    half = smoothing_frames // 2
    count = 0  # voiced frames in the window [t - half, t + half]
    for t in range(min(half, n)):
        count += 1 if voiced[t] else 0
    starts = 0
    n_run = 0
    prev = False
    for t in range(n):
        if t + half < n and voiced[t + half]:
            count += 1
        if t - half - 1 >= 0 and voiced[t - half - 1]:
            count -= 1
        width = min(t + half, n - 1) - max(t - half, 0) + 1
        on = 2 * count > width
        if on:
            n_run += 1
            if not prev:
                starts += 1
        prev = on
    if starts > 0:
        out[12] = starts / (n * frame_seconds)
        out[13] = n_run * frame_seconds / starts
    return out
