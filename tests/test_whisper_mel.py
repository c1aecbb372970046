"""Whisper's log-mel front end (kernels.whisper_mel) against frozen reference arrays.

The reference arrays in tests/data were made ONCE by tests/data/make_whisper_reference.py with
faster-whisper 1.2.1's numpy port of Whisper's ``log_mel_spectrogram`` (the single module file
``faster_whisper/feature_extractor.py``, from ``pip download --no-deps faster-whisper==1.2.1``, loaded
alone: no torch, no PyAV), called as ``FeatureExtractor(feature_size=80)(signal, padding=0)``, i.e.
Whisper's ``log_mel_spectrogram(audio, n_mels=80, padding=0)``:
- whisper_mel_input.npy: 0.73 s of a 16 kHz chirp plus noise with 0.1 s of digital silence;
- whisper_mel_reference.npy: its log-mel, ``(80, 73)`` float32;
- whisper_mel_filters80.npy: the reference's mel filterbank, ``(80, 201)``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kernels.whisper_mel import whisper_log_mel, whisper_mel_filterbank

DATA = Path(__file__).parent / "data"


def test_filterbank_equals_whispers():
    np.testing.assert_allclose(whisper_mel_filterbank(80), np.load(DATA / "whisper_mel_filters80.npy"), rtol=0, atol=1e-8)


def test_log_mel_equals_the_reference():
    signal = np.load(DATA / "whisper_mel_input.npy")
    reference = np.load(DATA / "whisper_mel_reference.npy")
    ours = whisper_log_mel(signal, whisper_mel_filterbank(80))
    assert ours.shape == (len(signal) // 160, 80) == reference.T.shape
    # float32 STFT and filterbank sums in float64 vs numpy's complex64: agreement to ~1e-6 of a range of 2
    np.testing.assert_allclose(ours.T, reference, rtol=0, atol=2e-5)


def test_dynamic_range_and_scale():
    rng = np.random.default_rng(0)
    signal = np.concatenate([0.5 * rng.standard_normal(8000), np.zeros(8000)]).astype(np.float32)
    mel = whisper_log_mel(signal, whisper_mel_filterbank(80))
    assert mel.max() - mel.min() == pytest.approx(2.0, abs=1e-5)  # 8 log10 units / 4
    assert np.isclose(mel[-5:], mel.min()).all()  # the silence sits at the clamp


def test_too_short_for_reflect_padding():
    with pytest.raises(ValueError, match="more than 200 samples"):
        whisper_log_mel(np.zeros(150, np.float32), whisper_mel_filterbank(80))
