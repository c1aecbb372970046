"""functionals vs numpy / scipy.stats."""

import warnings

import numpy as np
import pytest
import scipy.stats

import kernels


def _reference(lld):
    x = lld.astype(np.float64)
    n = x.shape[0]
    i = np.arange(n)
    out = []
    for col in x.T:
        p = np.percentile(col, [1, 25, 50, 75, 99])
        slope, intercept = np.polyfit(i, col, 1)
        residual = col - (intercept + slope * i)
        out.append(
            [
                col.mean(), col.std(), col.min(), col.max(), np.ptp(col),
                *p, p[3] - p[1],
                scipy.stats.skew(col, bias=True), scipy.stats.kurtosis(col, fisher=True, bias=True),
                slope, np.sqrt(np.mean(residual**2)),
            ]
        )
    return np.array(out)


def test_names():
    assert kernels.FUNCTIONAL_NAMES == (
        "mean", "std", "min", "max", "range", "p01", "p25", "p50", "p75", "p99", "iqr",
        "skewness", "kurtosis", "slope", "linreg_error",
    )


@pytest.mark.parametrize("n_frames", [2, 3, 7, 131, 1000])
def test_functionals_match_numpy_scipy(n_frames):
    rng = np.random.default_rng(n_frames)
    t = np.arange(n_frames)
    lld = np.stack(
        [
            rng.standard_normal(n_frames) * 3 + 10,
            rng.exponential(2.0, n_frames),  # skewed
            rng.standard_t(3, n_frames),  # heavy tails
            -60 + 0.05 * t + rng.standard_normal(n_frames),  # trend, dB-like offset
            rng.integers(0, 3, n_frames).astype(float),  # ties
            1e4 + rng.standard_normal(n_frames),  # large offset, small spread
        ],
        axis=1,
    ).astype(np.float32)
    stats = kernels.functionals(lld)
    reference = _reference(lld)
    assert stats.shape == (6, len(kernels.FUNCTIONAL_NAMES)) and stats.dtype == np.float32
    # Both computed in float64 from the same float32 data; ours is rounded once to
    # float32: relative 1e-5, plus an absolute floor of 1e-5 x the column's scale
    # (max |x|) for values that are near zero by cancellation (e.g. a slope of ~0).
    scale = np.abs(lld).max(axis=0).astype(np.float64)[:, None]
    shape_stats = [kernels.FUNCTIONAL_NAMES.index(k) for k in ("skewness", "kurtosis")]
    atol = np.broadcast_to(1e-5 * scale, reference.shape).copy()
    atol[:, shape_stats] = 1e-5  # dimensionless
    excess = np.abs(stats - reference) - (1e-5 * np.abs(reference) + atol)
    assert np.max(excess) <= 0, np.unravel_index(np.argmax(excess), excess.shape)


def test_constant_and_single_frame_columns_never_nan():
    lld = np.array([[3.0, 0.0, 5.0]] * 20, dtype=np.float32)
    lld[:, 2] = np.linspace(0, 1, 20)
    stats = kernels.functionals(lld)
    names = kernels.FUNCTIONAL_NAMES
    assert np.all(np.isfinite(stats))
    for j in (0, 1):
        row = dict(zip(names, stats[j]))
        assert row["std"] == row["range"] == row["iqr"] == 0.0
        assert row["skewness"] == row["kurtosis"] == row["slope"] == row["linreg_error"] == 0.0
        assert row["mean"] == row["p01"] == row["p99"] == lld[0, j]
    ramp = dict(zip(names, stats[2]))
    assert ramp["slope"] == pytest.approx(1 / 19, rel=1e-6)
    assert ramp["linreg_error"] == pytest.approx(0.0, abs=1e-7)

    one = kernels.functionals(np.array([[2.5, -1.0]], dtype=np.float32))
    assert np.all(np.isfinite(one))
    np.testing.assert_array_equal(one[:, [names.index(k) for k in ("mean", "min", "max", "p50")]], [[2.5] * 4, [-1.0] * 4])
    np.testing.assert_array_equal(one[:, [names.index(k) for k in ("std", "skewness", "kurtosis", "slope", "linreg_error")]], 0.0)


def test_zero_frames_gives_zeros():
    stats = kernels.functionals(np.zeros((0, 4), np.float32))
    assert stats.shape == (4, 15) and stats.dtype == np.float32
    assert np.all(stats == 0.0)


def test_input_not_modified():
    lld = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    before = lld.copy()
    kernels.functionals(lld)
    np.testing.assert_array_equal(lld, before)


def _assert_matches_reference(lld):
    """Order statistics exactly as numpy's (the same values are selected; the percentile interpolation
    may differ in the last float64 bit), the rest within the tolerances of the test above."""
    stats = kernels.functionals(lld)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy on the constant column
        reference = _reference(lld)
    names = kernels.FUNCTIONAL_NAMES
    reference = np.nan_to_num(reference, nan=0.0)  # scipy's skew/kurtosis of a constant column: ours is 0
    exact = [names.index(k) for k in ("min", "max", "range")]
    np.testing.assert_array_equal(stats[:, exact], reference[:, exact].astype(np.float32))
    percentiles = [names.index(k) for k in ("p01", "p25", "p50", "p75", "p99", "iqr")]
    np.testing.assert_allclose(stats[:, percentiles], reference[:, percentiles], rtol=1e-6,
                               atol=1e-6 * np.abs(lld).max(initial=0.0))
    scale = np.abs(lld).max(axis=0).astype(np.float64)[:, None]
    atol = np.broadcast_to(1e-5 * scale, reference.shape).copy()
    atol[:, [names.index("skewness"), names.index("kurtosis")]] = 1e-5
    excess = np.abs(stats - reference) - (1e-5 * np.abs(reference) + atol)
    assert np.max(excess) <= 0, np.unravel_index(np.argmax(excess), excess.shape)


# Around the sorting network's tiles (16 rows) and powers of two of tiles, and enough columns for
# several blocks of columns (16 each) with a partial last one.
@pytest.mark.parametrize("n_frames", [2, 5, 15, 16, 17, 31, 32, 33, 48, 64, 65, 190, 257, 2049])
def test_many_columns_match_reference(n_frames):
    rng = np.random.default_rng(1000 + n_frames)
    n_lld = 70
    lld = (rng.standard_normal((n_frames, n_lld)) * rng.uniform(0.1, 100, n_lld) + rng.uniform(-50, 50, n_lld))
    lld[:, 5] = rng.integers(-2, 3, n_frames)  # ties, zeros
    lld[:, 6] = np.sort(lld[:, 6])  # already sorted
    lld[:, 7] = np.sort(lld[:, 7])[::-1]  # reverse sorted
    lld[:, 8] = np.where(rng.random(n_frames) < 0.6, 0.0, lld[:, 8])  # mostly zeros (unvoiced pitch)
    lld[:, 9] = 3.0  # constant
    lld[::2, 10] = -0.0  # signed zeros
    lld[1::2, 10] = 0.0
    _assert_matches_reference(lld.astype(np.float32))


def test_columns_are_independent_of_block_position():
    rng = np.random.default_rng(3)
    lld = rng.standard_normal((123, 100)).astype(np.float32)
    whole = kernels.functionals(lld)
    for j in (0, 15, 16, 17, 31, 32, 33, 63, 64, 99):
        np.testing.assert_array_equal(kernels.functionals(np.ascontiguousarray(lld[:, j:j + 1]))[0], whole[j])


def test_non_contiguous_input_gives_the_same_result():
    lld = np.random.default_rng(4).standard_normal((300, 90)).astype(np.float32)
    for view in (lld[::2, ::3], np.asfortranarray(lld), lld[:, 5:70]):
        np.testing.assert_array_equal(kernels.functionals(view), kernels.functionals(np.ascontiguousarray(view)))


def _order_reference(col):
    """min, max, p01..p99 of one column from np.sort, with np.percentile's linear interpolation written
    out in the kernel's float64 operations (so the values must agree exactly)."""
    s = np.sort(col).astype(np.float64)
    n = len(s)
    values = [s[0], s[-1]]
    for q in (1.0, 25.0, 50.0, 75.0, 99.0):
        index = q / 100.0 * (n - 1)
        lo = int(np.floor(index))
        if lo >= n - 1:
            values.append(s[-1])
            continue
        frac = index - lo
        a, b = s[lo], s[lo + 1]
        values.append(b - (b - a) * (1.0 - frac) if frac >= 0.5 else a + (b - a) * frac)
    return values


# Frame counts that exercise the sorting network's merges between tiles done four tiles at a time
# (with and without virtual +inf tiles in a group) and its last merge limited to the tiles read.
@pytest.mark.parametrize("n_frames", [*range(1, 40), 63, 64, 65, 95, 96, 97, 127, 128, 129, 161, 255, 256, 257,
                                      273, 383, 384, 385, 511, 512, 513, 600, 767, 768, 769, 1025])
def test_order_statistics_exact(n_frames):
    rng = np.random.default_rng(7000 + n_frames)
    lld = rng.standard_normal((n_frames, 33)).astype(np.float32)
    lld[:, 3] = rng.integers(-2, 3, n_frames)  # ties
    lld[:, 4] = np.sort(lld[:, 4])[::-1]  # reverse sorted
    stats = kernels.functionals(lld)
    names = kernels.FUNCTIONAL_NAMES
    columns = [names.index(k) for k in ("min", "max", "p01", "p25", "p50", "p75", "p99")]
    reference = np.array([_order_reference(col) for col in lld.T], dtype=np.float32)
    np.testing.assert_array_equal(stats[:, columns], reference)


def _moments_reference(col):
    """mean, std, skewness, kurtosis, slope, linreg_error of one column: the kernel's formulation (float64,
    central sums, residuals of the line through the centre) as a plain loop over the frames."""
    x = col.astype(np.float64)
    n = len(x)
    mean = 0.0
    for v in x:
        mean += v
    mean /= n
    m2 = m3 = m4 = sxy = 0.0
    centred = np.arange(n) - 0.5 * (n - 1)
    for v, c in zip(x, centred):
        d = v - mean
        m2 += d * d
        m3 += d * d * d
        m4 += d * d * d * d
        sxy += c * d
    slope = sxy / (n * (n * n - 1.0) / 12.0) if n > 1 else 0.0
    sse = sum((v - (mean + slope * c)) ** 2 for v, c in zip(x, centred)) if n > 1 else 0.0
    v2, v3, v4 = m2 / n, m3 / n, m4 / n
    zero = not (v2 > (1e-12 * mean) ** 2 and v2 > 0.0)
    return [mean, np.sqrt(v2), 0.0 if zero else v3 / v2**1.5, 0.0 if zero else v4 / (v2 * v2) - 3.0,
            slope, np.sqrt(sse / n)]


# Frame counts around the kernel's groups of four rows per pass.
@pytest.mark.parametrize("n_frames", [1, 2, 3, 4, 5, 6, 7, 8, 9, 190, 273])
def test_moments_match_the_per_column_formulation(n_frames):
    rng = np.random.default_rng(8000 + n_frames)
    lld = (rng.standard_normal((n_frames, 21)) * rng.uniform(0.1, 50, 21) + rng.uniform(-60, 60, 21)).astype(np.float32)
    lld[:, 3] = 7.0  # constant
    stats = kernels.functionals(lld)
    names = kernels.FUNCTIONAL_NAMES
    columns = [names.index(k) for k in ("mean", "std", "skewness", "kurtosis", "slope", "linreg_error")]
    reference = np.array([_moments_reference(col) for col in lld.T])
    # the same float64 sums (with fused multiply-adds in the kernel), rounded once to float32
    np.testing.assert_allclose(stats[:, columns], reference, rtol=2e-7, atol=1e-12 * np.abs(lld).max())
