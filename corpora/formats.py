"""Parsers for each known corpus layout.

A file-name parser takes the relative posix path of one audio file and returns either
``(speaker, gender, label, label_code)`` or a string saying why the name does not fit the layout
(that string becomes the ``skipped`` reason). Parsers are pure: they never touch the file system.
Side files (CREMA-D demographics, IEMOCAP label files, CSV manifests) are read by the loaders here.
"""
from __future__ import annotations

import csv
import os
import posixpath
import re
from collections.abc import Callable

from corpora.labels import (
    CREMAD_CODES,
    EMODB_CODES,
    EMODB_GENDERS,
    IEMOCAP_CODES,
    RAVDESS_CODES,
    SAVEE_CODES,
    SAVEE_SPEAKERS,
    TESS_CODES,
    harmonise,
)
from emovox.errors import CorpusError

Parsed = tuple[str, str, str, str]  # speaker, gender, label, label_code
Parser = Callable[[str], "Parsed | str"]


def _split(rel: str) -> tuple[str, str]:
    """(parent folder name, file stem) of a relative posix path."""
    parent, _, name = rel.rpartition("/")
    return parent.rpartition("/")[2], name[: name.rfind(".")]


# --- EMO-DB: 03a01Fa.wav -----------------------------------------------------------------------
# Strict on purpose, so it does not fire on other corpora: two-digit speaker, text a01..b10,
# one upper-case emotion letter from the seven, one lower-case version letter, nothing else.
_EMODB = re.compile(r"(\d\d)([ab]\d\d)([WLEAFTN])([a-z])")


def parse_emodb(rel: str) -> Parsed | str:
    m = _EMODB.fullmatch(_split(rel)[1])
    if m is None:
        return "name does not follow the EMO-DB pattern (e.g. 03a01Fa.wav)"
    speaker, _, code, _ = m.groups()
    return speaker, EMODB_GENDERS.get(speaker, ""), EMODB_CODES[code], code


# --- RAVDESS: 03-01-05-01-02-01-12.wav|.flac, optionally under Actor_12/ ------------------------
_RAVDESS = re.compile(r"(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)")


def parse_ravdess(rel: str) -> Parsed | str:
    m = _RAVDESS.fullmatch(_split(rel)[1])
    if m is None:
        return "name does not follow the RAVDESS pattern (e.g. 03-01-05-01-02-01-12.wav)"
    _modality, channel, code, _intensity, _statement, _repetition, actor = m.groups()
    if channel not in ("01", "02"):
        return f"RAVDESS vocal channel {channel} is neither 01 (speech) nor 02 (song)"
    if code not in RAVDESS_CODES:
        return f"RAVDESS emotion code {code} is not one of 01..08"
    if actor == "00":
        return "RAVDESS actor 00 does not exist (actors are 01..24)"
    return actor, "male" if int(actor) % 2 else "female", RAVDESS_CODES[code], code


# --- CREMA-D: 1001_DFA_ANG_XX.wav ---------------------------------------------------------------
_CREMAD = re.compile(r"(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{1,2})")


def parse_cremad(rel: str) -> Parsed | str:
    m = _CREMAD.fullmatch(_split(rel)[1])
    if m is None:
        return "name does not follow the CREMA-D pattern (e.g. 1001_DFA_ANG_XX.wav)"
    speaker, _sentence, code, _level = m.groups()
    if code not in CREMAD_CODES:
        return f"CREMA-D emotion code {code} is not one of {', '.join(CREMAD_CODES)}"
    return speaker, "", CREMAD_CODES[code], code  # gender comes from VideoDemographics.csv


def load_cremad_genders(root: str) -> dict[str, str]:
    """Actor id -> "male"/"female" from ``VideoDemographics.csv`` in ``root`` or its parent ({} if absent)."""
    for folder in (root, os.path.dirname(root)):
        path = os.path.join(folder, "VideoDemographics.csv")
        if os.path.isfile(path):
            break
    else:
        return {}
    rows = _read_csv(path, "CREMA-D demographics file")
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in ("ActorID", "Sex") if c not in header]
    if missing:
        raise CorpusError(
            f"{path}: CREMA-D demographics file lacks column(s) {', '.join(missing)}; "
            "restore the original VideoDemographics.csv or remove it (genders are then left empty)"
        )
    i_actor, i_sex = header.index("ActorID"), header.index("Sex")
    genders: dict[str, str] = {}
    for row in rows[1:]:
        if len(row) <= max(i_actor, i_sex):
            continue
        sex = row[i_sex].strip().lower()
        genders[row[i_actor].strip()] = sex if sex in ("male", "female") else ""
    return genders


# --- TESS: OAF_back_angry.wav, YAF_youth_ps.wav -------------------------------------------------
_TESS = re.compile(
    r"(OAF|YAF)_([^_]+)_(angry|disgust|fear|happy|neutral|ps|pleasant_surprised?|sad)", re.IGNORECASE
)


def parse_tess(rel: str) -> Parsed | str:
    m = _TESS.fullmatch(_split(rel)[1])
    if m is None:
        return "name does not follow the TESS pattern (e.g. OAF_back_angry.wav, YAF_youth_ps.wav)"
    speaker, _word, code = m.groups()
    return speaker.upper(), "female", TESS_CODES[code.lower()], code


# --- SAVEE: AudioData/DC/a01.wav or flat DC_a01.wav ---------------------------------------------
_SAVEE_FLAT = re.compile(r"(DC|JE|JK|KL)_(sa|su|a|d|f|h|n)(\d\d)")
_SAVEE_NESTED = re.compile(r"(sa|su|a|d|f|h|n)(\d\d)")


def parse_savee(rel: str) -> Parsed | str:
    parent, stem = _split(rel)
    m = _SAVEE_FLAT.fullmatch(stem)
    if m is not None:
        speaker, code, _ = m.groups()
        return speaker, "male", SAVEE_CODES[code], code
    m = _SAVEE_NESTED.fullmatch(stem)
    if m is not None and parent in SAVEE_SPEAKERS:
        return parent, "male", SAVEE_CODES[m.group(1)], m.group(1)
    return "name does not follow the SAVEE pattern (e.g. DC/a01.wav or DC_a01.wav)"


# --- IEMOCAP: Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav -----------------------
_SESSION = re.compile(r"Session\d+")
_IEMOCAP_UTT = re.compile(r"(Ses\d\d)[MF]_.+_([MF])\d+")
_EVAL_LINE = re.compile(r"\[\s*[-+\d.eE]+\s*-\s*[-+\d.eE]+\s*\]\t(\S+)\t(\S+)(?:\t|\s*$)")


def iemocap_sessions(root: str) -> list[str]:
    """Names of the ``Session*`` folders of ``root`` that hold ``dialog/EmoEvaluation`` (sorted)."""
    try:
        with os.scandir(root) as it:
            # like the walk, never through a directory symlink: its utterances would not be listed
            names = sorted(e.name for e in it if _SESSION.fullmatch(e.name) and e.is_dir(follow_symlinks=False))
    except OSError:
        return []
    return [n for n in names if os.path.isdir(os.path.join(root, n, "dialog", "EmoEvaluation"))]


def load_iemocap_labels(root: str) -> dict[str, str]:
    """Utterance name -> IEMOCAP code, from ``Session*/dialog/EmoEvaluation/*.txt`` below ``root``."""
    codes: dict[str, str] = {}
    for session in iemocap_sessions(root):
        folder = os.path.join(root, session, "dialog", "EmoEvaluation")
        try:
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it if e.name.endswith(".txt") and not e.name.startswith("."))
        except OSError as exc:
            raise CorpusError(
                f"{folder}: cannot list the IEMOCAP label folder ({exc.strerror}); check its permissions"
            ) from None
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError as exc:
                if os.path.isdir(path):
                    continue
                raise CorpusError(
                    f"{path}: cannot read IEMOCAP label file ({exc.strerror}); check its permissions"
                ) from None
            for line in text.splitlines():
                m = _EVAL_LINE.match(line)
                if m is not None:
                    codes[m.group(1)] = m.group(2)
    return codes


def make_iemocap_parser(codes: dict[str, str]) -> Parser:
    def parse_iemocap(rel: str) -> Parsed | str:
        parts = rel.split("/")
        if len(parts) >= 3 and _SESSION.fullmatch(parts[0]) and parts[1] == "dialog":
            return "IEMOCAP dialog-level recording, not an utterance (utterances are in Session*/sentences/wav/)"
        if not (len(parts) == 5 and _SESSION.fullmatch(parts[0]) and parts[1:3] == ["sentences", "wav"]):
            return "not an IEMOCAP utterance (expected Session*/sentences/wav/<dialog>/<utterance>.wav)"
        stem = parts[4][: parts[4].rfind(".")]
        m = _IEMOCAP_UTT.fullmatch(stem)
        if m is None:
            return "name does not follow the IEMOCAP pattern (e.g. Ses01F_impro01_M003.wav)"
        session, letter = m.groups()
        code = codes.get(stem, "")
        return session + letter, "male" if letter == "M" else "female", IEMOCAP_CODES.get(code, ""), code

    return parse_iemocap


# --- folder per label: root/<label>/**/*.wav ----------------------------------------------------
def parse_folder(rel: str) -> Parsed | str:
    label_dir, sep, _ = rel.partition("/")
    if not sep:
        return "not inside a label folder (expected <label>/<file>, e.g. angry/x.wav)"
    return "", "", harmonise(label_dir), label_dir


def parse_archive(rel: str) -> Parsed | str:
    return "", "", "", ""


# --- CSV manifest: path,label[,speaker][,gender] ------------------------------------------------
_GENDERS = {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female", "woman": "female", "": ""}


def _read_csv(path: str, what: str) -> list[list[str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            try:
                return list(reader)
            except csv.Error as exc:
                raise CorpusError(
                    f"{path}: line {reader.line_num} of the {what} is not valid CSV ({exc}); fix its quoting"
                ) from None
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: the {what} is not UTF-8 text; save it as UTF-8 CSV") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the {what} ({exc.strerror}); check the path and permissions") from None


def read_manifest(csv_path: str) -> tuple[str, list[tuple[str, str, str, str, str, str]]]:
    """Read a manifest; return ``(base folder, rows)`` with rows ``(id, abs path, speaker, gender, label, code)``.

    Paths are relative to the manifest's folder (absolute ones only if inside it); the check is done on
    the normalised path without resolving symlinks. Raises CorpusError naming the file and row.
    """
    base = os.path.dirname(csv_path)
    rows = _read_csv(csv_path, "manifest")
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise CorpusError(f"{csv_path}: the manifest is empty; write a header 'path,label' and one row per file")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("path", "label") if c not in header]
    if missing:
        raise CorpusError(
            f"{csv_path}: the manifest lacks required column(s) {', '.join(missing)} "
            f"(found: {', '.join(h for h in header if h) or 'none'}); "
            "write a header 'path,label[,speaker][,gender]'"
        )
    col = {name: header.index(name) for name in ("path", "label", "speaker", "gender") if name in header}

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    out: list[tuple[str, str, str, str, str, str]] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):  # n = CSV record number, header = 1
        if not any(c.strip() for c in row):
            continue
        where = f"{csv_path}: row {n}"
        written = cell(row, "path")
        if not written:
            raise CorpusError(f"{where}: the path is empty; give the audio file's path relative to the manifest")
        posix = written.replace("\\", "/")  # manifests written on Windows
        full = os.path.normpath(posix if os.path.isabs(posix) else os.path.join(base, posix))
        if full == base:
            raise CorpusError(f"{where}: path '{written}' names the manifest's folder, not a file; give a file's path")
        if os.path.commonpath([base, full]) != base:
            raise CorpusError(
                f"{where}: path '{written}' points outside the manifest's folder {base}; "
                "move the manifest up or the audio in, so every path stays inside its folder"
            )
        uid = os.path.relpath(full, base).replace(os.sep, "/")
        if uid in seen:
            raise CorpusError(
                f"{where}: path '{written}' is the same file as row {seen[uid]}; list each file once"
            )
        seen[uid] = n
        gender_written = cell(row, "gender")
        gender = _GENDERS.get(gender_written.lower())
        if gender is None:
            raise CorpusError(
                f"{where}: gender '{gender_written}' is not one of male, female, m, f; leave it empty when unknown"
            )
        code = cell(row, "label")
        out.append((uid, full, cell(row, "speaker"), gender, harmonise(code), code))
    if not out:
        raise CorpusError(f"{csv_path}: the manifest lists no files; add one row per audio file")
    return base, out


FILENAME_PARSERS: dict[str, Parser] = {
    "emodb": parse_emodb,
    "ravdess": parse_ravdess,
    "cremad": parse_cremad,
    "tess": parse_tess,
    "savee": parse_savee,
}
