"""Chroma (pitch-class profile) of a power spectrogram, librosa 0.11's ``chroma_stft``."""

import numba
import numpy as np

#: Pitch-class names of the rows of ``chroma_filterbank(..., base_c=True)``, C first.
PITCH_CLASSES = ("c", "cs", "d", "ds", "e", "f", "fs", "g", "gs", "a", "as", "b")

# float32's smallest normal number: librosa's ``normalize`` threshold for float32 input.
_TINY32 = float(np.finfo(np.float32).tiny)


@numba.njit(cache=True, nogil=True)
def chroma_filterbank(sampling_rate, n_fft, n_chroma=12, tuning=0.0, ctroct=5.0, octwidth=2.0, base_c=True):
    """Chroma filterbank, identical to ``librosa.filters.chroma`` (norm=2).

    Each FFT bin ``k >= 1`` sits at ``n_chroma * log2(f_k / (A440 / 16))`` chroma bins
    (``A440 = 440 * 2**(tuning / n_chroma)``; bin 0 is put 1.5 octaves below bin 1); it feeds
    every chroma ``c`` with a Gaussian in the circular chroma distance, of width its own
    spacing in chroma bins (at least 1) / 2; each bin's weights are scaled to unit L2 norm,
    then multiplied by a Gaussian over octaves centred ``ctroct`` octaves above A0 (27.5 Hz;
    5.0 -> 880 Hz) with standard deviation ``octwidth`` octaves (``octwidth <= 0``: no
    octave weighting). ``base_c`` rolls the rows to start at C (else at A). Weights are
    computed in float64 and rounded once.

    Parameters
    ----------
    sampling_rate : float, Hz
    n_fft : int > 0, FFT length in samples
    n_chroma : int > 0, bins per octave
    tuning : float, deviation from A440 in fractions of a chroma bin
    ctroct, octwidth : float, octave weighting (see above)
    base_c : bool

    Returns
    -------
    filterbank : (n_chroma, n_fft // 2 + 1) float32, dimensionless weights per FFT bin.
    """
    if n_fft <= 0 or n_chroma <= 0:
        raise ValueError("n_fft and n_chroma must be > 0")
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    # np.linspace(0, sr, n_fft, endpoint=False)[1:] -> chroma-bin positions of bins 1..n_fft-1.
    frqbins = np.empty(n_fft, dtype=np.float64)
    step = sampling_rate / n_fft
    for k in range(1, n_fft):
        frqbins[k] = n_chroma * np.log2((k * step) / (a440 / 16.0))
    frqbins[0] = frqbins[1] - 1.5 * n_chroma if n_fft > 1 else 0.0
    width = np.ones(n_fft, dtype=np.float64)
    for k in range(n_fft - 1):
        width[k] = max(frqbins[k + 1] - frqbins[k], 1.0)
    half = np.round(n_chroma / 2.0)
    wts = np.empty((n_chroma, n_fft), dtype=np.float64)
    for k in range(n_fft):
        norm = 0.0
        for c in range(n_chroma):
            # np.remainder of a positive number is fmod (exact).
            d = np.fmod(frqbins[k] - c + half + 10 * n_chroma, n_chroma) - half
            w = np.exp(-0.5 * (2.0 * d / width[k]) ** 2)
            wts[c, k] = w
            norm += w * w
        norm = np.sqrt(norm)
        octave = np.exp(-0.5 * ((frqbins[k] / n_chroma - ctroct) / octwidth) ** 2) if octwidth > 0 else 1.0
        for c in range(n_chroma):
            wts[c, k] = wts[c, k] / norm * octave
    n_bins = n_fft // 2 + 1
    shift = 3 * (n_chroma // 12) if base_c else 0
    out = np.empty((n_chroma, n_bins), dtype=np.float32)
    for c in range(n_chroma):
        src = (c + shift) % n_chroma  # np.roll(wts, -shift, axis=0)
        for k in range(n_bins):
            out[c, k] = wts[src, k]
    return out


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def chroma(power, filterbank):
    """Chroma of every frame: ``filterbank @ power``, scaled so each frame's maximum is 1.

    Equals ``librosa.feature.chroma_stft(S=power.T, sr=..., n_fft=..., tuning=0.0).T``
    (norm=inf) for ``filterbank = chroma_filterbank(sr, n_fft)``. A frame whose raw maximum
    is below float32's smallest normal number (e.g. digital silence) is left unscaled, as
    librosa does: silence gives all zeros. Products summed in float64.

    Parameters
    ----------
    power : (n_frames, n_bins) float32, power spectrum
    filterbank : (n_chroma, n_bins) float32, from ``chroma_filterbank``

    Returns
    -------
    chroma : (n_frames, n_chroma) float32, dimensionless in [0, 1].
    """
    n_frames = power.shape[0]
    n_bins = power.shape[1]
    n_chroma = filterbank.shape[0]
    if filterbank.shape[1] != n_bins:
        raise ValueError("filterbank has a different number of bins than power")
    # Register blocking: 4 frames x 3 chroma rows per pass over the bins (12 float64 dot
    # products sharing their loads). Rows padded with zeros to a multiple of 3; frames copied to
    # a zero-padded (4, n_bins) float64 tile, so every frame takes the same code path (and gives
    # the same bits) whichever tile slot it lands in.
    n_rows = (n_chroma + 2) // 3 * 3
    wt = np.zeros((n_rows, n_bins), dtype=np.float64)
    for c in range(n_chroma):
        for k in range(n_bins):
            wt[c, k] = filterbank[c, k]
    tile = np.zeros((4, n_bins), dtype=np.float64)
    acc = np.empty((4, n_rows), dtype=np.float64)
    out = np.empty((n_frames, n_chroma), dtype=np.float32)
    for t0 in range(0, n_frames, 4):
        nb = min(4, n_frames - t0)
        for j in range(4):
            if j < nb:
                for k in range(n_bins):
                    tile[j, k] = power[t0 + j, k]
            else:
                tile[j, :] = 0.0
        for c in range(0, n_rows, 3):
            a0 = 0.0
            a1 = 0.0
            a2 = 0.0
            a3 = 0.0
            b0 = 0.0
            b1 = 0.0
            b2 = 0.0
            b3 = 0.0
            d0 = 0.0
            d1 = 0.0
            d2 = 0.0
            d3 = 0.0
            for k in range(n_bins):
                wa = wt[c, k]
                wb = wt[c + 1, k]
                wd = wt[c + 2, k]
                f0 = tile[0, k]
                f1 = tile[1, k]
                f2 = tile[2, k]
                f3 = tile[3, k]
                a0 += wa * f0
                a1 += wa * f1
                a2 += wa * f2
                a3 += wa * f3
                b0 += wb * f0
                b1 += wb * f1
                b2 += wb * f2
                b3 += wb * f3
                d0 += wd * f0
                d1 += wd * f1
                d2 += wd * f2
                d3 += wd * f3
            acc[0, c] = a0
            acc[1, c] = a1
            acc[2, c] = a2
            acc[3, c] = a3
            acc[0, c + 1] = b0
            acc[1, c + 1] = b1
            acc[2, c + 1] = b2
            acc[3, c + 1] = b3
            acc[0, c + 2] = d0
            acc[1, c + 2] = d1
            acc[2, c + 2] = d2
            acc[3, c + 2] = d3
        for j in range(nb):
            peak = 0.0
            for c in range(n_chroma):
                peak = max(peak, acc[j, c])
            scale = 1.0 / peak if peak >= _TINY32 else 1.0
            for c in range(n_chroma):
                out[t0 + j, c] = acc[j, c] * scale
    return out
