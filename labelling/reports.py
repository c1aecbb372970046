"""Pictures and tables a person reads: an emotion timeline per file, label shares per archive."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

#: One colour per harmonised label, stable across reports; other labels cycle through the rest.
LABEL_COLOURS = {
    "neutral": "#9e9e9e", "calm": "#80cbc4", "happy": "#fdd835", "sad": "#1e88e5", "angry": "#e53935",
    "fearful": "#8e24aa", "disgust": "#43a047", "surprised": "#fb8c00", "boredom": "#6d4c41",
}


def colour(label: str) -> str:
    return LABEL_COLOURS.get(label, f"C{abs(hash(label)) % 10}")


def timeline_png(segments: pd.DataFrame, labels: Sequence[str], duration: float, title: str, out: str | os.PathLike) -> None:
    """Emotion timeline of one file: a band of segment labels, and each label's probability over time.

    ``segments`` has columns start, end, label and ``p_<label>`` for every label (one file's rows).
    """
    fig, (band, probs) = plt.subplots(2, 1, figsize=(10, 3.6), sharex=True, gridspec_kw={"height_ratios": [1, 3]})
    for row in segments.itertuples():
        band.axvspan(row.start, row.end, color=colour(row.label), alpha=0.9, lw=0)
    band.set_yticks([])
    band.set_title(title, fontsize=9, loc="left")
    mids = ((segments.start + segments.end) / 2).to_numpy()
    for label in labels:
        if len(mids):
            probs.plot(mids, segments[f"p_{label}"].to_numpy(), marker=".", lw=1, color=colour(label), label=label)
    probs.set_ylim(0, 1)
    probs.set_xlim(0, max(duration, 1e-3))
    probs.set_xlabel("time (s); gaps are non-speech")
    probs.set_ylabel("probability")
    probs.legend(ncol=min(len(labels), 5), fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def label_shares(files: pd.DataFrame, labels: Sequence[str]) -> pd.Series:
    """Share of speech time per label over the archive (weights: each file's speech duration)."""
    ok = files[files.status == "ok"]
    weights = ok.speech_duration.to_numpy(dtype=float)
    shares = {label: float(np.nansum(ok[f"share_{label}"].to_numpy(dtype=float) * weights)) for label in labels}
    total = sum(shares.values())
    return pd.Series({k: (v / total if total > 0 else 0.0) for k, v in shares.items()}, name="share")


def archive_summary(files: pd.DataFrame, labels: Sequence[str], out_dir: str | os.PathLike) -> str:
    """Write summary.md and label_shares.png for the archive; return the Markdown."""
    out_dir = Path(out_dir)
    shares = label_shares(files, labels)
    ok = files[files.status == "ok"]
    dominant = ok.dominant_label.replace("", "(no speech)").value_counts()

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.barh(list(shares.index)[::-1], list(shares.values)[::-1], color=[colour(l) for l in shares.index][::-1])
    ax.set_xlabel("share of speech time")
    ax.set_xlim(0, 1)
    ax.set_title(f"{len(ok)} files, {ok.speech_duration.sum() / 3600:.2f} h of speech", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_dir / "label_shares.png", dpi=110)
    plt.close(fig)

    lines = [
        "# Labelling summary",
        "",
        f"- files: {len(files)} ({len(ok)} ok, {int((files.status == 'error').sum())} failed)",
        f"- audio: {files.duration.sum() / 3600:.2f} h, speech: {ok.speech_duration.sum() / 3600:.2f} h",
        "",
        "| label | share of speech time | files where dominant |",
        "| --- | ---: | ---: |",
    ]
    for label in labels:
        lines.append(f"| {label} | {100 * shares[label]:.1f} % | {int(dominant.get(label, 0))} |")
    if "(no speech)" in dominant:
        lines.append(f"| (no speech) | | {int(dominant['(no speech)'])} |")
    failed = files[files.status == "error"]
    if len(failed):
        lines += ["", "## Failed files", ""] + [f"- `{r.path}`: {r.error}" for r in failed.head(50).itertuples()]
    text = "\n".join(lines) + "\n"
    (out_dir / "summary.md").write_text(text)
    return text
