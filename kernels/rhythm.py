"""Onset strength, tempo and beat-histogram statistics of an utterance."""

import numba
import numpy as np

#: Order of the values returned by ``beat_histogram``.
BEAT_HISTOGRAM_NAMES = (
    "tempo_bpm",
    "beat_peak1_amplitude",
    "beat_peak1_bpm",
    "beat_peak2_amplitude",
    "beat_peak2_bpm",
    "beat_peak_ratio",
    "beat_sum",
)

_FASTMATH = {"reassoc", "contract"}


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def onset_strength(log_mel_db):
    """Spectral-flux onset strength of a log-mel spectrogram, librosa's definition.

    ``o[t] = mean_b max(0, S[t, b] - S[t - 1, b])`` for ``t >= 1`` and ``o[0] = 0``: equals
    ``librosa.onset.onset_strength(S=log_mel_db.T, lag=1, max_size=1, detrend=False,
    center=False, aggregate=np.mean)``. With ``center=True`` librosa would also delay the
    envelope by ``n_fft // (2 * hop_length)`` frames; here ``o[t]`` stays on frame ``t``
    (the rise from frame t-1 to frame t).

    Parameters
    ----------
    log_mel_db : (n_frames, n_mels) float32, dB (e.g. the shared log-mel spectrum)

    Returns
    -------
    onset : (n_frames,) float32, dB per frame, >= 0.
    """
    n_frames = log_mel_db.shape[0]
    n_mels = log_mel_db.shape[1]
    out = np.zeros(n_frames, dtype=np.float32)
    if n_mels == 0:
        return out
    inv = 1.0 / n_mels
    for t in range(1, n_frames):
        acc = 0.0
        for b in range(n_mels):
            d = np.float64(log_mel_db[t, b]) - np.float64(log_mel_db[t - 1, b])
            acc += d if d > 0.0 else 0.0
        out[t] = acc * inv
    return out


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def normalized_autocorrelation(x, max_lag):
    """Autocorrelation of the mean-removed ``x`` for lags 0..max_lag, scaled so lag 0 is 1.

    ``r[l] = sum_t c[t] c[t + l] / sum_t c[t]**2`` with ``c = x - mean(x)`` (biased: no
    division by the number of overlapping terms, so r decays with the lag); lags at or beyond
    ``len(x)`` are 0; a constant (or empty) ``x`` gives all zeros. Direct O(n * max_lag) sums
    in float64.

    Parameters
    ----------
    x : (n,) float32
    max_lag : int >= 0, in samples (frames)

    Returns
    -------
    r : (max_lag + 1,) float64, dimensionless in [-1, 1].
    """
    n = x.shape[0]
    r = np.zeros(max_lag + 1, dtype=np.float64)
    if n == 0:
        return r
    c = x.astype(np.float64)
    mean = 0.0
    for i in range(n):
        mean += c[i]
    mean /= n
    for i in range(n):
        c[i] -= mean
    for lag in range(min(max_lag, n - 1) + 1):
        acc = 0.0
        for i in range(n - lag):
            acc += c[i] * c[i + lag]
        r[lag] = acc
    if r[0] > 0.0:
        inv = 1.0 / r[0]
        for lag in range(max_lag + 1):
            r[lag] *= inv
    else:
        r[:] = 0.0
    return r


@numba.njit(cache=True, nogil=True)
def _refined_lag(r, lag):
    """Lag of the parabola through r[lag-1], r[lag], r[lag+1] (shift clipped to +-0.5)."""
    if lag < 1 or lag + 1 >= r.shape[0]:
        return np.float64(lag)
    y0 = r[lag - 1]
    y1 = r[lag]
    y2 = r[lag + 1]
    denom = y0 - 2.0 * y1 + y2
    if denom >= 0.0:
        return np.float64(lag)
    delta = 0.5 * (y0 - y2) / denom
    return lag + min(max(delta, -0.5), 0.5)


@numba.njit(cache=True, nogil=True)
def beat_histogram(onset, frame_rate_hz, min_bpm=30.0, max_bpm=300.0, prior_bpm=120.0, prior_octaves=1.0):
    """Tempo and beat-histogram statistics from the autocorrelation of an onset envelope.

    ``r = normalized_autocorrelation(onset)``; a lag ``l`` (frames) is the period
    ``60 * frame_rate_hz / l`` BPM; the histogram is ``r`` over the lags whose BPM lies in
    ``[min_bpm, max_bpm]`` (Tzanetakis & Cook 2002, on one utterance-wide autocorrelation).
    Its peaks are lags with ``r[l] > r[l-1]``, ``r[l] >= r[l+1]`` and ``r[l] > 0``; BPMs use
    the parabola-refined lag.

    * ``tempo_bpm``: the peak maximising ``log1p(1e6 * r[l]) + log_prior(bpm)``, with
      librosa's (``librosa.feature.tempo``) log-normal prior
      ``-0.5 * ((log2(bpm) - log2(prior_bpm)) / prior_octaves)**2``;
    * ``beat_peak1_amplitude`` / ``beat_peak1_bpm``: the highest peak (r value, BPM), no prior;
    * ``beat_peak2_amplitude`` / ``beat_peak2_bpm``: the second highest peak;
    * ``beat_peak_ratio``: peak2 / peak1 amplitude;
    * ``beat_sum``: ``sum(max(r[l], 0))`` over the histogram's lags (overall beat strength).

    Without a peak (silence, a constant or an utterance shorter than the shortest period)
    every value is 0; without a second peak its amplitude, BPM and the ratio are 0.

    Parameters
    ----------
    onset : (n_frames,) float32, onset strength (e.g. ``onset_strength`` output)
    frame_rate_hz : float > 0, frames per second (sampling_rate / hop_length)
    min_bpm, max_bpm : float, 0 < min_bpm < max_bpm, histogram range in BPM
    prior_bpm : float > 0, centre of the tempo prior, BPM
    prior_octaves : float > 0, standard deviation of the prior, octaves

    Returns
    -------
    values : (7,) float32, in the order ``BEAT_HISTOGRAM_NAMES``: BPM, r (dimensionless),
        BPM, r, BPM, ratio, sum of r.
    """
    if not (0.0 < min_bpm < max_bpm) or not frame_rate_hz > 0.0:
        raise ValueError("need 0 < min_bpm < max_bpm and frame_rate_hz > 0")
    if not (prior_bpm > 0.0 and prior_octaves > 0.0):
        raise ValueError("prior_bpm and prior_octaves must be > 0")
    beats_per_lag = 60.0 * frame_rate_hz  # BPM of a period of one frame
    min_lag = max(1, int(np.ceil(beats_per_lag / max_bpm)))
    max_lag = int(np.floor(beats_per_lag / min_bpm))
    out = np.zeros(7, dtype=np.float32)
    if max_lag < min_lag:
        return out
    r = normalized_autocorrelation(onset, max_lag + 1)
    hist_sum = 0.0
    for lag in range(min_lag, max_lag + 1):
        if r[lag] > 0.0:
            hist_sum += r[lag]
    best_score = -np.inf
    tempo_lag = -1
    p1 = -1
    p2 = -1
    log2_prior = np.log2(prior_bpm)
    for lag in range(min_lag, max_lag + 1):
        v = r[lag]
        if not (v > 0.0 and v > r[lag - 1] and v >= r[lag + 1]):
            continue
        bpm = beats_per_lag / lag
        z = (np.log2(bpm) - log2_prior) / prior_octaves
        score = np.log1p(1e6 * v) - 0.5 * z * z
        if score > best_score:
            best_score = score
            tempo_lag = lag
        if p1 < 0 or v > r[p1]:
            p2 = p1
            p1 = lag
        elif p2 < 0 or v > r[p2]:
            p2 = lag
    if tempo_lag > 0:
        out[0] = beats_per_lag / _refined_lag(r, tempo_lag)
    if p1 > 0:
        out[1] = r[p1]
        out[2] = beats_per_lag / _refined_lag(r, p1)
    if p2 > 0:
        out[3] = r[p2]
        out[4] = beats_per_lag / _refined_lag(r, p2)
        out[5] = r[p2] / r[p1]
    out[6] = hist_sum
    return out
