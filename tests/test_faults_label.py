"""Nothing lost (issue 6, the label half): crashed workers, killed runs, bad models and paths, hostile files.

"Equal to a clean run" means: files.{parquet,csv} and segments.{parquet,csv} hold the same rows (every
column but ``run``, the id of the run that wrote a row) as labelling the archive in this process, in one
batch, through ``labelling.worker.label_batch`` and ``labelling.outputs.consolidate``: same paths, no
duplicate rows, same labels and the same probabilities bit for bit.

The commands run with a copy of the shipped default model (so a model rebuilt meanwhile changes nothing
here) and, for the fault runs, one file per Dask task, so that a run is many tasks long and can be hit
in the middle. Errors found before Prefect starts are checked in-process through ``flows._cli.run``
(the command's own entry point) and two of them also as real commands.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import classify
import corpora
from labelling.jobs import SegmenterConfig, file_job
from labelling.model_cache import model_and_extractor
from labelling.model_dir import SHIPPED_MODELS_DIR
from labelling.outputs import PARTS, consolidate
from labelling.worker import label_batch
from tests.conftest import EXAMPLES, run_module
from tests.test_extract_flow import BAD_FILES, GOOD_EXTRA, ONE_SAMPLE, assert_one_line_error, build_broken_archive, describe
from tests.test_faults_extract import (  # noqa: F401  (launch is a fixture)
    POISON_SITECUSTOMIZE,
    REPO_ROOT,
    Run,
    descendants,
    dask_worker_processes,
    launch,
    needs_psutil,
    psutil,
    speechlike,
)

SR = 16000
pytestmark = pytest.mark.skipif(
    not (SHIPPED_MODELS_DIR / "default" / "config.json").is_file(), reason="the shipped default model is not built"
)

#: Recordings of the fault runs: enough one-file tasks for a kill to land mid-run (~0.02 s each).
N_RECORDINGS = 240


# ------------------------------------------------------------------------------------------ helpers


def label_command(archive: Path, out: Path, model: Path, *extra: str) -> tuple[str, ...]:
    return ("flows.label", str(archive), "--model", str(model), "--out", str(out), *extra)


def fault_command(archive: Path, out: Path, model: Path) -> tuple[str, ...]:
    return label_command(archive, out, model, "--workers", "2", "--files-per-batch", "1", "--max-timelines", "2")


def assert_label_success(result) -> str:
    """Exit 0, no traceback; returns the counts of the summary line (``"3 ok, 1 failed, 0 already done"``)."""
    assert result.returncode == 0, describe(result)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, describe(result)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("emovox label: "), describe(result)
    return lines[-1].removeprefix("emovox label: ").split(" (", 1)[0]


def clean_labels(archive: Path, model: Path, out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clean run: every file of the archive labelled in one batch in this process, consolidated."""
    discovery = corpora.discover(str(archive), "archive")
    jobs = [file_job(u.path) for u in discovery.utterances]
    label_batch(str(out), "clean", 0, jobs, str(model), SegmenterConfig(), 30.0)
    return consolidate(out)


def parts_written(out: Path) -> int:
    parts = out / PARTS
    return sum(1 for p in parts.iterdir() if p.name.endswith(".files.parquet")) if parts.is_dir() else 0


def wait_for_parts(run: Run, out: Path, at_least: int, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            raise AssertionError(f"the run ended before {at_least} batches were written\n{describe(run.finish())}")
        try:
            done = parts_written(out)
        except OSError:  # the folder is being created
            done = 0
        if done >= at_least:
            return done
        time.sleep(0.02)
    raise AssertionError(f"fewer than {at_least} batches written after {timeout} s")


def assert_csv_matches(out: Path, name: str, table: pd.DataFrame) -> None:
    """``<name>.csv`` holds the rows of ``<name>.parquet``: same columns, paths, labels, numbers."""
    csv = pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=[""])
    assert list(csv.columns) == list(table.columns), name
    assert csv.path.tolist() == table.path.tolist(), f"{name}.csv rows differ from {name}.parquet"
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c]) and c != "mtime_ns"]
    np.testing.assert_allclose(csv[numeric].to_numpy(float), table[numeric].to_numpy(float), rtol=1e-12,
                               equal_nan=True, err_msg=f"{name}.csv")
    assert (csv.mtime_ns if "mtime_ns" in csv else pd.Series(dtype=int)).tolist() == (
        table.mtime_ns if "mtime_ns" in table else pd.Series(dtype=int)).tolist()
    for column in ("label", "dominant_label", "status"):
        if column in table:
            assert csv[column].fillna("").tolist() == table[column].tolist(), f"{name}.csv {column}"


def assert_same_as_clean(out: Path, clean: tuple[pd.DataFrame, pd.DataFrame], *, check_dtype: bool = True) -> None:
    """files/segments (Parquet and CSV) of ``out`` equal the clean run's, but for the run ids."""
    files, segments = pd.read_parquet(out / "files.parquet"), pd.read_parquet(out / "segments.parquet")
    assert files.path.is_unique, "duplicate files rows"
    assert not segments.duplicated(["path", "segment"]).any(), "duplicate segments rows"
    clean_files, clean_segments = clean
    pd.testing.assert_frame_equal(files.drop(columns="run"), clean_files.drop(columns="run"), check_exact=True,
                                  check_dtype=check_dtype)
    pd.testing.assert_frame_equal(segments.drop(columns="run"), clean_segments.drop(columns="run"), check_exact=True,
                                  check_dtype=check_dtype)
    assert_csv_matches(out, "files", files)
    assert_csv_matches(out, "segments", segments)


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory) -> Path:
    """A copy of the shipped default model: the runs here never see it change under them."""
    model = tmp_path_factory.mktemp("model") / "default"
    shutil.copytree(SHIPPED_MODELS_DIR / "default", model)
    classify.load_model(model)  # verified once
    return model


@pytest.fixture(scope="module")
def reference(tmp_path_factory, model_copy):
    """(archive, clean files and segments) for the fault runs: short recordings of speech and pauses."""
    root = tmp_path_factory.mktemp("faults")
    archive = root / "archive"
    archive.mkdir()
    rng = np.random.default_rng(6)
    for i in range(N_RECORDINGS):
        pause = rng.normal(0, 1e-3, int(SR * (0.3 + 0.1 * (i % 5)))).astype(np.float32)
        speech = speechlike(1.0 + (i % 7) / 4, seed=i)
        sub = archive / f"day{i % 3}"
        sub.mkdir(exist_ok=True)
        sf.write(sub / f"call {i:03d}.wav", np.concatenate([pause, speech, pause[::-1]]), SR, subtype="PCM_16")
    clean = clean_labels(archive, model_copy, root / "clean")
    files, segments = clean
    assert len(files) == N_RECORDINGS and (files.status == "ok").all() and (files.n_segments > 0).all()
    assert len(segments) >= N_RECORDINGS
    return archive, clean


# ------------------------------------------------------------------------ 1. a Dask worker is killed


@pytest.mark.slow
@needs_psutil
def test_killed_worker_loses_nothing(reference, model_copy, launch, tmp_path):
    """SIGKILL one of two workers mid-run: Dask runs its batch again elsewhere (a re-run batch rewrites
    the same part files), the outputs equal a clean run's."""
    archive, clean = reference
    out = tmp_path / "out"
    run = launch(*fault_command(archive, out, model_copy), cwd=tmp_path)
    wait_for_parts(run, out, at_least=4)
    workers = dask_worker_processes(run.proc.pid)
    assert len(workers) == 2, [w.cmdline() for w in workers]
    victim = workers[0]
    victim.kill()
    victim.wait(timeout=30)
    done_at_kill = parts_written(out)
    assert done_at_kill < N_RECORDINGS, "the run had finished before the worker was killed"

    counts = assert_label_success(run.finish())
    assert counts == f"{N_RECORDINGS} ok, 0 failed, 0 already done", counts
    assert parts_written(out) == N_RECORDINGS, "one part per batch, whichever worker wrote it, however often"
    assert_same_as_clean(out, clean)


@pytest.mark.slow
def test_file_that_kills_every_worker_becomes_an_error_row(model_copy, launch, tmp_path):
    """A file whose worker dies every time (segfault, OOM) must not fail the run at every re-run, nor
    cost the other files of its batch: it becomes an error row, its batch mates are labelled."""
    archive = tmp_path / "archive"
    archive.mkdir()
    for i in range(7):
        sf.write(archive / f"a{i}.wav", np.concatenate([np.zeros(4000, np.float32), speechlike(1.0, seed=i)]), SR,
                 subtype="PCM_16")
    sf.write(archive / "poison.wav", speechlike(1.0, seed=9), SR, subtype="PCM_16")  # last: batch 1 with a4..a6
    clean_files, clean_segments = clean_labels(archive, model_copy, tmp_path / "clean")  # no poison in this process
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(POISON_SITECUSTOMIZE)
    out = tmp_path / "out"
    run = launch(
        *label_command(archive, out, model_copy, "--workers", "1", "--files-per-batch", "4", "--max-timelines", "1"),
        cwd=tmp_path, env={
            "PYTHONPATH": f"{site}{os.pathsep}{REPO_ROOT}",
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",  # two deaths, not eight
        },
    )
    counts = assert_label_success(run.finish())
    assert counts == "7 ok, 1 failed, 0 already done", counts
    files, segments = pd.read_parquet(out / "files.parquet"), pd.read_parquet(out / "segments.parquet")
    poison = files[files.path == str(archive / "poison.wav")].iloc[0]
    assert poison.status == "error" and "worker process died" in poison.error, poison.to_dict()
    good = clean_files.path != str(archive / "poison.wav")
    pd.testing.assert_frame_equal(files[good].drop(columns="run").reset_index(drop=True),
                                  clean_files[good].drop(columns="run").reset_index(drop=True), check_exact=True)
    good_segments = clean_segments.path != str(archive / "poison.wav")
    pd.testing.assert_frame_equal(segments.drop(columns="run"),
                                  clean_segments[good_segments].drop(columns="run").reset_index(drop=True), check_exact=True)


# ------------------------------------------------------------------------- 2. the whole run is killed


@pytest.mark.slow
@needs_psutil
def test_killed_run_resumes_to_clean_outputs(reference, model_copy, launch, tmp_path):
    """SIGKILL the command's process group mid-write: only whole batches are on disk; leftovers of a
    batch killed while writing are never read; the same command finishes the job, equal to a clean run."""
    archive, clean = reference
    clean_files, _ = clean
    out = tmp_path / "out"
    command = fault_command(archive, out, model_copy)
    run = launch(*command, cwd=tmp_path)
    wait_for_parts(run, out, at_least=6)
    processes = [psutil.Process(run.proc.pid), *descendants(run.proc.pid)]
    os.killpg(run.proc.pid, signal.SIGKILL)
    run.proc.wait(timeout=30)
    _, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive, f"processes outlived SIGKILL of the group: {[p.pid for p in alive]}"

    # Every part on disk is whole and equals the clean rows of its file.
    parts = out / PARTS
    stems = sorted(p.name[: -len(".files.parquet")] for p in parts.iterdir() if p.name.endswith(".files.parquet"))
    n_done = len(stems)
    assert 0 < n_done < N_RECORDINGS, f"{n_done} batches done: the kill did not land mid-run"
    assert not (out / "files.parquet").exists(), "consolidated before the end"
    by_path = clean_files.set_index("path")
    for stem in stems:
        part = pd.read_parquet(parts / f"{stem}.files.parquet")
        assert len(part) == 1 and (parts / f"{stem}.segments.parquet").is_file(), stem
        expected = by_path.loc[[part.path[0]]].reset_index().drop(columns="run")
        pd.testing.assert_frame_equal(part.drop(columns="run"), expected, check_exact=True)

    # What a kill can leave besides whole parts: a temporary file cut short (never renamed), and a
    # batch's segments part without its files part (killed between the two renames). Plant both,
    # with rows that would show if read: neither may ever count as data.
    run_id = stems[-1].rsplit("-", 1)[0]
    torn = parts / f".{run_id}-999999.files.parquet.0badc0de.tmp"
    torn.write_bytes((parts / f"{stems[0]}.files.parquet").read_bytes()[:100])
    orphan = pd.read_parquet(parts / f"{stems[0]}.segments.parquet")
    orphan["run"], orphan["label"] = "99999999T999999-orphan", "boredom"
    orphan.to_parquet(parts / "99999999T999999-orphan-000000.segments.parquet", index=False)

    counts = assert_label_success(run_sync(launch, command, tmp_path))
    assert counts == f"{N_RECORDINGS - n_done} ok, 0 failed, {n_done} already done", counts
    assert_same_as_clean(out, clean)


def run_sync(launch, command: tuple[str, ...], cwd: Path) -> SimpleNamespace:
    return launch(*command, cwd=cwd).finish()


# ------------------------------------------------------------------- 3. bad parameters, paths, models


def label_cli(*argv: str) -> SimpleNamespace:
    """``python -m flows.label ARGV`` in this process (its entry point, ``_cli.run``): exit code and output."""
    from flows.label.command import run

    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            code = run(list(argv))
        except SystemExit as exit_:  # argparse
            code = exit_.code
    return SimpleNamespace(returncode=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def edited_model(source: Path, target: Path, edit) -> Path:
    """A copy of ``source`` whose config.json went through ``edit(config)``."""
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    edit(config)
    (target / "config.json").write_text(json.dumps(config, indent=1))
    return target


class Touch:
    """Unpickling this creates ``path``: the sign that a pickle from a model directory was executed."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_bad_paths_and_models_fail_in_one_line(model_copy, tmp_path):
    """Every case fails before anything is labelled: one line naming the file and the reason, exit 2, nothing written."""
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(next((EXAMPLES / "ravdess").rglob("*.flac")), archive)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    models = tmp_path / "models"
    models.mkdir()
    claimed_hash = edited_model(model_copy, models / "claimed-hash", lambda c: c["feature_set"].update(hash="0123456789abcdef"))
    real_hash = json.loads((model_copy / "config.json").read_text())["feature_set"]["hash"]
    other_config = edited_model(model_copy, models / "other-config",
                                lambda c: c["feature_set"]["config"].update(n_mfcc=13))
    other_names = edited_model(model_copy, models / "other-names", lambda c: c.update(feature_names=c["feature_names"][:-1]))
    other_set = edited_model(model_copy, models / "other-set", lambda c: c["feature_set"].update(name="mfcc"))
    not_json = edited_model(model_copy, models / "not-json", lambda c: None)
    (not_json / "config.json").write_text('{"format": "emovox-model", ')
    out = tmp_path / "out"
    cases = {  # name: (arguments, what the error line names)
        "missing archive": ((str(tmp_path / "no-such-archive"), "--out", str(out)), ("no-such-archive", "no such folder")),
        "archive is a file": ((str(a_file), "--out", str(out)), (str(a_file), "is a file")),
        "out is a file": ((str(archive), "--out", str(a_file)), (str(a_file), "is a file")),
        "out under a file": ((str(archive), "--out", str(a_file / "labels")), (str(a_file / "labels"), "not a folder")),
        "out nobody can create": ((str(archive), "--out", f"/proc/emovox-{os.getpid()}/labels"), ("/proc/emovox-", "cannot create")),
        "model folder without config": ((str(archive), "--model", str(archive), "--out", str(out)), (str(archive), "no config.json")),
        "config not JSON": ((str(archive), "--model", str(not_json), "--out", str(out)), (str(not_json / "config.json"), "tampered or corrupted")),
        "hash differs from the feature config": ((str(archive), "--model", str(claimed_hash), "--out", str(out)),
                                                 (str(claimed_hash), "0123456789abcdef", real_hash)),
        "feature config differs from the hash": ((str(archive), "--model", str(other_config), "--out", str(out)),
                                                 (str(other_config), real_hash)),
        "feature names not the feature set's": ((str(archive), "--model", str(other_names), "--out", str(out)),
                                                (str(other_names), "feature names")),
        "feature set name not its config's": ((str(archive), "--model", str(other_set), "--out", str(out)),
                                              (str(other_set), "'mfcc'", "'default'")),
        "overlap not below segment length": ((str(archive), "--out", str(out), "--overlap-seconds", "4"), ("--overlap-seconds",)),
        "zero files per batch": ((str(archive), "--out", str(out), "--files-per-batch", "0"), ("--files-per-batch", "0")),
    }
    for name, (args, needles) in cases.items():
        try:
            assert_one_line_error(label_cli(*args), *needles)
        except AssertionError as error:
            raise AssertionError(f"case {name!r} (python -m flows.label {' '.join(args)}): {error}") from None
    assert not out.exists(), "a refused run created the output folder"
    assert a_file.read_text() == "x"


def test_tampered_and_pickled_models_are_refused(model_copy, tmp_path):
    """As real commands: a changed byte in a model file, and a model file holding a pickle with a valid
    checksum, are refused in one line; the pickle is never executed."""
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(next((EXAMPLES / "ravdess").rglob("*.flac")), archive)
    tampered = tmp_path / "tampered"
    shutil.copytree(model_copy, tampered)
    data = bytearray((tampered / "svm.npz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (tampered / "svm.npz").write_bytes(bytes(data))

    marker = tmp_path / "pickle-was-executed"
    pickled = tmp_path / "pickled"
    shutil.copytree(model_copy, pickled)
    with np.load(pickled / "normaliser.npz", allow_pickle=False) as arrays:
        contents = {k: arrays[k] for k in arrays.files}
    np.savez(pickled / "normaliser.npz", **contents, payload=np.array([Touch(marker)], dtype=object))
    config = json.loads((pickled / "config.json").read_text())
    config["files"]["normaliser.npz"] = classify.modeldir.sha256_of(pickled / "normaliser.npz")
    (pickled / "config.json").write_text(json.dumps(config, indent=1))

    out = tmp_path / "out"
    with ThreadPoolExecutor(max_workers=2) as pool:
        tampered_run = pool.submit(run_module, "flows.label", str(archive), "--model", str(tampered), "--out", str(out))
        pickled_run = pool.submit(run_module, "flows.label", str(archive), "--model", str(pickled), "--out", str(out))
        error = assert_one_line_error(tampered_run.result(), str(tampered / "svm.npz"), "tampered or corrupted", "sha256")
        assert tampered_run.result().returncode == 2, error
        error = assert_one_line_error(pickled_run.result(), str(pickled), "tampered or corrupted")
        assert "allow_pickle" in error or "pickle" in error.lower(), error
    assert not marker.exists(), "a pickle in a model directory was executed"
    assert not out.exists()
    # The payload is live: unpickled, it does create the marker (so the check above means something).
    pickle.loads(pickle.dumps(Touch(tmp_path / "live")))
    assert (tmp_path / "live").exists()


def test_loading_a_model_never_unpickles(model_copy, tmp_path, monkeypatch):
    """Pickle files lying in a model directory are ignored, and loading and using the model never calls
    the unpickler (every entry point of the pickle module fails if it is called)."""
    model_dir = tmp_path / "with-pickles"
    shutil.copytree(model_copy, model_dir)
    marker = tmp_path / "pickle-was-executed"
    payload = pickle.dumps(Touch(marker))
    for name in ("model.pkl", "svm.pickle", "estimator.joblib"):
        (model_dir / name).write_bytes(payload)
    np.save(model_dir / "weights.npy", np.array([Touch(marker)], dtype=object), allow_pickle=True)

    def refuse(*args, **kwargs):
        raise AssertionError("a model directory was unpickled")

    import _pickle

    for module in (pickle, _pickle):
        for name in ("load", "loads", "Unpickler"):
            monkeypatch.setattr(module, name, refuse)
    from labelling import model_cache

    monkeypatch.setattr(model_cache, "_loaded", {})
    model, extractor = model_and_extractor(str(model_dir))
    reference_model = classify.load_model(model_copy)
    X = np.random.default_rng(0).normal(size=(5, len(model.feature_names))).astype(np.float32)
    np.testing.assert_array_equal(model.predict_proba(X), reference_model.predict_proba(X))
    assert extractor.feature_names == model.feature_names
    assert not marker.exists(), "a pickle in a model directory was executed"


def test_unexpected_exception_costs_only_its_file(model_copy, tmp_path, monkeypatch):
    """In-process: a file that trips something unforeseen while being labelled (a RuntimeError in a
    kernel, MemoryError on a recording too long for the worker) is that file's error row; the other
    files of its batch are labelled as usual (before, the batch failed, and with it the whole run)."""
    import labelling.worker as worker

    archive = tmp_path / "archive"
    archive.mkdir()
    for i, name in enumerate(("a.wav", "b_runtime.wav", "c.wav", "d_memory.wav")):
        sf.write(archive / name, np.concatenate([np.zeros(4000, np.float32), speechlike(1.5, seed=i)]), SR, subtype="PCM_16")
    clean = clean_labels(archive, model_copy, tmp_path / "clean")
    real_label_file = worker.label_file

    def tripping(path, *args, **kwargs):
        if path.endswith("_runtime.wav"):
            raise RuntimeError("numba kernel:\nunexpected state")
        if path.endswith("_memory.wav"):
            raise MemoryError()
        return real_label_file(path, *args, **kwargs)

    monkeypatch.setattr(worker, "label_file", tripping)
    files, segments = clean_labels(archive, model_copy, tmp_path / "out")  # one batch for all four
    by_name = files.set_index(files.path.map(lambda p: Path(p).name))
    assert list(by_name.status) == ["ok", "error", "ok", "error"], by_name.to_dict()
    assert by_name.loc["b_runtime.wav"].error == "labelling failed: RuntimeError: numba kernel: unexpected state"
    assert by_name.loc["d_memory.wav"].error.startswith("labelling failed: out of memory"), by_name.loc["d_memory.wav"].error
    ok = files.status == "ok"
    pd.testing.assert_frame_equal(files[ok].drop(columns="run").reset_index(drop=True),
                                  clean[0][ok].drop(columns="run").reset_index(drop=True), check_exact=True)
    pd.testing.assert_frame_equal(segments.drop(columns="run"),
                                  clean[1][clean[1].path.isin(files.path[ok])].drop(columns="run").reset_index(drop=True),
                                  check_exact=True)



def test_timelines_are_drawn_by_the_worker_and_a_failing_one_costs_no_labels(model_copy, tmp_path, monkeypatch, caplog):
    """In-process: the files named in ``timelines`` get their PNG as they are labelled; a picture that
    cannot be drawn is a logged warning, and the file's labels are written all the same."""
    import labelling.reports as reports

    archive = tmp_path / "archive"
    archive.mkdir()
    for i, name in enumerate(("a.wav", "b.wav")):
        sf.write(archive / name, np.concatenate([np.zeros(4000, np.float32), speechlike(1.5, seed=i)]), SR, subtype="PCM_16")
    jobs = [file_job(str(archive / name)) for name in ("a.wav", "b.wav")]
    out = tmp_path / "out"
    label_batch(str(out), "run", 0, jobs, str(model_copy), SegmenterConfig(), 30.0, timelines={jobs[0].path})
    assert sorted(p.name for p in (out / "timelines").iterdir()) == ["a.png"]
    assert (out / "timelines" / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(reports, "timeline_png", broken)
    out2 = tmp_path / "out2"
    summary = label_batch(str(out2), "run", 0, jobs, str(model_copy), SegmenterConfig(), 30.0,
                          timelines={j.path for j in jobs})
    assert (summary.n_ok, summary.n_failed) == (2, 0)
    files, _ = consolidate(out2)
    assert list(files.status) == ["ok", "ok"]
    assert not list((out2 / "timelines").glob("*.png"))
    assert "b.wav: no timeline PNG: OSError: disk full" in caplog.text


# ----------------------------------------------------------------------- 4. hostile files in an archive


@pytest.mark.slow
def test_archive_with_broken_files(model_copy, tmp_path):
    """Bad files among good ones: each bad file is an error row naming its cause, the good ones are
    labelled (as labelling them in this process), the run exits 0 with the counts. (That a re-run tries
    only the failed files again: test_label_flow.test_rerun_labels_only_new_and_changed_files.)"""
    archive = tmp_path / "archive"
    build_broken_archive(archive)
    clean = clean_labels(archive, model_copy, tmp_path / "clean")
    out = tmp_path / "out"
    command = label_command(archive, out, model_copy, "--workers", "1", "--files-per-batch", "3")
    result = run_module(*command, cwd=tmp_path)
    good = sorted([p.name for p in (EXAMPLES / "ravdess").rglob("*.flac")] + [GOOD_EXTRA, ONE_SAMPLE])
    counts = assert_label_success(result)
    assert counts == f"{len(good)} ok, {len(BAD_FILES)} failed, 0 already done", counts
    for name in BAD_FILES:  # the run's log names the failures
        assert name in result.stderr or name in result.stdout, f"{name} not named in the run's log\n{describe(result)}"

    files = pd.read_parquet(out / "files.parquet")
    assert sorted(Path(p).name for p in files.path) == sorted([*good, *BAD_FILES]), "exactly the audio-named entries"
    by_name = files.assign(name=[Path(p).name for p in files.path]).set_index("name")
    for name, cause in BAD_FILES.items():
        row = by_name.loc[name]
        assert row.status == "error", (name, row.to_dict())
        assert cause.lower() in row.error.lower(), f"{name}: error {row.error!r} does not name {cause!r}"
        assert "\n" not in row.error and "Traceback" not in row.error, row.error
        assert row.n_segments == 0 and row.dominant_label == "", row.to_dict()
    for name in good:
        assert by_name.loc[name].status == "ok" and by_name.loc[name].error == "", by_name.loc[name].to_dict()
    for flac in (EXAMPLES / "ravdess").rglob("*.flac"):  # speech: labelled segments
        assert by_name.loc[flac.name].n_segments >= 1 and by_name.loc[flac.name].dominant_label, flac.name
    segments = pd.read_parquet(out / "segments.parquet")
    assert set(segments.path) <= set(files.path[files.status == "ok"]), "segments of a failed file"
    assert_same_as_clean(out, clean, check_dtype=False)
    assert "error" in (out / "summary.md").read_text().lower() or "failed" in (out / "summary.md").read_text().lower()
