"""Reading a feature store: ``features_store.open(path)``."""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import zarr

from emovox.errors import StoreError
from features_store.schema import (
    FEATURES,
    META,
    PROVENANCE_KEY,
    STATIC_COLUMNS,
    STATUS_NAMES,
    STATUS_OK,
    STATUS_PENDING,
)


class FeatureStore:
    """A feature store opened for reading.

    Attributes:
        path: the store's directory.
        features: ``(n_rows, n_features)`` float32 Zarr array, chunked by rows; rows that are not
            ``ok`` hold NaN.
        feature_names: ``n_features`` names, ``"{lld}_{functional}"``.
        provenance: the store's attributes: feature set name, configuration and hash, emovox
            version, creation and update times, sources.
    """

    def __init__(self, path: str | os.PathLike, mode: str = "r"):
        self.path = Path(path)
        if not self.path.is_dir():
            raise StoreError(f"{self.path}: no feature store here (not a folder); run flows.extract first")
        try:
            self._group = zarr.open_group(str(self.path), mode=mode)
            self.provenance: dict = dict(self._group.attrs[PROVENANCE_KEY])
            self.features: zarr.Array = self._group[FEATURES]
        except (KeyError, FileNotFoundError, ValueError, zarr.errors.BaseZarrError) as error:
            raise StoreError(
                f"{self.path}: not an emovox feature store ({type(error).__name__}: {error}); "
                "point --store at a folder made by flows.extract"
            ) from None

    @property
    def feature_names(self) -> list[str]:
        return list(self.provenance["feature_names"])

    @property
    def feature_set(self) -> str:
        return self.provenance["feature_set"]

    @property
    def feature_config(self) -> dict:
        return dict(self.provenance["feature_config"])

    @property
    def feature_hash(self) -> str:
        return self.provenance["feature_hash"]

    @property
    def rows_per_chunk(self) -> int:
        return int(self.features.chunks[0])

    @property
    def n_rows(self) -> int:
        return int(self.features.shape[0])

    def meta_array(self, column: str) -> zarr.Array:
        return self._group[f"{META}/{column}"]

    def _column(self, name: str) -> np.ndarray:
        """The meta column ``name`` as ``n_rows`` values, aligned with ``features``.

        A run killed while growing the store (``features`` first, then each meta column) can leave
        a column shorter than ``features`` until the next run repairs it; the missing entries read
        as the column's fill value (no id, pending, NaN), so the store stays readable meanwhile.
        """
        array = self.meta_array(name)
        values = array[:]
        if len(values) >= self.n_rows:
            return values[: self.n_rows]
        fill = np.full(self.n_rows - len(values), array.fill_value, dtype=values.dtype)
        return np.concatenate([values, fill])

    def status_codes(self) -> np.ndarray:
        """``(n_rows,)`` uint8 status codes; ok rows whose features chunk is missing count as pending."""
        codes = np.asarray(self._column("status"), dtype=np.uint8)
        for chunk in self.missing_feature_chunks():
            # Only ok rows lose their status: a chunk whose every file failed is all NaN (the fill
            # value), which Zarr never writes, yet its error rows are still errors.
            block = codes[chunk * self.rows_per_chunk : (chunk + 1) * self.rows_per_chunk]
            block[block == STATUS_OK] = STATUS_PENDING
        return codes

    def missing_feature_chunks(self) -> list[int]:
        """Indices of row chunks whose features file is absent (never written, or deleted)."""
        n_chunks = -(-self.n_rows // self.rows_per_chunk)
        chunk_dir = self.path / FEATURES / "c"
        return [k for k in range(n_chunks) if not (chunk_dir / str(k) / "0").is_file()]

    @cached_property
    def meta(self) -> pd.DataFrame:
        """One row per utterance: id, path, corpus, speaker, gender, label, label_code, duration (s), status, error."""
        columns = {name: np.asarray(self._column(name), dtype=object) for name in STATIC_COLUMNS}
        columns["duration"] = np.asarray(self._column("duration"), dtype=np.float32)
        codes = self.status_codes()
        columns["status"] = np.array([STATUS_NAMES[int(c)] for c in codes], dtype=object)
        columns["error"] = np.asarray(self._column("error"), dtype=object)
        frame = pd.DataFrame(columns)
        for name in (*STATIC_COLUMNS, "status", "error"):
            frame[name] = frame[name].astype(str)
        return frame

    def ok_rows(self) -> np.ndarray:
        """Row indices whose features were computed successfully."""
        return np.flatnonzero(self.status_codes() == STATUS_OK)

    def read_features(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Features of ``rows`` (default: the ok rows) as ``(len(rows), n_features)`` float32, read chunk by chunk."""
        rows = self.ok_rows() if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.features.shape[1]), dtype=np.float32)
        step = self.rows_per_chunk
        chunk_of_row = rows // step
        for chunk in np.unique(chunk_of_row):
            block = self.features[chunk * step : (chunk + 1) * step]
            selected = chunk_of_row == chunk
            out[selected] = block[rows[selected] - chunk * step]
        return out

    def __repr__(self) -> str:
        return (
            f"FeatureStore({str(self.path)!r}, rows={self.n_rows}, features={self.features.shape[1]}, "
            f"feature_set={self.feature_set!r}, hash={self.feature_hash})"
        )


def open(path: str | os.PathLike) -> FeatureStore:  # noqa: A001 - the contract's name
    """Open a feature store for reading: ``.features``, ``.feature_names``, ``.meta``."""
    return FeatureStore(path)
