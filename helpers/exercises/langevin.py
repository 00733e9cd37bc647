"""Notebook 10's exercises: one Langevin step, the step size's bias, the denoising target, one DDIM step, guidance.

The running examples are notebook 10's. Langevin dynamics samples a density p with the step

    x ← x + (η/2) ∇ₓ log p(x) + √η ξ,   ξ ~ N(0, I),

η the step size and ξ standard normal noise; without the noise it is gradient ascent on log p, which collapses
onto the modes of §1's ring of 8 Gaussians (radius 2, std 0.25) (10.1). On one Gaussian N(0, σ²), whose score is
−x/σ², the chain is x ← (1 − η/(2σ²)) x + √η ξ, and it settles at the variance σ²/(1 − η/(4σ²)), too wide for any
η > 0 (§2, 10.2). Denoising score matching (§3) noises a point, x̃ = x + σξ, and regresses the score s(x̃, σ) on
the score of the Gaussian that made x̃, −(x̃ − x)/σ² = −ξ/σ (10.3). A diffusion model (§4) noises an image in one
step, x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε (in §4–§5, ε is the noise, ε ~ N(0, I)), and a network ε̂(x_t, t) predicts
that noise; x̂₀ = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, and DDIM's deterministic step from t to s < t is
x_s = √ᾱ_s x̂₀ + √(1 − ᾱ_s) ε̂ (10.4). The score is ∇ log p_t(x_t) ≈ −ε̂/√(1 − ᾱ_t), so classifier guidance,
which adds γ ∇ log p(y | x_t) to the score (γ the guidance scale, y the chosen digit), is
ε̂_guided = ε̂ − γ √(1 − ᾱ_t) ∇ log p(y | x_t) in terms of ε (§5, 10.5).
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register
from helpers.maths.diffusion import cosine_schedule
from helpers.maths.langevin import ring_mixture


def _shown(answer) -> str:
    """A learner's number as a message quotes it: 4 significant digits, or as written if it is no number."""
    try:
        return f"{float(answer):.4g}"
    except (TypeError, ValueError):
        return repr(answer)

# --------------------------------------------------------------------------- 10.1: one Langevin step


def solution_10_1(x, score, eta, xi):
    """One Langevin step from the points x (n, d): half the step size times the score at x, plus √η times the
    standard normal noise xi."""
    return x + eta / 2 * score(x) + np.sqrt(eta) * xi


def _langevin_cases(seed: int = 10):
    """Points near §1's ring (n, 2), the ring's score, a step size and the noise: η of 0.01 (the explorer's
    default), 0.1 and 0.3, so that η, √η, η/2 and √(2η) are all different numbers."""
    rng = np.random.default_rng(seed)
    score = ring_mixture().score
    for n, eta in ((5, 0.01), (4, 0.1), (6, 0.3)):
        yield rng.uniform(-3, 3, size=(n, 2)), score, eta, rng.standard_normal((n, 2))


def _check_10_1(step):
    for x, score, eta, xi in _langevin_cases():
        got = np.asarray(step(x.copy(), score, eta, xi.copy()), dtype=float)
        want = solution_10_1(x, score, eta, xi)
        if got.shape != want.shape:
            raise Wrong(f"the new points have the shape of x, {want.shape} (one row per chain); yours have shape "
                        f"{got.shape}")
        if np.allclose(got, want):
            continue
        s = score(x)
        if np.allclose(got, x + eta / 2 * s):
            raise Wrong("the noise is missing: x + (η/2)∇ log p(x) alone is gradient ascent on log p, which climbs "
                        "to the nearest mode and stays there (section 1's collapse); Langevin adds √η ξ at every "
                        "step", "no noise")
        if np.allclose(got, x + eta / 2 * s + eta * xi):
            raise Wrong(f"the noise is η ξ; it must be √η ξ (here √η = {np.sqrt(eta):.3g}, not {eta:g}). With η ξ "
                        "the noise shrinks faster than the drift as η → 0, and the chain collapses onto the modes "
                        "like gradient ascent instead of sampling p", "η ξ")
        if np.allclose(got, x + eta * s + np.sqrt(2 * eta) * xi):
            raise Wrong("that is the other common convention, x ← x + η∇ log p(x) + √(2η) ξ: the same chain with "
                        "a step twice as large. This notebook's η is the one in x + (η/2)∇ log p(x) + √η ξ, whose "
                        "noise variance is η", "√(2η) convention")
        if np.allclose(got, x + eta * s + np.sqrt(eta) * xi):
            raise Wrong("the drift takes the full η; Langevin's drift is (η/2)∇ log p(x) when the noise is √η ξ. "
                        "With the full η the drift is twice too strong for the noise: for small η the chain samples "
                        "a density ∝ p², not p (on a Gaussian, half the variance)", "full η on the drift")
        if np.allclose(got, x - eta / 2 * s + np.sqrt(eta) * xi):
            raise Wrong("the drift's sign is flipped: the score ∇ log p points towards higher density, and the step "
                        "climbs it, x + (η/2)∇ log p(x); subtracting it pushes the chains away from the modes",
                        "descent")
        i = int(np.argmax(np.abs(got - want).sum(axis=1)))
        raise Wrong(f"with η = {eta}, from x = {np.round(x[i], 3)}, where ∇ log p = {np.round(s[i], 3)} and ξ = "
                    f"{np.round(xi[i], 3)}, the step should land at {np.round(want[i], 4)}; yours gives "
                    f"{np.round(got[i], 4)}")
    return "x + (η/2)∇ log p(x) + √η ξ on the ring of section 1, for η = 0.01, 0.1 and 0.3"


register(Exercise(
    id="10.1", kind="function", checker=_check_10_1, solution=solution_10_1,
    hints=("Two terms are added to x: a drift along the score, which climbs log p, and noise. What multiplies each?",
           ("x + (η/2)·score(x) + √η·ξ: half the step on the drift, the square root of the step on the noise "
           "(np.sqrt).")),
    mistakes={"no noise": lambda x, score, eta, xi: x + eta / 2 * score(x),
              "η ξ": lambda x, score, eta, xi: x + eta / 2 * score(x) + eta * xi,
              "√(2η) convention": lambda x, score, eta, xi: x + eta * score(x) + np.sqrt(2 * eta) * xi,
              "full η on the drift": lambda x, score, eta, xi: x + eta * score(x) + np.sqrt(eta) * xi,
              "descent": lambda x, score, eta, xi: x - eta / 2 * score(x) + np.sqrt(eta) * xi},
))


# --------------------------------------------------------------------------- 10.2: the step size's bias

#: 10.2: one Gaussian N(0, σ²) with the std of each of the ring's components, and a step size of the explorer
SIGMA_10_2, ETA_10_2 = 0.25, 0.1


def _stationary_std(sigma: float, eta: float) -> float:
    return sigma / np.sqrt(1 - eta / (4 * sigma**2))


def _check_10_2(answer):
    sigma, eta = SIGMA_10_2, ETA_10_2
    want = _stationary_std(sigma, eta)
    a = 1 - eta / (2 * sigma**2)
    if close(answer, want, rel=1e-3):
        return (f"σ/√(1 − η/(4σ²)) = 0.25/√0.6 ≈ {want:.4f}: {want / sigma - 1:.0%} wider than the density's "
                "0.25, a bias of the step size, which vanishes only as η → 0")
    if close(answer, sigma, rel=1e-3):
        raise Wrong("0.25 is the density's own std, what Langevin would give for an infinitely small step. With "
                    "η = 0.1 the chain x ← (1 − η/(2σ²)) x + √η ξ settles somewhere else: solve for the variance "
                    "that one step leaves unchanged", "no bias")
    if close(answer, want**2, rel=1e-3):
        raise Wrong(f"{want**2:.4g} is the stationary VARIANCE σ²/(1 − η/(4σ²)); the question asks for the standard "
                    "deviation, its square root", "the variance")
    if close(answer, sigma / np.sqrt(1 + eta / (4 * sigma**2)), rel=1e-3):
        raise Wrong("the sign in the denominator is flipped: the chain is WIDER than the density, σ²/(1 − η/(4σ²)); "
                    "1 + η/(4σ²) would make it narrower", "sign of η/(4σ²)")
    if close(answer, sigma / (1 - eta / (4 * sigma**2)), rel=1e-3):
        raise Wrong("σ/(1 − η/(4σ²)) divides by the factor itself; that factor divides the VARIANCE, σ²/(1 − "
                    "η/(4σ²)), so the std is divided by its square root", "forgot the root")
    if close(answer, np.sqrt(eta / (1 - a)), rel=1e-3):
        raise Wrong(f"Var((1 − η/(2σ²)) x) = (1 − η/(2σ²))² Var(x): a constant factor comes out of a variance "
                    f"SQUARED. Writing v = (1 − η/(2σ²)) v + η gives v = 2σ², std {np.sqrt(2) * sigma:.4g}, "
                    "whatever η is", "factor not squared")
    raise Wrong(f"{_shown(answer)} is not the stationary std for σ = {sigma}, η = {eta}. The variance v of x is the "
                "same before and after a step: v = (1 − η/(2σ²))² v + η (x and ξ are independent). Solve for v, "
                "then take the square root")


register(Exercise(
    id="10.2", kind="number", checker=_check_10_2, solution=round(float(_stationary_std(SIGMA_10_2, ETA_10_2)), 4),
    worked="On N(0, σ²) one step is x ← a x + √η ξ with a = 1 − η/(2σ²) = 1 − 0.1/0.125 = 0.2. At stationarity the "
           "variance v is the same on both sides: v = a² v + η, so v = η/(1 − a²) = σ²/(1 − η/(4σ²)) = "
           "0.0625/0.6 ≈ 0.1042, and the std is √v = 0.25/√0.6 ≈ 0.3227 (about 29 % wider than the density's "
           "0.25).",
    hints=(("x and ξ are independent, so the variance of a x + √η ξ is a² Var(x) + η. At stationarity Var(x) does not "
           "change from one step to the next."),
           ("v = (1 − η/(2σ²))² v + η gives v = σ²/(1 − η/(4σ²)); the std is σ/√(1 − η/(4σ²)) with σ = 0.25, "
           "η = 0.1.")),
    mistakes={"no bias": 0.25, "the variance": 0.0625 / 0.6, "sign of η/(4σ²)": 0.25 / np.sqrt(1.4),
              "forgot the root": 0.25 / 0.6, "factor not squared": np.sqrt(2) * 0.25},
))


# --------------------------------------------------------------------------- 10.3: the denoising target


def solution_10_3(x, x_tilde, sigma):
    """The regression target of denoising score matching for s(x̃, σ): the score of N(x, σ²I) at x̃."""
    return -(x_tilde - x) / sigma**2


def _dsm_cases(seed: int = 3):
    """Clean points x of the ring (n, 2) and their noised copies x̃ = x + σξ: one σ for all (0.4, then 0.2), then
    one σ per point, of shape (n, 1), as in training (no σ is 1, where σ and σ² agree, nor 0.5, where 2σ² = σ)."""
    rng = np.random.default_rng(seed)
    ring = ring_mixture()
    for n, sigma in ((5, 0.4), (4, 0.2), (6, rng.choice([0.1, 0.3, 0.6, 2.0], size=(6, 1)))):
        x = ring.sample(n, rng)
        yield x, x + sigma * rng.standard_normal((n, 2)), sigma


def _check_10_3(target):
    for x, x_tilde, sigma in _dsm_cases():
        got = np.asarray(target(x.copy(), x_tilde.copy(), sigma), dtype=float)
        want = solution_10_3(x, x_tilde, sigma)
        if got.shape != want.shape:
            raise Wrong(f"the target has the shape of x̃, {want.shape} (one score vector per point); yours has shape "
                        f"{got.shape}")
        if np.allclose(got, want):
            continue
        d = x_tilde - x
        per_point = "one σ per point" if np.ndim(sigma) else f"σ = {sigma}"
        if np.allclose(got, -want):
            raise Wrong("the sign is flipped: the score of N(x, σ²I) at x̃ points from x̃ back TOWARDS the clean point "
                        "x, −(x̃ − x)/σ² = −ξ/σ; (x̃ − x)/σ² points away from it", "sign flipped")
        if np.allclose(got, -d / sigma):
            raise Wrong(f"divided by σ instead of σ² ({per_point}): −(x̃ − x)/σ = −ξ is the target of σ·s (the "
                        "σ²-weighted loss ‖σ s + ξ‖²), not of s; the score itself is −(x̃ − x)/σ² = −ξ/σ",
                        "/σ instead of /σ²")
        if np.allclose(got, d / sigma):
            raise Wrong("this is ξ = (x̃ − x)/σ, the noise that was added; the target for the score is the score of "
                        "the Gaussian that made x̃, −ξ/σ = −(x̃ − x)/σ²: minus, and one more division by σ",
                        "returned ξ")
        if np.allclose(got, -d):
            raise Wrong("x − x̃ points the right way, back to the clean point, but the score of N(x, σ²I) is that "
                        "difference divided by σ²: −(x̃ − x)/σ². Without it the target grows with σ, while the score "
                        "of a wider Gaussian is gentler (its size is ‖ξ‖/σ)", "forgot σ²")
        i = int(np.argmax(np.abs(got - want).sum(axis=1)))
        s = float(np.ravel(sigma)[i]) if np.ndim(sigma) else sigma
        raise Wrong(f"with σ = {s:g}, x = {np.round(x[i], 3)} and x̃ = {np.round(x_tilde[i], 3)}, the target is "
                    f"{np.round(want[i], 4)}; yours gives {np.round(got[i], 4)}. Differentiate "
                    "log N(x̃; x, σ²I) = −‖x̃ − x‖²/(2σ²) + const in x̃")
    return "−(x̃ − x)/σ² for one σ (0.4, 0.2) and for one σ per point"


register(Exercise(
    id="10.3", kind="function", checker=_check_10_3, solution=solution_10_3,
    hints=(("x̃ given x is Gaussian, N(x, σ²I). The target is the score of that Gaussian at x̃: the gradient in x̃ of "
           "its log-density."),
           "log N(x̃; x, σ²I) = −‖x̃ − x‖²/(2σ²) + const; its gradient in x̃ is −(x̃ − x)/σ² (which is −ξ/σ)."),
    mistakes={"sign flipped": lambda x, x_tilde, sigma: (x_tilde - x) / sigma**2,
              "/σ instead of /σ²": lambda x, x_tilde, sigma: -(x_tilde - x) / sigma,
              "returned ξ": lambda x, x_tilde, sigma: (x_tilde - x) / sigma,
              "forgot σ²": lambda x, x_tilde, sigma: x - x_tilde},
))


# --------------------------------------------------------------------------- 10.4: one DDIM step


def solution_10_4(x_t, eps_hat, abar_t, abar_s):
    """DDIM's deterministic step from t to an earlier s: predict the clean image, then noise it to level s with the
    same predicted noise."""
    x0_hat = (x_t - np.sqrt(1 - abar_t) * eps_hat) / np.sqrt(abar_t)
    return np.sqrt(abar_s) * x0_hat + np.sqrt(1 - abar_s) * eps_hat


def _ddim_cases(seed: int = 4):
    """Small batches of images x_t (2, 5, 5) and predicted noises ε̂, with ᾱ_t, ᾱ_s of the cosine schedule (T = 1000)
    at (t, s) = (700, 500), (400, 100), then the last step (100, 0), where ᾱ_s = 1 and the step returns x̂₀."""
    rng = np.random.default_rng(seed)
    alpha_bars = cosine_schedule(1000).alpha_bars
    for t, s in ((700, 500), (400, 100), (100, 0)):
        x0 = rng.uniform(-1, 1, size=(2, 5, 5))
        eps, eps_hat = rng.standard_normal((2, 2, 5, 5))
        ab = alpha_bars[t]
        yield np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps, eps_hat, float(ab), float(alpha_bars[s]), (t, s)


def _check_10_4(step):
    for x_t, eps_hat, abar_t, abar_s, (t, s) in _ddim_cases():
        got = np.asarray(step(x_t.copy(), eps_hat.copy(), abar_t, abar_s), dtype=float)
        want = solution_10_4(x_t, eps_hat, abar_t, abar_s)
        if got.shape != want.shape:
            raise Wrong(f"x_s has the shape of x_t, {want.shape}; yours has shape {got.shape}")
        if np.allclose(got, want):
            continue
        x0_hat = (x_t - np.sqrt(1 - abar_t) * eps_hat) / np.sqrt(abar_t)
        if np.allclose(got, np.sqrt(abar_s) * x0_hat):
            raise Wrong("the noise is not put back: √ᾱ_s x̂₀ is only the signal part of x_s. At the earlier level s the "
                        "image still holds noise of variance 1 − ᾱ_s, and DDIM re-noises with the same prediction: "
                        "+ √(1 − ᾱ_s) ε̂", "forgot to re-noise")
        if np.allclose(got, x0_hat):
            raise Wrong(f"this is x̂₀, the clean image the prediction implies; one step goes from t = {t} to s = {s} "
                        "only: √ᾱ_s x̂₀ + √(1 − ᾱ_s) ε̂ (x̂₀ is returned only by the last step, to s = 0, where "
                        "ᾱ_s = 1)", "returned x̂₀")
        unrooted_x0 = (x_t - (1 - abar_t) * eps_hat) / abar_t
        if any(np.allclose(got, abar_s * u + (1 - abar_s) * eps_hat) for u in (x0_hat, unrooted_x0)):
            raise Wrong("ᾱ without the square root: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε scales the image and the noise by "
                        "the ROOTS, so that the variances ᾱ_t and 1 − ᾱ_t add up to 1; the same roots go into x̂₀ "
                        "and into x_s", "ᾱ without the root")
        if np.allclose(got, np.sqrt(abar_s) * (x_t - np.sqrt(1 - abar_t) * eps_hat) + np.sqrt(1 - abar_s) * eps_hat):
            raise Wrong("x̂₀ is not divided by √ᾱ_t: x_t − √(1 − ᾱ_t) ε̂ is √ᾱ_t x̂₀, the signal still scaled down; "
                        "x̂₀ = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t", "forgot ÷√ᾱ_t")
        i = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        raise Wrong(f"from t = {t} (ᾱ_t = {abar_t:.4f}) to s = {s} (ᾱ_s = {abar_s:.4f}), at the pixel where x_t = "
                    f"{x_t[i]:.3f} and ε̂ = {eps_hat[i]:.3f}, x̂₀ = {x0_hat[i]:.4f} and x_s should be {want[i]:.4f}; "
                    f"yours gives {got[i]:.4f}")
    return "√ᾱ_s x̂₀ + √(1 − ᾱ_s) ε̂ on the cosine schedule, from t = 700 to 500, 400 to 100 and 100 to 0"


register(Exercise(
    id="10.4", kind="function", checker=_check_10_4, solution=solution_10_4,
    hints=(("Two moves: solve the forward formula x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε for x₀ with ε̂ in place of ε, then "
           "apply the same formula at level s, again with ε̂."),
           "x̂₀ = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, then x_s = √ᾱ_s x̂₀ + √(1 − ᾱ_s) ε̂ (np.sqrt for each root)."),
    mistakes={"forgot to re-noise": lambda x_t, eps_hat, abar_t, abar_s: np.sqrt(abar_s) * (
                  x_t - np.sqrt(1 - abar_t) * eps_hat) / np.sqrt(abar_t),
              "returned x̂₀": lambda x_t, eps_hat, abar_t, abar_s: (x_t - np.sqrt(1 - abar_t) * eps_hat) / np.sqrt(
                  abar_t),
              "ᾱ without the root": lambda x_t, eps_hat, abar_t, abar_s: abar_s * (
                  x_t - (1 - abar_t) * eps_hat) / abar_t + (1 - abar_s) * eps_hat,
              "forgot ÷√ᾱ_t": lambda x_t, eps_hat, abar_t, abar_s: np.sqrt(abar_s) * (
                  x_t - np.sqrt(1 - abar_t) * eps_hat) + np.sqrt(1 - abar_s) * eps_hat},
))


# --------------------------------------------------------------------------- 10.5: classifier guidance in ε

#: 10.5, at one pixel: the predicted noise ε̂, the guidance scale γ, ᾱ_t and the classifier's gradient
#: ∂ log p(y | x_t)/∂x_t there
EPS_10_5, SCALE_10_5, ABAR_10_5, GRAD_10_5 = 0.4, 2.0, 0.64, 0.5


def _guided(eps=EPS_10_5, s=SCALE_10_5, root=None, g=GRAD_10_5):
    """ε̂ − γ·root·g, root √(1 − ᾱ_t) unless another factor is given (a mistake)."""
    return eps - s * (np.sqrt(1 - ABAR_10_5) if root is None else root) * g


def _check_10_5(answer):
    eps, s, ab, g = EPS_10_5, SCALE_10_5, ABAR_10_5, GRAD_10_5
    want = _guided()
    if close(answer, want, rel=1e-3):
        return ("ε̂ − γ√(1 − ᾱ_t)·∂ log p(y | x_t)/∂x_t = 0.4 − 2·0.6·0.5 = −0.2: guidance lowers the predicted "
                "noise where the classifier wants the pixel brighter, so that x̂₀ comes out brighter there")
    if close(answer, _guided(s=-s), rel=1e-3):
        raise Wrong("the sign is flipped: the score is −ε̂/√(1 − ᾱ_t), MINUS the predicted noise, so adding "
                    "γ∇ log p(y | x_t) to the score SUBTRACTS γ√(1 − ᾱ_t)∇ log p(y | x_t) from ε̂. With + the "
                    "guidance pushes the image away from the digit y", "sign flipped")
    if close(answer, _guided(root=1.0), rel=1e-3):
        raise Wrong("the factor √(1 − ᾱ_t) = 0.6 is missing: the gradient is added to the SCORE, and the score is "
                    "ε̂ divided by −√(1 − ᾱ_t); going back to ε multiplies the gradient by √(1 − ᾱ_t)",
                    "forgot √(1 − ᾱ_t)")
    if close(answer, _guided(root=1 / np.sqrt(1 - ab)), rel=1e-3):
        raise Wrong("divided by √(1 − ᾱ_t) instead of multiplying: from the score to ε one multiplies by "
                    "−√(1 − ᾱ_t) (ε̂ = −√(1 − ᾱ_t) × score), so the gradient term is γ√(1 − ᾱ_t)∇ log p(y | x_t)",
                    "divided by √(1 − ᾱ_t)")
    if close(answer, _guided(root=np.sqrt(ab)), rel=1e-3):
        raise Wrong("√ᾱ_t = 0.8 is the factor of the image in x_t; the score's factor is the noise's, "
                    "√(1 − ᾱ_t) = 0.6", "√ᾱ_t instead")
    if close(answer, -eps / np.sqrt(1 - ab) + s * g, rel=1e-3):
        raise Wrong(f"{_shown(answer)} is the guided SCORE, −ε̂/√(1 − ᾱ_t) + γ∇ log p(y | x_t); the question asks "
                    "for the guided ε̂, which the DDIM step takes: multiply that score by −√(1 − ᾱ_t)",
                    "the score, not ε")
    raise Wrong(f"{_shown(answer)} is not the guided ε̂ at this pixel. Write the guided score "
                "−ε̂/√(1 − ᾱ_t) + γ∇ log p(y | x_t), then turn it back into a noise prediction by multiplying it by "
                "−√(1 − ᾱ_t)")


register(Exercise(
    id="10.5", kind="number", checker=_check_10_5, solution=-0.2,
    worked="The guided score is ∇ log p_t(x_t) + γ∇ log p(y | x_t) ≈ −ε̂/√(1 − ᾱ_t) + γ∇ log p(y | x_t). "
           "Multiplying by −√(1 − ᾱ_t) turns it back into a noise prediction: ε̂_guided = ε̂ − γ√(1 − ᾱ_t)"
           "∇ log p(y | x_t) = 0.4 − 2·√0.36·0.5 = 0.4 − 0.6 = −0.2.",
    hints=(("Work in scores: the guided score is the unguided score plus γ times the classifier's gradient. How does "
           "a score turn into a noise prediction, and back?"),
           ("score = −ε̂/√(1 − ᾱ_t), so ε̂_guided = −√(1 − ᾱ_t) × (guided score) = ε̂ − γ√(1 − ᾱ_t)∇ log p(y | x_t), "
           "with √(1 − ᾱ_t) = √0.36 = 0.6.")),
    mistakes={"sign flipped": 1.0, "forgot √(1 − ᾱ_t)": -0.6, "divided by √(1 − ᾱ_t)": 0.4 - 1 / 0.6,
              "√ᾱ_t instead": -0.4, "the score, not ε": 1 - 0.4 / 0.6},
))
