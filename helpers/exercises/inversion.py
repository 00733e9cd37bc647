"""Notebook 09's exercises: a decoder's gradient in the code, inpainting by hand, ascent on a class score, one PGD
step, local optima.

The running examples are notebook 09's. A frozen linear decoder ``Dec(z) = Wz + b`` turns a code ``z`` of ``d``
numbers into ``P`` pixels; latent inversion DESCENDS ``f(z) = (1/P)‖Dec(z) − x‖²``, whose gradient is
``(2/P) Wᵀ(Wz + b − x)`` (§0, §1), and inpainting descends the same error on the known pixels only,
``f_m(z) = Σᵢ mᵢ (Dec(z)ᵢ − xᵢ)² / Σᵢ mᵢ`` with a mask ``mᵢ ∈ {0, 1}`` (§2). Activation maximisation ASCENDS a
classifier's score of a class ``c`` on the pixels (§3). An L∞ attack ASCENDS the classifier's loss inside the
feasible set, the box ``‖x − x₀‖_∞ ≤ ε`` around the clean image ``x₀`` intersected with the pixel range ``[0, 1]``:
one PGD step is ``Π(x + η sign g)``, with ``g`` the loss's gradient in ``x`` and
``Π(u) = clip_[0,1](clip_[x₀−ε, x₀+ε](u))`` (§4). Whether the problem is solved exactly, or ends in a local
optimum that depends on the start, is measured in §1 (09.5).
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register


def _decoder_cases(seed: int = 9):
    """Linear decoders (W: P × d, b: P), codes z and targets x; the first is square (P = d), so that W and Wᵀ
    give different answers there instead of an error."""
    rng = np.random.default_rng(seed)
    for P, d in ((3, 3), (6, 3), (10, 4), (5, 2)):
        yield rng.normal(size=(P, d)), rng.normal(size=P), rng.normal(size=d), rng.normal(size=P)


# --------------------------------------------------------------------------- 09.1: the gradient in the code


def solution_09_1(W, b, z, x):
    """The gradient in z of f(z) = (1/P)‖Wz + b − x‖², P = len(x) pixels."""
    return 2 / len(x) * W.T @ (W @ z + b - x)


def _check_09_1(grad):
    for W, b, z, x in _decoder_cases():
        P = len(x)
        got = np.asarray(grad(W.copy(), b.copy(), z.copy(), x.copy()), dtype=float)
        want = solution_09_1(W, b, z, x)
        if got.shape != want.shape:
            raise Wrong(f"the gradient in z has the shape of z, {want.shape} (one number per latent coordinate); "
                        f"yours has shape {got.shape} for a decoder with P = {P} pixels and d = {len(z)}",
                        "wrong shape")
        if np.allclose(got, want):
            continue
        r = W @ z + b - x
        if np.allclose(got, -want):
            raise Wrong("the sign is flipped: the residual is Dec(z) − x = Wz + b − x, and ∇f points uphill, towards "
                        "a larger error; descent then subtracts it", "sign flipped")
        if np.allclose(got, want / 2):
            raise Wrong("a factor 2 is missing: differentiating the square (Dec(z) − x)² brings down a 2, "
                        "∇f = (2/P)Wᵀ(Wz + b − x)", "forgot the 2")
        if np.allclose(got, P * want):
            raise Wrong(f"a factor P = {P} too large: f is the MEAN of the squared errors over the P pixels, "
                        "(1/P)‖Wz + b − x‖², so its gradient keeps the 1/P", "forgot 1/P")
        if np.allclose(got, 2 / P * W.T @ (W @ z - x)):
            raise Wrong("the bias is missing: the residual is Dec(z) − x = Wz + b − x; b does not depend on z, but it "
                        "moves every pixel's error, so it stays inside the bracket", "forgot b")
        if W.shape[0] == W.shape[1] and np.allclose(got, 2 / P * W @ r):
            raise Wrong("W instead of Wᵀ: the chain rule sends the P pixel errors back to the d latent coordinates "
                        "through the transpose, ∇f = (2/P)Wᵀ(Wz + b − x). (It only ran because this W is square; "
                        "on a 6 × 3 decoder W times a 6-vector is not even defined.)", "W instead of Wᵀ")
        raise Wrong(f"for a decoder with P = {P} pixels and d = {len(z)} latent numbers, at z = {np.round(z, 3)} "
                    f"the gradient is {np.round(want, 4)}, yours gives {np.round(got, 4)}; write f as a sum over the "
                    "pixels and differentiate one coordinate z_j at a time")
    return "(2/P) Wᵀ(Wz + b − x) on 4 random decoders, one of them square"


register(Exercise(
    id="09.1", kind="function", checker=_check_09_1, solution=solution_09_1,
    hints=("Write the residual r = Wz + b − x (P numbers); f is the mean of rᵢ². How does r change when z moves?",
           ("∂r/∂z = W, so by the chain rule ∇f = (1/P) · Wᵀ · (2r): mind the 2, the 1/P, the bias inside r, and "
           "the transpose (it maps P pixel errors back to d latent numbers).")),
    mistakes={"sign flipped": lambda W, b, z, x: 2 / len(x) * W.T @ (x - W @ z - b),
              "forgot the 2": lambda W, b, z, x: 1 / len(x) * W.T @ (W @ z + b - x),
              "forgot 1/P": lambda W, b, z, x: 2 * W.T @ (W @ z + b - x),
              "forgot b": lambda W, b, z, x: 2 / len(x) * W.T @ (W @ z - x),
              "W instead of Wᵀ": lambda W, b, z, x: 2 / len(x) * W @ (W @ z + b - x),
              "wrong shape": lambda W, b, z, x: (2 / len(x) * W.T @ (W @ z + b - x))[:, None]},
))


# --------------------------------------------------------------------------- 09.2: inpainting by hand

#: the toy of 09.2: a linear decoder Dec(z) = W z (4 pixels, 2 latent numbers), a damaged image whose pixel 3
#: (index 2) is hidden and stored as 0, the mask of the known pixels and the code where the gradient is asked
W_09_2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
X_09_2 = np.array([1.0, 2.0, 0.0, 3.0])
M_09_2 = np.array([1.0, 1.0, 0.0, 1.0])
Z_09_2 = np.array([1.0, 1.0])


def _masked_gradient(mask, divide_by, factor=2.0):
    r = W_09_2 @ Z_09_2 - X_09_2
    return factor / divide_by * W_09_2.T @ (mask * r)


def _check_09_2(answer):
    known, P = M_09_2.sum(), len(X_09_2)
    want = _masked_gradient(M_09_2, known)
    if close(answer, want[0]):
        return ("∂f_m/∂z₁ = (2/3)·(0·1 + (−1)·0 + (−3)·1) = −2: only the 3 known pixels count, in the sum and in "
                "the denominator")
    if close(answer, -want[0]):
        raise Wrong("the sign is flipped: the residual is Dec(z) − x (here (0, −1, ·, −3) on the known pixels), not "
                    "x − Dec(z); the gradient points towards a LARGER error", "sign flipped")
    if close(answer, _masked_gradient(M_09_2, known, factor=1.0)[0]):
        raise Wrong("a factor 2 is missing: differentiating (Dec(z)ᵢ − xᵢ)² brings down 2·(Dec(z)ᵢ − xᵢ)",
                    "forgot the 2")
    if close(answer, _masked_gradient(M_09_2, P)[0]):
        raise Wrong(f"you divided by P = {P}, the number of all pixels; f_m is the mean over the KNOWN pixels, so "
                    f"it divides by Σ mᵢ = {known:g}", "divided by P")
    if close(answer, _masked_gradient(np.ones(P), P)[0]) or close(answer, _masked_gradient(np.ones(P), known)[0]):
        raise Wrong("the hidden pixel 3 was counted: its stored 0 is not a measurement, and the mask (m₃ = 0) takes "
                    "its error (Dec(z)₃ − 0 = 2) out of the sum. Counting it pulls the code towards drawing black "
                    "where the digit is unknown", "forgot the mask")
    if close(answer, want[1]):
        raise Wrong(f"{want[1]:.4g} is ∂f_m/∂z₂ (the second column of W); the question asks for ∂f_m/∂z₁, the first",
                    "∂/∂z₂")
    raise Wrong(f"{answer!r} is not ∂f_m/∂z₁ at z = (1, 1); compute Dec(z) − x, zero it on the hidden pixel, take "
                "the dot product with W's first column (1, 0, 1, 1) and multiply by 2/Σ mᵢ")


register(Exercise(
    id="09.2", kind="number", checker=_check_09_2, solution=-2.0,
    worked="Dec(1, 1) = (1, 1, 2, 0), so Dec(z) − x = (0, −1, 2, −3); the mask zeroes the hidden pixel 3: "
           "(0, −1, 0, −3). ∂f_m/∂z₁ = (2/Σ mᵢ) Σᵢ mᵢ (Dec(z)ᵢ − xᵢ) Wᵢ₁ = (2/3)·(0·1 + (−1)·0 + 0·1 + (−3)·1) = −2.",
    hints=(("Start with the residual Dec(z) − x at z = (1, 1), pixel by pixel. Which of its entries does the mask "
           "keep?"),
           "∂f_m/∂z₁ = (2/Σ mᵢ) · Σᵢ mᵢ (Dec(z)ᵢ − xᵢ) · Wᵢ₁, with Σ mᵢ = 3 and W's first column (1, 0, 1, 1)."),
    mistakes={"sign flipped": 2.0, "forgot the 2": -1.0, "divided by P": -1.5, "forgot the mask": -0.5,
              "∂/∂z₂": 4 / 3},
))


# --------------------------------------------------------------------------- 09.3: predict plain ascent

CHOICES_09_3 = ("a", "b", "c", "d")


def _check_09_3(answer):
    answer = str(answer).strip().lower().strip('"\'()')
    if answer not in CHOICES_09_3:
        raise Wrong(f"answer one of {', '.join(CHOICES_09_3)} (a letter), got {answer!r}")
    if answer == "b":
        return ("each class's probability reaches about 1 within a few steps, and the pictures are black-and-white "
                "patterns over the whole frame: the judge's score is high on far more images than digits")
    if answer == "a":
        raise Wrong("nothing in plain ascent keeps x near the digits: the judge was trained on digits only, to tell "
                    "them apart, and its scores on images that are no digit at all were never trained; they are high "
                    "on many of them. The 'plain ascent' row shows black-and-white patterns, rated p ≈ 1",
                    "a clean digit")
    if answer == "c":
        raise Wrong("the climb does not stall: in the curves under the pictures each class's probability reaches "
                    "about 1 within a few steps, and the asserts check p ≥ 0.9 for all ten. The objective's optima "
                    "are easy to reach; they are just not digits", "stuck")
    raise Wrong("an average is what the digits of a class share; ascent does not average anything, it climbs the "
                "score as far as it goes and pushes pixels to the ends of [−1, 1]: the 'plain ascent' row is "
                "black and white, not grey and blurry", "the average digit")


register(Exercise(
    id="09.3", kind="choice", checker=_check_09_3, solution="b",
    worked="The judge's score is high on a far larger set of images than the digits it was trained on, and plain "
           "ascent has nothing that keeps x near the digits: each probability reaches about 1 within a few steps, and "
           "the step, normalised so that a pixel moves by η = 0.1 on average per step, drives pixels to the ends of "
           "[−1, 1]: black-and-white patterns over the whole frame.",
    hints=("What did the judge's training ask of it on images that are no digit at all?",
           ("Nothing keeps x near the digits; ask how fast a probability climbs on a smooth objective, and where STEPS "
           "steps (200 in the stored run) of about 0.1 per pixel leave the pixels of [−1, 1].")),
    mistakes={"a clean digit": "a", "stuck": "c", "the average digit": "d"},
))


# --------------------------------------------------------------------------- 09.4: one PGD step


def solution_09_4(x, x0, g, eps, eta):
    """One PGD step of an L∞ attack: ascend the loss along sign(g), then project onto the box of half-width eps
    around the clean image x0, intersected with the pixel range [0, 1]."""
    u = x + eta * np.sign(g)
    return np.clip(np.clip(u, x0 - eps, x0 + eps), 0.0, 1.0)


def _pgd_cases(seed: int = 4):
    """Small images x0 in [0, 1] with black (0) and white (1) pixels, a feasible iterate x near the box's edges,
    a loss gradient g whose entries are not ±1; η below ε, as in the notebook (η = ε/4)."""
    rng = np.random.default_rng(seed)
    for eps, eta, shape in ((0.1, 0.025, (3, 4)), (0.2, 0.05, (4, 5)), (0.05, 0.03, (2, 6))):
        x0 = rng.uniform(0.0, 1.0, shape)
        x0.flat[:3] = 0.0                       # black background, as most of an MNIST digit
        x0.flat[3] = 1.0
        x = np.clip(x0 + eps * rng.choice([-1.0, 1.0], shape) * rng.uniform(0.7, 1.0, shape), 0.0, 1.0)
        g = rng.normal(size=shape) * 3.0
        x.flat[0], g.flat[0] = 0.0, -abs(g.flat[0])      # a black pixel the loss wants darker: only [0, 1] stops it
        yield x, x0, g, eps, eta


def _first_difference(got, want, x, x0, g, eps, eta):
    i = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
    return (f"with ε = {eps}, η = {eta}: at the pixel with x₀ = {x0[i]:.3f}, x = {x[i]:.3f}, g = {g[i]:.3f}, the step "
            f"should land at {want[i]:.4f}, yours gives {got[i]:.4f}")


def _check_09_4(step):
    for x, x0, g, eps, eta in _pgd_cases():
        got = np.asarray(step(x.copy(), x0.copy(), g.copy(), eps, eta), dtype=float)
        want = solution_09_4(x, x0, g, eps, eta)
        if got.shape != want.shape:
            raise Wrong(f"the new image has the shape of x, {want.shape}; yours has shape {got.shape}")
        if np.allclose(got, want):
            continue
        u = x + eta * np.sign(g)
        if np.allclose(got, solution_09_4(x, x0, -g, eps, eta)):
            raise Wrong("this step descends: it moves against the loss's gradient and makes the classifier MORE "
                        "sure of the true label. An attack ascends the loss: x + η·sign(g)", "descent")
        if np.allclose(got, np.clip(np.clip(x + eta * g, x0 - eps, x0 + eps), 0.0, 1.0)):
            raise Wrong("the step uses g itself, not sign(g): in an L∞ box the steepest step moves every pixel by the "
                        "same η, up where gᵢ > 0 and down where gᵢ < 0, whatever the size of gᵢ", "g, not sign(g)")
        if np.allclose(got, np.clip(u, 0.0, 1.0)):
            raise Wrong("nothing keeps x within ε of the clean image x₀: step after step the iterate drifts out of "
                        "the box. Clip to [x₀ − ε, x₀ + ε], the box around the CLEAN image (a box around the current "
                        "x would never bind with η < ε)", "forgot the box")
        if np.allclose(got, np.clip(u, x0 - eps, x0 + eps)) or np.allclose(
                got, np.clip(np.clip(u, x0 - eps, x0 + eps), -1.0, 1.0)):
            raise Wrong("pixels leave the image range: a black pixel (x₀ = 0) pushed down lands below 0. Clip to "
                        "[0, 1] after the box (here images are in [0, 1], as in §4's formula; the judge's own scale "
                        "[−1, 1] is what the notebook's code uses)", "forgot [0, 1]")
        if np.allclose(got, u):
            raise Wrong("no projection at all: after the step, clip to the box [x₀ − ε, x₀ + ε] and then to the "
                        "pixel range [0, 1]", "no projection")
        raise Wrong(_first_difference(got, want, x, x0, g, eps, eta))
    return "Π(x + η·sign(g)) with Π = clip to [x₀ − ε, x₀ + ε], then to [0, 1], on 3 images with black and white pixels"


register(Exercise(
    id="09.4", kind="function", checker=_check_09_4, solution=solution_09_4,
    hints=(("Two moves: an ascent step on the loss, then the projection Π back onto the feasible set (the box around "
           "x₀, intersected with the pixel range)."),
           "u = x + η·sign(g); then np.clip(u, x0 − ε, x0 + ε); then np.clip(…, 0, 1)."),
    mistakes={"descent": lambda x, x0, g, eps, eta: solution_09_4(x, x0, -g, eps, eta),
              "g, not sign(g)": lambda x, x0, g, eps, eta: np.clip(np.clip(x + eta * g, x0 - eps, x0 + eps), 0, 1),
              "forgot the box": lambda x, x0, g, eps, eta: np.clip(x + eta * np.sign(g), 0, 1),
              "forgot [0, 1]": lambda x, x0, g, eps, eta: np.clip(x + eta * np.sign(g), x0 - eps, x0 + eps),
              "no projection": lambda x, x0, g, eps, eta: x + eta * np.sign(g)},
))


# --------------------------------------------------------------------------- 09.5: local optima


register(Exercise(
    id="09.5", kind="explain", checker=None,
    solution="The objective f(z) = (1/P)‖Dec(z) − x‖² is not convex in z, because the decoder is a nonlinear "
             "network: it can have several valleys, and descent, run for a finite number of steps, ends in the one "
             "its start leads to, so where it ends depends on where it starts. Neither direction avoids this: "
             "descent does not avoid local optima, and neither does ascent, which is descent on −J; the claim that "
             "the method avoids them is 次梯度优化's, and the four starts of §1, ending at different errors, show "
             "otherwise. What helped most was a better start: "
             "descent from the encoder's code ended below all four random starts on most digits, while the best of "
             "four random starts lowered the median error by only a few per cent, for four times the compute.",
    hints=("What would be true of the four random starts if f were convex and descent ran to convergence?",
           ("Look at the table of §1: compare 'best of 4 random starts' with 'descent from the encoder's code', and "
           "recall that ascent on J is descent on −J.")),
    key_points=(("f is not convex in z: the decoder is a nonlinear network",
                 ("convex", "nonlinear", "non-linear")),
                ("where descent ends depends on where it starts (a local optimum, another valley)",
                 ("depends on", "local min", "local optim", "valley", "basin", "where it starts", "different min")),
                ("neither descent nor ascent avoids local optima (ascent on J is descent on −J)",
                 ("neither", "not avoid", "doesn't avoid", "cannot avoid", "can't avoid", "−j", "-j")),
                ("a good start (the encoder's code) helped far more than 4 random restarts",
                 ("encoder",))),
))
