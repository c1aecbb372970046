"""Short-time power spectrum (of pre-cut frames, or of the frames it cuts from a signal), and the
frames-along-the-last-axis layout (with its weighted sums) of the ``*_t`` kernels that compute
all frames at once."""

import numba
import numpy as np
from rocket_fft import lowlevel

# Frames transformed per FFT call: bounds the float64 scratch buffers (windowed frames and their
# spectra, _BLOCK_FRAMES * n_fft * 8 bytes each, 128 KiB for n_fft=512), so they stay in cache
# (and are not fresh pages) however long the input block is.
_BLOCK_FRAMES = 32


@numba.njit(cache=True, nogil=True)
def power_spectrum(frames, window, n_fft):
    """Power spectrum ``|rfft(frame * window, n=n_fft)|**2`` of every frame.

    Each windowed frame is zero-padded at the end to ``n_fft`` samples. librosa
    centres a short window inside ``n_fft`` instead; that only changes the phase,
    so the power is the same as librosa's ``np.abs(stft(...))**2``. The FFT runs
    in float64 (window products are exact), the result is rounded once to float32.
    No scaling is applied (neither 1/n_fft nor window-energy normalisation).

    Parameters
    ----------
    frames : (n_frames, frame_length) float32
        Frames from ``frame_signal``; ``frame_length <= n_fft``.
    window : (frame_length,) float32
        Analysis window, e.g. ``hann_window(frame_length)``.
    n_fft : int >= frame_length
        FFT length in samples.

    Returns
    -------
    power : (n_frames, n_fft // 2 + 1) float32
        Power per FFT bin, in (input unit)^2; bin ``k`` is at
        ``k * sampling_rate / n_fft`` Hz.
    """
    n_frames = frames.shape[0]
    frame_length = frames.shape[1]
    _check_lengths(frame_length, window, n_fft)
    power = np.empty((n_frames, n_fft // 2 + 1), dtype=np.float32)
    win = window.astype(np.float64)
    buf, spectra = _scratch(n_frames, n_fft)
    for start in range(0, n_frames, buf.shape[0]):
        nb = min(buf.shape[0], n_frames - start)
        for j in range(nb):
            _windowed(frames[start + j], win, buf[j])
        _block_power(buf[:nb], spectra[:nb], power[start : start + nb])
    return power


@numba.njit(cache=True, nogil=True)
def framed_power_spectrum(signal, frame_length, hop_length, window, n_fft):
    """``power_spectrum(frame_signal(signal, frame_length, hop_length), window, n_fft)``, cutting
    the frames itself: the same values, bit for bit, but a contiguous signal is read with vector
    loads (a strided frames view is not).

    Parameters
    ----------
    signal : (n_samples,) float32; frame ``t`` is ``signal[t * hop_length : t * hop_length +
        frame_length]``, ``1 + (n_samples - frame_length) // hop_length`` frames (0 if the signal
        is shorter than a frame)
    frame_length : int, 0 < frame_length <= n_fft
    hop_length : int > 0, samples between frame starts
    window : (frame_length,) float32
    n_fft : int >= frame_length

    Returns
    -------
    power : (n_frames, n_fft // 2 + 1) float32, as ``power_spectrum``.
    """
    _check_lengths(frame_length, window, n_fft)
    if hop_length <= 0:
        raise ValueError("hop_length must be > 0")
    n_frames = max(0, 1 + (signal.shape[0] - frame_length) // hop_length)
    power = np.empty((n_frames, n_fft // 2 + 1), dtype=np.float32)
    win = window.astype(np.float64)
    buf, spectra = _scratch(n_frames, n_fft)
    for start in range(0, n_frames, buf.shape[0]):
        nb = min(buf.shape[0], n_frames - start)
        for j in range(nb):
            first = (start + j) * hop_length
            _windowed(signal[first : first + frame_length], win, buf[j])
        _block_power(buf[:nb], spectra[:nb], power[start : start + nb])
    return power


@numba.njit(cache=True, nogil=True)
def _check_lengths(frame_length, window, n_fft):
    if window.shape[0] != frame_length:
        raise ValueError("window length must equal frame_length")
    if frame_length > n_fft:
        raise ValueError("frame_length must be <= n_fft")


@numba.njit(cache=True, nogil=True)
def _scratch(n_frames, n_fft):
    """Windowed-frame buffer (zero beyond the frame: only the first frame_length columns are ever
    written) and spectrum buffer, ``(block, n_fft)`` float64 each."""
    block = max(1, min(_BLOCK_FRAMES, n_frames))
    return np.zeros((block, n_fft), dtype=np.float64), np.empty((block, n_fft), dtype=np.float64)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _windowed(frame, win, out):
    """``out[:len(frame)] = frame * win`` in float64 (exact)."""
    for i in range(frame.shape[0]):
        out[i] = frame[i] * win[i]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _block_power(buf, spectra, power):
    """``power[j] = |rfft(buf[j])|**2`` rounded to float32, for every row ``j``.

    ``spectra`` (the same shape as ``buf``) receives pocketfft's halfcomplex ("fftpack") real
    spectra, ``r0, r1, i1, r2, i2, ...`` (plus ``r[n/2]`` for an even length): the same float64
    values as ``np.fft.rfft``, without allocating a complex array per call.
    """
    n_fft = buf.shape[1]
    n_bins = n_fft // 2 + 1
    lowlevel.r2r_fftpack(buf, spectra, np.array([1]), True, True, 1.0, 1)
    for j in range(buf.shape[0]):
        hc = spectra[j]
        p = power[j]
        p[0] = hc[0] * hc[0]
        for k in range(1, (n_fft + 1) // 2):
            p[k] = hc[2 * k - 1] * hc[2 * k - 1] + hc[2 * k] * hc[2 * k]
        if n_fft % 2 == 0:
            p[n_bins - 1] = hc[n_fft - 1] * hc[n_fft - 1]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def transpose_frames(values):
    """Frames along the last axis: the layout of the ``*_t`` kernels, whose inner loops run over
    all frames at once (SIMD across frames, every frame going through the same operations).

    Parameters
    ----------
    values : (n_frames, n_bins) float32, e.g. ``power_spectrum`` output

    Returns
    -------
    values_t : (n_bins, n_frames) float32, ``values.T`` made contiguous.
    """
    n_frames = values.shape[0]
    n_bins = values.shape[1]
    out = np.empty((n_bins, n_frames), dtype=np.float32)
    for k in range(n_bins):
        dst = out[k]
        for t in range(n_frames):
            dst[t] = values[t, k]
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def weighted_sums_t(values_t, weights, first, stop, out):
    """``out[m, t] = sum_{k = first[m]}^{stop[m] - 1} weights[m, k] * values_t[k, t]`` in float64.

    Each sum runs over ``k`` in increasing order with separate multiplies and adds (no fused
    multiply-add), so it has the exact value of the per-frame loop ``for k: acc += w * x`` (four
    terms per pass over the frames, so that the running sums are loaded and stored a quarter as
    often); the loop over the frames is the SIMD loop.

    Parameters
    ----------
    values_t : (n_bins, n_frames) float32 (``transpose_frames``)
    weights : (n_rows, n_bins) float64
    first, stop : (n_rows,) int64, the bins of row ``m`` are ``first[m]:stop[m]`` (e.g. the
        non-zero support of a filter; ``0, n_bins`` for a dense row)
    out : (n_rows, n_frames) float64, overwritten

    Returns
    -------
    out : the ``out`` array.
    """
    n_frames = values_t.shape[1]
    n_rows = weights.shape[0]
    for m in range(n_rows):
        row = out[m]
        row[:] = 0.0
        wm = weights[m]
        # max(., 0): lets LLVM drop negative-index wraparound (which blocks vectorisation)
        k = max(first[m], 0)
        hi = max(stop[m], 0)
        while k + 4 <= hi:
            w0 = wm[k]
            w1 = wm[k + 1]
            w2 = wm[k + 2]
            w3 = wm[k + 3]
            x0 = values_t[k]
            x1 = values_t[k + 1]
            x2 = values_t[k + 2]
            x3 = values_t[k + 3]
            for t in range(n_frames):
                row[t] = (((row[t] + w0 * np.float64(x0[t])) + w1 * np.float64(x1[t])) + w2 * np.float64(x2[t])) \
                    + w3 * np.float64(x3[t])
            k += 4
        while k < hi:
            w0 = wm[k]
            x0 = values_t[k]
            for t in range(n_frames):
                row[t] += w0 * np.float64(x0[t])
            k += 1
    return out


@numba.njit(cache=True, nogil=True)
def support(weights):
    """First and stop index of the non-zero entries of every row (``first = stop = 0`` for an
    all-zero row), for ``weighted_sums_t``.

    Parameters
    ----------
    weights : (n_rows, n_bins) float

    Returns
    -------
    first, stop : (n_rows,) int64.
    """
    n_rows = weights.shape[0]
    first = np.zeros(n_rows, dtype=np.int64)
    stop = np.zeros(n_rows, dtype=np.int64)
    for m in range(n_rows):
        for k in range(weights.shape[1]):
            if weights[m, k] != 0.0:
                if stop[m] == 0:
                    first[m] = k
                stop[m] = k + 1
    return first, stop
