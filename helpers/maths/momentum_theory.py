"""Closed-form convergence rates of gradient descent and heavy-ball momentum on a quadratic.

On f(x) = ½ xᵀAx with eigenvalues μ = λ_min ≤ … ≤ λ_max = L, the error along each eigenvector
evolves on its own. Gradient descent multiplies it by (1 − ηλ) every step; heavy-ball momentum
(v ← βv − η∇f(x); x ← x + v, as in ``optim.Momentum``) runs the two-term recurrence

    e_{t+1} = (1 + β − ηλ) e_t − β e_{t−1},

whose 2×2 iteration matrix ``[[1 + β − ηλ, −β], [1, 0]]`` has a spectral radius that sets the
rate. With the best η and β the rate is (√κ − 1)/(√κ + 1), against gradient descent's best
(κ − 1)/(κ + 1) (Goh, "Why Momentum Really Works", Distill 2017).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..checks import fraction, positive

Array = np.ndarray


class Tuning(NamedTuple):
    """The best hyper-parameters for a quadratic and the per-step rate they give."""

    learning_rate: float
    momentum: float
    rate: float


def _curvatures(L: float, mu: float) -> tuple[float, float]:
    L = positive("L", L)
    mu = positive("mu", mu)
    if mu > L:
        raise ValueError(f"mu must be <= L, got mu={mu} and L={L}")
    return L, mu


def optimal_gd(L: float, mu: float) -> Tuning:
    """Gradient descent's best fixed step η = 2/(L + μ) and its rate (κ − 1)/(κ + 1) (momentum 0)."""
    L, mu = _curvatures(L, mu)
    kappa = L / mu
    return Tuning(2.0 / (L + mu), 0.0, (kappa - 1.0) / (kappa + 1.0))


def optimal_momentum(L: float, mu: float) -> Tuning:
    """Heavy ball's best η = 4/(√L + √μ)², β = ((√κ − 1)/(√κ + 1))², and its rate √β = (√κ − 1)/(√κ + 1)."""
    L, mu = _curvatures(L, mu)
    sk = math.sqrt(L / mu)
    rate = (sk - 1.0) / (sk + 1.0)
    return Tuning(4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate**2, rate)


def momentum_matrix(learning_rate: float, momentum: float, eigenvalue: float) -> Array:
    """The 2×2 matrix that maps (e_t, e_{t−1}) to (e_{t+1}, e_t) along an eigenvector with curvature λ."""
    learning_rate = positive("learning_rate", learning_rate)
    momentum = fraction("momentum", momentum)
    lam = float(eigenvalue)
    if not math.isfinite(lam):
        raise ValueError(f"eigenvalue must be finite, got {eigenvalue!r}")
    return np.array([[1.0 + momentum - learning_rate * lam, -momentum], [1.0, 0.0]])


def spectral_radius(learning_rate: float, momentum: float, eigenvalues) -> Array:
    """max |eigenvalue| of :func:`momentum_matrix` for each curvature λ (momentum 0: |1 − ηλ|)."""
    lams = np.asarray(eigenvalues, dtype=np.float64)
    out = np.array([np.max(np.abs(np.linalg.eigvals(momentum_matrix(learning_rate, momentum, lam))))
                    for lam in lams.reshape(-1)])
    return out.reshape(lams.shape)


def momentum_rate(learning_rate: float, momentum: float, eigenvalues) -> float:
    """The per-step rate on a quadratic: the largest spectral radius over its eigenvalues (< 1 converges)."""
    lams = np.asarray(eigenvalues, dtype=np.float64)
    if lams.size == 0:
        raise ValueError("eigenvalues must not be empty")
    return float(np.max(spectral_radius(learning_rate, momentum, lams)))


def measured_rate(errors, start: int, stop: int) -> float:
    """The average contraction per step, (‖e_stop‖ / ‖e_start‖)^(1/(stop − start)), from a run's errors."""
    e = np.asarray(errors, dtype=np.float64).reshape(-1)
    integers = isinstance(start, (int, np.integer)) and isinstance(stop, (int, np.integer))
    if not integers or not 0 <= start < stop < len(e):
        raise ValueError(f"need integers 0 <= start < stop < {len(e)} (the number of errors), "
                         f"got start={start!r}, stop={stop!r}")
    if not (e[start] > 0 and e[stop] > 0):
        raise ValueError(f"errors at start and stop must be > 0, got {e[start]} and {e[stop]}")
    return float((e[stop] / e[start]) ** (1.0 / (stop - start)))


def eigen_errors(xs, x_star, hessian) -> tuple[Array, Array]:
    """The curvatures of a symmetric ``hessian`` (largest first) and |error| along each of its eigenvectors.

    Returns ``(eigenvalues (n,), errors (T, n))`` with ``errors[t, i] = |v_iᵀ(x_t − x*)|``: on a
    quadratic these are the independent error sequences whose rates :func:`spectral_radius` gives;
    elsewhere (the Hessian at the minimum) they are the local picture near x*.
    """
    H = np.asarray(hessian, dtype=np.float64)
    xs = np.asarray(xs, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.allclose(H, H.T):
        raise ValueError(f"hessian must be a symmetric square matrix, got shape {H.shape}")
    if xs.ndim != 2 or xs.shape[1] != H.shape[0]:
        raise ValueError(f"xs must have shape (T, {H.shape[0]}), got {xs.shape}")
    lams, V = np.linalg.eigh(H)
    order = np.argsort(lams)[::-1]
    return lams[order], np.abs((xs - np.asarray(x_star, dtype=np.float64)) @ V[:, order])


def predicted_errors(e0, learning_rate: float, momentum: float, eigenvalues, steps: int) -> Array:
    """|e_i(0)| · ρ_i^t for t = 0 … steps: the closed-form envelope along each eigenvector, shape (steps + 1, n)."""
    rates = spectral_radius(learning_rate, momentum, eigenvalues)
    e0 = np.abs(np.asarray(e0, dtype=np.float64)).reshape(-1)
    if e0.shape != rates.reshape(-1).shape:
        raise ValueError(f"need one starting error per eigenvalue: {rates.size} eigenvalues, got {e0.size} errors")
    t = np.arange(int(steps) + 1)[:, None]
    with np.errstate(over="ignore", under="ignore"):
        return e0 * rates.reshape(-1) ** t
