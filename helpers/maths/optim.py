"""NumPy optimisers, the loops that run them on toy objectives, and what gradient descent's step does.

The update rules are written exactly as ``keras.optimizers`` writes them (same defaults, same
epsilon placement), so that :func:`keras_trajectory` can check them step for step. Learning rates
are numbers or schedules (:mod:`helpers.maths.schedules`). :func:`lr_regime` and
:func:`gd_rate_quadratic` are the theory of one constant step on a quadratic (notebook 01).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..checks import count, fraction, positive
from .objectives import Objective
from .schedules import Constant, InverseSqrt, Schedule, as_schedule

Array = np.ndarray

# --------------------------------------------------------------------------- optimisers


class Optimizer:
    """Base class: ``step(x, g)`` returns the next point; state lives on the instance."""

    name = "optimizer"

    def __init__(self, learning_rate: float | Schedule):
        self.schedule = as_schedule(learning_rate)
        self.t = 0

    def reset(self) -> None:
        """Forget all state (the step counter and any moving averages)."""
        self.t = 0

    def lr(self) -> float:
        """The learning rate of the coming step."""
        return self.schedule(self.t)

    def step(self, x: Array, g: Array) -> Array:
        """Return the point after one step from ``x`` with gradient ``g``."""
        x_new = self.update(np.asarray(x, dtype=np.float64), np.asarray(g, dtype=np.float64), self.lr())
        self.t += 1
        return x_new

    def update(self, x, g, lr):
        """The update rule itself: the point after one step from ``x`` with gradient ``g`` at rate ``lr``.

        Subclasses define it (their moving averages change in place); :meth:`step` calls it at the
        schedule's rate and advances the step counter. Notebook 04 prints each rule's source."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.schedule(0):g})"


class GradientDescent(Optimizer):
    """x ← x − η g."""

    name = "gradient descent"

    def update(self, x, g, lr):
        return x - lr * g


class Momentum(Optimizer):
    """Heavy ball, written as Keras' SGD(momentum=β) writes it: v ← βv − ηg; x ← x + v.

    With ``nesterov=True``: x ← x + βv − ηg (Keras' Nesterov form, the look-ahead gradient).
    """

    def __init__(self, learning_rate: float | Schedule, momentum: float = 0.9, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = fraction("momentum", momentum)
        self.nesterov = bool(nesterov)
        self.name = "Nesterov" if nesterov else "momentum"
        self.v = None

    def reset(self):
        super().reset()
        self.v = None

    def update(self, x, g, lr):
        if self.v is None:
            self.v = np.zeros_like(x)
        self.v = self.momentum * self.v - lr * g
        return x + self.momentum * self.v - lr * g if self.nesterov else x + self.v


def Nesterov(learning_rate: float | Schedule, momentum: float = 0.9) -> Momentum:
    """Nesterov's accelerated gradient in Keras' form (``Momentum(..., nesterov=True)``)."""
    return Momentum(learning_rate, momentum, nesterov=True)


class RMSProp(Optimizer):
    """s ← ρs + (1−ρ)g²; x ← x − η g / √(s + ε), as Keras' RMSprop (ρ = 0.9, ε = 1e-7)."""

    name = "RMSProp"

    def __init__(self, learning_rate: float | Schedule, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = fraction("rho", rho)
        self.epsilon = positive("epsilon", epsilon)
        self.s = None

    def reset(self):
        super().reset()
        self.s = None

    def update(self, x, g, lr):
        if self.s is None:
            self.s = np.zeros_like(x)
        self.s = self.rho * self.s + (1 - self.rho) * g**2
        return x - lr * g / np.sqrt(self.s + self.epsilon)


class Adam(Optimizer):
    """Adam as Keras writes it: bias correction folded into the step size, ε outside the root."""

    name = "Adam"

    def __init__(
        self, learning_rate: float | Schedule, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
    ):
        super().__init__(learning_rate)
        self.beta_1 = fraction("beta_1", beta_1)
        self.beta_2 = fraction("beta_2", beta_2)
        self.epsilon = positive("epsilon", epsilon)
        self.m = self.v = None

    def reset(self):
        super().reset()
        self.m = self.v = None

    def update(self, x, g, lr):
        if self.m is None:
            self.m, self.v = np.zeros_like(x), np.zeros_like(x)
        k = self.t + 1
        alpha = lr * math.sqrt(1 - self.beta_2**k) / (1 - self.beta_1**k)
        self.m = self.m + (g - self.m) * (1 - self.beta_1)
        self.v = self.v + (g**2 - self.v) * (1 - self.beta_2)
        return x - alpha * self.m / (np.sqrt(self.v) + self.epsilon)


OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": GradientDescent,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def make_optimizer(name: str, learning_rate: float | Schedule, **kwargs) -> Optimizer:
    """An optimiser by name: one of ``gd``, ``momentum``, ``nesterov``, ``rmsprop``, ``adam``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](learning_rate, **kwargs)


# --------------------------------------------------------------------------- loops


@dataclass
class Trajectory:
    """The iterates of one run: points, objective values, learning rates, and how it ended."""

    xs: Array
    values: Array
    lrs: Array
    diverged_at: int | None = None
    label: str = ""
    best_values: Array = field(default=None)

    def __post_init__(self):
        if self.best_values is None:
            self.best_values = np.minimum.accumulate(self.values) if len(self.values) else self.values

    @property
    def diverged(self) -> bool:
        """True when the run stopped because the iterates blew up."""
        return self.diverged_at is not None

    @property
    def x(self) -> Array:
        """The last point."""
        return self.xs[-1]

    @property
    def value(self) -> float:
        """The objective at the last point."""
        return float(self.values[-1])

    @property
    def steps(self) -> int:
        """How many steps were taken."""
        return len(self.xs) - 1


def run(
    objective: Objective,
    x0,
    optimizer: Optimizer,
    steps: int,
    *,
    maximize: bool = False,
    blowup: float = 1e8,
    label: str | None = None,
) -> Trajectory:
    """Run ``optimizer`` on ``objective`` from ``x0`` for ``steps`` steps (ascent when ``maximize``).

    The run stops early, marking ``diverged_at``, once a value or coordinate passes ``blowup``.
    """
    steps = count("steps", steps, minimum=0)
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if x.shape != (objective.dim,):
        raise ValueError(f"x0 must have {objective.dim} coordinates, got shape {np.shape(x0)}")
    optimizer.reset()
    sign = -1.0 if maximize else 1.0
    xs, values, lrs = [x.copy()], [float(objective.value(x))], []
    diverged_at = None
    for t in range(steps):
        lrs.append(optimizer.lr())
        x = optimizer.step(x, sign * objective.grad(x))
        v = float(objective.value(x))
        xs.append(x.copy())
        values.append(v)
        if not np.isfinite(v) or abs(v) > blowup or np.max(np.abs(x)) > blowup:
            diverged_at = t + 1
            break
    values_arr = np.array(values)
    best = (np.maximum if maximize else np.minimum).accumulate(values_arr)
    return Trajectory(
        xs=np.array(xs), values=values_arr, lrs=np.array(lrs), diverged_at=diverged_at,
        label=label if label is not None else optimizer.name, best_values=best,
    )


def gradient_descent(objective: Objective, x0, learning_rate: float | Schedule, steps: int, **kwargs) -> Trajectory:
    """x ← x − η∇f(x), ``steps`` times."""
    return run(objective, x0, GradientDescent(learning_rate), steps, **kwargs)


def gradient_ascent(objective: Objective, x0, learning_rate: float | Schedule, steps: int, **kwargs) -> Trajectory:
    """x ← x + η∇J(x), ``steps`` times: climbs J (the same as descent on −J)."""
    kwargs.setdefault("label", "gradient ascent")
    return run(objective, x0, GradientDescent(learning_rate), steps, maximize=True, **kwargs)


STEP_RULES = ("constant", "sqrt")


def subgradient_method(
    objective: Objective, x0, learning_rate: float, steps: int, rule: str = "sqrt", **kwargs
) -> Trajectory:
    """x ← x − η_t g with g ∈ ∂f(x); ``rule`` is ``constant`` (η_t = η) or ``sqrt`` (η_t = η/√(t+1)).

    The method is not a descent method: f(x_t) can go up. ``Trajectory.best_values`` tracks the
    best value so far, which is what its convergence guarantee is about.
    """
    if rule not in STEP_RULES:
        raise ValueError(f"rule must be one of {STEP_RULES}, got {rule!r}")
    schedule = Constant(learning_rate) if rule == "constant" else InverseSqrt(learning_rate)
    kwargs.setdefault("label", f"subgradient ({'constant' if rule == 'constant' else '1/√t'} step)")
    return run(objective, x0, GradientDescent(schedule), steps, **kwargs)


def keras_trajectory(objective: Objective, x0, keras_optimizer, steps: int) -> Array:
    """Run a ``keras.optimizers`` optimiser on the same gradients; return its iterates ``(steps+1, d)``.

    The gradient comes from ``objective.grad`` (NumPy), so any difference from :func:`run` is a
    difference in the update rule.
    """
    import keras

    steps = count("steps", steps, minimum=0)
    var = keras.Variable(np.asarray(x0, dtype="float64").reshape(-1), dtype="float64")
    xs = [keras.ops.convert_to_numpy(var).copy()]
    for _ in range(steps):
        g = objective.grad(xs[-1])
        keras_optimizer.apply([keras.ops.convert_to_tensor(g, dtype="float64")], [var])
        xs.append(keras.ops.convert_to_numpy(var).copy())
    return np.array(xs)


# --------------------------------------------------------------------------- one constant step on a quadratic

#: what gradient descent with step η does on curvatures up to L, by ηL (see :func:`lr_regime`)
REGIMES = ("monotone", "oscillating", "bouncing", "diverging")


def lr_regime(learning_rate: float, L: float) -> str:
    """Name what gradient descent with step η does on a quadratic whose largest curvature is L.

    Each eigen-coordinate is multiplied by 1 − ηλ per step, so, by ηL:
    ``monotone`` (ηL ≤ 1: no coordinate changes sign), ``oscillating`` (1 < ηL < 2: the steep
    coordinates flip sign every step yet shrink), ``bouncing`` (ηL = 2: the steepest one flips with
    constant size, never converging) or ``diverging`` (ηL > 2). The names say what happens, not how
    fast: the fastest constant step, 2/(L + μ), is ``oscillating`` whenever μ < L.
    """
    positive("learning_rate", learning_rate)
    positive("L", L)
    x = learning_rate * L
    if math.isclose(x, 2.0, rel_tol=1e-12):
        return "bouncing"
    if x > 2:
        return "diverging"
    return "oscillating" if x > 1 else "monotone"


def gd_rate_quadratic(learning_rate: float, eigenvalues) -> float:
    """Per-step contraction of gradient descent on a quadratic: max |1 − η λᵢ| (< 1 converges)."""
    positive("learning_rate", learning_rate)
    return float(np.max(np.abs(1.0 - learning_rate * np.asarray(eigenvalues, dtype=np.float64))))
