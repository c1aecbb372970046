"""The ``whisper`` family: a pooled Whisper encoder layer (CTranslate2), one vector per utterance.

Unlike the hand-crafted families it is not computed frame by frame from the kernels' blocks: its
utterances are batched across files through a pretrained encoder (``encoders``). So the family
class only declares the parameters (part of the feature hash: the encoder folder, the SHA-256 of
its ``model.bin``, the layer, the pooling, the numeric type and the windowing) and the names;
``featuresets.encoded.EncodedExtractor`` computes it beside a ``FeatureExtractor`` of the other
families. Selected with ``--feature-set whisper`` or fused, e.g. ``default+whisper``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from emovox.errors import UsageError
from featuresets.families.base import Family

#: Encoder layer kept by default (of 6 in whisper-base): chosen with bench/whisper_layers.py.
DEFAULT_ENCODER_LAYER = 3
COMPUTE_TYPES = ("int8", "int8_float32", "int16", "float32")
POOLINGS = ("mean+std", "mean")


@dataclasses.dataclass(frozen=True)
class WhisperParams:
    """``encoder_path``: a CTranslate2 Whisper model folder (absolute); ``weights_sha256``: SHA-256 of its
    ``model.bin``; ``encoder_layer``: keep layers 1..K; ``pooling``: statistics over the real frames;
    ``compute_type``: CTranslate2's numeric type on the CPU; ``window_seconds``: longest window encoded
    at once (Whisper: 30 s); ``pad_seconds``: windows are zero-padded to a multiple of this (so that
    equal padded lengths can share an encoder call)."""

    encoder_path: str = ""
    weights_sha256: str = ""
    encoder_layer: int = DEFAULT_ENCODER_LAYER
    pooling: str = "mean+std"
    compute_type: str = "int8"
    window_seconds: float = 30.0
    pad_seconds: float = 1.0

    def __post_init__(self):
        if self.pooling not in POOLINGS:
            raise UsageError(f"--pooling {self.pooling}: choose one of {', '.join(POOLINGS)}")
        if self.compute_type not in COMPUTE_TYPES:
            raise UsageError(f"--compute-type {self.compute_type}: choose one of {', '.join(COMPUTE_TYPES)}")
        if not isinstance(self.encoder_layer, int) or self.encoder_layer < 1:
            raise UsageError(f"--encoder-layer {self.encoder_layer}: must be a layer number from 1")
        if not 0 < self.window_seconds <= 30 or not 0 <= self.pad_seconds <= 30:
            raise UsageError("whisper window_seconds must be in (0, 30] and pad_seconds in [0, 30]")


def whisper_feature_names(d_model: int, pooling: str) -> list[str]:
    """``whisper_e{i:03d}_{mean|std}``: every dimension's mean, then (mean+std) every dimension's std."""
    stats = ("mean", "std") if pooling == "mean+std" else ("mean",)
    return [f"whisper_e{i:03d}_{stat}" for stat in stats for i in range(d_model)]


class Whisper(Family):
    """Declares the parameters of the Whisper features; computed by ``featuresets.encoded`` (see the module)."""

    name = "whisper"
    Params = WhisperParams
    #: Computed by a pretrained encoder, outside the frame pipeline; never part of ``default``.
    needs_encoder = True

    def __init__(self, config, params, setup):  # pragma: no cover - a programming error, said clearly
        raise TypeError("the whisper family is computed by featuresets.make_extractor(config), not FeatureExtractor")


class WhisperFeatures:
    """The whisper part of a feature vector: ``extract_many`` over utterances, batched through the encoder.

    ``feature_names`` needs only the model's header; the encoder itself is loaded (and cut, once per
    cache) at the first utterance. ``intra_threads``: threads per encoder call (default: the Dask
    worker's threads, or the machine's cores outside a worker).
    """

    def __init__(self, params: WhisperParams, *, intra_threads: int | None = None, batch_size: int = 8):
        from encoders.ctranslate2_whisper import encoder_info

        if not params.encoder_path:
            raise UsageError("the whisper features need --encoder-path DIR (a CTranslate2 Whisper model folder)")
        self.params = params
        self.info = encoder_info(params.encoder_path)
        if params.weights_sha256 and self.info.sha256 != params.weights_sha256:
            raise UsageError(
                f"--encoder-path {params.encoder_path}: its model.bin has SHA-256 {self.info.sha256[:16]}..., but these "
                f"features were made with weights {params.weights_sha256[:16]}...: use the same weights"
            )
        if params.encoder_layer > self.info.n_layers:
            raise UsageError(f"--encoder-layer {params.encoder_layer}: the encoder at {params.encoder_path} "
                             f"has layers 1..{self.info.n_layers}")
        longest = 2 * self.info.max_frames * 160 / 16000  # the encoder's positions, in seconds of audio
        if params.window_seconds > longest:
            raise UsageError(f"--encoder-path {params.encoder_path}: this encoder takes at most {longest:g} s at once, "
                             f"less than the {params.window_seconds:g} s windows asked for")
        self.intra_threads = intra_threads
        self.batch_size = batch_size
        self.feature_names = whisper_feature_names(self.info.d_model, params.pooling)
        self._encoder = None

    def embedder(self):
        """A fresh ``encoders.embedding.PooledEmbedder`` on this process's encoder (loaded once)."""
        from encoders.ctranslate2_whisper import WhisperEncoder
        from encoders.embedding import PooledEmbedder, WindowPlan

        if self._encoder is None:
            self._encoder = WhisperEncoder(self.info, self.params.encoder_layer, compute_type=self.params.compute_type,
                                           intra_threads=self.intra_threads)
        plan = WindowPlan(self.params.window_seconds, self.params.pad_seconds, self.batch_size)
        return PooledEmbedder(self._encoder.encode, n_mels=self.info.n_mels, d_model=self.info.d_model,
                              pooling=self.params.pooling, plan=plan)

    def embed(self, signals: list[np.ndarray]) -> np.ndarray:
        """``(len(signals), n_features)`` float32 for 16 kHz mono signals, batched."""
        embedder = self.embedder()
        for i, signal in enumerate(signals):
            embedder.add(i, [signal])
        vectors = embedder.finish()
        if embedder.failed:
            raise next(iter(embedder.failed.values()))
        return np.stack([vectors[i] for i in range(len(signals))]) if signals else np.zeros((0, len(self.feature_names)), np.float32)


FAMILY_CLASSES = (Whisper,)
