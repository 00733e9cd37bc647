"""Notebook 01's exercises: the step size's bound, a gradient, one descent step, a regime.

The running example is notebook 01's: ``f(x) = ½ xᵀAx − bᵀx`` with ``A`` symmetric positive definite,
whose gradient is ``Ax − b`` and whose gradient descent is stable exactly when ``0 < η < 2/L``
(``L`` the largest eigenvalue of ``A``).
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register

#: the matrix of exercise 01.1: eigenvalues 1 and 10
A_01_1 = np.diag([1.0, 10.0])


def _cases(seed: int = 0, n: int = 4):
    """Symmetric positive definite A (not diagonal), b and x in 3-D: where a gradient is checked."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        a = q @ np.diag(rng.uniform(0.5, 5.0, 3)) @ q.T
        yield a, rng.normal(size=3), rng.normal(size=3)


# --------------------------------------------------------------------------- 01.1: the largest stable step


def _check_01_1(answer):
    eig = np.linalg.eigvalsh(A_01_1)
    mu, L = eig[0], eig[-1]
    if close(answer, 2 / L):
        return f"η < 2/L = {2 / L:g}: the steep coordinate's factor 1 − ηL stays inside (−1, 1)"
    if close(answer, 1 / L):
        raise Wrong("1/L is where the steep coordinate stops changing sign (ηL ≤ 1: monotone), not where descent "
                    "stops converging: |1 − ηλ| < 1 allows more", "1/L")
    if close(answer, 2 / mu):
        raise Wrong("2/μ uses the smallest eigenvalue; the step must be stable for every eigenvalue, and the "
                    "largest one, L, fails first", "2/μ")
    if close(answer, 2 / (L + mu)):
        raise Wrong("2/(L + μ) is the fastest constant step, not the largest stable one", "2/(L+μ)")
    if close(answer, 1 / (2 * L)) or close(answer, L / 2):
        raise Wrong("the bound is 2 divided by L (η < 2/L), not L/2 or 1/(2L)", "L/2")
    raise Wrong(f"{answer!r} is not the largest stable step; write one step of gradient descent along each "
                "eigenvector and ask when |1 − ηλ| < 1 holds for both")


register(Exercise(
    id="01.1", kind="number", checker=_check_01_1, solution=0.2,
    worked="Along eigenvector i the error is multiplied by 1 − ηλᵢ each step; |1 − ηλᵢ| < 1 for all i means "
           "0 < η < 2/λ_max = 2/10.",
    hints=("Write x − x* in the eigenvectors of A: what does one step do to each coordinate?",
           "Each coordinate is multiplied by 1 − ηλ. Which λ makes |1 − ηλ| < 1 hardest to satisfy?"),
    mistakes={"1/L": 0.1, "2/μ": 2.0, "2/(L+μ)": 2 / 11, "L/2": 5.0},
))


# --------------------------------------------------------------------------- 01.2: the gradient


def solution_01_2(A, b, x):
    """The gradient of f(x) = ½ xᵀAx − bᵀx for symmetric A."""
    return A @ x - b


def _check_01_2(grad):
    for A, b, x in _cases():
        got = np.asarray(grad(A, b, x), dtype=float)
        want = solution_01_2(A, b, x)
        if got.shape != want.shape:
            raise Wrong(f"the gradient has the shape of x, {want.shape}; yours has shape {got.shape}", "wrong shape")
        if np.allclose(got, want):
            continue
        if np.allclose(got, -want):
            raise Wrong("the sign is flipped: the gradient points uphill, towards larger f (Ax − b, not b − Ax)",
                        "sign flipped")
        if np.allclose(got, 2 * A @ x - b) or np.allclose(got, 2 * want):
            raise Wrong("a factor 2 too many: the ½ in ½ xᵀAx cancels the 2 from differentiating the square",
                        "factor 2")
        if np.allclose(got, A @ x):
            raise Wrong("the linear term is missing: the gradient of −bᵀx is −b", "forgot b")
        if np.allclose(got, A @ x + b):
            raise Wrong("the linear term has the wrong sign: the gradient of −bᵀx is −b", "+b")
        raise Wrong(f"at x = {np.round(x, 3)} the gradient is {np.round(want, 4)}, yours gives {np.round(got, 4)}")
    return "Ax − b at 4 random points with a non-diagonal A"


register(Exercise(
    id="01.2", kind="function", checker=_check_01_2, solution=solution_01_2,
    hints=("Differentiate one coordinate at a time, or use ∇(½ xᵀAx) = Ax for symmetric A.",
           "∇(½ xᵀAx) = Ax and ∇(bᵀx) = b; mind the minus sign."),
    mistakes={"sign flipped": lambda A, b, x: b - A @ x, "factor 2": lambda A, b, x: 2 * A @ x - b,
              "forgot b": lambda A, b, x: A @ x, "wrong shape": lambda A, b, x: (A @ x - b)[:, None]},
))


# --------------------------------------------------------------------------- 01.3: one step of descent


def solution_01_3(x, g, lr):
    """One step of gradient descent from x with gradient g and learning rate lr."""
    return x - lr * g


def _check_01_3(step):
    rng = np.random.default_rng(3)
    for lr in (0.1, 0.5):
        x, g = rng.normal(size=3), rng.normal(size=3)
        got = np.asarray(step(x.copy(), g.copy(), lr), dtype=float)
        want = solution_01_3(x, g, lr)
        if np.allclose(got, want):
            continue
        if np.allclose(got, x + lr * g):
            raise Wrong("this step climbs: it adds the gradient (gradient ascent); descent subtracts η·g", "ascent")
        if np.allclose(got, x - g):
            raise Wrong("the learning rate is missing: the step is η·g, not g", "forgot η")
        if np.allclose(got, -lr * g) or np.allclose(got, lr * g):
            raise Wrong("return the new point x − η·g, not only the step", "returned the step")
        raise Wrong(f"from x = {np.round(x, 3)} with η = {lr} the step should land at {np.round(want, 4)}")
    return "x − η·g for two learning rates"


register(Exercise(
    id="01.3", kind="function", checker=_check_01_3, solution=solution_01_3,
    hints=("Move against the gradient, by η times its length.", "x_next = x − η·g"),
    mistakes={"ascent": lambda x, g, lr: x + lr * g, "forgot η": lambda x, g, lr: x - g,
              "returned the step": lambda x, g, lr: -lr * g},
))


# --------------------------------------------------------------------------- 01.4: predict the regime


REGIMES = ("monotone", "oscillating", "bouncing", "diverging")


def _check_01_4(answer):
    answer = str(answer).strip().lower()
    if answer not in REGIMES:
        raise Wrong(f"answer one of {', '.join(REGIMES)}, got {answer!r}")
    if answer == "oscillating":
        return "ηL = 1.5: the steep coordinate is multiplied by 1 − 1.5 = −0.5 each step, flipping sign as it shrinks"
    if answer == "diverging":
        raise Wrong("|1 − ηL| = 0.5 < 1: the steep coordinate shrinks; divergence needs ηL > 2", "diverging")
    if answer == "monotone":
        raise Wrong("1 − ηL = −0.5 is negative: the steep coordinate changes sign every step", "monotone")
    raise Wrong("bouncing is ηL = 2 exactly, where the factor is −1", "bouncing")


register(Exercise(
    id="01.4", kind="choice", checker=_check_01_4, solution="oscillating",
    worked="The steepest coordinate is multiplied by 1 − ηL = 1 − 1.5 = −0.5: it flips sign and shrinks.",
    hints=("Compute 1 − ηL for ηL = 1.5.", "A negative factor of size below 1: sign flips, size shrinks."),
    mistakes={"diverging": "diverging", "monotone": "monotone", "bouncing": "bouncing"},
))


# --------------------------------------------------------------------------- 01.5: gradient or subgradient?


register(Exercise(
    id="01.5", kind="explain", checker=None,
    solution="A subgradient of a convex f at x is any g with f(y) ≥ f(x) + gᵀ(y − x) for every y: a slope of a "
             "line (a plane) that touches f at x and stays below it. Where f is differentiable the only "
             "subgradient is the gradient; a kink, such as |x| at 0, has a whole set of them. The update "
             "x ← x − η∇f(x) uses the exact gradient of a differentiable loss, so it is gradient descent; the "
             "subgradient method is what one needs where f has kinks, and its steps must shrink to converge.",
    hints=("Look up the definition: a subgradient is defined by an inequality that holds for every y.",
           "Ask how many subgradients a differentiable function has at a point, and what they are."),
    key_points=(("the definition: f(y) ≥ f(x) + gᵀ(y − x) for every y (a supporting line or plane)",
                 ("f(y) ≥", "f(y) >=", "below", "support", "under", "tangent", "inequality")),
                ("where f is differentiable the only subgradient is the gradient",
                 ("only subgradient", "unique", "is the gradient", "equals the gradient", "same as the gradient",
                  "just the gradient")),
                ("subgradients matter at kinks, where f is not differentiable",
                 ("kink", "not differentiable", "non-differentiable", "nondifferentiable", "corner")),
                ("the update uses the exact gradient, so it is gradient descent",
                 ("exact gradient", "gradient descent", "true gradient", "the gradient itself"))),
))
