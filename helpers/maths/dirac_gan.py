"""The Dirac-GAN of Mescheder, Geiger & Nowozin (ICML 2018), "Which Training Methods for GANs do actually Converge?".

The smallest GAN that shows why GAN training circles instead of converging:

* the data are a point mass at 0, the generator a point mass at θ;
* the discriminator is linear, D_ψ(x) = ψ·x, and, in the paper's convention, high on *fakes*;
* the objective is V(θ, ψ) = f(ψθ) + f(0) with f(t) = −log(1 + exp(−t)) = log σ(t) (the paper
  calls it L); the discriminator ascends V in ψ, the generator descends it in θ.

Sign convention: the series writes the discriminator as a logit d(x), high on *real* data, with
D(x) = σ(d(x)) the probability that x is real. The two are the same game with d = −D_ψ (ψ ↦ −ψ):
V(θ, ψ) = log D(0) + log(1 − D(θ)) with D(x) = σ(−ψx), the GAN value V(D, G) of Goodfellow et al.

Step sizes: the series writes the learning rate η; the functions below take it as the argument ``h``.

The unique equilibrium is (θ, ψ) = (0, 0). This module gives each training method's gradient
vector field v(θ, ψ) = (−∂L/∂θ, ∂L/∂ψ) (with the method's regulariser), the Jacobian of the
field at the equilibrium (analytic, and by finite differences), the Jacobian and spectral
radius of one simultaneous or alternating gradient step of size η, trainers that return the
trajectory and a results table. Its picture is :func:`helpers.viz.dirac_gan.plot_method`, its
slider view :func:`helpers.widgets.gan_dynamics.dirac_view`.

Methods (:data:`METHODS`):

``gan``            the unregularised GAN, saturating generator loss (the minimax game)
``nsgan``          the unregularised GAN, non-saturating generator loss (θ ascends f(−ψθ))
``wgan``           f(t) = t, the critic's weight clipped to |ψ| ≤ ``clip``
``wgan-gp``        f(t) = t, gradient penalty γ/2·(|ψ| − 1)² on the critic
``instance-noise`` the GAN with Gaussian noise of std σ added to real and fake samples (expected gradient)
``r1`` / ``r2``    the GAN with the zero-centred gradient penalty γ/2·‖∇ₓD‖² on real (R1) or fake (R2)
                   samples; for a linear D both equal γ/2·ψ², so their dynamics coincide here
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..checks import count, non_negative, positive

Array = np.ndarray
METHODS = ("gan", "nsgan", "wgan", "wgan-gp", "instance-noise", "r1", "r2")
MODES = ("simultaneous", "alternating")
#: Critic steps per generator step in the paper's recommended settings (n_d = 5 for WGAN and WGAN-GP).
DEFAULT_N_D = {"gan": 1, "nsgan": 1, "wgan": 5, "wgan-gp": 5, "instance-noise": 1, "r1": 1, "r2": 1}
#: A run whose ‖(θ, ψ)‖ passes this is stopped and marked diverged.
DIVERGED = 1e6
#: Method names as the paper writes them.
LABELS = {"gan": "GAN (saturating)", "nsgan": "GAN (non-saturating)", "wgan": "WGAN (clipping)",
          "wgan-gp": "WGAN-GP", "instance-noise": "instance noise", "r1": "R1 penalty", "r2": "R2 penalty"}
_HERMITE_NODES, _HERMITE_WEIGHTS = np.polynomial.hermite_e.hermegauss(41)
_HERMITE_WEIGHTS = _HERMITE_WEIGHTS / np.sqrt(2 * np.pi)  # E[g(ε)], ε ~ N(0, 1), is Σ w_i g(x_i)


def _method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def _mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


def _point(z) -> Array:
    try:
        p = np.asarray(z, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        p = np.array([])
    if p.size != 2 or not np.all(np.isfinite(p)):
        raise ValueError(f"z must be two finite numbers (theta, psi), got {z!r}")
    return p


# --------------------------------------------------------------------------- the loss


def f(t):
    """The paper's f(t) = −log(1 + exp(−t)) = log σ(t), computed stably."""
    return -np.logaddexp(0.0, -np.asarray(t, dtype=np.float64))


def f_prime(t):
    """f′(t) = 1 / (1 + exp(t)) = σ(−t); f′(0) = 1/2."""
    return 0.5 * (1.0 - np.tanh(0.5 * np.asarray(t, dtype=np.float64)))


def f_second(t):
    """f″(t) = −f′(t)·(1 − f′(t)); f″(0) = −1/4."""
    p = f_prime(t)
    return -p * (1.0 - p)


def loss(theta, psi):
    """V(θ, ψ) = f(ψθ) + f(0), the unregularised Dirac-GAN objective (D ascends it, G descends it)."""
    return f(np.asarray(psi, dtype=np.float64) * np.asarray(theta, dtype=np.float64)) + f(0.0)


# --------------------------------------------------------------------------- the vector field


def field(method: str, theta, psi, *, gamma: float = 0.3, sigma: float = 1.0) -> tuple[Array, Array]:
    """The gradient vector field (v_θ, v_ψ) = (−∂L_G/∂θ, ∂L_D/∂ψ) of ``method``, elementwise on arrays.

    ``gamma`` weighs the penalties of ``wgan-gp``, ``r1`` and ``r2``; ``sigma`` is the instance
    noise's standard deviation. Weight clipping (``wgan``) is a projection after the step, not
    part of the field.
    """
    _method(method)
    return _field(method, theta, psi, non_negative("gamma", gamma), non_negative("sigma", sigma))


def _field(method: str, theta, psi, gamma: float, sigma: float) -> tuple[Array, Array]:
    th = np.asarray(theta, dtype=np.float64)
    ps = np.asarray(psi, dtype=np.float64)
    if method == "gan":
        d = f_prime(ps * th)
        return -ps * d, th * d
    if method == "nsgan":  # the generator ascends f(−ψθ) instead of descending f(ψθ)
        return -ps * f_prime(-ps * th), th * f_prime(ps * th)
    if method == "wgan":
        return -ps, th.copy()
    if method == "wgan-gp":  # ∇ₓD = ψ everywhere, so the penalty is γ/2·(|ψ| − 1)²
        return -ps, th - gamma * (np.abs(ps) - 1.0) * np.sign(ps)
    if method == "instance-noise":  # expectation over ε ~ N(0, σ²) by Gauss–Hermite quadrature
        eps = sigma * _HERMITE_NODES.reshape((-1,) + (1,) * th.ndim)
        w = _HERMITE_WEIGHTS.reshape(eps.shape)
        fake = th + eps
        v_theta = -np.sum(w * ps * f_prime(ps * fake), axis=0)
        v_psi = np.sum(w * (fake * f_prime(ps * fake) - eps * f_prime(-ps * eps)), axis=0)
        return v_theta, v_psi
    # r1, r2: for D(x) = ψx, ‖∇ₓD‖² = ψ² on real and fake samples alike
    d = f_prime(ps * th)
    return -ps * d, th * d - gamma * ps


def equilibrium_jacobian(method: str, *, gamma: float = 0.3, sigma: float = 1.0) -> Array | None:
    """The analytic Jacobian of :func:`field` at (0, 0), or None for ``wgan-gp`` (not differentiable at ψ = 0).

    Unregularised: [[0, −f′(0)], [f′(0), 0]]; instance noise adds 2σ²f″(0) and R1/R2 add −γ
    in the lower-right corner (the damping of the discriminator).
    """
    _method(method)
    gamma = non_negative("gamma", gamma)
    sigma = non_negative("sigma", sigma)
    if method == "wgan-gp":
        return None
    a = 1.0 if method == "wgan" else float(f_prime(0.0))
    damping = {"instance-noise": 2 * sigma**2 * float(f_second(0.0)), "r1": -gamma, "r2": -gamma}.get(method, 0.0)
    return np.array([[0.0, -a], [a, damping]])


def numerical_jacobian(fn: Callable[[Array], Array], z, eps: float = 1e-6) -> Array:
    """Central finite-difference Jacobian of ``fn`` (a map from R^n to R^m) at the point ``z``."""
    eps = positive("eps", eps)
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    columns = []
    for i in range(z.size):
        dz = np.zeros_like(z)
        dz[i] = eps
        hi = np.asarray(fn(z + dz), dtype=np.float64).reshape(-1)
        lo = np.asarray(fn(z - dz), dtype=np.float64).reshape(-1)
        columns.append((hi - lo) / (2 * eps))
    return np.stack(columns, axis=1)


def field_map(method: str, *, gamma: float = 0.3, sigma: float = 1.0) -> Callable[[Array], Array]:
    """The field as a map z = (θ, ψ) ↦ v(z), for :func:`numerical_jacobian`."""
    _method(method)
    return lambda z: np.array(field(method, z[0], z[1], gamma=gamma, sigma=sigma))


# --------------------------------------------------------------------------- one step and its Jacobian


def step(method: str, z, h: float, mode: str = "alternating", *, n_d: int = 1, gamma: float = 0.3,
         sigma: float = 1.0, clip: float = 1.0) -> Array:
    """One training step from z = (θ, ψ) with step size η = ``h``; returns the new (θ, ψ).

    ``simultaneous``: both players step from the same point (n_d must be 1). ``alternating``:
    the discriminator takes ``n_d`` steps, then the generator one step against the new ψ (the
    usual GAN loop). ``wgan`` clips ψ to [−clip, clip] after every discriminator step.
    """
    args = _step_args(method, mode, h, n_d, gamma, sigma, clip)
    theta, psi = _step(*_point(z), *args)
    return np.array([theta, psi])


def _step_args(method, mode, h, n_d, gamma, sigma, clip) -> tuple:
    """Check a step's settings once (the trainers then call :func:`_step` without checks)."""
    _method(method)
    _mode(mode)
    n_d = count("n_d", n_d)
    if mode == "simultaneous" and n_d != 1:
        raise ValueError(f"n_d must be 1 for simultaneous steps, got {n_d}")
    return (method, mode, positive("h", h), n_d, non_negative("gamma", gamma), non_negative("sigma", sigma),
            positive("clip", clip) if method == "wgan" else None)


def _step(theta: float, psi: float, method: str, mode: str, h: float, n_d: int, gamma: float, sigma: float,
          clip: float | None) -> tuple[float, float]:
    def project(p: float) -> float:
        return p if clip is None else min(max(p, -clip), clip)

    if mode == "simultaneous":
        v_theta, v_psi = _field(method, theta, psi, gamma, sigma)
        return theta + h * float(v_theta), project(psi + h * float(v_psi))
    for _ in range(n_d):
        psi = project(psi + h * float(_field(method, theta, psi, gamma, sigma)[1]))
    return theta + h * float(_field(method, theta, psi, gamma, sigma)[0]), psi


def update_jacobian(method: str, h: float, mode: str = "alternating", *, n_d: int = 1, gamma: float = 0.3,
                    sigma: float = 1.0) -> Array | None:
    """Jacobian of one :func:`step` at the equilibrium (None for ``wgan-gp``).

    Simultaneous: I + ηJ (η = ``h``). Alternating (n_d discriminator steps, then the generator):
    G·Dⁿᵈ with D = [[1, 0], [ηJ₂₁, 1 + ηJ₂₂]] and G = [[1 + ηJ₁₁, ηJ₁₂], [0, 1]].
    """
    _mode(mode)
    h = positive("h", h)
    n_d = count("n_d", n_d)
    if mode == "simultaneous" and n_d != 1:
        raise ValueError(f"n_d must be 1 for simultaneous steps, got {n_d}")
    J = equilibrium_jacobian(method, gamma=gamma, sigma=sigma)
    if J is None:
        return None
    if mode == "simultaneous":
        return np.eye(2) + h * J
    D = np.array([[1.0, 0.0], [h * J[1, 0], 1.0 + h * J[1, 1]]])
    G = np.array([[1.0 + h * J[0, 0], h * J[0, 1]], [0.0, 1.0]])
    return G @ np.linalg.matrix_power(D, n_d)


def spectral_radius(method: str, h: float, mode: str = "alternating", *, n_d: int = 1, gamma: float = 0.3,
                    sigma: float = 1.0) -> float:
    """Largest |eigenvalue| of :func:`update_jacobian`: < 1 converges locally, ≥ 1 does not (NaN for ``wgan-gp``)."""
    M = update_jacobian(method, h, mode, n_d=n_d, gamma=gamma, sigma=sigma)
    return float("nan") if M is None else float(np.max(np.abs(np.linalg.eigvals(M))))


def r1_max_step(gamma: float, mode: str = "simultaneous") -> float:
    """The largest step size η for which R1/R2 converge locally (spectral radius < 1), as a function of γ > 0.

    Simultaneous: 4γ for γ ≤ 1 and 4/(γ + √(γ² − 1)) above. Alternating: 4/(γ + √(γ² + 1)).
    """
    gamma = positive("gamma", gamma)
    a = float(f_prime(0.0))
    if _mode(mode) == "alternating":  # det = 1 − ηγ, trace = 2 − η²a² − ηγ; |λ| < 1 ⇔ η²a² + 2ηγ < 4
        return 2 / (gamma / 2 + np.sqrt(gamma**2 / 4 + a**2))
    if gamma <= 2 * a:  # complex eigenvalues −γ/2 ± iω: |1 + ηλ|² < 1 ⇔ η < γ / a²
        return gamma / a**2
    return 2 / (gamma / 2 + np.sqrt(gamma**2 / 4 - a**2))


# --------------------------------------------------------------------------- training


@dataclass
class DiracTrajectory:
    """Iterates ``zs`` of shape (steps+1, 2), columns (θ, ψ), of one training run (fewer rows if it diverged)."""

    zs: Array
    method: str
    mode: str
    h: float
    n_d: int
    #: True when the run was stopped early because ‖(θ, ψ)‖ passed :data:`DIVERGED`.
    diverged: bool = False

    @property
    def thetas(self) -> Array:
        """The generator's position θ_t (the data sit at 0)."""
        return self.zs[:, 0]

    @property
    def psis(self) -> Array:
        """The discriminator's slope ψ_t."""
        return self.zs[:, 1]

    @property
    def distances(self) -> Array:
        """‖(θ_t, ψ_t)‖, the distance to the equilibrium (0, 0)."""
        return np.linalg.norm(self.zs, axis=1)

    @property
    def label(self) -> str:
        """The method's name as the paper writes it."""
        return LABELS[self.method]


def train(method: str, z0=(1.0, 1.0), h: float = 0.1, steps: int = 1000, mode: str = "alternating", *,
          n_d: int | None = None, gamma: float = 0.3, sigma: float = 1.0, clip: float = 1.0) -> DiracTrajectory:
    """Train the Dirac-GAN with ``method`` for ``steps`` generator steps from ``z0`` = (θ₀, ψ₀).

    ``n_d`` (critic steps per generator step) defaults to :data:`DEFAULT_N_D` when alternating, 1 when simultaneous.
    """
    _method(method)
    _mode(mode)
    steps = count("steps", steps, minimum=0)
    if n_d is None:
        n_d = 1 if mode == "simultaneous" else DEFAULT_N_D[method]
    args = _step_args(method, mode, h, n_d, gamma, sigma, clip)
    theta, psi = _point(z0)
    zs = np.empty((steps + 1, 2))
    zs[0] = theta, psi
    for t in range(steps):
        theta, psi = _step(theta, psi, *args)
        zs[t + 1] = theta, psi
        if not abs(theta) + abs(psi) < DIVERGED:  # stop before the numbers overflow
            return DiracTrajectory(zs[: t + 2], method, mode, float(h), int(n_d), diverged=True)
    return DiracTrajectory(zs, method, mode, float(h), int(n_d))


def converged(traj: DiracTrajectory, tol: float = 1e-3) -> bool:
    """True when the run ends within ``tol`` of the equilibrium (0, 0) (never for a diverged run)."""
    tol = positive("tol", tol)
    return bool(not traj.diverged and traj.distances[-1] < tol)


def results_table(methods=METHODS, *, z0=(1.0, 1.0), h: float = 0.1, steps: int = 2000, mode: str = "alternating",
                  gamma: float = 0.3, sigma: float = 1.0, clip: float = 1.0, tol: float = 1e-3) -> list[dict]:
    """One row per method: converges?, ‖z‖ at the start and after ``steps``, max |θ| over the last tenth, and ρ.

    ρ is the spectral radius of the update's Jacobian at the equilibrium (NaN where undefined).
    Each method uses its :data:`DEFAULT_N_D` critic steps when alternating.
    """
    rows = []
    for method in methods:
        traj = train(method, z0, h, steps, mode, gamma=gamma, sigma=sigma, clip=clip)
        rows.append(dict(method=method, n_d=traj.n_d, converges=converged(traj, tol),
                         start_distance=float(traj.distances[0]), final_distance=float(traj.distances[-1]),
                         late_theta=float(np.max(np.abs(traj.thetas[-max(1, steps // 10):]))),
                         spectral_radius=spectral_radius(method, h, mode, n_d=traj.n_d, gamma=gamma, sigma=sigma)))
    return rows


def _small(x: float) -> str:
    return f"{x:.6g}" if x >= 1e-9 else "< 1e-09"  # below 1e-9 only round-off is left: print no digits of it


def format_table(rows: list[dict]) -> str:
    """The rows of :func:`results_table` as aligned text (6 significant digits, '< 1e-09' below;
    'n/a' where undefined)."""
    header = (f"{'method':16s} {'n_d':>3s} {'converges':>9s} {'|z_0|':>9s} {'|z_N|':>12s} "
              f"{'late |theta|':>12s} {'rho':>9s}")
    lines = [header]
    for r in rows:
        rho = "n/a" if np.isnan(r["spectral_radius"]) else f"{r['spectral_radius']:.6f}"
        lines.append(f"{r['method']:16s} {r['n_d']:3d} {'yes' if r['converges'] else 'no':>9s} "
                     f"{r['start_distance']:9.6f} "
                     f"{_small(r['final_distance']):>12s} {_small(r['late_theta']):>12s} {rho:>9s}")
    return "\n".join(lines)


__all__ = ["METHODS", "MODES", "DEFAULT_N_D", "DIVERGED", "LABELS", "f", "f_prime", "f_second", "loss", "field",
           "equilibrium_jacobian", "numerical_jacobian", "field_map", "step", "update_jacobian", "spectral_radius",
           "r1_max_step", "DiracTrajectory", "train", "converged", "results_table", "format_table"]
