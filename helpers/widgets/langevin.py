"""Notebook 10 (Langevin dynamics): gradient ascent on log p against Langevin sampling, over the density.

:func:`langevin_view` runs 500 chains from uniform starting points on the ring of 8 Gaussians
(:func:`helpers.maths.langevin.ring_mixture`, std 0.25) for ``steps`` steps of size η, with the noise
(Langevin) or without it (gradient ascent), and draws the chains' end points over the density, beside the
share of the chains near each mode; :func:`langevin_explorer` puts a log slider for η, one for the steps and a
menu for the method over it. The summary compares the end points with exact samples (energy distance) and their
spread about the nearest mode with the density's own (0.25), and with the spread Langevin's bias predicts for
a single Gaussian, σ/√(1 − η/(4σ²)).
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..maths import langevin as lv
from ..viz import plotting
from ..viz.scenes import Scene, View
from .explorer import Explorer, check_steps

#: the method menu: Langevin (with noise) or plain gradient ascent on log p (no noise)
METHODS = ("Langevin", "gradient ascent")
CHAINS = 500
STD = 0.25
EXTENT = 3.4


def _mixture() -> lv.GaussianMixture:
    return lv.ring_mixture(8, radius=2.0, std=STD)


def run_chains(eta: float, steps: int, method: str = "Langevin", chains: int = CHAINS, seed: int = 0) -> np.ndarray:
    """The end points of ``chains`` chains from uniform starts on [−3, 3]² (the same starts and noise for a seed)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    steps = check_steps(steps)
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-3, 3, size=(chains, 2))
    return lv.langevin(_mixture().score, x0, eta, steps, rng=rng, noise=method == "Langevin")


def biased_spread(eta: float, std: float = STD) -> float:
    """The per-axis std Langevin's chain settles at on one Gaussian N(μ, std²I): std / √(1 − η/(4 std²)); inf from
    η = 4 std² on, where that chain blows up (on the ring, an overshoot lands near another mode instead)."""
    x = 1.0 - eta / (4 * std**2)
    return float(std / np.sqrt(x)) if x > 0 else float("inf")


def summarise(points: np.ndarray, eta: float) -> dict:
    """Per-mode shares, spread about the nearest mode, and the energy distance to 500 exact samples."""
    m = _mixture()
    finite = np.all(np.isfinite(points), axis=1)
    if not finite.all():
        return {"diverged_chains": int((~finite).sum()), "share_min": 0.0, "share_max": 0.0,
                "spread": float("inf"), "density_spread": STD, "predicted_spread": biased_spread(eta),
                "energy_distance": float("inf")}
    shares = lv.mode_proportions(points, m)
    exact = m.sample(len(points), np.random.default_rng(123))
    return {"share_min": float(shares.min()), "share_max": float(shares.max()),
            "spread": lv.spread_about_modes(points, m), "density_spread": STD,
            "predicted_spread": biased_spread(eta), "energy_distance": lv.energy_distance(points, exact)}


class LangevinScene(Scene):
    """:func:`langevin_view` on a kept figure: the density and axes stay; the points and bars move."""

    def draw(self, values):
        eta, method = values["eta"], values["method"]
        points = run_chains(eta, values["steps"], method)
        summary = summarise(points, eta)
        m = _mixture()
        self.figure, (ax1, ax2) = plotting.new_figure(2, size=(3.8, 3.5), pyplot=False)
        t = np.linspace(-EXTENT, EXTENT, 160)
        xx, yy = np.meshgrid(t, t)
        p = np.exp(m.log_density(np.stack([xx.ravel(), yy.ravel()], 1))).reshape(xx.shape)
        ax1.contourf(xx, yy, p, levels=12, cmap="Blues")
        self.points = ax1.plot(*_clip(points).T, ".", ms=2.5, color="C3", alpha=0.7)[0]
        ax1.set(xlim=(-EXTENT, EXTENT), ylim=(-EXTENT, EXTENT), aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
        ax1.set_title(_title(method, eta, values["steps"]), fontsize=9)
        shares = lv.mode_proportions(points, m) if np.all(np.isfinite(points)) else np.zeros(m.modes)
        self.bars = ax2.bar(range(m.modes), shares, color="C3")
        ax2.axhline(1 / m.modes, color="0.3", ls="--", lw=1, label="the density's 1/8")
        ax2.set(ylim=(0, 0.3), xlabel="mode", ylabel="share of the chains", title="chains near each mode")
        ax2.legend(fontsize=8)
        self.moving = [self.points, ax1.title, *self.bars]
        return summary

    def update(self, values):
        eta, method = values["eta"], values["method"]
        points = run_chains(eta, values["steps"], method)
        self.points.set_data(*_clip(points).T)
        self.figure.axes[0].set_title(_title(method, eta, values["steps"]), fontsize=9)
        shares = lv.mode_proportions(points, _mixture()) if np.all(np.isfinite(points)) else np.zeros(8)
        for bar, h in zip(self.bars, shares):
            bar.set_height(min(h, 0.3))
        return summarise(points, eta)


def _clip(points: np.ndarray) -> np.ndarray:
    """Points kept inside the plot (a diverged chain is drawn at the edge, not lost)."""
    return np.clip(np.nan_to_num(points, nan=EXTENT, posinf=EXTENT, neginf=-EXTENT), -EXTENT, EXTENT)


def _title(method: str, eta: float, steps: int) -> str:
    return f"{method}, η = {eta:.3g}, {steps} steps, {CHAINS} chains"


def langevin_view(eta: float = 0.01, steps: int = 300, method: str = "Langevin") -> View:
    """500 chains of Langevin (or gradient ascent) on the ring of 8 Gaussians: end points over the density, and
    the share of chains near each mode."""
    return LangevinScene(eta=eta, steps=steps, method=method).static_view()


langevin_view.scene = LangevinScene


def langevin_explorer() -> Explorer:
    """A log slider for η, a slider for the steps and a menu for the method, over :func:`langevin_view`."""
    return Explorer(langevin_view, dict(
        eta=W.FloatLogSlider(value=0.01, base=10, min=-3, max=-0.5, step=0.25, description="η"),
        steps=W.IntSlider(value=300, min=10, max=1000, step=10, description="steps"),
        method=W.Dropdown(options=list(METHODS), value="Langevin", description="method"),
    ))
