"""audio_io: decode any audio file (WAV, FLAC, OGG, MP3, ... at any rate and channel count) to mono float32
at 16 kHz, block by block, with one-line :class:`emovox.errors.AudioError` messages naming the cause.

    from audio_io import probe, iter_blocks, load
    info = probe("a.flac")                      # header only -> AudioInfo
    for block in iter_blocks("a.flac"):         # 1-D float32 blocks of 30 s at 16 kHz
        ...
    signal = load("a.flac")                     # the concatenation of iter_blocks

Every error caused by the file is an ``AudioError`` with ``str(e) == f"{e.path}: {e.reason}"``.
"""
from audio_io._decode import (
    RESAMPLE_QUALITY,
    TARGET_SAMPLING_RATE,
    AudioInfo,
    audio_error,
    iter_blocks,
    load,
    probe,
)
from emovox.errors import AudioError

__all__ = [
    "TARGET_SAMPLING_RATE",
    "RESAMPLE_QUALITY",
    "AudioInfo",
    "AudioError",
    "audio_error",
    "probe",
    "iter_blocks",
    "load",
]
