"""What a WAV / RF64 / AIFF header *declares*, read independently of libsndfile.

libsndfile silently shortens the frame count of a WAV or AIFF file whose data chunk claims more bytes
than the file holds, so its ``frames`` cannot reveal truncation. This module walks the chunk headers
itself (a few small reads, never the audio data) and reports the declared channel count, sampling rate
and exact frame count. Anything it does not understand yields ``None`` fields: it is a diagnostic aid,
never the decoder, and it never raises.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

_MAX_CHUNKS = 4096  # a header with more chunks than this before 'data' is not worth walking

# WAVE format tags whose block_align is exactly one frame (so frames = data bytes // block_align).
_WAV_FRAME_ALIGNED_TAGS = {0x0001, 0x0003, 0x0006, 0x0007}  # PCM, IEEE float, A-law, mu-law
_WAV_EXTENSIBLE = 0xFFFE
# Data sizes that writers streaming to a pipe leave in place of the real one: "unknown", not a claim.
_WAV_SIZE_PLACEHOLDERS = {None, 0, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF}
# AIFC compression types that store one frame per block of channels * sample size.
# Sun/NeXT AU encodings with a fixed number of bytes per sample.
_AU_BYTES_PER_SAMPLE = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 4, 7: 8, 27: 1}
_AIFC_UNCOMPRESSED = {b"NONE", b"sowt", b"twos", b"raw ", b"fl32", b"FL32", b"fl64", b"FL64", b"in24", b"in32"}


@dataclass(frozen=True)
class HeaderFacts:
    container: str                 # "RIFF", "RF64", "AIFF", "AIFC" or "AU"
    channels: int | None
    sampling_rate: float | None
    declared_frames: int | None    # exact frame count the header declares; None when unknown or not exact


class _Source:
    """``pread`` on a descriptor, served from the file's first bytes when the caller already read them
    (a typical WAV header lies entirely within them: one system call instead of one per chunk)."""

    __slots__ = ("fd", "head")

    def __init__(self, fd: int, head: bytes):
        self.fd = fd
        self.head = head

    def pread(self, size: int, offset: int) -> bytes:
        if offset + size <= len(self.head):
            return self.head[offset:offset + size]
        return os.pread(self.fd, size, offset)


def read_header_facts(fd: int, file_size: int, head: bytes = b"") -> HeaderFacts | None:
    """Declared facts of a RIFF/RF64 WAVE or AIFF/AIFC header at the start of ``fd``, else ``None``.

    ``head``, if given, must be the first ``len(head)`` bytes of the file; they are not read again.
    """
    src = _Source(fd, head)
    try:
        start = src.pread(12, 0)
        if len(start) < 12:
            return None
        if start[:4] in (b"RIFF", b"RF64", b"BW64") and start[8:12] == b"WAVE":
            return _wave(src, file_size, "RIFF" if start[:4] == b"RIFF" else "RF64")
        if start[:4] == b"FORM" and start[8:12] in (b"AIFF", b"AIFC"):
            return _aiff(src, file_size, start[8:12].decode("ascii"))
        if start[:4] == b".snd":
            return _au(src)
    except (OSError, struct.error, ValueError, OverflowError):
        return None
    return None


def _wave(src: _Source, file_size: int, container: str) -> HeaderFacts:
    channels = rate = block_align = tag = bits = None
    ds64_data_size = None
    data_size = None
    offset = 12
    for _ in range(_MAX_CHUNKS):
        if offset + 8 > file_size:
            break
        hdr = src.pread(8, offset)
        if len(hdr) < 8:
            break
        cid, size = hdr[:4], struct.unpack("<I", hdr[4:])[0]
        if cid == b"ds64":
            body = src.pread(24, offset + 8)
            if len(body) >= 16:
                ds64_data_size = struct.unpack("<Q", body[8:16])[0]
        elif cid == b"fmt ":
            body = src.pread(min(size, 40), offset + 8)
            if len(body) >= 16:
                tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == _WAV_EXTENSIBLE and len(body) >= 26:
                    tag = struct.unpack("<H", body[24:26])[0]  # first two bytes of the SubFormat GUID
        elif cid == b"data":
            data_size = size
            if container == "RF64" and size == 0xFFFFFFFF:
                data_size = ds64_data_size
            break
        offset += 8 + size + (size & 1)

    declared = None
    if (
        data_size not in _WAV_SIZE_PLACEHOLDERS
        and tag in _WAV_FRAME_ALIGNED_TAGS
        and block_align
        and block_align == channels * ((bits + 7) // 8)  # an inconsistent header: let libsndfile decide
    ):
        declared = data_size // block_align
    return HeaderFacts(container, channels, float(rate) if rate is not None else None, declared)


def _extended_to_float(b: bytes) -> float:
    """80-bit IEEE 754 extended (big-endian), as AIFF stores its sampling rate."""
    exponent = ((b[0] << 8) | b[1]) & 0x7FFF
    mantissa = int.from_bytes(b[2:10], "big")
    if exponent == 0 and mantissa == 0:
        return 0.0
    return float(mantissa) * 2.0 ** (exponent - 16383 - 63)


def _aiff(src: _Source, file_size: int, container: str) -> HeaderFacts:
    offset = 12
    for _ in range(_MAX_CHUNKS):
        if offset + 8 > file_size:
            break
        hdr = src.pread(8, offset)
        if len(hdr) < 8:
            break
        cid, size = hdr[:4], struct.unpack(">I", hdr[4:])[0]
        if cid == b"COMM":
            body = src.pread(min(size, 22), offset + 8)
            if len(body) < 18:
                return HeaderFacts(container, None, None, None)
            channels, frames, _bits = struct.unpack(">hIh", body[:8])
            rate = _extended_to_float(body[8:18])
            exact = container == "AIFF" or (len(body) >= 22 and body[18:22] in _AIFC_UNCOMPRESSED)
            return HeaderFacts(container, channels, rate, frames if exact else None)
        offset += 8 + size + (size & 1)
    return HeaderFacts(container, None, None, None)


def _au(src: _Source) -> HeaderFacts:
    body = src.pread(24, 0)
    if len(body) < 24:
        return HeaderFacts("AU", None, None, None)
    _offset, data_size, encoding, rate, channels = struct.unpack(">IIIII", body[4:24])
    declared = None
    width = _AU_BYTES_PER_SAMPLE.get(encoding)
    if width and channels and data_size != 0xFFFFFFFF:  # all ones: "size unknown"
        declared = data_size // (width * channels)
    return HeaderFacts("AU", channels, float(rate), declared)
