"""Linear prediction: autocorrelation from a power spectrum, Levinson-Durbin, LPC cepstrum.

Conventions: the inverse filter is ``A(z) = 1 + a_1 z^-1 + ... + a_p z^-p`` (the all-pole
model ``G / A(z)``, the sign of ``scipy.signal.lfilter``'s denominator and of
``librosa.lpc``), so the predictor is ``x[n] ~ -sum_k a_k x[n-k]``.

The autocorrelation of a windowed frame is read off its power spectrum: for a frame of
``frame_length <= n_fft`` samples zero-padded to ``n_fft``, ``irfft(|X|^2)`` is the circular
autocorrelation, equal to the linear one at lags ``< n_fft - frame_length``. Pre-emphasis
``1 - mu z^-1`` enters as the weight ``|1 - mu e^{-jw}|^2 = 1 + mu^2 - 2 mu cos w``: exactly the
autocorrelation of the windowed frame filtered by ``1 - mu z^-1`` (``frame_length + 1``
samples), valid at lags ``<= n_fft - frame_length - 1``. That is pre-emphasis applied after
the window; the usual order (before it) differs by ``mu x[n-1] (w[n] - w[n-1])``, below
0.8 % of ``|x[n-1]|`` for a Hann window of 400 samples (``|w'| <= pi / 400``).
"""

import numba
import numpy as np

from kernels.stft import weighted_sums_t

_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@numba.njit(cache=True, nogil=True)
def _power_basis(n_fft, n_lags, pre_emphasis):
    """(n_lags, n_fft // 2 + 1) float64: r[k] = basis[k] @ power (one-sided spectrum weights)."""
    n_bins = n_fft // 2 + 1
    basis = np.empty((n_lags, n_bins))
    for b in range(n_bins):
        w = 2.0 if 0 < b < n_fft - b else 1.0  # bins 0 and n_fft/2 appear once in the full spectrum
        c1 = np.cos(2.0 * np.pi * b / n_fft)
        scale = w * (1.0 + pre_emphasis * pre_emphasis - 2.0 * pre_emphasis * c1) / n_fft
        prev, cur = c1, 1.0  # cos(-w), cos(0); then cos((k+1) w) = 2 cos(w) cos(k w) - cos((k-1) w)
        for k in range(n_lags):
            basis[k, b] = scale * cur
            prev, cur = cur, 2.0 * c1 * cur - prev
    return basis


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _dot(a, b):
    s = 0.0
    for j in range(a.shape[0]):
        s += a[j] * b[j]
    return s


@numba.njit(cache=True, nogil=True)
def autocorrelation_from_power(power, n_fft, n_lags, pre_emphasis=0.0):
    """Autocorrelation lags ``0..n_lags-1`` of the (pre-emphasised) frames behind a power spectrum.

    Parameters
    ----------
    power : (n_frames, n_fft // 2 + 1) float32, ``|rfft(frame * window, n_fft)|^2``
    n_fft : int, even, the FFT length of ``power``
    n_lags : int >= 1
    pre_emphasis : float, ``mu`` of ``1 - mu z^-1`` (0 for none)

    Returns
    -------
    r : (n_frames, n_lags) float64, ``r[t, k] = sum_n y[n] y[n+k]`` of the windowed frame ``y``
        (filtered by ``1 - mu z^-1``), circular over ``n_fft`` samples (see the module docstring).
    """
    n_bins = n_fft // 2 + 1
    if power.shape[1] != n_bins:
        raise ValueError("power must have n_fft // 2 + 1 columns")
    return _autocorrelation_with_basis(power, _power_basis(n_fft, n_lags, pre_emphasis))


@numba.njit(cache=True, nogil=True)
def _autocorrelation_with_basis(power, basis):
    n_lags = basis.shape[0]
    n_bins = basis.shape[1]
    if power.shape[1] != n_bins:
        raise ValueError("power and basis have different numbers of bins")
    n_frames = power.shape[0]
    out = np.empty((n_frames, n_lags))
    row = np.empty(n_bins)
    for t in range(n_frames):
        src = power[t]
        for b in range(n_bins):
            row[b] = src[b]
        for k in range(n_lags):
            out[t, k] = _dot(basis[k], row)
    return out


@numba.njit(cache=True, nogil=True)
def _levinson_into(r, order, a, prev):
    """``levinson_durbin`` writing ``a_1..a_p`` into ``a`` (scratch ``prev``); returns the error."""
    for j in range(order):
        a[j] = 0.0
    if r[0] <= 0.0:
        return 0.0
    error = r[0]
    floor = r[0] * 1e-12
    for i in range(order):
        acc = r[i + 1]
        for j in range(i):
            acc += a[j] * r[i - j]
        k = -acc / error
        if not (abs(k) < 1.0):
            break
        new_error = error * (1.0 - k * k)
        if new_error <= floor:
            break
        for j in range(i):
            prev[j] = a[j]
        for j in range(i):
            a[j] = prev[j] + k * prev[i - 1 - j]
        a[i] = k
        error = new_error
    return error


@numba.njit(cache=True, nogil=True)
def levinson_durbin(r, order):
    """Solve the autocorrelation normal equations of one frame by the Levinson-Durbin recursion.

    Stops before an order whose prediction error would drop to ``1e-12 r[0]`` or below, or whose
    reflection coefficient reaches magnitude 1 (only an exactly predictable frame, e.g. a pure
    sinusoid at order 2, or rounding gets there), leaving the higher coefficients 0.
    ``r[0] <= 0`` (silence) gives all zeros and error 0.

    Parameters
    ----------
    r : (>= order + 1,) float64, autocorrelation lags 0..order
    order : int >= 1

    Returns
    -------
    a : (order,) float64, ``a_1..a_p`` of ``A(z) = 1 + sum a_k z^-k``
    error : float, the final prediction error power (same unit as ``r``)
    """
    a = np.zeros(order)
    error = _levinson_into(r, order, a, np.zeros(order))
    return a, error


@numba.njit(cache=True, nogil=True)
def _cepstrum_ratios(n_cepstra):
    """(n_cepstra, n_cepstra) float64, ``ratio[n - 1, k - 1] = k / n`` (the weights of ``_cepstrum_into``)."""
    ratio = np.zeros((n_cepstra, n_cepstra))
    for n in range(1, n_cepstra + 1):
        for k in range(1, n):
            ratio[n - 1, k - 1] = k / n
    return ratio


@numba.njit(cache=True, nogil=True)
def _cepstrum_into(a, c, ratio):
    """``lpc_to_cepstrum`` writing ``c_1..c_n`` into ``c`` (n = len(c)); ``ratio = _cepstrum_ratios(n)``."""
    p = a.shape[0]
    for n in range(1, c.shape[0] + 1):
        acc = -a[n - 1] if n <= p else 0.0
        rn = ratio[n - 1]
        for k in range(max(1, n - p), n):
            acc -= rn[k - 1] * c[k - 1] * a[n - k - 1]
        c[n - 1] = acc


@numba.njit(cache=True, nogil=True)
def lpc_to_cepstrum(a, n_cepstra):
    """Cepstrum ``c_1..c_n`` of the all-pole model ``1 / A(z)`` (gain term c_0 left out).

    The standard recursion ``c_n = -a_n - sum_{k=1}^{n-1} (k/n) c_k a_{n-k}`` (``a_n = 0`` for
    n > p): ``log(1 / A(z)) = sum_{n>=1} c_n z^-n``, so ``c_n`` is twice the real cepstrum of
    ``|1/A(e^jw)|`` at quefrency n (minimum phase).

    Parameters
    ----------
    a : (p,) float64, ``a_1..a_p``
    n_cepstra : int >= 1

    Returns
    -------
    c : (n_cepstra,) float64, dimensionless (natural-log units)
    """
    c = np.zeros(n_cepstra)
    _cepstrum_into(a, c, _cepstrum_ratios(n_cepstra))
    return c


@numba.njit(cache=True, nogil=True)
def lpc_from_power(power, n_fft, order, pre_emphasis=0.0):
    """LPC coefficients of every frame from its power spectrum (autocorrelation method).

    ``autocorrelation_from_power`` (needs ``order <= n_fft - frame_length - 1``) then
    ``levinson_durbin``; silent frames give zeros.

    Parameters
    ----------
    power : (n_frames, n_fft // 2 + 1) float32, ``|rfft(frame * window, n_fft)|^2``
    n_fft, order : int
    pre_emphasis : float, ``mu`` of ``1 - mu z^-1`` (0 for none)

    Returns
    -------
    lpc : (n_frames, order) float64, ``a_1..a_p`` (float64 so that ``lpcc_from_lpc`` starts
        from unrounded coefficients)
    """
    return lpc_from_power_basis(power, _power_basis(n_fft, order + 1, pre_emphasis), order)


@numba.njit(cache=True, nogil=True)
def lpc_basis(n_fft, order, pre_emphasis):
    """The constant weights of ``lpc_from_power`` (build them once, for ``lpc_from_power_basis`` or
    ``lpc_from_power_t``).

    Parameters
    ----------
    n_fft : int, even, the FFT length of the power spectra
    order : int >= 1
    pre_emphasis : float, ``mu`` of ``1 - mu z^-1`` (0 for none)

    Returns
    -------
    basis : (order + 1, n_fft // 2 + 1) float64, ``r[t, k] = basis[k] @ power[t]`` (the
        pre-emphasised autocorrelation at lag ``k``, see ``autocorrelation_from_power``).
    """
    return _power_basis(n_fft, order + 1, pre_emphasis)


@numba.njit(cache=True, nogil=True)
def lpc_from_power_basis(power, basis, order):
    """``lpc_from_power`` with its weights given (``lpc_basis(n_fft, order, pre_emphasis)``): the same values.

    Parameters
    ----------
    power : (n_frames, n_fft // 2 + 1) float32, ``|rfft(frame * window, n_fft)|^2``
    basis : (order + 1, n_fft // 2 + 1) float64, from ``lpc_basis``
    order : int >= 1

    Returns
    -------
    lpc : (n_frames, order) float64, ``a_1..a_p``
    """
    if basis.shape[0] != order + 1:
        raise ValueError("basis must have order + 1 rows")
    r = _autocorrelation_with_basis(power, basis)
    n_frames = power.shape[0]
    lpc = np.zeros((n_frames, order))
    prev = np.zeros(order)
    for t in range(n_frames):
        _levinson_into(r[t], order, lpc[t], prev)
    return lpc


@numba.njit(cache=True, nogil=True)
def lpcc_from_lpc(lpc, n_cepstra):
    """``lpc_to_cepstrum`` of every frame (the same arithmetic, SIMD across frames).

    Parameters
    ----------
    lpc : (n_frames, order) float64 (or float32)
    n_cepstra : int >= 1

    Returns
    -------
    lpcc : (n_frames, n_cepstra) float32, ``c_1..c_n``
    """
    n_frames, p = lpc.shape
    a = np.empty((p, n_frames))  # frames along the SIMD axis
    for t in range(n_frames):
        for k in range(p):
            a[k, t] = lpc[t, k]
    ratio = _cepstrum_ratios(n_cepstra)
    c = np.empty((n_cepstra, n_frames))
    for n in range(1, n_cepstra + 1):
        cn = c[n - 1]
        if n <= p:
            an = a[n - 1]
            for t in range(n_frames):
                cn[t] = -an[t]
        else:
            cn[:] = 0.0
        for k in range(max(1, n - p), n):
            w = ratio[n - 1, k - 1]
            ck = c[k - 1]
            ank = a[n - k - 1]
            for t in range(n_frames):
                cn[t] -= w * ck[t] * ank[t]
    out = np.empty((n_frames, n_cepstra), dtype=np.float32)
    for t in range(n_frames):
        for k in range(n_cepstra):
            out[t, k] = c[k, t]
    return out


@numba.njit(cache=True, nogil=True)
def _folded_cosines(n_fft, n_lags):
    """(n_lags, n_fft // 4 + 1) float64, ``cos(2 pi b k / n_fft)`` for bins ``b <= n_fft / 4`` (the
    recursion of ``_power_basis``)."""
    n_half = n_fft // 4 + 1
    table = np.empty((n_lags, n_half))
    for b in range(n_half):
        c1 = np.cos(2.0 * np.pi * b / n_fft)
        prev, cur = c1, 1.0
        for k in range(n_lags):
            table[k, b] = cur
            prev, cur = cur, 2.0 * c1 * cur - prev
    return table


@numba.njit(cache=True, nogil=True)
def _autocorrelation_folded_t(power_t, scale, cosines, r):
    """``r[k, t] = sum_b scale[b] cos(2 pi b k / n_fft) power_t[b, t]`` of every frame, float64
    (``n_fft`` a multiple of 8).

    With ``q = scale * power``, ``H = n_fft / 2``, ``Q = n_fft / 4`` and ``c[k, b] = cos(2 pi b k /
    n_fft)``: bin ``H - b`` has cosine ``(-1)^k c[k, b]``, so with ``e / o = q[b] +- q[H - b]`` (``b
    <= Q``) odd lags sum ``c[k, b] o[b]``; for even lags ``k = 2m`` bin ``Q - b`` has cosine ``(-1)^m
    c[k, b]``, so lags 0, 4, ... sum ``c[k, b] (e[b] + e[Q - b])`` and lags 2, 6, ... ``c[k, b] (e[b] -
    e[Q - b])`` over ``b <= Q / 2``. The four bins ``b, H - b, Q - b, Q + b`` are handled together
    (19 multiply-adds per four bins and frame instead of 52 at order 12; scratch: four rows of frames).

    Parameters
    ----------
    power_t : (H + 1, n_frames) float32; scale : (H + 1,) float64, the bin weights
    cosines : (n_lags, Q + 1) float64, ``_folded_cosines``
    r : (n_lags, n_frames) float64, overwritten
    """
    n = power_t.shape[1]
    h = power_t.shape[0] - 1
    q = h // 2
    o_lo = np.empty(n)  # o[b]
    o_hi = np.empty(n)  # o[Q - b]
    plus = np.empty(n)
    minus = np.empty(n)
    r[:] = 0.0
    for b in range(q // 2 + 1):
        p0 = power_t[b]
        p1 = power_t[h - b]
        p2 = power_t[q - b]
        p3 = power_t[q + b]
        s0, s1, s2, s3 = scale[b], scale[h - b], scale[q - b], scale[q + b]
        middle = b == 0  # bins Q - b and Q + b are the same (the middle bin, once)
        for t in range(n):
            q0 = s0 * np.float64(p0[t])
            q1 = s1 * np.float64(p1[t])
            q2 = s2 * np.float64(p2[t])
            q3 = 0.0 if middle else s3 * np.float64(p3[t])
            e_lo = q0 + q1
            e_hi = q2 + q3
            o_lo[t] = q0 - q1
            o_hi[t] = q2 - q3
            plus[t] = e_lo + e_hi
            minus[t] = e_lo - e_hi
        if 4 * b == h:  # b = Q - b: one bin pair, counted once
            for t in range(n):
                plus[t] = 0.5 * plus[t]
                minus[t] = plus[t]
                o_hi[t] = 0.0
        for k in range(cosines.shape[0]):
            row = r[k]
            if k % 2 == 1:
                c_lo = cosines[k, b]
                c_hi = cosines[k, q - b]
                for t in range(n):
                    row[t] = (row[t] + c_lo * o_lo[t]) + c_hi * o_hi[t]
            else:
                c = cosines[k, b]
                src = plus if k % 4 == 0 else minus
                for t in range(n):
                    row[t] += c * src[t]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def lpc_from_power_t(power_t, basis, order):
    """``lpc_from_power`` from the transposed power spectrum, all frames at once.

    The autocorrelation ``r[k] = basis[k] @ power`` is summed in float64 with bin ``b`` folded onto
    bins ``n_fft/2 - b``, ``n_fft/4 - b`` and ``n_fft/4 + b`` (same cosines up to sign: about a third
    of the multiply-adds; ``_autocorrelation_folded_t``), and the Levinson-Durbin recursion
    (``levinson_durbin``'s exact steps and stopping rules; a frame that stops keeps its
    coefficients) runs for all frames side by side, SIMD across frames, so a frame's result does
    not depend on the other frames. Equals ``lpc_from_power`` to float64 rounding (that one sums
    the dense basis, in another order, with the cosines of ``lpc_basis``).

    Parameters
    ----------
    power_t : (n_fft // 2 + 1, n_frames) float32, ``transpose_frames(power)``
    basis : (order + 1, n_fft // 2 + 1) float64, ``lpc_basis(n_fft, order, pre_emphasis)``
    order : int >= 1

    Returns
    -------
    lpc : (n_frames, order) float64, ``a_1..a_p`` (0 for silent frames)
    """
    n_bins = power_t.shape[0]
    n = power_t.shape[1]
    if basis.shape[0] != order + 1 or basis.shape[1] != n_bins:
        raise ValueError("basis must be (order + 1, n_bins)")
    r = np.empty((order + 1, n))
    n_fft = 2 * (n_bins - 1)
    if n_fft % 8 == 0:
        scale = basis[0]  # the per-bin weight (lag 0: cos = 1)
        _autocorrelation_folded_t(power_t, scale, _folded_cosines(n_fft, order + 1), r)
    else:  # the dense sum
        weighted_sums_t(power_t, basis, np.zeros(order + 1, dtype=np.int64),
                        np.full(order + 1, n_bins, dtype=np.int64), r)
    return _levinson_t(r, order)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _levinson_t(r, order):
    """``levinson_durbin`` of every column of ``r`` ((order + 1, n_frames) float64), SIMD across
    frames; returns (n_frames, order) float64."""
    n = r.shape[1]
    a = np.zeros((order, n))
    prev = np.zeros((order, n))
    error = r[0].copy()
    floor = np.empty(n)
    acc = np.empty(n)
    kk = np.empty(n)
    new_error = np.empty(n)
    active = np.empty(n, dtype=np.bool_)
    for t in range(n):
        active[t] = r[0, t] > 0.0
        floor[t] = r[0, t] * 1e-12
    for i in range(order):
        acc[:] = r[i + 1]
        for j in range(i):
            aj = a[j]
            rij = r[i - j]
            for t in range(n):
                acc[t] += aj[t] * rij[t]
        n_active = 0
        for t in range(n):
            k = -acc[t] / error[t] if active[t] else 0.0
            ne = error[t] * (1.0 - k * k)
            go = active[t] and abs(k) < 1.0 and ne > floor[t]
            active[t] = go
            kk[t] = k
            new_error[t] = ne
            n_active += go
        if n_active == 0:
            break
        for j in range(i):  # the update into the other buffer, then swap
            aj = a[j]
            am = a[i - 1 - j]
            nj = prev[j]
            for t in range(n):
                nj[t] = aj[t] + kk[t] * am[t] if active[t] else aj[t]
        a, prev = prev, a
        ai = a[i]
        for t in range(n):
            if active[t]:
                ai[t] = kk[t]
                error[t] = new_error[t]
    out = np.empty((n, order))
    for t in range(n):
        for j in range(order):
            out[t, j] = a[j, t]
    return out
