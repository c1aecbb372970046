"""Writing a feature store: create or reopen it, plan which rows to (re)compute, write row chunks.

The driver calls ``prepare_store`` and ``plan_pending_chunks`` under a ``StoreLock``; workers call
``write_chunk`` for the row chunk they own, so the driver never holds the features.
"""
from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import BloscCodec

from emovox import __version__
from emovox.errors import StoreError, StoreMismatchError
from features_store.schema import (
    DEFAULT_ROWS_PER_CHUNK,
    FEATURES,
    LOCK_FILE,
    META,
    PROVENANCE_KEY,
    RESULT_COLUMNS,
    SCHEMA_VERSION,
    STATIC_COLUMNS,
    STATIC_ROWS_PER_CHUNK,
    STATUS_ERROR,
    STATUS_OK,
    STATUS_PENDING,
)
from features_store.store import FeatureStore

_COMPRESSOR = BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")


@dataclass(frozen=True)
class ChunkJob:
    """Rows of one row chunk to compute: ``rows`` are store row indices, ``paths`` their audio files."""

    chunk_index: int
    rows: tuple[int, ...]
    paths: tuple[str, ...]


@dataclass(frozen=True)
class ChunkResult:
    """What a worker computed for a ChunkJob, row for row.

    ``features`` is ``(len(rows), n_features)`` float32 (NaN on error rows), ``durations`` seconds,
    ``errors`` "" for ok rows and a one-line reason otherwise.
    """

    chunk_index: int
    rows: tuple[int, ...]
    features: np.ndarray
    durations: np.ndarray
    errors: tuple[str, ...]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def ensure_store_folder(path: str | os.PathLike) -> Path:
    """Create the store's folder (not its content) so it can be locked; StoreError if that is impossible."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: is a file, not a feature store; choose another --store path")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        raise StoreError(f"{path}: permission denied; choose a --store path you can write to") from None
    except OSError as error:
        raise StoreError(f"{path}: cannot create the store ({error.strerror}); choose another --store path") from None
    if not os.access(path, os.W_OK):
        raise StoreError(f"{path}: not writable; choose a --store path you can write to")
    return path


def check_store_target(path: str | os.PathLike, *, feature_set: str, feature_hash: str) -> bool:
    """Check, without writing, that ``path`` can take rows of this feature configuration.

    Returns True when a store is already there (False too for a store whose creation was cut
    short, see ``_unfinished_store``). Raises StoreError when the path is a file, a foreign
    non-empty folder, not writable or below a file, and StoreMismatchError when the store there
    was made with another feature configuration.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: is a file, not a feature store; choose another --store path")
    exists = (path / "zarr.json").is_file() and not _unfinished_store(path)
    if exists:
        store = FeatureStore(path)
        if store.feature_hash != feature_hash:
            raise StoreMismatchError(
                f"{path}: made with feature set {store.feature_set!r} (hash {store.feature_hash}), "
                f"not {feature_set!r} (hash {feature_hash}); use another --store, or "
                f"--feature-set {store.feature_set} to add to this one"
            )
    elif path.is_dir() and any(p.name != LOCK_FILE for p in path.iterdir()) and not _unfinished_store(path):
        raise StoreError(f"{path}: folder exists and is not an emovox feature store; choose another --store path")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        # Found here, before any flow starts, rather than by mkdir once the run is under way.
        raise StoreError(f"{path}: cannot be created, {existing} is a file, not a folder; choose another --store path")
    if not os.access(existing, os.W_OK):
        raise StoreError(f"{path}: not writable ({existing} is read-only for you); choose another --store path")
    return exists


def _unfinished_store(path: Path) -> bool:
    """True when ``path`` holds only the beginnings of a store, left by a run killed while creating it.

    ``_create`` writes the group, then the arrays, and the provenance last. A group without the
    provenance whose entries are all the store's own holds no results: it is created afresh (under
    the lock) instead of being refused for ever as "not an emovox feature store". Anything else
    without the provenance (another Zarr group, a folder of other files) is still refused.
    """
    if not (path / "zarr.json").is_file():
        return False
    own = {"zarr.json", FEATURES, META, LOCK_FILE}
    try:
        # Zarr writes every file through a temporary "<name>.<hex>.partial" that a kill can leave behind.
        if any(p.name not in own and not p.name.endswith(".partial") for p in path.iterdir()):
            return False
        return PROVENANCE_KEY not in zarr.open_group(str(path), mode="r").attrs
    except (OSError, ValueError, zarr.errors.BaseZarrError):
        return False


def prepare_store(
    path: str | os.PathLike,
    *,
    feature_set: str,
    feature_config: dict,
    feature_hash: str,
    feature_names: Sequence[str],
    rows_per_chunk: int = DEFAULT_ROWS_PER_CHUNK,
) -> FeatureStore:
    """Create the store at ``path``, or reopen it after ``check_store_target``."""
    exists = check_store_target(path, feature_set=feature_set, feature_hash=feature_hash)
    path = ensure_store_folder(path)
    if not exists:
        try:
            _create(path, feature_set, feature_config, feature_hash, list(feature_names), rows_per_chunk)
        except PermissionError:
            raise StoreError(f"{path}: permission denied; choose a --store path you can write to") from None
    return FeatureStore(path, mode="r+")


def _create(path: Path, feature_set, feature_config, feature_hash, feature_names, rows_per_chunk) -> None:
    group = zarr.open_group(str(path), mode="a")  # "w" would delete the lock file beside it
    # overwrite=True: arrays left by a run killed before it wrote the provenance (see _unfinished_store).
    group.create_array(
        FEATURES, shape=(0, len(feature_names)), chunks=(rows_per_chunk, len(feature_names)),
        dtype="float32", fill_value=np.nan, compressors=_COMPRESSOR, overwrite=True,
    )
    for column in STATIC_COLUMNS:
        group.create_array(f"{META}/{column}", shape=(0,), chunks=(STATIC_ROWS_PER_CHUNK,), dtype=str, overwrite=True)
    group.create_array(f"{META}/duration", shape=(0,), chunks=(rows_per_chunk,), dtype="float32", fill_value=np.nan,
                       overwrite=True)
    group.create_array(f"{META}/status", shape=(0,), chunks=(rows_per_chunk,), dtype="uint8", fill_value=0,
                       overwrite=True)
    group.create_array(f"{META}/error", shape=(0,), chunks=(rows_per_chunk,), dtype=str, overwrite=True)
    # The provenance goes last: a store without it was never finished and is not opened as one.
    created = _now()
    group.attrs[PROVENANCE_KEY] = {
        "schema_version": SCHEMA_VERSION,
        "feature_set": feature_set,
        "feature_config": feature_config,
        "feature_hash": feature_hash,
        "feature_names": feature_names,
        "emovox_version": __version__,
        "created": created,
        "updated": created,
        "sources": [],
    }


def plan_pending_chunks(store: FeatureStore, utterances: Sequence, *, source: dict) -> tuple[list[ChunkJob], int]:
    """Add new utterances to the store and list the row chunks that still need work.

    ``utterances`` are ``corpora.Utterance``-like objects (attributes named as STATIC_COLUMNS).
    Rows already in the store (same path) keep their place; new files are appended in the given order. A row is
    pending when its status is not ok (never done, failed before, or its features chunk is gone).
    Returns the jobs (one per row chunk with pending rows) and the number of rows already done.
    """
    # Rows are keyed by absolute path: ids are relative to their corpus root, so two corpora added
    # to one store (EMO-DB and RAVDESS, two archives) may share an id but never a path.
    existing = [str(p) for p in store.meta_array("path")[:]]
    row_of = {path: row for row, path in enumerate(existing) if path}
    new = [u for u in utterances if u.path not in row_of]
    # Paths are never empty: a row without one was added by a run killed between growing the arrays
    # and naming the rows. It holds no results, so new utterances take such rows first; left
    # unused at the end, they are cut off (a crashed run must leave no nameless rows behind).
    free = [row for row, path in enumerate(existing) if not path]
    slots = [*free, *range(len(existing), len(existing) + max(0, len(new) - len(free)))]
    for u, row in zip(new, slots):
        row_of[u.path] = row
    n_rows = 1 + max(row_of.values(), default=-1)

    # Every array, not only when the row count changes: a run killed half-way through these
    # resizes leaves them of unequal lengths, and this repairs that.
    for array in (store.features, *(store.meta_array(c) for c in (*STATIC_COLUMNS, *RESULT_COLUMNS))):
        if array.shape[0] != n_rows:
            array.resize((n_rows, *array.shape[1:]))
    _write_static_columns(store, utterances, row_of, n_rows)

    codes = store.status_codes()
    pending_by_chunk: dict[int, list[tuple[int, str]]] = {}
    done = 0
    for u in utterances:
        row = row_of[u.path]
        if codes[row] == STATUS_OK:
            done += 1
            continue
        pending_by_chunk.setdefault(row // store.rows_per_chunk, []).append((row, u.path))
    jobs = [
        ChunkJob(chunk, tuple(r for r, _ in items), tuple(p for _, p in items))
        for chunk, items in sorted(pending_by_chunk.items())
    ]
    _touch(store, source)
    return jobs, done


def _write_static_columns(store: FeatureStore, utterances: Sequence, row_of: dict, n_rows: int) -> None:
    """Rewrite the driver-owned string columns where the discovery changed them."""
    for column in STATIC_COLUMNS:
        array = store.meta_array(column)
        current = np.asarray(array[:], dtype=object)
        values = current if len(current) == n_rows else np.concatenate(
            [current, np.full(n_rows - len(current), "", dtype=object)]
        )
        updated = values.copy()
        for u in utterances:
            updated[row_of[u.path]] = getattr(u, column)
        if len(current) != n_rows or not np.array_equal(updated, values):
            array[:] = updated


def _touch(store: FeatureStore, source: dict) -> None:
    provenance = dict(store.provenance)
    sources = [s for s in provenance.get("sources", []) if s.get("root") != source.get("root")]
    provenance["sources"] = [*sources, {**source, "at": _now()}]
    provenance["updated"] = _now()
    provenance["emovox_version"] = __version__
    store._group.attrs[PROVENANCE_KEY] = provenance
    store.provenance = provenance


def write_chunk(store_path: str | os.PathLike, result: ChunkResult) -> None:
    """Write one worker's results into its row chunk; the status chunk is written last.

    Rows of the chunk that are not in ``result`` keep their stored values.
    """
    group = zarr.open_group(str(store_path), mode="r+")
    features = group[FEATURES]
    step = features.chunks[0]
    start = result.chunk_index * step
    stop = min(start + step, features.shape[0])
    local = np.asarray(result.rows, dtype=np.int64) - start
    if local.size and (local.min() < 0 or local.max() >= stop - start):
        raise StoreError(f"{store_path}: rows {result.rows} are not in chunk {result.chunk_index}")

    block = features[start:stop]
    block[local] = result.features
    features[start:stop] = block

    errors = group[f"{META}/error"]
    durations = group[f"{META}/duration"]
    status = group[f"{META}/status"]
    error_block = np.asarray(errors[start:stop], dtype=object)
    error_block[local] = result.errors
    duration_block = durations[start:stop]
    duration_block[local] = result.durations
    status_block = status[start:stop]
    # Rows outside the job whose features chunk had vanished are no longer done.
    status_block[(status_block == STATUS_OK) & np.isnan(block).all(axis=1)] = STATUS_PENDING
    status_block[local] = [STATUS_ERROR if e else STATUS_OK for e in result.errors]

    errors[start:stop] = error_block
    durations[start:stop] = duration_block
    status[start:stop] = status_block  # last: the commit point of this chunk
