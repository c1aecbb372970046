"""The records discovery returns: one :class:`Utterance` per audio file, gathered in a :class:`Discovery`."""
from __future__ import annotations

from dataclasses import dataclass

FORMATS = ("auto", "emodb", "ravdess", "cremad", "tess", "savee", "iemocap", "folder", "manifest", "archive")

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".au", ".w64", ".rf64", ".caf"}
)


@dataclass(frozen=True, slots=True)
class Utterance:
    """One audio file of a corpus, as named by the corpus (discovery never opens the audio).

    id:         stable and unique: the path relative to the corpus root, posix separators, with extension
    path:       absolute path (not resolved through symlinks)
    corpus:     the format name ("emodb", "ravdess", ..., "folder", "manifest", "archive")
    speaker:    the corpus's own speaker code ("03", "12", "1001", "OAF", "DC", "Ses01F"); "" if unknown
    gender:     "male", "female" or ""
    label:      one of HARMONISED_LABELS, a user-defined class (folder/manifest), or "" when unlabelled
                or when the corpus's code has no harmonised counterpart
    label_code: the corpus's own code ("W", "05", "ANG", "angry", "a", "sa", "neu", ...); "" when unlabelled
    """

    id: str
    path: str
    corpus: str
    speaker: str
    gender: str
    label: str
    label_code: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """What :func:`corpora.discover` found.

    format:     the format used (the detected one when "auto" was asked)
    root:       absolute corpus root (for a manifest: the folder holding the CSV file)
    utterances: sorted by id
    skipped:    (path, reason) for audio-named entries the format could not parse, and for folders that
                could not be listed; sorted by path. Never dropped silently: the flow reports them.
    """

    format: str
    root: str
    utterances: tuple[Utterance, ...]
    skipped: tuple[tuple[str, str], ...]
