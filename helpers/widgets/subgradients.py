"""Notebook 03 (subgradients): the subgradient-method explorer.

:func:`subgradient_view` draws the subgradient method on ‖x‖₁ in 2-D (the path across the kinks, f(x_t)
and the best value so far); :func:`subgradient_explorer` puts sliders for η and the number of steps,
and a menu for the step rule, over it. :class:`SubgradientScene` redraws it fast.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..maths import optim
from ..maths.objectives import L1Norm
from ..viz import plotting
from ..viz.scenes import Scene, View
from .explorer import Explorer, check_steps


class SubgradientScene(Scene):
    """:func:`subgradient_view` on a kept figure: the legend names the step rule; the path, title and curves move."""

    @staticmethod
    def key(values: dict):
        return (values["rule"],)

    @staticmethod
    def compute(learning_rate, steps, rule, x0):
        steps = check_steps(steps)
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
