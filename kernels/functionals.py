"""Statistics over frames ("functionals"): LLD matrix -> fixed-length vector."""

import numba
import numpy as np

FUNCTIONAL_NAMES: tuple[str, ...] = (
    "mean",
    "std",
    "min",
    "max",
    "range",
    "p01",
    "p25",
    "p50",
    "p75",
    "p99",
    "iqr",
    "skewness",
    "kurtosis",
    "slope",
    "linreg_error",
)

# Column indices, in FUNCTIONAL_NAMES order.
_MEAN, _STD, _MIN, _MAX, _RANGE = 0, 1, 2, 3, 4
_P01, _P25, _P50, _P75, _P99, _IQR = 5, 6, 7, 8, 9, 10
_SKEW, _KURT, _SLOPE, _LINREG_ERR = 11, 12, 13, 14
_N_FUNCTIONALS = 15
assert len(FUNCTIONAL_NAMES) == _N_FUNCTIONALS

# Variance at or below (_REL_ZERO_VAR * |mean|)**2 counts as zero (higher moments -> 0).
# Float32 data that is not constant has a variance many orders above this.
_REL_ZERO_VAR = 1e-12


@numba.njit(cache=True, nogil=True)
def _moments(lld, out):
    """mean, std, skewness, kurtosis, slope, linreg_error of every column into ``out`` (n >= 1).

    Row-major passes over ``lld`` with one accumulator per column: the inner loop runs along a row
    (contiguous, independent columns), while each column's sums are still accumulated in frame order,
    with the same float64 operations as a per-column loop.
    """
    n = lld.shape[0]
    n_lld = lld.shape[1]
    # Frame index centred on its mean: x_i = i - (n-1)/2, sum x_i^2 = n(n^2-1)/12.
    i_mean = 0.5 * (n - 1)
    sxx = n * (n * n - 1.0) / 12.0
    mean = np.zeros(n_lld, dtype=np.float64)
    for i in range(n):
        for j in range(n_lld):
            mean[j] += np.float64(lld[i, j])
    for j in range(n_lld):
        mean[j] /= n
    m2 = np.zeros(n_lld, dtype=np.float64)
    m3 = np.zeros(n_lld, dtype=np.float64)
    m4 = np.zeros(n_lld, dtype=np.float64)
    sxy = np.zeros(n_lld, dtype=np.float64)
    for i in range(n):
        x = i - i_mean
        for j in range(n_lld):
            d = np.float64(lld[i, j]) - mean[j]
            d2 = d * d
            m2[j] += d2
            m3[j] += d2 * d
            m4[j] += d2 * d2
            sxy[j] += x * d
    slope = np.zeros(n_lld, dtype=np.float64)
    sse = np.zeros(n_lld, dtype=np.float64)
    if n > 1:
        for j in range(n_lld):
            slope[j] = sxy[j] / sxx
        # Line through (i_mean, mean); residuals in a second pass for accuracy.
        for i in range(n):
            x = i - i_mean
            for j in range(n_lld):
                r = np.float64(lld[i, j]) - (mean[j] + slope[j] * x)
                sse[j] += r * r
    for j in range(n_lld):
        mu = mean[j]
        v2 = m2[j] / n
        v3 = m3[j] / n
        v4 = m4[j] / n
        skew = 0.0
        kurt = 0.0
        if v2 > (_REL_ZERO_VAR * mu) ** 2 and v2 > 0.0:
            skew = v3 / v2**1.5
            kurt = v4 / (v2 * v2) - 3.0
        out[j, _MEAN] = mu
        out[j, _STD] = np.sqrt(v2)
        out[j, _SKEW] = skew
        out[j, _KURT] = kurt
        if n > 1:
            out[j, _SLOPE] = slope[j]
            out[j, _LINREG_ERR] = np.sqrt(sse[j] / n)


# Order statistics come from sorting _LANES columns at once with a bitonic sorting network: a block
# holds the rows (frames) of _LANES consecutive columns, padded with +inf rows to whole tiles of _TILE
# rows (16 x 16 float32: 1 KB); every compare-exchange acts on two whole rows (SIMD over the columns,
# no data-dependent branches) and keeps each column a permutation of its values. The stages within a
# tile run on 16 registers, one load and one store per row for four to ten stages (stores bound the
# network's speed), the others on pairs of tiles. O(n log^2 n) compare-exchanges per column;
# Batcher's odd-even merge sort applied row pair by row pair (the previous design, 15 % slower on
# EMO-DB), per-column comparison sorts, radix sorts and multi-quickselect were measured slower.
_LANES = 16
_TILE = 16  # (_tile_sort is written out for 16 rows of 16 lanes)


@numba.njit(cache=True, nogil=True, inline="always")
def _cx(a, b):
    """(min, max) of a and b, returning its two inputs (a permutation also for -0.0 and +0.0)."""
    swap = b < a
    return (b if swap else a), (a if swap else b)


@numba.njit(cache=True, nogil=True)
def _tile_sort(tile, merge_only):
    """Sort each column of one tile (``(_TILE * _LANES,)`` float32, row-major) in registers.

    ``merge_only``: the tile is already the result of the earlier merge stages of a larger bitonic
    merge; only its half-cleaners at distances 8, 4, 2, 1 run.
    """
    for l in range(_LANES):
        x0 = tile[l]; x1 = tile[16 + l]; x2 = tile[32 + l]; x3 = tile[48 + l]
        x4 = tile[64 + l]; x5 = tile[80 + l]; x6 = tile[96 + l]; x7 = tile[112 + l]
        x8 = tile[128 + l]; x9 = tile[144 + l]; x10 = tile[160 + l]; x11 = tile[176 + l]
        x12 = tile[192 + l]; x13 = tile[208 + l]; x14 = tile[224 + l]; x15 = tile[240 + l]
        if merge_only:  # distance 8
            x0, x8 = _cx(x0, x8); x1, x9 = _cx(x1, x9); x2, x10 = _cx(x2, x10); x3, x11 = _cx(x3, x11)
            x4, x12 = _cx(x4, x12); x5, x13 = _cx(x5, x13); x6, x14 = _cx(x6, x14); x7, x15 = _cx(x7, x15)
        else:
            # sorted pairs
            x0, x1 = _cx(x0, x1); x2, x3 = _cx(x2, x3); x4, x5 = _cx(x4, x5); x6, x7 = _cx(x6, x7)
            x8, x9 = _cx(x8, x9); x10, x11 = _cx(x10, x11); x12, x13 = _cx(x12, x13); x14, x15 = _cx(x14, x15)
            # sorted fours: mirror, then distance 1
            x0, x3 = _cx(x0, x3); x1, x2 = _cx(x1, x2); x4, x7 = _cx(x4, x7); x5, x6 = _cx(x5, x6)
            x8, x11 = _cx(x8, x11); x9, x10 = _cx(x9, x10); x12, x15 = _cx(x12, x15); x13, x14 = _cx(x13, x14)
            x0, x1 = _cx(x0, x1); x2, x3 = _cx(x2, x3); x4, x5 = _cx(x4, x5); x6, x7 = _cx(x6, x7)
            x8, x9 = _cx(x8, x9); x10, x11 = _cx(x10, x11); x12, x13 = _cx(x12, x13); x14, x15 = _cx(x14, x15)
            # sorted eights: mirror, then distances 2, 1
            x0, x7 = _cx(x0, x7); x1, x6 = _cx(x1, x6); x2, x5 = _cx(x2, x5); x3, x4 = _cx(x3, x4)
            x8, x15 = _cx(x8, x15); x9, x14 = _cx(x9, x14); x10, x13 = _cx(x10, x13); x11, x12 = _cx(x11, x12)
            x0, x2 = _cx(x0, x2); x1, x3 = _cx(x1, x3); x4, x6 = _cx(x4, x6); x5, x7 = _cx(x5, x7)
            x8, x10 = _cx(x8, x10); x9, x11 = _cx(x9, x11); x12, x14 = _cx(x12, x14); x13, x15 = _cx(x13, x15)
            x0, x1 = _cx(x0, x1); x2, x3 = _cx(x2, x3); x4, x5 = _cx(x4, x5); x6, x7 = _cx(x6, x7)
            x8, x9 = _cx(x8, x9); x10, x11 = _cx(x10, x11); x12, x13 = _cx(x12, x13); x14, x15 = _cx(x14, x15)
            # sorted sixteen: mirror, then (below) distances 4, 2, 1
            x0, x15 = _cx(x0, x15); x1, x14 = _cx(x1, x14); x2, x13 = _cx(x2, x13); x3, x12 = _cx(x3, x12)
            x4, x11 = _cx(x4, x11); x5, x10 = _cx(x5, x10); x6, x9 = _cx(x6, x9); x7, x8 = _cx(x7, x8)
        x0, x4 = _cx(x0, x4); x1, x5 = _cx(x1, x5); x2, x6 = _cx(x2, x6); x3, x7 = _cx(x3, x7)
        x8, x12 = _cx(x8, x12); x9, x13 = _cx(x9, x13); x10, x14 = _cx(x10, x14); x11, x15 = _cx(x11, x15)
        x0, x2 = _cx(x0, x2); x1, x3 = _cx(x1, x3); x4, x6 = _cx(x4, x6); x5, x7 = _cx(x5, x7)
        x8, x10 = _cx(x8, x10); x9, x11 = _cx(x9, x11); x12, x14 = _cx(x12, x14); x13, x15 = _cx(x13, x15)
        x0, x1 = _cx(x0, x1); x2, x3 = _cx(x2, x3); x4, x5 = _cx(x4, x5); x6, x7 = _cx(x6, x7)
        x8, x9 = _cx(x8, x9); x10, x11 = _cx(x10, x11); x12, x13 = _cx(x12, x13); x14, x15 = _cx(x14, x15)
        tile[l] = x0; tile[16 + l] = x1; tile[32 + l] = x2; tile[48 + l] = x3
        tile[64 + l] = x4; tile[80 + l] = x5; tile[96 + l] = x6; tile[112 + l] = x7
        tile[128 + l] = x8; tile[144 + l] = x9; tile[160 + l] = x10; tile[176 + l] = x11
        tile[192 + l] = x12; tile[208 + l] = x13; tile[224 + l] = x14; tile[240 + l] = x15


@numba.njit(cache=True, nogil=True)
def _tile_pair(ta, tb, mirror):
    """Compare-exchange row r of tile ``ta`` with row r (``mirror``: row 15 - r) of tile ``tb``."""
    # (one loop per case, lanes outer: the rows are unrolled and the loop over the lanes vectorised)
    if mirror:
        for l in range(_LANES):
            for r in range(_TILE):
                a = r * _LANES + l
                b = (_TILE - 1 - r) * _LANES + l
                ta[a], tb[b] = _cx(ta[a], tb[b])
    else:
        for l in range(_LANES):
            for r in range(_TILE):
                a = r * _LANES + l
                ta[a], tb[a] = _cx(ta[a], tb[a])


@numba.njit(cache=True, nogil=True)
def _sort_block(block, n):
    """Sort the first n rows of ``block`` column-wise: a bitonic sort, every merge in ascending order.

    ``block``: ``(n_tiles * _TILE * _LANES,)`` float32, row-major, ``n_tiles = ceil(n / _TILE)``,
    rows n.. of the last tile +inf. The network is that of the next power of two of tiles, without
    the compare-exchanges with the (virtual) +inf tiles beyond: they would change nothing, since a
    compare-exchange puts the larger value on the higher row.
    """
    n_tiles = (n + _TILE - 1) // _TILE
    size = _TILE * _LANES
    for t in range(n_tiles):
        _tile_sort(block[t * size:(t + 1) * size], False)
    width = 2  # tiles per merged run
    while width // 2 < n_tiles:
        for s in range(0, n_tiles, width):  # first stage: tile s + u against s + width - 1 - u, mirrored
            for u in range(width // 2):
                a = s + u
                b = s + width - 1 - u
                if b < n_tiles:
                    _tile_pair(block[a * size:(a + 1) * size], block[b * size:(b + 1) * size], True)
        k = width // 4
        while k >= 1:  # half-cleaners at distances of whole tiles
            for s in range(0, n_tiles, 2 * k):
                for a in range(s, s + k):
                    b = a + k
                    if b < n_tiles:
                        _tile_pair(block[a * size:(a + 1) * size], block[b * size:(b + 1) * size], False)
            k //= 2
        for t in range(n_tiles):
            _tile_sort(block[t * size:(t + 1) * size], True)
        width *= 2


@numba.njit(cache=True, nogil=True)
def _percentile_sorted(block, lane, n, q):
    """np.percentile(..., method='linear') of one sorted column (``block[r * _LANES + lane]``, r < n)."""
    index = q / 100.0 * (n - 1)
    lo = int(np.floor(index))
    if lo >= n - 1:
        return np.float64(block[(n - 1) * _LANES + lane])
    frac = index - lo
    a = np.float64(block[lo * _LANES + lane])
    b = np.float64(block[(lo + 1) * _LANES + lane])
    diff = b - a
    # numpy's _lerp: symmetric form, exact at both ends
    if frac >= 0.5:
        return b - diff * (1.0 - frac)
    return a + diff * frac


@numba.njit(cache=True, nogil=True)
def _order_statistics(lld, out):
    """min, max, range, p01..p99, iqr of every column into ``out`` (n >= 1)."""
    n = lld.shape[0]
    n_lld = lld.shape[1]
    rows = (n + _TILE - 1) // _TILE * _TILE
    block = np.empty(rows * _LANES, dtype=np.float32)
    for j0 in range(0, n_lld, _LANES):
        width = min(_LANES, n_lld - j0)
        if width < _LANES:
            block[:] = 0.0  # unused lanes: any finite value
        block[n * _LANES:] = np.inf
        for i in range(n):
            src = lld[i, j0:j0 + width]
            row = block[i * _LANES:i * _LANES + width]
            if width == _LANES:  # (a whole row: constant length, half the time of the general copy)
                for b in range(_LANES):
                    row[b] = src[b]
            else:
                for b in range(width):
                    row[b] = src[b]
        _sort_block(block, n)
        for b in range(width):
            j = j0 + b
            lo = np.float64(block[b])
            hi = np.float64(block[(n - 1) * _LANES + b])
            p25 = _percentile_sorted(block, b, n, 25.0)
            p75 = _percentile_sorted(block, b, n, 75.0)
            out[j, _MIN] = lo
            out[j, _MAX] = hi
            out[j, _RANGE] = hi - lo
            out[j, _P01] = _percentile_sorted(block, b, n, 1.0)
            out[j, _P25] = p25
            out[j, _P50] = _percentile_sorted(block, b, n, 50.0)
            out[j, _P75] = p75
            out[j, _P99] = _percentile_sorted(block, b, n, 99.0)
            out[j, _IQR] = p75 - p25


@numba.njit(cache=True, nogil=True)
def functionals(lld):
    """Per-column statistics over frames, in ``FUNCTIONAL_NAMES`` order.

    For each LLD column ``x`` (``n = n_frames`` values, frame index ``i = 0..n-1``):
    mean; std (population, ddof=0); min; max; range = max - min;
    p01/p25/p50/p75/p99 (``np.percentile`` linear interpolation); iqr = p75 - p25;
    skewness = m3 / m2**1.5 (``scipy.stats.skew(bias=True)``); kurtosis =
    m4 / m2**2 - 3 (Fisher excess, biased: ``scipy.stats.kurtosis`` default);
    slope = least-squares slope of x against frame index (unit of x per frame);
    linreg_error = RMS of the residuals of that line (unit of x).
    Edge cases: zero-variance column (or n == 1): skewness = kurtosis = 0 (never
    NaN); n == 1: slope = linreg_error = 0; n == 0: all zeros.
    Everything is computed in float64 and rounded once to float32.
    Non-finite inputs (NaN/inf) are NOT handled: clean them before calling.

    Parameters
    ----------
    lld : (n_frames, n_lld) float32
        Frame-level low-level descriptors, one column per descriptor.

    Returns
    -------
    stats : (n_lld, len(FUNCTIONAL_NAMES)) float32
        Row j holds the functionals of column j; units per column as above.
    """
    n = lld.shape[0]
    n_lld = lld.shape[1]
    out = np.zeros((n_lld, _N_FUNCTIONALS), dtype=np.float32)
    if n == 0:
        return out
    # Results are identical to a per-column loop (same float64 operations in the same order); the
    # order statistics come from an exact sort, so only the ordering of -0.0 and +0.0 may differ.
    _moments(lld, out)
    _order_statistics(lld, out)
    return out
