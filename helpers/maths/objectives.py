"""Toy objectives with their gradients (smooth) or subgradients (with kinks), in NumPy.

Every objective evaluates ``value`` on a point of shape ``(d,)`` or on a batch of shape
``(..., d)`` (handy for contour plots), and returns a gradient (or one subgradient) with
``grad``. Known minimisers and constants (``L``, the gradient's Lipschitz constant; ``mu``,
the strong convexity) are attributes where they exist.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Array = np.ndarray


def _as_point(x, dim: int, name: str = "x") -> Array:
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1:] != (dim,):
        raise ValueError(f"{name} must have last dimension {dim}, got shape {x.shape}")
    return x


class Objective:
    """Base class: ``value(x)``, ``grad(x)``, and what is known about the minimum."""

    name: str = "objective"
    dim: int = 2
    smooth: bool = True
    x_star: Array | None = None
    f_star: float | None = None

    def value(self, x) -> Array | float:
        """f(x) for a point ``(d,)`` or a batch ``(..., d)``."""
        raise NotImplementedError

    def grad(self, x) -> Array:
        """The gradient at ``x`` (for a non-smooth objective: one subgradient)."""
        raise NotImplementedError

    def hessian(self, x) -> Array:
        """The matrix of second derivatives at a point ``x`` (smooth objectives that define it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define a Hessian")

    def __call__(self, x):
        return self.value(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


class Quadratic(Objective):
    """f(x) = ½ xᵀAx − bᵀx + c for a symmetric matrix A (not necessarily positive definite)."""

    def __init__(self, A, b=None, c: float = 0.0, name: str | None = None):
        A = np.atleast_2d(np.asarray(A, dtype=np.float64))
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}")
        if not np.allclose(A, A.T):
            raise ValueError("A must be symmetric")
        self.A = A
        self.dim = A.shape[0]
        self.b = np.zeros(self.dim) if b is None else _as_point(b, self.dim, "b")
        self.c = float(c)
        self.eigenvalues = np.linalg.eigvalsh(A)
        #: largest curvature: the gradient's Lipschitz constant (|λ| max).
        self.L = float(np.max(np.abs(self.eigenvalues)))
        #: smallest curvature (negative for a saddle or a maximum).
        self.mu = float(np.min(self.eigenvalues))
        self.name = name or f"quadratic (κ={self.condition_number:g})"
        if np.all(self.eigenvalues > 0):
            self.x_star = np.linalg.solve(A, self.b)
            self.f_star = float(self.value(self.x_star))

    @property
    def condition_number(self) -> float:
        """κ = λ_max / λ_min (inf when A is singular or indefinite)."""
        return float(self.eigenvalues[-1] / self.eigenvalues[0]) if self.eigenvalues[0] > 0 else float("inf")

    @classmethod
    def with_condition(cls, condition: float, angle: float = 0.0, scale: float = 1.0) -> Quadratic:
        """A 2-D convex quadratic with eigenvalues ``scale`` and ``scale·condition``, axes rotated by ``angle``
        radians."""
        if condition < 1:
            raise ValueError(f"condition must be >= 1, got {condition}")
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        c, s = np.cos(angle), np.sin(angle)
        R = np.array([[c, -s], [s, c]])
        return cls(R @ np.diag([scale, scale * condition]) @ R.T)

    def value(self, x):
        x = _as_point(x, self.dim)
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.A, x) - x @ self.b + self.c

    def grad(self, x):
        x = _as_point(x, self.dim)
        return x @ self.A - self.b

    def hessian(self, x=None):
        """A, the same everywhere."""
        return self.A.copy()


class Rosenbrock(Objective):
    """f(x, y) = (a − x)² + b (y − x²)², the banana-shaped valley with minimum at (a, a²)."""

    def __init__(self, a: float = 1.0, b: float = 100.0):
        if b <= 0:
            raise ValueError(f"b must be > 0, got {b}")
        self.a, self.b = float(a), float(b)
        self.name = f"Rosenbrock (a={a:g}, b={b:g})"
        self.x_star = np.array([self.a, self.a**2])
        self.f_star = 0.0

    def value(self, x):
        x = _as_point(x, 2)
        return (self.a - x[..., 0]) ** 2 + self.b * (x[..., 1] - x[..., 0] ** 2) ** 2

    def grad(self, x):
        x = _as_point(x, 2)
        u, v = x[..., 0], x[..., 1]
        return np.stack([-2 * (self.a - u) - 4 * self.b * u * (v - u**2), 2 * self.b * (v - u**2)], axis=-1)

    def hessian(self, x):
        """[[2 − 4b(y − 3x²), −4bx], [−4bx, 2b]] at a point (x, y); at the minimum [[2 + 8ba², −4ba], [−4ba, 2b]]."""
        u, v = _as_point(x, 2)
        return np.array([[2 - 4 * self.b * (v - 3 * u**2), -4 * self.b * u], [-4 * self.b * u, 2 * self.b]])


def sign_subgradient(x: Array, at_zero: float = 0.0) -> Array:
    """sign(x), with ``at_zero`` (any value in [−1, 1]) where x == 0: a subgradient of |x|."""
    if not -1.0 <= at_zero <= 1.0:
        raise ValueError(f"at_zero must lie in the subdifferential [-1, 1] of |x| at 0, got {at_zero}")
    x = np.asarray(x, dtype=np.float64)
    return np.where(x == 0, at_zero, np.sign(x))


class L1Norm(Objective):
    """f(x) = ‖x − center‖₁ (in 1-D: |x|), minimised at ``center``; subgradient sign(x − center)."""

    smooth = False

    def __init__(self, dim: int = 1, center=None, at_zero: float = 0.0):
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.dim = dim
        self.center = np.zeros(dim) if center is None else _as_point(center, dim, "center")
        self.at_zero = float(at_zero)
        sign_subgradient(np.zeros(1), self.at_zero)  # validates at_zero
        self.name = "|x|" if dim == 1 else f"‖x‖₁ in {dim}-D"
        self.x_star, self.f_star = self.center.copy(), 0.0
        #: f is M-Lipschitz with M = √d (the norm of every subgradient is at most √d; docs/notation.md: M, not G).
        self.M = float(np.sqrt(dim))

    def value(self, x):
        return np.abs(_as_point(x, self.dim) - self.center).sum(axis=-1)

    def grad(self, x):
        return sign_subgradient(_as_point(x, self.dim) - self.center, self.at_zero)


class MaxOfAffine(Objective):
    """f(x) = max_i (a_iᵀx + b_i): convex, with a kink wherever two pieces tie."""

    smooth = False

    def __init__(self, slopes, intercepts, name: str = "max of affine"):
        A = np.atleast_2d(np.asarray(slopes, dtype=np.float64))
        if A.shape[0] == 1 and np.ndim(slopes) == 1:
            A = A.T  # 1-D: a list of slopes
        b = np.asarray(intercepts, dtype=np.float64)
        if b.shape != (A.shape[0],):
            raise ValueError(f"need one intercept per piece: {A.shape[0]} slopes, got intercepts of shape {b.shape}")
        self.A, self.b, self.dim, self.name = A, b, A.shape[1], name
        #: the largest subgradient norm, max_i ‖a_i‖ (f is M-Lipschitz)
        self.M = float(np.max(np.linalg.norm(A, axis=1)))

    def pieces(self, x) -> Array:
        """Every affine piece a_iᵀx + b_i, shape ``(..., n_pieces)``."""
        return _as_point(x, self.dim) @ self.A.T + self.b

    def value(self, x):
        return self.pieces(x).max(axis=-1)

    def grad(self, x):
        return self.A[np.argmax(self.pieces(x), axis=-1)]

    def subdifferential_1d(self, x: float, tol: float = 1e-12) -> tuple[float, float]:
        """For a 1-D max: the interval [min, max] of the slopes of the active pieces at ``x``."""
        if self.dim != 1:
            raise ValueError(f"subdifferential_1d needs a 1-D objective, this one has dim {self.dim}")
        p = self.pieces(np.array([x]))
        active = self.A[p >= p.max() - tol, 0]
        return float(active.min()), float(active.max())


class Hinge(Objective):
    """Mean hinge loss of a linear classifier, ``mean max(0, 1 − yᵢ wᵀxᵢ) + ½λ‖w‖²`` (labels ±1)."""

    smooth = False

    def __init__(self, X, y, l2: float = 0.0):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"need X of shape (n, d) and y of shape (n,), got {X.shape} and {y.shape}")
        if not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValueError("labels y must be -1 or +1")
        if l2 < 0:
            raise ValueError(f"l2 must be >= 0, got {l2}")
        self.X, self.y, self.l2, self.dim = X, y, float(l2), X.shape[1]
        self.name = "hinge loss"

    def margins(self, w) -> Array:
        """yᵢ wᵀxᵢ for every example, shape ``(..., n)``."""
        return (_as_point(w, self.dim, "w") @ self.X.T) * self.y

    def value(self, w):
        w = _as_point(w, self.dim, "w")
        return np.maximum(0.0, 1.0 - self.margins(w)).mean(axis=-1) + 0.5 * self.l2 * (w**2).sum(axis=-1)

    def grad(self, w):
        w = _as_point(w, self.dim, "w")
        active = (self.margins(w) < 1.0).astype(np.float64)  # at margin exactly 1 we pick 0
        return -(active * self.y) @ self.X / len(self.y) + self.l2 * w


class Lasso(Objective):
    """L1-regularised least squares, ``‖Xw − y‖² / (2n) + λ‖w‖₁``; subgradient uses sign(0) = 0."""

    smooth = False

    def __init__(self, X, y, lam: float):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"need X of shape (n, d) and y of shape (n,), got {X.shape} and {y.shape}")
        if lam < 0:
            raise ValueError(f"lam must be >= 0, got {lam}")
        self.X, self.y, self.lam, self.dim = X, y, float(lam), X.shape[1]
        self.name = f"lasso (λ={lam:g})"
        #: Lipschitz constant of the smooth part's gradient.
        self.L = float(np.linalg.eigvalsh(X.T @ X / len(y))[-1])

    @classmethod
    def random(
        cls, n: int = 50, d: int = 10, nonzero: int = 3, lam: float = 0.1, noise: float = 0.1, seed: int = 0
    ) -> Lasso:
        """A seeded sparse regression problem: ``nonzero`` of the ``d`` true weights are non-zero."""
        if not 0 < nonzero <= d:
            raise ValueError(f"nonzero must be from 1 to d={d}, got {nonzero}")
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, d))
        w = np.zeros(d)
        w[:nonzero] = rng.choice([-2.0, -1.0, 1.0, 2.0], size=nonzero)
        problem = cls(X, X @ w + noise * rng.standard_normal(n), lam)
        problem.w_true = w
        return problem

    def value(self, w):
        w = _as_point(w, self.dim, "w")
        r = w @ self.X.T - self.y
        return 0.5 * (r**2).mean(axis=-1) + self.lam * np.abs(w).sum(axis=-1)

    def grad(self, w):
        w = _as_point(w, self.dim, "w")
        r = w @ self.X.T - self.y
        return r @ self.X / len(self.y) + self.lam * np.sign(w)

    def solve(self, steps: int = 5000) -> Array:
        """A high-accuracy minimiser by proximal gradient (ISTA): the reference point x*."""
        w = np.zeros(self.dim)
        eta = 1.0 / self.L
        for _ in range(steps):
            z = w - eta * (self.X.T @ (self.X @ w - self.y) / len(self.y))
            w = np.sign(z) * np.maximum(np.abs(z) - eta * self.lam, 0.0)
        self.x_star, self.f_star = w, float(self.value(w))
        return w


class LogisticLikelihood(Objective):
    """Mean log-likelihood of logistic regression, ``mean[y log σ(wᵀx) + (1−y) log(1−σ(wᵀx))] − ½λ‖w‖²``.

    Concave in w: maximise it by gradient *ascent*. Labels are 0/1; add a column of ones to X
    for a bias.
    """

    def __init__(self, X, y, l2: float = 0.0):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"need X of shape (n, d) and y of shape (n,), got {X.shape} and {y.shape}")
        if not np.all(np.isin(y, (0.0, 1.0))):
            raise ValueError("labels y must be 0 or 1")
        if l2 < 0:
            raise ValueError(f"l2 must be >= 0, got {l2}")
        self.X, self.y, self.l2, self.dim = X, y, float(l2), X.shape[1]
        self.name = "logistic log-likelihood"
        #: the gradient's Lipschitz constant: λ_max(XᵀX)/(4n) + λ.
        self.L = float(np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(y)) + l2)

    def logits(self, w) -> Array:
        """wᵀxᵢ for every example."""
        return _as_point(w, self.dim, "w") @ self.X.T

    def value(self, w):
        w = _as_point(w, self.dim, "w")
        z = self.logits(w)
        # y log σ(z) + (1 − y) log σ(−z) = y z − log(1 + e^z), computed stably
        ll = self.y * z - np.logaddexp(0.0, z)
        return ll.mean(axis=-1) - 0.5 * self.l2 * (w**2).sum(axis=-1)

    def grad(self, w):
        w = _as_point(w, self.dim, "w")
        p = 1.0 / (1.0 + np.exp(-self.logits(w)))
        return (self.y - p) @ self.X / len(self.y) - self.l2 * w

    def accuracy(self, w, X=None, y=None) -> float:
        """Fraction of examples whose predicted class (σ(wᵀx) > ½) matches the label."""
        X = self.X if X is None else np.asarray(X, dtype=np.float64)
        y = self.y if y is None else np.asarray(y)
        return float(np.mean((X @ np.asarray(w) > 0) == (y == 1)))


def numerical_gradient(f: Callable[[Array], float], x, h: float = 1e-6) -> Array:
    """Central finite differences, (f(x + h eᵢ) − f(x − h eᵢ)) / 2h, for every coordinate i."""
    if h <= 0:
        raise ValueError(f"h must be > 0, got {h}")
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def one_sided_derivatives(f: Callable[[float], float], x: float, h: float = 1e-6) -> tuple[float, float]:
    """Left and right difference quotients of a 1-D function at ``x``: for a convex f, the ends of ∂f(x)."""
    if h <= 0:
        raise ValueError(f"h must be > 0, got {h}")
    fx = float(f(x))
    return (fx - float(f(x - h))) / h, (float(f(x + h)) - fx) / h
