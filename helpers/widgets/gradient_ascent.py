"""Notebook 02 (gradient ascent): the min-max game explorer.

:func:`game_view` draws descent–ascent on the bilinear game f(x, y) = x·y (the players' path over the
field, and the distance to the equilibrium); :func:`game_explorer` puts sliders for η and the number of
steps, and a menu for how the players take turns, over it. :class:`GameScene` redraws it fast.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..maths import games
from ..viz import plotting
from ..viz.scenes import Scene, View
from .explorer import Explorer, check_steps

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
        zs = games.play(games.BilinearGame(), (1.0, 0.5), values["learning_rate"], check_steps(values["steps"]),
                        values["mode"]).zs
        return (values["mode"], game_radius(zs))

    @staticmethod
    def compute(learning_rate, steps, mode):
        steps = check_steps(steps)
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
