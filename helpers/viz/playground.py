"""The 2-D GAN playground's pictures (notebook 06): its canvas, a static view, the snapshots and the history of
static runs.

The maths is :mod:`helpers.maths.playground`; the widget over the canvas is
:func:`helpers.widgets.gan_dynamics.playground_widget`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..maths.playground import Playground, RunResult
from .images import encode_png
from .scenes import View


class PlaygroundCanvas:
    """A persistent Agg figure of a :class:`~helpers.maths.playground.Playground`: D's field as a heat map, real
    and fake points, arrows, caption.

    :meth:`render` redraws it for the playground's current state and returns PNG bytes (fast: only the artists'
    data change; the widget keeps one canvas and calls it every frame); :meth:`update` only sets the artists.
    """

    def __init__(self, extent, size: float = 5.0, dpi: int = 80, resolution: int = 48):
        self.resolution = resolution
        self.fig = Figure(figsize=(size, size), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9)
        ax = self.ax = self.fig.add_subplot()
        self.image = ax.imshow(np.zeros((resolution, resolution)), origin="lower", extent=extent, cmap="PRGn",
                               vmin=0, vmax=1, interpolation="bilinear", alpha=0.85)
        # markers of a Line2D: Agg stamps one cached marker, several times faster than a scatter's collection
        (self.real,) = ax.plot([], [], "o", ms=2.5, mew=0, color="#1b7837", label="real")
        (self.fake,) = ax.plot([], [], "o", ms=2.5, mew=0, color="#762a83", label="fake")
        self.arrows = None
        ax.set(xlim=extent[:2], ylim=extent[2:], aspect="equal")
        ax.set(xticks=[], yticks=[])  # tick labels cost a fifth of a redraw and say little here
        # no legend: it costs a quarter of a redraw; green = real, purple = fake is said in the text
        self.title = ax.set_title("", fontsize=8)

    def update(self, pg: Playground) -> None:
        """Set the artists to ``pg``'s current state: D's field, the real and fake samples, the pushes, the caption."""
        _, _, score = pg.field(self.resolution)
        self.image.set_data(score)
        self.real.set_data(pg.real_shown[:, 0], pg.real_shown[:, 1])
        fake = np.clip(pg.samples(pg.SHOWN_SAMPLES), -1e6, 1e6)
        self.fake.set_data(fake[:, 0], fake[:, 1])
        pts, push = pg.pushes()
        norm = np.linalg.norm(push, axis=1, keepdims=True)
        scale = 0.08 * (pg.data.extent[1] - pg.data.extent[0])
        push = scale * push / (norm.max() + 1e-12)  # longest arrow = 8% of the width; relative lengths kept
        if self.arrows is None:
            self.arrows = self.ax.quiver(pts[:, 0], pts[:, 1], push[:, 0], push[:, 1], angles="xy", scale_units="xy",
                                         scale=1, color="k", width=0.004, alpha=0.8)
        else:
            self.arrows.set_offsets(pts)
            self.arrows.set_UVC(push[:, 0], push[:, 1])
        self.title.set_text(pg.caption())

    def render(self, pg: Playground) -> bytes:
        """PNG bytes of ``pg``'s current picture, drawn on this canvas' figure."""
        self.update(pg)
        self.fig.canvas.draw()
        return encode_png(np.asarray(self.fig.canvas.buffer_rgba()))


def playground_view(pg: Playground, size: float = 4.0, dpi: int = 80) -> View:
    """A new figure of ``pg``'s current picture (for static display); ``summary`` holds the metrics."""
    canvas = PlaygroundCanvas(pg.data.extent, size=size, dpi=dpi)
    canvas.update(pg)
    return View(canvas.fig, pg.metrics())


def plot_snapshots(result: RunResult, size: float = 2.4, dpi: int = 80) -> Figure:
    """One panel per snapshot: D's field, real data (green) and fake samples (purple), modes covered in the title."""
    if not result.snapshots:
        raise ValueError("result has no snapshots: pass snapshots=(...) to run()")
    k = len(result.snapshots)
    fig = Figure(figsize=(size * k, size + 0.35), dpi=dpi)
    axes = fig.subplots(1, k, squeeze=False)[0]
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.84, wspace=0.06)
    ext = result.data.extent
    real = result.data.sample(300, np.random.default_rng(0))
    for ax, shot in zip(axes, result.snapshots):
        ax.imshow(shot["field"], origin="lower", extent=ext, cmap="PRGn", vmin=0, vmax=1, interpolation="bilinear",
                  alpha=0.85)
        ax.scatter(*real.T, s=4, c="#1b7837", edgecolors="none")
        fake = np.clip(shot["fake"][:600], -1e6, 1e6)
        ax.scatter(*fake.T, s=3, c="#762a83", edgecolors="none")
        m = shot["metrics"]
        ax.set(xlim=ext[:2], ylim=ext[2:], aspect="equal", xticks=[], yticks=[])
        ax.set_title(f"step {shot['step']}: {m['modes_covered']}/{m['modes']} modes, HQ {100 * m['hq_fraction']:.0f}%",
                     fontsize=8)
    fig.suptitle(f"{result.data.name}, {result.settings.loss}, η_D = {result.settings.lr_d:.2g}, "
                 f"η_G = {result.settings.lr_g:.2g}, γ = {result.settings.gamma:.2g}", fontsize=9)
    return fig


def plot_history(results: dict, size: tuple[float, float] = (4.0, 3.0)) -> Figure:
    """Modes covered and % high-quality samples against the step, one line per labelled :class:`RunResult`."""
    if not results:
        raise ValueError("results must map at least one label to a RunResult, got an empty dict")
    fig = Figure(figsize=(2 * size[0], size[1]))
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.88, wspace=0.3)
    for label, res in results.items():
        h = res.history
        ax1.plot(h["step"], h["modes_covered"], label=label)
        ax2.plot(h["step"], 100 * h["hq_fraction"], label=label)
    modes = next(iter(results.values())).data.modes
    ax1.set(xlabel="step", ylabel="modes covered", ylim=(-0.3, modes + 0.3), title="modes covered (3σ)")
    ax2.set(xlabel="step", ylabel="%", ylim=(-2, 102), title="high-quality samples (within 3σ)")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig
