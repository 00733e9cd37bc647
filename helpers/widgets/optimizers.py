"""Notebook 04 (optimizers and schedules): the optimizer explorer.

:data:`PROBLEMS` names the test problems (an ill-conditioned quadratic, Rosenbrock) and :func:`make_problem`
builds one; :func:`optimizer_view` draws one optimiser on a problem (its path, f − f* against plain gradient
descent, and the error along each eigenvector with the closed-form envelopes); :func:`optimizer_explorer`
puts menus and sliders over it. :class:`OptimizerScene` redraws it fast.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..maths import momentum_theory, optim
from ..maths.objectives import Quadratic, Rosenbrock
from ..viz import plotting
from ..viz.scenes import Scene, View
from .explorer import Explorer, check_steps

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
        steps = check_steps(steps)
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
    momentum iteration for curvature λ_i (:mod:`helpers.maths.momentum_theory`); ``summary["rates"]`` lists them.
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
