"""dct_matrix, mfcc, deltas vs scipy/librosa."""

import numpy as np
import pytest
import scipy.fft

import kernels
from tests.test_kernels_pipeline import N_FFT, WIN_LENGTH, centered_frames, signal  # noqa: F401

librosa = pytest.importorskip("librosa")


@pytest.mark.parametrize("n_mfcc, n_mels", [(13, 40), (20, 26), (1, 1), (64, 64)])
def test_dct_matrix_matches_scipy(n_mfcc, n_mels):
    dct = kernels.dct_matrix(n_mfcc, n_mels)
    reference = scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:n_mfcc]
    assert dct.shape == (n_mfcc, n_mels) and dct.dtype == np.float32
    # float64 cosines rounded to float32 (entries <= 1): 1e-7 absolute.
    np.testing.assert_allclose(dct, reference, rtol=0, atol=1e-7)
    full = kernels.dct_matrix(n_mels, n_mels).astype(np.float64)
    np.testing.assert_allclose(full @ full.T, np.eye(n_mels), atol=1e-6)


def test_dct_matrix_rejects_too_many_coefficients():
    with pytest.raises(ValueError):
        kernels.dct_matrix(41, 40)
    with pytest.raises(ValueError):
        kernels.mfcc(np.zeros((3, 40), np.float32), 41)


def _log_mel(signal):
    power = kernels.power_spectrum(centered_frames(signal), kernels.hann_window(WIN_LENGTH), N_FFT)
    fb = kernels.mel_filterbank(16000, N_FFT, 40, 0.0, 8000.0, False, True)
    return kernels.power_to_db(kernels.apply_filterbank(power, fb))


@pytest.mark.parametrize("n_mfcc", [13, 40])
def test_mfcc_matches_librosa(signal, n_mfcc):
    log_mel = _log_mel(signal)
    coefficients = kernels.mfcc(log_mel, n_mfcc)
    reference = librosa.feature.mfcc(S=log_mel.T, n_mfcc=n_mfcc, dct_type=2, norm="ortho").T
    assert coefficients.shape == (log_mel.shape[0], n_mfcc) and coefficients.dtype == np.float32
    # c0 of the silent frames is -100 dB * sqrt(40) = -632; the float32 ulp there is
    # 6e-5 and librosa's DCT runs in float32: 1e-3 absolute (dB units) + 1e-5 relative.
    np.testing.assert_allclose(coefficients, reference, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("width", [9, 5, 3])
def test_deltas_match_librosa(signal, width):
    features = kernels.mfcc(_log_mel(signal), 13)
    d = kernels.deltas(features, width)
    reference = librosa.feature.delta(features.T, width=width, order=1, mode="nearest").T
    assert d.shape == features.shape and d.dtype == np.float32
    # Savitzky-Golay coefficients from a float64 lstsq vs exact n/sum(n^2); inputs
    # up to ~630: relative 1e-5 and 1e-4 absolute (float32 ulp of ~80 is 8e-6).
    np.testing.assert_allclose(d, reference, rtol=1e-5, atol=1e-4)
    # Delta-deltas = deltas applied twice.
    dd = kernels.deltas(d, width)
    np.testing.assert_allclose(
        dd, librosa.feature.delta(d.T, width=width, order=1, mode="nearest").T, rtol=1e-5, atol=1e-4
    )


def test_deltas_default_width_is_9(signal):
    features = kernels.mfcc(_log_mel(signal), 13)
    np.testing.assert_array_equal(kernels.deltas(features), kernels.deltas(features, 9))
    assert not np.allclose(kernels.deltas(features), kernels.deltas(features, 5))


@pytest.mark.parametrize("n_frames", [1, 2, 4, 8, 9, 10])
def test_deltas_fewer_frames_than_width(n_frames):
    features = np.random.default_rng(n_frames).standard_normal((n_frames, 6)).astype(np.float32)
    d = kernels.deltas(features, 9)
    reference = librosa.feature.delta(features.T, width=9, order=1, mode="nearest").T
    np.testing.assert_allclose(d, reference, rtol=1e-5, atol=1e-6)
    if n_frames == 1:
        assert np.all(d == 0.0)


def test_deltas_of_a_ramp():
    # Analytic: a ramp of slope a has delta a away from the edges.
    features = (3.0 * np.arange(30, dtype=np.float32) - 7.0)[:, None]
    d = kernels.deltas(features, 9)
    np.testing.assert_allclose(d[4:-4, 0], 3.0, rtol=1e-6)
    assert d[0, 0] < 3.0  # edge replication flattens the ends


def test_deltas_edge_cases():
    assert kernels.deltas(np.zeros((0, 13), np.float32)).shape == (0, 13)
    for width in (1, 4, 0):
        with pytest.raises(ValueError):
            kernels.deltas(np.zeros((10, 13), np.float32), width)


def test_mfcc_from_basis_is_mfcc(signal):
    from kernels.cepstral import mfcc_basis, mfcc_from_basis

    power = kernels.power_spectrum(centered_frames(signal), kernels.hann_window(400), 512)
    log_mel = kernels.power_to_db(
        kernels.apply_filterbank(power, kernels.mel_filterbank(16000, 512, 40, 0.0, 8000.0, False, True)), 1e-10
    )
    basis_t = mfcc_basis(20, 40)
    assert basis_t.shape == (40, 20) and basis_t.dtype == np.float64
    np.testing.assert_array_equal(mfcc_from_basis(log_mel, basis_t), kernels.mfcc(log_mel, 20))
