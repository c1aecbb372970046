"""Resolving ``--model default|MODEL_DIR`` and keeping one loaded model per worker process."""
from __future__ import annotations

import os
from pathlib import Path

from classify import load_model
from emovox.errors import UsageError
from featuresets import FeatureExtractor, FeatureSetConfig

#: Models shipped inside the project, by name.
SHIPPED_MODELS_DIR = Path(__file__).resolve().parent / "models"

_loaded: dict[str, tuple[object, FeatureExtractor]] = {}


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


def model_and_extractor(model_dir: str):
    """The worker process's ``(model, extractor)`` for ``model_dir``, loaded (and checksum-verified) once."""
    if model_dir not in _loaded:
        model = load_model(model_dir)
        config = FeatureSetConfig.from_dict(model.config["feature_set"]["config"])
        extractor = FeatureExtractor(config)
        if config.feature_hash != model.feature_hash:
            raise UsageError(
                f"{model_dir}: its feature configuration hashes to {config.feature_hash}, not {model.feature_hash}: "
                "made by another emovox version; retrain it"
            )
        _loaded[model_dir] = (model, extractor)
    return _loaded[model_dir]
