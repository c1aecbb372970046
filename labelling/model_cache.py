"""One loaded (and verified) model per process; ``labelling.model_dir`` resolves ``--model``."""
from __future__ import annotations

import os
from pathlib import Path

from classify import load_model
from emovox.errors import UsageError
from featuresets import FeatureExtractor, FeatureSetConfig, make_extractor
from featuresets.encoded import encoder_families, with_encoder_path

_loaded: dict[tuple[str, str | None], tuple[object, FeatureExtractor]] = {}

#: Where a model trained on whisper features finds its encoder when --encoder-path is not given.
ENCODER_PATH_ENV = "EMOVOX_WHISPER_PATH"


def encoder_path_for(model_dir: str, config: FeatureSetConfig, encoder_path: str | None) -> str:
    """The encoder folder for a model trained on encoder features: ``encoder_path`` (--encoder-path), else
    ``$EMOVOX_WHISPER_PATH``, else the folder recorded at training, else a folder of that name in the user
    cache (``~/.cache/emovox/whisper-base`` for the shipped ``default-whisper``). UsageError saying how to get
    the weights when none is there; the extractor then checks the weights' SHA-256 against the model's."""
    from encoders.ctranslate2_whisper import HOW_TO_GET, cache_root

    if encoder_path:
        return encoder_path
    from_env = os.environ.get(ENCODER_PATH_ENV)
    if from_env:
        if not (Path(from_env).expanduser() / "model.bin").is_file():
            raise UsageError(f"{ENCODER_PATH_ENV}={from_env}: no CTranslate2 model (model.bin) there; {HOW_TO_GET}")
        return from_env
    params = config.params_of("whisper")
    recorded = params.encoder_path
    for candidate in (recorded, str(cache_root() / Path(recorded).name)):
        if (Path(candidate) / "model.bin").is_file():
            return candidate
    raise UsageError(
        f"--model {model_dir}: needs the Whisper encoder its features came from ({Path(recorded).name}, CTranslate2 "
        f"format, model.bin SHA-256 {params.weights_sha256[:16]}...), not found at {recorded} nor in "
        f"{cache_root()}; {HOW_TO_GET}; then pass --encoder-path DIR or set {ENCODER_PATH_ENV}"
    )


def model_and_extractor(model_dir: str, encoder_path: str | None = None):
    """The worker process's ``(model, extractor)`` for ``model_dir``, loaded (and checksum-verified) once.

    A model trained on encoder features (``whisper``, ``default+whisper``) reads its encoder from
    ``encoder_path_for(model_dir, ..., encoder_path)``; the weights must be the ones it was trained on.
    """
    key = (model_dir, encoder_path)
    if key not in _loaded:
        model = load_model(model_dir)
        config = FeatureSetConfig.from_dict(model.config["feature_set"]["config"])
        if encoder_families(config):
            from encoders.ctranslate2_whisper import require_ctranslate2

            require_ctranslate2()
            extractor = make_extractor(with_encoder_path(config, encoder_path_for(model_dir, config, encoder_path)))
        else:
            extractor = FeatureExtractor(config)
        if config.feature_hash != model.feature_hash:
            raise UsageError(
                f"{model_dir}: its feature configuration hashes to {config.feature_hash}, not {model.feature_hash}: "
                "made by another emovox version; retrain it"
            )
        if config.name != model.feature_set:
            raise UsageError(
                f"{model_dir}: claims feature set {model.feature_set!r} but its feature configuration is "
                f"{config.name!r}: the config.json was edited or is corrupted; retrain or restore it"
            )
        if list(model.feature_names) != list(extractor.feature_names):
            raise UsageError(
                f"{model_dir}: its {len(model.feature_names)} feature names are not the {len(extractor.feature_names)} "
                f"of its feature set {config.name!r}: made by another emovox version, or the config.json was edited; "
                "retrain or restore it"
            )
        _loaded[key] = (model, extractor)
    return _loaded[key]
