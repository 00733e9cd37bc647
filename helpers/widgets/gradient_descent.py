"""Notebook 01 (gradient descent): the learning-rate explorer.

:func:`gd_view` draws gradient descent on a 2-D quadratic (the path over the contours, and f − f*) and
names the step's regime (:func:`helpers.maths.optim.lr_regime`); :func:`gd_explorer` puts sliders for η,
the number of steps and the conditioning κ over it. :class:`GdScene` redraws it fast.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..maths import momentum_theory, optim
from ..maths.objectives import Quadratic
from ..maths.optim import lr_regime
from ..viz import plotting
from ..viz.scenes import Scene, View
from .explorer import Explorer, check_steps


class GdScene(Scene):
    """:func:`gd_view` on a kept figure: the contours depend on κ; the path, titles and curve move."""

    @staticmethod
    def key(values: dict):
        return (float(values["condition"]),)

    @staticmethod
    def compute(learning_rate, steps, condition, x0):
        steps = check_steps(steps)
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
