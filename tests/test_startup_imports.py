"""What starting a labelling run imports: the label command starts its Dask workers before it
imports Prefect and the kernels; the driver, flow included, never loads what only its workers need
(numba and the kernels, pandas, matplotlib, the model's code: ~1.5 s of CPU on the cores the
workers start on); and a worker that labels with a loaded model never imports scikit-learn or
xgboost (~1 s of CPU in every process of every run, for nothing)."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT


def modules_after(code: str) -> set[str]:
    """Top-level packages imported by a fresh interpreter running ``code``."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_label_command_starts_workers_before_importing_prefect_or_the_kernels():
    loaded = modules_after("import flows.label.command, flows.label.__main__")
    assert not loaded & {"prefect", "numba", "kernels", "pandas", "sklearn"}, loaded & {"prefect", "numba", "kernels", "pandas", "sklearn"}


def test_label_flow_driver_leaves_the_workers_libraries_to_the_workers():
    loaded = modules_after("import flows.label.flow")
    assert "prefect" in loaded, "the flow module did not load: the test is not testing"
    worker_only = {"numba", "kernels", "featuresets", "classify", "pandas", "pyarrow", "matplotlib", "sklearn", "soundfile"}
    assert not loaded & worker_only, loaded & worker_only


def test_labelling_worker_with_a_loaded_model_imports_neither_sklearn_nor_xgboost():
    loaded = modules_after(
        "from labelling.model_cache import model_and_extractor\n"
        "from labelling.model_dir import resolve_model_dir\n"
        "from labelling.worker import warm_up\n"
        "warm_up(resolve_model_dir('default'))\n"
        "model, _ = model_and_extractor(resolve_model_dir('default'))\n"
        "import numpy as np\n"
        "model.predict_proba(np.zeros((2, len(model.feature_names)), dtype=np.float32))"
    )
    assert "numba" in loaded and "kernels" in loaded, "the worker did not load the kernels: the test is not testing"
    assert not loaded & {"sklearn", "xgboost", "prefect"}, loaded & {"sklearn", "xgboost", "prefect"}
