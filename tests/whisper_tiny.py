"""A tiny random Whisper model in CTranslate2 format, built with ``ctranslate2.specs`` (no torch, no download).

Variable shapes follow ``ctranslate2/converters/transformers.py`` (``WhisperLoader``): the encoder's
two convolutions ``(d, n_mels, 3)`` and ``(d, d, 3)``, sinusoid-like position encodings
``(n_positions, d)``, pre-norm layers with fused QKV ``(3d, d)``; the decoder has the same layout with
cross-attention (query ``(d, d)``, fused key-value ``(2d, d)``, output ``(d, d)``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _linear(spec, rng, n_out: int, n_in: int) -> None:
    spec.weight = (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)
    spec.bias = (0.02 * rng.standard_normal(n_out)).astype(np.float32)


def _norm(spec, rng, d: int) -> None:
    spec.gamma = (1.0 + 0.1 * rng.standard_normal(d)).astype(np.float32)
    spec.beta = (0.1 * rng.standard_normal(d)).astype(np.float32)


def _conv(spec, rng, n_out: int, n_in: int) -> None:
    spec.weight = (rng.standard_normal((n_out, n_in, 3)) / np.sqrt(3 * n_in)).astype(np.float32)
    spec.bias = (0.02 * rng.standard_normal(n_out)).astype(np.float32)


def _ffn(spec, rng, d: int, ff: int) -> None:
    _norm(spec.layer_norm, rng, d)
    _linear(spec.linear_0, rng, ff, d)
    _linear(spec.linear_1, rng, d, ff)


def encoder_layer_seeds(seed: int, n_layers: int) -> list[int]:
    """Seeds of each encoder layer (layer i's weights depend only on ``seed`` and ``i``)."""
    return [seed * 1000 + i for i in range(n_layers)]


def build_tiny_whisper(folder: Path, *, n_layers: int = 3, keep_layers: int | None = None, d_model: int = 64,
                       n_heads: int = 4, n_mels: int = 80, n_positions: int = 1500, vocab: int = 16,
                       seed: int = 0) -> Path:
    """Write a random Whisper model to ``folder`` and return it.

    The weights of encoder layer ``i`` come from their own seed, so a model built with
    ``keep_layers=K`` holds exactly the first K layers of the ``n_layers`` model of the same seed
    (what cutting the bigger model must reproduce).
    """
    from ctranslate2.specs import whisper_spec

    kept = n_layers if keep_layers is None else keep_layers
    spec = whisper_spec.WhisperSpec(kept, n_heads, 1, n_heads)
    rng = np.random.default_rng(seed)
    enc = spec.encoder
    _conv(enc.conv1, rng, d_model, n_mels)
    _conv(enc.conv2, rng, d_model, d_model)
    position = np.arange(n_positions)[:, None] / 10000 ** (np.arange(d_model)[None, :] / d_model)
    enc.position_encodings.encodings = np.where(np.arange(d_model) % 2, np.cos(position), np.sin(position)).astype(np.float32)
    _norm(enc.layer_norm, rng, d_model)
    for i, seed_i in enumerate(encoder_layer_seeds(seed, n_layers)[:kept]):
        layer_rng = np.random.default_rng(seed_i)
        layer = enc.layer[i]
        _norm(layer.self_attention.layer_norm, layer_rng, d_model)
        _linear(layer.self_attention.linear[0], layer_rng, 3 * d_model, d_model)
        _linear(layer.self_attention.linear[1], layer_rng, d_model, d_model)
        _ffn(layer.ffn, layer_rng, d_model, 2 * d_model)
    dec = spec.decoder
    dec.embeddings.weight = (0.1 * rng.standard_normal((vocab, d_model))).astype(np.float32)
    dec.position_encodings.encodings = (0.1 * rng.standard_normal((32, d_model))).astype(np.float32)
    _norm(dec.layer_norm, rng, d_model)
    dec.projection.weight = dec.embeddings.weight
    layer = dec.layer[0]
    _norm(layer.self_attention.layer_norm, rng, d_model)
    _linear(layer.self_attention.linear[0], rng, 3 * d_model, d_model)
    _linear(layer.self_attention.linear[1], rng, d_model, d_model)
    _norm(layer.attention.layer_norm, rng, d_model)
    _linear(layer.attention.linear[0], rng, d_model, d_model)
    _linear(layer.attention.linear[1], rng, 2 * d_model, d_model)
    _linear(layer.attention.linear[2], rng, d_model, d_model)
    _ffn(layer.ffn, rng, d_model, 2 * d_model)
    spec.register_vocabulary([f"<t{i}>" for i in range(vocab)])
    spec.validate()
    folder.mkdir(parents=True, exist_ok=True)
    spec.save(str(folder))
    return folder
