"""discover(): walk an input folder, recognise its corpus layout, list utterances with harmonised labels."""
from __future__ import annotations

import os

from corpora.formats import (
    FILENAME_PARSERS,
    Parser,
    iemocap_sessions,
    load_cremad_genders,
    load_iemocap_labels,
    make_iemocap_parser,
    parse_archive,
    parse_folder,
    read_manifest,
)
from corpora.labels import is_known_label
from corpora.model import AUDIO_EXTENSIONS, FORMATS, Discovery, Utterance
from corpora.walk import walk_audio
from emovox.errors import CorpusError, UsageError

MANIFEST_NAME = "manifest.csv"
# auto: a file-name format wins when it parses at least this share of the audio files.
AUTO_MIN_SHARE = 0.9


def check_root(root: str | os.PathLike, format: str = "auto") -> tuple[str, str, str]:
    """Check ``root`` and ``format`` without walking the folder: ``(format, root as given, absolute path)``.

    The format is "manifest" (and the path the manifest's) when ``root`` is or holds a manifest;
    otherwise as given ("auto" stays "auto"). Raises as ``discover`` does for a bad root or format.
    """
    fmt = _check_format(format)
    given = os.fspath(root)
    if isinstance(given, bytes):
        raise UsageError(f"{given!r}: give the corpus folder as a text path, not bytes")
    abs_root = os.path.abspath(given)

    if os.path.isfile(abs_root):
        if fmt in ("auto", "manifest") and abs_root.lower().endswith(".csv"):
            return "manifest", given, abs_root
        raise CorpusError(
            f"{given}: is a file, not a folder; give the folder that holds the recordings"
            + (" or a .csv manifest" if fmt in ("auto", "manifest") else "")
        )
    if not os.path.isdir(abs_root):
        raise CorpusError(
            f"{given}: no such folder; check the path (a corpus folder, an archive of recordings, "
            "or a .csv manifest)"
        )

    manifest = os.path.join(abs_root, MANIFEST_NAME)
    if fmt == "manifest" or (fmt == "auto" and os.path.isfile(manifest)):
        if not os.path.isfile(manifest):
            raise CorpusError(
                f"{given}: no {MANIFEST_NAME} in this folder; give the manifest's path, or another format"
            )
        return "manifest", given, manifest

    return fmt, given, abs_root


def discover(root: str | os.PathLike, format: str = "auto") -> Discovery:
    """List the utterances of the corpus at ``root``.

    ``format`` is one of :data:`FORMATS`; "auto" detects it: a manifest if ``root`` is a ``.csv`` file
    or holds ``manifest.csv``; IEMOCAP if ``root`` has ``Session*/dialog/EmoEvaluation``; else the
    file-name format (EMO-DB, RAVDESS, CREMA-D, TESS, SAVEE) that parses >= 90 % of the audio files;
    else a folder per label if every file is under a first-level folder and >= 2 of those names are
    known labels; else an unlabelled archive.

    Never opens an audio file. Audio-named entries that the format cannot parse are returned in
    ``Discovery.skipped`` with the reason. Raises UsageError for an unknown format, CorpusError when
    ``root`` is missing, holds no audio, or nothing in it fits the requested format.
    """
    fmt, given, abs_root = check_root(root, format)
    if fmt == "manifest":
        return _discover_manifest(abs_root)

    files, problems = walk_audio(abs_root)
    if not files:
        exts = ", ".join(sorted(AUDIO_EXTENSIONS))
        detail = f" ({len(problems)} problem(s), first: {problems[0][0]}: {problems[0][1]})" if problems else ""
        raise CorpusError(
            f"{given}: no audio files found (looked for {exts}){detail}; "
            "point to the folder that holds the recordings"
        )
    rels = [rel for rel, _ in files]

    parsed: list[object] | None = None
    if fmt == "auto":
        fmt, parsed = _detect(abs_root, rels)
    if parsed is None:
        parsed = [_parser(fmt, abs_root)(rel) for rel in rels]

    genders = load_cremad_genders(abs_root) if fmt == "cremad" else None
    utterances: list[Utterance] = []
    skipped = list(problems)
    for (rel, path), result in zip(files, parsed):
        if isinstance(result, str):
            skipped.append((path, result))
            continue
        speaker, gender, label, code = result
        if genders is not None:
            gender = genders.get(speaker, "")
        utterances.append(Utterance(rel, path, fmt, speaker, gender, label, code))

    if not utterances:
        example = skipped[len(problems)]  # the first file the format rejected
        raise CorpusError(
            f"{given}: none of the {len(files)} audio files fits the '{fmt}' layout "
            f"(e.g. {example[0]}: {example[1]}); use --format auto, or another format"
        )
    # files are sorted by relative path, so utterances are already sorted by id
    skipped.sort()
    return Discovery(fmt, abs_root, tuple(utterances), tuple(skipped))


def _check_format(format: object) -> str:
    fmt = format.strip().lower() if isinstance(format, str) else format
    if fmt not in FORMATS:
        raise UsageError(f"unknown corpus format {format!r}; use one of: {', '.join(FORMATS)}")
    return fmt  # type: ignore[return-value]


def _parser(fmt: str, root: str) -> Parser:
    if fmt in FILENAME_PARSERS:
        return FILENAME_PARSERS[fmt]
    if fmt == "iemocap":
        return make_iemocap_parser(load_iemocap_labels(root))
    if fmt == "folder":
        return parse_folder
    return parse_archive


def _detect(root: str, rels: list[str]) -> tuple[str, list[object] | None]:
    """The format "auto" picks for the audio files ``rels`` below ``root``, with their parse results."""
    if iemocap_sessions(root):
        return "iemocap", None
    best: tuple[int, str, list[object]] | None = None
    for name, parse in FILENAME_PARSERS.items():  # fixed order: ties go to the first
        results = [parse(rel) for rel in rels]
        ok = sum(1 for r in results if not isinstance(r, str))
        if ok >= AUTO_MIN_SHARE * len(rels) and (best is None or ok > best[0]):
            best = (ok, name, results)
    if best is not None:
        return best[1], best[2]
    first_level = {rel.partition("/")[0] for rel in rels if "/" in rel}
    if all("/" in rel for rel in rels) and sum(is_known_label(n) for n in first_level) >= 2:
        return "folder", None
    return "archive", None


def _discover_manifest(csv_path: str) -> Discovery:
    base, rows = read_manifest(csv_path)
    utterances = sorted(
        (Utterance(uid, path, "manifest", speaker, gender, label, code) for uid, path, speaker, gender, label, code in rows),
        key=lambda u: u.id,
    )
    return Discovery("manifest", base, tuple(utterances), ())
