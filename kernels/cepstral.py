"""Cepstral coefficients (DCT of log mel energies) and regression deltas."""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _dct_basis(n_mfcc, n_mels):
    """(n_mfcc, n_mels) float64 orthonormal DCT-II rows."""
    if n_mels <= 0 or n_mfcc <= 0 or n_mfcc > n_mels:
        raise ValueError("need 1 <= n_mfcc <= n_mels")
    basis = np.empty((n_mfcc, n_mels), dtype=np.float64)
    s0 = np.sqrt(1.0 / n_mels)
    sk = np.sqrt(2.0 / n_mels)
    for k in range(n_mfcc):
        s = s0 if k == 0 else sk
        for n in range(n_mels):
            basis[k, n] = s * np.cos(np.pi * k * (2 * n + 1) / (2.0 * n_mels))
    return basis


@numba.njit(cache=True, nogil=True)
def dct_matrix(n_mfcc, n_mels):
    """Orthonormal DCT-II basis (the first ``n_mfcc`` rows).

    ``D[k, n] = s_k * cos(pi * k * (2n + 1) / (2 * n_mels))`` with
    ``s_0 = sqrt(1 / n_mels)``, ``s_k = sqrt(2 / n_mels)``; ``x @ D.T`` equals
    ``scipy.fft.dct(x, type=2, norm='ortho', axis=-1)[..., :n_mfcc]``.

    Parameters
    ----------
    n_mfcc : int, 1 <= n_mfcc <= n_mels, number of coefficients
    n_mels : int > 0, number of input bands

    Returns
    -------
    dct : (n_mfcc, n_mels) float32, dimensionless.
    """
    return _dct_basis(n_mfcc, n_mels).astype(np.float32)


@numba.njit(cache=True, nogil=True)
def mfcc(log_mel_db, n_mfcc):
    """MFCCs: orthonormal DCT-II of log mel energies, no liftering.

    Equals ``librosa.feature.mfcc(S=log_mel_db.T, n_mfcc=n_mfcc, dct_type=2,
    norm='ortho', lifter=0).T``. The basis is built in float64 and the products
    are summed in float64.

    Parameters
    ----------
    log_mel_db : (n_frames, n_mels) float32, dB (e.g. ``power_to_db`` of
        ``apply_filterbank`` output)
    n_mfcc : int, 1 <= n_mfcc <= n_mels

    Returns
    -------
    coefficients : (n_frames, n_mfcc) float32, dB-scaled cepstral coefficients.
    """
    n_mels = log_mel_db.shape[1]
    if n_mels <= 0 or n_mfcc <= 0 or n_mfcc > n_mels:
        raise ValueError("need 1 <= n_mfcc <= n_mels")
    return mfcc_from_basis(log_mel_db, np.ascontiguousarray(_dct_basis(n_mfcc, n_mels).T))


@numba.njit(cache=True, nogil=True)
def mfcc_basis(n_mfcc, n_mels):
    """The float64 DCT-II basis of ``mfcc``, transposed, for ``mfcc_from_basis`` (build it once).

    Parameters
    ----------
    n_mfcc : int, 1 <= n_mfcc <= n_mels
    n_mels : int > 0

    Returns
    -------
    basis_t : (n_mels, n_mfcc) float64, ``dct_matrix(n_mfcc, n_mels).T`` before rounding.
    """
    return np.ascontiguousarray(_dct_basis(n_mfcc, n_mels).T)


@numba.njit(cache=True, nogil=True)
def mfcc_from_basis(log_mel_db, basis_t):
    """``mfcc`` with the DCT basis given (``mfcc_basis``): the same values, without rebuilding it.

    Parameters
    ----------
    log_mel_db : (n_frames, n_mels) float32, dB
    basis_t : (n_mels, n_mfcc) float64, ``mfcc_basis(n_mfcc, n_mels)``

    Returns
    -------
    coefficients : (n_frames, n_mfcc) float32.
    """
    n_frames = log_mel_db.shape[0]
    n_mels = log_mel_db.shape[1]
    if basis_t.shape[0] != n_mels:
        raise ValueError("basis_t must have one row per mel band")
    n_mfcc = basis_t.shape[1]
    acc = np.empty(n_mfcc, dtype=np.float64)
    out = np.empty((n_frames, n_mfcc), dtype=np.float32)
    for t in range(n_frames):
        # Band-outer, coefficient-inner: the inner loop is a SIMD loop over the coefficients, and
        # each coefficient still sums its bands in increasing order (the per-coefficient dot
        # product's exact operations).
        acc[:] = 0.0
        for n in range(n_mels):
            v = np.float64(log_mel_db[t, n])
            b = basis_t[n]
            for k in range(n_mfcc):
                acc[k] += b[k] * v
        for k in range(n_mfcc):
            out[t, k] = acc[k]
    return out


@numba.njit(cache=True, nogil=True)
def deltas(features, width=9):
    """Regression (Savitzky-Golay, order 1) deltas along time (axis 0).

    ``d[t] = sum_{n=1..M} n * (x[t+n] - x[t-n]) / (2 * sum_{n=1..M} n^2)``,
    ``M = (width - 1) // 2``, with frame indices clipped to ``[0, n_frames-1]``
    (edge frames replicated, any ``n_frames >= 1``, also ``< width``). Equals
    ``librosa.feature.delta(features.T, width=width, order=1, mode='nearest').T``.
    Delta-deltas: ``deltas(deltas(x))``. Accumulates in float64.

    Parameters
    ----------
    features : (n_frames, n_dims) float32, per-frame features
    width : odd int >= 3, regression window in frames

    Returns
    -------
    delta : (n_frames, n_dims) float32, feature unit per frame.
    """
    if width < 3 or width % 2 != 1:
        raise ValueError("width must be an odd integer >= 3")
    n_frames = features.shape[0]
    n_dims = features.shape[1]
    out = np.empty((n_frames, n_dims), dtype=np.float32)
    if n_frames == 0:
        return out
    half = (width - 1) // 2
    denom = 0.0
    for n in range(1, half + 1):
        denom += 2.0 * n * n
    acc = np.empty(n_dims, dtype=np.float64)
    last = n_frames - 1
    for t in range(n_frames):
        acc[:] = 0.0
        for n in range(1, half + 1):
            ahead = min(t + n, last)
            behind = max(t - n, 0)
            for d in range(n_dims):
                acc[d] += n * (np.float64(features[ahead, d]) - np.float64(features[behind, d]))
        for d in range(n_dims):
            out[t, d] = acc[d] / denom
    return out
