"""The noise schedule of a denoising diffusion model (Ho et al. 2020) and its deterministic sampler (DDIM, Song,
Meng & Ermon 2021), in NumPy (notebook 10).

Indices follow Ho et al.: step ``t = 1 … T`` adds noise with variance βₜ,

    q(xₜ | xₜ₋₁) = N(√(1 − βₜ) xₜ₋₁, βₜ I),   so   q(xₜ | x₀) = N(√ᾱₜ x₀, (1 − ᾱₜ) I),   ᾱₜ = Πₛ≤ₜ (1 − βₛ),

and ``t = 0`` is the clean image (ᾱ₀ = 1). A network ε̂(xₜ, t) trained on ‖ε − ε̂(√ᾱₜ x₀ + √(1 − ᾱₜ) ε, t)‖²
predicts the noise; it is the score up to a factor, ∇ log qₜ(xₜ) ≈ −ε̂ / √(1 − ᾱₜ) (:meth:`NoiseSchedule.score`).

* :class:`NoiseSchedule` (arrays of length T + 1, index 0 the clean image): :meth:`~NoiseSchedule.noisy` (the
  closed form), :meth:`~NoiseSchedule.forward_step` (one step of the chain), :meth:`~NoiseSchedule.predict_x0`,
  :meth:`~NoiseSchedule.ddim_step`, :meth:`~NoiseSchedule.sampling_times`;
* :func:`linear_schedule` (Ho et al.: β from 1e-4 to 0.02 over T = 1000) and :func:`cosine_schedule` (Nichol &
  Dhariwal 2021);
* :func:`ddim_sample`: the few-step deterministic sampler, for any ``eps(x, t)``.

NumPy only: the Keras trainer (:mod:`helpers.training.diffusion`) reads the arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from helpers.checks import count, in_range

Array = np.ndarray

__all__ = ["NoiseSchedule", "linear_schedule", "cosine_schedule", "ddim_sample", "SCHEDULES", "make_schedule"]

#: the schedules :func:`make_schedule` builds by name
SCHEDULES = ("linear", "cosine")


@dataclass(frozen=True)
class NoiseSchedule:
    """βₜ for t = 1 … T (``betas[0]`` is 0: index 0 is the clean image), with ᾱₜ derived."""

    betas: Array
    name: str = "custom"

    def __post_init__(self):
        betas = np.asarray(self.betas, dtype=np.float64)
        if betas.ndim != 1 or len(betas) < 2 or betas[0] != 0 or np.any(betas[1:] <= 0) or np.any(betas >= 1):
            raise ValueError("betas must be [0, β₁, …, β_T] with every βₜ in (0, 1) and T >= 1, "
                             f"got {np.asarray(self.betas)!r:.200}")
        object.__setattr__(self, "betas", betas)

    @property
    def steps(self) -> int:
        """T, the number of noising steps."""
        return len(self.betas) - 1

    @property
    def alpha_bars(self) -> Array:
        """ᾱₜ = Πₛ≤ₜ (1 − βₛ) for t = 0 … T (ᾱ₀ = 1)."""
        return np.cumprod(1.0 - self.betas)

    def _t(self, t, low: int = 0) -> Array:
        t = np.asarray(t)
        if not np.issubdtype(t.dtype, np.integer) or np.any(t < low) or np.any(t > self.steps):
            raise ValueError(f"t must be integers from {low} to {self.steps}, got {t!r:.120}")
        return t

    def _per_image(self, values: Array, t, x: Array) -> Array:
        """``values[t]`` shaped to broadcast against ``x`` (one t per image, or one for all)."""
        v = values[self._t(t)]
        return v.reshape(v.shape + (1,) * (np.ndim(x) - v.ndim)) if v.ndim else v

    def noisy(self, x0: Array, t, eps: Array) -> Array:
        """A draw of xₜ given x₀ in one step: √ᾱₜ x₀ + √(1 − ᾱₜ) ε."""
        ab = self._per_image(self.alpha_bars, t, x0)
        return np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * eps

    def forward_step(self, x_prev: Array, t, eps: Array) -> Array:
        """One step of the chain, xₜ = √(1 − βₜ) xₜ₋₁ + √βₜ ε (t >= 1)."""
        self._t(t, 1)
        b = self._per_image(self.betas, t, x_prev)
        return np.sqrt(1.0 - b) * x_prev + np.sqrt(b) * eps

    def predict_x0(self, x_t: Array, t, eps_hat: Array) -> Array:
        """The clean image the predicted noise implies: (xₜ − √(1 − ᾱₜ) ε̂) / √ᾱₜ."""
        ab = self._per_image(self.alpha_bars, t, x_t)
        return (x_t - np.sqrt(1.0 - ab) * eps_hat) / np.sqrt(ab)

    def score(self, x_t: Array, t, eps_hat: Array) -> Array:
        """The score the predicted noise implies, ∇ log qₜ(xₜ) ≈ −ε̂ / √(1 − ᾱₜ) (t >= 1)."""
        self._t(t, 1)
        return -eps_hat / np.sqrt(1.0 - self._per_image(self.alpha_bars, t, x_t))

    def ddim_step(self, x_t: Array, t: int, t_prev: int, eps_hat: Array, clip: float | None = None) -> Array:
        """DDIM's deterministic step (η = 0) from t to t_prev < t: x₀ predicted, then re-noised with the same ε̂,
        √ᾱ_{t_prev} x̂₀ + √(1 − ᾱ_{t_prev}) ε̂. ``clip``: clip x̂₀ to [−clip, clip] (images live in [−1, 1]) and
        re-derive ε̂ from the clipped x̂₀, ε̂ = (xₜ − √ᾱₜ x̂₀)/√(1 − ᾱₜ), as GLIDE's and diffusers' samplers do:
        re-noising with the unclipped ε̂ would put back what the clip removed."""
        if not 0 <= t_prev < t <= self.steps:
            raise ValueError(f"ddim_step goes from t to an earlier t_prev, 0 <= t_prev < t <= {self.steps}, "
                             f"got t={t!r}, t_prev={t_prev!r}")
        x0 = self.predict_x0(x_t, t, eps_hat)
        if clip is not None:  # and the noise re-derived from the clipped x̂₀, so that the step stays consistent
            x0 = np.clip(x0, -clip, clip)
            eps_hat = (np.asarray(x_t, dtype=np.float64) - np.sqrt(self.alpha_bars[t]) * x0) / np.sqrt(
                1.0 - self.alpha_bars[t])
        ab = self.alpha_bars[t_prev]
        return np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * eps_hat

    def sampling_times(self, steps: int) -> Array:
        """``steps`` + 1 decreasing times from T to 0, evenly spaced (DDIM's sub-sequence)."""
        steps = count("steps", steps, 1, self.steps)
        return np.round(np.linspace(self.steps, 0, steps + 1)).astype(int)


def linear_schedule(steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> NoiseSchedule:
    """Ho et al. (2020): β rising linearly from ``beta_start`` to ``beta_end`` over ``steps`` steps."""
    steps = count("steps", steps, 1)
    beta_start = in_range("beta_start", beta_start, 0.0, 1.0, strict_low=True)
    beta_end = in_range("beta_end", beta_end, beta_start, 1.0)
    return NoiseSchedule(np.concatenate([[0.0], np.linspace(beta_start, beta_end, steps)]), "linear")


def cosine_schedule(steps: int = 1000, offset: float = 0.008, max_beta: float = 0.999) -> NoiseSchedule:
    """Nichol & Dhariwal (2021): ᾱₜ = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), each β capped at
    ``max_beta``."""
    steps = count("steps", steps, 1)
    offset = in_range("offset", offset, 0.0, 1.0)
    f = np.cos((np.arange(steps + 1) / steps + offset) / (1 + offset) * np.pi / 2) ** 2
    betas = np.minimum(1.0 - f[1:] / f[:-1], max_beta)
    return NoiseSchedule(np.concatenate([[0.0], betas]), "cosine")


def make_schedule(name: str = "cosine", steps: int = 1000) -> NoiseSchedule:
    """The schedule named in :data:`SCHEDULES` with ``steps`` steps."""
    if name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {name!r}")
    return linear_schedule(steps) if name == "linear" else cosine_schedule(steps)


def ddim_sample(eps: Callable[[Array, int], Array], x_T: Array, schedule: NoiseSchedule, steps: int,
                clip: float | None = 1.0) -> Array:
    """Run DDIM from pure noise ``x_T`` down to t = 0 in ``steps`` deterministic steps; ``eps(x, t)`` predicts
    the noise in ``x`` at time t. The same ``x_T`` always gives the same images."""
    x = np.asarray(x_T, dtype=np.float64)
    times = schedule.sampling_times(steps)
    for t, t_prev in itertools.pairwise(times):
        x = schedule.ddim_step(x, int(t), int(t_prev), np.asarray(eps(x, int(t)), dtype=np.float64), clip)
    return x
