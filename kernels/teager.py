"""Teager energy operator (TEO) descriptors: frame statistics and TEO-CB-Auto-Env.

Teager-Kaiser energy: ``psi[n] = x[n]^2 - x[n-1] x[n+1]``; for ``x[n] = A cos(w n + phi)`` it is
exactly ``A^2 sin^2(w)`` at every interior sample.

TEO-CB-Auto-Env (Zhou, Hansen & Kaiser 2001), per frame and critical band, computed in the
frequency domain so it stays cheap and per-frame:

1. the frame (``frame_length`` samples, periodic Hann window) -> DFT ``X`` (circular, no
   zero-padding);
2. band ``b``: a zero-phase Gabor band-pass ``G_b(f) = exp(-(f - f_c)^2 / (2 sigma^2))`` with
   ``f_c`` the middle of the band's edges and the -3 dB (power) bandwidth equal to the band's
   width (``sigma = width / (2 sqrt(ln 2))``), truncated to ``|f - f_c| <= 2 sigma`` (DC and
   Nyquist bins excluded); the band signal is ``y_b = IDFT(X G_b)`` (real, circular);
3. its TEO profile ``psi_b[n]`` (circular). Writing ``y_b = z + z*`` with ``z`` the
   positive-frequency part, ``psi_b`` is a slowly varying part
   ``2|z_n|^2 - 2 Re(z_{n-1} z*_{n+1})``, whose DFT is exactly
   ``(4/N) sum_l Y_{l+m} Y*_l sin^2((w_l + w_{l+m}) / 2)`` (``Y = X G_b``), plus a component
   around twice the band frequency made of the same products weighted by
   ``sin^2((w_l - w_{l'}) / 2)`` instead, i.e. small for a narrow band (at most 0.07 for the
   outermost bins of the widest band here, far less where the Gaussian weights are). Only the
   slow part is kept: against the literal time-domain computation, on speech and noise, the
   result differs by at most ~0.03 in the lowest band (100-200 Hz, where twice the band
   frequency falls inside the profile's own band) and ~0.001 in the others;
4. its circular autocorrelation ``R_b(k)``, normalised by ``R_b(0)``, averaged over lags
   ``0..n_lags-1`` (the area under the normalised autocorrelation, over ``n_lags`` lags,
   divided by ``n_lags``): ``sum_m |P_m|^2 c_m / sum_m |P_m|^2`` with ``P`` the DFT of the
   profile and ``c_m = mean_{k<n_lags} cos(2 pi m k / N)``.

The value lies in [-1, 1] (in practice (0, 1]): near 1 for a band whose Teager energy is steady
over the frame, smaller the more it is modulated (for a steady sinusoid in the band it is the
value of the squared Hann window's own profile, about 0.51 with ``n_lags = N/2``). A silent band
gives 0. Zhou et al. take the area under the envelope of the normalised autocorrelation; the
Teager profile of a critical band has no carrier, so its autocorrelation is used directly.
"""

import numba
import numpy as np

#: Zwicker's critical-band edges from 100 Hz to 3700 Hz: 16 bands.
CRITICAL_BAND_EDGES_HZ = (100.0, 200.0, 300.0, 400.0, 510.0, 630.0, 770.0, 920.0, 1080.0, 1270.0,
                          1480.0, 1720.0, 2000.0, 2320.0, 2700.0, 3150.0, 3700.0)
_SIGMA_SPAN = 2.0
_CHUNK = 32  # frames per batched FFT
_LANES = 32  # frames whose band sums run side by side (SIMD across frames)
_PAIRS = 4  # bin pairs summed per pass over the lanes (teo_cb_auto_env_hop is written for 4)
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # vectorised sums; order depends on lengths only


@numba.njit(cache=True, nogil=True)
def teager_energy(x):
    """Teager-Kaiser energy of a 1-D signal at its interior samples.

    Parameters
    ----------
    x : (n,) float32, n >= 3 (shorter gives an empty result)

    Returns
    -------
    psi : (max(n - 2, 0),) float32, ``psi[i] = x[i+1]^2 - x[i] x[i+2]`` (squared input unit),
        computed in float64.
    """
    n = x.shape[0]
    m = max(n - 2, 0)
    out = np.empty(m, dtype=np.float32)
    for i in range(m):
        a = np.float64(x[i])
        b = np.float64(x[i + 1])
        c = np.float64(x[i + 2])
        out[i] = b * b - a * c
    return out


@numba.njit(cache=True, nogil=True)
def teo_frame_stats(frames, floor=1e-10):
    """Mean, standard deviation and log mean magnitude of the Teager energy inside each frame.

    Over the ``frame_length - 2`` interior samples of the frame (no window):
    ``mean(psi)``, ``std(psi)`` (population), and ``10 log10(max(mean |psi|, floor))`` (dB).
    Frames shorter than 3 samples give ``0, 0, 10 log10(floor)``.

    Parameters
    ----------
    frames : (n_frames, frame_length) float32
    floor : float > 0, the floor of ``mean |psi|`` before the log (1e-10 -> -100 dB)

    Returns
    -------
    stats : (n_frames, 3) float32: mean (squared unit), std (squared unit), log mean |psi| (dB)
    """
    n_frames = frames.shape[0]
    n = frames.shape[1]
    out = np.empty((n_frames, 3), dtype=np.float32)
    m = n - 2
    for t in range(n_frames):
        if m > 0:
            s, s2, sa = _teo_sums(frames[t])
            mean = s / m
            var = max(s2 / m - mean * mean, 0.0)
            mean_abs = sa / m
        else:
            mean = 0.0
            var = 0.0
            mean_abs = 0.0
        out[t, 0] = mean
        out[t, 1] = np.sqrt(var)
        out[t, 2] = 10.0 * np.log10(max(mean_abs, floor))
    return out


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _teo_sums(x):
    """(sum psi, sum psi^2, sum |psi|) over the interior of x, in float64 (vectorised)."""
    s = 0.0
    s2 = 0.0
    sa = 0.0
    for i in range(x.shape[0] - 2):
        a = np.float64(x[i])
        b = np.float64(x[i + 1])
        c = np.float64(x[i + 2])
        psi = b * b - a * c
        s += psi
        s2 += psi * psi
        sa += abs(psi)
    return s, s2, sa


@numba.njit(cache=True, nogil=True)
def teo_cb_tables(frame_length, sampling_rate, band_edges_hz, n_lags):
    """Constant tables of ``teo_cb_auto_env`` for one configuration.

    Parameters
    ----------
    frame_length : int, even, the DFT size N
    sampling_rate : float, Hz
    band_edges_hz : (n_bands + 1,) float64, increasing band edges in Hz (< sampling_rate / 2)
    n_lags : int, 1 <= n_lags <= N, lags averaged (e.g. N // 2)

    Returns
    -------
    window : (N,) float64, periodic Hann window
    band_lo : (n_bands,) int64, first DFT bin of each band
    band_size : (n_bands,) int64, number of bins S_b (>= 1)
    weight_start : (n_bands,) int64, offset of each band's pair weights in ``weights``
    weights : (sum_b S_b (S_b + 1) / 2,) float64, ``G(l+m) G(l) sin^2((w_l + w_{l+m}) / 2)``
        for m = 0..S_b-1, l = 0..S_b-1-m (m-major)
    lag_weights : (max_b S_b,) float64, ``mult_m c_m`` with ``mult = 1`` at m = 0, else 2
    """
    n = frame_length
    n_bands = band_edges_hz.shape[0] - 1
    if n < 4 or n % 2 or n_bands < 1 or not (1 <= n_lags <= n):
        raise ValueError("need an even frame_length >= 4, at least one band and 1 <= n_lags <= frame_length")
    window = np.empty(n)
    for i in range(n):
        window[i] = 0.5 - 0.5 * np.cos(2.0 * np.pi * i / n)
    df = sampling_rate / n
    band_lo = np.empty(n_bands, dtype=np.int64)
    band_size = np.empty(n_bands, dtype=np.int64)
    weight_start = np.empty(n_bands, dtype=np.int64)
    centres = np.empty(n_bands)
    sigmas = np.empty(n_bands)
    total = 0
    max_size = 1
    for b in range(n_bands):
        lo_hz = band_edges_hz[b]
        hi_hz = band_edges_hz[b + 1]
        if not (0.0 < lo_hz < hi_hz < sampling_rate / 2):
            raise ValueError("band edges must increase inside (0, sampling_rate / 2)")
        centres[b] = 0.5 * (lo_hz + hi_hz)
        sigmas[b] = (hi_hz - lo_hz) / (2.0 * np.sqrt(np.log(2.0)))
        first = max(int(np.ceil((centres[b] - _SIGMA_SPAN * sigmas[b]) / df)), 1)
        last = min(int(np.floor((centres[b] + _SIGMA_SPAN * sigmas[b]) / df)), n // 2 - 1)
        if last < first:  # narrower than a bin: the nearest bin
            first = min(max(int(np.floor(centres[b] / df + 0.5)), 1), n // 2 - 1)
            last = first
        band_lo[b] = first
        band_size[b] = last - first + 1
        weight_start[b] = total
        total += band_size[b] * (band_size[b] + 1) // 2
        max_size = max(max_size, band_size[b])
    weights = np.empty(total)
    for b in range(n_bands):
        s = band_size[b]
        pos = weight_start[b]
        for m in range(s):
            for l in range(s - m):
                k1 = band_lo[b] + l
                k2 = k1 + m
                g1 = np.exp(-0.5 * ((k1 * df - centres[b]) / sigmas[b]) ** 2)
                g2 = np.exp(-0.5 * ((k2 * df - centres[b]) / sigmas[b]) ** 2)
                half = np.pi * (k1 + k2) / n  # (w_k1 + w_k2) / 2
                weights[pos] = g1 * g2 * np.sin(half) ** 2
                pos += 1
    lag_weights = np.empty(max_size)
    for m in range(max_size):
        acc = 0.0
        for k in range(n_lags):
            acc += np.cos(2.0 * np.pi * m * k / n)
        lag_weights[m] = (1.0 if m == 0 else 2.0) * acc / n_lags
    return window, band_lo, band_size, weight_start, weights, lag_weights


@numba.njit(cache=True, nogil=True)
def teo_cb_auto_env(frames, window, band_lo, band_size, weight_start, weights, lag_weights):
    """TEO-CB-Auto-Env of every frame and band (see the module docstring).

    ``teo_cb_auto_env_hop`` of the rows of ``frames`` laid end to end (a contiguous copy first if
    ``frames`` is a strided view).

    Parameters
    ----------
    frames : (n_frames, N) float32, N = ``window.shape[0]``
    window, band_lo, band_size, weight_start, weights, lag_weights : from ``teo_cb_tables``

    Returns
    -------
    area : (n_frames, n_bands) float32, as ``teo_cb_auto_env_hop``
    """
    n_frames = frames.shape[0]
    n = frames.shape[1]
    if window.shape[0] != n:
        raise ValueError("frames and window lengths differ")
    signal = np.ascontiguousarray(frames).reshape(n_frames * n)
    return teo_cb_auto_env_hop(signal, n, n_frames, window, band_lo, band_size, weight_start, weights,
                               lag_weights)


# fastmath "contract" only: fused multiply-adds, no reassociation (each lane keeps one fixed order)
@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def teo_cb_auto_env_hop(signal, hop_length, n_frames, window, band_lo, band_size, weight_start, weights,
                        lag_weights):
    """TEO-CB-Auto-Env of every frame of a signal and every band (see the module docstring).

    Frame ``t`` is ``signal[t * hop_length : t * hop_length + N]`` (N = ``window.shape[0]``), read
    in place (a family passes the block's signal, not a strided frame view). Frames are
    transformed in batches (one real FFT call per ``_CHUNK`` frames, float64); the bins the bands
    use are then transposed so that the frames are the contiguous, SIMD axis, and the band sums run
    over ``_LANES`` frames at once in float32 (twice the SIMD width of float64: on EMO-DB the
    values are within 1.8e-7, i.e. a few float32 ulps, of float64 band sums), ``_PAIRS`` bin
    pairs per pass, so each frame's accumulators are loaded and stored once per ``_PAIRS``
    products rather than once per product (a chain through memory). Every frame goes
    through the same operations in the same order, so a frame's value does not depend on the
    other frames of the call.

    Parameters
    ----------
    signal : (>= (n_frames - 1) * hop_length + N,) float32, contiguous
    hop_length : int >= 1, samples between frame starts
    n_frames : int >= 0
    window, band_lo, band_size, weight_start, weights, lag_weights : from ``teo_cb_tables``

    Returns
    -------
    area : (n_frames, n_bands) float32, dimensionless, in [-1, 1]; 0 for a silent band
    """
    n = window.shape[0]
    if n_frames < 0 or hop_length < 1 or (n_frames and signal.shape[0] < (n_frames - 1) * hop_length + n):
        raise ValueError("need hop_length >= 1 and a signal long enough for n_frames frames")
    n_bands = band_lo.shape[0]
    out = np.zeros((n_frames, n_bands), dtype=np.float32)
    if n_frames == 0:
        return out
    chunk = min(_CHUNK, n_frames)
    buf = np.empty((chunk, n))
    # only the bins the bands use, first..last
    first = n
    last = 0
    for b in range(n_bands):
        first = min(first, band_lo[b])
        last = max(last, band_lo[b] + band_size[b] - 1)
    n_used = last - first + 1
    lanes = _LANES
    # spectra of one group of frames, bin-major: xt[k, 0, l] and xt[k, 1, l] are the real and
    # imaginary parts of bin first + k of frame l
    xt = np.empty((n_used, 2, lanes), dtype=np.float32)
    pair_weights = weights.astype(np.float32)
    acc = np.empty((2, lanes), dtype=np.float32)
    num = np.empty(lanes)
    den = np.empty(lanes)
    for start in range(0, n_frames, chunk):
        nb = min(chunk, n_frames - start)
        for j in range(nb):
            row = buf[j]
            frame = signal[(start + j) * hop_length:(start + j) * hop_length + n]
            for i in range(n):
                row[i] = frame[i] * window[i]
        spec = np.fft.rfft(buf[:nb])
        for g in range(0, nb, lanes):
            ng = min(lanes, nb - g)
            for l in range(lanes):
                if l < ng:
                    spec_row = spec[g + l]
                    for k in range(n_used):
                        c = spec_row[first + k]
                        xt[k, 0, l] = c.real
                        xt[k, 1, l] = c.imag
                else:  # unused lanes: zeros (their results are dropped)
                    for k in range(n_used):
                        xt[k, 0, l] = 0.0
                        xt[k, 1, l] = 0.0
            for b in range(n_bands):
                # max(., 0): lets LLVM drop negative-index wraparound, which blocks vectorisation
                lo = max(band_lo[b] - first, 0)
                size = band_size[b]
                pos = max(weight_start[b], 0)
                num[:] = 0.0
                den[:] = 0.0
                for m in range(size):
                    # P_m = sum_q w_{q,m} X_{lo+q+m} conj(X_{lo+q}) over the band, for every lane
                    acc[:] = 0.0
                    count = size - m
                    for p in range(count // _PAIRS):  # _PAIRS (= 4) pairs per pass
                        q = lo + _PAIRS * p
                        x0 = xt[q:q + _PAIRS]  # X_{lo+q}, ...
                        x1 = xt[q + m:q + m + _PAIRS]  # X_{lo+q+m}, ...
                        w0 = pair_weights[pos]
                        w1 = pair_weights[pos + 1]
                        w2 = pair_weights[pos + 2]
                        w3 = pair_weights[pos + 3]
                        pos += _PAIRS
                        for l in range(lanes):
                            r0a = x0[0, 0, l]
                            i0a = x0[0, 1, l]
                            r1a = x1[0, 0, l]
                            i1a = x1[0, 1, l]
                            r0b = x0[1, 0, l]
                            i0b = x0[1, 1, l]
                            r1b = x1[1, 0, l]
                            i1b = x1[1, 1, l]
                            r0c = x0[2, 0, l]
                            i0c = x0[2, 1, l]
                            r1c = x1[2, 0, l]
                            i1c = x1[2, 1, l]
                            r0d = x0[3, 0, l]
                            i0d = x0[3, 1, l]
                            r1d = x1[3, 0, l]
                            i1d = x1[3, 1, l]
                            acc[0, l] += ((w0 * (r1a * r0a + i1a * i0a) + w1 * (r1b * r0b + i1b * i0b))
                                          + (w2 * (r1c * r0c + i1c * i0c) + w3 * (r1d * r0d + i1d * i0d)))
                            acc[1, l] += ((w0 * (i1a * r0a - r1a * i0a) + w1 * (i1b * r0b - r1b * i0b))
                                          + (w2 * (i1c * r0c - r1c * i0c) + w3 * (i1d * r0d - r1d * i0d)))
                    for q in range(count - count % _PAIRS, count):  # the last count % _PAIRS pairs
                        y0 = xt[lo + q]
                        y1 = xt[lo + q + m]
                        w = pair_weights[pos]
                        pos += 1
                        for l in range(lanes):
                            r0 = y0[0, l]
                            i0 = y0[1, l]
                            r1 = y1[0, l]
                            i1 = y1[1, l]
                            acc[0, l] += w * (r1 * r0 + i1 * i0)
                            acc[1, l] += w * (i1 * r0 - r1 * i0)
                    lag_weight = lag_weights[m]
                    mult = 1.0 if m == 0 else 2.0
                    for l in range(lanes):
                        a = np.float64(acc[0, l])
                        z = np.float64(acc[1, l])
                        p2 = a * a + z * z
                        num[l] += lag_weight * p2
                        den[l] += mult * p2
                for l in range(ng):
                    out[start + g + l, b] = num[l] / den[l] if den[l] > 0.0 else 0.0
    return out
