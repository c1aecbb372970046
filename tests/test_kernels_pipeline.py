"""Shared test signals for the kernel tests, plus an end-to-end chain check.

The helpers here are imported by the other ``test_kernels_*`` modules.
"""

import numpy as np
import pytest

import kernels

SAMPLING_RATE = 16000
N_FFT = 512
WIN_LENGTH = 400
HOP_LENGTH = 160


def vowel_like(n_samples, seed=0, sampling_rate=SAMPLING_RATE):
    """Synthetic voiced speech: 25 harmonics of an f0 gliding 110 -> 240 Hz with
    vowel-like formant weighting, a slow amplitude envelope, white noise at about
    -35 dB, and 60 ms of digital silence (exact zeros) at 0.5 s. float32, peak ~0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / sampling_rate
    duration = n_samples / sampling_rate
    f0 = 110.0 + 130.0 * t / duration
    phase = 2.0 * np.pi * np.cumsum(f0) / sampling_rate
    y = np.zeros(n_samples)
    for h in range(1, 26):
        fh = h * f0
        gain = sum(np.exp(-0.5 * ((fh - fc) / bw) ** 2) for fc, bw in ((700, 130), (1200, 150), (2600, 250)))
        gain = (gain + 0.02) / h**0.5 * (fh < sampling_rate / 2)
        y += gain * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    y *= 0.6 + 0.4 * np.sin(2 * np.pi * 1.7 * t)
    y /= np.max(np.abs(y)) * 2.0
    y += 0.01 * rng.standard_normal(n_samples)
    silence = slice(int(0.5 * sampling_rate), int(0.56 * sampling_rate))
    y[silence] = 0.0
    return y.astype(np.float32)


def centered_frames(y, frame_length=WIN_LENGTH, hop_length=HOP_LENGTH):
    """What the caller does: zero-pad frame_length//2 each side, then frame."""
    pad = frame_length // 2
    padded = np.pad(y, (pad, pad), mode="constant").astype(np.float32)
    return kernels.frame_signal(padded, frame_length, hop_length)


# ~1.3 s; an even length that is a multiple of the hop and an odd one that is not.
SIGNAL_LENGTHS = [20800, 20803]


@pytest.fixture(params=SIGNAL_LENGTHS, ids=lambda n: f"len{n}")
def signal(request):
    return vowel_like(request.param, seed=7)


librosa = pytest.importorskip("librosa")  # the chain test below needs it; helpers above do not


def test_chain_matches_librosa(signal):
    """frames -> power -> mel -> dB -> MFCC -> deltas, against librosa's own chain."""
    frames = centered_frames(signal)
    power = kernels.power_spectrum(frames, kernels.hann_window(WIN_LENGTH), N_FFT)
    fb = kernels.mel_filterbank(SAMPLING_RATE, N_FFT, 40, 0.0, SAMPLING_RATE / 2, True, False)
    log_mel = kernels.power_to_db(kernels.apply_filterbank(power, fb))
    coefficients = kernels.mfcc(log_mel, 13)
    d1 = kernels.deltas(coefficients)

    mel_ref = librosa.feature.melspectrogram(
        y=signal, sr=SAMPLING_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH,
        window="hann", center=True, pad_mode="constant", power=2.0, n_mels=40, fmin=0.0,
        fmax=SAMPLING_RATE / 2, htk=True, norm=None,
    )
    log_mel_ref = librosa.power_to_db(mel_ref, ref=1.0, amin=1e-10, top_db=None)
    mfcc_ref = librosa.feature.mfcc(S=log_mel_ref, n_mfcc=13, dct_type=2, norm="ortho")
    d1_ref = librosa.feature.delta(mfcc_ref, width=9, order=1, mode="nearest")

    # Tolerances: independent float32 pipelines (see the per-kernel tests). The
    # mel bands of voiced speech and noise are far above the float32 leakage floor
    # (~1e-7 of the frame's peak), so log-mel agrees to 1e-3 dB; MFCC/deltas are
    # sums of 40 such values (|c0| up to 632 in silence) -> 5e-3 absolute.
    np.testing.assert_allclose(log_mel, log_mel_ref.T, rtol=0, atol=1e-3)
    np.testing.assert_allclose(coefficients, mfcc_ref.T, rtol=1e-5, atol=5e-3)
    np.testing.assert_allclose(d1, d1_ref.T, rtol=1e-5, atol=5e-3)

    stats = kernels.functionals(np.concatenate([coefficients, d1], axis=1))
    assert stats.shape == (26, len(kernels.FUNCTIONAL_NAMES))
    assert np.all(np.isfinite(stats))


def test_kernels_import_nothing_from_the_project():
    import ast
    import pathlib

    forbidden = {"emovox", "featuresets", "flows", "features_store", "corpora", "audio_io", "classify"}
    for path in pathlib.Path(kernels.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]} if node.level == 0 else set()
            else:
                continue
            assert not roots & forbidden, f"{path.name} imports {roots & forbidden}"


def test_public_functions_have_shape_docstrings():
    for name in kernels.__all__:
        obj = getattr(kernels, name)
        if name == "FUNCTIONAL_NAMES":
            continue
        doc = obj.__doc__ or ""
        assert "Returns" in doc and "Parameters" in doc, name
