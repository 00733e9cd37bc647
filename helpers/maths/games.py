"""Two-player min-max games in NumPy: the bridge from gradient ascent to GANs.

A game ``min_x max_y f(x, y)`` is played by descent on x and ascent on y. On the bilinear
game f(x, y) = a·x·y the unique equilibrium is (0, 0), and how the two players take turns
decides whether they reach it:

* ``simultaneous``: both step from the same point; the distance to (0, 0) grows by
  √(1 + η²a²) every step (the spiral out);
* ``alternating``: y steps after seeing the new x; the iterates stay on a closed orbit;
* ``extragradient``: each player looks one step ahead first; the iterates spiral in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import count, positive

Array = np.ndarray
MODES = ("simultaneous", "alternating", "extragradient")


@dataclass
class BilinearGame:
    """f(x, y) = a·x·y + (c/2)·x² − (c/2)·y²: x minimises, y maximises (c > 0 makes it strongly convex–concave)."""

    a: float = 1.0
    c: float = 0.0

    def value(self, x, y):
        """f(x, y), elementwise on arrays."""
        return self.a * x * y + 0.5 * self.c * (np.asarray(x) ** 2 - np.asarray(y) ** 2)

    def grads(self, x: float, y: float) -> tuple[float, float]:
        """(∂f/∂x, ∂f/∂y) at (x, y)."""
        return self.a * y + self.c * x, self.a * x - self.c * y

    def field(self, x, y) -> tuple[Array, Array]:
        """The direction the players move in continuous time: (−∂f/∂x, +∂f/∂y)."""
        gx, gy = self.grads(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        return -gx, gy

    def jacobian(self) -> Array:
        """Jacobian of the field (−∂f/∂x, ∂f/∂y) with respect to (x, y); constant for this game."""
        return np.array([[-self.c, -self.a], [self.a, -self.c]])


@dataclass
class GameTrajectory:
    """Iterates ``zs`` of shape (steps+1, 2), their distance to the equilibrium, and the running average."""

    zs: Array
    mode: str
    learning_rate: float

    @property
    def distances(self) -> Array:
        """‖z_t‖, the distance to the equilibrium (0, 0)."""
        return np.linalg.norm(self.zs, axis=1)

    @property
    def averages(self) -> Array:
        """The running (ergodic) average of the iterates, z̄_t = mean(z_0 … z_t)."""
        return np.cumsum(self.zs, axis=0) / np.arange(1, len(self.zs) + 1)[:, None]


def play(game: BilinearGame, z0, learning_rate: float, steps: int, mode: str = "simultaneous") -> GameTrajectory:
    """Gradient descent on x and ascent on y, ``steps`` times, taking turns as ``mode`` says."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    eta = positive("learning_rate", learning_rate)
    steps = count("steps", steps, minimum=0)
    x, y = (float(v) for v in np.asarray(z0, dtype=np.float64).reshape(2))
    zs = [(x, y)]
    for _ in range(steps):
        if mode == "simultaneous":
            gx, gy = game.grads(x, y)
            x, y = x - eta * gx, y + eta * gy
        elif mode == "alternating":
            gx, _ = game.grads(x, y)
            x = x - eta * gx
            _, gy = game.grads(x, y)
            y = y + eta * gy
        else:  # extragradient: step to a look-ahead point, then use its gradients from the start
            gx, gy = game.grads(x, y)
            xh, yh = x - eta * gx, y + eta * gy
            gx, gy = game.grads(xh, yh)
            x, y = x - eta * gx, y + eta * gy
        zs.append((x, y))
    return GameTrajectory(np.array(zs), mode, eta)


def growth_factor(game: BilinearGame, learning_rate: float, mode: str = "simultaneous") -> float:
    """Spectral radius of one step's linear map: > 1 spirals out, = 1 orbits, < 1 converges."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    eta = positive("learning_rate", learning_rate)
    J = game.jacobian()
    Id = np.eye(2)
    if mode == "simultaneous":
        M = Id + eta * J
    elif mode == "extragradient":
        M = Id + eta * J @ (Id + eta * J)
    else:
        Mx = np.array([[1 - eta * game.c, -eta * game.a], [0.0, 1.0]])
        My = np.array([[1.0, 0.0], [eta * game.a, 1 - eta * game.c]])
        M = My @ Mx
    return float(np.max(np.abs(np.linalg.eigvals(M))))
