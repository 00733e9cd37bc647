"""Plots shared by the notebooks: contours with trajectories, loss curves, 1-D functions, fields, image grids,
and :func:`smooth` for noisy loss curves.

Every function draws on a given ``ax`` (or makes a new figure) and returns the figure, so the
same code serves a static figure, a widget's redraw and a unit test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

import matplotlib

matplotlib.rcParams.setdefault("figure.dpi", 100)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..checks import positive_int  # noqa: E402
from ..maths.objectives import Objective  # noqa: E402

Array = np.ndarray
COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] = (4.2, 3.6), pyplot: bool = True):
    """A figure with ``nrows × ncols`` axes of ``size`` inches each.

    ``pyplot=False`` keeps the figure out of pyplot's state (for widgets, which redraw often):
    it then uses fixed margins instead of the constrained layout, which halves the drawing time.
    """
    figsize = (size[0] * ncols, size[1] * nrows)
    if pyplot:
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, layout="constrained")
    else:
        fig = Figure(figsize=figsize)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9, wspace=0.3, hspace=0.35)
    return fig, axes.ravel()


def bounds_around(
    points: Iterable[Array], margin: float = 0.15, minimum: float = 1.0
) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) enclosing all 2-D ``points`` with a relative ``margin``."""
    pts = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in points])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, minimum)
    lo, hi = lo - margin * span, hi + margin * span
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


@lru_cache(maxsize=32)
def _grid_values(objective: Objective, bounds: tuple[float, float, float, float], n: int) -> tuple[Array, Array, Array]:
    xs = np.linspace(bounds[0], bounds[1], n)
    ys = np.linspace(bounds[2], bounds[3], n)
    X, Y = np.meshgrid(xs, ys)
    Z = objective.value(np.stack([X, Y], axis=-1))
    return X, Y, Z


def contour(
    objective: Objective,
    bounds: tuple[float, float, float, float] = (-2, 2, -2, 2),
    *,
    ax=None,
    grid: int = 150,
    levels: int | Sequence[float] = 20,
    log: bool = True,
    filled: bool = True,
):
    """Contour lines of a 2-D objective over ``bounds`` (log-spaced levels by default); returns the axes."""
    if objective.dim != 2:
        raise ValueError(f"contour needs a 2-D objective, {objective!r} has dim {objective.dim}")
    if ax is None:
        ax = new_figure()[1][0]
    X, Y, Z = _grid_values(objective, tuple(float(b) for b in bounds), int(grid))
    if isinstance(levels, int):
        zmin, zmax = float(np.min(Z)), float(np.max(Z))
        if log and zmin > -np.inf:
            shift = zmin - 1e-3 * max(zmax - zmin, 1e-12)
            levels = shift + np.geomspace(1e-3 * max(zmax - zmin, 1e-12), zmax - shift, levels)
        else:
            levels = np.linspace(zmin, zmax, levels)
    if filled:
        ax.contourf(X, Y, Z, levels=levels, cmap="viridis", alpha=0.35)
    ax.contour(X, Y, Z, levels=levels, colors="0.35", linewidths=0.6)
    ax.set(xlim=bounds[:2], ylim=bounds[2:], xlabel="x₁", ylabel="x₂")
    ax.set_aspect("equal", adjustable="box")
    if objective.x_star is not None and objective.dim == 2:
        ax.plot(*objective.x_star, marker="*", ms=12, color="gold", mec="k", zorder=5, ls="none")
    return ax


def plot_path(ax, xs: Array, label: str = "", color=None, marker: str = "o", ms: float = 3.0):
    """Draw one 2-D path of iterates, with its start marked; returns the (path, start) lines."""
    xs = np.asarray(xs)
    (line,) = ax.plot(xs[:, 0], xs[:, 1], marker=marker, ms=ms, lw=1.2, color=color, label=label)
    (start,) = ax.plot(*xs[0], marker="s", ms=6, color=line.get_color(), mec="k")
    return line, start


def set_path_data(artists, xs: Array) -> None:
    """Move the (path, start) lines of :func:`plot_path` to new iterates ``xs``, dropping non-finite rows."""
    line, start = artists
    xs = np.asarray(xs, dtype=np.float64).reshape(-1, 2)
    xs = xs[np.all(np.isfinite(xs), axis=1)]
    line.set_data(xs[:, 0], xs[:, 1])
    start.set_data(xs[:1, 0], xs[:1, 1])


def _curve_y(values, f_star: float | None, log: bool) -> Array:
    values = np.asarray(values, dtype=np.float64)
    y = values - f_star if f_star is not None else values
    return np.where(y > 0, y, np.nan) if log else y


def set_curve_data(lines, curves: Sequence[Array], *, f_star: float | None = None, log: bool = True,
                   snap: bool = False) -> None:
    """Give the lines drawn by :func:`plot_curves` new value series (same order), then rescale their axes.

    ``snap=True`` rounds a log y-axis out to whole decades (:func:`snap_log_ylim`), as ``plot_curves(snap=True)`` does.
    """
    lines, curves = list(lines), list(curves)
    if len(lines) != len(curves):
        raise ValueError(f"need one value series per line: {len(lines)} lines, got {len(curves)} series")
    for line, values in zip(lines, curves):
        y = _curve_y(values, f_star, log)
        line.set_data(np.arange(len(y)), y)
    for ax in {id(line.axes): line.axes for line in lines}.values():
        ax.relim()
        ax.autoscale_view()
        if snap and ax.get_yscale() == "log":
            snap_log_ylim(ax)


def snap_log_ylim(ax) -> tuple[float, float] | None:
    """Set a log y-axis to whole decades around its lines' positive finite data; returns the limits (None: no data).

    Whole decades keep the axis (ticks, labels) still while a slider nudges the curves, so a
    widget can reuse its rendering; the curves still fill the plot within a factor of ten.
    """
    ys = [np.asarray(line.get_ydata(), dtype=np.float64) for line in ax.lines]
    ys = np.concatenate([y[np.isfinite(y) & (y > 0)] for y in ys]) if ys else np.array([])
    if ys.size == 0:
        return None
    lo = float(np.floor(np.log10(ys.min())))
    hi = float(np.ceil(np.log10(ys.max())))
    if hi <= lo:
        hi = lo + 1
    limits = (10.0**lo, 10.0**hi)
    ax.set_ylim(*limits)
    return limits


def plot_trajectories(
    objective: Objective,
    trajectories: Mapping[str, Array] | Sequence,
    *,
    bounds: tuple[float, float, float, float] | None = None,
    ax=None,
    grid: int = 150,
    title: str | None = None,
):
    """Contours of ``objective`` with each trajectory's iterates drawn on top; returns the axes.

    ``trajectories`` maps labels to ``(steps+1, 2)`` arrays, or is a list of
    :class:`helpers.maths.optim.Trajectory` (whose ``label`` is used).
    """
    items = _as_items(trajectories)
    if bounds is None:
        pts = [xs for _, xs in items]
        if objective.x_star is not None:
            pts.append(objective.x_star)
        bounds = bounds_around(pts)
    ax = contour(objective, bounds, ax=ax, grid=grid)
    for i, (label, xs) in enumerate(items):
        xs = np.asarray(xs)
        inside = np.all(np.isfinite(xs), axis=1)
        plot_path(ax, xs[inside], label=label, color=COLORS[i % len(COLORS)])
    if items and any(label for label, _ in items):
        ax.legend(fontsize=8, loc="best")
    ax.set_title(title or objective.name, fontsize=10)
    return ax


def _as_items(trajectories) -> list[tuple[str, Array]]:
    if isinstance(trajectories, Mapping):
        return [(k, getattr(v, "xs", v)) for k, v in trajectories.items()]
    return [(getattr(t, "label", f"run {i}"), getattr(t, "xs", t)) for i, t in enumerate(trajectories)]


def plot_curves(
    curves: Mapping[str, Array] | Sequence,
    *,
    ax=None,
    f_star: float | None = None,
    log: bool = True,
    xlabel: str = "step t",
    ylabel: str | None = None,
    title: str | None = None,
    best: bool = False,
    snap: bool = False,
):
    """Loss curves: each value series against its step, as f − f* on a log scale when ``f_star`` is given.

    ``curves`` maps labels to arrays, or is a list of trajectories (``best=True`` plots their
    best-so-far values instead of the current ones). ``snap=True`` rounds the log y-axis out to
    whole decades (:func:`snap_log_ylim`; fixes the y-limits, so draw every curve before).
    """
    if ax is None:
        ax = new_figure()[1][0]
    if isinstance(curves, Mapping):
        items = list(curves.items())
    else:
        items = [(t.label, t.best_values if best else t.values) for t in curves]
    for label, values in items:
        y = _curve_y(values, f_star, log)
        ax.plot(np.arange(len(y)), y, label=label, lw=1.4)
    if log:
        ax.set_yscale("log")
        if snap:
            snap_log_ylim(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or ("f(xₜ) − f*" if f_star is not None else "f(xₜ)"))
    if title:
        ax.set_title(title, fontsize=10)
    if any(label for label, _ in items):
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_1d(
    f: Callable[[Array], Array],
    xlim: tuple[float, float] = (-2, 2),
    *,
    iterates: Mapping[str, Array] | None = None,
    ax=None,
    n: int = 400,
    title: str | None = None,
):
    """A 1-D function (vectorised ``f``) with optional iterates drawn as dots on its graph."""
    if ax is None:
        ax = new_figure()[1][0]
    x = np.linspace(*xlim, n)
    ax.plot(x, f(x), color="k", lw=1.5)
    for i, (label, xs) in enumerate((iterates or {}).items()):
        xs = np.asarray(xs, dtype=np.float64).reshape(-1)
        xs = xs[np.isfinite(xs)]
        color = COLORS[i % len(COLORS)]
        ax.plot(xs, f(xs), "o-", ms=4, lw=0.8, color=color, label=label, alpha=0.8)
        ax.plot(xs[0], f(xs[:1])[0], "s", ms=7, color=color, mec="k")
    ax.set_xlim(*xlim)
    ax.set_xlabel("x")
    if title:
        ax.set_title(title, fontsize=10)
    if iterates:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_supporting_lines(
    f: Callable[[Array], Array],
    x0: float,
    slopes: Sequence[float],
    xlim: tuple[float, float] = (-2, 2),
    *,
    ax=None,
    title: str | None = None,
):
    """A 1-D function with the lines through (x0, f(x0)) of the given ``slopes``: subgradients touch from below."""
    ax = plot_1d(f, xlim, ax=ax, title=title)
    x = np.linspace(*xlim, 100)
    fx0 = float(np.asarray(f(np.array([x0])))[0])
    cmap = plt.get_cmap("coolwarm")
    for i, g in enumerate(slopes):
        ax.plot(x, fx0 + g * (x - x0), lw=1, color=cmap(i / max(len(slopes) - 1, 1)), alpha=0.9)
    ax.plot([x0], [fx0], "ko", ms=6)
    y = np.asarray(f(x))
    ax.set_ylim(float(y.min()) - 0.5, float(y.max()) + 0.3)
    return ax


def plot_field(
    field: Callable[[Array, Array], tuple[Array, Array]],
    bounds: tuple[float, float, float, float] = (-2, 2, -2, 2),
    *,
    paths: Mapping[str, Array] | None = None,
    ax=None,
    n: int = 17,
    xlabel: str = "x",
    ylabel: str = "y",
    title: str | None = None,
):
    """A vector field (arrows) with optional 2-D paths on top, e.g. the players of a min-max game."""
    if ax is None:
        ax = new_figure()[1][0]
    X, Y = np.meshgrid(np.linspace(*bounds[:2], n), np.linspace(*bounds[2:], n))
    U, V = field(X, Y)
    ax.quiver(X, Y, U, V, color="0.6", angles="xy", width=0.003)
    for i, (label, xs) in enumerate((paths or {}).items()):
        xs = np.asarray(xs)
        xs = xs[np.all(np.isfinite(xs), axis=1)]
        plot_path(ax, xs, label=label, color=COLORS[i % len(COLORS)], ms=2)
    ax.plot([0], [0], marker="*", ms=12, color="gold", mec="k", ls="none")
    ax.set(xlim=bounds[:2], ylim=bounds[2:], xlabel=xlabel, ylabel=ylabel)
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title, fontsize=10)
    if paths:
        ax.legend(fontsize=8, loc="upper right")
    return ax


def image_grid(
    images: Array,
    *,
    ncols: int = 8,
    titles: Sequence[str] | None = None,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    size: float = 1.0,
):
    """Show images (N×H×W or N×H·W with square H = W) in a grid; returns the figure."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"flat images must have a square number of pixels, got {images.shape[1]}")
        images = images.reshape(-1, side, side)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape (N, H, W) with N >= 1, got {images.shape}")
    n = len(images)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = new_figure(ncols, nrows, size=(size, size * (1.25 if titles else 1.0)))
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    return fig


def smooth(values, window: int = 15) -> np.ndarray:
    """Running mean of ``values`` over the last ``window`` entries (shorter at the start), same length."""
    v = np.asarray(values, dtype=np.float64)
    window = positive_int("window", window)
    if v.size == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, v.size + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)
