"""A protocol run's report: metrics.json, confusion.png, summary.md, predictions.csv."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from emovox import __version__
from classify.data import LabelledData
from classify.errors import ModelError
from classify.evaluation import FoldOutcome, collect
from classify.metrics import summarise
from classify.normalise import TRANSDUCTIVE_NOTE, make_normaliser
from classify.pipeline import ModelSpec
from classify.protocols import Protocol


def build_metrics(data: LabelledData, outcomes: list[FoldOutcome], protocol: Protocol, spec: ModelSpec,
                  *, test_store: str | None = None, seconds: float | None = None) -> tuple[dict, np.ndarray, np.ndarray]:
    """(metrics dict, probabilities of every row, fold of every row) of a finished run."""
    labels = data.labels
    proba, fold_of_row = collect(data, outcomes)
    tested = fold_of_row >= 0
    y = np.array([labels.index(v) for v in data.y])
    fold_info = [
        {"fold": o.index, "test_speakers": list(o.test_speakers), "n_train": o.n_train,
         "fitted_params": o.fitted_params, "seconds": round(o.seconds, 2)}
        for o in outcomes
    ]
    metrics = summarise(labels, y[tested], proba[tested], fold_of_row[tested], fold_info)
    normaliser = make_normaliser(spec.normalise)
    notes = [TRANSDUCTIVE_NOTE] if normaliser.transductive else []
    if not protocol.speaker_independent:
        notes.append("speaker-dependent protocol: test speakers are also in training")
    ordered = {
        "ua": metrics.pop("ua"), "wa": metrics.pop("wa"), "macro_f1": metrics.pop("macro_f1"),
        "protocol": str(protocol),
        "speaker_independent": protocol.speaker_independent,
        "n_folds": len(outcomes),
        "n_utterances": metrics.pop("n_utterances"),
        "n_speakers": len({g for g in data.groups[tested] if g}),
        **metrics,
        "normalisation": {"kind": spec.normalise, "transductive": normaliser.transductive,
                          **({"note": TRANSDUCTIVE_NOTE} if normaliser.transductive else {})},
        "model": {"kind": spec.kind, "params": spec.params, "class_weight": spec.class_weight,
                  "select_features": spec.select_features, "calibrate": spec.calibrate, "seed": spec.seed,
                  "description": spec.describe()},
        "feature_hash": data.feature_hash,
        "feature_set": data.feature_set,
        "n_features": len(data.feature_names),
        "store": data.store,
        "test_store": test_store,
        "notes": notes,
        "emovox_version": __version__,
        "seconds": None if seconds is None else round(seconds, 1),
    }
    return ordered, proba, fold_of_row


def write_report(out_dir: str | os.PathLike, metrics: dict, data: LabelledData, proba: np.ndarray,
                 fold_of_row: np.ndarray) -> Path:
    out = Path(out_dir).absolute()
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
        plot_confusion(metrics, out / "confusion.png")
        (out / "summary.md").write_text(summary_markdown(metrics))
        tested = fold_of_row >= 0
        labels = metrics["labels"]
        frame = pd.DataFrame({
            "id": data.ids[tested], "speaker": data.groups[tested], "fold": fold_of_row[tested],
            "label": data.y[tested], "predicted": np.array(labels, dtype=object)[np.argmax(proba[tested], axis=1)],
        })
        for j, label in enumerate(labels):
            frame[f"p_{label}"] = np.round(proba[tested, j], 6)
        frame.to_csv(out / "predictions.csv", index=False)
    except (PermissionError, NotADirectoryError, FileExistsError) as error:
        raise ModelError(f"{out}: cannot write the report ({error.strerror or error}); choose another --out") from None
    return out


def plot_confusion(metrics: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = metrics["labels"]
    counts = np.array(metrics["confusion"], dtype=np.float64)
    rows = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 1.0 + 0.75 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    image = ax.imshow(rows, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{100 * rows[i, j]:.0f}\n({int(counts[i, j])})", ha="center", va="center", fontsize=7,
                    color="white" if rows[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{metrics['model']['kind']}, {metrics['protocol']}: UA {100 * metrics['ua']:.1f} %, "
                 f"WA {100 * metrics['wa']:.1f} %", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="row share")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def flatten_params(params: dict, prefix: str = "") -> dict:
    """{"svm": {"C": 1}} -> {"svm.C": 1}."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(flatten_params(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def summary_markdown(m: dict) -> str:
    labels = m["labels"]
    lines = [
        f"# Evaluation: {m['model']['description']}, protocol {m['protocol']}",
        "",
        f"Store `{m['store']}`" + (f", tested on `{m['test_store']}`" if m.get("test_store") else "")
        + f" (feature set {m['feature_set']}, hash {m['feature_hash']}, {m['n_features']} features); "
        f"{m['n_utterances']} utterances, {m['n_speakers']} speakers, {m['n_folds']} folds.",
        "",
        "| metric | pooled (%) | fold mean ± std (%) |",
        "| --- | --- | --- |",
    ]
    for key, name in (("ua", "UA (unweighted average recall)"), ("wa", "WA (accuracy)"), ("macro_f1", "macro-F1")):
        lines.append(f"| {name} | **{_pct(m[key])}** | {_pct(m['fold_mean'][key])} ± {_pct(m['fold_std'][key])} |"
                     if key == "ua" else
                     f"| {name} | {_pct(m[key])} | {_pct(m['fold_mean'][key])} ± {_pct(m['fold_std'][key])} |")
    lines += ["", f"Log loss {m['log_loss']:.3f}, expected calibration error {_pct(m['ece'])} %.", ""]
    for note in m.get("notes", []):
        lines.append(f"**Note:** {note}.")
    if m.get("notes"):
        lines.append("")
    lines += ["## Per class", "", "| class | recall (%) | precision (%) | F1 (%) | n |", "| --- | --- | --- | --- | --- |"]
    for label in labels:
        c = m["per_class"][label]
        lines.append(f"| {label} | {_pct(c['recall'])} | {_pct(c['precision'])} | {_pct(c['f1'])} | {c['support']} |")
    lines += ["", "## Confusion (rows = true, columns = predicted)", "", "![confusion](confusion.png)", "",
              "| true \\ predicted | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    for label, row in zip(labels, m["confusion"]):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    lines += ["", "## Folds", "", "| fold | test speakers | n | UA (%) | WA (%) | macro-F1 (%) | fitted |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for f in m["per_fold"]:
        speakers = ", ".join(f["test_speakers"]) if len(f["test_speakers"]) <= 6 else f"{len(f['test_speakers'])} speakers"
        fitted = ", ".join(f"{k}={v}" for k, v in flatten_params(f["fitted_params"]).items()) or "-"
        lines.append(f"| {f['fold']} | {speakers or '-'} | {f['n']} | {_pct(f['ua'])} | {_pct(f['wa'])} | "
                     f"{_pct(f['macro_f1'])} | {fitted} |")
    lines += ["", f"emovox {m['emovox_version']}, seed {m['model']['seed']}"
              + (f", {m['seconds']} s" if m.get("seconds") is not None else "") + ".", ""]
    return "\n".join(lines)
