"""The model directory: ``config.json`` plus native files, checksummed, never pickled.

```
MODEL_DIR/
  config.json        format, emovox version, feature set (name, configuration, hash) and feature
                     names, labels, normalisation, selection, model kind / parameters / fitted state,
                     calibration, training data summary, sha256 of every other file
  normaliser.npz     mean / scale of the training rows (numpy arrays, loaded with allow_pickle=False)
  selector.npz       kept columns (with --select-features)
  <kind>.npz         estimator arrays (SVM support vectors and dual coefficients, MLP weights, ...)
  xgboost.ubj        XGBoost booster, native UBJSON
  MODEL_CARD.md      what the model is, its data, and the licence terms it inherits
```
``load_model(dir)`` refuses a file whose checksum differs ("tampered or corrupted: <file>") and the
returned model refuses features of another feature configuration (``check_feature_hash``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from emovox import __version__
from classify.errors import FeatureMismatchError, ModelError, ModelIntegrityError
from classify.estimators import ESTIMATORS, Fusion
from classify.normalise import normaliser_from_arrays
from classify.pipeline import EmotionModel, ModelSpec
from classify.selection import FeatureSelector

FORMAT = "emovox-model"
FORMAT_VERSION = 1
CONFIG = "config.json"

#: Corpora whose licence a model trained on them inherits (see ../shared/corpora/README.md).
CORPUS_TERMS = {
    "emodb": "EMO-DB (Burkhardt et al., Interspeech 2005): distributed by its authors free of charge for research.",
    "ravdess": "RAVDESS (Livingstone & Russo, PLoS ONE 2018): CC BY-NC-SA 4.0 - non-commercial use, attribution, "
               "derivatives under the same terms.",
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class TrainedModel(EmotionModel):
    """A model loaded from a directory.

    ``predict_proba(X, groups=None) -> (n, n_labels)`` for raw store features ``X`` (columns in the
    order of ``feature_names``), probabilities in the order of ``labels_``; ``predict`` gives label
    names; ``feature_hash``, ``feature_set``, ``config`` (config.json), ``directory``. A model with
    ``normalisation == "speaker"`` standardises each group of ``groups`` (e.g. a speaker or a
    recording) with its own statistics; without groups the whole batch counts as one group, and a
    group of fewer than 10 rows falls back to the training data's statistics.
    """

    feature_hash: str
    feature_names: list[str]
    feature_set: str
    config: dict
    directory: Path

    @property
    def normalisation(self) -> str:
        return self.spec.normalise

    def check_feature_hash(self, feature_hash: str, source: str) -> None:
        """FeatureMismatchError unless ``feature_hash`` (of ``source``, e.g. a store path) is the model's."""
        if feature_hash != self.feature_hash:
            raise FeatureMismatchError(
                f"{source}: feature hash {feature_hash} differs from the model's {self.feature_hash} "
                f"({self.directory}, feature set {self.feature_set!r}); extract with the model's feature set "
                "or train a model on this store"
            )

    def check_store(self, store) -> None:
        """Refuse a ``features_store.FeatureStore`` made with another feature configuration."""
        self.check_feature_hash(store.feature_hash, str(store.path))


def is_model_dir(path: Path) -> bool:
    try:
        return json.loads((path / CONFIG).read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def save_model(model: EmotionModel, out_dir: str | os.PathLike, *, feature_info: dict, feature_names: list[str],
               training: dict) -> Path:
    """Write ``model`` to ``out_dir`` (replacing a model directory there; refusing any other non-empty folder)."""
    out = Path(out_dir).absolute()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not is_model_dir(out))):
        raise ModelError(f"{out}: exists and is not an emovox model directory; choose another --out")
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        files: list[str] = []
        np.savez(tmp / "normaliser.npz", **model.normaliser_.to_arrays())
        files.append("normaliser.npz")
        selection = None
        if model.selector_ is not None:
            np.savez(tmp / "selector.npz", **model.selector_.to_arrays())
            files.append("selector.npz")
            selection = {"method": "anova-f", "k": model.selector_.k, "file": "selector.npz",
                         "selected": [feature_names[i] for i in model.selector_.support_]}
        estimator_files, state = model.estimator_.save(tmp, "")
        files += estimator_files
        corpora = sorted(training.get("corpora", []))
        config = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "emovox_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "feature_set": {"name": feature_info["name"], "hash": feature_info["hash"], "config": feature_info["config"]},
            "feature_names": list(feature_names),
            "labels": list(model.labels_),
            "normalisation": {**model.normaliser_.config(), "file": "normaliser.npz"},
            "selection": selection,
            "model": {
                "kind": model.spec.kind,
                "estimator": model.estimator_.kind,
                "params": model.estimator_.get_params(),
                "fitted_params": model.estimator_.fitted_params(),
                "state": state,
                "spec": model.spec.to_dict(),
            },
            "calibration": {"method": "temperature", "temperature": model.temperature_} if model.spec.calibrate else None,
            "training": training,
            "licence_terms": [CORPUS_TERMS[c] for c in corpora if c in CORPUS_TERMS],
            "files": {name: sha256_of(tmp / name) for name in files},
        }
        (tmp / CONFIG).write_text(json.dumps(config, indent=1, default=_json_default) + "\n")
        (tmp / "MODEL_CARD.md").write_text(_model_card(config))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except PermissionError:
        raise ModelError(f"{out}: permission denied; choose an --out folder you can write to") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _model_card(config: dict) -> str:
    t = config["training"]
    lines = [
        f"# emovox model: {config['model']['kind']}",
        "",
        f"- labels: {', '.join(config['labels'])}",
        f"- feature set: {config['feature_set']['name']} (hash {config['feature_set']['hash']}, "
        f"{len(config['feature_names'])} features)",
        f"- normalisation: {config['normalisation']['kind']}"
        + (" - per-speaker normalisation (transductive): pass speaker groups to predict_proba" if config["normalisation"]["transductive"] else ""),
        f"- trained on {t.get('n_utterances')} utterances, {t.get('n_speakers')} speakers, corpora: "
        f"{', '.join(t.get('corpora', [])) or 'unknown'} ({t.get('store')})",
        f"- emovox {config['emovox_version']}, created {config['created']}",
        "",
        "## Terms",
        "",
    ]
    terms = config.get("licence_terms") or ["The training data's own terms apply to this model."]
    lines += [f"- {x}" for x in terms]
    lines += ["", "A model trained on these corpora inherits their terms.", ""]
    return "\n".join(lines)


def load_model(model_dir: str | os.PathLike) -> TrainedModel:
    """Load a model directory written by ``save_model`` (flows.train), verifying every file's sha256."""
    directory = Path(model_dir)
    config_path = directory / CONFIG
    if not config_path.is_file():
        raise ModelError(f"{directory}: no {CONFIG} here; point at a folder written by flows.train")
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError) as error:
        raise ModelIntegrityError(f"tampered or corrupted: {config_path} ({error})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelError(f"{config_path}: not an emovox model configuration")
    if config.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(f"{config_path}: format version {config['format_version']} is newer than this emovox; upgrade")
    for name, digest in config.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            raise ModelIntegrityError(f"{path}: missing from the model directory; retrain or restore it")
        if sha256_of(path) != digest:
            raise ModelIntegrityError(f"tampered or corrupted: {path} (sha256 differs from {CONFIG}); retrain or restore it")
    try:
        return _build(directory, config)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelIntegrityError(f"tampered or corrupted: {config_path} ({type(error).__name__}: {error})") from None


def _load_npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _build(directory: Path, config: dict) -> TrainedModel:
    spec = ModelSpec.from_dict(config["model"]["spec"])
    model = TrainedModel(spec)
    model.labels_ = list(config["labels"])
    model.feature_names = list(config["feature_names"])
    model.feature_names_in_ = model.feature_names
    model.n_features_in_ = len(model.feature_names)
    model.feature_hash = config["feature_set"]["hash"]
    model.feature_set = config["feature_set"]["name"]
    model.config = config
    model.directory = directory
    norm = config["normalisation"]
    model.normaliser_ = normaliser_from_arrays(_load_npz(directory / norm["file"]),
                                               {k: v for k, v in norm.items() if k not in ("file", "note")})
    model.selector_ = None
    if config.get("selection"):
        model.selector_ = FeatureSelector.from_arrays(_load_npz(directory / "selector.npz"), config["selection"]["k"])
    kind = config["model"]["kind"]
    cls = Fusion if "+" in kind else ESTIMATORS[kind][0]
    model.estimator_ = cls.load(directory, "", config["model"]["params"], config["model"]["state"])
    model.temperature_ = float(config["calibration"]["temperature"]) if config.get("calibration") else 1.0
    return model
