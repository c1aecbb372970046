"""Framing and analysis windows.

Centering / padding of the signal is the caller's job: these kernels never pad.
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def frame_signal(signal, frame_length, hop_length):
    """Cut a 1-D signal into overlapping frames, without any padding.

    Parameters
    ----------
    signal : (n_samples,) float32
        Audio samples (any unit; typically full scale -1..1).
    frame_length : int > 0
        Frame length in samples.
    hop_length : int > 0
        Hop between frame starts in samples.

    Returns
    -------
    frames : (n_frames, frame_length) float32, C-contiguous copy
        Frame ``t`` is ``signal[t * hop_length : t * hop_length + frame_length]``.
        ``n_frames = 1 + (n_samples - frame_length) // hop_length`` if
        ``n_samples >= frame_length``, else 0 (shape ``(0, frame_length)``).
        A tail shorter than a hop after the last full frame is dropped.
    """
    if frame_length <= 0:
        raise ValueError("frame_length must be > 0")
    if hop_length <= 0:
        raise ValueError("hop_length must be > 0")
    n_samples = signal.shape[0]
    if n_samples >= frame_length:
        n_frames = 1 + (n_samples - frame_length) // hop_length
    else:
        n_frames = 0
    frames = np.empty((n_frames, frame_length), dtype=np.float32)
    for t in range(n_frames):
        start = t * hop_length
        for i in range(frame_length):
            frames[t, i] = signal[start + i]
    return frames


@numba.njit(cache=True, nogil=True)
def hann_window(window_length):
    """Periodic ("DFT-even") Hann window.

    Same values as ``scipy.signal.get_window('hann', window_length, fftbins=True)``
    (what librosa uses): ``w[n] = 0.5 - 0.5 * cos(2 * pi * n / window_length)``;
    a length-1 window is ``[1.0]`` (scipy's convention), length 0 is empty.

    Parameters
    ----------
    window_length : int >= 0
        Window length in samples.

    Returns
    -------
    window : (window_length,) float32
        Dimensionless gains in [0, 1] (computed in float64, rounded once).
    """
    if window_length < 0:
        raise ValueError("window_length must be >= 0")
    window = np.empty(window_length, dtype=np.float32)
    if window_length <= 1:
        window[:] = 1.0
        return window
    step = 2.0 * np.pi / window_length
    for n in range(window_length):
        window[n] = 0.5 - 0.5 * np.cos(step * n)
    return window
