"""Notebook 02's exercises: one ascent step, the logistic log-likelihood's gradient, a stationary point's kind,
the spiral of simultaneous descent–ascent, and why ascent cannot avoid local optima.

The notation is notebook 02's: ``J`` is an objective to **maximise**, by gradient ascent
``θ_{t+1} = θ_t + η ∇J(θ_t)``, which is gradient descent on ``−J`` (section 2). Section 1's hill is
``J(θ) = 3 − (θ − 2)²``. Section 3's penalised log-likelihood of logistic regression is
``J(w) = (1/n) Σ_i [y_i log p_i + (1 − y_i) log(1 − p_i)] − (λ/2)‖w‖²`` with ``p_i = σ(wᵀx_i)``, 0/1 labels
``y_i``, one example ``x_i`` per row of ``X`` (its last entry the constant 1), and gradient
``∇J(w) = (1/n) Σ_i (y_i − p_i) x_i − λw``. Section 6's bilinear game is ``f(x, y) = x y``: player ``x``
descends ``f``, player ``y`` ascends it, ``z = (x, y)``, equilibrium ``(0, 0)``; a simultaneous step is
``z_{t+1} = M z_t`` with ``M = [[1, −η], [η, 1]]``.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register

# --------------------------------------------------------------------------- 02.1: one step of ascent

#: section 1's hill J(θ) = 3 − (θ − 2)², with the learning rate of its climb, from a start right of the top θ* = 2
THETA0_02_1, ETA_02_1 = 3.5, 0.1


def _J_02_1(theta):
    return 3 - (theta - 2) ** 2


def _check_02_1(answer):
    theta0, eta = THETA0_02_1, ETA_02_1
    slope = -2 * (theta0 - 2)                      # J′(θ₀) = −3
    want = theta0 + eta * slope                    # 3.2
    if close(answer, want):
        return (f"θ₁ = θ₀ + ηJ′(θ₀) = 3.5 + 0.1·(−3) = 3.2: leftwards, towards the top θ* = 2, and J rose from "
                f"{_J_02_1(theta0):.2f} to {_J_02_1(want):.2f}")
    if close(answer, theta0 - eta * slope):
        raise Wrong(f"θ₀ − ηJ′(θ₀) = 3.8 is a step of descent: it moves away from the top θ* = 2 and J falls from "
                    f"{_J_02_1(theta0):.2f} to {_J_02_1(theta0 - eta * slope):.2f}. Ascent adds η·J′(θ₀), and "
                    "J′(3.5) = −3 is negative: ascent makes J larger, not θ", "descends")
    if close(answer, theta0 + slope):
        raise Wrong("the learning rate is missing: θ₀ + J′(θ₀) = 3.5 − 3 = 0.5 jumps over the top θ* = 2 to its "
                    f"mirror image, where J is no higher than at the start (J(0.5) = J(3.5) = {_J_02_1(theta0):.2f}). "
                    "The step is η·J′(θ₀)", "forgot η")
    if close(answer, theta0 + eta * slope / 2):
        raise Wrong("J′(3.5) is −3, not −1.5: differentiating (θ − 2)² gives 2(θ − 2), so J′(θ) = −2(θ − 2); "
                    "the factor 2 is missing", "forgot the 2")
    if close(answer, eta * slope):
        raise Wrong("−0.3 = η·J′(θ₀) is the step, not the new point: θ₁ = θ₀ + η·J′(θ₀)", "returned the step")
    if close(answer, 2.0):
        raise Wrong("2 is the top θ*, where many steps lead; one step from θ₀ = 3.5 covers only part of the way "
                    "(the distance to the top shrinks by the factor 1 − 2η per step)")
    raise Wrong(f"{answer!r} is not θ₁: compute the slope J′(θ) = −2(θ − 2) at θ₀ = 3.5 first, then move by η times "
                "it, sign included")


register(Exercise(
    id="02.1", kind="number", checker=_check_02_1, solution=3.2,
    worked="J′(θ) = −2(θ − 2), so J′(3.5) = −2·1.5 = −3 < 0: uphill is to the left. One ascent step: "
           "θ₁ = θ₀ + ηJ′(θ₀) = 3.5 + 0.1·(−3) = 3.2 (equivalently θ₁ − 2 = (1 − 2η)(θ₀ − 2) = 0.8·1.5 = 1.2).",
    hints=(("First the slope at the start: differentiate J(θ) = 3 − (θ − 2)² and evaluate it at θ₀ = 3.5. Its sign "
            "says which way is uphill."),
           "J′(3.5) = −3. Gradient ascent adds η times the slope, sign included, to θ₀."),
    mistakes={"descends": 3.8, "forgot η": 0.5, "forgot the 2": 3.35, "returned the step": -0.3},
))


# --------------------------------------------------------------------------- 02.2: the log-likelihood's gradient


def solution_02_2(w, X, y, l2):
    """The gradient of J(w) = mean[y log p + (1 − y) log(1 − p)] − (l2/2)‖w‖², with p = σ(Xw)."""
    p = 1 / (1 + np.exp(-(X @ w)))
    return (y - p) @ X / len(y) - l2 * w


def _cases_02_2(seed: int = 2):
    """Small logistic-regression problems (n, d, λ vary; the last column of X is the bias's 1) and a point w."""
    rng = np.random.default_rng(seed)
    for n, d, l2 in ((12, 3, 0.1), (7, 4, 0.05), (20, 5, 0.2)):
        X = np.hstack([rng.normal(size=(n, d - 1)), np.ones((n, 1))])
        y = np.zeros(n)
        y[rng.permutation(n)[: n // 2]] = 1.0       # both labels present
        yield rng.normal(size=d), X, y, l2


def _check_02_2(grad):
    for w, X, y, l2 in _cases_02_2():
        n, d = X.shape
        got = np.asarray(grad(w.copy(), X.copy(), y.copy(), l2), dtype=float)
        want = solution_02_2(w, X, y, l2)
        if got.shape != want.shape:
            raise Wrong(f"∇J(w) has the shape of w, {want.shape}; yours has shape {got.shape} (with X of shape "
                        f"{X.shape}: sum over the examples, the rows, so that one number per weight remains)",
                        "wrong shape")
        if np.allclose(got, want):
            continue
        p = 1 / (1 + np.exp(-(X @ w)))
        data = (y - p) @ X / n
        if np.allclose(got, -want):
            raise Wrong("the sign is flipped: this is the gradient of −J, the cross-entropy that descent minimises "
                        "((p − y)x and +λw). Ascent on J needs ∇J = (1/n) Σ (y_i − p_i) x_i − λw", "sign flipped")
        if np.allclose(got, -data - l2 * w):
            raise Wrong("the data term has the wrong sign: it is (y_i − p_i) x_i, label minus probability (raising "
                        "w·x_i helps where the label is 1 and p_i is still below it), not (p_i − y_i) x_i",
                        "labels and probabilities swapped")
        if np.allclose(got, (y - X @ w) @ X / n - l2 * w):
            raise Wrong("the sigmoid is missing: p_i = σ(wᵀx_i) is a probability, but yours uses the logit wᵀx_i "
                        "itself in y_i − p_i (that is the gradient of −(1/2n)‖Xw − y‖², least squares, not of the "
                        "log-likelihood)",
                        "no sigmoid")
        if np.allclose(got, data * n - l2 * w):
            raise Wrong(f"the data term is a sum, {n} times too large: J is the mean log-likelihood, so its gradient "
                        "has the factor 1/n, (1/n) Σ (y_i − p_i) x_i", "sum, not mean")
        if np.allclose(got, data):
            raise Wrong("the penalty is missing: J subtracts (λ/2)‖w‖², whose gradient −λw belongs in ∇J",
                        "forgot the penalty")
        if np.allclose(got, data + l2 * w):
            raise Wrong("the penalty has the wrong sign: J subtracts (λ/2)‖w‖², so ∇J gets −λw (pulling the weights "
                        "towards 0), not +λw", "+λw")
        raise Wrong(f"on a problem with n = {n}, d = {d}, λ = {l2} and w = {np.round(w, 3)}, ∇J(w) is "
                    f"{np.round(want, 4)}, yours gives {np.round(got, 4)}")
    return "(1/n) Σ (y_i − p_i) x_i − λw on 3 random problems (n, d and λ vary)"


register(Exercise(
    id="02.2", kind="function", checker=_check_02_2, solution=solution_02_2,
    hints=(("Differentiate one example's term first: with z = wᵀx and p = σ(z), σ′(z) = p(1 − p), and "
            "d/dz [y log p + (1 − y) log(1 − p)] simplifies a lot."),
           ("That derivative is y − p; the chain rule multiplies it by x. Average over the rows of X (one example "
            "each) and do not forget the penalty's −λw: (y - p) @ X / len(y) - l2 * w, with "
            "p = 1 / (1 + np.exp(-(X @ w))).")),
    mistakes={"sign flipped": lambda w, X, y, l2: -solution_02_2(w, X, y, l2),
              "labels and probabilities swapped": lambda w, X, y, l2: (1 / (1 + np.exp(-(X @ w))) - y) @ X / len(y)
              - l2 * w,
              "no sigmoid": lambda w, X, y, l2: (y - X @ w) @ X / len(y) - l2 * w,
              "sum, not mean": lambda w, X, y, l2: (y - 1 / (1 + np.exp(-(X @ w)))) @ X - l2 * w,
              "forgot the penalty": lambda w, X, y, l2: (y - 1 / (1 + np.exp(-(X @ w)))) @ X / len(y),
              "+λw": lambda w, X, y, l2: (y - 1 / (1 + np.exp(-(X @ w)))) @ X / len(y) + l2 * w,
              "wrong shape": lambda w, X, y, l2: solution_02_2(w, X, y, l2)[:, None]},
))


# --------------------------------------------------------------------------- 02.3: what kind of stationary point?


KINDS_02_3 = ("maximum", "minimum", "saddle")


def _check_02_3(answer):
    answer = str(answer).strip().lower().removesuffix(" point").strip()
    if answer not in KINDS_02_3:
        raise Wrong(f"answer one of {', '.join(KINDS_02_3)}, got {answer!r}; the Hessian's eigenvalues decide")
    if answer == "saddle":
        return ("the Hessian [[0, 1], [1, 0]] has eigenvalues −1 and +1, of mixed sign: along x = y, f = x² has a "
                "minimum at 0, along x = −y, f = −x² a maximum. The game's equilibrium is a saddle of f")
    if answer == "maximum":
        raise Wrong("a maximum needs every eigenvalue of the Hessian negative; [[0, 1], [1, 0]] has −1 and +1. Along "
                    "the diagonal x = y, f = x² rises on both sides of (0, 0). That player y ascends f does not make "
                    "the equilibrium a maximum of f: y maximises over y alone, with x held fixed", "maximum")
    raise Wrong("a minimum needs every eigenvalue of the Hessian positive; [[0, 1], [1, 0]] has −1 and +1. Along "
                "x = −y, f = −x² falls on both sides of (0, 0). That player x descends f does not make the "
                "equilibrium a minimum of f: x minimises over x alone, with y held fixed", "minimum")


register(Exercise(
    id="02.3", kind="choice", checker=_check_02_3, solution="saddle",
    worked="∂f/∂x = y and ∂f/∂y = x vanish at (0, 0). The Hessian [[0, 1], [1, 0]] has eigenvalues +1 (eigenvector "
           "(1, 1)) and −1 (eigenvector (1, −1)): mixed signs, so (0, 0) is a saddle of f — f = x² along x = y and "
           "f = −x² along x = −y, exactly section 5's ½(x² − y²) turned by 45°.",
    hints=("A zero diagonal does not mean a flat point: the eigenvalues of the Hessian decide, as in section 5.",
           ("[[0, 1], [1, 0]] swaps the two coordinates: (1, 1) is an eigenvector with eigenvalue +1, (1, −1) one "
            "with eigenvalue −1. What do mixed signs make a stationary point?")),
    mistakes={"maximum": "maximum", "minimum": "minimum"},
))


# --------------------------------------------------------------------------- 02.4: the spiral's growth factor

#: the learning rate of exercise 02.4
ETA_02_4 = 0.25


def _check_02_4(answer):
    eta = ETA_02_4
    want = float(np.sqrt(1 + eta**2))              # 1.0307764...
    if close(answer, want, rel=1e-4):
        return (f"‖z_t+1‖ = √(1 + η²)·‖z_t‖ = √1.0625·‖z_t‖ ≈ {want:.6f}·‖z_t‖: the distance grows at every step, "
                "for every η > 0")
    if close(answer, 1 + eta, rel=1e-4):
        raise Wrong("1 + η = 1.25 is far too much: each step adds η times a vector perpendicular to z_t (η·(−y, x)), "
                    "and a perpendicular step of relative length η stretches the distance by √(1 + η²), not 1 + η",
                    "1+η")
    if close(answer, 1 + eta**2, rel=1e-4):
        raise Wrong("1 + η² = 1.0625 is the factor of the squared distance, ‖z_t+1‖² = (1 + η²)‖z_t‖²; the distance "
                    "itself grows by its square root", "forgot the root")
    if close(answer, 1.0, rel=1e-4):
        raise Wrong("1 would mean an orbit, neither in nor out, as in the alternating scheme, where y answers the "
                    "new x. Simultaneously both players step from the same z_t: z_t+1 = M z_t with "
                    "M = [[1, −η], [η, 1]], and the cross terms ∓2η x_t y_t cancel in ‖M z_t‖², leaving "
                    "(1 + η²)‖z_t‖²", "orbit")
    if close(answer, 1 / want, rel=1e-4):
        raise Wrong("that factor is below 1: the distance would shrink. Simultaneous descent–ascent does the "
                    "opposite on f = xy: ‖z_t+1‖² = (x_t − ηy_t)² + (y_t + ηx_t)² = (1 + η²)‖z_t‖², so the players "
                    "spiral away from (0, 0)", "shrinks")
    if close(answer, want, rel=0.01):
        raise Wrong(f"close, but not to 4 decimals: {answer!r}. Compute √(1 + η²) exactly (np.sqrt), not "
                    "approximated or rounded")
    raise Wrong(f"{answer!r} is not the factor: write one simultaneous step, x_t+1 = x_t − ηy_t and "
                "y_t+1 = y_t + ηx_t, then compute x_t+1² + y_t+1² in terms of x_t² + y_t²")


register(Exercise(
    id="02.4", kind="number", checker=_check_02_4, solution=float(np.sqrt(1 + ETA_02_4**2)),
    worked="With ∂f/∂x = y and ∂f/∂y = x, one simultaneous step is x_t+1 = x_t − ηy_t, y_t+1 = y_t + ηx_t. Then "
           "x_t+1² + y_t+1² = (1 + η²)(x_t² + y_t²): the cross terms −2ηx_t y_t and +2ηx_t y_t cancel. So the "
           "distance is multiplied by √(1 + η²) = √1.0625 ≈ 1.030776 at every step (the modulus of M's "
           "eigenvalues 1 ± iη).",
    hints=("Write one simultaneous step for f = xy (∂f/∂x = y, ∂f/∂y = x): x descends, y ascends, both from z_t.",
           "Expand (x_t − ηy_t)² + (y_t + ηx_t)²: the cross terms cancel. The distance is the square root of it."),
    mistakes={"1+η": 1.25, "forgot the root": 1.0625, "orbit": 1.0, "shrinks": float(1 / np.sqrt(1 + ETA_02_4**2))},
))


# --------------------------------------------------------------------------- 02.5: can ascent avoid local optima?


register(Exercise(
    id="02.5", kind="explain", checker=None,
    solution="At a local maximum the gradient is zero, so the step θ + η∇J(θ) stops moving there: ascent climbs the "
             "hill whose basin of attraction holds its start and stays on top of it, global or not (in section 4 "
             "the starts at −1.6 and −0.3 end on the lower hill). The update sees only the local slope, nothing of "
             "the other hills. Ascent on J is descent on −J, iterate for iterate (section 2), so descent, "
             "次梯度优化's method, has exactly the same problem: the claim is false, and the article itself lists "
             "among its limitations that the method 「可能会陷入局部最优，导致模型性能不佳」(次梯度优化 §6), "  # noqa: RUF001
             "\"may fall into local optima, leading to poor model performance\". Several starts, or noisy "
             "(stochastic) gradients at a well-chosen noise level, raise the chance of ending on the global hill "
             "(at equal cost, four starts did better than the best noise in section 4), but neither avoids local "
             "optima for certain nor certifies that a top is the global one.",
    hints=("What is the gradient at the top of a hill, and what does a step θ + η∇J(θ) do there?",
           ("Recall section 2 (ascent on J is descent on −J) and section 4 (which hill a start reaches, and what "
            "several starts and noise cost and buy).")),
    key_points=(("the gradient vanishes at a local maximum, so the step stops there",
                 ("zero", "vanish", "stationary", "= 0", "stops", "no longer moves", "does not move")),
                ("which top is reached depends on the start (its basin); the step sees only the local slope",
                 ("basin", "start", "initial", "local slope", "nearest hill", "local information")),
                ("ascent on J is descent on −J, so descent (the article's method) has the same problem",
                 ("−j", "-j", "descent on", "same iterates", "identical", "same problem")),
                ("remedies (several starts, noise) raise the chance at a cost but guarantee nothing",
                 ("restart", "several start", "multiple start", "noise", "noisy", "stochastic"))),
))
