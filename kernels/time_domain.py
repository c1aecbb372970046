"""Time-domain frame descriptors."""

import numba
import numpy as np

# librosa's zero-crossing threshold, compared in float32 like librosa does for
# float32 input (so |x| <= float32(1e-10) counts as zero, bit for bit).
_ZC_THRESHOLD = np.float64(np.float32(1e-10))


@numba.njit(cache=True, nogil=True)
def rms(frames):
    """Root mean square of every frame, no window: ``sqrt(mean(x**2))``.

    With frames cut (frame_length=400, hop_length=160) from a signal zero-padded by
    200 samples on each side this equals ``librosa.feature.rms(y=y,
    frame_length=400, hop_length=160, center=True, pad_mode='constant')[0]``.
    Sums in float64. A frame of length 0 gives 0.

    Parameters
    ----------
    frames : (n_frames, frame_length) float32, samples

    Returns
    -------
    rms : (n_frames,) float32, in the sample unit.
    """
    n_frames = frames.shape[0]
    frame_length = frames.shape[1]
    out = np.zeros(n_frames, dtype=np.float32)
    if frame_length == 0:
        return out
    for t in range(n_frames):
        acc = 0.0
        for i in range(frame_length):
            x = np.float64(frames[t, i])
            acc += x * x
        out[t] = np.sqrt(acc / frame_length)
    return out


@numba.njit(cache=True, nogil=True)
def zero_crossing_rate(frames):
    """Zero-crossing rate of every frame, librosa's definition.

    Samples with ``|x| <= 1e-10`` are set to 0, and 0 counts as positive; a
    crossing is a sign change between consecutive samples inside the frame; the
    count is divided by ``frame_length`` (not ``frame_length - 1``). Equals
    ``librosa.feature.zero_crossing_rate`` on the same frames (librosa pads with
    mode='edge' when centering, so only frames touching the padding differ
    when the caller pads with zeros). A frame of length 0 gives 0.

    Parameters
    ----------
    frames : (n_frames, frame_length) float32, samples

    Returns
    -------
    zcr : (n_frames,) float32, crossings per sample (0..(frame_length-1)/frame_length).
    """
    n_frames = frames.shape[0]
    frame_length = frames.shape[1]
    out = np.zeros(n_frames, dtype=np.float32)
    if frame_length == 0:
        return out
    thr = _ZC_THRESHOLD
    for t in range(n_frames):
        count = 0
        prev_neg = np.float64(frames[t, 0]) < -thr
        for i in range(1, frame_length):
            neg = np.float64(frames[t, i]) < -thr
            if neg != prev_neg:
                count += 1
            prev_neg = neg
        out[t] = count / frame_length
    return out
