"""Short-time power spectrum of pre-cut frames."""

import numba
import numpy as np

# Frames transformed per FFT call: bounds the float64 scratch buffer
# (_BLOCK_FRAMES * n_fft * 8 bytes, 512 KiB for n_fft=512) so it stays in cache
# however long the input block is.
_BLOCK_FRAMES = 128


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
    if window.shape[0] != frame_length:
        raise ValueError("window length must equal frame_length")
    if frame_length > n_fft:
        raise ValueError("frame_length must be <= n_fft")
    n_bins = n_fft // 2 + 1
    power = np.empty((n_frames, n_bins), dtype=np.float32)
    if n_frames == 0:
        return power
    block = min(_BLOCK_FRAMES, n_frames)
    # Columns frame_length..n_fft-1 are written once (zeros) and never touched again.
    buf = np.zeros((block, n_fft), dtype=np.float64)
    win = window.astype(np.float64)
    for start in range(0, n_frames, block):
        nb = min(block, n_frames - start)
        for j in range(nb):
            for i in range(frame_length):
                buf[j, i] = frames[start + j, i] * win[i]
        spec = np.fft.rfft(buf[:nb])
        for j in range(nb):
            for k in range(n_bins):
                c = spec[j, k]
                power[start + j, k] = c.real * c.real + c.imag * c.imag
    return power
