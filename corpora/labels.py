"""Harmonised emotion labels and each corpus's own label codes.

Every corpus names its emotions differently (EMO-DB uses German initials, RAVDESS two-digit numbers,
CREMA-D three-letter codes...). Discovery keeps the corpus's own code in ``Utterance.label_code`` and
maps it to one of :data:`HARMONISED_LABELS` in ``Utterance.label`` ("" when the code has no
harmonised counterpart, e.g. IEMOCAP's ``fru``).
"""
from __future__ import annotations

HARMONISED_LABELS = (
    "neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "boredom",
)

# Folder names and manifest labels written by people: case-insensitive synonyms.
SYNONYMS: dict[str, str] = {
    "anger": "angry", "angry": "angry", "ang": "angry", "mad": "angry",
    "happiness": "happy", "happy": "happy", "joy": "happy", "hap": "happy",
    "sadness": "sad", "sad": "sad",
    "fear": "fearful", "fearful": "fearful", "afraid": "fearful",
    "disgust": "disgust", "disgusted": "disgust",
    "surprise": "surprised", "surprised": "surprised",
    "boredom": "boredom", "bored": "boredom",
    "neutral": "neutral", "neu": "neutral",
    "calm": "calm",
}


def harmonise(name: str) -> str:
    """Map a free-form label (a folder name, a manifest cell) to a harmonised label.

    A known synonym (case-insensitive, surrounding blanks ignored) gives its harmonised label; an
    unknown name is kept, lower-cased, as a user-defined class; an empty name gives "" (unlabelled).
    """
    key = name.strip().lower()
    return SYNONYMS.get(key, key)


def is_known_label(name: str) -> bool:
    """True when ``name`` is one of the synonyms in :data:`SYNONYMS` (case-insensitive)."""
    return name.strip().lower() in SYNONYMS


# EMO-DB: German initials (Ärger, Langeweile, Ekel, Angst, Freude, Trauer, Neutral).
EMODB_CODES = {
    "W": "angry", "L": "boredom", "E": "disgust", "A": "fearful",
    "F": "happy", "T": "sad", "N": "neutral",
}
EMODB_GENDERS = {
    "03": "male", "10": "male", "11": "male", "12": "male", "15": "male",
    "08": "female", "09": "female", "13": "female", "14": "female", "16": "female",
}

RAVDESS_CODES = {
    "01": "neutral", "02": "calm", "03": "happy", "04": "sad",
    "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised",
}

CREMAD_CODES = {
    "ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad",
}

# TESS: keys are lower-cased; the code as written in the file name is kept in label_code.
TESS_CODES = {
    "angry": "angry", "disgust": "disgust", "fear": "fearful", "happy": "happy", "neutral": "neutral",
    "ps": "surprised", "pleasant_surprise": "surprised", "pleasant_surprised": "surprised", "sad": "sad",
}
TESS_SPEAKERS = ("OAF", "YAF")  # older and younger actress: both female

SAVEE_CODES = {
    "a": "angry", "d": "disgust", "f": "fearful", "h": "happy", "n": "neutral", "sa": "sad", "su": "surprised",
}
SAVEE_SPEAKERS = ("DC", "JE", "JK", "KL")  # all male

# IEMOCAP: "exc" (excited) is merged into happy, the common practice; fru/oth/xxx have no counterpart.
IEMOCAP_CODES = {
    "neu": "neutral", "hap": "happy", "exc": "happy", "sad": "sad", "ang": "angry",
    "fea": "fearful", "sur": "surprised", "dis": "disgust",
    "fru": "", "oth": "", "xxx": "",
}
