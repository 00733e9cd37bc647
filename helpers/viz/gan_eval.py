"""The judge's figures as pictures: its history during training, and the share of each digit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from helpers.viz.plotting import new_figure


def plot_judge_history(
    history: Mapping[str, Sequence], *, size: tuple[float, float] = (3.2, 2.8), title: str | None = None
):
    """Three panels against the epoch: Fréchet distance (log scale if it spans 3× or more), Inception Score,
    class coverage."""
    missing = [k for k in ("epoch", "fid", "inception_score", "coverage") if k not in history]
    if missing:
        raise ValueError(f"history must hold epoch, fid, inception_score and coverage lists (JudgeEvery.history), "
                         f"missing {missing}")
    epochs = np.asarray(history["epoch"])
    if len(epochs) == 0:
        raise ValueError("history is empty: nothing was judged yet")
    fig, axes = new_figure(3, 1, size=size)
    panels = (("fid", "Fréchet distance ↓", True, None), ("inception_score", "Inception Score ↑", False, 10),
              ("coverage", "class coverage ↑", False, 10))
    for ax, (key, label, log, top) in zip(axes, panels):
        values = np.asarray(history[key], dtype=np.float64)
        ax.plot(epochs, values, "o-", ms=4, lw=1.4)
        if log and np.nanmin(values) > 0 and np.nanmax(values) > 3 * np.nanmin(values):  # log only for a wide range
            ax.set_yscale("log")
        if top is not None:
            ax.set_ylim(0.9, top + 0.3)
            ax.axhline(top, color="0.6", ls=":", lw=1)
        ax.set_xlabel("epoch")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig



def plot_class_counts(
    counts: Mapping[str, Sequence[int]], *, size: tuple[float, float] = (8.0, 2.8), title: str | None = None
):
    """Grouped bars: the share of images the judge assigns to each digit, one colour per labelled set; the figure."""
    if not counts:
        raise ValueError("counts must map at least one label to 10 class counts, got an empty mapping")
    rows = {}
    for label, c in counts.items():
        arr = np.asarray(c, dtype=np.float64)
        if arr.ndim != 1 or arr.size < 2 or arr.min() < 0 or arr.sum() <= 0:
            raise ValueError(f"counts[{label!r}] must be non-negative class counts with a positive total, got {c!r}")
        rows[label] = arr / arr.sum()
    sizes = {len(v) for v in rows.values()}
    if len(sizes) != 1:
        raise ValueError(f"every entry of counts must have the same number of classes, got lengths {sorted(sizes)}")
    n_classes = sizes.pop()
    fig, (ax,) = new_figure(1, 1, size=size)
    width = 0.8 / len(rows)
    for i, (label, share) in enumerate(rows.items()):
        ax.bar(np.arange(n_classes) + (i - (len(rows) - 1) / 2) * width, share, width, label=label)
    ax.axhline(1.0 / n_classes, color="0.4", ls=":", lw=1)
    ax.set_xticks(np.arange(n_classes))
    ax.set_xlabel("digit the judge sees")
    ax.set_ylabel("share of images")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    if title:
        ax.set_title(title, fontsize=10)
    return fig
