"""Numba-jitted DSP kernels: pure functions on float32 arrays, no I/O.

Conventions: inputs are float32 arrays (frames along axis 0; frame arrays may be strided views
of a signal), statistics are accumulated in float64 and returned as float32, all functions are
``numba.njit(cache=True, nogil=True)`` and may be called from Python or from
other jitted code. Kernels named ``*_t`` take frames along the LAST axis (``stft.transpose_frames``)
and compute all frames at once, SIMD across frames, with the values of their per-frame
namesakes. This package imports nothing else from the project.
"""

from .cepstral import dct_matrix, deltas, mfcc
from .framing import frame_signal, hann_window
from .functionals import FUNCTIONAL_NAMES, functionals
from .mel import apply_filterbank, hz_to_mel, mel_filterbank, mel_to_hz, power_to_db
from .stft import power_spectrum
from .time_domain import rms, zero_crossing_rate

__all__ = [
    "FUNCTIONAL_NAMES",
    "apply_filterbank",
    "dct_matrix",
    "deltas",
    "frame_signal",
    "functionals",
    "hann_window",
    "hz_to_mel",
    "mel_filterbank",
    "mel_to_hz",
    "mfcc",
    "power_spectrum",
    "power_to_db",
    "rms",
    "zero_crossing_rate",
]
