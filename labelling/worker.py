"""Work that runs on Dask workers: verify the model, label a batch of recordings and write its part
files, consolidate them and write the reports. The driver calls these by name
(``flows._dask.WorkerFunction``) and never imports this module.

Per file: decode block by block, cut speech segments as they come, compute each segment's
feature vector at once (the segment's audio is then dropped), classify all of the file's vectors,
and summarise. Memory per file is bounded by one segment's audio plus one vector per segment.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Collection

import numpy as np
import pandas as pd

import audio_io
from emovox.errors import AudioError, EmovoxError
from emovox.malloc import relax_malloc_trimming
from labelling.jobs import BatchSummary, FileJob, SegmenterConfig
from labelling.outputs import FILE_COLUMNS, SEGMENT_COLUMNS, consolidate, write_batch
from labelling.segmenter import segment_stream


class _SampleCounter:
    def __init__(self, blocks):
        self.blocks = blocks
        self.n = 0

    def __iter__(self):
        for block in self.blocks:
            self.n += len(block)
            yield block


def union_seconds(starts: np.ndarray, ends: np.ndarray) -> float:
    """Total length of the union of [start, end) intervals sorted by start (segments overlap)."""
    total, reach = 0.0, -np.inf
    for start, end in zip(starts, ends):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


#: Segments of one file whose encoder features are computed together (at most ~2 min of audio held).
SEGMENTS_PER_ENCODER_BATCH = 32


def _segment_vectors(extract_many, segments: list[np.ndarray]) -> list[np.ndarray]:
    """Feature vectors of speech segments through ``EncodedExtractor.extract_many`` (the first error is raised)."""
    outcomes = extract_many([lambda samples=samples: [samples] for samples in segments])
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return [vector for vector, _ in outcomes]


def label_file(path: str, extractor, model, segmenter: SegmenterConfig, block_seconds: float):
    """``(file_fields, segments_frame)`` for one recording; AudioError if it cannot be decoded.

    Segments are classified by ``model.predict_proba``; a file without speech has no segments and
    an empty dominant label.
    """
    labels = list(model.labels_)
    counter = _SampleCounter(audio_io.iter_blocks(path, sampling_rate=segmenter.sampling_rate, block_seconds=block_seconds))
    spans, vectors = [], []
    extract_many = getattr(extractor, "extract_many", None)  # encoder features: segments batched
    pending: list[np.ndarray] = []
    for segment in segment_stream(counter, segmenter):
        spans.append((segment.start, segment.end))
        if extract_many is None:
            vector, _ = extractor.extract([segment.samples])
            vectors.append(vector)
        else:
            pending.append(segment.samples)
            if len(pending) >= SEGMENTS_PER_ENCODER_BATCH:
                vectors += _segment_vectors(extract_many, pending)
                pending = []
    if pending:
        vectors += _segment_vectors(extract_many, pending)
    if counter.n == 0:
        raise AudioError(f"{path}: no audio samples")
    duration = counter.n / segmenter.sampling_rate
    spans_array = np.array(spans, dtype=np.float64).reshape(-1, 2)
    if vectors:
        # A model trained with per-speaker normalisation gets the recording as its "speaker".
        groups = [path] * len(vectors) if getattr(model, "normalisation", "none") == "speaker" else None
        probabilities = np.asarray(model.predict_proba(np.vstack(vectors), groups), dtype=np.float64)
    else:
        probabilities = np.zeros((0, len(labels)))
    winners = probabilities.argmax(axis=1) if len(probabilities) else np.zeros(0, dtype=int)
    lengths = spans_array[:, 1] - spans_array[:, 0]
    weight = lengths.sum()
    shares = np.array([lengths[winners == i].sum() / weight if weight > 0 else 0.0 for i in range(len(labels))])
    segments = pd.DataFrame({
        "segment": np.arange(len(spans_array)),
        "start": spans_array[:, 0],
        "end": spans_array[:, 1],
        "label": [labels[i] for i in winners],
        "confidence": probabilities.max(axis=1) if len(probabilities) else np.zeros(0),
        **{f"p_{label}": probabilities[:, i] for i, label in enumerate(labels)},
    })
    dominant = int(shares.argmax()) if weight > 0 else -1
    fields = {
        "duration": duration,
        "speech_duration": union_seconds(spans_array[:, 0], spans_array[:, 1]),
        "n_segments": len(spans_array),
        "dominant_label": labels[dominant] if dominant >= 0 else "",
        "confidence": float(shares[dominant]) if dominant >= 0 else 0.0,
        **{f"share_{label}": float(shares[i]) for i, label in enumerate(labels)},
    }
    return fields, segments


def error_row(job: FileJob, run: str, reason: str, labels: list[str]) -> dict:
    """The files row of a recording that could not be labelled."""
    return {"path": job.path, "size": job.size, "mtime_ns": job.mtime_ns, "run": run, "status": "error",
            "error": reason, "duration": np.nan, "speech_duration": 0.0, "n_segments": 0, "dominant_label": "",
            "confidence": 0.0, **{f"share_{label}": 0.0 for label in labels}}


def failed_batch(out_dir: str, run: str, batch: int, job: FileJob, reason: str, labels: list[str]) -> BatchSummary:
    """Write the part files of a one-file batch whose file failed (for the driver, when no worker survives it)."""
    files = pd.DataFrame([error_row(job, run, reason, labels)], columns=[*FILE_COLUMNS, *(f"share_{l}" for l in labels)])
    write_batch(out_dir, run, batch, files, pd.DataFrame(columns=[*SEGMENT_COLUMNS, *(f"p_{l}" for l in labels)]))
    return BatchSummary(batch, 0, 1, 0.0, 0.0, 0.0, ((job.path, reason),))


def draw_timeline(out_dir: str, path: str, segments: pd.DataFrame, labels: list[str], fields: dict) -> None:
    """The emotion timeline PNG of one labelled file (see ``labelling.reports``); a failure is logged, not raised:
    a picture is never worth a file's labels."""
    try:
        from labelling.reports import timeline_path, timeline_png  # matplotlib: only where timelines are drawn

        out = timeline_path(out_dir, path)
        out.parent.mkdir(parents=True, exist_ok=True)
        timeline_png(segments, labels, fields["duration"], f"{path}: {fields['dominant_label'] or 'no speech'}", out)
    except Exception as error:  # noqa: BLE001 - the picture's boundary
        logging.getLogger("emovox.label").warning("%s: no timeline PNG: %s: %s", path, type(error).__name__, error)


def label_batch(out_dir: str, run: str, batch: int, jobs: list[FileJob], model_dir: str,
                segmenter: SegmenterConfig, block_seconds: float, encoder_path: str | None = None,
                timelines: Collection[str] = ()) -> BatchSummary:
    """Label every file of a batch and write the batch's part files; one bad file never stops the others.

    Files whose path is in ``timelines`` also get their timeline PNG, drawn here as each is labelled
    (so the pictures are drawn in parallel, while other files are still being labelled).
    """
    from labelling.model_cache import model_and_extractor

    relax_malloc_trimming()  # Dask's MALLOC_TRIM_THRESHOLD_ costs ~1.6x CPU here; see emovox/malloc.py
    started = time.process_time()
    model, extractor = model_and_extractor(model_dir, encoder_path)
    labels = list(model.labels_)
    file_rows, segment_frames, failures = [], [], []
    audio = speech = 0.0
    for job in jobs:
        base = {"path": job.path, "size": job.size, "mtime_ns": job.mtime_ns, "run": run}
        try:
            fields, segments = label_file(job.path, extractor, model, segmenter, block_seconds)
        except Exception as error:  # noqa: BLE001 - the per-file boundary
            # A file that trips a kernel (RuntimeError, MemoryError, ...) must not cost the rest of the
            # batch: escaping here, it failed the batch, then the whole run, at every re-run.
            if isinstance(error, AudioError):
                reason = getattr(error, "reason", None) or str(error)
            elif isinstance(error, MemoryError):
                reason = "labelling failed: out of memory in the worker (a recording too long for its memory?)"
            else:
                reason = f"labelling failed: {type(error).__name__}: {' '.join(str(error).split()) or '(no message)'}"
            failures.append((job.path, reason))
            file_rows.append(error_row(job, run, reason, labels))
            continue
        audio += fields["duration"]
        speech += fields["speech_duration"]
        if job.path in timelines:
            draw_timeline(out_dir, job.path, segments, labels, fields)
        file_rows.append({**base, "status": "ok", "error": "", **fields})
        segments.insert(0, "run", run)
        segments.insert(0, "path", job.path)
        segment_frames.append(segments)
    files = pd.DataFrame(file_rows, columns=[*FILE_COLUMNS, *(f"share_{l}" for l in labels)])
    segments = (
        pd.concat(segment_frames, ignore_index=True) if segment_frames
        else pd.DataFrame(columns=[*SEGMENT_COLUMNS, *(f"p_{l}" for l in labels)])
    )
    write_batch(out_dir, run, batch, files, segments)
    return BatchSummary(batch, len(jobs) - len(failures), len(failures), audio, speech,
                        time.process_time() - started, tuple(failures))


def verify_model(model_dir: str, encoder_path: str | None = None) -> list[str] | EmovoxError:
    """The labels of the model in ``model_dir``, once loaded and verified in this process (checksums,
    feature configuration, encoder weights), or the EmovoxError saying why it is refused (which file,
    what to do). Returned, not raised: a refused model is an answer, not a failure of the worker,
    which Dask would log with its traceback on the user's terminal."""
    from labelling.model_cache import model_and_extractor

    try:
        return list(model_and_extractor(model_dir, encoder_path)[0].labels_)
    except EmovoxError as refusal:
        return refusal


def write_reports(out_dir: str, labels: list[str]) -> None:
    """Consolidate the part files of ``out_dir`` and write the archive's summary table and label-shares
    PNG (on a worker, which has pandas and matplotlib loaded already)."""
    from labelling.reports import archive_summary

    files, _ = consolidate(out_dir)
    archive_summary(files, labels, out_dir)


def warm_up(model_dir: str, encoder_path: str | None = None) -> None:
    """Load the model and the kernels (Numba caches) in this process, as the first batch would:
    run on freshly started workers while the driver is still starting (see ``flows._dask``)."""
    from labelling.model_cache import model_and_extractor

    _, extractor = model_and_extractor(model_dir, encoder_path)
    noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)  # 1 s at 16 kHz
    for _ in segment_stream([noise], SegmenterConfig()):  # the VAD's kernels
        pass
    extractor.extract([noise])  # the feature kernels
