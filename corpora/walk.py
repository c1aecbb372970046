"""Listing the audio-named entries below a folder: fast, deterministic, safe on hostile trees.

Rules:
- one ``os.scandir`` per folder and nothing else (no open, no stat beyond what scandir gives), so
  100k files take well under a few seconds;
- entries are visited in sorted order; names starting with "." are skipped (``._x.wav`` from macOS,
  ``.git``, ...);
- directory symlinks are never followed (no loops, no escaping the tree);
- an entry whose name has an audio extension is listed whatever it is (a directory called ``x.wav``,
  a broken symlink, a symlink loop, an unreadable file): the decoder records the error per file.
  Such an entry is never descended into;
- a sub-folder that cannot be listed, and a name that is not valid UTF-8 (it could not be stored as
  an id), are reported as problems instead of being lost silently.
"""
from __future__ import annotations

import os

from corpora.model import AUDIO_EXTENSIONS
from emovox.errors import CorpusError


def is_audio_name(name: str) -> bool:
    """True when ``name`` ends with one of :data:`AUDIO_EXTENSIONS` (case-insensitive)."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in AUDIO_EXTENSIONS


def _valid_utf8(name: str) -> bool:
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes arrive as lone surrogates (surrogateescape)
        return False
    return True


def walk_audio(root: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """List the audio-named entries below the folder ``root`` (an absolute path).

    Returns ``(files, problems)``: ``files`` holds ``(relative posix path, absolute path)`` sorted by
    the relative path; ``problems`` holds ``(path, reason)`` for sub-folders that could not be listed
    and names that are not valid UTF-8. Raises CorpusError when ``root`` itself cannot be listed.
    """
    files: list[tuple[str, str]] = []
    problems: list[tuple[str, str]] = []
    # Depth-first with an explicit stack: no recursion limit on deep trees.
    stack: list[tuple[str, str]] = [("", root)]
    while stack:
        rel_dir, abs_dir = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            if not rel_dir:
                raise CorpusError(
                    f"{root}: cannot list the folder ({reason}); check that it exists and is readable"
                ) from None
            problems.append((abs_dir, f"cannot list this folder ({reason}); files in it were not discovered"))
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            rel = rel_dir + name
            abs_path = os.path.join(abs_dir, name)
            if is_audio_name(name):
                if _valid_utf8(name):
                    files.append((rel, abs_path))
                else:
                    problems.append((abs_path, "file name is not valid UTF-8; rename the file"))
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if not is_dir:
                continue
            if _valid_utf8(name):
                subdirs.append((rel + "/", abs_path))
            else:
                problems.append(
                    (abs_path, "folder name is not valid UTF-8; files in it were not discovered; rename the folder")
                )
        stack.extend(reversed(subdirs))
    files.sort()
    return files, problems
