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


# Rows per pass over the accumulators in _moments: each column's sums still take the rows one at a
# time, in frame order, but the accumulators are loaded and stored once per _ROWS rows.
_ROWS = 4


@numba.njit(cache=True, nogil=True, inline="always", fastmath={"contract"})
def _central_add(value, mu, x, m2, m3, m4, sxy):
    """The central-moment and cross sums of one column with one more value (frame index x, centred)."""
    d = np.float64(value) - mu
    d2 = d * d
    return m2 + d2, m3 + d2 * d, m4 + d2 * d2, sxy + x * d


@numba.njit(cache=True, nogil=True, inline="always", fastmath={"contract"})
def _residual_add(value, mu, slope, x, sse):
    """The residual sum of squares of one column with one more value (frame index x, centred)."""
    r = np.float64(value) - (mu + slope * x)
    return sse + r * r


@numba.njit(cache=True, nogil=True, fastmath={"contract"})
def _moments(lld, out):
    """mean, std, skewness, kurtosis, slope, linreg_error of every column into ``out`` (n >= 1).

    Row-major passes over ``lld`` with one accumulator per column: the inner loop runs along a row
    (contiguous, independent columns) over _ROWS rows at a time, while each column's sums are still
    accumulated in frame order, with the float64 operations of a per-column loop (multiply-adds
    fused: the sums differ from unfused ones by float64 rounding only).
    """
    n = lld.shape[0]
    n_lld = lld.shape[1]
    n_main = n - n % _ROWS  # rows in whole groups of _ROWS; the rest one at a time
    # Frame index centred on its mean: x_i = i - (n-1)/2, sum x_i^2 = n(n^2-1)/12.
    i_mean = 0.5 * (n - 1)
    sxx = n * (n * n - 1.0) / 12.0
    mean = np.zeros(n_lld, dtype=np.float64)
    for i in range(0, n_main, _ROWS):
        for j in range(n_lld):
            total = mean[j]
            total += np.float64(lld[i, j])
            total += np.float64(lld[i + 1, j])
            total += np.float64(lld[i + 2, j])
            total += np.float64(lld[i + 3, j])
            mean[j] = total
    for i in range(n_main, n):
        for j in range(n_lld):
            mean[j] += np.float64(lld[i, j])
    for j in range(n_lld):
        mean[j] /= n
    m2 = np.zeros(n_lld, dtype=np.float64)
    m3 = np.zeros(n_lld, dtype=np.float64)
    m4 = np.zeros(n_lld, dtype=np.float64)
    sxy = np.zeros(n_lld, dtype=np.float64)
    for i in range(0, n_main, _ROWS):
        x = i - i_mean
        for j in range(n_lld):
            mu = mean[j]
            a2, a3, a4, axy = _central_add(lld[i, j], mu, x, m2[j], m3[j], m4[j], sxy[j])
            a2, a3, a4, axy = _central_add(lld[i + 1, j], mu, x + 1.0, a2, a3, a4, axy)
            a2, a3, a4, axy = _central_add(lld[i + 2, j], mu, x + 2.0, a2, a3, a4, axy)
            m2[j], m3[j], m4[j], sxy[j] = _central_add(lld[i + 3, j], mu, x + 3.0, a2, a3, a4, axy)
    for i in range(n_main, n):
        x = i - i_mean
        for j in range(n_lld):
            m2[j], m3[j], m4[j], sxy[j] = _central_add(lld[i, j], mean[j], x, m2[j], m3[j], m4[j], sxy[j])
    slope = np.zeros(n_lld, dtype=np.float64)
    sse = np.zeros(n_lld, dtype=np.float64)
    if n > 1:
        for j in range(n_lld):
            slope[j] = sxy[j] / sxx
        # Line through (i_mean, mean); residuals in a second pass for accuracy.
        for i in range(0, n_main, _ROWS):
            x = i - i_mean
            for j in range(n_lld):
                mu = mean[j]
                b = slope[j]
                total = _residual_add(lld[i, j], mu, b, x, sse[j])
                total = _residual_add(lld[i + 1, j], mu, b, x + 1.0, total)
                total = _residual_add(lld[i + 2, j], mu, b, x + 2.0, total)
                sse[j] = _residual_add(lld[i + 3, j], mu, b, x + 3.0, total)
        for i in range(n_main, n):
            x = i - i_mean
            for j in range(n_lld):
                sse[j] = _residual_add(lld[i, j], mean[j], slope[j], x, sse[j])
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
# network's speed), the others two at a time on groups of four tiles (or on pairs). O(n log^2 n)
# compare-exchanges per column, fewer in the last merge (only the tiles read are finished);
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


@numba.njit(cache=True, nogil=True, inline="always")
def _quad_rows(t0, t1, t2, t3, r0, mirror):
    """Rows r0..r0+3 of ``_tile_quad`` (r0 a constant: otherwise the mirrored case is not vectorised)."""
    # (lanes outer, rows inner: the rows are unrolled and the loop over the lanes vectorised)
    for l in range(_LANES):
        for r in range(r0, r0 + 4):
            i = r * _LANES + l
            m = ((_TILE - 1 - r) if mirror else r) * _LANES + l
            if mirror:
                a, d = _cx(t0[i], t3[m])
                b, c = _cx(t1[i], t2[m])
            else:
                a, c = _cx(t0[i], t2[m])
                b, d = _cx(t1[i], t3[m])
            t0[i], t1[i] = _cx(a, b)
            t2[m], t3[m] = _cx(c, d)


@numba.njit(cache=True, nogil=True)
def _tile_quad(t0, t1, t2, t3, mirror):
    """Two stages at once on four tiles, one load and one store per row instead of two.

    ``mirror``: (t0, t3) and (t1, t2) with row r against row 15 - r (the first stage of a merge),
    then the half-cleaner (t0, t1) and (t2, t3); else the half-cleaners (t0, t2) and (t1, t3), then
    (t0, t1) and (t2, t3), row r against row r.
    """
    _quad_rows(t0, t1, t2, t3, 0, mirror)
    _quad_rows(t0, t1, t2, t3, 4, mirror)
    _quad_rows(t0, t1, t2, t3, 8, mirror)
    _quad_rows(t0, t1, t2, t3, 12, mirror)


@numba.njit(cache=True, nogil=True)
def _pair_if_real(block, a, b, n_tiles, mirror):
    """``_tile_pair`` on tiles a < b of ``block``, unless b is a virtual (+inf) tile: then it is a no-op."""
    if b < n_tiles:
        size = _TILE * _LANES
        _tile_pair(block[a * size:(a + 1) * size], block[b * size:(b + 1) * size], mirror)


@numba.njit(cache=True, nogil=True)
def _quad(block, t0, t1, t2, t3, n_tiles, mirror):
    """``_tile_quad`` on tiles t0 < t1 < t2 < t3 of ``block``; if some are virtual (+inf) tiles, the
    same two stages pair by pair, without the compare-exchanges with virtual tiles."""
    size = _TILE * _LANES
    if t3 < n_tiles:
        _tile_quad(block[t0 * size:(t0 + 1) * size], block[t1 * size:(t1 + 1) * size],
                   block[t2 * size:(t2 + 1) * size], block[t3 * size:(t3 + 1) * size], mirror)
    elif mirror:
        _pair_if_real(block, t0, t3, n_tiles, True)
        _pair_if_real(block, t1, t2, n_tiles, True)
        _pair_if_real(block, t0, t1, n_tiles, False)
        _pair_if_real(block, t2, t3, n_tiles, False)
    else:
        _pair_if_real(block, t0, t2, n_tiles, False)
        _pair_if_real(block, t1, t3, n_tiles, False)
        _pair_if_real(block, t0, t1, n_tiles, False)
        _pair_if_real(block, t2, t3, n_tiles, False)


@numba.njit(cache=True, nogil=True)
def _any_needed(needed, first, count):
    """Whether any of tiles ``first .. first + count - 1`` (those that exist) is needed."""
    for t in range(first, min(first + count, needed.shape[0])):
        if needed[t]:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _sort_block(block, n, needed):
    """Sort the first n rows of ``block`` column-wise: a bitonic sort, every merge in ascending order.

    ``block``: ``(n_tiles * _TILE * _LANES,)`` float32, row-major, ``n_tiles = ceil(n / _TILE)``,
    rows n.. of the last tile +inf. The network is that of the next power of two of tiles, without
    the compare-exchanges with the (virtual) +inf tiles beyond: they would change nothing, since a
    compare-exchange puts the larger value on the higher row. The stages between whole tiles run two
    at a time on groups of four tiles (``_tile_quad``) where they can.

    Only the tiles flagged in ``needed`` (``(n_tiles,)`` bool) are sorted in the end: the last merge
    leaves out, after its first stage, the compare-exchanges within groups of tiles none of which is
    needed (a bitonic merge's half-cleaners work on independent halves).
    """
    n_tiles = (n + _TILE - 1) // _TILE
    size = _TILE * _LANES
    for t in range(n_tiles):
        _tile_sort(block[t * size:(t + 1) * size], False)
    width = 2  # tiles per merged run
    while width // 2 < n_tiles:
        last = width >= n_tiles
        k = width // 4  # distance of the first half-cleaner
        for s in range(0, n_tiles, width):
            if k == 0:  # the first stage alone: tile s against s + 1, mirrored
                _pair_if_real(block, s, s + 1, n_tiles, True)
            else:  # the first stage (tile s + u against s + width - 1 - u, mirrored) and the half-cleaner at k
                for u in range(k):
                    _quad(block, s + u, s + u + k, s + width - 1 - u - k, s + width - 1 - u, n_tiles, True)
        k //= 2
        while k >= 2:  # half-cleaners at k and k / 2 tiles
            h = k // 2
            for s in range(0, n_tiles, 2 * k):
                if last and not _any_needed(needed, s, 2 * k):
                    continue
                for a in range(s, s + h):
                    _quad(block, a, a + h, a + k, a + k + h, n_tiles, False)
            k //= 4
        if k == 1:
            for s in range(0, n_tiles, 2):
                if not last or _any_needed(needed, s, 2):
                    _pair_if_real(block, s, s + 1, n_tiles, False)
        for t in range(n_tiles):
            if not last or needed[t]:
                _tile_sort(block[t * size:(t + 1) * size], True)
        width *= 2


_PERCENTS = (1.0, 25.0, 50.0, 75.0, 99.0)  # p01 .. p99


@numba.njit(cache=True, nogil=True)
def _percentile_index(n, q):
    """(lo, frac): np.percentile's (method='linear') q-th percentile of n sorted values lies between
    rows lo and lo + 1, at fraction frac; lo >= n - 1: it is row n - 1."""
    index = q / 100.0 * (n - 1)
    lo = int(np.floor(index))
    return lo, index - lo


@numba.njit(cache=True, nogil=True)
def _percentile_sorted(block, lane, n, q):
    """np.percentile(..., method='linear') of one sorted column (``block[r * _LANES + lane]``, r < n)."""
    lo, frac = _percentile_index(n, q)
    if lo >= n - 1:
        return np.float64(block[(n - 1) * _LANES + lane])
    a = np.float64(block[lo * _LANES + lane])
    b = np.float64(block[(lo + 1) * _LANES + lane])
    diff = b - a
    # numpy's _lerp: symmetric form, exact at both ends
    if frac >= 0.5:
        return b - diff * (1.0 - frac)
    return a + diff * frac


@numba.njit(cache=True, nogil=True)
def _needed_tiles(n):
    """``(ceil(n / _TILE),)`` bool: the tiles of the sorted rows that the order statistics read."""
    needed = np.zeros((n + _TILE - 1) // _TILE, dtype=np.bool_)
    needed[0] = True
    needed[(n - 1) // _TILE] = True
    for q in _PERCENTS:
        lo, _ = _percentile_index(n, q)
        needed[min(lo, n - 1) // _TILE] = True
        needed[min(lo + 1, n - 1) // _TILE] = True
    return needed


@numba.njit(cache=True, nogil=True, inline="always")
def _copy_row(src, dst):
    """dst[:_LANES] = src[:_LANES] (float32): all loads before the stores, so that the copy is one
    vector load and store whether or not the arrays overlap (a loop is copied element by element)."""
    x0 = src[0]; x1 = src[1]; x2 = src[2]; x3 = src[3]; x4 = src[4]; x5 = src[5]; x6 = src[6]; x7 = src[7]
    x8 = src[8]; x9 = src[9]; x10 = src[10]; x11 = src[11]
    x12 = src[12]; x13 = src[13]; x14 = src[14]; x15 = src[15]
    dst[0] = x0; dst[1] = x1; dst[2] = x2; dst[3] = x3; dst[4] = x4; dst[5] = x5; dst[6] = x6; dst[7] = x7
    dst[8] = x8; dst[9] = x9; dst[10] = x10; dst[11] = x11
    dst[12] = x12; dst[13] = x13; dst[14] = x14; dst[15] = x15


@numba.njit(cache=True, nogil=True)
def _order_statistics(lld, out):
    """min, max, range, p01..p99, iqr of every column into ``out`` (n >= 1)."""
    n = lld.shape[0]
    n_lld = lld.shape[1]
    rows = (n + _TILE - 1) // _TILE * _TILE
    block = np.empty(rows * _LANES, dtype=np.float32)
    needed = _needed_tiles(n)
    for j0 in range(0, n_lld, _LANES):
        width = min(_LANES, n_lld - j0)
        if width < _LANES:
            block[:] = 0.0  # unused lanes: any finite value
        block[n * _LANES:] = np.inf
        for i in range(n):
            src = lld[i, j0:j0 + width]
            row = block[i * _LANES:i * _LANES + width]
            if width == _LANES:
                _copy_row(src, row)
            else:
                for b in range(width):
                    row[b] = src[b]
        _sort_block(block, n, needed)
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
    # Results are those of a per-column loop (the same float64 sums in the same order, multiply-adds
    # fused: float64 rounding); the order statistics come from an exact sort, so only the ordering
    # of -0.0 and +0.0 may differ.
    _moments(lld, out)
    _order_statistics(lld, out)
    return out
