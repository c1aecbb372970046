"""Mel scale, mel filterbank, apply_filterbank, power_to_db vs librosa."""

import numpy as np
import pytest

import kernels
from tests.test_kernels_pipeline import N_FFT, WIN_LENGTH, centered_frames, signal  # noqa: F401

librosa = pytest.importorskip("librosa")

FREQS_HZ = np.array([0.0, 20.0, 440.0, 999.0, 1000.0, 1001.0, 3000.0, 8000.0, 11025.0, 24000.0])


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_matches_librosa(htk):
    # Same float64 formulas: agreement to a few ulps.
    mels = kernels.hz_to_mel(FREQS_HZ, htk)
    np.testing.assert_allclose(mels, librosa.hz_to_mel(FREQS_HZ, htk=htk), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        kernels.mel_to_hz(mels, htk), librosa.mel_to_hz(mels, htk=htk), rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(kernels.mel_to_hz(mels, htk), FREQS_HZ, rtol=1e-12, atol=1e-9)
    # Scalars in, scalars out.
    assert kernels.hz_to_mel(440.0, htk) == pytest.approx(float(librosa.hz_to_mel(440.0, htk=htk)), rel=1e-12)
    assert np.ndim(kernels.mel_to_hz(20.0, htk)) == 0
    # Keyword call, 2-D input, float32 input.
    grid = FREQS_HZ.reshape(2, 5).astype(np.float32)
    np.testing.assert_allclose(
        kernels.hz_to_mel(grid, htk=htk), librosa.hz_to_mel(grid.astype(np.float64), htk=htk), rtol=1e-12
    )


def test_mel_scales_differ():
    # Guards against the htk flag being ignored.
    assert kernels.hz_to_mel(3000.0, True) == pytest.approx(2595 * np.log10(1 + 3000 / 700), rel=1e-12)
    assert kernels.hz_to_mel(3000.0, False) == pytest.approx(15 + np.log(3) / (np.log(6.4) / 27), rel=1e-12)


MEL_CONFIGS = [
    # sampling_rate, n_fft, n_mels, fmin_hz, fmax_hz
    (16000, 512, 40, 0.0, 8000.0),
    (16000, 400, 26, 20.0, 7600.0),  # n_fft not a power of two
    (22050, 2048, 128, 0.0, 11025.0),
    (16000, 511, 64, 50.0, 4000.0),  # odd n_fft
]


@pytest.mark.parametrize("htk", [False, True], ids=["slaney_scale", "htk_scale"])
@pytest.mark.parametrize("slaney_norm", [False, True], ids=["no_norm", "slaney_norm"])
@pytest.mark.parametrize("config", MEL_CONFIGS, ids=lambda c: "-".join(map(str, c)))
def test_mel_filterbank_matches_librosa(config, htk, slaney_norm):
    sampling_rate, n_fft, n_mels, fmin_hz, fmax_hz = config
    fb = kernels.mel_filterbank(sampling_rate, n_fft, n_mels, fmin_hz, fmax_hz, htk, slaney_norm)
    reference = librosa.filters.mel(
        sr=sampling_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin_hz, fmax=fmax_hz, htk=htk,
        norm="slaney" if slaney_norm else None, dtype=np.float64,
    )
    assert fb.shape == (n_mels, n_fft // 2 + 1)
    assert fb.dtype == np.float32
    # Same float64 construction; ours is rounded once to float32 -> a relative
    # error of a float32 ulp (6e-8); allow 4e-7 of the largest weight.
    np.testing.assert_allclose(fb, reference, rtol=0, atol=4e-7 * reference.max())
    # Same sparsity pattern (a weight at a triangle foot must stay exactly 0).
    np.testing.assert_array_equal(fb > 0, reference.astype(np.float32) > 0)


def test_mel_filterbank_rejects_bad_range():
    with pytest.raises(ValueError):
        kernels.mel_filterbank(16000, 512, 40, 4000.0, 1000.0, False, True)


def test_apply_filterbank_matches_librosa_melspectrogram(signal):
    power = kernels.power_spectrum(centered_frames(signal), kernels.hann_window(WIN_LENGTH), N_FFT)
    fb = kernels.mel_filterbank(16000, N_FFT, 40, 0.0, 8000.0, False, True)
    mel = kernels.apply_filterbank(power, fb)
    assert mel.shape == (power.shape[0], 40) and mel.dtype == np.float32
    # librosa on the very same power spectrum (float32 matmul there, float64 sums
    # here): relative 1e-5 on each band (measured worst 2e-6), tiny absolute floor
    # for the all-zero silent frames.
    reference = librosa.feature.melspectrogram(S=power.T, sr=16000, n_fft=N_FFT, n_mels=40, fmin=0.0, fmax=8000.0).T
    np.testing.assert_allclose(mel, reference, rtol=1e-5, atol=1e-12)
    # And against a float64 dense product of the same operands.
    exact = power.astype(np.float64) @ fb.astype(np.float64).T
    np.testing.assert_allclose(mel, exact, rtol=2e-7, atol=1e-30)


def test_apply_filterbank_generic_dense_filters():
    # Not only mel triangles: dense filters, filters with holes, an all-zero filter.
    rng = np.random.default_rng(5)
    power = rng.uniform(0, 1, (7, 33)).astype(np.float32)
    fb = rng.uniform(0, 1, (4, 33)).astype(np.float32)
    fb[1, 10:20] = 0.0
    fb[2] = 0.0
    exact = power.astype(np.float64) @ fb.astype(np.float64).T
    np.testing.assert_allclose(kernels.apply_filterbank(power, fb), exact, rtol=2e-7)
    with pytest.raises(ValueError):
        kernels.apply_filterbank(power, fb[:, :32])


def test_power_to_db_matches_librosa():
    rng = np.random.default_rng(6)
    power = (10.0 ** rng.uniform(-14, 3, (50, 40))).astype(np.float32)
    power[0, :5] = 0.0  # floored at amin
    power[1, :5] = 1e-10
    db = kernels.power_to_db(power)
    reference = librosa.power_to_db(power.astype(np.float64), ref=1.0, amin=1e-10, top_db=None)
    assert db.shape == power.shape and db.dtype == np.float32
    # float64 log10 rounded to float32: |db| <= 100, float32 ulp at 100 is 7.6e-6.
    np.testing.assert_allclose(db, reference, rtol=0, atol=2e-5)
    assert np.all(db[0, :5] == -100.0)
    # No top_db clipping: the range exceeds 80 dB.
    assert db.max() - db.min() > 120
    # Other amin, other shapes, non-contiguous input.
    np.testing.assert_allclose(
        kernels.power_to_db(power[:, ::3], 1e-5),
        librosa.power_to_db(power[:, ::3].astype(np.float64), ref=1.0, amin=1e-5, top_db=None),
        rtol=0, atol=2e-5,
    )
    cube = power.reshape(5, 10, 40)
    np.testing.assert_array_equal(kernels.power_to_db(cube), db.reshape(5, 10, 40))
    assert kernels.power_to_db(power[0]).shape == (40,)
    with pytest.raises(ValueError):
        kernels.power_to_db(power, 0.0)


def test_filterbank_db_t_is_apply_filterbank_then_db(signal):
    from kernels.mel import filterbank_db_t
    from kernels.stft import transpose_frames

    power = kernels.power_spectrum(centered_frames(signal), kernels.hann_window(WIN_LENGTH), N_FFT)
    fb = kernels.mel_filterbank(16000, N_FFT, 40, 0.0, 8000.0, False, True)
    db = filterbank_db_t(transpose_frames(power), fb, 1e-10)
    reference = kernels.power_to_db(kernels.apply_filterbank(power, fb), 1e-10)
    assert db.shape == reference.shape and db.dtype == np.float32
    # identical band energies; only the (vectorised) logarithm differs: ~1 float32 ulp at 100 dB
    np.testing.assert_allclose(db, reference, rtol=0, atol=2e-5)
    assert np.all(db[np.all(power == 0, axis=1)] == -100.0)
    # all frames at once, a frame's values depend only on its spectrum
    np.testing.assert_array_equal(filterbank_db_t(transpose_frames(power[5:]), fb, 1e-10), db[5:])
