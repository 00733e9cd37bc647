"""Notebook 05's exercises: the discriminator's loss, the generator's gradient, the best discriminator, a step
of the damped game, and the articles' "generator step".

The notation is notebook 05's (docs/notation.md, section 3). The discriminator outputs a logit ``d(x)`` and
``D(x) = σ(d(x))`` is its probability that ``x`` is **real**; it ascends the value
``V(D, G) = E log D(x) + E log(1 − D(G(z)))``, i.e. it descends ``L_D = −V``, the binary cross-entropy with
labels 1 for real images and 0 for generated ones (the mean over each batch, summed, as §3's ``d_loss``). The
generator descends the non-saturating loss ``L_G = −log D(G(z))``. The best discriminator for a fixed generator
is ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``. In §5, ``f(x, y) = λxy − (c/2)y²`` is the damped bilinear game,
``J`` the Jacobian of its field and ``μ`` its eigenvalues: one simultaneous step multiplies the distance to the
equilibrium by ``|1 + ημ| = sqrt(1 − ηc + η²λ²)``.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def _softplus(t):
    """log(1 + e^t), without overflow: −log σ(d) = softplus(−d), −log(1 − σ(d)) = softplus(d)."""
    return np.logaddexp(0.0, t)


def _number(answer) -> float:
    try:
        return float(answer)
    except (TypeError, ValueError):
        raise Wrong(f"answer a number, got {answer!r}") from None


def _near_miss(value: float, expected: float) -> None:
    """Within 5 % of the answer but not within the check's 0.5 %: ask for more digits."""
    if close(value, expected, rel=0.05):
        raise Wrong(f"{value:g} is close but not within 0.5 % of the answer: give three significant digits")


# --------------------------------------------------------------------------- 05.1: the discriminator's loss


def solution_05_1(real_logits, fake_logits):
    """L_D = −V on one batch, from the discriminator's logits: real → label 1, fake → label 0."""
    real_term = np.mean(np.logaddexp(0.0, -real_logits))   # −log σ(d) = log(1 + e^(−d))
    fake_term = np.mean(np.logaddexp(0.0, fake_logits))    # −log(1 − σ(d)) = log(1 + e^d)
    return real_term + fake_term


def _cases_05_1():
    """(real logits, fake logits) of shape (n, 1), the batches of different sizes: logits near 0 (an undecided
    discriminator), spread ones of both signs, then saturated ones (|d| = 40, where σ(d) rounds to 1 or 0)."""
    rng = np.random.default_rng(5)
    yield rng.uniform(0.05, 0.95, (6, 1)), rng.uniform(0.05, 0.95, (4, 1))
    yield rng.normal(1.0, 2.0, (8, 1)), rng.normal(-1.0, 2.0, (5, 1))
    yield rng.normal(0.0, 3.0, (7, 1)), rng.normal(0.0, 3.0, (7, 1))
    yield np.array([[40.0], [-40.0], [0.5]]), np.array([[40.0], [-40.0], [-0.5]])


def _wrong_05_1(r, f):
    """The typical mistakes' values on one case, in the order they are tried."""
    return {
        "minus sign lost": -solution_05_1(r, f),
        "labels swapped": np.mean(_softplus(r)) + np.mean(_softplus(-f)),
        "sum instead of mean": np.sum(_softplus(-r)) + np.sum(_softplus(f)),
        "pooled mean": np.mean(np.concatenate([_softplus(-r), _softplus(f)])),
        "probabilities as logits": -np.mean(np.log(r)) - np.mean(np.log(1 - f)),
    }


_MESSAGES_05_1 = {
    "minus sign lost": "the sign is lost: you returned V = E log D(x) + E log(1 − D(G(z))), the value the "
                       "discriminator ascends; its loss, the one it descends, is L_D = −V (never negative)",
    "labels swapped": "the labels are swapped: you scored the real images against label 0 and the fakes against "
                      "label 1, a loss that teaches D to call real images fake. Real logits get −log σ(d), fake "
                      "ones −log(1 − σ(d))",
    "sum instead of mean": "you summed over each batch instead of averaging: V is made of expectations, so L_D is "
                           "the mean over the real batch plus the mean over the fake batch; a sum grows with the "
                           "batch size",
    "pooled mean": "you averaged the real and the fake terms together, as one batch of n_real + n_fake images "
                   "(with equal batches that halves the loss). L_D = −V is the mean over the real batch PLUS the "
                   "mean over the fake batch, like §3's bce(real) + bce(fake)",
    "probabilities as logits": "the sigmoid is missing: you took the log of the logit d itself, as if it were the "
                               "probability D(x). The network outputs a logit d ∈ (−∞, ∞); D(x) = σ(d) (the log of a "
                               "negative logit is NaN)",
}


def _show(a) -> str:
    return str(np.round(np.ravel(a), 3).tolist())


def _check_05_1(loss):
    for r, f in _cases_05_1():
        with np.errstate(all="ignore"):
            got = np.asarray(loss(r.copy(), f.copy()), dtype=float)
            wrong = _wrong_05_1(r, f)
        want = solution_05_1(r, f)
        if got.ndim != 0:
            if got.size == len(r) + len(f):
                raise Wrong(f"return one number, the batch's loss: yours has shape {got.shape}, one loss per image; "
                            "average the real terms, average the fake terms, add the two means", "per-example")
            raise Wrong(f"return one number (shape ()), the loss of the two batches; yours has shape {got.shape}")
        if np.isclose(got, want, rtol=1e-6, atol=1e-9):
            continue
        for name, value in wrong.items():
            if np.isfinite(value) and np.isclose(got, value, rtol=1e-6, atol=1e-9):
                raise Wrong(_MESSAGES_05_1[name], name)
        for term, value in (("real", np.mean(_softplus(-r))), ("fake", np.mean(_softplus(f)))):
            if np.isclose(got, value, rtol=1e-6, atol=1e-9):
                other = "−log(1 − σ(d)) over the fakes" if term == "real" else "−log σ(d) over the real images"
                raise Wrong(f"yours is the {term} images' term alone: V has two expectations, so L_D also needs the "
                            f"mean of {other}", "one term only")
        saturated = bool(np.max(np.abs(f)) >= 40)
        if saturated and not np.isfinite(got):
            raise Wrong(f"right on moderate logits, but at the fake logit d = 40 your loss is {got}: σ(40) rounds to "
                        "1 in float64, so log(1 − σ(d)) = log 0. Compute from the logit, −log σ(d) = log(1 + e^(−d)) "
                        "and −log(1 − σ(d)) = log(1 + e^d), which np.logaddexp(0, ·) evaluates safely", "unstable")
        if not np.isfinite(got) and not np.isfinite(wrong["probabilities as logits"]):
            raise Wrong(_MESSAGES_05_1["probabilities as logits"], "probabilities as logits")
        if saturated:
            raise Wrong(f"at the saturated logits real {_show(r)}, fake {_show(f)} L_D is {want:.4f}, yours gives "
                        f"{float(got):.4f}: clipping σ(d) away from 0 and 1 (as Keras does with probabilities) changes "
                        "the loss where |d| is large; compute it from the logit with np.logaddexp(0, ·)")
        raise Wrong(f"for the real logits {_show(r)} and the fake logits {_show(f)}, L_D = {want:.4f}; yours gives "
                    f"{float(got):.4f}. Check each term: −log σ(d) on a real image, −log(1 − σ(d)) on a fake, "
                    "a mean over each batch")
    return ("mean −log σ(d) over the real logits + mean −log(1 − σ(d)) over the fake ones, on 4 batch pairs of "
            "different sizes, finite at |d| = 40")


def _naive_05_1(real_logits, fake_logits):
    """The formula as written, σ first then the log: right until σ(d) rounds to 1."""
    return -np.mean(np.log(_sigmoid(real_logits))) - np.mean(np.log(1 - _sigmoid(fake_logits)))


register(Exercise(
    id="05.1", kind="function", checker=_check_05_1, solution=solution_05_1,
    hints=(("L_D = −V: −log D(x) on each real image, −log(1 − D(G(z))) on each fake, with D = σ(d); average each "
            "batch, then add the two means."),
           ("In terms of the logit, −log σ(d) = log(1 + e^(−d)) and −log(1 − σ(d)) = log(1 + e^d): "
            "np.logaddexp(0, t) is log(1 + e^t), computed without overflow."),
           "return np.mean(np.logaddexp(0, -real_logits)) + np.mean(np.logaddexp(0, fake_logits))"),
    mistakes={"minus sign lost": lambda r, f: -solution_05_1(r, f),
              "labels swapped": lambda r, f: np.mean(np.logaddexp(0, r)) + np.mean(np.logaddexp(0, -f)),
              "sum instead of mean": lambda r, f: np.sum(np.logaddexp(0, -r)) + np.sum(np.logaddexp(0, f)),
              "pooled mean": lambda r, f: np.mean(np.concatenate([np.logaddexp(0, -r), np.logaddexp(0, f)])),
              "probabilities as logits": lambda r, f: -np.mean(np.log(r)) - np.mean(np.log(1 - f)),
              "one term only": lambda r, f: np.mean(np.logaddexp(0, -r)),
              "per-example": lambda r, f: np.concatenate([np.logaddexp(0, -r), np.logaddexp(0, f)]),
              "unstable": _naive_05_1},
))


# --------------------------------------------------------------------------- 05.2: the generator's gradient

#: the fake's logit in exercise 05.2: the discriminator rejects it easily, D(G(z)) = σ(−4) ≈ 0.018
LOGIT_05_2 = -4.0


def _check_05_2(answer):
    value = _number(answer)
    p = _sigmoid(LOGIT_05_2)
    want = -(1 - p)
    if close(value, want, rel=5e-3):
        return (f"∂L_G/∂d = −(1 − D(G(z))) = −{-want:.4f}: the losing generator gets a nearly full-strength push, "
                f"(1 − D)/D = {(1 - p) / p:.0f} times the saturating loss's")
    if close(value, -p, rel=5e-3):
        raise Wrong(f"−{p:.4f} is the gradient of the saturating loss log(1 − D(G(z))), −σ(d) = −D(G(z)): almost "
                    "nothing while D rejects the fake, which is why the generator descends −log D(G(z)) instead",
                    "saturating")
    if close(value, p, rel=5e-3):
        raise Wrong(f"+{p:.4f} is the gradient of −log(1 − D(G(z))), the cross-entropy of the fake against label 0 "
                    "(\"fake\"): that is the discriminator's term. The generator labels its fakes 1 (\"real\"): "
                    "L_G = −log σ(d)", "labels as fake")
    if close(value, 1 - p, rel=5e-3):
        raise Wrong(f"the sign is flipped: +{1 - p:.4f} is the derivative of log D(G(z)), which the generator "
                    "maximises; the loss it descends is −log D(G(z)), so its derivative is negative (descent then "
                    "raises d)", "sign")
    if close(value, -1 / p, rel=5e-3):
        raise Wrong(f"−{1 / p:.2f} = −1/D(G(z)) is the derivative with respect to the probability D, not the logit "
                    "d; the chain rule multiplies it by dσ/dd = σ(d)(1 − σ(d))", "with respect to D")
    if close(value, -1.0, rel=1e-9):
        raise Wrong("−1 is the limit as d → −∞; at d = −4 compute 1 − σ(−4) itself")
    _near_miss(value, want)
    raise Wrong(f"{value:g} is not ∂L_G/∂d at d = −4: use d/dd log σ(d) = 1 − σ(d) (§2) and mind the minus sign "
                "of L_G = −log σ(d)")


register(Exercise(
    id="05.2", kind="number", checker=_check_05_2, solution=round(-(1 - float(_sigmoid(LOGIT_05_2))), 6),
    worked="L_G = −log σ(d) and d/dd log σ(d) = 1 − σ(d), so ∂L_G/∂d = −(1 − σ(−4)) = −(1 − 0.0180) = −0.9820. "
           "(The saturating loss log(1 − σ(d)) would give −σ(−4) = −0.0180, 55 times less.)",
    hints=("Write L_G as a function of the logit: D(G(z)) = σ(d), so L_G = −log σ(d).",
           "§2 shows d/dd log σ(d) = 1 − σ(d); put d = −4 and keep the minus sign of the loss."),
    mistakes={"saturating": -0.017986, "labels as fake": 0.017986, "sign": 0.982014, "with respect to D": -55.598},
))


# --------------------------------------------------------------------------- 05.3: the best discriminator

#: exercise 05.3: data N(0, 1), generator N(1, 1) (μ_g = 1, a row of §2's table), the image x = 2
MU_G_05_3, X_05_3 = 1.0, 2.0


def _densities_05_3():
    p_data = np.exp(-0.5 * X_05_3 ** 2) / np.sqrt(2 * np.pi)
    p_g = np.exp(-0.5 * (X_05_3 - MU_G_05_3) ** 2) / np.sqrt(2 * np.pi)
    return p_data, p_g


def _check_05_3(answer):
    value = _number(answer)
    a, b = _densities_05_3()
    want = a / (a + b)
    if close(value, want, rel=5e-3):
        return (f"D*(2) = p_data/(p_data + p_g) = 1/(1 + e^1.5) = {want:.4f}: x = 2 is likelier under the generator, "
                "so the best discriminator calls it real only 18 % of the time")
    if close(value, b / (a + b), rel=5e-3):
        raise Wrong(f"{b / (a + b):.4f} is 1 − D*(2), the probability that x is FAKE: D*(x) puts the data's density "
                    "on top, p_data/(p_data + p_g)", "swapped")
    if close(value, a / b, rel=5e-3):
        raise Wrong(f"{a / b:.4f} is the density ratio p_data/p_g; D* divides p_data by the SUM p_data + p_g, which "
                    "keeps it in (0, 1)", "ratio")
    if close(value, np.log(a / b), rel=5e-3):
        raise Wrong(f"−{-np.log(a / b):g} is the best discriminator's logit, d*(x) = log(p_data/p_g); D* is its "
                    "probability, σ(d*(x))", "logit")
    if close(value, 0.5, rel=5e-3):
        raise Wrong("D* = ½ only where the two densities are equal: everywhere at equilibrium (p_g = p_data), and here "
                    "only at x = ½, halfway between the two means. At x = 2 they differ", "½")
    _near_miss(value, want)
    raise Wrong(f"{value:g} is not D*(2): evaluate the two densities at x = 2 (or their ratio: p_g/p_data = "
                "e^((2x − 1)/2) here), then D* = p_data/(p_data + p_g)")


register(Exercise(
    id="05.3", kind="number", checker=_check_05_3, solution=0.182426,
    worked="D*(x) = p_data(x)/(p_data(x) + p_g(x)) = 1/(1 + p_g(x)/p_data(x)); with equal variances the normalising "
           "constants cancel and p_g/p_data = exp(−(x − 1)²/2 + x²/2) = exp((2x − 1)/2) = e^1.5 at x = 2, so "
           "D*(2) = 1/(1 + e^1.5) = 0.1824.",
    hints=("Use §2's formula D*(x) = p_data(x)/(p_data(x) + p_g(x)) with the two Gaussian densities at x = 2.",
           "Divide top and bottom by p_data: D* = 1/(1 + p_g/p_data), and p_g(2)/p_data(2) = e^(−1/2)/e^(−2) = e^1.5."),
    mistakes={"swapped": 0.817574, "ratio": 0.22313, "logit": -1.5, "½": 0.5},
))


# --------------------------------------------------------------------------- 05.4: a simultaneous step, damped


STEP_FATES = ("shrinks", "stays", "grows")
#: exercise 05.4: λ = 1, c = 0.1, η = 0.1 (a row of §5's table)
LAM_05_4, C_05_4, ETA_05_4 = 1.0, 0.1, 0.1


def _check_05_4(answer):
    answer = str(answer).strip().lower()
    if answer not in STEP_FATES:
        raise Wrong(f"answer one of {', '.join(STEP_FATES)}, got {answer!r}")
    damping, excess = ETA_05_4 * C_05_4, ETA_05_4 ** 2 * LAM_05_4 ** 2
    if answer == "stays":
        return (f"|1 + ημ| = sqrt(1 − ηc + η²λ²) = sqrt(1 − {damping:g} + {excess:g}) = 1: at η = c/λ² the "
                "damping removes exactly what the rotation adds")
    if answer == "shrinks":
        raise Wrong(f"the damping ηc = {damping:g} is not the whole story: a simultaneous step also adds the "
                    f"rotation's excess η²λ² = {excess:g}, and here the two are equal", "shrinks")
    raise Wrong(f"simultaneous steps spiral out on the undamped game (c = 0); here the damping ηc = {damping:g} "
                f"cancels the rotation's excess η²λ² = {excess:g} exactly", "grows")


register(Exercise(
    id="05.4", kind="choice", checker=_check_05_4, solution="stays",
    worked="One simultaneous step multiplies the distance by |1 + ημ| = sqrt(1 − ηc + η²λ²) = sqrt(1 − 0.01 + 0.01) "
           "= 1: η = 0.1 is exactly c/λ², where first-order damping and second-order rotation balance.",
    hints=("§5 gives the factor of one simultaneous step: |1 + ημ| = sqrt(1 − ηc + η²λ²).",
           "Compute ηc and η²λ² for λ = 1, c = 0.1, η = 0.1 and compare them."),
    mistakes={"shrinks": "shrinks", "grows": "grows"},
))


# --------------------------------------------------------------------------- 05.5: the articles' "generator step"


register(Exercise(
    id="05.5", kind="explain", checker=None,
    solution="The line trains the discriminator, not the generator: `generator` appears nowhere in it, so no "
             "gradient ever reaches the generator's weights θ_G, and `train` returns the generator exactly as it "
             "was built, however long it runs. What the call asks is that the discriminator label raw noise as real "
             "(label 1). As printed it does not even run, because the noise has 100 numbers and the discriminator "
             "reads 784; given 784 numbers, with discriminator.trainable = False, it either updates nothing or, "
             "depending on how Keras compiled the step, takes one more discriminator step. A generator step needs "
             "a loss computed through the discriminator on generated images, the non-saturating "
             "L_G = −log D(G(z)), differentiated with respect to θ_G (the chain rule runs back through D into G) "
             "and applied by the generator's own optimizer, D's weights left as they are.",
    hints=("Look for the generator in the line: which model's train_on_batch is called, and on what input?",
           ("To train G, a loss must depend on θ_G: what must the discriminator be fed, and which loss of §2 and §3 "
            "does the generator descend?")),
    key_points=(("the generator appears nowhere in the call, so its weights never change",
                 ("appears nowhere", "not in the call", "never", "not updated", "unchanged", "untouched",
                  "no gradient")),
                ("the call asks the discriminator to label raw noise as real (label 1)",
                 ("noise as real", "noise is real", "label 1", "labelled 1", "labeled 1", "as real", "ones")),
                ("as printed it fails: the noise has 100 numbers, the discriminator reads 784",
                 ("784", "shape", "100 numbers", "100 values")),
                ("a generator step differentiates a loss through D, −log D(G(z)), with respect to θ_G",
                 ("D(G(z))", "through the discriminator", "through d", "g(z)", "chain rule", "combined model",
                  "stacked"))),
))
