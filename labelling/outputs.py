"""Labelling results on disk: part files written by workers, the done-set for resuming, consolidation.

```
OUT_DIR/
  parts/<run>-<batch>.files.parquet      one row per file labelled by that batch
  parts/<run>-<batch>.segments.parquet   one row per speech segment of those files
  files.parquet, files.csv               consolidated: the newest row per file
  segments.parquet, segments.csv         consolidated: the segments of those rows
```
A worker writes its batch's two part files atomically (temporary name, then rename; segments
first, files last), so an interrupted run leaves whole batches or nothing, and a file counts as
done only once its files row exists. Files are identified by path, size and modification time: a
file that changed since it was labelled is labelled again, and consolidation keeps the newest
result per path.

pandas and pyarrow are imported where they are used: the run's driver (``flows.label``) calls
``new_run_id`` and ``done_files`` only, and a first run reads no part file at all.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

PARTS = "parts"
FILES_SUFFIX = ".files.parquet"
SEGMENTS_SUFFIX = ".segments.parquet"

#: Columns of a files row, before the per-label share columns ``share_<label>``.
FILE_COLUMNS = ("path", "size", "mtime_ns", "run", "status", "error", "duration", "speech_duration",
                "n_segments", "dominant_label", "confidence")
#: Columns of a segments row, before the per-label probability columns ``p_<label>``.
SEGMENT_COLUMNS = ("path", "run", "segment", "start", "end", "label", "confidence")


def new_run_id() -> str:
    """A sortable id for one labelling run (time first, then randomness)."""
    return f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    os.replace(tmp, path)


def write_batch(out_dir: str | os.PathLike, run: str, batch: int, files: pd.DataFrame, segments: pd.DataFrame) -> None:
    """Write one batch's results as part files (segments first; the files part marks them done)."""
    parts = Path(out_dir) / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    stem = f"{run}-{batch:06d}"
    _atomic_parquet(segments, parts / f"{stem}{SEGMENTS_SUFFIX}")
    _atomic_parquet(files, parts / f"{stem}{FILES_SUFFIX}")


def _part_stems(out_dir: Path) -> list[str]:
    parts = out_dir / PARTS
    if not parts.is_dir():
        return []
    return sorted(p.name[: -len(FILES_SUFFIX)] for p in parts.iterdir() if p.name.endswith(FILES_SUFFIX))


def done_files(out_dir: str | os.PathLike) -> dict[str, tuple[int, int]]:
    """``{path: (size, mtime_ns)}`` of every file whose newest result is ok (failed files are tried again)."""
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    done: dict[str, tuple[int, int]] = {}
    for stem in _part_stems(out_dir):
        table = pq.read_table(out_dir / PARTS / f"{stem}{FILES_SUFFIX}", columns=["path", "size", "mtime_ns", "status"])
        columns = (table.column(c).to_pylist() for c in ("path", "size", "mtime_ns", "status"))
        for path, size, mtime, status in zip(*columns):
            if status == "ok":
                done[path] = (size, mtime)
            else:
                done.pop(path, None)
    return done


def consolidate(out_dir: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write files.{parquet,csv} and segments.{parquet,csv}: the newest result per path. Returns both tables."""
    import pandas as pd

    out_dir = Path(out_dir)
    stems = _part_stems(out_dir)
    files = [pd.read_parquet(out_dir / PARTS / f"{s}{FILES_SUFFIX}") for s in stems]
    segments = [pd.read_parquet(out_dir / PARTS / f"{s}{SEGMENTS_SUFFIX}") for s in stems]
    files_table = pd.concat(files, ignore_index=True) if files else pd.DataFrame(columns=list(FILE_COLUMNS))
    segments_table = pd.concat(segments, ignore_index=True) if segments else pd.DataFrame(columns=list(SEGMENT_COLUMNS))
    # Part stems sort by run time, so the last row per path is the newest.
    files_table = files_table.drop_duplicates("path", keep="last").sort_values("path", kind="stable")
    newest_run = dict(zip(files_table.path, files_table.run))
    segments_table = segments_table[segments_table.path.map(newest_run) == segments_table.run]
    segments_table = segments_table.sort_values(["path", "segment"], kind="stable")
    files_table = files_table.reset_index(drop=True)
    segments_table = segments_table.reset_index(drop=True)
    for name, table in (("files", files_table), ("segments", segments_table)):
        _atomic_parquet(table, out_dir / f"{name}.parquet")
        tmp = out_dir / f".{name}.csv.tmp"
        table.to_csv(tmp, index=False)
        os.replace(tmp, out_dir / f"{name}.csv")
    return files_table, segments_table


def label_columns(labels: Sequence[str], prefix: str) -> list[str]:
    return [f"{prefix}{label}" for label in labels]
