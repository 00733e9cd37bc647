"""Learning-rate schedules in NumPy: η_t as a function of the step t = 0, 1, 2, …

Each is written as ``keras.optimizers.schedules`` writes it (same arguments, same formula), and
``to_keras()`` builds the Keras twin (Keras is imported there, lazily: this module is NumPy only).
:func:`as_schedule` turns a plain number into a :class:`Constant`; the optimisers of
:mod:`helpers.maths.optim` take either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import count, fraction, positive

Array = np.ndarray


class Schedule:
    """A learning rate as a function of the step t = 0, 1, 2, …"""

    def __call__(self, t: int) -> float:
        raise NotImplementedError

    def values(self, steps: int) -> Array:
        """The learning rates of the first ``steps`` steps."""
        return np.array([self(t) for t in range(count("steps", steps))])

    def to_keras(self):
        """The equivalent ``keras.optimizers.schedules`` object."""
        raise NotImplementedError(f"{type(self).__name__} has no Keras equivalent")


@dataclass
class Constant(Schedule):
    """η_t = η."""

    learning_rate: float

    def __post_init__(self):
        positive("learning_rate", self.learning_rate)

    def __call__(self, t):
        return float(self.learning_rate)

    def to_keras(self):
        return float(self.learning_rate)


@dataclass
class ExponentialDecay(Schedule):
    """η_t = η · rate^(t / decay_steps) (``staircase``: the exponent is floored), as in Keras.

    The articles' ``lr · 0.99^epoch`` is ``ExponentialDecay(lr, steps_per_epoch, 0.99, staircase=True)``.
    """

    learning_rate: float
    decay_steps: int
    decay_rate: float
    staircase: bool = False

    def __post_init__(self):
        positive("learning_rate", self.learning_rate)
        count("decay_steps", self.decay_steps)
        positive("decay_rate", self.decay_rate)

    def __call__(self, t):
        p = t / self.decay_steps
        return float(self.learning_rate * self.decay_rate ** (math.floor(p) if self.staircase else p))

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.ExponentialDecay(
            self.learning_rate, self.decay_steps, self.decay_rate, staircase=self.staircase
        )


@dataclass
class InverseSqrt(Schedule):
    """η_t = η / √(t + 1): the classic diminishing step of the subgradient method."""

    learning_rate: float

    def __post_init__(self):
        positive("learning_rate", self.learning_rate)

    def __call__(self, t):
        return float(self.learning_rate / math.sqrt(t + 1))


@dataclass
class InverseTimeDecay(Schedule):
    """η_t = η / (1 + rate · t / decay_steps), as in Keras."""

    learning_rate: float
    decay_steps: int
    decay_rate: float

    def __post_init__(self):
        positive("learning_rate", self.learning_rate)
        count("decay_steps", self.decay_steps)
        positive("decay_rate", self.decay_rate)

    def __call__(self, t):
        return float(self.learning_rate / (1 + self.decay_rate * t / self.decay_steps))

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.InverseTimeDecay(self.learning_rate, self.decay_steps, self.decay_rate)


@dataclass
class PiecewiseConstant(Schedule):
    """η_t = values[i] for boundaries[i−1] < t ≤ boundaries[i] (step decay), as in Keras."""

    boundaries: list[int]
    rates: list[float]

    def __post_init__(self):
        if len(self.rates) != len(self.boundaries) + 1:
            raise ValueError(
                f"need one more value than boundaries, got {len(self.boundaries)} boundaries "
                f"and {len(self.rates)} values"
            )
        if list(self.boundaries) != sorted(self.boundaries):
            raise ValueError(f"boundaries must be increasing, got {self.boundaries}")
        for v in self.rates:
            positive("each value", v)

    def __call__(self, t):
        for b, v in zip(self.boundaries, self.rates):
            if t <= b:
                return float(v)
        return float(self.rates[-1])

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.PiecewiseConstantDecay(list(self.boundaries), list(self.rates))


@dataclass
class CosineDecay(Schedule):
    """Cosine from η down to α·η over ``decay_steps``, after an optional linear warm-up, as in Keras."""

    learning_rate: float
    decay_steps: int
    alpha: float = 0.0
    warmup_steps: int = 0
    warmup_from: float = 0.0

    def __post_init__(self):
        positive("learning_rate", self.learning_rate)
        count("decay_steps", self.decay_steps)
        fraction("alpha", self.alpha)
        count("warmup_steps", self.warmup_steps, minimum=0)

    def __call__(self, t):
        if t < self.warmup_steps:
            return float(self.warmup_from + (self.learning_rate - self.warmup_from) * t / self.warmup_steps)
        s = min(t - self.warmup_steps, self.decay_steps) / self.decay_steps
        return float(self.learning_rate * ((1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * s)) + self.alpha))

    def to_keras(self):
        import keras

        kwargs = {}
        if self.warmup_steps:
            kwargs = dict(warmup_target=self.learning_rate, warmup_steps=self.warmup_steps)
            return keras.optimizers.schedules.CosineDecay(self.warmup_from, self.decay_steps, alpha=self.alpha,
                                                          **kwargs)
        return keras.optimizers.schedules.CosineDecay(self.learning_rate, self.decay_steps, alpha=self.alpha)


def as_schedule(learning_rate: float | Schedule) -> Schedule:
    """A schedule from a number (constant) or a schedule (unchanged)."""
    if isinstance(learning_rate, Schedule):
        return learning_rate
    return Constant(positive("learning_rate", learning_rate))
