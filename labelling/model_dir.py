"""Resolving ``--model default|MODEL_DIR`` to a folder, without loading anything.

Light on purpose (the standard library only): the label command resolves the model before it
starts its Dask workers, and starts them before it imports Prefect, numpy or the kernels.
"""
from __future__ import annotations

import os
from pathlib import Path

from emovox.errors import UsageError

#: Models shipped inside the project, by name.
SHIPPED_MODELS_DIR = Path(__file__).resolve().parent / "models"


def resolve_model_dir(model: str) -> str:
    """The directory of ``model``: a shipped model's name (``default``) or a path written by flows.train."""
    shipped = SHIPPED_MODELS_DIR / model
    if os.sep not in model and "/" not in model and (shipped / "config.json").is_file():
        return str(shipped)
    if Path(model).is_dir():
        return str(Path(model).resolve())
    names = sorted(p.name for p in SHIPPED_MODELS_DIR.iterdir() if (p / "config.json").is_file()) if SHIPPED_MODELS_DIR.is_dir() else []
    raise UsageError(
        f"--model {model}: no such model; use a shipped model ({', '.join(names) or 'none installed'}) "
        "or a folder written by flows.train"
    )
