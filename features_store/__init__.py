"""The chunked Zarr feature store: schema, writing chunk-aligned batches, resuming, reading.

``features_store.open(path)`` returns a FeatureStore with ``.features`` (n x d float32, chunked by
rows), ``.feature_names`` and ``.meta`` (a pandas DataFrame).
"""
from features_store.lock import StoreLock
from features_store.store import FeatureStore, open
from features_store.writer import (
    ChunkJob,
    ChunkResult,
    check_store_target,
    ensure_store_folder,
    plan_pending_chunks,
    prepare_store,
    write_chunk,
)

__all__ = [
    "ChunkJob",
    "ChunkResult",
    "FeatureStore",
    "StoreLock",
    "check_store_target",
    "ensure_store_folder",
    "open",
    "plan_pending_chunks",
    "prepare_store",
    "write_chunk",
]
