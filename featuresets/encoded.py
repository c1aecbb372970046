"""Feature sets with a pretrained encoder: ``whisper`` alone or fused (``default+whisper``, ``mfcc+whisper``...).

``resolve_feature_set(name, encoder_path=..., ...)`` turns a name into a complete configuration (the
encoder's absolute path and weights checksum included, so the hash tells encoders apart);
``make_extractor(config)`` returns the extractor for any configuration: a plain ``FeatureExtractor``
without an encoder, else an ``EncodedExtractor`` (hand-crafted columns first, then the encoder's).
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable

import numpy as np

from emovox.errors import UsageError
from featuresets.config import FEATURE_SETS, FeatureSetConfig, get_feature_set
from featuresets.extractor import FeatureExtractor
from featuresets.families import FAMILIES
from featuresets.families.whisper import WhisperFeatures, WhisperParams

#: Feature sets made of an encoder only; fuse with a hand-crafted set as ``<set>+<encoder set>``.
ENCODER_SETS = ("whisper",)


def encoder_families(config: FeatureSetConfig) -> list[str]:
    return [f for f in config.families if getattr(FAMILIES[f], "needs_encoder", False)]


def feature_set_names() -> list[str]:
    """What ``--feature-set`` accepts, for messages and help."""
    return sorted(FEATURE_SETS) + list(ENCODER_SETS) + [f"default+{e}" for e in ENCODER_SETS]


def resolve_feature_set(name: str, *, encoder_path: str | None = None, encoder_layer: int | None = None,
                        pooling: str | None = None, compute_type: str | None = None) -> FeatureSetConfig:
    """The configuration called ``name``: a registered set, an encoder set, or ``<set>+<encoder set>``.

    Encoder options are required (``encoder_path``) or allowed only when the name has an encoder set;
    the path is made absolute and the SHA-256 of its ``model.bin`` recorded. UsageError otherwise.
    """
    parts = name.split("+")
    encoders = [p for p in parts if p in ENCODER_SETS]
    hand = [p for p in parts if p not in ENCODER_SETS]
    if not encoders:
        if any(v is not None for v in (encoder_path, encoder_layer, pooling, compute_type)):
            raise UsageError(f"--feature-set {name}: has no encoder, so --encoder-path/--encoder-layer/--pooling/"
                             "--compute-type do not apply; use e.g. --feature-set default+whisper")
    if len(hand) > 1 or len(encoders) > 1 or (hand and hand[0] not in FEATURE_SETS):
        raise UsageError(f"--feature-set {name}: unknown feature set; choose one of {', '.join(feature_set_names())}, "
                         "or <set>+whisper with <set> one of " + ", ".join(sorted(FEATURE_SETS)))
    if not encoders:
        return get_feature_set(name)
    if not encoder_path:
        raise UsageError(f"--feature-set {name} needs --encoder-path DIR, a CTranslate2 Whisper model folder "
                         "(see README 'Whisper features' for how to get one)")
    from encoders.ctranslate2_whisper import check_layer, encoder_info, require_ctranslate2

    require_ctranslate2()
    info = encoder_info(encoder_path)
    params = WhisperParams(
        encoder_path=info.path, weights_sha256=info.sha256,
        **{k: v for k, v in (("encoder_layer", encoder_layer), ("pooling", pooling), ("compute_type", compute_type))
           if v is not None},
    )
    check_layer(info, params.encoder_layer)
    base = get_feature_set(hand[0]) if hand else FeatureSetConfig(name="whisper", families=())
    return dataclasses.replace(
        base, name=name, families=tuple(base.families) + tuple(encoders),
        family_params={**base.family_params, "whisper": dataclasses.asdict(params)},
    )


def with_encoder_path(config: FeatureSetConfig, encoder_path: str) -> FeatureSetConfig:
    """``config`` reading its encoder from ``encoder_path`` (same weights elsewhere; the caller checks the hash
    against the original configuration, and the extractor checks the weights' checksum)."""
    params = dataclasses.replace(config.params_of("whisper"), encoder_path=os.path.abspath(os.path.expanduser(encoder_path)))
    return dataclasses.replace(config, family_params={**config.family_params, "whisper": dataclasses.asdict(params)})


def make_extractor(config: FeatureSetConfig, *, intra_threads: int | None = None):
    """A ``FeatureExtractor``, or an ``EncodedExtractor`` when ``config`` has an encoder family."""
    if not encoder_families(config):
        return FeatureExtractor(config)
    return EncodedExtractor(config, intra_threads=intra_threads)


class EncodedExtractor:
    """Hand-crafted features (``FeatureExtractor``) followed by pooled encoder features, for one configuration.

    Same interface as ``FeatureExtractor`` (``config``, ``feature_names``, ``n_features``,
    ``extract(blocks) -> (vector, seconds)``) plus ``extract_many``, which batches the encoder across
    utterances. Only the ``whisper`` encoder family exists.
    """

    def __init__(self, config: FeatureSetConfig, *, intra_threads: int | None = None, batch_size: int = 8):
        self.config = config
        hand = tuple(f for f in config.families if f not in encoder_families(config))
        self.handcrafted = FeatureExtractor(dataclasses.replace(config, families=hand)) if hand else None
        self.whisper = WhisperFeatures(config.params_of("whisper"), intra_threads=intra_threads, batch_size=batch_size)
        self.feature_names = (self.handcrafted.feature_names if self.handcrafted else []) + self.whisper.feature_names

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def extract(self, blocks: Iterable[np.ndarray]) -> tuple[np.ndarray, float]:
        """Feature vector ``(n_features,)`` float32 and duration in seconds of one signal given as blocks."""
        (outcome,) = self.extract_many([lambda: blocks])
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def extract_many(self, sources: list[Callable[[], Iterable[np.ndarray]]]) -> list:
        """For each source (a callable returning the blocks of one utterance): ``(vector, seconds)``, or the
        exception its audio or features raised. Encoder calls are batched across all the sources; at most
        a batch of windows per padded length is held at a time, besides each utterance's hand-crafted vector."""
        embedder = self.whisper.embedder()
        partial: dict[int, tuple[np.ndarray, float]] = {}
        outcomes: list = [None] * len(sources)
        rate = self.config.sampling_rate
        for i, source in enumerate(sources):
            try:
                if self.handcrafted is None:
                    n = embedder.add(i, source())
                    partial[i] = (np.zeros(0, np.float32), n / rate)
                else:
                    embedder.begin(i)
                    partial[i] = self.handcrafted.extract(_feeding(source(), embedder, i))
                    embedder.end(i)
            except Exception as error:  # noqa: BLE001 - per utterance: the caller records it
                embedder.discard(i)
                outcomes[i] = error
        vectors = embedder.finish()
        for i, (hand, seconds) in partial.items():
            if i in vectors:
                outcomes[i] = (np.concatenate([hand, vectors[i]]).astype(np.float32, copy=False), seconds)
            else:
                outcomes[i] = embedder.failed.get(i) or RuntimeError("the encoder returned nothing for this utterance")
        return outcomes


def _feeding(blocks: Iterable[np.ndarray], embedder, key) -> Iterable[np.ndarray]:
    """``blocks`` unchanged, each also fed to ``embedder`` under ``key`` (one decode for both feature kinds)."""
    for block in blocks:
        embedder.feed(key, block)
        yield block
