"""Corpus discovery: walk an input folder, recognise a known corpus layout, list utterances.

    >>> from corpora import discover
    >>> d = discover("../shared/corpora/emodb")          # format="auto" by default
    >>> d.format, len(d.utterances), d.utterances[0].label
    ('emodb', 535, 'happy')

Known layouts: EMO-DB, RAVDESS (speech and song, WAV or FLAC), CREMA-D, TESS, SAVEE, IEMOCAP, a folder
per label, a CSV manifest (path,label[,speaker][,gender]); anything else is an unlabelled archive.
Discovery never opens audio: unreadable entries are listed and left to the decoder to report.
"""
from corpora.discover import check_root, discover
from corpora.labels import HARMONISED_LABELS, harmonise
from corpora.model import AUDIO_EXTENSIONS, FORMATS, Discovery, Utterance

__all__ = [
    "AUDIO_EXTENSIONS",
    "FORMATS",
    "HARMONISED_LABELS",
    "Discovery",
    "Utterance",
    "check_root",
    "discover",
    "harmonise",
]
