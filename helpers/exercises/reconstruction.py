"""Notebook 08's exercises: the reconstruction loss's gradient, L1 or L2 under outliers, the masked inpainting error,
the VAE's KL term, and what 次梯度取值's loss line compares.

The notation is notebook 08's. An autoencoder maps each image ``xᵢ`` of a batch of ``B`` to a reconstruction
``x̂ᵢ = dec_θ(enc_φ(xᵢ))`` and minimises ``L_rec = (1/B) Σᵢ ‖x̂ᵢ − xᵢ‖²``, summed over the ``P`` pixels of each
image and averaged over the batch (§2), whose gradient in ``x̂`` is ``(2/B)(x̂ − x)`` (08.1). Per pixel, the best
single guess under L2 is the mean of the values it must fit, under L1 the median (§3; 08.2). Inpainting descends
the error on the known pixels only, ``Σⱼ mⱼ (x̂ⱼ − xⱼ)² / Σⱼ mⱼ`` per image, with the mask ``mⱼ = 1`` where the pixel
is known and ``0`` in the hole (§4; 08.3). The VAE's encoder outputs a mean ``μ`` and a log-variance ``log σ²`` per
latent dimension, and its KL term against the prior ``N(0, I)`` is ``−½ Σₖ (1 + log σ²ₖ − μₖ² − σ²ₖ)`` per image
(§5.2; 08.4). 08.5 asks what the loss line of 次梯度取值 §4.2 compares (§1).
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, register

# --------------------------------------------------------------------------- 08.1: the gradient of L_rec in x̂


def solution_08_1(x_hat, x):
    """The gradient in x̂ of L_rec = (1/B) Σᵢ ‖x̂ᵢ − xᵢ‖² (summed over each image's pixels, mean over the batch)."""
    return 2.0 / len(x) * (x_hat - x)


def _batches(seed: int = 8):
    """Batches (x̂, x) of images in [0, 1], of several sizes; B is never 1 or 2, so that 2/B, 1/B, 2 and 2/(B·P)
    are four different factors."""
    rng = np.random.default_rng(seed)
    for shape in ((3, 4, 4, 1), (5, 6, 3, 1), (4, 28, 28, 1)):
        yield rng.uniform(0.0, 1.0, shape), rng.uniform(0.0, 1.0, shape)


def _check_08_1(grad):
    for x_hat, x in _batches():
        B, P = len(x), x[0].size
        got = np.asarray(grad(x_hat.copy(), x.copy()), dtype=float)
        want = solution_08_1(x_hat, x)
        if got.shape != want.shape:
            raise Wrong(f"the gradient has one number per pixel of the batch, the shape of x̂, {want.shape}; yours "
                        f"has shape {got.shape}", "wrong shape")
        if np.allclose(got, want):
            continue
        r = x_hat - x
        if np.allclose(got, -want):
            raise Wrong("the sign is flipped: the residual is x̂ − x, and the gradient points towards a LARGER error "
                        "(a pixel drawn too bright, x̂ > x, gets a positive gradient, so descent darkens it)",
                        "sign flipped")
        if np.allclose(got, want / 2):
            raise Wrong("a factor 2 is missing: differentiating the square (x̂ᵢⱼ − xᵢⱼ)² brings down 2·(x̂ᵢⱼ − xᵢⱼ)",
                        "forgot the 2")
        if np.allclose(got, B * want):
            raise Wrong(f"a factor B = {B} too large: L_rec is the MEAN over the B images of the batch, so each "
                        "image's error, and its gradient, carries 1/B", "forgot 1/B")
        if np.allclose(got, want / P):
            raise Wrong(f"you divided by B·P = {B * P}, every pixel of the batch: that is the gradient of the "
                        "per-pixel mean (the MSE of image_metrics). L_rec SUMS over the pixels of each image and "
                        "averages over the images only, so it divides by B", "mean over pixels")
        if np.allclose(got, np.sign(r) / B) or np.allclose(got, np.sign(r) / (B * P)):
            raise Wrong("this is the gradient of the L1 loss (the article's tf.abs): sign(x̂ − x) has size 1 however "
                        "close a pixel is. The squared error's gradient is proportional to the residual, and fades "
                        "as a pixel gets close to right", "L1's gradient")
        i = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        ratio = got[i] / want[i]
        proportional = (f"; yours is {ratio:.4g} times it everywhere: check the constant factors (the 2 of the "
                        "square, the 1/B of the batch mean)") if np.allclose(got, ratio * want) else ""
        raise Wrong(f"for a batch of B = {B} images of P = {P} pixels, at a pixel with x̂ = {x_hat[i]:.3f} and "
                    f"x = {x[i]:.3f} the gradient is {want[i]:.5f}, yours gives {got[i]:.5f}{proportional}")
    return "(2/B)(x̂ − x) on three batches, B = 3, 5 and 4, the last of 28×28 images"


register(Exercise(
    id="08.1", kind="function", checker=_check_08_1, solution=solution_08_1,
    hints=(("L_rec is a sum of terms (1/B)(x̂ᵢⱼ − xᵢⱼ)²; the pixel x̂ᵢⱼ appears in one of them only. Differentiate "
            "that one."),
           ("∂L_rec/∂x̂ᵢⱼ = (1/B) · 2(x̂ᵢⱼ − xᵢⱼ): mind the 2 of the square, the 1/B of the batch mean (B = len(x)), "
            "and that the pixels are summed, not averaged.")),
    mistakes={"sign flipped": lambda x_hat, x: 2.0 / len(x) * (x - x_hat),
              "forgot the 2": lambda x_hat, x: (x_hat - x) / len(x),
              "forgot 1/B": lambda x_hat, x: 2.0 * (x_hat - x),
              "mean over pixels": lambda x_hat, x: 2.0 * (x_hat - x) / x.size,
              "L1's gradient": lambda x_hat, x: np.sign(x_hat - x) / len(x),
              "wrong shape": lambda x_hat, x: (2.0 / len(x) * (x_hat - x)).reshape(len(x), -1)},
))


# --------------------------------------------------------------------------- 08.2: predict L1 or L2 under outliers

#: the pixel of 08.2 over ten copies: clean value 0.3 in six, salt (1) in three, pepper (0) in one
VALUES_08_2 = np.array([0.3] * 6 + [1.0] * 3 + [0.0])
CHOICES_08_2 = ("a", "b", "c", "d")


def _check_08_2(answer):
    answer = str(answer).strip().lower().strip('"\'()')
    if answer not in CHOICES_08_2:
        raise Wrong(f"answer one of {', '.join(CHOICES_08_2)} (a letter), got {answer!r}")
    mean, median = VALUES_08_2.mean(), np.median(VALUES_08_2)
    if answer == "b":
        return (f"L1's best guess is the median, {median:g}, the clean value; L2's is the mean, {mean:g}, pulled up "
                "by the three salt pixels")
    if answer == "a":
        raise Wrong(f"averaging cancels noise that is as often up as down by similar amounts (zero-mean, like the "
                    f"Gaussian noise of section 4); salt-and-pepper is neither: each salt pixel adds 0.7 and the one "
                    f"pepper pixel takes 0.3 off, so the mean, L2's best guess, is {mean:g}, not 0.3",
                    "L2 averages it away")
    if answer == "c":
        raise Wrong(f"only one of them gives 0.3: L2's best guess is the mean, and the three salt pixels pull it up "
                    f"to {mean:g}; only the median, L1's best guess, stays at 0.3", "both")
    raise Wrong("the median is not pulled: it only asks which value sits in the middle once the ten are sorted, not "
                "how far the outliers are. With six of the ten copies clean, the 5th and 6th sorted values are both "
                "0.3", "neither")


register(Exercise(
    id="08.2", kind="choice", checker=_check_08_2, solution="b",
    worked="L2's best single guess is the mean, (6·0.3 + 3·1 + 1·0)/10 = 0.48: the salt pixels pull it up in "
           "proportion to how far they are. L1's is the median: sorted, the ten values are 0, 0.3 (six times), 1, 1, "
           "1, and the 5th and 6th are both 0.3. The median ignores how far the outliers are, as long as fewer than "
           "half the copies are hit.",
    hints=("Section 3: the best single guess under L2 is the mean of the values, under L1 their median. Compute both.",
           "Mean: (6·0.3 + 3·1 + 0)/10. Median: sort the ten values and look at the 5th and 6th."),
    mistakes={"L2 averages it away": "a", "both": "c", "neither": "d"},
))


# --------------------------------------------------------------------------- 08.3: the masked inpainting error


def solution_08_3(x_hat, x, m):
    """Per image, the mean squared error over the known pixels (m = 1) only: Σⱼ mⱼ(x̂ⱼ − xⱼ)² / Σⱼ mⱼ, shape (B,)."""
    axes = tuple(range(1, x.ndim))
    return np.sum(m * (x_hat - x) ** 2, axis=axes) / np.sum(m, axis=axes)


def _masked_cases(seed: int = 4):
    """Batches (x̂, x, m): each image has its own rectangular hole (mask 0), where the damaged image holds 0; the
    last batch uses section 4's 10×20 band of 28×28 digits."""
    rng = np.random.default_rng(seed)
    for shape in ((3, 5, 5, 1), (4, 6, 4, 1), (2, 28, 28, 1)):
        B, H, W, _ = shape
        m = np.ones(shape)
        for i in range(B):
            if H == 28:
                m[i, 10:20, 4:24] = 0.0
            else:
                top, left = rng.integers(0, H - 1), rng.integers(0, W - 1)
                m[i, top:top + 1 + i % 3, left:left + 2] = 0.0
        x_hat = rng.uniform(0.0, 1.0, shape)
        x = rng.uniform(0.0, 1.0, shape) * m          # the damaged image: 0 in the hole
        yield x_hat, x, m


def _check_08_3(error):
    for x_hat, x, m in _masked_cases():
        B = len(x)
        got = np.asarray(error(x_hat.copy(), x.copy(), m.copy()), dtype=float)
        want = solution_08_3(x_hat, x, m)
        sq = (x_hat - x) ** 2
        if got.shape != want.shape:
            if got.size == 1 and np.isclose(got.ravel()[0], np.sum(m * sq) / np.sum(m)):
                raise Wrong(f"one number for the whole batch: each image has its own code z and its own hole, so the "
                            f"error is measured per image, an array of shape ({B},). Sum over the pixels' axes only "
                            f"(axis=(1, 2, 3)), not over the batch", "pooled over the batch")
            raise Wrong(f"one error per image: an array of shape {want.shape}; yours has shape {got.shape}")
        if np.allclose(got, want):
            continue
        axes = (1, 2, 3)
        n_known, P = m.sum(axis=axes), x[0].size
        if np.allclose(got, sq.mean(axis=axes)):
            raise Wrong("no mask: the hole's pixels count, and their stored 0s are no measurement. The error then "
                        "pulls the decoder towards drawing black where the digit is unknown; multiply by m and "
                        "divide by the number of known pixels", "unmasked")
        if np.allclose(got, np.sum((1 - m) * sq, axis=axes) / np.sum(1 - m, axis=axes)):
            raise Wrong("the mask is inverted: this is the error INSIDE the hole, against the 0s stored there. m = 1 "
                        "marks the known pixels, the ones the error must use", "mask inverted")
        if np.allclose(got, np.sum(m * sq, axis=axes) / P):
            raise Wrong(f"you divided by P = {P}, every pixel of the image; the error is a mean over the KNOWN pixels "
                        f"only, so divide by Σⱼ mⱼ (here {n_known.astype(int).tolist()}, one count per image)",
                        "divided by all pixels")
        i = int(np.argmax(np.abs(got - want)))
        raise Wrong(f"for image {i} of the batch, with Σⱼ mⱼ = {int(n_known[i])} known pixels of P = {P}, the masked "
                    f"error is {want[i]:.5f}, yours gives {got[i]:.5f}: square the residual x̂ − x, keep it where "
                    "m = 1, sum it over that image's pixels and divide by its number of known pixels")
    return "Σⱼ mⱼ(x̂ⱼ − xⱼ)² / Σⱼ mⱼ per image, on three batches whose images have holes of different sizes"


register(Exercise(
    id="08.3", kind="function", checker=_check_08_3, solution=solution_08_3,
    hints=(("Only the known pixels (m = 1) may count, in the sum and in the count you divide by; and every image "
            "keeps its own number."),
           "np.sum(m * (x_hat - x) ** 2, axis=(1, 2, 3)) divided by np.sum(m, axis=(1, 2, 3))."),
    mistakes={"unmasked": lambda x_hat, x, m: ((x_hat - x) ** 2).mean(axis=(1, 2, 3)),
              "mask inverted": lambda x_hat, x, m: (np.sum((1 - m) * (x_hat - x) ** 2, axis=(1, 2, 3))
                                                    / np.sum(1 - m, axis=(1, 2, 3))),
              "divided by all pixels": lambda x_hat, x, m: np.sum(m * (x_hat - x) ** 2, axis=(1, 2, 3)) / x[0].size,
              "pooled over the batch": lambda x_hat, x, m: np.sum(m * (x_hat - x) ** 2) / np.sum(m)},
))


# --------------------------------------------------------------------------- 08.4: the KL term


def solution_08_4(mu, log_var):
    """KL(N(μ, diag σ²) ‖ N(0, I)) per example, summed over the latent dimensions: shape (B,)."""
    return -0.5 * np.sum(1.0 + log_var - mu ** 2 - np.exp(log_var), axis=-1)


def _kl_cases(seed: int = 5):
    """Encoder outputs (μ, log σ²) for batches of B examples with k ≥ 2 latent dimensions."""
    rng = np.random.default_rng(seed)
    for B, k in ((4, 3), (2, 16), (6, 2)):
        yield rng.normal(size=(B, k)), rng.uniform(-2.0, 1.0, (B, k))


def _check_08_4(kl):
    for mu, log_var in _kl_cases():
        B, k = mu.shape
        got = np.asarray(kl(mu.copy(), log_var.copy()), dtype=float)
        want = solution_08_4(mu, log_var)
        if got.shape != want.shape:
            if got.size == 1 and np.isclose(got.ravel()[0], want.mean()):
                raise Wrong(f"one number for the batch: that is the batch mean autoencoder.kl_divergence adds to the "
                            f"loss; the question asks for the KL of each example, an array of shape ({B},): sum over "
                            "the latent axis only (axis=-1)", "averaged over the batch")
            raise Wrong(f"one KL per example: an array of shape {want.shape} for μ of shape {mu.shape}; yours has "
                        f"shape {got.shape}")
        if np.allclose(got, want):
            continue
        var = np.exp(log_var)
        if np.allclose(got, -want):
            raise Wrong("the sign is flipped: a KL divergence is never negative; KL = −½ Σ (1 + log σ² − μ² − σ²), "
                        "with the minus in front", "sign flipped")
        if np.allclose(got, 2 * want):
            raise Wrong("the ½ is missing: twice the KL. KL = −½ Σ (1 + log σ² − μ² − σ²); the ½ comes from the "
                        "Gaussians' exponents, −(z − μ)²/(2σ²) and −z²/2, and from log σ = ½ log σ²", "forgot the ½")
        if np.allclose(got, want / k):
            raise Wrong(f"you averaged over the k = {k} latent dimensions; the dimensions are independent, so their "
                        "KLs add up: sum over the latent axis", "mean over dimensions")
        if np.allclose(got, np.sum(-log_var - 0.5 + 0.5 * (mu ** 2 + var), axis=-1)):
            raise Wrong("you put log σ² where the formula −log σ − ½ + ½(μ² + σ²) has log σ: the encoder outputs "
                        "log σ², and log σ = ½ log σ²", "log σ² for log σ")
        if np.allclose(got, -0.5 * np.sum(1.0 + log_var - mu ** 2 - np.exp(0.5 * log_var), axis=-1)):
            raise Wrong("exp(½ log σ²) is σ, the standard deviation, which the sample z = μ + σ·ε needs; the KL "
                        "needs the variance σ² = exp(log σ²)", "σ for σ²")
        try:
            at_prior = float(np.asarray(kl(np.zeros((1, k)), np.zeros((1, k))), dtype=float).ravel()[0])
        except Exception:  # the learner's function may fail on a new input; the main message stays
            at_prior = 0.0
        prior = (f"; and at μ = 0, log σ² = 0, where q is the prior itself and the KL is 0, yours gives "
                 f"{at_prior:.4g}") if abs(at_prior) > 1e-9 else ""
        raise Wrong(f"for μ = {np.round(mu[0], 3)} and log σ² = {np.round(log_var[0], 3)} the KL is {want[0]:.5f}, "
                    f"yours gives {got[0]:.5f}{prior}")
    return "−½ Σₖ (1 + log σ² − μ² − σ²) per example, on three batches with k = 3, 16 and 2 latent dimensions"


register(Exercise(
    id="08.4", kind="function", checker=_check_08_4, solution=solution_08_4,
    hints=(("Section 5.2 derives it for one dimension: −log σ − ½ + ½(μ² + σ²). Write it with log σ², which is "
            "what the encoder outputs, then add up the dimensions."),
           "-0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=-1)"),
    mistakes={"sign flipped": lambda mu, lv: 0.5 * np.sum(1 + lv - mu ** 2 - np.exp(lv), axis=-1),
              "forgot the ½": lambda mu, lv: -np.sum(1 + lv - mu ** 2 - np.exp(lv), axis=-1),
              "mean over dimensions": lambda mu, lv: -0.5 * np.mean(1 + lv - mu ** 2 - np.exp(lv), axis=-1),
              "log σ² for log σ": lambda mu, lv: np.sum(-lv - 0.5 + 0.5 * (mu ** 2 + np.exp(lv)), axis=-1),
              "σ for σ²": lambda mu, lv: -0.5 * np.sum(1 + lv - mu ** 2 - np.exp(0.5 * lv), axis=-1),
              "averaged over the batch": lambda mu, lv: np.mean(-0.5 * np.sum(1 + lv - mu ** 2 - np.exp(lv),
                                                                               axis=-1))},
))


# --------------------------------------------------------------------------- 08.5: what the loss line compares


register(Exercise(
    id="08.5", kind="explain", checker=None,
    solution="The line compares the decoder's output with encoded, the code the decoder was given, not with the image "
             "x: the image never enters the loss. Once the shapes agree (a code of 784 numbers), the encoder and the "
             "decoder can drive that loss down by agreeing with each other, the decoder learning to copy whatever "
             "code the encoder writes, which says nothing about the digit; so in section 1 the loss dives while the "
             "error against the image stays near that of an all-black image, and the 'reconstructions' are dark "
             "noise. A falling loss means something only when it is the loss you meant: compare the reconstruction "
             "with the image, loss(x, reconstructed), and square the error as §3.3.2 states, ‖x̂ − x‖².",
    hints=("Read the two arguments of loss(...): which of them is an image, and which is a code?",
           "Ask what the decoder can do to make its output equal to its own input, and whether that needs any digit."),
    key_points=(("the line compares the reconstruction with the code (encoded), not with the image",
                 ("code", "encoded", "latent")),
                (("the networks can lower it by agreeing with each other (copying the code): nothing in it mentions "
                  "the image"),
                 ("agree", "copy", "copies", "identity", "trivial", "each other", "shortcut")),
                ("so its falling loss is no sign of better reconstructions (dark noise, the all-black image's error)",
                 ("all-black", "black", "dark", "noise", "does not mean", "doesn't mean", "not mean")),
                ("the repair: compare the reconstruction with the image x, ‖x̂ − x‖² as §3.3.2 states",
                 ("loss(x", "loss(image", "‖x̂ − x‖", "x̂ - x", "x_hat - x", "with the image", "against the image",
                  "original image", "with x,", "with x "))),
))
