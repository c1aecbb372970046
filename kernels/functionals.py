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
def _percentile_sorted(sorted_values, n, q):
    """np.percentile(..., method='linear') on the first n entries of a sorted float64 buffer."""
    index = q / 100.0 * (n - 1)
    lo = int(np.floor(index))
    if lo >= n - 1:
        return sorted_values[n - 1]
    frac = index - lo
    a = sorted_values[lo]
    b = sorted_values[lo + 1]
    diff = b - a
    # numpy's _lerp: symmetric form, exact at both ends
    if frac >= 0.5:
        return b - diff * (1.0 - frac)
    return a + diff * frac


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
    buf = np.empty(n, dtype=np.float64)
    # Frame index centred on its mean: x_i = i - (n-1)/2, sum x_i^2 = n(n^2-1)/12.
    i_mean = 0.5 * (n - 1)
    sxx = n * (n * n - 1.0) / 12.0
    for j in range(n_lld):
        total = 0.0
        for i in range(n):
            v = np.float64(lld[i, j])
            buf[i] = v
            total += v
        mean = total / n
        m2 = 0.0
        m3 = 0.0
        m4 = 0.0
        sxy = 0.0
        for i in range(n):
            d = buf[i] - mean
            d2 = d * d
            m2 += d2
            m3 += d2 * d
            m4 += d2 * d2
            sxy += (i - i_mean) * d
        m2 /= n
        m3 /= n
        m4 /= n
        slope = 0.0
        lin_err = 0.0
        if n > 1:
            slope = sxy / sxx
            # Line through (i_mean, mean); residuals in a second pass for accuracy.
            sse = 0.0
            for i in range(n):
                r = buf[i] - (mean + slope * (i - i_mean))
                sse += r * r
            lin_err = np.sqrt(sse / n)
        skew = 0.0
        kurt = 0.0
        if m2 > (_REL_ZERO_VAR * mean) ** 2 and m2 > 0.0:
            skew = m3 / m2**1.5
            kurt = m4 / (m2 * m2) - 3.0
        buf.sort()
        p25 = _percentile_sorted(buf, n, 25.0)
        p75 = _percentile_sorted(buf, n, 75.0)
        out[j, _MEAN] = mean
        out[j, _STD] = np.sqrt(m2)
        out[j, _MIN] = buf[0]
        out[j, _MAX] = buf[n - 1]
        out[j, _RANGE] = buf[n - 1] - buf[0]
        out[j, _P01] = _percentile_sorted(buf, n, 1.0)
        out[j, _P25] = p25
        out[j, _P50] = _percentile_sorted(buf, n, 50.0)
        out[j, _P75] = p75
        out[j, _P99] = _percentile_sorted(buf, n, 99.0)
        out[j, _IQR] = p75 - p25
        out[j, _SKEW] = skew
        out[j, _KURT] = kurt
        out[j, _SLOPE] = slope
        out[j, _LINREG_ERR] = lin_err
    return out
