"""Langevin dynamics on a 2-D density whose score is known exactly (notebook 10).

Gradient ascent on ``log p`` climbs to a mode; Langevin dynamics adds noise scaled to the step,

    x ← x + (η/2) ∇ₓ log p(x) + √η ξ,   ξ ~ N(0, I),

and its iterates are (for small η and many steps) samples of ``p`` instead of its peaks.

* :class:`GaussianMixture`: a weighted mixture of isotropic Gaussians with its exact log-density and score
  (∇ₓ log p), and :meth:`~GaussianMixture.noised`, the same mixture convolved with N(0, σ²I) (the density
  denoising score matching and annealed Langevin work with);
* :func:`ring_mixture`: the ring of Gaussians of the 2-D GAN playground, wider and optionally unequally weighted;
* :func:`langevin` (``noise=False``: plain gradient ascent with the same step), :func:`annealed_langevin`
  (Song & Ermon 2019, Algorithm 1);
* :func:`mode_proportions`, :func:`spread_about_modes` and :func:`energy_distance`, to compare samples with the
  density.

NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from helpers.checks import count, non_negative, positive

Array = np.ndarray

__all__ = ["GaussianMixture", "ring_mixture", "langevin", "annealed_langevin", "mode_proportions",
           "spread_about_modes", "energy_distance", "geometric_sigmas"]


@dataclass(frozen=True)
class GaussianMixture:
    """``Σₖ wₖ N(μₖ, σ²I)`` in d dimensions: centres (k, d), one std σ, weights (k,) summing to 1."""

    centres: Array
    std: float
    weights: Array

    def __post_init__(self):
        centres = np.asarray(self.centres, dtype=np.float64)
        if centres.ndim != 2 or len(centres) == 0:
            raise ValueError(f"centres must have shape (k, d) with k >= 1, got {centres.shape}")
        positive("std", self.std)
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (len(centres),) or np.any(weights <= 0) or not np.all(np.isfinite(weights)):
            raise ValueError(f"weights must be {len(centres)} positive numbers, got {self.weights!r}")
        object.__setattr__(self, "centres", centres)
        object.__setattr__(self, "weights", weights / weights.sum())
        object.__setattr__(self, "std", float(self.std))

    @property
    def modes(self) -> int:
        """Number of Gaussians."""
        return len(self.centres)

    def _responsibilities(self, x: Array) -> tuple[Array, Array]:
        """``log wₖ N(x; μₖ, σ²I)`` up to the shared constant, and their normalised exponentials."""
        x = _points(x, self.centres.shape[1])
        logits = np.log(self.weights) - ((x[:, None, :] - self.centres[None]) ** 2).sum(-1) / (2 * self.std**2)
        top = logits.max(axis=1, keepdims=True)
        r = np.exp(logits - top)
        return logits, r / r.sum(axis=1, keepdims=True)

    def log_density(self, x: Array) -> Array:
        """``log p(x)`` for points ``x`` of shape (n, d)."""
        logits, _ = self._responsibilities(x)
        top = logits.max(axis=1)
        d = self.centres.shape[1]
        return top + np.log(np.exp(logits - top[:, None]).sum(axis=1)) - 0.5 * d * np.log(2 * np.pi * self.std**2)

    def score(self, x: Array) -> Array:
        """``∇ₓ log p(x) = Σₖ rₖ(x) (μₖ − x) / σ²`` (rₖ: the posterior probability of component k)."""
        x = _points(x, self.centres.shape[1])
        _, r = self._responsibilities(x)
        return (r @ self.centres - x) / self.std**2

    def noised(self, sigma: float) -> GaussianMixture:
        """The density of ``x + σ ξ`` (x from this mixture): the same centres and weights, std √(std² + σ²)."""
        sigma = non_negative("sigma", sigma)
        return GaussianMixture(self.centres, float(np.hypot(self.std, sigma)), self.weights)

    def sample(self, n: int, rng: np.random.Generator) -> Array:
        """``n`` exact samples: a component drawn by weight, plus Gaussian noise."""
        n = count("n", n)
        idx = rng.choice(self.modes, size=n, p=self.weights)
        return self.centres[idx] + self.std * rng.standard_normal((n, self.centres.shape[1]))


def ring_mixture(modes: int = 8, radius: float = 2.0, std: float = 0.25,
                 weights: Sequence[float] | None = None) -> GaussianMixture:
    """``modes`` Gaussians evenly spaced on a circle (the playground's ring, std 0.25 by default), equal weights
    unless ``weights`` are given."""
    modes = count("modes", modes, 2)
    radius = positive("radius", radius)
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(centres, std, np.ones(modes) if weights is None else np.asarray(weights, dtype=float))


def langevin(score: Callable[[Array], Array], x0: Array, eta: float, steps: int,
             rng: np.random.Generator | None = None, noise: bool = True, keep_every: int = 0) -> Array | tuple:
    """``steps`` Langevin steps ``x ← x + (η/2) score(x) + √η ξ`` from ``x0`` (n, d); ``noise=False``: gradient
    ascent on log p with step η/2. Returns the final points, or ``(final, trajectory)`` with the points every
    ``keep_every`` steps (the start included) when ``keep_every > 0``."""
    eta = positive("eta", eta)
    steps = count("steps", steps, 0)
    keep_every = count("keep_every", keep_every, 0)
    if noise and rng is None:
        raise ValueError("langevin with noise=True needs rng, a numpy.random.Generator")
    x = np.array(x0, dtype=np.float64)
    path = [x.copy()] if keep_every else None
    for step in range(1, steps + 1):
        x = x + 0.5 * eta * score(x)
        if noise:
            x = x + np.sqrt(eta) * rng.standard_normal(x.shape)
        if keep_every and step % keep_every == 0:
            path.append(x.copy())
    return (x, np.stack(path)) if keep_every else x


def geometric_sigmas(sigma_max: float, sigma_min: float, levels: int) -> Array:
    """``levels`` noise levels from ``sigma_max`` down to ``sigma_min``, evenly spaced in log σ."""
    sigma_max, sigma_min = positive("sigma_max", sigma_max), positive("sigma_min", sigma_min)
    if sigma_min >= sigma_max:
        raise ValueError(f"sigma_min must be below sigma_max, got {sigma_min!r} >= {sigma_max!r}")
    return np.geomspace(sigma_max, sigma_min, count("levels", levels, 2))


def annealed_langevin(score: Callable[[Array, float], Array], x0: Array, sigmas: Sequence[float], epsilon: float,
                      steps_per_level: int, rng: np.random.Generator) -> Array:
    """Song & Ermon (2019), Algorithm 1: for each σᵢ (largest first), ``steps_per_level`` Langevin steps on the
    σᵢ-noised density with ``η = ε σᵢ² / σ_L²`` (σ_L the smallest). ``score(x, σ)`` is that density's score."""
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if sigmas.ndim != 1 or len(sigmas) == 0 or np.any(sigmas <= 0):
        raise ValueError(f"sigmas must be a non-empty list of positive noise levels, got {sigmas!r}")
    epsilon = positive("epsilon", epsilon)
    x = np.array(x0, dtype=np.float64)
    for sigma in sigmas:
        x = langevin(lambda y, s=sigma: score(y, s), x, epsilon * sigma**2 / sigmas[-1] ** 2, steps_per_level, rng)
    return x


def mode_proportions(samples: Array, mixture: GaussianMixture) -> Array:
    """The fraction of ``samples`` whose nearest centre is each of the mixture's (sums to 1)."""
    x = _points(samples, mixture.centres.shape[1])
    nearest = ((x[:, None, :] - mixture.centres[None]) ** 2).sum(-1).argmin(axis=1)
    return np.bincount(nearest, minlength=mixture.modes) / len(x)


def spread_about_modes(samples: Array, mixture: GaussianMixture) -> float:
    """The standard deviation, per coordinate, of ``samples`` about their nearest centre (the mixture's own std when
    the samples follow it and the modes are well apart; 0 when every sample sits on a centre)."""
    x = _points(samples, mixture.centres.shape[1])
    nearest = mixture.centres[((x[:, None, :] - mixture.centres[None]) ** 2).sum(-1).argmin(axis=1)]
    return float(np.std(x - nearest))


def energy_distance(a: Array, b: Array) -> float:
    """The energy distance ``2E‖a−b‖ − E‖a−a′‖ − E‖b−b′‖`` between two samples (0 iff same law, for large n)."""
    a, b = _points(a), _points(b, a.shape[1] if np.ndim(a) == 2 else None)

    def mean_dist(u, v):
        return float(np.sqrt(((u[:, None, :] - v[None]) ** 2).sum(-1)).mean())

    return 2 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b)


def _points(x, dim: int | None = None) -> Array:
    """``x`` as a float array of shape (n, dim) with n >= 1 and finite values."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0 or (dim is not None and x.shape[1] != dim):
        raise ValueError(f"points must have shape (n, {dim or 'd'}) with n >= 1, got {x.shape}")
    return x
