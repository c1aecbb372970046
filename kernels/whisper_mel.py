"""Whisper's log-mel front end, from the project's framing, STFT-power and mel kernels.

Whisper (Radford et al. 2022, ``whisper/audio.py: log_mel_spectrogram``) computes, for 16 kHz audio:
a centred STFT (``n_fft`` 400, hop 160, periodic Hann window of 400, reflect padding of
``n_fft // 2`` at both ends), drops the last frame, takes the power, projects it on ``n_mels``
Slaney mel filters (librosa's ``filters.mel(sr=16000, n_fft=400, n_mels=80)``: Slaney scale and
area normalisation, 0-8 kHz), then ``log10(max(mel, 1e-10))``, clamps everything below the
maximum minus 8 (80 dB of dynamic range) and scales by ``(x + 4) / 4``. A signal of ``L`` samples
gives ``L // hop_length`` frames.

Checked against frozen arrays of faster-whisper's numpy port of that function
(``tests/test_whisper_mel.py``).
"""

import numba
import numpy as np

from .framing import frame_signal, hann_window
from .mel import apply_filterbank, mel_filterbank
from .stft import power_spectrum

#: Whisper's constants: 16 kHz, 25 ms window, 10 ms hop.
WHISPER_SAMPLING_RATE = 16000
WHISPER_N_FFT = 400
WHISPER_HOP_LENGTH = 160

#: Floor of the mel power before the log (Whisper's 1e-10), and the dynamic range kept, in log10 units.
LOG_MEL_FLOOR = 1e-10
LOG_MEL_DYNAMIC_RANGE = 8.0


def whisper_mel_filterbank(n_mels: int = 80, *, sampling_rate: int = WHISPER_SAMPLING_RATE,
                           n_fft: int = WHISPER_N_FFT) -> np.ndarray:
    """Whisper's mel filterbank: ``(n_mels, n_fft // 2 + 1)`` float32, Slaney scale and norm, 0 Hz to Nyquist."""
    return mel_filterbank(float(sampling_rate), n_fft, n_mels, 0.0, sampling_rate / 2.0, False, True)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def whisper_log_scale(mel_power, floor, dynamic_range):
    """Whisper's log compression of mel power: ``(max(log10(max(p, floor)), peak - range) + 4) / 4``.

    Parameters
    ----------
    mel_power : (n_frames, n_mels) float32, non-negative mel band power
    floor : float > 0, power floor before the log (Whisper: 1e-10)
    dynamic_range : float, log10 units kept below the peak of the whole array (Whisper: 8.0)

    Returns
    -------
    log_mel : (n_frames, n_mels) float32, dimensionless (Whisper's scaled log10 power)
    """
    n_frames, n_mels = mel_power.shape
    out = np.empty((n_frames, n_mels), dtype=np.float32)
    peak = -np.inf
    for t in range(n_frames):
        for m in range(n_mels):
            x = np.float64(mel_power[t, m])
            if x < floor:
                x = floor
            v = np.log10(x)
            out[t, m] = v
            if v > peak:
                peak = v
    low = np.float32(peak - dynamic_range)
    for t in range(n_frames):
        for m in range(n_mels):
            v = out[t, m]
            if v < low:
                v = low
            out[t, m] = (v + np.float32(4.0)) / np.float32(4.0)
    return out


def whisper_log_mel(signal: np.ndarray, filterbank: np.ndarray, *, n_fft: int = WHISPER_N_FFT,
                    hop_length: int = WHISPER_HOP_LENGTH) -> np.ndarray:
    """Whisper's log-mel spectrogram of a 16 kHz signal.

    Parameters
    ----------
    signal : (n_samples,) float32, full scale -1..1, at least ``n_fft // 2 + 1`` samples
        (reflect padding needs them; callers pad shorter signals with zeros first).
    filterbank : (n_mels, n_fft // 2 + 1) float32, from ``whisper_mel_filterbank``.

    Returns
    -------
    log_mel : (n_samples // hop_length, n_mels) float32 -- frames along axis 0 (Whisper and
        CTranslate2 want the transpose, ``(n_mels, n_frames)``).
    """
    signal = np.ascontiguousarray(signal, dtype=np.float32)
    pad = n_fft // 2
    if signal.shape[0] <= pad:
        raise ValueError(f"need more than {pad} samples for Whisper's reflect padding, got {signal.shape[0]}")
    padded = np.pad(signal, (pad, pad), mode="reflect")
    frames = frame_signal(padded, n_fft, hop_length)[:-1]  # Whisper drops the last STFT frame
    power = power_spectrum(frames, hann_window(n_fft), n_fft)
    return whisper_log_scale(apply_filterbank(power, filterbank), LOG_MEL_FLOOR, LOG_MEL_DYNAMIC_RANGE)
