"""What a labelling run's driver and its Dask workers hand each other: the files to label, how to
cut them into segments, and what a batch reports back.

Standard library only: the driver (``flows.label``) imports this module and ``labelling.worker``
never, so it does not load numpy, numba, pandas or the model to hand out work.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class FileJob:
    """One recording to label, identified by path, size and modification time."""

    path: str
    size: int
    mtime_ns: int


def file_job(path: str) -> FileJob:
    """The identity of ``path`` now (size and mtime; zeros if it cannot be stat'ed: the decoder will say why)."""
    try:
        st = os.stat(path)
        return FileJob(path, st.st_size, st.st_mtime_ns)
    except OSError:
        return FileJob(path, 0, 0)


@dataclass(frozen=True)
class SegmenterConfig:
    """Parameters of the detector and the segmentation (seconds, dB); see ``labelling.segmenter``."""

    sampling_rate: int = 16000
    frame_seconds: float = 0.02
    absolute_floor_dbfs: float = -50.0
    margin_db: float = 12.0
    noise_rise_db_per_second: float = 3.0
    pre_roll_seconds: float = 0.1
    hangover_seconds: float = 0.3
    min_speech_seconds: float = 0.5
    segment_seconds: float = 4.0
    overlap_seconds: float = 1.0


@dataclass(frozen=True)
class BatchSummary:
    """What a batch did: files labelled and failed, seconds of audio and speech, the worker's CPU seconds,
    and ``(path, reason)`` of each failed file."""

    batch: int
    n_ok: int
    n_failed: int
    audio_seconds: float
    speech_seconds: float
    cpu_seconds: float
    failures: tuple[tuple[str, str], ...]
