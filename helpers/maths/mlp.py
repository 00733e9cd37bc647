"""A small NumPy multilayer perceptron and the Adam that trains it: the 2-D GAN playground's networks.

:class:`MLP` has LeakyReLU hidden units and a linear output; it runs forward and backward in NumPy, and
differentiates its input gradient once more (what the R1 penalty needs). :class:`Adam` updates a list of
arrays in place. The products are cut into row blocks so that BLAS stays on one thread (:func:`_mm`): on a
busy 2-core machine threads spin-waiting make these tiny products 10-50× slower.

This Adam is not :class:`helpers.maths.optim.Adam`: that one is written as Keras writes it (for notebook 04's
step-by-step comparison), this one keeps the playground's trained numbers: it updates the moments as
``m = β₁m + (1 − β₁)g`` in place (Keras: ``m + (g − m)(1 − β₁)``, equal in exact arithmetic, not in floating point),
with ε = 1e-8 and β₁ = 0.5 by default.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..checks import number, positive

Array = np.ndarray

#: m·n·k above which OpenBLAS splits a product over threads; on a busy 2-core machine the threads
#: spin-waiting makes these tiny products 10-50× slower, so larger products are cut into row blocks.
_SINGLE_THREAD_MNK = 200_000


def _mm(a: Array, w: Array) -> Array:
    """a @ w, in row blocks small enough that BLAS stays on one thread."""
    rows = max(1, _SINGLE_THREAD_MNK // w.size)
    if len(a) <= rows:
        return a @ w
    return np.concatenate([a[i:i + rows] @ w for i in range(0, len(a), rows)])


def _mm_t(a: Array, g: Array) -> Array:
    """a.T @ g (a sum over rows), in row blocks small enough that BLAS stays on one thread."""
    rows = max(1, _SINGLE_THREAD_MNK // (a.shape[1] * g.shape[1]))
    if len(a) <= rows:
        return a.T @ g
    return sum(a[i:i + rows].T @ g[i:i + rows] for i in range(0, len(a), rows))


class MLP:
    """A multilayer perceptron with LeakyReLU hidden units and a linear output, forward and backward in NumPy.

    ``params`` is ``[W1, b1, W2, b2, …]`` with ``W`` of shape (inputs, outputs). Being piecewise
    linear, its input gradient is exact to differentiate once more (what the R1 penalty needs).
    """

    def __init__(self, sizes, rng: np.random.Generator, slope: float = 0.2):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two positive layer widths, got {sizes!r}")
        self.sizes = tuple(sizes)
        self.slope = float(slope)
        self.params: list[Array] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            scale = np.sqrt(2.0 / ((1 + self.slope**2) * fan_in))  # He initialisation for LeakyReLU
            self.params += [scale * rng.standard_normal((fan_in, fan_out)), np.zeros(fan_out)]

    @property
    def layers(self) -> int:
        """Number of weight matrices."""
        return len(self.params) // 2

    def _mask(self, h: Array) -> Array:
        return np.where(h > 0, 1.0, self.slope)

    def forward(self, x: Array) -> tuple[Array, list]:
        """Outputs for inputs ``x`` (n, in) and the cache the backward passes need."""
        cache = []
        a = x
        for i in range(self.layers):
            h = _mm(a, self.params[2 * i]) + self.params[2 * i + 1]
            cache.append((a, h))
            a = h if i == self.layers - 1 else np.where(h > 0, h, self.slope * h)
        return a, cache

    def __call__(self, x: Array) -> Array:
        return self.forward(x)[0]

    def backward(self, cache: list, grad_out: Array, param_grads: bool = True) -> tuple[list | None, Array]:
        """Gradients of Σ grad_out·output w.r.t. the parameters (or None) and the inputs."""
        grads = [None] * len(self.params) if param_grads else None
        g = grad_out
        for i in reversed(range(self.layers)):
            a, h = cache[i]
            if i < self.layers - 1:
                g = g * self._mask(h)
            if param_grads:
                grads[2 * i] = _mm_t(a, g)
                grads[2 * i + 1] = g.sum(axis=0)
            g = _mm(g, self.params[2 * i].T)
        return grads, g

    def input_gradient(self, cache: list) -> tuple[Array, list]:
        """Per-sample gradient of the (single) output w.r.t. the input, and each layer's δ = ∂output/∂h."""
        n = cache[0][0].shape[0]
        g = np.ones((n, 1))
        deltas = [None] * self.layers
        for i in reversed(range(self.layers)):
            if i < self.layers - 1:
                g = g * self._mask(cache[i][1])
            deltas[i] = g
            g = _mm(g, self.params[2 * i].T)
        return g, deltas

    def input_gradient_backward(self, cache: list, deltas: list, grad_gx: Array) -> list:
        """Parameter gradients of Σ grad_gx·(∂output/∂x): backprop through :meth:`input_gradient` (masks fixed)."""
        grads = [np.zeros_like(p) for p in self.params]  # biases: zero (the masks are piecewise constant)
        rho = grad_gx
        for i in range(self.layers):
            if i > 0:
                rho = rho * self._mask(cache[i - 1][1])
            grads[2 * i] = _mm_t(rho, deltas[i])
            rho = _mm(rho, self.params[2 * i])
        return grads


class Adam:
    """Adam over a list of NumPy arrays, updated in place."""

    def __init__(
        self, params: list, learning_rate: float = 1e-3, beta_1: float = 0.5, beta_2: float = 0.999, eps: float = 1e-8
    ):
        self.params = params
        number("learning_rate", learning_rate)  # a non-number, NaN or inf is named "a finite number" first
        self.learning_rate = positive("learning_rate", learning_rate)
        self.beta_1, self.beta_2, self.eps = beta_1, beta_2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list) -> None:
        """One Adam update of every parameter with its gradient."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        lr = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= lr * m / (np.sqrt(v) + self.eps)
