"""``harmonic_levels`` against a plain numpy reading of its docstring (nearest bins up to
Nyquist, the three-bin peak choice with its edge cases, the capped parabolic rise)."""

import numpy as np

from kernels.fourier_params import _MAX_PEAK_RISE, harmonic_levels

FS = 16000.0
N_FFT = 512
N_BINS = N_FFT // 2 + 1
FLOOR = 1e-10


def harmonic_levels_reference(power, f0_hz, n_harmonics):
    """One frame and harmonic at a time, with np.log and explicit branches."""
    bin_hz = FS / N_FFT
    out = np.empty((len(power), n_harmonics))
    for t, row in enumerate(power.astype(np.float64)):
        f0 = float(f0_hz[t])
        ln_peaks = []
        powers = []
        for h in range(1, n_harmonics + 1):
            k = int(h * f0 / bin_hz + 0.5) if f0 > 0 else N_BINS
            if k > N_BINS - 1:
                break
            best = k
            for j in (k - 1, k + 1):  # a neighbour only when strictly larger (k - 1 first)
                if 0 <= j < N_BINS and row[j] > row[best]:
                    best = j
            a, b, c = (np.log(max(row[min(max(j, 0), N_BINS - 1)], FLOOR)) for j in (best - 1, best, best + 1))
            denom = a - 2 * b + c
            shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
            rise = min(max(-0.25 * (a - c) * shift, 0.0), _MAX_PEAK_RISE)
            ln_peaks.append(b + rise)
            powers.append(max(row[best], FLOOR) * np.exp(rise))
        if not any(p > FLOOR for p in powers):
            out[t] = -10 * np.log10(n_harmonics)
            continue
        ln_total = np.log(sum(powers))
        levels = [max(lp - ln_total, np.log(FLOOR)) for lp in ln_peaks]
        levels += [np.log(FLOOR)] * (n_harmonics - len(levels))
        out[t] = np.array(levels) * 10 / np.log(10)
    return out


def test_harmonic_levels_match_the_reference():
    rng = np.random.default_rng(23)
    n = 400
    power = (rng.random((n, N_BINS)) ** 6 * 10.0 ** rng.uniform(-12, 2, (n, 1))).astype(np.float32)
    power[rng.random((n, N_BINS)) < 0.05] = 0.0  # floored bins
    f0 = rng.uniform(60.0, 800.0, n).astype(np.float32)
    f0[::7] = 0.0  # unvoiced
    f0[1] = 8.0  # harmonic 1 at bin 0
    f0[2] = 23.4375  # harmonic 1 at bin 1 (peak can move to bin 0)
    f0[3] = 8000.0 / 12  # harmonic 12 at Nyquist
    f0[4] = (N_BINS - 2) * FS / N_FFT / 11  # harmonic 11 at Nyquist - 1
    f0[5] = 7990.0  # only harmonic 1, next to Nyquist
    f0[6] = 9000.0  # none below Nyquist: flat
    power[8] = 0.0  # silence
    power[9, ::2] = 3.0  # ties between neighbours
    power[9, 1::2] = 3.0
    power[10, 250:] = [1, 5, 5, 2, 9, 9, 9]  # ties at the top bins
    f0[8:11] = [200.0, 200.0, 1115.0]
    # the 3 harmonics of row 5 and row 10 reach the last bins
    for n_harmonics in (12, 3, 1):
        levels = harmonic_levels(power, f0, n_harmonics, FS, N_FFT, FLOOR)
        reference = harmonic_levels_reference(power, f0, n_harmonics)
        # ln_inplace: 4e-8 absolute in ln -> < 1e-6 dB; float32 output (~1e-5 dB at -100 dB)
        np.testing.assert_allclose(levels, reference, rtol=2e-7, atol=2e-6)
