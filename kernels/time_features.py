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


#: Column order of ``frame_time_statistics``.
FRAME_STATISTIC_NAMES = (
    "rms", "zcr", "temporal_centroid", "variance", "log_energy", "teo_mean", "teo_std", "teo_log_abs_mean_db",
)

# librosa's zero-crossing threshold in float32 (see kernels.time_domain).
_ZC_THRESHOLD = np.float64(np.float32(1e-10))

# Overlapping frames are summed from pieces of gcd(frame_length, hop_length) samples, each piece's
# sums computed once (a sample lies in one piece, not in frame_length / hop_length frames); pieces
# shorter than this make the per-frame combination cost as much as summing the frame itself.
_MIN_PIECE = 16
# Columns of a piece's sums (_piece_sums): sum x, sum x**2, sum i x[i]**2 (i from the piece's start),
# zero crossings inside the piece, sums of psi, psi**2, |psi| without the piece's first and last
# samples; the crossing from its last sample to the next one, psi at its first and at its last sample.
_S1, _S2, _SN2, _ZC, _PSI, _PSI2, _PSI_ABS, _ZC_LINK, _PSI_FIRST, _PSI_LAST = range(10)
_N_SUMS = 10


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy", inline="always")
def _piece_sums(signal, start, length, sums):
    """Sums over ``signal[start : start + length]`` (length >= 1) into ``sums`` (``(_N_SUMS,)`` float64).

    psi[i] = x[i]**2 - x[i-1] x[i+1] (Teager energy); a neighbour outside the signal counts as 0
    (the crossing and psi values that use one are never used by a frame).
    """
    n_samples = signal.shape[0]
    stop = start + length
    seg = signal[start:stop]  # (indices from 0: no negative-index handling, the loops vectorise)
    thr = np.float32(-_ZC_THRESHOLD)
    head = np.float64(seg[0])
    last = np.float64(seg[length - 1])
    s1 = head
    s2 = head * head
    sn2 = 0.0
    count = 0.0
    ps = 0.0
    ps2 = 0.0
    pa = 0.0
    for p in range(1, length - 1):  # one vectorised loop over the samples with two neighbours
        x = np.float64(seg[p])
        e = x * x
        s1 += x
        s2 += e
        sn2 += np.float64(p) * e
        count += 1.0 if (seg[p] < thr) != (seg[p - 1] < thr) else 0.0  # (in float32: the same decisions)
        psi = e - np.float64(seg[p - 1]) * np.float64(seg[p + 1])
        ps += psi
        ps2 += psi * psi
        pa += abs(psi)
    if length >= 2:  # the last sample
        s1 += last
        s2 += last * last
        sn2 += np.float64(length - 1) * (last * last)
        count += 1.0 if (seg[length - 1] < thr) != (seg[length - 2] < thr) else 0.0
    before = np.float64(signal[start - 1]) if start >= 1 else 0.0
    after = np.float64(signal[stop]) if stop < n_samples else 0.0
    sums[_S1] = s1
    sums[_S2] = s2
    sums[_SN2] = sn2
    sums[_ZC] = count
    sums[_PSI] = ps
    sums[_PSI2] = ps2
    sums[_PSI_ABS] = pa
    sums[_ZC_LINK] = 1.0 if (after < thr) != (last < thr) else 0.0
    sums[_PSI_FIRST] = head * head - before * (np.float64(seg[1]) if length >= 2 else after)
    sums[_PSI_LAST] = last * last - (np.float64(seg[length - 2]) if length >= 2 else before) * after


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def frame_time_statistics(signal, frame_length, hop_length, sampling_rate, energy_floor, teo_floor):
    """Every time-domain descriptor of the (unwindowed) frames of a signal in one pass over their samples.

    Frames are implied by the signal as in ``frame_signal``: frame ``t`` is
    ``signal[t * hop_length : t * hop_length + frame_length]``, ``1 + (n_samples - frame_length)
    // hop_length`` frames (0 if the signal is shorter than a frame). Columns
    ``FRAME_STATISTIC_NAMES``, each with the definition of its single-purpose kernel (applied to
    ``frame_signal(signal, frame_length, hop_length)``):

    * ``rms``: ``sqrt(mean(x**2))`` (``kernels.rms``);
    * ``zcr``: zero crossings per sample, ``|x| <= 1e-10`` counting as 0 and 0 as positive
      (``kernels.zero_crossing_rate``, librosa's definition);
    * ``temporal_centroid`` (s), ``variance``, ``log_energy`` (``time_features`` with
      ``energy_floor``);
    * ``teo_mean``, ``teo_std``, ``teo_log_abs_mean_db``: the Teager energy
      ``psi[n] = x[n]**2 - x[n-1] x[n+1]`` over the interior samples (``kernels.teager.teo_frame_stats``
      with ``teo_floor``).

    Overlapping frames (hop_length < frame_length) are cut into pieces of ``gcd(frame_length,
    hop_length)`` samples (if at least ``_MIN_PIECE``) whose sums are computed once and added per
    frame, so each sample is visited once; otherwise each frame is summed on its own. Sums run in
    float64, reassociated so that they vectorise (the same operations for every frame whatever its
    position in the signal): values agree with the single-purpose kernels to float64 rounding
    (relative ~1e-15 before the float32 rounding).

    Parameters
    ----------
    signal : (n_samples,) float32, samples
    frame_length : int > 0, samples per frame
    hop_length : int > 0, samples between frame starts
    sampling_rate : float, Hz (scales the temporal centroid only)
    energy_floor : float > 0, floor of ``sum(x**2)`` before the log energy (1e-10)
    teo_floor : float > 0, floor of ``mean |psi|`` before the dB value (1e-10 -> -100 dB)

    Returns
    -------
    stats : (n_frames, 8) float32: sample unit, crossings per sample, seconds, unit**2,
        ln(unit**2), unit**2, unit**2, dB.
    """
    if not (energy_floor > 0.0 and teo_floor > 0.0):
        raise ValueError("energy_floor and teo_floor must be > 0")
    if frame_length <= 0 or hop_length <= 0:
        raise ValueError("frame_length and hop_length must be > 0")
    n = frame_length
    n_samples = signal.shape[0]
    n_frames = 1 + (n_samples - n) // hop_length if n_samples >= n else 0
    out = np.empty((n_frames, 8), dtype=np.float32)
    if n_frames == 0:
        return out
    piece = np.gcd(n, hop_length)
    if hop_length < n and piece >= _MIN_PIECE:
        piece_step = piece  # piece k is signal[k * piece : (k + 1) * piece]
        pieces_per_hop = hop_length // piece
        per_frame = n // piece
        n_pieces = (n_frames - 1) * pieces_per_hop + per_frame
    else:
        piece = n  # piece t is frame t
        piece_step = hop_length
        pieces_per_hop = 1
        per_frame = 1
        n_pieces = n_frames
    sums = np.empty((n_pieces, _N_SUMS), dtype=np.float64)
    for k in range(n_pieces):
        _piece_sums(signal, k * piece_step, piece, sums[k])
    for t in range(n_frames):
        first = t * pieces_per_hop
        _frame_statistics(sums[first : first + per_frame], piece, n, sampling_rate, energy_floor, teo_floor, out[t])
    return out


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy", inline="always")
def _frame_statistics(sums, piece, n, sampling_rate, energy_floor, teo_floor, out):
    """The 8 statistics of one frame of ``n`` samples into ``out`` from the ``_piece_sums`` of its
    consecutive pieces of ``piece`` samples (``sums``: ``(n // piece, _N_SUMS)``)."""
    m = sums.shape[0]
    s1 = 0.0
    s2 = 0.0
    sn2 = 0.0
    count = 0.0
    ps = 0.0
    ps2 = 0.0
    pa = 0.0
    for q in range(m):
        s1 += sums[q, _S1]
        s2 += sums[q, _S2]
        sn2 += sums[q, _SN2] + np.float64(q * piece) * sums[q, _S2]
        count += sums[q, _ZC]
        ps += sums[q, _PSI]
        ps2 += sums[q, _PSI2]
        pa += sums[q, _PSI_ABS]
        # psi at the pieces' ends and the crossings between pieces, inside the frame
        if q > 0:
            psi = sums[q, _PSI_FIRST]
            ps += psi
            ps2 += psi * psi
            pa += abs(psi)
        if q < m - 1:
            count += sums[q, _ZC_LINK]
            psi = sums[q, _PSI_LAST]
            ps += psi
            ps2 += psi * psi
            pa += abs(psi)
    out[0] = np.sqrt(s2 / n)
    out[1] = count / n
    if s2 > 0.0:
        out[2] = sn2 / s2 / sampling_rate
        mean = s1 / n
        var = s2 / n - mean * mean
        out[3] = var if var > 0.0 else 0.0
    else:
        out[2] = (n - 1) / 2.0 / sampling_rate
        out[3] = 0.0
    out[4] = np.log(s2) if s2 > energy_floor else np.log(energy_floor)
    interior = n - 2  # samples with a Teager energy
    if interior > 0:
        teo_mean = ps / interior
        teo_var = ps2 / interior - teo_mean * teo_mean
        mean_abs = pa / interior
        out[5] = teo_mean
        out[6] = np.sqrt(teo_var) if teo_var > 0.0 else 0.0
        out[7] = 10.0 * np.log10(mean_abs) if mean_abs > teo_floor else 10.0 * np.log10(teo_floor)
    else:
        out[5] = 0.0
        out[6] = 0.0
        out[7] = 10.0 * np.log10(teo_floor)
