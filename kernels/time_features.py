"""Time-domain frame statistics: temporal centroid, variance and log energy, in one pass."""

import numba
import numpy as np

#: Floor of the frame energy (sum of squares) before the natural log: ln(1e-10) = -23.03,
#: the same 1e-10 as ``power_to_db``'s amin. A 400-sample frame of 16-bit quantisation
#: noise alone has ~3e-8, so only digital silence (or near-silence) reaches the floor.
LOG_ENERGY_FLOOR = 1e-10

#: Column order of ``time_features``.
TIME_FEATURE_NAMES = ("temporal_centroid", "variance", "log_energy")


# Reassociation lets LLVM vectorise the float64 sums (deterministic for a given machine);
# error_model="numpy" drops the zero checks of the (guarded) divisions.
@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def time_features(frames, sampling_rate, energy_floor=LOG_ENERGY_FLOOR):
    """Temporal centroid, variance and log energy of every frame (no window).

    For frame samples ``x[0..N-1]``:

    * temporal centroid: centre of gravity of the instantaneous energy ``x[n]**2``,
      ``sum(n * x[n]**2) / sum(x[n]**2) / sampling_rate``, in seconds from the frame's
      first sample (0 .. (N-1)/sampling_rate). A frame without energy (all zeros) gets the
      centroid of a flat envelope, ``(N - 1) / 2 / sampling_rate`` (the frame centre).
    * variance: population variance ``mean((x - mean(x))**2)`` (ddof=0), in sample units
      squared; 0 for silence.
    * log energy: ``ln(max(sum(x[n]**2), energy_floor))`` (natural log, no window, not
      divided by N); ``ln(energy_floor)`` for silence.

    Sums run in float64 (variance as ``E[x^2] - E[x]^2``, clamped at 0; exact enough for
    float32 input unless a DC offset exceeds the signal by ~1e7).

    Parameters
    ----------
    frames : (n_frames, frame_length) float32, samples
    sampling_rate : float, Hz (only scales the centroid)
    energy_floor : float > 0, floor of the sum of squares before the log

    Returns
    -------
    features : (n_frames, 3) float32, columns ``TIME_FEATURE_NAMES``:
        seconds, (sample unit)^2, ln((sample unit)^2).
    """
    if not energy_floor > 0.0:
        raise ValueError("energy_floor must be > 0")
    n_frames = frames.shape[0]
    n = frames.shape[1]
    out = np.empty((n_frames, 3), dtype=np.float32)
    flat_centroid = (n - 1) / 2.0 / sampling_rate if n > 0 else 0.0
    log_floor = np.log(energy_floor)
    ramp = np.arange(n).astype(np.float64)  # sample index as float: no conversion in the loop
    for t in range(n_frames):
        s1 = 0.0
        s2 = 0.0
        sn2 = 0.0
        for i in range(n):
            x = np.float64(frames[t, i])
            e = x * x
            s1 += x
            s2 += e
            sn2 += ramp[i] * e
        if s2 > 0.0:
            out[t, 0] = sn2 / s2 / sampling_rate
            mean = s1 / n
            var = s2 / n - mean * mean
            out[t, 1] = var if var > 0.0 else 0.0
        else:
            out[t, 0] = flat_centroid
            out[t, 1] = 0.0
        out[t, 2] = np.log(s2) if s2 > energy_floor else log_floor
    return out
