"""Fundamental frequency by YIN (de Cheveigne & Kawahara 2002): FFT-based, decimated, refined.

Frames are implied by a signal, like ``frame_signal``, with a margin on each side for the
decimation filter: analysis frame ``t`` is
``signal[margin + t*hop_length : margin + t*hop_length + frame_length]`` with
``margin = yin_margin(decimation)``. Every result of a frame depends only on the samples of its
frame and margins (its "context", ``frame_length + 2*margin`` samples), so a caller may cut the
signal into blocks anywhere. Work is shared between overlapping frames only where the
arithmetic of a sample does not depend on where the block starts (the low-pass decimation).

Algorithm (``yin``):

1. Coarse stage at ``sampling_rate / decimation`` (decimation 1, 2 or 4; a 31-tap
   Kaiser-windowed half-band low-pass applied once or twice): librosa 0.11's difference
   function over the whole (decimated) frame, zero-extended:
   ``d(tau) = sum_j (x_j - x_{j+tau})^2 = 2 (a(0) - a(tau)) - sum_{m<tau} x_m^2`` with the
   autocorrelation ``a`` from one real FFT pair (decimated: a slightly short FFT whose few
   wrapped-around products are subtracted directly) and a running energy sum; the
   cumulative-mean-normalised difference ``d'(tau) = d(tau) / mean(d(1..tau))`` (CMND); the
   first trough below ``trough_threshold``, else the global minimum, between
   ``floor(rate/fmax)`` and ``ceil(rate/fmin)``; parabolic interpolation. With
   ``decimation=1`` this is librosa's ``yin`` step for step. With decimation the lag grid is
   coarse for sharp troughs, so troughs are compared by the value at their parabola's vertex;
   with decimation 4, when no trough is below the threshold, the first trough within 0.05 of
   the global minimum is taken instead of the global minimum (fewer octave-down errors there;
   with decimation 2 it does not help).
2. Refinement at the full rate (decimation > 1): ``d(tau)`` at the integer lags around
   ``decimation * coarse period``, walking downhill (at most 6 extra lags), then parabolic
   interpolation -> the period and ``f0 = sampling_rate / period``.
3. ``nacf``: the normalised autocorrelation ``a(tau) / sqrt(sum_{j<N-tau} x_j^2 sum_{j>=tau} x_j^2)``
   of the full-rate frame at the period (parabolic peak over integer lags), for the
   harmonics-to-noise ratio (Boersma 1993).

Voicing probability: ``clip(1 - CMND at the chosen trough, 0, 1)`` (YIN's aperiodicity turned
around; not pYIN). A frame whose decimated frame has a mean square below 1e-12 (digital
silence) gets f0 0, voicing probability 0, period 0, nacf 0.

Accuracy against ``librosa.yin`` (fmin 60, fmax 500, 16 kHz, frame 1024, hop 160) on the
voiced frames (librosa's CMND <= 0.15) of 134 EMO-DB utterances: with decimation 2 the
median difference is ~1.5 cents, 99.6 % of frames agree within 1 % and 0.2 % are octave
errors (either side); decimation 4 is cheaper, 99.1 % within 1 %, 0.7 % octave errors.
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
_H_CENTRE = float(_H[_K])
_H_ODD = np.ascontiguousarray(_H[_K + 1 :: 2])  # taps at k = 1, 3, ..., 15
_N_ODD = _H_ODD.shape[0]
_SILENCE_MEAN_SQUARE = 1e-12
_OCTAVE_MARGIN = 0.05  # decimation 4 only: an earlier trough this close to the global minimum wins
_MAX_WRAP = 16  # decimated: wrapped-around lags of the coarse FFT corrected directly
_MAX_CLIMB = 6  # extra full-rate lags the refinement may walk beyond its first three
_CHUNK = 64  # frames per batched FFT
# Sums whose order LLVM may change to vectorise them: the order then depends on the length only.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


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


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _dot(a, b):
    """sum a*b over the common length (vectorised)."""
    s = 0.0
    for j in range(min(a.shape[0], b.shape[0])):
        s += a[j] * b[j]
    return s


@numba.njit(cache=True, nogil=True)
def _fft_size(n):
    """Smallest 2^a 3^b 5^c >= n that is not a multiple of 256 (those are slow here, in batches)."""
    m = max(n, 1)
    while True:
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1 and m % 256 != 0:
            return m
        m += 1


@numba.njit(cache=True, nogil=True)
def _halfband_decimate(x, out):
    """``out[j] = h0 x[2j] + sum_m h_m (x[2j-2m-1] + x[2j+2m+1])`` where the support is inside x.

    Polyphase and vectorised over j; every output gets the same operations in the same order
    (no reassociation), so its value does not depend on where it sits in the arrays.
    Outputs whose support leaves x are left as they are.
    """
    n = x.shape[0]
    n_even = (n + 1) // 2
    n_odd = n // 2
    even = np.empty(n_even)
    odd = np.empty(n_odd)
    for i in range(n_even):
        even[i] = x[2 * i]
    for i in range(n_odd):
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


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _parabolic_value(y, i, n):
    """Value at the vertex of the parabola through y[i-1..i+1] (y[i] at the ends or if outside)."""
    if i <= 0 or i >= n - 1:
        return y[i]
    a = y[i + 1] + y[i - 1] - 2.0 * y[i]
    b = (y[i + 1] - y[i - 1]) / 2.0
    if abs(b) >= abs(a):
        return y[i]
    return y[i] - b * b / (2.0 * a)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _choose_trough(yv, n_y, threshold, decimation):
    """(index, value) of YIN's choice on the CMND ``yv[:n_y]`` (n_y >= 3).

    The first trough (local minimum; index 0 if below index 1, the last if below the one before)
    whose value is below ``threshold``, else the global minimum (librosa's rule). With
    decimation, troughs are compared by their parabola's vertex value and only troughs count;
    with decimation 4 an earlier trough within ``_OCTAVE_MARGIN`` of the minimum wins.
    """
    best_any = 0
    best_any_value = np.inf
    for i in range(n_y):
        if i == 0:
            is_trough = yv[0] < yv[1]
        elif i == n_y - 1:
            is_trough = yv[i] < yv[i - 1]
        else:
            is_trough = yv[i] < yv[i - 1] and yv[i] <= yv[i + 1]
        if decimation > 1:
            if not is_trough:
                continue
            value = _parabolic_value(yv, i, n_y)
        else:
            value = yv[i]
        if is_trough and value < threshold:
            return i, value
        if value < best_any_value:
            best_any = i
            best_any_value = value
    if decimation == 4:
        for i in range(best_any):
            if i == 0:
                is_trough = yv[0] < yv[1]
            else:
                is_trough = yv[i] < yv[i - 1] and yv[i] <= yv[i + 1]
            if is_trough:
                value = _parabolic_value(yv, i, n_y)
                if value <= best_any_value + _OCTAVE_MARGIN:
                    return i, value
    if best_any_value == np.inf:  # no trough at all (monotonic): the smaller end
        best_any = 0 if yv[0] <= yv[n_y - 1] else n_y - 1
        best_any_value = yv[best_any]
    return best_any, best_any_value


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lag_terms(frame, energy, lag, head, tail):
    """(d(lag), nacf(lag)) of a full-rate frame, zero-extended.

    ``head = sum_{m<lag} x_m^2`` and ``tail = sum_{m>=N-lag} x_m^2`` are given (kept up to date
    by the caller with one sample per lag step).
    """
    n = frame.shape[0]
    a = _dot(frame[: n - lag], frame[lag:])
    d = 2.0 * (energy - a) - head
    den = (energy - head) * (energy - tail)
    nacf = a / np.sqrt(den) if den > 0.0 else 0.0
    return d, nacf


@numba.njit(cache=True, nogil=True)
def _autocorrelation_rows(buf, nb, nf, n_lags, out):
    """out[j, :n_lags] = autocorrelation (lags 0..n_lags-1) of the zero-padded rows buf[:nb] (FFT of size nf)."""
    spec = np.fft.rfft(buf[:nb])
    for j in range(nb):
        for k in range(spec.shape[1]):
            c = spec[j, k]
            spec[j, k] = c.real * c.real + c.imag * c.imag
    acf = np.fft.irfft(spec, nf)
    for j in range(nb):
        for k in range(n_lags):
            out[j, k] = acf[j, k]


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
    (librosa works in float32 for float32 input: measured <= 4e-5 relative), except in digital
    silence (0 here). See the module docstring for the algorithm and the accuracy with
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
    min_pc = max(int(np.floor(rate_c / fmax_hz)), 1)
    max_pc = min(int(np.ceil(rate_c / fmin_hz)), len_c - 1)
    if max_p - min_p < 2 or max_pc - min_pc < 2:
        raise ValueError("the [fmin, fmax] lag range is too narrow for this frame_length / decimation")
    if decimation == 1:
        nf = _fft_size(len_c + max_pc)  # linear autocorrelation up to max_pc: no wrap-around
    else:
        # a slightly shorter (faster) FFT: the few wrapped-around products at the longest lags
        # (at most _MAX_WRAP per lag) are subtracted again below
        nf = _fft_size(len_c + max_pc - _MAX_WRAP)
    wrap_from = nf - len_c + 1  # lags >= wrap_from hold wrapped products
    n_lags = max_pc + 1
    n_y = max_pc - min_pc + 1

    # ---- chunks of frames: their stretch of signal is converted and decimated once (shared by the
    # overlapping frames; a sample's value does not depend on where the stretch starts, and the
    # frames only use samples whose filter support lies inside it), then batched FFTs (float64
    # for decimation 1, else float32). Buffers are chunk-sized: no signal-sized temporaries.
    seg_max = (min(_CHUNK, n_frames) - 1) * hop_length + context
    seg64 = np.empty(seg_max)
    level1 = np.zeros(seg_max // 2 + 1 if decimation >= 2 else 1)
    level2 = np.zeros(seg_max // 4 + 1 if decimation == 4 else 1)

    # ---- per-frame work in chunks: batched FFTs (float64 for decimation 1, else float32)
    chunk = min(_CHUNK, n_frames)
    buf64 = np.zeros((chunk if decimation == 1 else 1, nf))
    buf32 = np.zeros((chunk if decimation > 1 else 1, nf), dtype=np.float32)
    acf = np.empty((chunk, n_lags))
    d = np.empty(n_lags)
    csum = np.empty(n_lags)
    yv = np.empty(n_y)
    lags_d = np.empty(3 + _MAX_CLIMB)
    lags_nacf = np.empty(3 + _MAX_CLIMB)
    for start in range(0, n_frames, chunk):
        nb = min(chunk, n_frames - start)
        seg_start = start * hop_length
        seg_len = (nb - 1) * hop_length + context
        seg = signal[seg_start : seg_start + seg_len]
        for i in range(seg_len):
            seg64[i] = seg[i]
        coarse = seg64[:seg_len]
        if decimation >= 2:
            _halfband_decimate(coarse, level1)
            coarse = level1[: seg_len // 2]
        if decimation == 4:
            _halfband_decimate(coarse, level2)
            coarse = level2[: seg_len // 4]
        for j in range(nb):
            c0 = (margin + j * hop_length) // decimation
            src = coarse[c0 : c0 + len_c]
            if decimation == 1:
                row64 = buf64[j]
                for i in range(len_c):
                    row64[i] = src[i]
            else:
                row32 = buf32[j]
                for i in range(len_c):
                    row32[i] = src[i]
        if decimation == 1:
            _autocorrelation_rows(buf64, nb, nf, n_lags, acf)
        else:
            _autocorrelation_rows(buf32, nb, nf, n_lags, acf)
        for j in range(nb):
            t = start + j
            c0 = (margin + j * hop_length) // decimation
            x = coarse[c0 : c0 + len_c]
            if _dot(x, x) <= _SILENCE_MEAN_SQUARE * len_c:
                continue  # silent frame: zeros
            for tau in range(wrap_from, n_lags):
                # circular: + sum_{i <= len_c - 1 + tau - nf} x_i x_{i + nf - tau}
                acf[j, tau] -= _dot(x[: len_c + tau - nf], x[nf - tau :])
            a = acf[j]
            a0 = a[0]
            h = 0.0
            running = 0.0
            for tau in range(1, n_lags):  # two independent running sums in one pass
                xv = x[tau - 1]
                h += xv * xv
                dt = 2.0 * (a0 - a[tau]) - h
                if dt < 0.0:  # a sum of squares: below 0 only by rounding (keeps the CMND finite)
                    dt = 0.0
                running += dt
                d[tau] = dt
                csum[tau] = running
            dd = d[min_pc:n_lags]
            cc = csum[min_pc:n_lags]
            for i in range(n_y):  # CMND d / (mean d + tiny), as d * tau / (sum d + tiny * tau): vectorised
                yv[i] = dd[i] * (i + min_pc) / (cc[i] + 1e-300 * (i + min_pc))
            best, value = _choose_trough(yv, n_y, trough_threshold, decimation)
            p = min(max(1.0 - value, 0.0), 1.0)
            period = decimation * (min_pc + best + _parabolic_shift(yv, best, n_y))
            prob[t] = p
            f0[t] = sampling_rate / period
            period_out[t] = period
            if p < refine_min_prob:
                continue
            # ---- full rate: d(tau) and nacf(tau) at integer lags around the period
            fs = margin + j * hop_length
            frame = seg64[fs : fs + frame_length]
            energy = _dot(frame, frame)
            centre = min(max(int(np.floor(period + 0.5)), min_p + 1), max_p - 1)
            lo = centre - 1  # evaluated lags: lo .. hi = lo + n_eval - 1
            n_eval = 3
            head_lo = _dot(frame[:lo], frame[:lo])  # sum_{m<lo} x_m^2
            tail_lo = _dot(frame[frame_length - lo :], frame[frame_length - lo :])
            head = head_lo
            tail = tail_lo
            for m in range(3):
                lags_d[m], lags_nacf[m] = _lag_terms(frame, energy, lo + m, head, tail)
                head += frame[lo + m] * frame[lo + m]
                tail += frame[frame_length - 1 - lo - m] * frame[frame_length - 1 - lo - m]
            if decimation > 1:
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
                        head_lo -= frame[lo] * frame[lo]
                        tail_lo -= frame[frame_length - 1 - lo] * frame[frame_length - 1 - lo]
                        lags_d[0], lags_nacf[0] = _lag_terms(frame, energy, lo, head_lo, tail_lo)
                        n_eval += 1
                    elif mbest == n_eval - 1 and lo + n_eval <= max_p:
                        lags_d[n_eval], lags_nacf[n_eval] = _lag_terms(frame, energy, lo + n_eval, head, tail)
                        head += frame[lo + n_eval] * frame[lo + n_eval]
                        tail += frame[frame_length - 1 - lo - n_eval] * frame[frame_length - 1 - lo - n_eval]
                        n_eval += 1
                    else:
                        break
                mbest = 0
                for m in range(1, n_eval):
                    if lags_d[m] < lags_d[mbest]:
                        mbest = m
                period = lo + mbest + _parabolic_shift(lags_d, mbest, n_eval)
                f0[t] = sampling_rate / period
                period_out[t] = period
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
            nacf_out[t] = min(max(peak, -1.0), 1.0)
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
