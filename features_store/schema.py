"""Layout of an emovox feature store (Zarr v3 directory).

```
STORE.zarr/
  zarr.json            group; attributes["emovox"] holds the provenance (see PROVENANCE_KEY)
  features             (n_rows, n_features) float32, chunks (rows_per_chunk, n_features), zstd; NaN = not computed
  meta/<static>        (n_rows,) strings, one per STATIC_COLUMNS, written by the driver
  meta/duration        (n_rows,) float32 seconds, chunked like `features`, written by the workers
  meta/status          (n_rows,) uint8 STATUS_CODES, chunked like `features`, written LAST by the workers
  meta/error           (n_rows,) strings, chunked like `features`, written by the workers
  .emovox-lock         held (flock) by the run that is writing
```
A worker owns one row chunk at a time and writes its `features`, `duration`, `error` and
finally its `status` chunk; each chunk file is written atomically (temporary file + rename), so a
crash leaves rows either done (status ok/error) or pending, never half-written data marked ok.
"""
from __future__ import annotations

SCHEMA_VERSION = 1
PROVENANCE_KEY = "emovox"
FEATURES = "features"
META = "meta"
LOCK_FILE = ".emovox-lock"

#: Columns known from discovery, written by the driver.
STATIC_COLUMNS: tuple[str, ...] = ("id", "path", "corpus", "speaker", "gender", "label", "label_code")
#: Per-row results, written by the worker that owns the row's chunk.
RESULT_COLUMNS: tuple[str, ...] = ("duration", "status", "error")

STATUS_PENDING, STATUS_OK, STATUS_ERROR = 0, 1, 2
STATUS_NAMES = {STATUS_PENDING: "pending", STATUS_OK: "ok", STATUS_ERROR: "error"}

#: Rows per chunk of the static string columns (written whole by the driver).
STATIC_ROWS_PER_CHUNK = 65536
DEFAULT_ROWS_PER_CHUNK = 64
