"""Decode any audio file libsndfile reads to mono float32 at one sampling rate, block by block.

Every failure that comes from the file (missing, unreadable, not audio, truncated, non-finite samples,
a codec error in the middle) is raised as :class:`emovox.errors.AudioError` whose ``str`` is
``"<path>: <reason>"`` and which carries ``.path`` and ``.reason``. Bad *arguments* (a negative
``block_seconds``...) raise :class:`emovox.errors.UsageError`; ``MemoryError`` and ``KeyboardInterrupt``
pass through untouched.
"""
from __future__ import annotations

import errno
import math
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from emovox.errors import AudioError, UsageError

from audio_io._headers import HeaderFacts, read_header_facts

TARGET_SAMPLING_RATE = 16000
RESAMPLE_QUALITY = "HQ"

# Formats whose frame count libsndfile can only estimate (Xing/LAME tag, last Ogg page): a short read
# there is not evidence of truncation.
_ESTIMATED_LENGTH_FORMATS = frozenset({"OGG", "MP3"})
# libsndfile reports SF_COUNT_MAX when a header leaves the length open (e.g. a streamed FLAC).
_UNKNOWN_FRAMES = 2**62
# Integer encodings cannot hold NaN or infinity; every other subtype is checked block by block.
_INTEGER_SUBTYPE_PREFIXES = ("PCM_", "ULAW", "ALAW", "DPCM_", "DWVW_", "IMA_ADPCM", "MS_ADPCM", "GSM610",
                             "G721", "G723", "VOX_ADPCM", "NMS_ADPCM", "ALAC_")
_LIBSNDFILE_MAX_CHANNELS = 1024
_SF_ERR_UNRECOGNISED_FORMAT = 1
_HEAD_BYTES = 4096  # first read of every file: the readability check and (usually) the whole header
# Uncompressed containers whose PCM_16 samples libsndfile converts to float as exactly sample / 32768:
# reading them as int16 and converting with numpy gives the same float32 values, 3-4x faster than
# libsndfile's own conversion. (FLAC decoding dominates its cost: no gain there.)
_SHORT_READ_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64", "AIFF", "AU", "CAF"})
_PCM16_SCALE = np.float32(1.0 / 32768.0)
# Read buffers that are never handed out are kept per thread for the next file (up to this size): a
# fresh multi-megabyte buffer per file costs a page fault per 4 KB, and Dask workers (which set
# MALLOC_TRIM_THRESHOLD_) return freed memory to the OS at once, so every file would fault afresh.
_SCRATCH_MAX_BYTES = 8 << 20
_scratch = threading.local()
# Native frames down-mixed and fed to soxr at a time. soxr's output does not depend on how its input is
# cut (bit for bit), and pieces this small keep soxr's internal buffers and the temporaries small
# (no fresh pages per file).
_RESAMPLE_CHUNK = 16384


def audio_error(path, reason: str) -> AudioError:
    """``AudioError("<path>: <reason>")`` with ``.path`` and ``.reason`` set (both survive pickling)."""
    path = _display(path)
    err = AudioError(f"{path}: {reason}")
    err.path = path
    err.reason = reason
    return err


@dataclass(frozen=True)
class AudioInfo:
    """What the header of an audio file says.

    ``frames`` is the native frame count the header declares; for MP3 and OGG it is libsndfile's
    estimate, and it is -1 when the header leaves the length open (a streamed FLAC), in which case
    ``duration_seconds`` is NaN.
    """

    path: str
    sampling_rate: int   # native rate, Hz
    channels: int
    frames: int          # native frames as the header declares (-1: unknown)
    format: str          # libsndfile major format: "WAV", "FLAC", "OGG", "MP3", ...
    subtype: str         # libsndfile subtype: "PCM_16", "FLOAT", "VORBIS", "MPEG_LAYER_III", ...

    @property
    def duration_seconds(self) -> float:
        if self.frames < 0:
            return math.nan
        return self.frames / self.sampling_rate


# --------------------------------------------------------------------------------------------- open


def _display(path) -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        return repr(path)


def _check_path_type(path) -> str:
    if isinstance(path, (int, bool)) or not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a str, bytes or os.PathLike, not {type(path).__name__}")
    return os.fspath(path)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a component of the path is not a directory)"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (cannot read)"
    if exc.errno == errno.EISDIR:
        return "is a directory, not an audio file"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return f"cannot open ({exc.strerror or exc})"


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not an audio file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not an audio file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not an audio file"
    return "is not a regular file"


def _stat_checks(path) -> None:
    """Raise AudioError naming why ``path`` is not a readable, non-empty regular file (without opening it).

    One ``stat`` when all is well; ``lstat`` only to explain a failure (a broken symbolic link).
    """
    try:
        st = os.stat(path)
    except ValueError:  # embedded NUL byte
        raise audio_error(path, "invalid path (contains a NUL byte)") from None
    except OSError as exc:
        try:
            lst = os.lstat(path)
        except OSError as lexc:
            raise audio_error(path, _os_reason(lexc)) from None
        if stat.S_ISLNK(lst.st_mode) and exc.errno == errno.ENOENT:
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            raise audio_error(path, f"broken symbolic link (its target {_display(target)!r} does not exist)") from None
        raise audio_error(path, _os_reason(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise audio_error(path, "is a directory, not an audio file")
    if not stat.S_ISREG(st.st_mode):
        raise audio_error(path, _kind_of(st.st_mode))


class _Opened:
    """A libsndfile handle plus the descriptor it reads from; closing closes both, each exactly once."""

    def __init__(self, sfile: sf.SoundFile, fd: int):
        self.sfile = sfile
        self.fd = fd

    def close(self) -> None:
        try:
            if not self.sfile.closed:
                self.sfile.close()
        finally:
            if self.fd >= 0:
                fd, self.fd = self.fd, -1
                os.close(fd)

    def __enter__(self) -> sf.SoundFile:
        return self.sfile

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):  # a generator dropped before its first next()
        try:
            self.close()
        except Exception:
            pass


def _open(path) -> tuple[_Opened, HeaderFacts | None]:
    """Open ``path`` with libsndfile after the OS-level checks; every failure is an AudioError."""
    path = _check_path_type(path)
    _stat_checks(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise audio_error(path, _os_reason(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise audio_error(path, "is a directory, not an audio file")
        if not stat.S_ISREG(st.st_mode):
            raise audio_error(path, _kind_of(st.st_mode))
        if st.st_size == 0:
            raise audio_error(path, "empty file (0 bytes)")
        # The read itself may still be refused (e.g. a file on an unreadable network share). The bytes
        # read serve the header walk, which then needs no further reads for a typical WAV header.
        try:
            head = os.pread(fd, _HEAD_BYTES, 0)
        except OSError as exc:
            raise audio_error(path, _os_reason(exc)) from None
        facts = read_header_facts(fd, st.st_size, head)
        try:
            # closefd=False: libsndfile would close the descriptor on some failures and not on others.
            sfile = sf.SoundFile(fd, mode="r", closefd=False)
        except sf.LibsndfileError as exc:
            raise audio_error(path, _open_failure_reason(exc, facts)) from None
        except (sf.SoundFileError, RuntimeError, OSError, ValueError, TypeError) as exc:
            raise audio_error(path, f"cannot be opened by libsndfile ({_one_line(exc)})") from None
    except BaseException:
        os.close(fd)
        raise
    return _Opened(sfile, fd), facts


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.rstrip(".")


def _libsndfile_message(exc: sf.LibsndfileError) -> str:
    text = " ".join((exc.error_string or str(exc)).split()).rstrip(".")
    return text[len("Error : "):] if text.startswith("Error : ") else text


def _open_failure_reason(exc: sf.LibsndfileError, facts: HeaderFacts | None) -> str:
    msg = _libsndfile_message(exc)
    if facts is not None and facts.channels is not None:
        if facts.channels <= 0 or facts.channels > _LIBSNDFILE_MAX_CHANNELS:
            return f"unsupported channel count {facts.channels} (libsndfile: {msg})"
    if "channel" in msg.lower():
        return f"unsupported channel count (libsndfile: {msg})"
    if facts is not None and facts.sampling_rate is not None and not facts.sampling_rate >= 1:
        return f"invalid sampling rate {facts.sampling_rate:g} Hz in the header (libsndfile: {msg})"
    if exc.code == _SF_ERR_UNRECOGNISED_FORMAT:
        return f"not a recognised audio format (libsndfile: {msg})"
    if facts is not None:
        return f"malformed or unsupported {facts.container} header (libsndfile: {msg})"
    return f"cannot be decoded (libsndfile: {msg})"


def _header_checks(path, f: sf.SoundFile, facts: HeaderFacts | None) -> AudioInfo:
    """Checks that need only the header; returns the AudioInfo."""
    channels = int(f.channels)
    rate = int(f.samplerate)
    if channels < 1:
        raise audio_error(path, f"unsupported channel count {channels}")
    if rate < 1:
        raise audio_error(path, f"invalid sampling rate {rate} Hz in the header")
    frames = int(f.frames)
    if frames >= _UNKNOWN_FRAMES:
        frames = -1
    if facts is not None and facts.declared_frames is not None and 0 <= frames < facts.declared_frames:
        # libsndfile has already shortened the count to what the file holds.
        raise audio_error(path, _truncated(facts.declared_frames, frames))
    if frames == 0 and f.format not in _ESTIMATED_LENGTH_FORMATS:
        raise audio_error(path, "header only, no audio samples")
    return AudioInfo(
        path=_display(path),
        sampling_rate=rate,
        channels=channels,
        frames=frames,
        format=str(f.format),
        subtype=str(f.subtype),
    )


def _truncated(declared: int, held: int) -> str:
    return f"truncated: the header declares {declared} frames but the file holds {held}"


# -------------------------------------------------------------------------------------- public API


def probe(path) -> AudioInfo:
    """Read only the header of ``path``; raise AudioError if it cannot be decoded.

    Detects: missing / unreadable / non-regular / empty files, unknown formats, bad channel counts,
    WAV and AIFF files shorter than their header declares, and header-only files. Samples are not read,
    so NaN/inf and mid-stream codec errors are found only by :func:`iter_blocks`.
    """
    handle, facts = _open(path)
    with handle as f:
        return _header_checks(path, f, facts)


def _validate_args(sampling_rate, block_seconds) -> tuple[int, float]:
    if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, (int, np.integer)) or sampling_rate < 1:
        raise UsageError(f"sampling_rate must be a positive integer number of Hz, got {sampling_rate!r}")
    try:
        block_seconds = float(block_seconds)
    except (TypeError, ValueError):
        raise UsageError(f"block_seconds must be a positive number, got {block_seconds!r}") from None
    if not (math.isfinite(block_seconds) and block_seconds > 0):
        raise UsageError(f"block_seconds must be a positive number, got {block_seconds!r}")
    return int(sampling_rate), block_seconds


def iter_blocks(
    path, *, sampling_rate: int = TARGET_SAMPLING_RATE, block_seconds: float = 30.0
) -> Iterator[np.ndarray]:
    """Yield the mono signal of ``path`` at ``sampling_rate`` as consecutive 1-D float32 blocks.

    Reads ``block_seconds`` of native audio at a time, down-mixes (mean over channels), then resamples
    with a streaming soxr resampler (quality "HQ") when the native rate differs. Output blocks hold
    ``round(block_seconds * sampling_rate)`` samples each, the last one possibly fewer; no block is empty.
    The total length is soxr's ``round(native_frames * sampling_rate / native_rate)`` (it can be 0 for a
    file of a few native samples). Only one block of native audio is held at a time.

    The file is opened and its header checked when this function is called (so a missing or malformed
    file raises here, not at the first ``next``); sample-level errors (NaN/inf, truncation, codec errors)
    are raised during iteration, after the blocks before them were yielded.
    """
    sampling_rate, block_seconds = _validate_args(sampling_rate, block_seconds)
    handle, facts = _open(path)
    try:
        info = _header_checks(path, handle.sfile, facts)
    except BaseException:
        handle.close()
        raise
    return _blocks(handle, info, facts, sampling_rate, block_seconds)


def load(path, *, sampling_rate: int = TARGET_SAMPLING_RATE, block_seconds: float = 30.0) -> np.ndarray:
    """The whole mono signal of ``path`` at ``sampling_rate`` (float32, 1-D): the concatenation of
    :func:`iter_blocks`."""
    blocks = list(iter_blocks(path, sampling_rate=sampling_rate, block_seconds=block_seconds))
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    if len(blocks) == 1:
        return blocks[0]
    return np.concatenate(blocks)


# ---------------------------------------------------------------------------------------- decoding


def _needs_finite_check(subtype: str) -> bool:
    return not subtype.startswith(_INTEGER_SUBTYPE_PREFIXES)


def _downmix(native: np.ndarray) -> np.ndarray:
    """(n, channels) float32 -> (n,) float32 mean over channels, accumulated in float64.

    The value of each output sample depends only on its own frame, so it does not depend on the block size.
    """
    if native.ndim == 1:
        return native
    channels = native.shape[1]
    if channels == 1:
        return native[:, 0]
    acc = native[:, 0].astype(np.float64)
    for c in range(1, channels):
        acc += native[:, c]
    acc /= channels
    return acc.astype(np.float32)


def _borrow_scratch(nbytes: int) -> np.ndarray:
    """A byte buffer of at least ``nbytes``: this thread's cached one if large enough, else a new one.
    Nobody else gets the cached buffer until it is given back (generators may interleave)."""
    cached = getattr(_scratch, "buffer", None)
    if cached is not None and cached.nbytes >= nbytes:
        _scratch.buffer = None
        return cached
    return np.empty(nbytes, dtype=np.uint8)


def _return_scratch(buffer: np.ndarray) -> None:
    if buffer.nbytes <= _SCRATCH_MAX_BYTES:
        cached = getattr(_scratch, "buffer", None)
        if cached is None or cached.nbytes < buffer.nbytes:
            _scratch.buffer = buffer


def _scratch_array(raw: np.ndarray, offset: int, shape, dtype) -> np.ndarray:
    """A C-contiguous array of ``shape``/``dtype`` over ``raw[offset:]`` (offset a multiple of 64)."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    return raw[offset:offset + count * dtype.itemsize].view(dtype).reshape(shape)


def _aligned(nbytes: int) -> int:
    return (nbytes + 63) // 64 * 64


def _pcm16_to_mono(native: np.ndarray, scaled: np.ndarray | None = None) -> np.ndarray:
    """(n,) or (n, channels) int16 -> (n,) float32, exactly the values of :func:`_downmix` applied to
    libsndfile's float32 samples (``sample / 32768``), without float64 temporaries.

    Mono: an exact scaling. A power-of-two channel count (up to 256): the integer sum is exact in float32
    (below 2**23) and the mean is one exact power-of-two scaling of it, so float64 accumulation would give
    the same value. Any other channel count: the float64 mean of :func:`_downmix`. ``scaled``, if given, is
    (n, channels) float32 scratch for the multi-channel case.
    """
    if native.ndim == 1:
        mono = native.astype(np.float32)
        mono *= _PCM16_SCALE
        return mono
    channels = native.shape[1]
    if scaled is None:
        scaled = np.empty(native.shape, dtype=np.float32)
    np.copyto(scaled, native)  # contiguous int16 -> float32: exact, and much faster than per column
    if channels & (channels - 1) or channels > 256:
        scaled *= _PCM16_SCALE
        return _downmix(scaled)
    mono = scaled[:, 0] + scaled[:, 1]  # channels >= 2 here: a 1-channel block is 1-D
    for c in range(2, channels):
        mono += scaled[:, c]
    mono *= np.float32(1.0 / (32768.0 * channels))
    return mono


class _Rebuffer:
    """Re-cut a stream of 1-D arrays into blocks of exactly ``size`` samples (the last may be shorter)."""

    def __init__(self, size: int):
        self.size = size
        self.parts: list[np.ndarray] = []
        self.held = 0

    def push(self, x: np.ndarray) -> Iterator[np.ndarray]:
        if len(x) == 0:
            return
        self.parts.append(x)
        self.held += len(x)
        while self.held >= self.size:
            joined = self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts)
            yield joined[: self.size]
            rest = joined[self.size:]
            self.parts = [rest] if len(rest) else []
            self.held = len(rest)

    def flush(self) -> Iterator[np.ndarray]:
        if self.held:
            yield self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts)
        self.parts, self.held = [], 0


def _blocks(
    handle: _Opened, info: AudioInfo, facts: HeaderFacts | None, sampling_rate: int, block_seconds: float
) -> Iterator[np.ndarray]:
    path = info.path
    native_rate = info.sampling_rate
    channels = info.channels
    check_finite = _needs_finite_check(info.subtype)
    native_block = max(1, round(block_seconds * native_rate))
    out_block = max(1, round(block_seconds * sampling_rate))
    declared = None
    if info.format not in _ESTIMATED_LENGTH_FORMATS and info.frames >= 0:
        declared = info.frames
        if facts is not None and facts.declared_frames is not None:
            declared = max(declared, facts.declared_frames)

    with handle as f:
        resampler = None
        if native_rate != sampling_rate:
            try:
                resampler = soxr.ResampleStream(native_rate, sampling_rate, 1, dtype="float32",
                                                quality=RESAMPLE_QUALITY)
            except MemoryError:
                raise
            except Exception as exc:  # soxr reports bad ratios as ValueError/RuntimeError
                raise audio_error(path, f"cannot resample from {native_rate} Hz to {sampling_rate} Hz "
                                        f"(soxr: {_one_line(exc)})") from None
        rebuffer = _Rebuffer(out_block)
        # When the length is known, never ask for more frames than are left (and for one at the end,
        # to see the end): libsndfile zero-fills every requested frame past the end, and the fresh
        # pages of a 30 s buffer for a 3 s file cost more than decoding the file.
        buffer_frames = native_block if declared is None else max(1, min(native_block, declared))
        shape = (buffer_frames, channels) if channels > 1 else buffer_frames
        # 16-bit PCM is read as int16 and scaled here (the same float32 values, see _SHORT_READ_FORMATS):
        # the scaling makes a fresh array. Mono float32 pass-through yields views of the read buffer, so
        # it needs a fresh one per block. Otherwise the samples are copied out (scaled, down-mixed or
        # resampled) before anything is yielded, and one scratch buffer, kept per thread for the next
        # file, serves every block.
        read_short = info.subtype == "PCM_16" and info.format in _SHORT_READ_FORMATS
        reuse = read_short or channels > 1 or resampler is not None
        sample_type = np.int16 if read_short else np.float32
        raw = whole = scaled = None
        if reuse:
            read_bytes = _aligned(buffer_frames * channels * np.dtype(sample_type).itemsize)
            scaled_bytes = buffer_frames * channels * 4 if read_short and channels > 1 else 0
            raw = _borrow_scratch(read_bytes + scaled_bytes)
            whole = _scratch_array(raw, 0, shape, sample_type)
            if scaled_bytes:
                scaled = _scratch_array(raw, read_bytes, (buffer_frames, channels), np.float32)
        try:
            yield from _decode_loop(f, path, info, declared, native_block, resampler, rebuffer, check_finite,
                                    read_short, whole, scaled)
        finally:
            if raw is not None:
                _return_scratch(raw)


def _decode_loop(f, path, info, declared, native_block, resampler, rebuffer, check_finite, read_short,
                 whole, scaled):
    """The read / check / down-mix / resample loop of :func:`_blocks`; ``whole`` (reused read buffer,
    or None for a fresh one per block) and ``scaled`` (int16 conversion scratch) are owned by the caller."""
    native_rate = info.sampling_rate
    frames_read = 0
    while True:
        want = native_block if declared is None else max(1, min(native_block, declared - frames_read))
        if whole is not None:
            buf = whole[:want]
        else:
            buf = np.empty(want, dtype=np.float32)
        try:
            n, error = _read_into(f, buf)
        except MemoryError:
            raise
        except (sf.SoundFileError, RuntimeError, OSError, ValueError) as exc:
            raise audio_error(path, _read_failure_reason(exc, frames_read, native_rate, declared)) from None
        if error is not None:
            frames_read += n  # frames libsndfile decoded before the failure
            raise audio_error(path, _read_failure_reason(error, frames_read, native_rate, declared))
        if n == 0:
            break
        if check_finite:  # never for integer samples (read_short)
            native = buf[:n]
            finite = np.isfinite(native)
            if not finite.all():
                if finite.ndim == 2:
                    finite = finite.all(axis=1)
                first = frames_read + int(np.argmin(finite))
                raise audio_error(path, f"contains NaN or infinite samples (first at {first / native_rate:.3f} s)")
        frames_read += n
        if resampler is None:
            if read_short:
                mono = _pcm16_to_mono(buf[:n], None if scaled is None else scaled[:n])
            else:
                mono = _downmix(buf[:n])
                if n < len(buf) // 2:
                    mono = mono.copy()  # do not pin a mostly empty block buffer in memory
            yield mono
            continue
        for start in range(0, n, _RESAMPLE_CHUNK):
            stop = min(n, start + _RESAMPLE_CHUNK)
            if read_short:
                mono = _pcm16_to_mono(buf[start:stop], None if scaled is None else scaled[start:stop])
            else:
                mono = _downmix(buf[start:stop])
            try:
                out = resampler.resample_chunk(mono, last=False)
            except MemoryError:
                raise
            except Exception as exc:
                raise audio_error(path, f"resampling failed at {frames_read / native_rate:.3f} s "
                                        f"(soxr: {_one_line(exc)})") from None
            yield from rebuffer.push(out)

    if frames_read == 0:
        raise audio_error(path, "header only, no audio samples")
    if declared is not None and frames_read < declared:
        raise audio_error(path, _truncated(declared, frames_read))
    if resampler is not None:
        try:
            tail = resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        except MemoryError:
            raise
        except Exception as exc:
            raise audio_error(path, f"resampling failed at the end (soxr: {_one_line(exc)})") from None
        yield from rebuffer.push(tail)
        yield from rebuffer.flush()


def _read_into(f: sf.SoundFile, buf: np.ndarray) -> tuple[int, sf.LibsndfileError | None]:
    """Read up to ``len(buf)`` frames into ``buf`` (C-contiguous float32, or int16 for 16-bit PCM); return
    (frames read, libsndfile error or None).

    Calls libsndfile directly through soundfile's cffi handle because ``SoundFile.read`` seeks after every
    read (fatal for FLAC of unknown length, fuzzy for MP3), clamps reads to the (estimated) frame count,
    and discards the frames decoded before an error. Falls back to the public API if soundfile changes.
    """
    lib = getattr(sf, "_snd", None)
    ffi = getattr(sf, "_ffi", None)
    handle = getattr(f, "_file", None)
    if lib is None or ffi is None or handle is None:  # pragma: no cover - other soundfile versions
        try:
            return len(f.read(out=buf)), None
        except sf.LibsndfileError as exc:
            return 0, exc
    address = buf.__array_interface__["data"][0]
    if buf.dtype == np.int16:
        n = int(lib.sf_readf_short(handle, ffi.cast("short *", address), len(buf)))
    else:
        n = int(lib.sf_readf_float(handle, ffi.cast("float *", address), len(buf)))
    code = int(lib.sf_error(handle))
    if code != 0:
        return max(n, 0), sf.LibsndfileError(code)
    if n < 0:  # pragma: no cover - libsndfile never returns a negative count without an error code
        return 0, sf.LibsndfileError(code, "negative frame count from sf_readf_*")
    return n, None


def _read_failure_reason(exc: Exception, frames_read: int, native_rate: int, declared: int | None) -> str:
    msg = _libsndfile_message(exc) if isinstance(exc, sf.LibsndfileError) else _one_line(exc)
    at = f"{frames_read / native_rate:.3f} s"
    if declared is not None and frames_read < declared:
        return (f"truncated or corrupt: decoding failed at {at} of the {declared / native_rate:.3f} s "
                f"the header declares (libsndfile: {msg})")
    return f"decoding failed at {at} (libsndfile: {msg})"
