"""Notebook 03's exercises: a subgradient at a kink, the optimality condition, the step rule, ISTA, mini-batches.

The notation is notebook 03's: ``g ∈ ∂f(x)`` when ``f(z) ≥ f(x) + gᵀ(z − x)`` for every ``z`` (the
subdifferential ``∂f(x)``, an interval ``[f′₋(x), f′₊(x)]`` in 1-D; ``∂|x|(0) = [−1, 1]``); ``x*``
minimises a convex ``f`` exactly when ``0 ∈ ∂f(x*)``; the subgradient method ``x_{t+1} = x_t − η_t g_t``
with a constant step ``η`` or the diminishing step ``η/√(t+1)``; the Lasso ``h(w) + λ‖w‖₁`` with
``h(w) = (1/2n)‖Xw − y‖²`` and the soft threshold ``S_τ(z) = sign(z)·max(|z| − τ, 0)``, with which one
step of ISTA is ``w ← S_{ηλ}(w − η∇h(w))``.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register


def _fmt(a) -> str:
    """An array rounded for a message, with −0 shown as 0."""
    return str(np.round(np.asarray(a, dtype=float), 3) + 0.0)


# --------------------------------------------------------------------------- 03.1: a subgradient of ‖x‖₁


def _cases_03_1():
    """Vectors with exact zeros (the kinks) among positive and negative entries, and the zero vector."""
    rng = np.random.default_rng(31)
    for n in (6, 9, 4):
        x = rng.normal(size=n)
        x[rng.choice(n, size=2, replace=False)] = 0.0
        yield x
    yield np.zeros(3)


def solution_03_1(x):
    """One subgradient of ‖x‖₁: sign(x_i) where x_i ≠ 0, and 0 (a value in [−1, 1]) where x_i = 0."""
    return np.sign(x)


def _check_03_1(subgradient):
    for x in _cases_03_1():
        with np.errstate(divide="ignore", invalid="ignore"):
            got = np.asarray(subgradient(x.copy()), dtype=float)
        if got.shape != x.shape:
            if got.shape == () and np.isclose(got, np.abs(x).sum()):
                raise Wrong("that is the value ‖x‖₁, one number; a subgradient is a slope, with one entry per "
                            f"coordinate of x (shape {x.shape})", "the norm's value")
            raise Wrong(f"a subgradient has the shape of x, {x.shape}; yours has shape {got.shape}")
        on, zero = x != 0, x == 0
        if np.any(zero) and np.any(np.isnan(got[zero])) and np.allclose(got[on], np.sign(x[on])):
            raise Wrong("x/|x| is sign(x) only where x ≠ 0: at x_i = 0 it is 0/0 = nan. At the kink there is no "
                        "gradient but a whole interval of subgradients, ∂|x|(0) = [−1, 1]: return a number in it "
                        "there (0 is the usual choice, np.sign's)", "x/|x|")
        if np.any(on) and np.allclose(got[on], -np.sign(x[on])):
            raise Wrong("the sign is flipped: where x_i > 0, |x_i| grows with x_i, so its slope is +1 (and −1 "
                        "where x_i < 0); a subgradient points uphill like a gradient", "sign flipped")
        if np.any(on) and np.allclose(got, x):
            raise Wrong("x is the gradient of ½‖x‖² (the L2 penalty), whose slope grows with x; the slope of |x_i| "
                        "is ±1 whatever the size of x_i", "gradient of ½‖x‖²")
        if not np.all(np.isfinite(got)):
            raise Wrong(f"at x = {_fmt(x)} yours gives {_fmt(got)}: a subgradient is a finite number in every "
                        "coordinate, also at a kink (x_i = 0), where any value in [−1, 1] will do")
        if not np.allclose(got[on], np.sign(x[on])):
            raise Wrong(f"at x = {_fmt(x)} the subgradient is ±1 wherever x_i ≠ 0 (sign(x_i)), yours gives "
                        f"{_fmt(got)}: away from the kink |x_i| is differentiable, and its derivative is the only "
                        "subgradient")
        outside = zero & ((got < -1 - 1e-12) | (got > 1 + 1e-12))
        if np.any(outside):
            bad = got[outside][0]
            raise Wrong(f"at a coordinate x_i = 0 yours gives {bad:g}, outside ∂|x|(0) = [−1, 1]: the line of slope "
                        f"{bad:g} through 0 rises above |z| on one side (at z = {np.sign(bad):g}, "
                        f"{bad * np.sign(bad):g} > 1), so it does not support the graph")
    return "sign(x_i) where x_i ≠ 0 and a value in [−1, 1] at every x_i = 0, on 4 vectors with exact zeros"


register(Exercise(
    id="03.1", kind="function", checker=_check_03_1, solution=solution_03_1,
    hints=(("‖x‖₁ = Σ|x_i| is a sum over coordinates: find a subgradient of |x_i| for each coordinate on its own, "
            "with three cases: x_i > 0, x_i < 0, x_i = 0."),
           ("Away from 0, |x_i| has a derivative: sign(x_i). At x_i = 0, ∂|x|(0) = [−1, 1]: pick one number in it "
            "(0 is the usual choice). Avoid x / |x|, which is 0/0 there; np.sign already returns 0 at 0.")),
    mistakes={"x/|x|": lambda x: x / np.abs(x), "sign flipped": lambda x: -np.sign(x),
              "gradient of ½‖x‖²": lambda x: x, "the norm's value": lambda x: np.abs(x).sum()},
))


# --------------------------------------------------------------------------- 03.2: 0 ∈ ∂f(x*)


def _slopes_03_2(x: float) -> tuple[float, float]:
    """The subdifferential [f′₋(x), f′₊(x)] of f(x) = ½x² + 2|x − 1|."""
    if x < 1:
        return x - 2, x - 2
    if x > 1:
        return x + 2, x + 2
    return -1.0, 3.0


def _check_03_2(answer):
    if close(answer, 1.0):
        return "x* = 1: ∂f(1) = 1 + 2·[−1, 1] = [−1, 3] contains 0, so the minimum sits at the kink"
    if close(answer, 2.0):
        raise Wrong("x = 2 solves x − 2 = 0, the slope's equation for x < 1, but 2 is not below 1: at x = 2 the "
                    "slope is x + 2 = 4. Solve 0 ∈ ∂f(x) piece by piece, and keep a root only on its own piece",
                    "left piece's root")
    if close(answer, -2.0):
        raise Wrong("x = −2 solves x + 2 = 0, the slope's equation for x > 1, but −2 is not above 1: at x = −2 the "
                    "slope is x − 2 = −4. A root of one piece's derivative counts only on that piece",
                    "right piece's root")
    if close(answer, 0.0):
        raise Wrong("0 minimises ½x² alone; the term 2|x − 1| pulls towards 1. At x = 0 the slope of f is "
                    "0 − 2 = −2 < 0: f still falls to the right", "dropped the kink")
    try:
        x = float(answer)
    except (TypeError, ValueError):
        raise Wrong(f"answer a number (the minimiser x*), got {answer!r}") from None
    lo, hi = _slopes_03_2(x)
    slope = f"{lo:g}".replace("-", "−")
    where = "f still falls to the right" if hi < 0 else "f rises to the right: the minimum is to the left"
    raise Wrong(f"at x = {x:g} the only subgradient is {slope} ≠ 0 ({where}); look for the x where 0 ∈ ∂f(x), "
                "and try the kink x = 1 too: there ∂f is an interval")


register(Exercise(
    id="03.2", kind="number", checker=_check_03_2, solution=1.0,
    worked="f′(x) = x − 2 for x < 1 (negative there: f falls) and x + 2 for x > 1 (positive there: f rises), so "
           "no smooth point has slope 0. At the kink, ∂f(1) = 1 + 2·∂|x − 1|(1) = 1 + 2·[−1, 1] = [−1, 3], "
           "which contains 0: x* = 1.",
    hints=("Write the slope of f on each side of the kink x = 1, and the interval ∂f(1) at the kink.",
           ("For x < 1 the slope is x − 2, for x > 1 it is x + 2; is either zero on its own side? At x = 1, "
            "∂f(1) = 1 + 2·[−1, 1].")),
    mistakes={"left piece's root": 2.0, "right piece's root": -2.0, "dropped the kink": 0.0},
))


# --------------------------------------------------------------------------- 03.3: predict the step rule


RULES_03_3 = ("constant", "sqrt", "both", "neither")


def _check_03_3(answer):
    answer = str(answer).strip().lower()
    if answer not in RULES_03_3:
        raise Wrong(f"answer one of {', '.join(RULES_03_3)}, got {answer!r}")
    if answer == "sqrt":
        return ("η/√(t+1): the best value keeps falling (0.030 at 100 steps, 0.017 at 300), while the constant step "
                "cycles across the kinks from step 4 on and its best value stays at 0.2, below the stall level "
                "ηM²/2 = 0.3")
    if answer == "both":
        raise Wrong("more steps help only the diminishing step. With η = 0.3 constant, the iterates fall into a "
                    "2-cycle across the kinks from step 4 on, (0.1, 0.1) ↔ (−0.2, −0.2): the subgradient keeps its "
                    "size (‖g‖ = √2) near the minimum, so the steps never shrink and the best value stays at 0.2",
                    "both")
    if answer == "constant":
        raise Wrong("the constant step is the one that stalls: its subgradient does not shrink near the kink "
                    "(‖g‖ = √2 off the axes), so the iterates zig-zag at a fixed amplitude and the best value stops "
                    "at 0.2; the steps η/√(t+1) shrink, and so does the zig-zag", "constant")
    raise Wrong("the best value so far can never go up, and with η/√(t+1) it keeps going down (0.030 at 100 "
                "steps, 0.017 at 300): the shrinking steps let the zig-zag close in on the minimum", "neither")


register(Exercise(
    id="03.3", kind="choice", checker=_check_03_3, solution="sqrt",
    worked="From (1.3, 0.7) the constant step η = 0.3 moves both coordinates by ±0.3: after 4 steps it reaches "
           "(0.1, 0.1) and from then on jumps to (−0.2, −0.2) and back, a 2-cycle whose best value, 0.2, never "
           "improves (section 3, fact 2: it stays below ηM²/2 = 0.3). The step η/√(t+1) shrinks, so the zig-zag "
           "shrinks with it and the best value keeps falling, at the slow rate of fact 3 (0.030 after 100 steps, "
           "0.017 after 300).",
    hints=("Near the minimum of ‖x‖₁, does the subgradient get smaller, as a gradient does near a smooth minimum?",
           ("‖g‖ stays √2 off the axes, so a constant step keeps jumping by the same amount across the kinks; a "
            "step that shrinks, η/√(t+1), lets the jumps shrink.")),
    mistakes={"both": "both", "constant": "constant", "neither": "neither"},
))


# --------------------------------------------------------------------------- 03.4: one ISTA step


def _cases_03_4():
    """w, g = ∇h(w), η, λ: η ≠ 1, so the thresholds ηλ and λ differ; both signs, and entries that become 0."""
    rng = np.random.default_rng(34)
    for eta, lam in ((0.5, 0.4), (0.25, 0.8), (0.5, 0.3)):
        w, g = rng.normal(size=8), rng.normal(size=8)
        yield w, g, eta, lam


def solution_03_4(w, g, eta, lam):
    """One ISTA step: a gradient step on h, then the soft threshold S_{ηλ}."""
    z = w - eta * g
    return np.sign(z) * np.maximum(np.abs(z) - eta * lam, 0.0)


def _soft(z, tau):
    return np.sign(z) * np.maximum(np.abs(z) - tau, 0.0)


def _check_03_4(step):
    for w, g, eta, lam in _cases_03_4():
        got = np.asarray(step(w.copy(), g.copy(), eta, lam), dtype=float)
        want = solution_03_4(w, g, eta, lam)
        if got.shape != want.shape:
            raise Wrong(f"the next point has the shape of w, {want.shape}; yours has shape {got.shape}",
                        "wrong shape")
        if np.allclose(got, want):
            continue
        z = w - eta * g
        tau = eta * lam
        if np.allclose(got, z * (np.abs(z) > tau)):
            raise Wrong("that is hard thresholding: it zeroes the small entries but keeps the others as they are. The "
                        "soft threshold also shrinks every entry that survives by ηλ towards 0, "
                        "S_τ(z) = sign(z)·max(|z| − τ, 0)", "hard threshold")
        if np.allclose(got, np.maximum(np.abs(z) - tau, 0.0)):
            raise Wrong("the sign is lost: max(|z| − τ, 0) is the size of the result; multiply it by sign(z), or a "
                        "negative weight comes back positive", "sign lost")
        if np.allclose(got, _soft(z, lam)):
            raise Wrong(f"the threshold is ηλ = {tau:g}, not λ = {lam:g}: the step takes η times the L1 term too, "
                        "S_{ηλ} is the proximal step of η·λ‖w‖₁", "threshold λ")
        if np.allclose(got, z):
            raise Wrong("this is the gradient step on h alone: the L1 term is missing; apply the soft threshold "
                        "S_{ηλ} to w − η∇h(w)", "no threshold")
        if np.allclose(got, w - eta * (g + lam * np.sign(w))):
            raise Wrong("that is the subgradient method's step, w − η(∇h(w) + λ·sign(w)) (section 4): it moves by ηλ "
                        "from the old w's sign and jumps over 0 instead of landing on it. ISTA soft-thresholds the "
                        "gradient step's result, S_{ηλ}(w − η∇h(w))", "subgradient step")
        if np.allclose(got, _soft(w, tau) - eta * g):
            raise Wrong("the two halves are swapped: first the gradient step on h, z = w − η∇h(w), then the soft "
                        "threshold of z")
        raise Wrong(f"with w = {_fmt(w)}, ∇h(w) = {_fmt(g)}, η = {eta:g}, λ = {lam:g} the step lands at "
                    f"{_fmt(want)}, yours gives {_fmt(got)}")
    return "S_{ηλ}(w − η∇h(w)) on 3 cases (η = 0.5 and 0.25), with entries of both signs and entries set to 0"


register(Exercise(
    id="03.4", kind="function", checker=_check_03_4, solution=solution_03_4,
    hints=(("Two halves: a gradient step on the smooth part h, then the L1 part solved exactly, by the soft "
            "threshold of section 2, with the threshold scaled by the step."),
           "z = w − η·g, then sign(z)·max(|z| − ηλ, 0), coordinate by coordinate (np.sign, np.abs, np.maximum)."),
    mistakes={"hard threshold": lambda w, g, eta, lam: (w - eta * g) * (np.abs(w - eta * g) > eta * lam),
              "sign lost": lambda w, g, eta, lam: np.maximum(np.abs(w - eta * g) - eta * lam, 0.0),
              "threshold λ": lambda w, g, eta, lam: _soft(w - eta * g, lam),
              "no threshold": lambda w, g, eta, lam: w - eta * g,
              "subgradient step": lambda w, g, eta, lam: w - eta * (g + lam * np.sign(w)),
              "wrong shape": lambda w, g, eta, lam: solution_03_4(w, g, eta, lam)[:, None]},
))


# --------------------------------------------------------------------------- 03.5: the approximate gradient


register(Exercise(
    id="03.5", kind="explain", checker=None,
    solution="A subgradient is not an approximation of the gradient: where f is differentiable the gradient is its "
             "only subgradient, exact and at the same cost; subgradients differ from it only at kinks. The "
             "approximate gradient that does save computation is the mini-batch (stochastic) gradient: the "
             "average of b example-gradients instead of all n. It is unbiased, its mean is the full gradient, and "
             "its variance is σ²/b, so halving the cost doubles the noise. With a constant step that noise leaves "
             "SGD on a floor ησ*²/(4b) above f*, and a decaying step goes below it. It pays when there are many "
             "examples and moderate accuracy is enough: in section 6, at equal compute (counted in "
             "example-gradients) and each at its best step, SGD beats full-batch gradient descent by orders of "
             "magnitude.",
    hints=(("Two questions: what is the subgradient at a point where f is differentiable, and which cheaper gradient "
            "does section 6 measure?"),
           ("Section 6: the mini-batch gradient of b examples, its mean and its variance as functions of b, and what "
            "that variance does to SGD with a constant step; then the race at equal compute.")),
    key_points=((("a subgradient is not an approximation: where f is differentiable it is the gradient, at the "
                  "same cost"),
                 ("not an approximation", "is the gradient", "only subgradient", "equals the gradient",
                  "same as the gradient", "same cost")),
                (("the approximation that saves computation is the mini-batch (stochastic) gradient, b examples "
                  "instead of n"),
                 ("mini-batch", "minibatch", "mini batch", "stochastic", "sgd")),
                ("it is unbiased, with variance σ²/b: less computation, more noise",
                 ("unbiased", "variance", "1/b", "σ²/b", "noise", "noisy")),
                ("with a constant step it stalls on a noise floor; a decaying step goes below it",
                 ("floor", "decay", "decreas", "diminish", "schedule", "stall")),
                ("it pays on many examples, at equal compute (per example-gradient)",
                 ("equal compute", "same compute", "many examples", "large n", "example-gradient",
                  "per example", "large data"))),
))
