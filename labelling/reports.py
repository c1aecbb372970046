"""Pictures and tables a person reads: an emotion timeline per file, label shares per archive."""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
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
    key = tuple(labels)
    cache = _timelines.__dict__.setdefault("by_labels", {})
    if key not in cache:
        cache.clear()
        cache[key] = _Timeline(key)
    cache[key].draw(segments, duration, title, out)


#: One reusable timeline figure per thread (matplotlib figures are not shared between threads).
_timelines = threading.local()


class _Timeline:
    """A timeline figure built once and redrawn with each file's data: building the axes, ticks and
    legend costs more than drawing, so archives of many files draw their timelines about 3x faster
    than with a new figure per file. No pyplot: the figure has its own Agg canvas."""

    def __init__(self, labels: tuple[str, ...]):
        self.labels = labels
        self.fig = Figure(figsize=(10, 3.6))
        FigureCanvasAgg(self.fig)
        self.band, self.probs = self.fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 3]})
        self.fig.subplots_adjust(left=0.07, right=0.975, top=0.9, bottom=0.14, hspace=0.08)
        self.band.set_ylim(0, 1)
        self.band.set_yticks([])
        self.title = self.band.set_title("", fontsize=9, loc="left")
        self.lines = [self.probs.plot([], [], marker=".", lw=1, color=colour(label), label=label)[0] for label in labels]
        self.probs.set_ylim(0, 1)
        self.probs.set_xlabel("time (s); gaps are non-speech")
        self.probs.set_ylabel("probability")
        self.legend = self.probs.legend(ncol=min(len(labels), 5), fontsize=7, loc="upper right")
        self.spans = None

    def draw(self, segments: pd.DataFrame, duration: float, title: str, out: str | os.PathLike) -> None:
        starts, ends = segments.start.to_numpy(dtype=float), segments.end.to_numpy(dtype=float)
        if self.spans is not None:
            self.spans.remove()
            self.spans = None
        if len(starts):  # one collection for the band, not a patch per segment
            self.spans = self.band.broken_barh(list(zip(starts, ends - starts)), (0, 1),
                                               facecolors=[colour(label) for label in segments.label], alpha=0.9, lw=0)
        mids = (starts + ends) / 2
        for line, label in zip(self.lines, self.labels):
            line.set_data(mids, segments[f"p_{label}"].to_numpy(dtype=float) if len(mids) else [])
        self.legend.set_visible(len(mids) > 0)
        self.title.set_text(title)
        self.probs.set_xlim(0, max(duration, 1e-3))
        # zlib level 1: ~25 ms less per file than the default level 6, for ~10 % more bytes
        self.fig.savefig(out, dpi=110, pil_kwargs={"compress_level": 1})


def timeline_path(out_dir: str | os.PathLike, recording: str) -> Path:
    """Where the timeline PNG of ``recording`` goes: ``OUT_DIR/timelines/<file name without suffix>.png``."""
    return Path(out_dir) / "timelines" / f"{Path(recording).stem}.png"


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
