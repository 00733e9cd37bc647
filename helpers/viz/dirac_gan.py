"""The Dirac-GAN's picture (notebook 06): a training method's vector field with a run's trajectory on top.

The maths (fields, steps, trainers) is :mod:`helpers.maths.dirac_gan`; the slider view over this picture is
:func:`helpers.widgets.gan_dynamics.dirac_view`.
"""

from __future__ import annotations

from ..maths.dirac_gan import DiracTrajectory, field
from . import plotting


def plot_method(traj: DiracTrajectory, *, ax=None, bounds=(-2.0, 2.0, -2.0, 2.0), n: int = 15, gamma: float = 0.3,
                sigma: float = 1.0, title: str | None = None):
    """The method's vector field (arrows) with the trajectory on top, θ across and ψ up; returns the axes."""
    ax = plotting.plot_field(lambda X, Y: field(traj.method, X, Y, gamma=gamma, sigma=sigma), bounds,
                             paths={traj.mode: traj.zs}, ax=ax, n=n, xlabel="θ (generator)", ylabel="ψ (discriminator)",
                             title=title or traj.label)
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    return ax
