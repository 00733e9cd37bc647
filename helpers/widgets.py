"""Slider front-ends for the notebooks, each a thin :class:`Explorer` over a pure view function.

A *view* function takes plain numbers and returns a :class:`View`: a matplotlib figure (made
outside pyplot, so it is shown exactly once) plus a ``summary`` dict of the figures it drew.
Tests call the views directly; an *explorer* wraps a view in sliders:

>>> w = gd_explorer()
>>> w.children[0].value = 0.05          # move the learning-rate slider
>>> w.result.summary["regime"]
'good'

In a notebook, showing a view (or its ``figure``) gives the static picture for readers
without a live kernel.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from . import games, optim, plotting
from .functions import L1Norm, Quadratic, Rosenbrock

REGIMES = ("too small", "good", "oscillating", "diverges")


@dataclass
class View:
    """A figure and the numbers behind it; displays as the figure."""

    figure: Figure
    summary: dict = field(default_factory=dict)

    def __post_init__(self):
        # minor ticks on log axes cost a third of a redraw; the major decades are enough on a slider's plot
        for ax in self.figure.axes:
            for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
                if scale == "log":
                    axis.set_minor_locator(NullLocator())

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png")
        return buf.getvalue()


class Explorer(W.VBox):
    """Controls over a view function, its figure shown as an image widget and its summary as a caption.

    Every change of a control calls ``view(**values)`` again. ``result`` holds the latest
    :class:`View`; ``children[i]`` are the controls in order, then the image and the caption.
    The figure is sent as PNG bytes to an ``Image`` widget (no ``Output`` widget capture),
    so it updates the same way in JupyterLab, Notebook 7, VS Code and Colab.
    """

    def __init__(self, view, controls: dict, fixed: dict | None = None):
        self.view = view
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
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
        self.result = self.view(**self.values())
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


def lr_regime(learning_rate: float, L: float, small: float = 0.2) -> str:
    """Name the behaviour of gradient descent with step η on curvature up to L.

    ``too small`` (η ≤ small/L), ``good`` (monotone, η ≤ 1/L), ``oscillating`` (1/L < η < 2/L:
    overshoots but converges) or ``diverges`` (η ≥ 2/L).
    """
    optim._positive("learning_rate", learning_rate)
    optim._positive("L", L)
    x = learning_rate * L
    if x >= 2:
        return "diverges"
    if x > 1:
        return "oscillating"
    return "too small" if x <= small else "good"


def _check_steps(steps: int, maximum: int = 100_000) -> int:
    steps = optim._count("steps", steps)
    if steps > maximum:
        raise ValueError(f"steps must be at most {maximum}, got {steps}")
    return steps


# --------------------------------------------------------------------------- 01: gradient descent


def gd_view(learning_rate: float = 0.05, steps: int = 30, condition: float = 10.0, x0=(1.8, 1.2)) -> View:
    """Gradient descent on a 2-D quadratic with eigenvalues 1 and ``condition``: path and f − f*."""
    steps = _check_steps(steps)
    q = Quadratic.with_condition(condition, angle=np.pi / 6)
    traj = optim.gradient_descent(q, x0, learning_rate, steps)
    regime = lr_regime(learning_rate, q.L)
    fig, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
    plotting.plot_trajectories(q, [traj], bounds=(-2.5, 2.5, -2.5, 2.5), ax=ax1, grid=80,
                               title=f"η = {learning_rate:.3g}, η·L = {learning_rate * q.L:.2f}: {regime}")
    plotting.plot_curves({"f(x_t) − f*": traj.values}, ax=ax2, f_star=q.f_star,
                         title=f"2/L = {2 / q.L:.3g}, κ = {q.condition_number:g}")
    gap = traj.value - q.f_star
    return View(fig, {"regime": regime, "final_gap": gap, "diverged": traj.diverged,
                      "rate": optim.gd_rate_quadratic(learning_rate, q.eigenvalues), "L": q.L})


def gd_explorer() -> Explorer:
    """Sliders for η, steps and conditioning over :func:`gd_view`."""
    return Explorer(gd_view, dict(
        learning_rate=W.FloatLogSlider(value=0.05, base=10, min=-3, max=np.log10(0.5), step=0.02,
                                       description="η", readout_format=".3f"),
        steps=W.IntSlider(value=30, min=1, max=200, description="steps"),
        condition=W.FloatSlider(value=10.0, min=1.0, max=30.0, step=1.0, description="κ"),
    ), fixed=dict(x0=(1.8, 1.2)))


# --------------------------------------------------------------------------- 02: min-max game


def game_view(learning_rate: float = 0.1, steps: int = 100, mode: str = "simultaneous") -> View:
    """Descent–ascent on f(x, y) = x·y from (1, 0.5): the players' path over the field, and ‖z_t‖."""
    steps = _check_steps(steps)
    game = games.BilinearGame()
    traj = games.play(game, (1.0, 0.5), learning_rate, steps, mode)
    rho = games.growth_factor(game, learning_rate, mode)
    fig, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
    r = max(1.5, float(np.nanmax(np.abs(traj.zs))) * 1.1)
    r = min(r, 20.0)
    plotting.plot_field(game.field, (-r, r, -r, r), paths={mode: traj.zs, "running average": traj.averages},
                        ax=ax1, xlabel="x (minimises)", ylabel="y (maximises)", title=f"{mode}, η = {learning_rate:.3g}")
    ax2.plot(traj.distances, label="‖z_t‖")
    ax2.plot(np.linalg.norm(traj.averages, axis=1), label="‖average‖")
    ax2.set(yscale="log", xlabel="step t", title=f"growth per step ρ = {rho:.4f}")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    return View(fig, {"growth": rho, "final_distance": float(traj.distances[-1]),
                      "average_distance": float(np.linalg.norm(traj.averages[-1]))})


def game_explorer() -> Explorer:
    """Sliders for η and steps, and a menu for how the players take turns, over :func:`game_view`."""
    return Explorer(game_view, dict(
        learning_rate=W.FloatSlider(value=0.1, min=0.01, max=0.5, step=0.01, description="η"),
        steps=W.IntSlider(value=100, min=1, max=400, description="steps"),
        mode=W.Dropdown(options=list(games.MODES), value="simultaneous", description="turns"),
    ))


# --------------------------------------------------------------------------- 03: subgradient method


def subgradient_view(learning_rate: float = 0.3, steps: int = 60, rule: str = "constant", x0=(1.3, 0.7)) -> View:
    """The subgradient method on ‖x‖₁ in 2-D: the path across the kinks, f(x_t) and the best so far."""
    steps = _check_steps(steps)
    f = L1Norm(2)
    traj = optim.subgradient_method(f, x0, learning_rate, steps, rule=rule)
    fig, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
    plotting.plot_trajectories(f, [traj], bounds=(-1.6, 1.6, -1.6, 1.6), ax=ax1, grid=81,
                               title=f"η = {learning_rate:.3g}, {'constant' if rule == 'constant' else '1/√t'} steps")
    ax2.plot(traj.values, lw=1, label="f(xₜ)")
    ax2.plot(traj.best_values, lw=2, label="best so far")
    ax2.set(yscale="log", xlabel="step t", title="not a descent method")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    ups = int(np.sum(np.diff(traj.values) > 0))
    return View(fig, {"final_value": traj.value, "best_value": float(traj.best_values[-1]), "increases": ups})


def subgradient_explorer() -> Explorer:
    """Sliders for η and steps, and the step rule, over :func:`subgradient_view`."""
    return Explorer(subgradient_view, dict(
        learning_rate=W.FloatLogSlider(value=0.3, base=10, min=-2, max=0, step=0.05, description="η"),
        steps=W.IntSlider(value=60, min=1, max=300, description="steps"),
        rule=W.Dropdown(options=[("constant", "constant"), ("η/√(t+1)", "sqrt")], value="constant", description="step"),
    ), fixed=dict(x0=(1.3, 0.7)))


# --------------------------------------------------------------------------- 04: optimisers

PROBLEMS = {
    "ill-conditioned quadratic": (lambda: Quadratic.with_condition(50.0, angle=np.pi / 8), (-2.0, 1.5), (-2.5, 2.5, -2.5, 2.5)),
    "Rosenbrock": (lambda: Rosenbrock(), (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0)),
}
_BETA_NAME = {"momentum": "momentum", "nesterov": "momentum", "rmsprop": "rho", "adam": "beta_1"}


def make_problem(problem: str):
    """(objective, start, plot bounds) for a problem named in :data:`PROBLEMS`."""
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {sorted(PROBLEMS)}, got {problem!r}")
    factory, x0, bounds = PROBLEMS[problem]
    return factory(), np.array(x0), bounds


def optimizer_view(optimizer: str = "momentum", learning_rate: float = 0.02, beta: float = 0.9,
                   steps: int = 150, problem: str = "ill-conditioned quadratic") -> View:
    """One optimiser on a named problem: its path over the contours and f − f* against plain GD's."""
    steps = _check_steps(steps)
    f, x0, bounds = make_problem(problem)
    kwargs = {_BETA_NAME[optimizer]: beta} if optimizer in _BETA_NAME else {}
    traj = optim.run(f, x0, optim.make_optimizer(optimizer, learning_rate, **kwargs), steps)
    gd = optim.run(f, x0, optim.GradientDescent(learning_rate), steps, label="gradient descent")
    fig, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
    runs = [traj] if optimizer == "gd" else [gd, traj]
    plotting.plot_trajectories(f, runs, bounds=bounds, ax=ax1, grid=90, title=f"{f.name}, η = {learning_rate:.3g}")
    plotting.plot_curves(runs, ax=ax2, f_star=f.f_star,
                         title=f"{traj.label}" + (f", {_BETA_NAME[optimizer]} = {beta:.3g}" if kwargs else ""))
    return View(fig, {"final_gap": traj.value - f.f_star, "gd_final_gap": gd.value - f.f_star, "diverged": traj.diverged})


def optimizer_explorer() -> Explorer:
    """Menus for the optimiser and problem, sliders for η, β and steps, over :func:`optimizer_view`."""
    return Explorer(optimizer_view, dict(
        optimizer=W.Dropdown(options=list(optim.OPTIMIZERS), value="momentum", description="optimizer"),
        learning_rate=W.FloatLogSlider(value=0.02, base=10, min=-4, max=0, step=0.05, description="η", readout_format=".4f"),
        beta=W.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="β"),
        steps=W.IntSlider(value=150, min=1, max=1000, description="steps"),
        problem=W.Dropdown(options=list(PROBLEMS), value="ill-conditioned quadratic", description="problem"),
    ))
