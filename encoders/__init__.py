"""Pretrained speech encoders used as feature extractors (CTranslate2 Whisper).

``ctranslate2_whisper``: finding, checking, cutting (keeping the first K encoder layers) and loading
a CTranslate2 Whisper model; ``embedding``: audio -> log-mel windows -> batched encoder calls ->
one pooled vector per utterance. Weights are never downloaded here: the user points
``--encoder-path`` at a CTranslate2 Whisper folder (see the README, "Whisper features").
"""
from encoders.ctranslate2_whisper import EncoderError, EncoderInfo, cache_root, encoder_info

__all__ = ["EncoderError", "EncoderInfo", "cache_root", "encoder_info"]
