"""Work that runs on Dask workers: decode, extract and write one row chunk.

Kept free of Prefect so a worker imports only what it needs. Nothing here assumes the worker
shares the driver's memory: a job carries paths and a JSON-ready configuration, and the worker
writes its results into the store itself, returning only a small summary.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

import audio_io
from emovox.errors import AudioError
from emovox.malloc import relax_malloc_trimming
from features_store import ChunkJob, ChunkResult, write_chunk
from featuresets import FeatureExtractor, FeatureSetConfig, make_extractor

_extractors: dict[str, FeatureExtractor] = {}


def extractor_for(config: dict) -> FeatureExtractor:
    """The worker process's extractor for ``config`` (built once: window, filterbank, JIT warm-up)."""
    feature_config = FeatureSetConfig.from_dict(config)
    key = feature_config.feature_hash
    if key not in _extractors:
        _extractors[key] = make_extractor(feature_config)  # an EncodedExtractor for encoder feature sets
    return _extractors[key]


@dataclass(frozen=True)
class ChunkSummary:
    """What the driver hears back from one chunk: counts, seconds of audio, CPU seconds, failures."""

    chunk_index: int
    n_ok: int
    n_failed: int
    audio_seconds: float
    cpu_seconds: float
    failures: tuple[tuple[str, str], ...]  # (path, reason)


def extract_file(extractor: FeatureExtractor, path: str, *, block_seconds: float) -> tuple[np.ndarray, float]:
    """Feature vector ``(n_features,)`` and duration in seconds of one file; AudioError with the reason if it fails."""
    blocks = audio_io.iter_blocks(
        path, sampling_rate=extractor.config.sampling_rate, block_seconds=block_seconds
    )
    vector, duration = extractor.extract(blocks)
    return checked_vector(extractor, path, vector, duration)


def checked_vector(extractor, path: str, vector: np.ndarray, duration: float) -> tuple[np.ndarray, float]:
    """``(vector, duration)`` unchanged; AudioError if the file was too short or a feature is not finite."""
    shortest = extractor.config.frame_length / extractor.config.sampling_rate
    if duration < shortest:
        raise audio_io.audio_error(
            path, f"too short: {1000 * duration:.2f} ms of audio, at least one {1000 * shortest:.0f} ms frame is needed"
        )
    if not np.isfinite(vector).all():
        bad = [extractor.feature_names[i] for i in np.flatnonzero(~np.isfinite(vector))[:3]]
        raise audio_io.audio_error(path, f"features are not finite ({', '.join(bad)}...)")
    return vector, duration


def _batched_outcomes(extractor, paths, block_seconds: float) -> list | None:
    """Encoder feature sets: every file's ``(vector, seconds)`` or exception, the encoder batched across
    the chunk's files (``EncodedExtractor.extract_many``); None for a plain ``FeatureExtractor``."""
    if not hasattr(extractor, "extract_many"):
        return None
    rate = extractor.config.sampling_rate
    return extractor.extract_many([
        lambda path=path: audio_io.iter_blocks(path, sampling_rate=rate, block_seconds=block_seconds) for path in paths
    ])


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def extract_chunk(store_path: str, job: ChunkJob, config: dict, block_seconds: float) -> ChunkSummary:
    """Compute every file of ``job`` and write the chunk; one bad file never stops the others."""
    started = time.process_time()
    relax_malloc_trimming()  # Dask's MALLOC_TRIM_THRESHOLD_ costs ~1.6x CPU in feature code; see emovox/malloc.py
    extractor = extractor_for(config)
    features = np.full((len(job.rows), extractor.n_features), np.nan, dtype=np.float32)
    durations = np.full(len(job.rows), np.nan, dtype=np.float32)
    errors: list[str] = []
    batched = _batched_outcomes(extractor, job.paths, block_seconds)
    for i, path in enumerate(job.paths):
        try:
            if batched is None:
                features[i], durations[i] = extract_file(extractor, path, block_seconds=block_seconds)
            elif isinstance(batched[i], BaseException):
                raise batched[i]
            else:
                features[i], durations[i] = checked_vector(extractor, path, *batched[i])
            errors.append("")
        except AudioError as error:
            errors.append(getattr(error, "reason", None) or str(error))
        except MemoryError:
            errors.append("extraction failed: out of memory in the worker (a recording too long for its memory?)")
        except Exception as error:  # noqa: BLE001 - the per-file boundary
            # A file that trips a kernel must not cost the rest of the chunk; the message says what happened.
            # Any Exception, not a list of likely ones: a RuntimeError or TypeError (or a MemoryError, above)
            # escaping here failed every file of the chunk, at every re-run.
            errors.append(f"extraction failed: {type(error).__name__}: {_one_line(error)}")
    write_chunk(store_path, ChunkResult(job.chunk_index, job.rows, features, durations, tuple(errors)))
    failures = tuple((p, e) for p, e in zip(job.paths, errors) if e)
    return ChunkSummary(
        chunk_index=job.chunk_index,
        n_ok=len(errors) - len(failures),
        n_failed=len(failures),
        audio_seconds=float(np.nansum(durations)),
        cpu_seconds=time.process_time() - started,
        failures=failures,
    )
