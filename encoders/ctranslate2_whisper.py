"""A CTranslate2 Whisper model as a feature encoder: check it, cut it after layer K, load it, encode.

CTranslate2 returns only the encoder's last output, so to read the K-th layer the model is cut: a
copy of ``model.bin`` without the variables of ``encoder/layer_K`` and later (CTranslate2 builds
as many encoder layers as the file has), whose output is then layer K's output followed by the
encoder's final layer norm. The copy is made once per (weights, K) in the user cache folder
(``$EMOVOX_CACHE_DIR``, else ``$XDG_CACHE_HOME/emovox``, else ``~/.cache/emovox``), under
``encoders/<sha256 of the weights, 16 hex>-layers<K>/``, with a manifest recording the source's and
the copy's SHA-256; a copy whose checksum no longer matches is refused, never used.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emovox.errors import EmovoxError, UsageError
from encoders.ct2_file import ModelFileError, cached_sha256, read_index, write_without

#: How users get weights; every "no encoder" message ends with it.
HOW_TO_GET = (
    "get a CTranslate2 Whisper model folder (model.bin, config.json, vocabulary), e.g. "
    "`ct2-transformers-converter --model openai/whisper-base --output_dir ~/.cache/emovox/whisper-base`, "
    "or see README 'Whisper features'"
)
CUT_MANIFEST = "emovox-cut.json"
_ENCODER_LAYER = re.compile(r"^encoder/layer_(\d+)/")


class EncoderError(EmovoxError):
    """The encoder's weights are unusable: not a CTranslate2 Whisper model, changed, or a corrupt cached copy."""


@dataclass(frozen=True)
class EncoderInfo:
    """What the feature configuration needs to know about a Whisper model folder, without loading it.

    ``n_layers``: encoder layers; ``d_model``: width of the encoder output; ``n_mels``: mel bands
    of its input (80, or 128 for large-v3); ``max_frames``: encoder positions (1500 = 30 s, as
    the convolutions halve the 100 frames/s of the mel input).
    """

    path: str
    sha256: str
    n_layers: int
    d_model: int
    n_mels: int
    max_frames: int


def cache_root() -> Path:
    """The user cache folder of emovox (cut encoders live in its ``encoders/``)."""
    if os.environ.get("EMOVOX_CACHE_DIR"):
        return Path(os.environ["EMOVOX_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "emovox"


def encoder_info(path: str | os.PathLike, option: str = "--encoder-path") -> EncoderInfo:
    """Check that ``path`` is a CTranslate2 Whisper model folder and read its shape (no weights loaded).

    Raises UsageError (naming ``option``) if the folder or its ``model.bin`` is missing, EncoderError if
    ``model.bin`` is not a CTranslate2 Whisper model.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: no such folder; {HOW_TO_GET}")
    model_bin = folder / "model.bin"
    if not model_bin.is_file():
        raise UsageError(f"{option} {path}: no model.bin in this folder (not a CTranslate2 model); {HOW_TO_GET}")
    try:
        index = read_index(model_bin)
        if index.spec_name != "WhisperSpec":
            raise ModelFileError(f"a {index.spec_name} model, not Whisper")
        n_layers = index.layer_count("encoder")
        d_model = index.variable("encoder/layer_norm/gamma").shape[0]
        n_mels = index.variable("encoder/conv1/weight").shape[1]
        max_frames = index.variable("encoder/position_encodings/encodings").shape[0]
    except (ModelFileError, KeyError, IndexError) as error:
        raise EncoderError(f"{model_bin}: not a usable CTranslate2 Whisper model ({error}); {HOW_TO_GET}") from None
    if n_layers < 1:
        raise EncoderError(f"{model_bin}: the encoder has no layers; {HOW_TO_GET}")
    return EncoderInfo(str(folder.resolve()), cached_sha256(model_bin), n_layers, d_model, n_mels, max_frames)


def check_layer(info: EncoderInfo, layer: int, option: str = "--encoder-layer") -> None:
    if not 1 <= layer <= info.n_layers:
        raise UsageError(f"{option} {layer}: the encoder at {info.path} has layers 1..{info.n_layers}")


def _copy_side_files(source: Path, target: Path) -> None:
    for item in source.iterdir():
        if item.is_file() and item.name != "model.bin":
            shutil.copy2(item, target / item.name)


def verify_cut(folder: Path, info: EncoderInfo, layer: int) -> None:
    """EncoderError unless ``folder`` holds the cut of ``info``'s weights after ``layer`` with its recorded checksum."""
    try:
        manifest = json.loads((folder / CUT_MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise EncoderError(f"{folder}: unreadable {CUT_MANIFEST} ({error}); delete the folder to rebuild it") from None
    if manifest.get("source_sha256") != info.sha256 or manifest.get("layers") != layer:
        raise EncoderError(f"{folder}: holds another cut ({manifest.get('layers')} layers of "
                           f"{str(manifest.get('source_sha256'))[:16]}); delete the folder to rebuild it")
    actual = cached_sha256(folder / "model.bin")
    if actual != manifest.get("sha256"):
        raise EncoderError(
            f"{folder / 'model.bin'}: checksum {actual[:16]} differs from the recorded {str(manifest.get('sha256'))[:16]} "
            "(the cached cut encoder was changed or damaged); delete the folder to rebuild it"
        )


def cut_encoder(info: EncoderInfo, layer: int, cache_dir: str | os.PathLike | None = None) -> Path:
    """A model folder whose encoder is the first ``layer`` layers of ``info``'s (then its final layer norm).

    ``layer == info.n_layers`` is the model itself. Otherwise the cut is built once in
    ``cache_dir`` (default ``cache_root() / "encoders"``), atomically (a finished folder or none), and
    verified against its manifest every time it is used.
    """
    check_layer(info, layer)
    if layer == info.n_layers:
        return Path(info.path)
    root = Path(cache_dir) if cache_dir else cache_root() / "encoders"
    folder = root / f"{info.sha256[:16]}-layers{layer}"
    if not folder.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=root))
        try:
            source = Path(info.path) / "model.bin"
            index = read_index(source)

            def drop(name: str) -> bool:
                match = _ENCODER_LAYER.match(name)
                return match is not None and int(match.group(1)) >= layer

            write_without(source, building / "model.bin", index, drop)
            _copy_side_files(Path(info.path), building)
            manifest = {"source": info.path, "source_sha256": info.sha256, "layers": layer,
                        "of_layers": info.n_layers, "sha256": cached_sha256(building / "model.bin")}
            (building / CUT_MANIFEST).write_text(json.dumps(manifest, indent=1))
            try:
                os.rename(building, folder)
            except OSError:  # another process finished the same cut first: use theirs
                if not folder.is_dir():
                    raise
        finally:
            if building.exists():
                shutil.rmtree(building, ignore_errors=True)
    verify_cut(folder, info, layer)
    return folder


def require_ctranslate2():
    try:
        import ctranslate2
    except ImportError:
        raise UsageError(
            "the whisper feature set needs CTranslate2, which is not installed: pip install -e '.[whisper]'"
        ) from None
    return ctranslate2


def worker_threads() -> int:
    """Threads for the encoder: the Dask worker's thread count inside a worker, else the machine's cores."""
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return os.cpu_count() or 1


class WhisperEncoder:
    """The first ``layer`` encoder layers of a CTranslate2 Whisper model, on the CPU.

    ``encode(mel)`` takes ``(batch, n_mels, n_frames)`` float32 log-mel (``kernels.whisper_mel``),
    ``n_frames <= 2 * info.max_frames``, and returns ``(batch, ceil(n_frames / 2), d_model)`` float32:
    the output of layer ``layer`` after the encoder's final layer norm. ``compute_type``: CTranslate2's
    (``int8``, ``float32``, ...); ``intra_threads``: threads per call (default ``worker_threads()``).
    """

    def __init__(self, info: EncoderInfo, layer: int, *, compute_type: str = "int8",
                 intra_threads: int | None = None, cache_dir: str | os.PathLike | None = None):
        ctranslate2 = require_ctranslate2()
        self.info = info
        self.layer = layer
        self.folder = cut_encoder(info, layer, cache_dir)
        self.intra_threads = intra_threads or worker_threads()
        try:
            self._model = ctranslate2.models.Whisper(
                str(self.folder), device="cpu", compute_type=compute_type,
                intra_threads=self.intra_threads, inter_threads=1,
            )
        except (RuntimeError, ValueError) as error:
            raise EncoderError(f"{self.folder}: CTranslate2 cannot load this Whisper model ({error})") from None
        self._storage_view = ctranslate2.StorageView

    def encode(self, mel: np.ndarray) -> np.ndarray:
        mel = np.ascontiguousarray(mel, dtype=np.float32)
        if mel.ndim != 3 or mel.shape[1] != self.info.n_mels:
            raise ValueError(f"expected (batch, {self.info.n_mels}, n_frames) log-mel, got {mel.shape}")
        output = self._model.encode(self._storage_view.from_array(mel), to_cpu=True)
        return np.array(output, dtype=np.float32)
