"""Slider front-ends for the notebooks, each a thin :class:`Explorer` over a pure view function.

A *view* function takes plain numbers and returns a :class:`View`: a matplotlib figure (made
outside pyplot, so it is shown exactly once) plus a ``summary`` dict of the figures it drew.
Tests call the views directly; an *explorer* wraps a view in sliders:

>>> w = gd_explorer()
>>> w.children[0].value = 0.05          # move the learning-rate slider
>>> w.result.summary["regime"]
'monotone'

In a notebook, showing a view (or its ``figure``) gives the static picture for readers
without a live kernel.

Fast redraws: each view function here is drawn by a :class:`Scene` (``gd_view.scene`` is its
class). A view call builds a fresh scene and returns its figure; an explorer keeps its scenes and
on a slider move only moves what moves (paths, curves, titles) over a cached rendering of what
does not (contours, arrows, axes), then encodes the PNG quickly. Set the environment variable
``HELPERS_FAST_WIDGETS=0`` before importing to make explorers call their view afresh instead
(the benchmarks compare the two).
"""

from __future__ import annotations

import inspect
import io
import math
import os
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from operator import attrgetter

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from . import games, momentum_theory, optim, plotting
from .checks import count, positive
from .functions import L1Norm, Quadratic, Rosenbrock

#: what gradient descent with step η does on curvatures up to L, by ηL (see :func:`lr_regime`)
REGIMES = ("monotone", "oscillating", "bouncing", "diverging")
#: explorers redraw through their view's Scene (set HELPERS_FAST_WIDGETS=0 to call the view afresh each time)
FAST_WIDGETS = os.environ.get("HELPERS_FAST_WIDGETS", "1").strip().lower() not in ("0", "false", "no", "off")
#: zlib level of the PNGs an explorer sends: 1 is the fastest that still compresses a plot ~12x (800x350 px: ~70 kB)
PNG_COMPRESS_LEVEL = 1


@dataclass
class View:
    """A figure and the numbers behind it; displays as the figure."""

    figure: Figure
    summary: dict = field(default_factory=dict)
    #: the figure already rendered as PNG (a scene's fast path), or None to render on demand
    png: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        # minor ticks on log axes cost a third of a redraw; the major decades are enough on a slider's plot
        for ax in self.figure.axes:
            for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
                if scale == "log" and not isinstance(axis.get_minor_locator(), NullLocator):
                    axis.set_minor_locator(NullLocator())

    def _repr_png_(self) -> bytes:
        if self.png is not None:
            return self.png
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png")
        return buf.getvalue()


def encode_png(rgba: np.ndarray, compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """PNG bytes of an (H, W, 4) uint8 RGBA image, quickly: no row filters, RGB when it is opaque.

    Plots are mostly flat colour, so unfiltered rows at zlib level 1 compress about as well as
    matplotlib's PNG (adaptive filters, level 6) at a fraction of its time.
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"rgba must be an (H, W, 4) uint8 array, got shape {rgba.shape} and dtype {rgba.dtype}")
    if not 0 <= compress_level <= 9:
        raise ValueError(f"compress_level must be in 0..9, got {compress_level}")
    opaque = bool(rgba[..., 3].min() == 255)
    pixels = rgba[..., :3] if opaque else rgba
    height, width, channels = pixels.shape
    raw = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # each row: filter type 0 (none), then the pixels
    raw[:, 1:] = pixels.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)
    return b"".join([b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", header),
                     _png_chunk(b"IDAT", zlib.compress(raw.data, compress_level)), _png_chunk(b"IEND", b"")])


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


class Scene:
    """One view drawn on a figure kept for reuse: static parts rendered once, moving parts redrawn per call.

    A subclass draws the whole view for some values in ``draw(values)`` (the pure view function
    calls just that), lists in ``self.moving`` the artists that change with the values (a whole
    Axes, or artists inside one), sets them for new values in ``update(values)``, and names in
    ``key(values)`` the values the static parts depend on: a scene only takes values with its own
    key. ``scene.view(**values)`` returns the :class:`View` the view function would, with its PNG
    made by restoring the cached static layer and drawing only the moving artists (blitting).
    """

    #: static layers kept per scene, one per axes layout (each is the figure's size in RGBA, ~1 MB)
    backgrounds = 8

    def __init__(self, **values):
        self.values = dict(values)
        self.moving: list = []
        self.summary = self.draw(self.values)
        self.canvas = None  # made on the first render: a pure view's figure stays as drawn
        self._backgrounds: OrderedDict = OrderedDict()
        self._drawn: list = []

    @staticmethod
    def key(values: dict):
        """The values the static parts depend on (a hashable); a scene serves only its own key."""
        return ()

    def draw(self, values: dict) -> dict:
        """Make ``self.figure`` for ``values``, fill ``self.moving``; return the summary."""
        raise NotImplementedError

    def update(self, values: dict) -> dict:
        """Set the moving artists for ``values`` (same key); return the summary."""
        raise NotImplementedError

    def static_view(self) -> View:
        """The figure as drawn (no fast path): what the pure view function returns."""
        return View(self.figure, self.summary)

    def view(self, **values) -> View:
        """Move the artists to ``values`` and render them over the cached static layer: a View with its PNG."""
        if self.key(values) != self.key(self.values):
            raise ValueError(f"this scene draws key {self.key(self.values)!r}, "
                             f"got values with key {self.key(values)!r}")
        self.summary = self.update(values)
        self.values = dict(values)
        view = View(self.figure, self.summary)  # also drops minor ticks on log axes, as a view does
        view.png = encode_png(self.render())
        return view

    def layout(self) -> tuple:
        """What the static layer depends on beyond the key: every Axes' limits (ticks and labels follow them)."""
        return tuple((tuple(ax.get_xlim()), tuple(ax.get_ylim())) for ax in self.figure.axes)

    def render(self) -> np.ndarray:
        """The figure as an RGBA array: the static layer for the current layout, then the moving artists in drawing
        order.

        Static layers are kept per layout (a few), so a slider going back and forth across a
        change of axis limits (e.g. a new decade on a log axis) redraws everything only once.
        """
        if self.canvas is None:
            self.canvas = FigureCanvasAgg(self.figure)
            self._drawn = _drawing_order(self.figure, self.moving)
            for artist in self._drawn:
                artist.set_animated(True)  # left out of canvas.draw(), still drawn by savefig
            self._backgrounds = OrderedDict()
        layout = self.layout()
        background = self._backgrounds.pop(layout, None)
        if background is None:
            self.canvas.draw()
            background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(background)
        self._backgrounds[layout] = background
        while len(self._backgrounds) > self.backgrounds:
            self._backgrounds.popitem(last=False)
        renderer = self.canvas.get_renderer()
        for artist in self._drawn:
            artist.draw(renderer)
        return np.asarray(self.canvas.buffer_rgba())


def _drawing_order(figure: Figure, moving) -> list:
    """What to redraw, in matplotlib's drawing order: moving Axes whole; inside other Axes, from the first moving
    artist on.

    Axes draw their children sorted by zorder; everything an Axes draws after its first moving
    artist is redrawn too, so that the blitted image stacks exactly as a full draw does.
    """
    ids = {id(a) for a in moving}
    order = []
    for ax in sorted(figure.axes, key=attrgetter("zorder")):
        if id(ax) in ids:
            order.append(ax)
            continue
        children = [a for a in ax.get_children() if a is not ax.patch]
        if not (ax.axison and ax.get_frame_on()):
            children = [a for a in children if a not in ax.spines.values()]
        if not ax.axison:
            children = [a for a in children if a not in ax._axis_map.values()]
        children = sorted(children, key=attrgetter("zorder"))
        first = next((i for i, a in enumerate(children) if id(a) in ids), None)
        if first is not None:
            order += children[first:]
    return order


class SceneCache:
    """The scenes of one view function, by key (least recently used dropped beyond ``size``)."""

    def __init__(self, view_fn, size: int = 6):
        if getattr(view_fn, "scene", None) is None:
            raise ValueError(f"view_fn must have a .scene (a Scene subclass), got {view_fn!r}")
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.view_fn, self.scene_class, self.size = view_fn, view_fn.scene, size
        self.signature = inspect.signature(view_fn)
        self.scenes: OrderedDict = OrderedDict()

    def view(self, **values) -> View:
        """The view for ``values`` (the view function's defaults fill the rest), drawn on a kept scene."""
        bound = self.signature.bind(**values)
        bound.apply_defaults()
        values = dict(bound.arguments)
        key = self.scene_class.key(values)
        scene = self.scenes.pop(key, None)
        if scene is None:
            scene = self.scene_class(**values)
        self.scenes[key] = scene
        while len(self.scenes) > self.size:
            self.scenes.popitem(last=False)
        return scene.view(**values)


class Explorer(W.VBox):
    """Controls over a view function, its figure shown as an image widget and its summary as a caption.

    Every change of a control calls ``view(**values)`` again (through the view's :class:`Scene`,
    when it has one, so that only what moves is redrawn). ``result`` holds the latest
    :class:`View`; ``children[i]`` are the controls in order, then the image and the caption.
    The figure is sent as PNG bytes to an ``Image`` widget (no ``Output`` widget capture),
    so it updates the same way in JupyterLab, Notebook 7, VS Code and Colab. Through a scene,
    successive results share one figure (it shows the latest values); each keeps its own PNG.
    """

    def __init__(self, view, controls: dict, fixed: dict | None = None):
        self.view = view
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
        self.scenes = SceneCache(view) if FAST_WIDGETS and getattr(view, "scene", None) is not None else None
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.caption = W.HTML()
        self.result: View | None = None
        super().__init__(children=[*self.controls.values(), self.image, self.caption])
        self.add_class("helpers-explorer")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def values(self) -> dict:
        """The arguments the view is called with: every control's value plus the fixed ones."""
        return {**{name: c.value for name, c in self.controls.items()}, **self.fixed}

    def update(self) -> View:
        """Call the view with the current values and show its figure and summary."""
        values = self.values()
        self.result = self.scenes.view(**values) if self.scenes is not None else self.view(**values)
        self.image.value = self.result._repr_png_()
        self.caption.value = _caption(self.result.summary)
        return self.result

    def _on_change(self, change) -> None:
        try:
            self.update()
        except Exception as exc:  # show the problem where the learner looks, then re-raise for the log
            self.caption.value = f"<span style='color:#b00'>error: {type(exc).__name__}: {exc}</span>"
            raise


def _caption(summary: dict) -> str:
    parts = []
    for key, value in summary.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        parts.append(f"{key.replace('_', ' ')}: <b>{value}</b>")
    return "<span style='font-family:monospace'>" + " &nbsp;|&nbsp; ".join(parts) + "</span>"


def lr_regime(learning_rate: float, L: float) -> str:
    """Name what gradient descent with step η does on a quadratic whose largest curvature is L.

    Each eigen-coordinate is multiplied by 1 − ηλ per step, so, by ηL:
    ``monotone`` (ηL ≤ 1: no coordinate changes sign), ``oscillating`` (1 < ηL < 2: the steep
    coordinates flip sign every step yet shrink), ``bouncing`` (ηL = 2: the steepest one flips with
    constant size, never converging) or ``diverging`` (ηL > 2). The names say what happens, not how
    fast: the fastest constant step, 2/(L + μ), is ``oscillating`` whenever μ < L.
    """
    positive("learning_rate", learning_rate)
    positive("L", L)
    x = learning_rate * L
    if math.isclose(x, 2.0, rel_tol=1e-12):
        return "bouncing"
    if x > 2:
        return "diverging"
    return "oscillating" if x > 1 else "monotone"


def _check_steps(steps: int, maximum: int = 100_000) -> int:
    steps = count("steps", steps)
    if steps > maximum:
        raise ValueError(f"steps must be at most {maximum}, got {steps}")
    return steps


# --------------------------------------------------------------------------- 01: gradient descent


class GdScene(Scene):
    """:func:`gd_view` on a kept figure: the contours depend on κ; the path, titles and curve move."""

    @staticmethod
    def key(values: dict):
        return (float(values["condition"]),)

    @staticmethod
    def compute(learning_rate, steps, condition, x0):
        steps = _check_steps(steps)
        q = Quadratic.with_condition(condition, angle=np.pi / 6)
        traj = optim.gradient_descent(q, x0, learning_rate, steps)
        regime = lr_regime(learning_rate, q.L)
        rate = optim.gd_rate_quadratic(learning_rate, q.eigenvalues)
        best = momentum_theory.optimal_gd(q.L, q.mu)
        titles = (f"η = {learning_rate:.3g}, η·L = {learning_rate * q.L:.2f}: {regime}",
                  f"ρ = {rate:.3f}; best ρ = {best.rate:.3f} at η = {best.learning_rate:.3g}")
        summary = {"regime": regime, "final_gap": traj.value - q.f_star, "diverged": traj.diverged,
                   "rate": rate, "best_rate": best.rate, "best_step": best.learning_rate, "L": q.L}
        return q, traj, titles, summary

    def draw(self, values):
        q, traj, titles, summary = self.compute(**values)
        self.figure, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
        plotting.plot_trajectories(q, [traj], bounds=(-2.5, 2.5, -2.5, 2.5), ax=ax1, grid=80, title=titles[0])
        plotting.plot_curves({"f(x_t) − f*": traj.values}, ax=ax2, f_star=q.f_star, title=titles[1], snap=True)
        self.path = ax1.lines[-2:]
        self.moving = [*self.path, ax1.title, *ax2.lines, ax2.title]
        return summary

    def update(self, values):
        q, traj, titles, summary = self.compute(**values)
        ax1, ax2 = self.figure.axes
        plotting.set_path_data(self.path, traj.xs)
        ax1.set_title(titles[0], fontsize=10)
        plotting.set_curve_data(ax2.lines, [traj.values], f_star=q.f_star, snap=True)
        ax2.set_title(titles[1], fontsize=10)
        return summary


def gd_view(learning_rate: float = 0.05, steps: int = 30, condition: float = 10.0, x0=(1.8, 1.2)) -> View:
    """Gradient descent on a 2-D quadratic with eigenvalues 1 and ``condition``: path and f − f*."""
    return GdScene(learning_rate=learning_rate, steps=steps, condition=condition, x0=x0).static_view()


gd_view.scene = GdScene


def gd_explorer() -> Explorer:
    """Sliders for η, steps and conditioning over :func:`gd_view`."""
    return Explorer(gd_view, dict(
        learning_rate=W.FloatLogSlider(value=0.05, base=10, min=-3, max=np.log10(0.5), step=0.02,
                                       description="η", readout_format=".3f"),
        steps=W.IntSlider(value=30, min=1, max=200, description="steps"),
        condition=W.FloatSlider(value=10.0, min=1.0, max=30.0, step=1.0, description="κ"),
    ), fixed=dict(x0=(1.8, 1.2)))


# --------------------------------------------------------------------------- 02: min-max game

#: half-widths of the game's plot: the smallest that holds the path is used, so the axes hold still while a slider moves
GAME_RADII = (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0)


def game_radius(zs: np.ndarray) -> float:
    """Half-width of the game's square plot: the first of :data:`GAME_RADII` ≥ 1.1 × the path's largest |coordinate|."""
    zs = np.asarray(zs, dtype=np.float64)
    finite = zs[np.isfinite(zs)]
    need = 1.1 * float(np.max(np.abs(finite))) if finite.size else 0.0
    return next((r for r in GAME_RADII if r >= need), GAME_RADII[-1])


class GameScene(Scene):
    """:func:`game_view` on a kept figure: the arrows depend on the turn mode and the plot's radius;
    paths and curves move."""

    @staticmethod
    def key(values: dict):
        zs = games.play(games.BilinearGame(), (1.0, 0.5), values["learning_rate"], _check_steps(values["steps"]),
                        values["mode"]).zs
        return (values["mode"], game_radius(zs))

    @staticmethod
    def compute(learning_rate, steps, mode):
        steps = _check_steps(steps)
        game = games.BilinearGame()
        traj = games.play(game, (1.0, 0.5), learning_rate, steps, mode)
        rho = games.growth_factor(game, learning_rate, mode)
        summary = {"growth": rho, "final_distance": float(traj.distances[-1]),
                   "average_distance": float(np.linalg.norm(traj.averages[-1]))}
        return game, traj, rho, summary

    def draw(self, values):
        game, traj, rho, summary = self.compute(**values)
        mode, learning_rate = values["mode"], values["learning_rate"]
        self.figure, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
        r = game_radius(traj.zs)
        plotting.plot_field(game.field, (-r, r, -r, r), paths={mode: traj.zs, "running average": traj.averages},
                            ax=ax1, xlabel="x (minimises)", ylabel="y (maximises)",
                            title=f"{mode}, η = {learning_rate:.3g}")
        ax2.plot(traj.distances, label="‖z_t‖")
        ax2.plot(np.linalg.norm(traj.averages, axis=1), label="‖average‖")
        ax2.set(yscale="log", xlabel="step t", title=f"growth per step ρ = {rho:.4f}")
        plotting.snap_log_ylim(ax2)
        ax2.legend(fontsize=8)
        ax2.grid(alpha=0.3)
        self.paths = [ax1.lines[0:2], ax1.lines[2:4]]
        self.moving = [*ax1.lines[0:4], ax1.title, *ax2.lines, ax2.title]
        return summary

    def update(self, values):
        _game, traj, rho, summary = self.compute(**values)
        ax1, ax2 = self.figure.axes
        plotting.set_path_data(self.paths[0], traj.zs)
        plotting.set_path_data(self.paths[1], traj.averages)
        ax1.set_title(f"{values['mode']}, η = {values['learning_rate']:.3g}", fontsize=10)
        plotting.set_curve_data(ax2.lines, [traj.distances, np.linalg.norm(traj.averages, axis=1)], log=False,
                                snap=True)
        ax2.set_title(f"growth per step ρ = {rho:.4f}")
        return summary


def game_view(learning_rate: float = 0.1, steps: int = 100, mode: str = "simultaneous") -> View:
    """Descent–ascent on f(x, y) = x·y from (1, 0.5): the players' path over the field, and ‖z_t‖."""
    return GameScene(learning_rate=learning_rate, steps=steps, mode=mode).static_view()


game_view.scene = GameScene


def game_explorer() -> Explorer:
    """Sliders for η and steps, and a menu for how the players take turns, over :func:`game_view`."""
    return Explorer(game_view, dict(
        learning_rate=W.FloatSlider(value=0.1, min=0.01, max=0.5, step=0.01, description="η"),
        steps=W.IntSlider(value=100, min=1, max=400, description="steps"),
        mode=W.Dropdown(options=list(games.MODES), value="simultaneous", description="turns"),
    ))


# --------------------------------------------------------------------------- 03: subgradient method


class SubgradientScene(Scene):
    """:func:`subgradient_view` on a kept figure: the legend names the step rule; the path, title and curves move."""

    @staticmethod
    def key(values: dict):
        return (values["rule"],)

    @staticmethod
    def compute(learning_rate, steps, rule, x0):
        steps = _check_steps(steps)
        f = L1Norm(2)
        traj = optim.subgradient_method(f, x0, learning_rate, steps, rule=rule)
        title = f"η = {learning_rate:.3g}, {'constant' if rule == 'constant' else '1/√t'} steps"
        ups = int(np.sum(np.diff(traj.values) > 0))
        return f, traj, title, {"final_value": traj.value, "best_value": float(traj.best_values[-1]), "increases": ups}

    def draw(self, values):
        f, traj, title, summary = self.compute(**values)
        self.figure, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
        plotting.plot_trajectories(f, [traj], bounds=(-1.6, 1.6, -1.6, 1.6), ax=ax1, grid=81, title=title)
        ax2.plot(traj.values, lw=1, label="f(xₜ)")
        ax2.plot(traj.best_values, lw=2, label="best so far")
        ax2.set(yscale="log", xlabel="step t", title="not a descent method")
        plotting.snap_log_ylim(ax2)
        ax2.legend(fontsize=8)
        ax2.grid(alpha=0.3)
        self.path = ax1.lines[-2:]
        self.moving = [*self.path, ax1.title, *ax2.lines, ax2.title]
        return summary

    def update(self, values):
        _f, traj, title, summary = self.compute(**values)
        ax1, ax2 = self.figure.axes
        plotting.set_path_data(self.path, traj.xs)
        ax1.set_title(title, fontsize=10)
        plotting.set_curve_data(ax2.lines, [traj.values, traj.best_values], log=False, snap=True)
        return summary


def subgradient_view(learning_rate: float = 0.3, steps: int = 60, rule: str = "constant", x0=(1.3, 0.7)) -> View:
    """The subgradient method on ‖x‖₁ in 2-D: the path across the kinks, f(x_t) and the best so far."""
    return SubgradientScene(learning_rate=learning_rate, steps=steps, rule=rule, x0=x0).static_view()


subgradient_view.scene = SubgradientScene


def subgradient_explorer() -> Explorer:
    """Sliders for η and steps, and the step rule, over :func:`subgradient_view`."""
    return Explorer(subgradient_view, dict(
        learning_rate=W.FloatLogSlider(value=0.3, base=10, min=-2, max=0, step=0.05, description="η"),
        steps=W.IntSlider(value=60, min=1, max=300, description="steps"),
        rule=W.Dropdown(options=[("constant", "constant"), ("η/√(t+1)", "sqrt")], value="constant", description="step"),
    ), fixed=dict(x0=(1.3, 0.7)))


# --------------------------------------------------------------------------- 04: optimisers

PROBLEMS = {
    "ill-conditioned quadratic": (lambda: Quadratic.with_condition(50.0, angle=np.pi / 8), (-2.0, 1.5),
                                  (-2.5, 2.5, -2.5, 2.5)),
    "Rosenbrock": (Rosenbrock, (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0)),
}
_BETA_NAME = {"momentum": "momentum", "nesterov": "momentum", "rmsprop": "rho", "adam": "beta_1"}


def make_problem(problem: str):
    """(objective, start, plot bounds) for a problem named in :data:`PROBLEMS`."""
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {sorted(PROBLEMS)}, got {problem!r}")
    factory, x0, bounds = PROBLEMS[problem]
    return factory(), np.array(x0), bounds


class OptimizerScene(Scene):
    """:func:`optimizer_view` on a kept figure: contours and legends depend on the problem and optimiser;
    paths and curves move."""

    @staticmethod
    def key(values: dict):
        return (values["problem"], values["optimizer"])

    @staticmethod
    def compute(optimizer, learning_rate, beta, steps, problem):
        steps = _check_steps(steps)
        f, x0, bounds = make_problem(problem)
        kwargs = {_BETA_NAME[optimizer]: beta} if optimizer in _BETA_NAME else {}
        traj = optim.run(f, x0, optim.make_optimizer(optimizer, learning_rate, **kwargs), steps)
        gd = optim.run(f, x0, optim.GradientDescent(learning_rate), steps, label="gradient descent")
        runs = [traj] if optimizer == "gd" else [gd, traj]
        titles = (f"{f.name}, η = {learning_rate:.3g}",
                  f"{traj.label}" + (f", {_BETA_NAME[optimizer]} = {beta:.3g}" if kwargs else ""))
        summary = {"final_gap": traj.value - f.f_star, "gd_final_gap": gd.value - f.f_star, "diverged": traj.diverged}
        eigen = _eigen_curves(f, traj, optimizer, learning_rate, beta)
        if eigen["rates"] is not None:
            summary["rates"] = tuple(round(float(r), 4) for r in eigen["rates"])
        return f, bounds, runs, titles, summary, eigen

    def draw(self, values):
        f, bounds, runs, titles, summary, eigen = self.compute(**values)
        self.figure, (ax1, ax2, ax3) = plotting.new_figure(3, size=(3.6, 3.4), pyplot=False)
        plotting.plot_trajectories(f, runs, bounds=bounds, ax=ax1, grid=90, title=titles[0])
        plotting.plot_curves(runs, ax=ax2, f_star=f.f_star, title=titles[1], snap=True)
        _draw_eigen_curves(ax3, eigen)
        lines = ax1.lines[-2 * len(runs):]
        self.paths = [lines[i:i + 2] for i in range(0, len(lines), 2)]
        self.moving = [*lines, ax1.title, *ax2.lines, ax2.title, *ax3.lines]
        return summary

    def update(self, values):
        f, _bounds, runs, titles, summary, eigen = self.compute(**values)
        ax1, ax2, ax3 = self.figure.axes
        for artists, run in zip(self.paths, runs):
            plotting.set_path_data(artists, run.xs)
        ax1.set_title(titles[0], fontsize=10)
        plotting.set_curve_data(ax2.lines, [run.values for run in runs], f_star=f.f_star, snap=True)
        ax2.set_title(titles[1], fontsize=10)
        plotting.set_curve_data(ax3.lines, eigen["curves"], snap=True)
        return summary


def _eigen_curves(f, traj, optimizer: str, learning_rate: float, beta: float) -> dict:
    """|error| along each eigenvector of the Hessian at x* and, for gradient descent and momentum,
    the closed-form envelopes."""
    lams, errors = momentum_theory.eigen_errors(traj.xs, f.x_star, f.hessian(f.x_star))
    errors = np.where(np.isfinite(errors), errors, np.nan)
    curves, rates = [errors[:, i] for i in range(len(lams))], None
    if optimizer in ("gd", "momentum"):
        momentum = beta if optimizer == "momentum" else 0.0
        rates = momentum_theory.spectral_radius(learning_rate, momentum, lams)
        predicted = momentum_theory.predicted_errors(errors[0], learning_rate, momentum, lams, len(errors) - 1)
        seen = errors[np.isfinite(errors) & (errors > 0)]
        # keep the dashed lines within the measured range (they fall below round-off or rise past overflow)
        if seen.size:
            predicted = np.where((predicted >= seen.min() / 10) & (predicted <= seen.max() * 10), predicted, np.nan)
        curves += [predicted[:, i] for i in range(len(lams))]
    local = "" if isinstance(f, Quadratic) else " (Hessian at x*)"
    return {"eigenvalues": lams, "curves": curves, "rates": rates, "title": "error per eigenvector" + local}


def _draw_eigen_curves(ax, eigen: dict) -> None:
    lams, n = eigen["eigenvalues"], len(eigen["eigenvalues"])
    names = ["steep", "flat"] if n == 2 else [f"#{i + 1}" for i in range(n)]
    t = np.arange(len(eigen["curves"][0]))
    for i, y in enumerate(eigen["curves"]):
        k = i % n
        label = f"{names[k]}, λ = {lams[k]:.4g}" if i < n else ("|e₀|·ρᵗ (closed form)" if k == 0 else None)
        ax.plot(t, np.where(y > 0, y, np.nan), color=plotting.COLORS[2 + k], lw=1.4 if i < n else 1.2,
                ls="-" if i < n else "--", label=label)
    ax.set_yscale("log")
    plotting.snap_log_ylim(ax)
    ax.set_xlabel("step t")
    ax.set_ylabel("|vᵢᵀ(xₜ − x*)|")
    ax.set_title(eigen["title"], fontsize=10)
    ax.legend(fontsize=7, loc="lower left")


def optimizer_view(optimizer: str = "momentum", learning_rate: float = 0.02, beta: float = 0.9,
                   steps: int = 150, problem: str = "ill-conditioned quadratic") -> View:
    """One optimiser on a named problem: its path over the contours, f − f* against plain GD's, and the error
    along each eigenvector.

    The third panel splits x_t − x* along the eigenvectors of the Hessian at the minimum (on the
    quadratic, of A: the directions that evolve independently). For gradient descent and momentum
    it adds the closed-form envelope |e_i(0)|·ρ_i^t dashed, with ρ_i the spectral radius of the
    momentum iteration for curvature λ_i (:mod:`helpers.momentum_theory`); ``summary["rates"]`` lists them.
    """
    scene = OptimizerScene(optimizer=optimizer, learning_rate=learning_rate, beta=beta, steps=steps, problem=problem)
    return scene.static_view()


optimizer_view.scene = OptimizerScene


def optimizer_explorer() -> Explorer:
    """Menus for the optimiser and problem, sliders for η, β and steps, over :func:`optimizer_view`."""
    return Explorer(optimizer_view, dict(
        optimizer=W.Dropdown(options=list(optim.OPTIMIZERS), value="momentum", description="optimizer"),
        learning_rate=W.FloatLogSlider(value=0.02, base=10, min=-4, max=0, step=0.05, description="η",
                                       readout_format=".4f"),
        beta=W.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="β"),
        steps=W.IntSlider(value=150, min=1, max=1000, description="steps"),
        problem=W.Dropdown(options=list(PROBLEMS), value="ill-conditioned quadratic", description="problem"),
    ))
