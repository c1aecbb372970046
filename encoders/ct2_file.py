"""Reading and rewriting CTranslate2's ``model.bin``: the variable index, and copies without some variables.

The format (``ctranslate2/specs/model_spec.py: ModelSpec._serialize``, binary version 6), all
little-endian: ``uint32`` binary version; the spec name (a string: ``uint16`` length including a
trailing NUL, the UTF-8 bytes, the NUL); ``uint32`` spec revision; ``uint32`` number of variables,
each a name, ``uint8`` rank, ``rank`` x ``uint32`` dimensions, ``uint8`` dtype id, ``uint32`` byte
count and the bytes; ``uint32`` number of aliases, each two strings (alias, target variable).
Variables are named by scope, e.g. ``encoder/layer_3/ffn/linear_0/weight``; CTranslate2 builds as
many encoder layers as there are ``encoder/layer_N`` scopes, counting from 0.
"""
from __future__ import annotations

import hashlib
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: Binary versions this reader understands (CTranslate2 >= 3 writes 6).
SUPPORTED_BINARY_VERSIONS = (5, 6)
DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_COPY_BYTES = 1 << 22


class ModelFileError(ValueError):
    """``model.bin`` is not a CTranslate2 model file this reader understands."""


@dataclass(frozen=True)
class Variable:
    """One variable of ``model.bin``: name, shape, dtype and where its bytes are (offset, length)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    offset: int
    n_bytes: int


@dataclass(frozen=True)
class ModelIndex:
    """The header of ``model.bin`` without the weights: ``variables`` in file order, ``aliases`` (alias -> target)."""

    binary_version: int
    spec_name: str
    revision: int
    variables: tuple[Variable, ...]
    aliases: tuple[tuple[str, str], ...]

    def variable(self, name: str) -> Variable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        target = dict(self.aliases).get(name)
        if target is not None:
            return self.variable(target)
        raise KeyError(name)

    def layer_count(self, stack: str = "encoder") -> int:
        """Layers of ``stack`` (``encoder`` or ``decoder``): the ``{stack}/layer_N`` scopes, N = 0, 1, ..."""
        pattern = re.compile(rf"^{re.escape(stack)}/layer_(\d+)/")
        found = {int(m.group(1)) for v in self.variables if (m := pattern.match(v.name))}
        found |= {int(m.group(1)) for alias, _ in self.aliases if (m := pattern.match(alias))}
        n = 0
        while n in found:
            n += 1
        return n


def _read_exact(handle: BinaryIO, n: int) -> bytes:
    data = handle.read(n)
    if len(data) != n:
        raise ModelFileError("truncated")
    return data


def _read_string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<H", _read_exact(handle, 2))
    raw = _read_exact(handle, length)
    return raw[:-1].decode("utf-8")


def _write_string(handle: BinaryIO, text: str) -> None:
    raw = text.encode("utf-8")
    handle.write(struct.pack("<H", len(raw) + 1))
    handle.write(raw + b"\0")


def read_index(path: str | os.PathLike) -> ModelIndex:
    """The variable index of ``path`` (a ``model.bin``); ModelFileError if it is not one."""
    with open(path, "rb") as handle:
        try:
            (version,) = struct.unpack("<I", _read_exact(handle, 4))
            if version not in SUPPORTED_BINARY_VERSIONS:
                raise ModelFileError(f"binary version {version}, expected one of {SUPPORTED_BINARY_VERSIONS}")
            spec_name = _read_string(handle)
            (revision,) = struct.unpack("<I", _read_exact(handle, 4))
            (n_variables,) = struct.unpack("<I", _read_exact(handle, 4))
            variables = []
            for _ in range(n_variables):
                name = _read_string(handle)
                (rank,) = struct.unpack("<B", _read_exact(handle, 1))
                shape = struct.unpack(f"<{rank}I", _read_exact(handle, 4 * rank)) if rank else ()
                (dtype_id,) = struct.unpack("<B", _read_exact(handle, 1))
                (n_bytes,) = struct.unpack("<I", _read_exact(handle, 4))
                offset = handle.tell()
                handle.seek(n_bytes, os.SEEK_CUR)
                variables.append(Variable(name, tuple(shape), DTYPES[dtype_id] if dtype_id < len(DTYPES) else "?",
                                          offset, n_bytes))
            (n_aliases,) = struct.unpack("<I", _read_exact(handle, 4))
            aliases = tuple((_read_string(handle), _read_string(handle)) for _ in range(n_aliases))
        except (struct.error, UnicodeDecodeError) as error:
            raise ModelFileError(f"unreadable header ({error})") from None
        if handle.tell() > os.fstat(handle.fileno()).st_size:
            raise ModelFileError("truncated")
    return ModelIndex(version, spec_name, revision, tuple(variables), aliases)


def write_without(source: str | os.PathLike, target: str | os.PathLike, index: ModelIndex, drop) -> None:
    """Copy ``source`` to ``target`` leaving out every variable and alias whose name ``drop(name)`` is
    true (and aliases whose target is left out); the bytes of the rest are copied unchanged."""
    kept = [v for v in index.variables if not drop(v.name)]
    kept_names = {v.name for v in kept}
    aliases = [(a, t) for a, t in index.aliases if not drop(a) and t in kept_names]
    with open(source, "rb") as src, open(target, "wb") as out:
        out.write(struct.pack("<I", index.binary_version))
        _write_string(out, index.spec_name)
        out.write(struct.pack("<I", index.revision))
        out.write(struct.pack("<I", len(kept)))
        for variable in kept:
            _write_string(out, variable.name)
            out.write(struct.pack("<B", len(variable.shape)))
            for dim in variable.shape:
                out.write(struct.pack("<I", dim))
            out.write(struct.pack("<B", DTYPES.index(variable.dtype)))
            out.write(struct.pack("<I", variable.n_bytes))
            src.seek(variable.offset)
            left = variable.n_bytes
            while left:
                chunk = src.read(min(left, _COPY_BYTES))
                if not chunk:
                    raise ModelFileError(f"{source}: truncated in {variable.name}")
                out.write(chunk)
                left -= len(chunk)
        out.write(struct.pack("<I", len(aliases)))
        for alias, target_name in aliases:
            _write_string(out, alias)
            _write_string(out, target_name)


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 4 MiB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_COPY_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


_checksums: dict[tuple[str, int, int], str] = {}


def cached_sha256(path: str | os.PathLike) -> str:
    """``sha256_of(path)``, remembered per process by (path, size, modification time)."""
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key not in _checksums:
        _checksums[key] = sha256_of(path)
    return _checksums[key]
