"""End to end: ``python -m flows.extract`` run exactly as a user runs it (a subprocess, a fresh cwd).

Each command costs seconds (Prefect's local API, a Dask cluster), so a few runs each assert many
things. Features written by the workers are compared bit for bit with extracting the same file
alone, in this process, through ``flows._work.extract_file``.
"""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import zarr

import emovox
import features_store
from featuresets import FeatureExtractor, get_feature_set
from flows._work import extract_file

from tests.conftest import EXAMPLES, run_module, shared_corpus

pytestmark = pytest.mark.slow

META_COLUMNS = ["id", "path", "corpus", "speaker", "gender", "label", "label_code", "duration", "status", "error"]
RAVDESS_EXAMPLE_LABELS = {"neutral", "angry", "happy", "sad"}
BLOCK_SECONDS = 30.0  # the command's default --block-seconds


# ------------------------------------------------------------------------------------------ helpers


def nonempty_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def last_line(text: str) -> str:
    lines = nonempty_lines(text)
    assert lines, "expected output, got none"
    return lines[-1]


def describe(result) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def assert_success(result) -> str:
    """Exit 0, no traceback; returns the summary (the last stdout line)."""
    assert result.returncode == 0, describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    summary = last_line(result.stdout)
    assert summary.startswith("emovox extract: "), describe(result)
    return summary


def assert_one_line_error(result, *needles: str, only_line: bool = True) -> str:
    """Non-zero exit, ``error: ...`` as the (last, or only) stderr line naming ``needles``, no traceback."""
    assert result.returncode != 0, describe(result)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, describe(result)
    lines = nonempty_lines(result.stderr)
    assert lines, describe(result)
    if only_line:
        assert len(lines) == 1, f"expected exactly one stderr line\n{describe(result)}"
    error = lines[-1]
    assert error.startswith("error:"), describe(result)
    for needle in needles:
        assert needle in error, f"{needle!r} not in the error line\n{describe(result)}"
    assert "ok," not in result.stdout, describe(result)  # no summary line after an error
    return error


def assert_bitwise_equal(batch: np.ndarray, alone: np.ndarray, what: str) -> None:
    assert batch.dtype == alone.dtype == np.float32, what
    assert batch.shape == alone.shape, what
    if not np.array_equal(batch.view(np.uint32), alone.view(np.uint32)):
        diff = np.flatnonzero(batch.view(np.uint32) != alone.view(np.uint32))
        raise AssertionError(
            f"{what}: {len(diff)} features differ from extracting the file alone "
            f"(first at column {diff[0]}: {batch[diff[0]]!r} vs {alone[diff[0]]!r})"
        )


def file_snapshot(store: Path, *, skip: tuple[str, ...] = ("zarr.json", ".emovox-lock")) -> dict[str, tuple[int, bytes]]:
    """(mtime_ns, bytes) of every file of the store except the top-level ``skip`` entries."""
    snapshot = {}
    for path in sorted(store.rglob("*")):
        rel = path.relative_to(store).as_posix()
        if path.is_file() and rel not in skip:
            snapshot[rel] = (path.stat().st_mtime_ns, path.read_bytes())
    return snapshot


def summary_counts(summary: str) -> str:
    """``"4 ok, 0 failed, 0 already done"`` out of the summary line."""
    head = summary.removeprefix("emovox extract: ")
    return head.split(" (", 1)[0]


@pytest.fixture(scope="module")
def extractor() -> FeatureExtractor:
    return FeatureExtractor(get_feature_set("default"))


def alone(extractor: FeatureExtractor, path: str) -> tuple[np.ndarray, float]:
    return extract_file(extractor, path, block_seconds=BLOCK_SECONDS)


@pytest.fixture(scope="module")
def ravdess_run(tmp_path_factory):
    """``python -m flows.extract examples/ravdess --rows-per-chunk 2`` from a fresh cwd (no --store)."""
    cwd = tmp_path_factory.mktemp("ravdess-run")
    result = run_module("flows.extract", str(EXAMPLES / "ravdess"), "--rows-per-chunk", "2", cwd=cwd, ephemeral=True)
    return cwd, result


# ----------------------------------------------------------------------- 1. the example, default store


def test_example_corpus_into_the_default_store(ravdess_run, extractor):
    cwd, result = ravdess_run
    summary = assert_success(result)
    store_path = cwd / "ravdess.zarr"
    assert store_path.is_dir(), f"no store at ./ravdess.zarr; cwd holds {os.listdir(cwd)}"
    assert summary_counts(summary) == "4 ok, 0 failed, 0 already done", summary
    assert "(ravdess," in summary and str(store_path) in summary, summary

    store = features_store.open(store_path)
    assert store.features.shape == (4, len(extractor.feature_names))
    assert store.features.dtype == np.float32
    assert store.features.chunks == (2, len(extractor.feature_names)), "chunked by rows, whole rows per chunk"
    assert store.feature_names == extractor.feature_names

    meta = store.meta
    assert list(meta.columns) == META_COLUMNS
    assert len(meta) == 4
    assert set(meta.corpus) == {"ravdess"}
    assert meta.speaker.nunique() == 2
    assert set(meta.label) == RAVDESS_EXAMPLE_LABELS
    assert set(meta.status) == {"ok"} and set(meta.error) == {""}
    assert meta.id.is_unique
    expected_files = sorted(str(p) for p in (EXAMPLES / "ravdess").rglob("*.flac"))
    assert sorted(meta.path) == expected_files
    # Gender from the actor number (odd: male), label code from the third field of the file name.
    for row in meta.itertuples():
        actor = int(Path(row.path).parent.name.split("_")[1])
        assert row.gender == ("male" if actor % 2 else "female"), row
        assert row.label_code == Path(row.path).name.split("-")[2], row
        assert row.speaker.lstrip("0") == str(actor), row

    config = get_feature_set("default")
    prov = store.provenance
    for key in ("feature_hash", "feature_config", "emovox_version", "created", "updated"):
        assert prov.get(key), f"provenance lacks {key}: {prov}"
    assert prov["feature_hash"] == config.feature_hash
    assert prov["feature_config"] == config.to_dict()
    assert prov["emovox_version"] == emovox.__version__

    # batch == alone, bit for bit; duration as measured alone.
    features = store.features[:]
    for i, row in enumerate(meta.itertuples()):
        vector, duration = alone(extractor, row.path)
        assert_bitwise_equal(features[i], vector, row.id)
        assert row.duration == pytest.approx(duration, rel=1e-6), row.id
        assert 1.0 < row.duration < 10.0, row


def test_features_do_not_depend_on_workers_or_chunking(ravdess_run, tmp_path):
    """One worker and one file per chunk gives the store of the default run (2 workers, 2 per chunk)."""
    cwd, _ = ravdess_run
    store_path = tmp_path / "one-worker.zarr"
    result = run_module("flows.extract", str(EXAMPLES / "ravdess"), "--store", str(store_path),
                        "--workers", "1", "--rows-per-chunk", "1")
    assert_success(result)
    default_run, one_worker = features_store.open(cwd / "ravdess.zarr"), features_store.open(store_path)
    assert list(one_worker.meta.path) == list(default_run.meta.path)
    assert one_worker.features.chunks[0] == 1 and default_run.features.chunks[0] == 2
    for path, a, b in zip(default_run.meta.path, default_run.features[:], one_worker.features[:]):
        assert_bitwise_equal(a, b, path)


# --------------------------------------------------------------------------------------- 2. resume


def test_resume_redoes_exactly_missing_and_failed_rows(ravdess_run, tmp_path):
    origin, first = ravdess_run
    assert_success(first)
    store_path = tmp_path / "ravdess.zarr"
    shutil.copytree(origin / "ravdess.zarr", store_path)
    command = ("flows.extract", str(EXAMPLES / "ravdess"), "--rows-per-chunk", "2")
    before = features_store.open(store_path)
    features_before = before.features[:]
    durations_before = before.meta.duration.to_numpy()
    assert before.rows_per_chunk == 2 and before.n_rows == 4

    # Same command again: nothing to do, no chunk (nor any meta array) rewritten.
    snapshot = file_snapshot(store_path)
    again = run_module(*command, cwd=tmp_path)
    summary = assert_success(again)
    assert "nothing to do" in summary and "4 files" in summary, summary
    assert file_snapshot(store_path) == snapshot, "a no-op resume rewrote files of the store"

    # Lose features chunk 0 (rows 0, 1) and mark row 3 (chunk 1) failed; row 2 stays ok.
    (store_path / "features" / "c" / "0" / "0").unlink()
    group = zarr.open_group(str(store_path), mode="r+")
    group["meta/status"][3] = 2
    # A sentinel in row 2's duration shows whether the run recomputed that (ok) row.
    group["meta/duration"][2] = np.float32(123.0)
    pending = features_store.open(store_path)
    assert list(pending.meta.status) == ["pending", "pending", "ok", "error"]

    resumed = run_module(*command, cwd=tmp_path)
    summary = assert_success(resumed)
    assert summary_counts(summary) == "3 ok, 0 failed, 1 already done", summary

    after = features_store.open(store_path)
    assert (store_path / "features" / "c" / "0" / "0").is_file()
    assert list(after.meta.status) == ["ok"] * 4
    assert_bitwise_equal(after.features[:].ravel(), features_before.ravel(), "features after resume")
    durations_after = after.meta.duration.to_numpy()
    assert durations_after[2] == np.float32(123.0), "row 2 was ok and must not have been recomputed"
    np.testing.assert_array_equal(durations_after[[0, 1, 3]], durations_before[[0, 1, 3]])


# ---------------------------------------------------------------------- 3. an archive of broken files


GOOD_EXTRA = 'ça va "ok".wav'
ONE_SAMPLE = "one_sample.wav"
#: bad file -> what its error message must name.
BAD_FILES = {
    "empty.wav": "empty",
    "noise.wav": "not a recognised audio format",
    "truncated.wav": "truncated",
    "header_only.wav": "header only",
    "dir.wav": "directory",
    "nan.wav": "NaN",
}


def build_broken_archive(root: Path) -> None:
    """The 4 example FLACs plus broken, odd and good WAVs side by side (an unlabelled archive)."""
    root.mkdir()
    for flac in (EXAMPLES / "ravdess").rglob("*.flac"):
        shutil.copy(flac, root / flac.name)
    rng = np.random.default_rng(1234)
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(16000)).astype(np.float32)

    (root / "empty.wav").write_bytes(b"")
    (root / "noise.wav").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    sf.write(root / "whole.tmp", tone, 16000, subtype="PCM_16", format="WAV")
    whole = (root / "whole.tmp").read_bytes()
    (root / "whole.tmp").unlink()
    (root / "truncated.wav").write_bytes(whole[: len(whole) // 2])  # header still claims 1 s
    sf.write(root / "header_only.wav", np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    (root / "dir.wav").mkdir()
    with_nan = tone.copy()
    with_nan[8000] = np.nan
    sf.write(root / "nan.wav", with_nan, 16000, subtype="FLOAT")
    sf.write(root / GOOD_EXTRA, tone, 16000, subtype="PCM_16")
    sf.write(root / ONE_SAMPLE, tone[:1], 16000, subtype="PCM_16")
    # Not audio, or hidden: never listed.
    (root / "notes.txt").write_text("not audio")
    sf.write(root / "._hidden.wav", tone, 16000, subtype="PCM_16")


def test_archive_with_broken_files(tmp_path, extractor):
    archive = tmp_path / "archive"
    build_broken_archive(archive)
    store_path = tmp_path / "out" / "archive.zarr"
    # 12 rows in chunks of 5: each chunk holds at least one good file (see the xfail test below for
    # a chunk in which every file fails).
    result = run_module(
        "flows.extract", str(archive), "--store", str(store_path), "--workers", "2", "--rows-per-chunk", "5",
        cwd=tmp_path,
    )
    summary = assert_success(result)

    good = sorted([p.name for p in (EXAMPLES / "ravdess").rglob("*.flac")] + [GOOD_EXTRA])
    store = features_store.open(store_path)
    meta = store.meta.set_index("id")
    assert sorted(meta.index) == sorted([*good, ONE_SAMPLE, *BAD_FILES]), "listed exactly the audio-named entries"
    assert set(meta.corpus) == {"archive"}

    n_ok = len(good)
    n_failed = len(BAD_FILES) + 1  # + the one-sample file
    assert summary_counts(summary) == f"{n_ok} ok, {n_failed} failed, 0 already done", summary
    assert "(archive," in summary, summary

    features = store.features[:]
    row_of = {uid: i for i, uid in enumerate(store.meta.id)}
    for name, cause in BAD_FILES.items():
        row = meta.loc[name]
        assert row.status == "error", (name, row.to_dict())
        assert cause in row.error, f"{name}: error {row.error!r} does not name {cause!r}"
        assert "\n" not in row.error and "Traceback" not in row.error, row.error
        assert np.isnan(features[row_of[name]]).all(), f"{name}: an error row must hold NaN features"
        assert np.isnan(row.duration), name

    for name in good:
        row = meta.loc[name]
        assert row.status == "ok" and row.error == "", (name, row.to_dict())
        assert row.path == str(archive / name), "the path survives the store (spaces, quotes, unicode)"
        vector, duration = alone(extractor, row.path)
        assert_bitwise_equal(features[row_of[name]], vector, name)
        assert row.duration == pytest.approx(duration, rel=1e-6), name

    # One sample at 16 kHz is shorter than one analysis frame: an error that says so.
    row = meta.loc[ONE_SAMPLE]
    assert row.status == "error" and "too short" in row.error, row.to_dict()


def test_chunk_where_every_file_fails_reports_errors(tmp_path):
    """In-process (no Prefect): the worker's own code path on a chunk of bad files only."""
    import corpora
    from features_store import plan_pending_chunks, prepare_store
    from flows._work import extract_chunk

    archive = tmp_path / "bad"
    archive.mkdir()
    (archive / "empty.wav").write_bytes(b"")
    (archive / "noise.wav").write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    config = get_feature_set("default")
    store_path = tmp_path / "bad.zarr"
    store = prepare_store(
        store_path, feature_set=config.name, feature_config=config.to_dict(), feature_hash=config.feature_hash,
        feature_names=FeatureExtractor(config).feature_names, rows_per_chunk=2,
    )
    discovery = corpora.discover(str(archive))
    (job,), done = plan_pending_chunks(store, discovery.utterances, source={"root": str(archive), "format": "archive"})
    summary = extract_chunk(str(store_path), job, config.to_dict(), BLOCK_SECONDS)
    assert (summary.n_ok, summary.n_failed) == (0, 2)
    meta = features_store.open(store_path).meta
    assert list(meta.error.str.len() > 0) == [True, True]
    assert list(meta.status) == ["error", "error"]


# ---------------------------------------------------------------------------------- 4. bad input


def test_bad_input_fails_with_one_line(tmp_path):
    """Every bad input at once (the commands run concurrently: most fail before Prefect starts)."""
    corpus = str(EXAMPLES / "ravdess")
    a_file = tmp_path / "not-a-store.zarr"
    a_file.write_text("I am a file")
    missing = tmp_path / "no-such-corpus"
    empty = tmp_path / "silence"  # no audio: found out only by the walk, inside the Prefect flow
    empty.mkdir()
    (empty / "readme.txt").write_text("no audio here")
    cases = {  # name: (arguments, what the error line names, exactly one stderr line?)
        "missing corpus": ((str(missing),), (str(missing), "no such folder"), True),
        "store is a file": ((corpus, "--store", str(a_file)), (str(a_file), "is a file"), True),
        "unknown format": ((corpus, "--format", "wavs"), ("--format", "wavs"), True),
        "unknown feature set": ((corpus, "--feature-set", "nope"), ("--feature-set", "nope"), True),
        "zero workers": ((corpus, "--workers", "0"), ("--workers", "0"), True),
        "workers not a number": ((corpus, "--workers", "two"), ("--workers", "two"), True),
        "no corpus": ((), ("CORPUS_DIR",), True),
        # Prefect logs the failed task and flow run first; the error line must still come last.
        "no audio": ((str(empty), "--store", str(tmp_path / "s.zarr")), ("silence", "no audio files"), False),
    }
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        results = {name: pool.submit(run_module, "flows.extract", *args, cwd=tmp_path) for name, (args, _, _) in cases.items()}
        results = {name: future.result() for name, future in results.items()}
    for name, (args, needles, only_line) in cases.items():
        try:
            assert_one_line_error(results[name], *needles, only_line=only_line)
        except AssertionError as error:
            raise AssertionError(f"case {name!r} (python -m flows.extract {' '.join(args)}): {error}") from None
    assert a_file.read_text() == "I am a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-store.zarr", "silence"], "a failed run left a store"


def test_store_of_another_feature_set_is_refused(tmp_path):
    corpus = str(EXAMPLES / "ravdess")
    store_path = tmp_path / "mfcc.zarr"
    made = run_module("flows.extract", corpus, "--store", str(store_path), "--feature-set", "mfcc", cwd=tmp_path)
    summary = assert_success(made)
    assert summary_counts(summary) == "4 ok, 0 failed, 0 already done", summary
    store = features_store.open(store_path)
    mfcc = get_feature_set("mfcc")
    assert store.feature_set == "mfcc" and store.feature_hash == mfcc.feature_hash
    assert store.feature_names == FeatureExtractor(mfcc).feature_names
    assert np.isfinite(store.features[:]).all()

    snapshot = file_snapshot(store_path, skip=(".emovox-lock",))
    refused = run_module("flows.extract", corpus, "--store", str(store_path), cwd=tmp_path)
    error = assert_one_line_error(refused, str(store_path), "'mfcc'", "'default'", only_line=False)
    assert "mismatch" in error.lower() or "made with" in error, error
    assert file_snapshot(store_path, skip=(".emovox-lock",)) == snapshot, "a refused run changed the store"


# ------------------------------------------------------------------------------ 5. the real corpora


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "n_rows", "n_speakers", "n_labels"),
    [("emodb", 535, 10, 7), ("ravdess", 1440, 24, 8)],
)
def test_shared_corpus(name, n_rows, n_speakers, n_labels, tmp_path, extractor):
    corpus = shared_corpus(name)
    store_path = tmp_path / f"{name}.zarr"
    result = run_module("flows.extract", str(corpus), "--store", str(store_path), "--workers", "2", cwd=tmp_path)
    summary = assert_success(result)
    assert summary_counts(summary) == f"{n_rows} ok, 0 failed, 0 already done", summary
    assert f"({name}," in summary, summary

    store = features_store.open(store_path)
    meta = store.meta
    assert len(meta) == n_rows == store.features.shape[0]
    assert set(meta.status) == {"ok"} and set(meta.error) == {""}
    assert set(meta.corpus) == {name}
    assert meta.speaker.nunique() == n_speakers
    assert meta.label.nunique() == n_labels
    assert meta.id.is_unique
    assert (meta.duration > 0.5).all(), meta.duration.describe()
    features = store.read_features()
    assert features.shape == (n_rows, len(extractor.feature_names))
    assert np.isfinite(features).all()
    for i in (0, n_rows // 2, n_rows - 1):  # a few rows, spread over the chunks
        vector, _ = alone(extractor, meta.path[i])
        assert_bitwise_equal(features[i], vector, meta.id[i])
