"""Modulation-spectrum kernels (critical bands, modulation energies, MSF measures), the fast
logarithm they share, and the Fourier-parameter kernels (pitch, harmonic levels, differences)."""
from __future__ import annotations

import numpy as np
import pytest

from kernels import apply_filterbank, frame_signal, hann_window, mel_filterbank, power_spectrum, power_to_db
from kernels.fourier_params import (
    autocorrelation_pitch,
    autocorrelation_pitch_plan,
    autocorrelation_pitch_t,
    harmonic_levels,
    voiced_differences,
)
from kernels.modulation import (
    filterbank_db,
    ln_inplace,
    modulation_band_edges,
    modulation_energies,
    modulation_spectral_measures,
)

FS = 16000
WINDOW = hann_window(400)
MEL = mel_filterbank(FS, 512, 40, 0.0, 8000.0, False, True)  # the shared log-mel filterbank
MOD_EDGES = modulation_band_edges(np.array([2.0, 4.0, 8.0, 16.0, 32.0]))


def _power(signal):
    """Power spectra of the centred 25 ms frames of ``signal`` (zero-padded by half a frame)."""
    padded = np.concatenate([np.zeros(200, np.float32), signal.astype(np.float32), np.zeros(200, np.float32)])
    return power_spectrum(frame_signal(padded, 400, 160), WINDOW, 512)


# ------------------------------------------------------------------------------ fast logarithm


def test_ln_inplace_matches_numpy():
    rng = np.random.default_rng(0)
    x = np.concatenate([
        10.0 ** rng.uniform(-300, 300, 20000), rng.uniform(0.5, 2.0, 20000),
        [1.0, 2.0, 0.5, np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 2.0), 1e-10, 1.0 - 1e-16],
    ])
    values = x.copy()
    ln_inplace(values, values.view(np.int64), np.empty_like(values), len(values))
    assert np.abs(values - np.log(x)).max() < 4e-8  # documented bound (fit: 3.7e-8)
    values = np.array([1.0, 4.0, 0.0])
    ln_inplace(values, values.view(np.int64), np.empty(3), 2)  # only the first n
    assert values[0] == 0.0 and values[2] == 0.0
    assert abs(values[1] - np.log(4.0)) < 1e-12


def test_filterbank_db_equals_apply_filterbank_then_db():
    rng = np.random.default_rng(1)
    power = (rng.random((77, 257)) ** 4 * 1e4).astype(np.float32)  # 77: not a multiple of the block
    power[5] = 0.0  # silence -> the floor
    fb = MEL
    ours = filterbank_db(power, fb)
    reference = power_to_db(apply_filterbank(power, fb))
    np.testing.assert_allclose(ours, reference, rtol=0, atol=2e-5)  # dB; float32 rounding of both
    from kernels.wavelets import morlet_filterbank, morlet_scales  # the CWT's bank: wide, sparse rows

    morlet = morlet_filterbank(morlet_scales(np.geomspace(100, 4000, 12), float(FS)), 512)
    np.testing.assert_allclose(filterbank_db(power, morlet), power_to_db(apply_filterbank(power, morlet)), atol=2e-5)
    assert np.all(ours[5] == -100.0)
    # A frame's value does not depend on the other frames in the call (block invariance).
    np.testing.assert_array_equal(filterbank_db(power[40:41], fb), ours[40:41])
    np.testing.assert_array_equal(filterbank_db(power[33:77], fb), ours[33:77])


# ------------------------------------------------------------------------ modulation energies


def _pair_envelopes(power):
    """Amplitude envelopes of adjacent pairs of mel bands, as the ``msf`` family builds them."""
    mel_power = 10 ** (filterbank_db(power, MEL).astype(np.float64) / 10)
    return np.sqrt(mel_power[:, 0::2] + mel_power[:, 1::2]).astype(np.float32)



@pytest.mark.parametrize("fm, band", [(2.0, 0), (4.0, 1), (8.0, 2), (16.0, 3), (32.0, 4)])
def test_am_tone_modulation_spectrum_peaks_at_carrier_band_and_modulation_rate(fm, band):
    """1 kHz carrier, 3 s, amplitude-modulated at ``fm`` with depth 0.3.

    Analytic expectation: the band's envelope is ``c (1 + m H cos(2 pi fm t))`` where ``c`` is the
    steady envelope of the bare carrier and ``H`` the gain at ``fm`` of the 25 ms frames (the
    band power is the signal power smoothed by the squared Hann window), so the energy in the
    modulation band holding ``fm`` is ``(c m H)**2 / 2``. Tolerance 2 %, 5 % at 2 Hz (its Hann
    main lobe leaks 4 % into the 4 Hz band) and 32 Hz (where the square root's O(m**2) terms,
    with H(fm) != H(2 fm), and the 2 fm component aliased by the 100 Hz envelope sampling
    matter: -3 %).
    """
    t = np.arange(3 * FS) / FS
    m = 0.3
    carrier = 0.5 * np.cos(2 * np.pi * 1000.0 * t)
    x = (1 + m * np.cos(2 * np.pi * fm * t)) * carrier
    envelopes = _pair_envelopes(_power(x))[3:-3]  # drop the zero-padded edges
    energies = modulation_energies(envelopes, 100.0, 128, 32, MOD_EDGES)
    assert energies.shape == (20, 5)
    steady = _pair_envelopes(_power(carrier[:4000]))[5:-5].mean(axis=0)
    carrier_band = int(np.argmax(steady))  # the acoustic band holding 1 kHz
    assert np.unravel_index(np.argmax(energies), energies.shape) == (carrier_band, band)
    others = np.delete(energies[carrier_band], band)
    assert others.max() < 0.05 * energies[carrier_band, band]
    c = steady[carrier_band]
    n = np.arange(400)
    w2 = WINDOW.astype(np.float64) ** 2
    gain = abs(np.sum(w2 * np.exp(-2j * np.pi * fm * n / FS))) / w2.sum()
    expected = (c * m * gain) ** 2 / 2
    np.testing.assert_allclose(energies[carrier_band, band], expected, rtol=0.05 if fm in (2.0, 32.0) else 0.02)


def test_modulation_energies_of_synthetic_envelopes():
    t = np.arange(300) / 100.0
    env = np.ones((300, 3), np.float32)
    env[:, 1] += 0.2 * np.sin(2 * np.pi * 4.0 * t)  # a**2/2 = 0.02 in the 4 Hz band
    env[:, 2] = 5.0  # constant -> nothing
    e = modulation_energies(env, 100.0, 128, 32, MOD_EDGES)
    np.testing.assert_allclose(e[1, 1], 0.02, rtol=0.02)
    assert e[1, [0, 2, 3, 4]].max() < 1e-3 * e[1, 1]
    assert np.all(e[0] < 1e-12) and np.all(e[2] < 1e-12)  # no DC leakage into any band
    # Shorter than one 1.28 s segment: centred, zero-padded at the mean, still ~a**2/2.
    e_short = modulation_energies(np.ascontiguousarray(env[:80]), 100.0, 128, 32, MOD_EDGES)
    np.testing.assert_allclose(e_short[1, 1], 0.02, rtol=0.15)
    # White-noise envelopes: energy proportional to band width (each octave band twice the last).
    rng = np.random.default_rng(2)
    noise = (1.0 + 0.1 * rng.standard_normal((6000, 4))).astype(np.float32)
    e_noise = modulation_energies(noise, 100.0, 128, 32, MOD_EDGES).mean(axis=0)
    np.testing.assert_allclose(e_noise[1:] / e_noise[:-1], 2.0, rtol=0.2)
    # Degenerate inputs: one frame, or none, give zeros.
    assert np.all(modulation_energies(env[:1], 100.0, 128, 32, MOD_EDGES) == 0.0)
    assert np.all(modulation_energies(env[:0], 100.0, 128, 32, MOD_EDGES) == 0.0)
    with pytest.raises(ValueError):  # a band reaching down to DC leakage (bin 1)
        modulation_energies(env, 100.0, 128, 32, modulation_band_edges(np.array([1.0])))
    with pytest.raises(ValueError):  # above the envelope Nyquist
        modulation_energies(env, 100.0, 128, 32, modulation_band_edges(np.array([64.0])))


def test_modulation_spectral_measures():
    n = 19
    j = np.arange(n)
    # Uniform energies: centroid in the middle, the spread of a uniform distribution, flat.
    m = modulation_spectral_measures(np.full((n, 1), 3.0))[0]
    expected = [10 * np.log10(3 * n), (n - 1) / 2, np.sqrt((n**2 - 1) / 12), 1.0, 1.0, 0.0]
    np.testing.assert_allclose(m, expected, atol=1e-9)
    # Exponential in the band index: a straight line in dB -> slope exactly 2 dB per band.
    e = 10 ** (2.0 * j / 10)
    m = modulation_spectral_measures(e[:, None])[0]
    np.testing.assert_allclose(m[5], 2.0, atol=1e-9)
    np.testing.assert_allclose(m[1], (j * e).sum() / e.sum(), rtol=1e-12)
    np.testing.assert_allclose(m[3], np.exp(np.log(e).mean()) / e.mean(), rtol=1e-12)
    np.testing.assert_allclose(m[4], e.max() / e.mean(), rtol=1e-12)
    # One band only: centroid there, no spread, crest N, flatness ~0.
    one = np.zeros((n, 1))
    one[7] = 1.0
    m = modulation_spectral_measures(one)[0]
    np.testing.assert_allclose(m[1:5], [7.0, 0.0, 0.0, n], atol=1e-3)  # floors: spread 2.5e-4
    # Silence: everything at the floor -> the documented flat values, all finite.
    m = modulation_spectral_measures(np.zeros((n, 5)))
    assert np.all(np.isfinite(m))
    np.testing.assert_allclose(m[:, 1:], [[(n - 1) / 2, np.sqrt((n**2 - 1) / 12), 1.0, 1.0, 0.0]] * 5, atol=1e-9)


# ------------------------------------------------------------------------- Fourier parameters

PLAN = autocorrelation_pitch_plan(WINDOW, 512, float(FS))


def _harmonic_signal(f0, amplitudes, seconds=0.5, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    x = sum(a * np.cos(2 * np.pi * (h + 1) * f0 * t + rng.uniform(0, 2 * np.pi)) for h, a in enumerate(amplitudes))
    x = x + noise * np.std(x) * rng.standard_normal(len(t))
    return (0.3 * x).astype(np.float32)


@pytest.mark.parametrize("f0", [100.0, 150.0, 210.0, 330.0, 470.0])
def test_pitch_and_harmonic_levels_of_a_synthetic_voice(f0):
    """Known harmonic amplitudes -> F0 within 0.5 % and levels within 0.5 dB.

    The levels are dB re the total power of the 12 harmonics. Tolerance: the 25 ms Hann window
    resolves harmonics >= 150 Hz apart cleanly; at 100 Hz neighbouring main lobes (+-80 Hz)
    overlap, so levels are checked to 1.5 dB there; harmonics below -25 dB are dominated by their neighbours'
    side lobes and are not checked; parabolic interpolation errs by < 0.1 dB.
    """
    rng = np.random.default_rng(int(f0))
    amps = 1.0 / np.arange(1, 13) ** rng.uniform(0.7, 1.5) * rng.uniform(0.5, 1.5, 12)
    power = _power(_harmonic_signal(f0, amps, noise=0.01))[2:-2]
    f0_est, voicing = autocorrelation_pitch(power, *PLAN, float(FS))
    assert np.all(voicing > 0.9)
    np.testing.assert_allclose(f0_est, f0, rtol=5e-3)
    levels = harmonic_levels(power, f0_est, 12, float(FS), 512)
    with np.errstate(divide="ignore"):
        expected = 10 * np.log10(amps**2 / np.sum(amps**2))
    check = expected > -25
    tol = 1.5 if f0 < 120 else 0.5
    np.testing.assert_allclose(levels[:, check], np.broadcast_to(expected[check], levels[:, check].shape), atol=tol)
    np.testing.assert_allclose((10 ** (levels / 10.0)).sum(axis=1), 1.0, rtol=1e-5)  # powers sum to 1
    assert levels.shape == (len(power), 12) and np.all(np.isfinite(levels))


def test_harmonics_above_nyquist_are_at_the_floor():
    amps = np.ones(12)
    power = _power(_harmonic_signal(900.0, amps[:8]))[2:-2]  # 9th harmonic and up > 8 kHz
    f0 = np.full(len(power), 900.0, np.float32)  # given: outside the pitch search range
    levels = harmonic_levels(power, f0, 12, float(FS), 512)
    assert np.all(levels[:, 9:] == -100.0)
    np.testing.assert_allclose(levels[:, :8], 10 * np.log10(1 / 8), atol=0.3)


def test_pitch_prefers_the_fundamental_over_octave_errors():
    # A strong 2nd harmonic (formant near 2 F0) must not give 2 F0; a weak fundamental neither.
    amps = 1.0 / np.arange(1, 13)
    amps[1] *= 4
    power = _power(_harmonic_signal(140.0, amps))[2:-2]
    f0, _ = autocorrelation_pitch(power, *PLAN, float(FS))
    np.testing.assert_allclose(f0, 140.0, rtol=5e-3)
    amps = 1.0 / np.arange(1, 13)
    amps[0] = 0.3
    power = _power(_harmonic_signal(240.0, amps))[2:-2]
    f0, _ = autocorrelation_pitch(power, *PLAN, float(FS))
    np.testing.assert_allclose(f0, 240.0, rtol=5e-3)


def test_pitch_unvoiced_for_noise_and_silence():
    rng = np.random.default_rng(5)
    noise = (0.1 * rng.standard_normal(FS)).astype(np.float32)
    f0, voicing = autocorrelation_pitch(_power(noise), *PLAN, float(FS))
    assert np.mean(f0 > 0) < 0.1
    assert np.all((f0 > 0) == (voicing >= 0.6))  # the voicing rule callers re-derive
    silence = np.zeros(1600, np.float32)
    f0, voicing = autocorrelation_pitch(_power(silence), *PLAN, float(FS))
    assert np.all(f0 == 0) and np.all(voicing == 0)
    levels = harmonic_levels(_power(silence), f0, 12, float(FS), 512)
    np.testing.assert_allclose(levels, -10 * np.log10(12), rtol=1e-6)  # unvoiced: flat


def test_pitch_plan_validation():
    with pytest.raises(ValueError):
        autocorrelation_pitch_plan(WINDOW, 512, float(FS), 300.0, 200.0)
    with pytest.raises(ValueError):
        autocorrelation_pitch_plan(WINDOW, 512, float(FS), 20.0, 500.0)  # lags beyond n_fft / 2


def test_voiced_differences():
    values = np.array([[1.0], [3.0], [6.0], [10.0], [0.0]], np.float32)
    voiced = np.array([True, True, True, False, True])
    d1 = voiced_differences(values, voiced)
    np.testing.assert_array_equal(d1[:, 0], [0, 2, 3, 0, 0])
    v2 = voiced.copy()
    v2[1:] &= voiced[:-1]
    v2[0] = False
    np.testing.assert_array_equal(voiced_differences(d1, v2)[:, 0], [0, 0, 1, 0, 0])


def test_autocorrelation_pitch_t_is_autocorrelation_pitch():
    from kernels.stft import transpose_frames

    rng = np.random.default_rng(12)
    t = np.arange(3 * FS) / FS
    f0 = 120 + 60 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / FS
    y = sum(np.cos(h * phase) / h for h in range(1, 15)) * (np.sin(2 * np.pi * 2 * t) > -0.3)
    y = (0.2 * y + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    y[8000:12000] = 0.0
    power = _power(y)
    plan = autocorrelation_pitch_plan(WINDOW, 512, float(FS), 75.0, 500.0, 1500.0, 3)
    f0_ref, voicing_ref = autocorrelation_pitch(power, *plan, float(FS), 75.0, 0.6, 0.1)
    f0_t, voicing_t = autocorrelation_pitch_t(transpose_frames(power), *plan, float(FS), 75.0, 0.6, 0.1)
    assert (f0_ref > 0).mean() > 0.3 and (f0_ref == 0).any()
    np.testing.assert_array_equal(f0_t, f0_ref)
    np.testing.assert_array_equal(voicing_t, voicing_ref)
