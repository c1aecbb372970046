"""audio_io: decoding any audio file to 16 kHz mono float32, block-wise, with one-line AudioErrors.

Every audio file is generated in tmp_path with soundfile; nothing is committed.
"""
from __future__ import annotations

import errno
import os
import pickle
import struct

import numpy as np
import pytest
import soundfile as sf
import soxr

import audio_io
from audio_io import TARGET_SAMPLING_RATE, AudioError, AudioInfo, iter_blocks, load, probe
from emovox.errors import EmovoxError, UsageError

RNG = np.random.default_rng(20240601)


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def write(path, data, rate, *, format=None, subtype=None, chunk_frames=None) -> str:
    """Write ``data`` with soundfile; ``chunk_frames`` writes in pieces (libsndfile's Vorbis encoder can
    crash on very large single writes)."""
    path = str(path)
    data = np.asarray(data)
    channels = 1 if data.ndim == 1 else data.shape[1]
    with sf.SoundFile(path, "w", rate, channels, subtype=subtype, format=format) as f:
        step = chunk_frames or max(len(data), 1)
        for start in range(0, len(data), step):
            f.write(data[start:start + step])
    return path


def dominant_frequency(x: np.ndarray, rate: int) -> float:
    window = np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x * window))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def mp3_supported(tmp_path) -> str | None:
    """None if this libsndfile build writes and reads MP3, else the reason."""
    if "MP3" not in sf.available_formats():
        return f"libsndfile {sf.__libsndfile_version__} has no MP3 support"
    try:
        p = write(tmp_path / "probe.mp3", sine(440, 0.2, 16000), 16000, format="MP3", subtype="MPEG_LAYER_III")
        sf.info(p)
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot test MP3 here"
        return f"libsndfile {sf.__libsndfile_version__} cannot write MP3: {exc}"
    return None


def assert_audio_error(path, *needles, call=load):
    """``call(path)`` raises AudioError whose reason names the cause; returns the error."""
    with pytest.raises(AudioError) as info:
        result = call(path)
        if not isinstance(result, (np.ndarray, AudioInfo)):
            list(result)  # iter_blocks: errors found while reading surface during iteration
    err = info.value
    assert isinstance(err, EmovoxError)
    assert err.path == os.fsdecode(os.fspath(path))
    assert str(err) == f"{err.path}: {err.reason}"
    assert "\n" not in str(err)
    for needle in needles:
        assert needle in err.reason, f"{needle!r} not in reason {err.reason!r}"
    return err


# ------------------------------------------------------------------------------- formats, lossless


LOSSLESS = [
    ("WAV", "PCM_U8", 1 / 128),
    ("WAV", "PCM_16", 1 / 2**15),
    ("WAV", "PCM_24", 1 / 2**23),
    ("WAV", "PCM_32", 1e-7),
    ("WAV", "FLOAT", 0.0),
    ("WAV", "DOUBLE", 1e-7),
    ("FLAC", "PCM_16", 1 / 2**15),
    ("FLAC", "PCM_24", 1 / 2**23),
    ("AIFF", "PCM_16", 1 / 2**15),
]


@pytest.mark.parametrize("fmt,subtype,quantum", LOSSLESS, ids=[f"{f}-{s}" for f, s, _ in LOSSLESS])
def test_lossless_formats_decode_exactly_at_16k(tmp_path, fmt, subtype, quantum):
    x = (sine(440, 0.5, 16000, 0.6) + RNG.uniform(-0.2, 0.2, 8000)).astype(np.float32)
    path = write(tmp_path / f"a.{fmt.lower()}", x, 16000, format=fmt, subtype=subtype)

    info = probe(path)
    assert info == AudioInfo(path=path, sampling_rate=16000, channels=1, frames=8000, format=fmt, subtype=subtype)
    assert info.duration_seconds == pytest.approx(0.5)

    y = load(path)
    assert y.dtype == np.float32 and y.ndim == 1 and y.shape == (8000,)
    # No resampling needed: exactly the file's samples as libsndfile decodes them ...
    np.testing.assert_array_equal(y, sf.read(path, dtype="float32")[0])
    # ... which are the written signal up to the format's quantisation.
    assert np.max(np.abs(y - x)) <= quantum + 1e-7


def test_pcm_u8_values_are_centred(tmp_path):
    x = np.array([-1.0, -0.5, 0.0, 0.5, 0.9921875], dtype=np.float32)
    path = write(tmp_path / "u8.wav", x, 16000, subtype="PCM_U8")
    np.testing.assert_array_equal(load(path), x)


# ---------------------------------------------------------------------------------- lossy formats


def test_ogg_vorbis(tmp_path):
    x = sine(440, 2.0, 44100, 0.5)
    path = write(tmp_path / "a.ogg", np.stack([x, x], 1), 44100, format="OGG", subtype="VORBIS", chunk_frames=4096)
    info = probe(path)
    assert (info.format, info.subtype, info.channels, info.sampling_rate) == ("OGG", "VORBIS", 2, 44100)
    y = load(path)
    assert y.dtype == np.float32 and abs(len(y) - 32000) <= 2
    assert dominant_frequency(y, 16000) == pytest.approx(440, abs=1.0)
    assert rms(y[1600:-1600]) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_mp3(tmp_path):
    reason = mp3_supported(tmp_path)
    if reason:
        pytest.skip(reason)
    x = sine(1000, 2.0, 48000, 0.5)
    path = write(tmp_path / "a.mp3", np.stack([x, x], 1), 48000, format="MP3", subtype="MPEG_LAYER_III")
    info = probe(path)
    assert (info.format, info.subtype, info.channels, info.sampling_rate) == ("MP3", "MPEG_LAYER_III", 2, 48000)
    y = load(path)
    assert y.dtype == np.float32
    # MP3 frame counts are estimates (encoder delay and padding): allow two MPEG frames either way.
    assert abs(len(y) - 32000) <= 2 * 1152 / 3 + 2
    assert dominant_frequency(y, 16000) == pytest.approx(1000, abs=1.0)
    assert rms(y[3200:-3200]) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    # Block-wise decoding of MP3 gives the same signal (no fuzzy seeking between blocks).
    np.testing.assert_allclose(load(path, block_seconds=0.1), y, rtol=0, atol=1e-5)


# -------------------------------------------------------------------------- rates and resampling


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000, 96000])
def test_any_rate_resamples_to_16k_keeping_frequency_and_amplitude(tmp_path, rate):
    seconds, freq, amp = 1.5, 1000.0, 0.5
    path = write(tmp_path / f"s{rate}.wav", sine(freq, seconds, rate, amp), rate, subtype="FLOAT")
    assert probe(path).sampling_rate == rate
    y = load(path)
    assert y.dtype == np.float32
    assert len(y) == round(seconds * rate * TARGET_SAMPLING_RATE / rate)
    # The same sine, sampled at 16 kHz with the same phase: soxr's delay is compensated.
    expected = sine(freq, seconds, TARGET_SAMPLING_RATE, amp)
    interior = slice(800, -800)  # away from the onset/offset ringing of the filter
    assert np.max(np.abs(y[interior] - expected[interior])) < 1e-3
    assert rms(y[interior]) == pytest.approx(amp / np.sqrt(2), rel=1e-3)
    assert dominant_frequency(y, TARGET_SAMPLING_RATE) == pytest.approx(freq, abs=1.0)


def test_48k_sine_resampled_to_16k_keeps_frequency_and_amplitude(tmp_path):
    path = write(tmp_path / "s.flac", sine(3000, 3.0, 48000, 0.8), 48000, subtype="PCM_24")
    y = load(path)
    assert len(y) == 48000
    assert dominant_frequency(y, 16000) == pytest.approx(3000, abs=0.5)
    peak = np.max(np.abs(y[1600:-1600]))
    assert peak == pytest.approx(0.8, rel=2e-3)
    assert rms(y[1600:-1600]) == pytest.approx(0.8 / np.sqrt(2), rel=1e-3)


def test_content_above_the_new_nyquist_is_removed(tmp_path):
    # 12 kHz is above 8 kHz (Nyquist at 16 kHz): HQ anti-aliasing must remove it, not fold it to 4 kHz.
    x = sine(1000, 1.0, 48000, 0.4) + sine(12000, 1.0, 48000, 0.4)
    y = load(write(tmp_path / "alias.wav", x, 48000, subtype="FLOAT"))
    assert rms(y[800:-800]) == pytest.approx(0.4 / np.sqrt(2), rel=1e-2)
    assert dominant_frequency(y, 16000) == pytest.approx(1000, abs=1.0)


def test_custom_target_rate(tmp_path):
    path = write(tmp_path / "s.wav", sine(440, 1.0, 16000), 16000, subtype="PCM_16")
    y = load(path, sampling_rate=8000)
    assert len(y) == 8000
    assert dominant_frequency(y, 8000) == pytest.approx(440, abs=1.0)


# ------------------------------------------------------------------------------------- channels


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_downmix_is_the_mean_over_channels(tmp_path, channels):
    x = RNG.uniform(-0.9, 0.9, (16000, channels)).astype(np.float32)
    path = write(tmp_path / f"c{channels}.wav", x, 16000, subtype="FLOAT")
    assert probe(path).channels == channels
    y = load(path, block_seconds=0.3)
    assert y.dtype == np.float32 and y.shape == (16000,)
    np.testing.assert_allclose(y, x.astype(np.float64).mean(axis=1), rtol=0, atol=1e-7)


@pytest.mark.parametrize("channels", [2, 6])
def test_downmix_happens_before_resampling(tmp_path, channels):
    x = RNG.uniform(-0.9, 0.9, (44100, channels)).astype(np.float32)
    y = load(write(tmp_path / "c.wav", x, 44100, subtype="FLOAT"))
    reference = soxr.resample(x.mean(axis=1), 44100, 16000, quality="HQ")
    assert len(y) == len(reference) == 16000
    np.testing.assert_allclose(y, reference, rtol=0, atol=1e-5)


def test_opposite_channels_cancel(tmp_path):
    x = sine(440, 0.5, 48000)
    y = load(write(tmp_path / "anti.wav", np.stack([x, -x], 1), 48000, subtype="FLOAT"))
    assert np.max(np.abs(y)) < 1e-6


# ---------------------------------------------------------------------------------- tiny files


def test_one_sample(tmp_path):
    path = write(tmp_path / "one.wav", np.array([0.25], np.float32), 16000, subtype="FLOAT")
    assert probe(path).frames == 1
    np.testing.assert_array_equal(load(path), np.array([0.25], np.float32))
    # At 8 kHz one sample lasts two output samples; at 48 kHz a third of one (soxr rounds to 0).
    assert len(load(write(tmp_path / "one8.wav", np.array([0.25], np.float32), 8000, subtype="FLOAT"))) == 2
    y = load(write(tmp_path / "one48.wav", np.array([0.25], np.float32), 48000, subtype="FLOAT"))
    assert y.dtype == np.float32 and y.shape == (0,)
    assert list(iter_blocks(tmp_path / "one48.wav")) == []


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_ten_milliseconds(tmp_path, rate):
    x = RNG.uniform(-0.5, 0.5, rate // 100).astype(np.float32)
    path = write(tmp_path / "ten.flac", x, rate, subtype="PCM_24")
    assert probe(path).duration_seconds == pytest.approx(0.01)
    y = load(path)
    assert y.dtype == np.float32 and len(y) == 160
    if rate == 16000:
        np.testing.assert_array_equal(y, sf.read(path, dtype="float32")[0])


# ------------------------------------------------------------------------------------- blocking


def test_blocks_without_resampling_equal_the_file_exactly(tmp_path, monkeypatch):
    def no_resampler(*args, **kwargs):
        raise AssertionError("equal rates must pass through without a resampler")

    monkeypatch.setattr(audio_io._decode.soxr, "ResampleStream", no_resampler)
    x = RNG.uniform(-0.8, 0.8, (16000 * 20 + 123, 2)).astype(np.float32)
    path = write(tmp_path / "long.flac", x, 16000, subtype="PCM_24")
    whole = load(path)
    np.testing.assert_array_equal(whole, sf.read(path, dtype="float32")[0].astype(np.float64).mean(axis=1)
                                  .astype(np.float32))
    for block_seconds in (0.0137, 0.5, 3.0, 7.0):
        blocks = list(iter_blocks(path, block_seconds=block_seconds))
        size = round(block_seconds * 16000)
        assert all(len(b) == size for b in blocks[:-1]) and 0 < len(blocks[-1]) <= size
        assert all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
        np.testing.assert_array_equal(np.concatenate(blocks), whole)


@pytest.mark.parametrize("rate", [8000, 44100, 48000])
def test_blocks_with_resampling_match_single_block(tmp_path, rate):
    x = RNG.uniform(-0.8, 0.8, (rate * 12 + 7, 2)).astype(np.float32)
    path = write(tmp_path / "long.wav", x, rate, subtype="FLOAT")
    whole = load(path, block_seconds=60.0)
    assert len(list(iter_blocks(path, block_seconds=60.0))) == 1
    for block_seconds in (0.0123, 0.25, 1.0, 5.0):
        blocks = list(iter_blocks(path, block_seconds=block_seconds))
        size = round(block_seconds * 16000)
        assert all(len(b) == size for b in blocks[:-1]) and 0 < len(blocks[-1]) <= size
        y = np.concatenate(blocks)
        assert len(y) == len(whole)
        np.testing.assert_allclose(y, whole, rtol=0, atol=1e-5)


def test_reads_one_native_block_at_a_time(tmp_path, monkeypatch):
    path = write(tmp_path / "long.wav", RNG.uniform(-0.5, 0.5, (44100 * 10, 2)).astype(np.float32), 44100,
                 subtype="PCM_16")
    requested = []
    real = audio_io._decode._read_into

    def spy(f, buf):
        requested.append(len(buf))
        return real(f, buf)

    monkeypatch.setattr(audio_io._decode, "_read_into", spy)
    blocks = iter_blocks(path, block_seconds=2.0)
    first = next(blocks)
    assert len(first) == 32000
    assert requested == [88200, 88200]  # not the whole file: one block, plus one for soxr's delay
    rest = list(blocks)
    assert sum(map(len, rest)) + len(first) == 160000
    assert max(requested) == 88200 and len(requested) == 6  # 5 blocks + the empty read at the end


def test_unknown_length_flac_decodes_fully(tmp_path):
    # A streamed FLAC leaves STREAMINFO's total-samples field 0 ("unknown"); libsndfile then reports an
    # effectively infinite length, and a seek after each read would fail at the end.
    x = RNG.uniform(-0.5, 0.5, 16000 * 3).astype(np.float32)
    path = write(tmp_path / "stream.flac", x, 16000, subtype="PCM_16")
    expected = sf.read(path, dtype="float32")[0]
    data = bytearray(open(path, "rb").read())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO first
    field = int.from_bytes(data[18:26], "big")
    data[18:26] = (field & ~((1 << 36) - 1)).to_bytes(8, "big")
    open(path, "wb").write(bytes(data))
    info = probe(path)
    assert info.frames == -1 and np.isnan(info.duration_seconds)
    np.testing.assert_array_equal(load(path, block_seconds=0.7), expected)


def test_dropping_a_generator_closes_the_file(tmp_path):
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd to count open descriptors")
    path = write(tmp_path / "a.wav", RNG.uniform(-0.5, 0.5, 48000).astype(np.float32), 48000)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        gen = iter_blocks(path, block_seconds=0.1)
        next(gen)
        gen.close()
        iter_blocks(path)  # never iterated
        try:
            load(tmp_path / "missing.wav")
        except AudioError:
            pass
    import gc
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == before


# -------------------------------------------------------------------------------- hostile input


def test_missing_file(tmp_path):
    err = assert_audio_error(tmp_path / "nope.wav", "no such file")
    assert str(err) == f"{tmp_path / 'nope.wav'}: no such file"
    assert_audio_error(tmp_path / "nope.wav", "no such file", call=probe)
    assert_audio_error(tmp_path / "nope.wav", "no such file", call=iter_blocks)


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    for call in (probe, load, iter_blocks):
        assert_audio_error(path, "empty file (0 bytes)", call=call)


@pytest.mark.parametrize("content", [bytes(RNG.integers(0, 256, 5000, dtype=np.uint8)),
                                     b"this is a text file, not audio\n" * 20],
                         ids=["random-bytes", "text"])
def test_not_audio(tmp_path, content):
    path = tmp_path / "fake.wav"
    path.write_bytes(content)
    err = assert_audio_error(path, "not a recognised audio format (libsndfile: ", call=probe)
    assert "Format not recognised" in err.reason
    assert_audio_error(path, "not a recognised audio format", call=load)


def test_truncated_wav(tmp_path):
    path = write(tmp_path / "cut.wav", RNG.uniform(-0.5, 0.5, (48000, 2)).astype(np.float32), 48000,
                 subtype="PCM_16")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(44 + 4 * 10000 + 2)  # 10000 whole frames plus half a frame
    assert size > os.path.getsize(path)
    for call in (probe, load, iter_blocks):
        assert_audio_error(path, "truncated: the header declares 48000 frames but the file holds 10000", call=call)


TRUNCATABLE = [("cut.wav", "WAV", "FLOAT"), ("cut.wav", "WAV", "ULAW"), ("cut.aiff", "AIFF", "PCM_24"),
               ("cut.aifc", "AIFF", "FLOAT"), ("cut.au", "AU", "PCM_16"), ("cut.rf64", "RF64", "PCM_16"),
               ("cut.wav", "WAVEX", "PCM_16")]


@pytest.mark.parametrize("name,fmt,subtype", TRUNCATABLE, ids=[f"{f}-{s}" for _, f, s in TRUNCATABLE])
def test_truncated_headered_formats(tmp_path, name, fmt, subtype):
    # libsndfile silently shortens these to what the file holds; the header still declares 30000 frames.
    path = write(tmp_path / name, RNG.uniform(-0.5, 0.5, 30000).astype(np.float32), 16000, format=fmt,
                 subtype=subtype)
    assert probe(path).frames == 30000
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    err = assert_audio_error(path, "truncated: the header declares 30000 frames but the file holds ", call=probe)
    held = int(err.reason.rsplit(" ", 1)[1])
    assert 0 < held < 30000 and held == sf.info(path).frames


def test_flac_cut_at_a_frame_boundary_is_truncated(tmp_path):
    # Cut exactly between two FLAC frames, the decoder simply stops early without an error: only the
    # comparison of frames read with the frames STREAMINFO declares can notice.
    path = write(tmp_path / "cut.flac", RNG.uniform(-0.5, 0.5, 16000 * 4).astype(np.float32), 16000,
                 subtype="PCM_16")
    data = open(path, "rb").read()
    syncs = [i for i in range(100, len(data) - 1) if data[i] == 0xFF and data[i + 1] in (0xF8, 0xF9)][:6]
    reasons = []
    for cut in syncs:
        open(path, "wb").write(data[:cut])
        probe(path)  # the header is intact
        reasons.append(assert_audio_error(path, "truncated").reason)
    clean = [r for r in reasons if r.startswith("truncated: the header declares 64000 frames but the file holds ")]
    assert clean, reasons
    assert all(int(r.rsplit(" ", 1)[1]) % 4096 == 0 for r in clean)  # whole FLAC frames of 4096 samples


def test_truncated_flac(tmp_path):
    path = write(tmp_path / "cut.flac", RNG.uniform(-0.5, 0.5, 16000 * 4).astype(np.float32), 16000,
                 subtype="PCM_16")
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) * 6 // 10)
    probe(path)  # FLAC's header is intact: only decoding finds the missing data
    err = assert_audio_error(path, "truncated", "4.000 s the header declares")
    assert "libsndfile: " in err.reason


def test_header_only_wav(tmp_path):
    path = write(tmp_path / "hdr.wav", np.zeros((0, 1), np.float32), 16000, subtype="PCM_16")
    assert os.path.getsize(path) == 44
    for call in (probe, load, iter_blocks):
        assert_audio_error(path, "header only, no audio samples", call=call)


def test_header_only_wav_cut_after_header_is_truncated(tmp_path):
    path = write(tmp_path / "cut.wav", np.zeros(1000, np.float32), 16000, subtype="PCM_16")
    with open(path, "r+b") as f:
        f.truncate(44)
    assert_audio_error(path, "truncated: the header declares 1000 frames but the file holds 0", call=probe)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
def test_non_finite_samples(tmp_path, bad, subtype):
    x = RNG.uniform(-0.5, 0.5, (48000 * 3, 2)).astype(np.float32)
    x[int(48000 * 2.5), 1] = bad
    x[int(48000 * 2.75), 0] = bad
    path = write(tmp_path / "nan.wav", x, 48000, subtype=subtype)
    probe(path)  # the header is fine
    err = assert_audio_error(path, "contains NaN or infinite samples (first at 2.500 s)", call=load)
    assert err.reason == "contains NaN or infinite samples (first at 2.500 s)"
    # Checked in every block: blocks before the bad one are delivered, then the error.
    delivered = []
    with pytest.raises(AudioError, match=r"first at 2\.500 s"):
        for block in iter_blocks(path, block_seconds=1.0):
            delivered.append(block)
    assert len(delivered) >= 1 and all(len(b) == 16000 for b in delivered)


def test_directory_named_like_audio(tmp_path):
    path = tmp_path / "x.wav"
    path.mkdir()
    for call in (probe, load, iter_blocks):
        assert_audio_error(path, "is a directory, not an audio file", call=call)


def test_symlink_loop_and_broken_symlink(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    try:
        os.symlink(b, a)
        os.symlink(a, b)
        os.symlink(tmp_path / "gone.wav", tmp_path / "dangling.wav")
    except (OSError, NotImplementedError) as exc:
        pytest.skip(f"cannot create symbolic links here: {exc}")
    for call in (probe, load):
        assert_audio_error(a, "symbolic link loop", call=call)
        assert_audio_error(tmp_path / "dangling.wav", "broken symbolic link", call=call)
    # A good link is followed.
    good = write(tmp_path / "good.wav", np.ones(10, np.float32) * 0.5, 16000, subtype="FLOAT")
    os.symlink(good, tmp_path / "link.wav")
    np.testing.assert_array_equal(load(tmp_path / "link.wav"), np.full(10, 0.5, np.float32))


def test_unreadable_file(tmp_path):
    path = write(tmp_path / "secret.wav", np.zeros(100, np.float32), 16000)
    os.chmod(path, 0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("chmod 0 does not stop this user from reading (running as root?)")
        for call in (probe, load):
            assert_audio_error(path, "permission denied (cannot read)", call=call)
    finally:
        os.chmod(path, 0o644)


def test_permission_refused_at_open_is_reported(tmp_path, monkeypatch):
    # Runs even as root (where chmod cannot take read access away): the OS refuses the open itself.
    path = write(tmp_path / "acl.wav", np.zeros(100, np.float32), 16000)
    real_open = os.open

    def refuse(p, flags, *args, **kwargs):
        if os.fspath(p) == path:
            raise PermissionError(errno.EACCES, "Permission denied", p)
        return real_open(p, flags, *args, **kwargs)

    monkeypatch.setattr(audio_io._decode.os, "open", refuse)
    for call in (probe, load, iter_blocks):
        assert_audio_error(path, "permission denied (cannot read)", call=call)


def _wav_bytes(channels: int, rate: int, bits: int = 16, data: bytes = b"\0" * 64) -> bytes:
    align = max(channels, 0) * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * align, align, bits)
    body = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def test_unsupported_channel_count_and_rate(tmp_path):
    zero = tmp_path / "zero.wav"
    zero.write_bytes(_wav_bytes(0, 16000))
    assert_audio_error(zero, "unsupported channel count 0", call=probe)
    many = tmp_path / "many.wav"
    many.write_bytes(_wav_bytes(5000, 16000, data=b"\0" * 20000))
    assert_audio_error(many, "unsupported channel count 5000", call=load)
    norate = tmp_path / "norate.wav"
    norate.write_bytes(_wav_bytes(1, 0))
    assert_audio_error(norate, "invalid sampling rate 0 Hz", call=probe)


def test_hand_made_wav_is_accepted(tmp_path):
    # The crafting helper itself makes valid files, so the failures above are about the fields changed.
    path = tmp_path / "ok.wav"
    path.write_bytes(_wav_bytes(2, 16000))
    assert probe(path).frames == 16
    np.testing.assert_array_equal(load(path), np.zeros(16, np.float32))


@pytest.mark.parametrize("size", [0xFFFFFFFF, 0x7FFFFFFF])
def test_streamed_wav_size_placeholder_is_not_truncation(tmp_path, size):
    # Writers streaming to a pipe cannot seek back, and leave a placeholder data size: not a claim.
    samples = RNG.integers(-30000, 30000, 1600).astype("<i2")
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    body = b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", size) + samples.tobytes()
    path = tmp_path / "piped.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + body)
    assert probe(path).frames == 1600
    np.testing.assert_array_equal(load(path), samples / np.float32(32768))


def test_error_pickles_with_path_and_reason(tmp_path):
    err = assert_audio_error(tmp_path / "nope.wav", "no such file")
    copy = pickle.loads(pickle.dumps(err))
    assert isinstance(copy, AudioError)
    assert (copy.path, copy.reason, str(copy)) == (err.path, err.reason, str(err))


def test_bad_arguments_are_usage_errors(tmp_path):
    path = write(tmp_path / "a.wav", np.zeros(100, np.float32), 16000)
    for kwargs in ({"sampling_rate": 0}, {"sampling_rate": 16000.5}, {"block_seconds": 0},
                   {"block_seconds": float("nan")}, {"block_seconds": -1}):
        with pytest.raises(UsageError):
            load(path, **kwargs)
    with pytest.raises(TypeError):
        load(3)  # an int would be taken for a file descriptor by soundfile


# ---------------------------------------------------------------------------------- fast paths


def test_known_length_reads_never_ask_past_the_end(tmp_path, monkeypatch):
    # libsndfile zero-fills every frame requested past the end: a 30 s request for a 1 s file costs
    # more than decoding it. Reads stop at the declared length, plus a 1-frame read to see the end.
    requested = []
    real = audio_io._decode._read_into

    def spy(f, buf):
        requested.append(len(buf))
        return real(f, buf)

    monkeypatch.setattr(audio_io._decode, "_read_into", spy)
    mono16 = write(tmp_path / "m.wav", RNG.uniform(-0.5, 0.5, 16000).astype(np.float32), 16000, subtype="PCM_16")
    assert len(load(mono16)) == 16000 and requested == [16000, 1]
    requested.clear()
    stereo48 = write(tmp_path / "s.flac", RNG.uniform(-0.5, 0.5, (48000, 2)).astype(np.float32), 48000,
                     subtype="PCM_24")
    assert len(load(stereo48)) == 16000 and requested == [48000, 1]
    requested.clear()
    assert len(load(mono16, block_seconds=0.3)) == 16000 and requested == [4800, 4800, 4800, 1600, 1]


PCM16_CONTAINERS = [("WAV", "wav"), ("WAVEX", "wav"), ("RF64", "rf64"), ("W64", "w64"), ("AIFF", "aiff"),
                    ("AU", "au"), ("CAF", "caf"), ("FLAC", "flac")]


@pytest.mark.parametrize("fmt,ext", PCM16_CONTAINERS, ids=[f for f, _ in PCM16_CONTAINERS])
@pytest.mark.parametrize("channels", [1, 2, 3, 4, 6, 8])
def test_pcm16_equals_libsndfile_float_mean_exactly(tmp_path, fmt, ext, channels):
    # 16-bit PCM is read as int16 and converted here: bit for bit what libsndfile's float32 samples,
    # down-mixed in float64, give (full scale and clipping included).
    x = RNG.uniform(-1.2, 1.2, (4000, channels)).astype(np.float32)
    path = write(tmp_path / f"a.{ext}", x, 16000, format=fmt, subtype="PCM_16")
    expected = sf.read(path, dtype="float32", always_2d=True)[0].astype(np.float64).mean(axis=1).astype(np.float32)
    for block_seconds in (30.0, 0.07):
        np.testing.assert_array_equal(load(path, block_seconds=block_seconds), expected)
    if channels <= 2:  # and through the resampler
        reference = soxr.resample(expected, 16000, 8000, quality="HQ")
        np.testing.assert_allclose(load(path, sampling_rate=8000), reference, rtol=0, atol=1e-6)


def test_interleaved_generators_and_threads_keep_their_own_buffers(tmp_path, monkeypatch):
    # Read buffers are reused across files per thread; files decoded in turn in one thread (a generator
    # suspended in the middle of a native block, see the small resampling pieces), or in several threads
    # at once, must not see each other's samples.
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(audio_io._decode, "_RESAMPLE_CHUNK", 777)

    paths = []
    for i, (rate, channels, subtype) in enumerate([(44100, 2, "PCM_16"), (48000, 1, "FLOAT"), (16000, 2, "PCM_16"),
                                                   (22050, 3, "PCM_24"), (16000, 1, "PCM_16")]):
        x = RNG.uniform(-0.8, 0.8, (rate * 2 + i, channels)).astype(np.float32)
        paths.append(write(tmp_path / f"f{i}.wav", x, rate, subtype=subtype))
    expected = [load(p) for p in paths]
    gens = [iter_blocks(p, block_seconds=0.25) for p in paths]
    got = [[] for _ in paths]
    active = set(range(len(paths)))
    while active:
        for i in sorted(active):
            block = next(gens[i], None)
            if block is None:
                active.discard(i)
            else:
                got[i].append(block)
    for e, blocks in zip(expected, got):
        np.testing.assert_array_equal(np.concatenate(blocks), e)
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            for e, y in zip(expected * 4, pool.map(load, paths * 4)):
                np.testing.assert_array_equal(y, e)
