"""Notebook 04's exercises: a momentum step, an Adam step, the race on the quadratic, β*, the decay's half-life.

The notation is notebook 04's section 2: the gradient ``g_t = ∇f(x_t)``, the learning rate ``η``; heavy-ball
momentum ``v_{t+1} = βv_t − ηg_t``, ``x_{t+1} = x_t + v_{t+1}`` (``v`` is the step itself, as in Keras'
``SGD(momentum=β)``); Adam ``m_{t+1} = β₁m_t + (1 − β₁)g_t``, ``v_{t+1} = β₂v_t + (1 − β₂)g_t²``,
``x_{t+1} = x_t − η √(1 − β₂^{t+1})/(1 − β₁^{t+1}) · m_{t+1}/(√v_{t+1} + ϵ)`` (the bias correction folded into
the step and ϵ added to √v_{t+1}, as Keras writes it), with ``t = 0`` for the first step. On the quadratic
``f(x) = ½ xᵀAx`` with curvatures ``μ ≤ λ ≤ L`` and ``κ = L/μ``, section 4's best heavy ball has
``β* = ((√κ − 1)/(√κ + 1))²`` and rate ``√β*``; section 7's staircase is 次梯度优化's
``learning_rate * (0.99 ** epoch)``.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register


def _pair(got, n: int, names: str, shape) -> list[np.ndarray]:
    """The learner's returned tuple as ``n`` float arrays of ``shape``; a Wrong that says what came back if not."""
    if not isinstance(got, (tuple, list)) or len(got) != n:
        kind = f"a tuple of {len(got)}" if isinstance(got, (tuple, list)) else type(got).__name__
        raise Wrong(f"return the {n} arrays {names} (a tuple, in that order); yours returned {kind}")
    arrays = [np.asarray(a, dtype=float) for a in got]
    for name, a in zip(names.split(", "), arrays):
        if a.shape != shape:
            raise Wrong(f"{name} has the shape of x, {shape}; yours has shape {a.shape}")
    return arrays


def _r(a) -> str:
    return str(np.round(np.asarray(a, dtype=float), 4))


# --------------------------------------------------------------------------- 04.1: one heavy-ball step


def solution_04_1(x, v, g, lr, beta):
    """One heavy-ball momentum step as section 2 writes it: the new point and the new velocity."""
    v_next = beta * v - lr * g
    return x + v_next, v_next


def _momentum_cases():
    """Points, velocities (not zero: an old velocity must count) and gradients in 3-D, with (η, β)."""
    rng = np.random.default_rng(41)
    for lr, beta in ((0.1, 0.9), (0.05, 0.5), (0.2, 0.0)):
        yield rng.normal(size=3), rng.normal(size=3), rng.normal(size=3), lr, beta


def _check_04_1(step):
    for x, v, g, lr, beta in _momentum_cases():
        got_x, got_v = _pair(step(x.copy(), v.copy(), g.copy(), lr, beta), 2, "x_next, v_next", x.shape)
        want_x, want_v = solution_04_1(x, v, g, lr, beta)
        if np.allclose(got_x, want_x) and np.allclose(got_v, want_v):
            continue
        if np.allclose(got_v, -want_v) or np.allclose(got_v, beta * v + lr * g):
            raise Wrong("the velocity has the wrong sign: in section 2 v is the step itself, v_{t+1} = βv_t − ηg_t "
                        "(it points downhill) and x_{t+1} = x_t + v_{t+1}. Yours adds ηg to the velocity; subtracting "
                        "it from x afterwards does not help, since the v_t you are given is section 2's, pointing "
                        "downhill", "velocity sign")
        if np.allclose(got_v, v - lr * g):
            raise Wrong("β is missing: the old velocity is kept whole (v − ηg), so nothing is ever forgotten; "
                        "section 2 keeps a fraction β of it, v_{t+1} = βv_t − ηg_t", "forgot β")
        if np.allclose(got_v, want_v) and np.allclose(got_x, x + lr * want_v):
            raise Wrong("η is applied twice: v_{t+1} = βv_t − ηg_t already carries the learning rate, so the point "
                        "moves by v_{t+1} itself, x_{t+1} = x_t + v_{t+1}, not by η·v_{t+1}", "η twice")
        if np.allclose(got_v, want_v) and np.allclose(got_x, x + v):
            raise Wrong("x moves by the old velocity v_t: update the velocity first, then move by the new one, "
                        "x_{t+1} = x_t + v_{t+1}", "old velocity")
        if np.allclose(got_v, want_v) and np.allclose(got_x, x + beta * want_v - lr * g):
            raise Wrong("x_t + βv_{t+1} − ηg_t is the Nesterov row of section 2's table (the look-ahead); heavy-ball "
                        "momentum moves by the velocity alone, x_{t+1} = x_t + v_{t+1}", "Nesterov")
        which = "the velocity" if np.allclose(got_x, want_x) else "the point" if np.allclose(got_v, want_v) else "both"
        raise Wrong(f"{which} wrong: from x = {_r(x)} with v = {_r(v)}, g = {_r(g)}, η = {lr}, β = {beta}, section 2's "
                    f"rule gives x_next = {_r(want_x)}, v_next = {_r(want_v)}; yours gives {_r(got_x)}, {_r(got_v)}")
    return "v_{t+1} = βv_t − ηg_t and x_{t+1} = x_t + v_{t+1} from 3 random states, β = 0.9, 0.5 and 0"


register(Exercise(
    id="04.1", kind="function", checker=_check_04_1, solution=solution_04_1,
    hints=(("Section 2's table, heavy-ball row: first the new velocity from the old one and the gradient, then "
            "the new point from the new velocity."),
           "v_next = β·v − η·g; x_next = x + v_next; return both."),
    mistakes={"velocity sign": lambda x, v, g, lr, beta: (x - (beta * v + lr * g), beta * v + lr * g),
              "forgot β": lambda x, v, g, lr, beta: (x + v - lr * g, v - lr * g),
              "η twice": lambda x, v, g, lr, beta: (x + lr * (beta * v - lr * g), beta * v - lr * g),
              "old velocity": lambda x, v, g, lr, beta: (x + v, beta * v - lr * g),
              "Nesterov": lambda x, v, g, lr, beta: (x + beta * (beta * v - lr * g) - lr * g, beta * v - lr * g)},
))


# --------------------------------------------------------------------------- 04.2: one Adam step


def solution_04_2(x, m, v, g, t, lr, beta_1, beta_2, eps):
    """One Adam step as section 2 writes it (t = 0 for the first step): the new point, m and v."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    alpha = lr * np.sqrt(1 - beta_2 ** (t + 1)) / (1 - beta_1 ** (t + 1))
    return x - alpha * m / (np.sqrt(v) + eps), m, v


def _adam_variant(x, m, v, g, t, lr, beta_1, beta_2, eps, *, correct=True, power=1, root=True, eps_inside=False,
                  paper=False):
    """Adam with one mistake injected (the named mistakes of 04.2 and their detection)."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    c1, c2 = 1 - beta_1 ** (t + power), 1 - beta_2 ** (t + power)
    if paper:  # Kingma & Ba's Algorithm 1: ϵ added to √v̂, the bias-corrected v
        return x - lr * (m / c1) / (np.sqrt(v / c2) + eps), m, v
    alpha = lr * math.sqrt(c2) / c1 if correct else lr
    denominator = np.sqrt(v + eps) if eps_inside else (np.sqrt(v) + eps if root else v + eps)
    return x - alpha * m / denominator, m, v


def _adam_cases():
    """Adam states in 3-D whose gradient sizes span 1 to 1e-4 (so that where ϵ sits shows), with (t, η, β₁, β₂, ϵ).

    The first step t = 0 (m = v = 0) comes last: a bias correction with β^t divides by zero there."""
    rng = np.random.default_rng(42)
    for t, lr, b1, b2, eps, scale in ((3, 0.05, 0.9, 0.999, 1e-4, [1.0, 1e-2, 1e-4]),
                                      (10, 0.01, 0.5, 0.99, 1e-7, [1.0, 1.0, 1e-3]),
                                      (0, 0.1, 0.9, 0.999, 1e-7, [1.0, 1e-2, 1.0])):
        scale = np.array(scale)
        g = rng.normal(size=3) * scale
        m = rng.normal(size=3) * scale * 0.5 if t else np.zeros(3)
        v = (rng.normal(size=3) * scale) ** 2 + 0.1 * scale**2 if t else np.zeros(3)
        yield rng.normal(size=3), m, v, g, t, lr, b1, b2, eps


def _same_step(got_x, want_x, x) -> bool:
    """The same step from x, to 1e-6 relative (the steps are small next to x)."""
    return np.allclose(got_x - x, want_x - x, rtol=1e-6, atol=1e-15)


def _check_04_2(step):
    for x, m, v, g, t, lr, b1, b2, eps in _adam_cases():
        args = (t, lr, b1, b2, eps)
        got_x, got_m, got_v = _pair(step(x.copy(), m.copy(), v.copy(), g.copy(), *args), 3,
                                    "x_next, m_next, v_next", x.shape)
        want_x, want_m, want_v = solution_04_2(x, m, v, g, *args)
        if not np.all(np.isfinite(got_x)):
            raise Wrong(f"x_next is not finite at t = {t}: {_r(got_x)}. At the first step, t = 0, section 2's bias "
                        "correction uses β^{t+1} = β¹; a β^t there divides by 1 − β⁰ = 0")
        if _same_step(got_x, want_x, x) and np.allclose(got_m, want_m) and np.allclose(got_v, want_v):
            continue
        if np.allclose(got_m, want_v) and np.allclose(got_v, want_m):
            raise Wrong("m and v come back swapped: return x_next, m_next, v_next in that order (m averages g, "
                        "v averages g²)", "m and v swapped")
        swapped = solution_04_2(x, m, v, g, t, lr, b2, b1, eps)
        if _same_step(got_x, swapped[0], x) or (np.allclose(got_m, swapped[1]) and not np.allclose(got_m, want_m)):
            raise Wrong("β₁ and β₂ are swapped: β₁ (0.9 by default, memory ≈ 10 steps) averages the gradient into "
                        "m, β₂ (0.999, memory ≈ 1000 steps) averages its square into v", "β₁ and β₂ swapped")
        if not (np.allclose(got_m, want_m) and np.allclose(got_v, want_v)):
            raise Wrong(f"the moving averages are wrong at t = {t}: section 2 gives m_next = {_r(want_m)}, "
                        f"v_next = {_r(want_v)}; yours gives {_r(got_m)}, {_r(got_v)}. m_{{t+1}} = β₁m_t + (1 − β₁)g_t "
                        "and v_{t+1} = β₂v_t + (1 − β₂)g_t², square taken coordinate by coordinate")
        def variant(state=(x, m, v, g, *args), **mistake):
            return _adam_variant(*state, **mistake)[0]

        if _same_step(got_x, variant(correct=False), x):
            raise Wrong("the bias correction is missing: m and v start at 0, so early on they are too small, and "
                        "section 2 multiplies the step by √(1 − β₂^{t+1})/(1 − β₁^{t+1}) to undo it (at t = 0 this "
                        "makes the first step η per coordinate)", "no bias correction")
        if t and _same_step(got_x, variant(power=0), x):
            raise Wrong("the bias correction uses β^t; with t = 0 for the first step, as in section 2, it is "
                        "β^{t+1} (at t = 0, β^t would divide by 1 − β⁰ = 0)", "t instead of t + 1")
        if _same_step(got_x, variant(eps_inside=True), x):
            raise Wrong("ϵ is inside the square root, √(v + ϵ); section 2 adds it after the root, √v_{t+1} + ϵ. "
                        "They differ wherever √v is as small as √ϵ: there √(v + ϵ) caps the step far below η",
                        "ϵ inside the root")
        if _same_step(got_x, variant(root=False), x):
            raise Wrong("the square root is missing: dividing m by v (a squared gradient) makes the step scale like "
                        "1/g instead of like 1; section 2 divides by √v_{t+1} + ϵ", "no square root")
        if _same_step(got_x, variant(paper=True), x):
            raise Wrong("this is Kingma & Ba's Algorithm 1, with ϵ added to √v̂ (the bias-corrected v). Section 2 "
                        "writes the same rule as Keras does (and as the paper's §2 suggests for efficiency): the "
                        "correction folded into the step, ϵ added to √v_{t+1} itself. The two differ only where √v "
                        "is as small as ϵ, as in one coordinate here; write section 2's form", "ϵ on v̂")
        raise Wrong(f"m_next and v_next are right, the step is not: at t = {t} with η = {lr}, β₁ = {b1}, β₂ = {b2}, "
                    f"ϵ = {eps:g} section 2 moves x by {_r(want_x - x)}, yours by {_r(got_x - x)}. Check the factor "
                    "√(1 − β₂^{t+1})/(1 − β₁^{t+1}) and the denominator √v_{t+1} + ϵ")
    return "m, v and the step of section 2's Adam at t = 3, 10 and the first step t = 0, two settings of β₁, β₂ and ϵ"


register(Exercise(
    id="04.2", kind="function", checker=_check_04_2, solution=solution_04_2,
    hints=(("Section 2's table, Adam rows: update m with g and v with g², then step along m divided by √v, scaled "
            "by the bias-correction fraction. Everything acts coordinate by coordinate."),
           ("m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g²; α = η·√(1 − β₂^(t+1))/(1 − β₁^(t+1)); "
            "x_next = x − α·m/(√v + ϵ); return x_next, m, v.")),
    mistakes={"no bias correction": lambda *a: _adam_variant(*a, correct=False),
              "t instead of t + 1": lambda *a: _adam_variant(*a, power=0),
              "ϵ inside the root": lambda *a: _adam_variant(*a, eps_inside=True),
              "no square root": lambda *a: _adam_variant(*a, root=False),
              "ϵ on v̂": lambda *a: _adam_variant(*a, paper=True),
              "β₁ and β₂ swapped": lambda x, m, v, g, t, lr, b1, b2, eps: solution_04_2(x, m, v, g, t, lr, b2, b1, eps),
              "m and v swapped": lambda *a: tuple(solution_04_2(*a)[i] for i in (0, 2, 1))},
))


# --------------------------------------------------------------------------- 04.3: predict the race's last place


OPTIMIZER_NAMES = ("gradient descent", "momentum", "Nesterov", "RMSProp", "Adam")
_ALIASES = {"gd": "gradient descent", "sgd": "gradient descent", "heavy ball": "momentum",
            "heavy-ball momentum": "momentum", "nag": "Nesterov"}


def _check_04_3(answer):
    said = str(answer).strip()
    name = _ALIASES.get(said.lower(), next((n for n in OPTIMIZER_NAMES if n.lower() == said.lower()), None))
    if name is None:
        raise Wrong(f"answer one of {', '.join(repr(n) for n in OPTIMIZER_NAMES)}, got {answer!r}")
    if name == "RMSProp":
        return ("with a constant η, RMSProp's steps stay about η long per coordinate however small the gradient gets "
                "(g/√s stays of order 1), so it hovers around the minimum instead of landing; every other method's "
                "steps shrink with the gradient (Adam's with m)")
    if name == "gradient descent":
        raise Wrong("gradient descent is slow but never stops: at its best step its error shrinks by "
                    "(κ − 1)/(κ + 1) = 0.96 every step, so f − f* keeps falling, a straight line on the log plot. "
                    "Look for a method whose steps do not shrink as the gradient does", "gradient descent")
    if name == "Adam":
        raise Wrong("Adam divides by the gradient's size too, but its m (memory ≈ 10 steps) shrinks with the "
                    "gradient faster than √v (memory ≈ 1000 steps): its steps shrink near the minimum and it keeps "
                    "converging. Which method divides by the gradient's size with no such m?", "Adam")
    if name == "momentum":
        raise Wrong("momentum's first steps swing wide (its best η is beyond gradient descent's 2/L), but the swings "
                    "die out by 0.75 per step: with section 4's η* and β* it is the fastest of the five", "momentum")
    raise Wrong("Nesterov, with η = 1/L and β = (√κ − 1)/(√κ + 1), converges at a rate of the √κ kind, far ahead of "
                "gradient descent", "Nesterov")


register(Exercise(
    id="04.3", kind="choice", checker=_check_04_3, solution="RMSProp",
    worked="Gradient descent, momentum and Nesterov take steps proportional to the gradient, which vanishes at the "
           "minimum: each converges at a fixed rate per step (0.96 for gradient descent, 0.75 for momentum). Adam "
           "divides m by √v, but m (memory ≈ 10 steps) shrinks faster than √v (≈ 1000 steps), so its steps shrink "
           "too. RMSProp divides g by √s with no such lag: g/√s stays of order 1, each step is about η long per "
           "coordinate, and with a constant η it hovers around the minimum (f − f* ≈ 1e-4 after 1000 steps in the "
           "full profile, 1e-2 after 200 in the fast one, while the others are at 1e-5 or far below). Section 7 "
           "fixes it with a schedule.",
    hints=("Ask for each method: as the gradient goes to zero near the minimum, does its step go to zero too?",
           ("Two of the five divide by the gradient's size. Only one of those two has nothing that makes its "
            "steps shrink near the minimum.")),
    mistakes={"gradient descent": "gradient descent", "Adam": "Adam", "momentum": "momentum", "Nesterov": "Nesterov"},
))


# --------------------------------------------------------------------------- 04.4: the best momentum coefficient


def _check_04_4(answer):
    sk = 10.0  # √κ for κ = 100
    rate = (sk - 1) / (sk + 1)
    if close(answer, rate**2, rel=1e-3):
        return (f"β* = ((√κ − 1)/(√κ + 1))² = (9/11)² = {rate**2:.6f}: every curvature λ in [1, 100] puts the "
                f"eigenvalues of T_λ in the complex regime (μ and L on its border), where their modulus is "
                f"√β* = {rate:.6f}")
    if close(answer, rate, rel=1e-3):
        raise Wrong(f"{rate:.6f} = (√κ − 1)/(√κ + 1) is the rate ρ_momentum = √β* (section 4's table has it in its "
                    "'momentum rate' column); β* is its square", "not squared")
    if close(answer, 99 / 101, rel=1e-3):
        raise Wrong("(κ − 1)/(κ + 1) = 0.9802 is gradient descent's best rate, ρ_GD; momentum's β* is built from "
                    "√κ, not κ, and squared", "GD rate")
    if close(answer, 4 / 121, rel=1e-3):
        raise Wrong("4/(√L + √μ)² = 0.0331 is the best learning rate η*, not the momentum coefficient β*", "η*")
    if close(answer, ((math.sqrt(50) - 1) / (math.sqrt(50) + 1)) ** 2, rel=1e-3):
        raise Wrong("0.5658 is β* for section 3's quadratic, κ = 50; here κ = L/μ = 100")
    raise Wrong(f"{answer!r} is not β* for κ = 100; section 4 gives β* = ((√κ − 1)/(√κ + 1))² with κ = L/μ "
                "(to 3 decimals or better)")


register(Exercise(
    id="04.4", kind="number", checker=_check_04_4, solution=81 / 121,
    worked="κ = L/μ = 100, √κ = 10, β* = ((√κ − 1)/(√κ + 1))² = (9/11)² = 81/121 ≈ 0.6694; with η* = 4/(√L + √μ)² "
           "= 4/121 every curvature in [1, 100] then converges at √β* = 9/11 ≈ 0.818 per step, against gradient "
           "descent's 99/101 ≈ 0.980.",
    hints=("Section 4 gives η*, β* and the rate in closed form; all three use the condition number κ = L/μ.",
           "β* = ((√κ − 1)/(√κ + 1))²; here √κ = 10."),
    mistakes={"not squared": 9 / 11, "GD rate": 99 / 101, "η*": 4 / 121},
))


# --------------------------------------------------------------------------- 04.5: when the staircase halves η


def _check_04_5(answer):
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise Wrong(f"answer a number (a value of epoch), got {answer!r}") from None
    first = math.ceil(math.log(0.5) / math.log(0.99))  # 69
    if close(value, first, rel=1e-9):
        return (f"0.99^68 = {0.99**68:.4f} > ½ ≥ 0.99^69 = {0.99**69:.4f}: from epoch = 69, the 70th epoch of "
                "range(epochs), the line sets half the initial rate or less")
    if close(value, math.log(0.5) / math.log(0.99), rel=1e-3):
        raise Wrong(f"ln ½ / ln 0.99 = {math.log(0.5) / math.log(0.99):.2f} is where the smooth curve 0.99^e crosses "
                    "½; epoch takes whole values, and the first whole one at or below ½ is the next one up",
                    "not rounded")
    if close(value, first - 1, rel=1e-9):
        raise Wrong(f"at epoch = 68 the rate is still 0.99^68 = {0.99**68:.4f} of the initial one, above half: "
                    "round ln ½ / ln 0.99 = 68.97 up, not down", "rounded down")
    if close(value, first + 1, rel=1e-9):
        raise Wrong("70 counts the epochs from 1 (the 70th epoch); the printed loop's epoch starts at 0, so the "
                    "70th epoch has epoch = 69", "counted from 1")
    if close(value, 50, rel=1e-9):
        raise Wrong("1 − 0.01·epoch = ½ at 50 is a linear decay; 0.99 ** epoch multiplies by 0.99 each epoch, and "
                    "each 1 % is taken of an already smaller rate, so halving takes longer", "linear")
    if value > 200:
        raise Wrong(f"{answer!r} looks like a count of steps; the question asks for the value of epoch (the line's "
                    "exponent), whatever the number of steps per epoch")
    raise Wrong(f"at epoch = {value:g} the line sets {0.99**value:.4f} × learning_rate; find the smallest whole "
                "epoch with 0.99 ** epoch ≤ ½")


register(Exercise(
    id="04.5", kind="number", checker=_check_04_5, solution=69,
    worked="0.99^e ≤ ½ ⇔ e ≥ ln ½ / ln 0.99 = 68.97, so the first whole epoch is e = 69 (0.99^68 = 0.5049, "
           "0.99^69 = 0.4998). The printed loop counts epoch from 0, so that is the 70th epoch.",
    hints=("The rate set at epoch e is learning_rate · 0.99^e: solve 0.99^e = ½ with a logarithm.",
           "e = ln ½ / ln 0.99 ≈ 68.97 is not a whole epoch: check 0.99^68 and 0.99^69."),
    mistakes={"not rounded": math.log(0.5) / math.log(0.99), "rounded down": 68, "counted from 1": 70, "linear": 50},
))
