"""Notebook 07's exercises: a transposed convolution's output size, a layer's parameters, a Fréchet distance,
what coverage says about a collapsed generator, and slerp.

The notation is notebook 07's. A (transposed) convolution layer has a square ``k × k`` kernel, stride ``s``
and Keras' ``padding="same"`` or ``"valid"``; ``n`` is the height (= width) of its input. The judge's
Fréchet distance compares Gaussians fitted to its features, mean ``μ_g`` and covariance ``Σ_g`` for the
generated images, ``μ_r`` and ``Σ_r`` for the real ones:
``d² = ‖μ_g − μ_r‖² + tr(Σ_g + Σ_r − 2 (Σ_g Σ_r)^½)``; class coverage is ``exp H(p̄)`` with
``p̄ = E_x p(y | x)``. Latent vectors ``z0, z1 ∈ R^d`` are interpolated at fractions ``t ∈ [0, 1]``
(a position along the path, not an iteration), ``Ω`` the angle between them.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.core import Exercise, Wrong, close, register

# --------------------------------------------------------------------------- 07.1: a transposed convolution's size


def solution_07_1(n, kernel, stride, padding):
    """Output height (= width) of a Keras Conv2DTranspose on inputs of height n (kernel >= stride)."""
    n = np.asarray(n)
    if padding == "same":
        return n * stride
    return (n - 1) * stride + kernel


def _forward_07_1(n, kernel, stride, padding):
    """The mistake: a (forward) convolution's output size instead of a transposed one's."""
    n = np.asarray(n)
    if padding == "same":
        return -(-n // stride)
    return (n - kernel) // stride + 1


def _no_kernel_07_1(n, kernel, stride, padding):
    """The mistake: 'valid' without the kernel term, (n − 1)·s."""
    n = np.asarray(n)
    return n * stride if padding == "same" else (n - 1) * stride


def _cases_07_1():
    """(n, kernel, stride, padding): the notebook's generator first, then seeded random layers, kernel >= stride."""
    yield np.array([7, 7, 14]), 5, 2, "same"
    yield np.array([7]), 5, 1, "same"
    yield np.array([7, 14]), 5, 2, "valid"
    rng = np.random.default_rng(71)
    for padding in ("same", "valid", "valid", "same"):
        stride = int(rng.integers(2, 4))
        kernel = int(rng.integers(stride, 8))
        yield rng.integers(2, 17, size=3), kernel, stride, padding


def _as_sizes(answer, shape):
    got = np.asarray(answer, dtype=float)
    if got.shape != shape:
        raise Wrong(f"return one output size per entry of n, an array of shape {shape} like n; yours has shape "
                    f"{got.shape}")
    return got


def _check_07_1(size):
    cases = list(_cases_07_1())
    got = [_as_sizes(size(n.copy(), kernel, stride, padding), n.shape) for n, kernel, stride, padding in cases]

    def matches(rule):
        return all(np.allclose(g, rule(n, kernel, stride, padding)) for g, (n, kernel, stride, padding)
                   in zip(got, cases))

    if matches(solution_07_1):
        return "n·s for 'same' and (n − 1)·s + k for 'valid', on the generator's layers and 4 random ones"
    if matches(_forward_07_1) or matches(lambda n, kernel, stride, padding: n / stride if padding == "same"
                                         else (n - kernel) / stride + 1):
        raise Wrong("that is a forward convolution's size, which shrinks its input (n/s, or (n − k)/s + 1): a "
                    "transposed convolution runs it backwards and enlarges it, 7 → 14 at stride 2",
                    "forward convolution")
    if matches(lambda n, kernel, stride, padding: n * stride):
        raise Wrong("'valid' is not 'same': without padding nothing is trimmed, so the last input unit's k×k "
                    "stamp sticks out beyond n·s; 'valid' at n = 7, k = 5, s = 2 gives 17, not 14",
                    "valid as same")
    if matches(_no_kernel_07_1) or matches(lambda n, kernel, stride, padding:
                                             _no_kernel_07_1(n, kernel, stride, padding) + (padding == "valid")):
        raise Wrong("the kernel term is missing for 'valid': (n − 1)·s is where the last stamp starts, and "
                    "that stamp is k pixels wide, so the output ends at (n − 1)·s + k", "forgot the kernel")
    g, (n, kernel, stride, padding) = next((g, case) for g, case in zip(got, cases)
                                           if not np.allclose(g, solution_07_1(*case)))
    advice = ("a transposed convolution enlarges its input, and yours shrinks it, as a forward convolution does"
              if np.any(g < n) else "each input unit stamps a k×k patch, s pixels after the previous one")
    yours = [int(v) if v.is_integer() else v for v in g.tolist()]
    raise Wrong(f"with n = {n.tolist()}, k = {kernel}, s = {stride} and padding {padding!r} the output sizes are "
                f"{solution_07_1(n, kernel, stride, padding).tolist()}, yours gives {yours}: {advice}")


register(Exercise(
    id="07.1", kind="function", checker=_check_07_1, solution=solution_07_1,
    hints=(("Picture one row: each of the n input units stamps its k weights onto the output, each stamp s pixels "
           "after the previous one. Where does the first stamp start, where does the last one end?"),
           ("'same' trims the output to exactly n·s (section 1: 7 → 14 → 28). 'valid' keeps everything the stamps "
           "cover: the last one starts at (n − 1)·s and is k wide.")),
    mistakes={"forward convolution": _forward_07_1,
              "valid as same": lambda n, kernel, stride, padding: np.asarray(n) * stride,
              "forgot the kernel": _no_kernel_07_1},
))


# --------------------------------------------------------------------------- 07.2: the parameters of a convolution

#: conv_1 of the discriminator: 64 filters of 5×5, with a bias each; the colour input has 3 channels
KERNEL_07_2, C_IN_07_2, C_OUT_07_2 = 5, 3, 64


def _check_07_2(answer):
    k, c_in, c_out = KERNEL_07_2, C_IN_07_2, C_OUT_07_2
    want = k * k * c_in * c_out + c_out
    if close(answer, want):
        return f"5·5·3·64 weights + 64 biases = {want:,d}; neither the stride nor the image size enters the count"
    if close(answer, k * k * c_in * c_out):
        raise Wrong("4,800 are the weights alone (section 1's conv_weights): each of the 64 filters also has a bias, "
                    "which Conv2D uses unless use_bias=False", "forgot the bias")
    if close(answer, k * k * c_out + c_out):
        raise Wrong("1,664 is the grayscale layer of section 2's table: a filter spans every input channel, so on "
                    "colour images each of the 64 filters holds 5×5×3 weights, not 5×5", "forgot the input channels")
    if close(answer, k * c_in * c_out + c_out):
        raise Wrong("a 5×5 kernel has 25 weights per input channel, not 5: the kernel is square, k·k",
                    "kernel 5, not 5×5")
    if close(answer, k * k * c_out):
        raise Wrong("1,600 is the grayscale layer without its biases; colour images give each filter 3 channels to "
                    "read, and each filter has one bias")
    raise Wrong(f"{answer!r} is not it: count one filter (its weights for every input channel, and a bias), then "
                "multiply by the number of filters; the stride and the image size do not enter")


register(Exercise(
    id="07.2", kind="number", checker=_check_07_2, solution=KERNEL_07_2 ** 2 * C_IN_07_2 * C_OUT_07_2 + C_OUT_07_2,
    worked="Each of the 64 filters has one 5×5 kernel per input channel, 5·5·3 = 75 weights, plus one bias: "
           "64·(75 + 1) = 4,864. (Grayscale: 64·(25 + 1) = 1,664, the table of section 2.)",
    hints=("Count the parameters of one filter first. Which of the input's channels does a filter read?",
           "One filter: a 5×5 kernel for each of the 3 input channels, plus 1 bias. There are 64 filters."),
    mistakes={"forgot the bias": 4_800, "forgot the input channels": 1_664, "kernel 5, not 5×5": 1_024},
))


# --------------------------------------------------------------------------- 07.3: a Fréchet distance

#: two Gaussians in a 2-feature space: generated (g) and real (r), diagonal covariances (variances on the diagonal)
MU_G_07_3, VAR_G_07_3 = np.array([1.0, 2.0]), np.array([4.0, 1.0])
MU_R_07_3, VAR_R_07_3 = np.array([0.0, 0.0]), np.array([1.0, 0.25])


def _frechet_07_3(square_root=True, factor=2.0, mean_term=True, variances_as_std=False):
    """d² with one ingredient changed (the defaults give the right value)."""
    vg, vr = VAR_G_07_3, VAR_R_07_3
    if variances_as_std:
        vg, vr = vg ** 2, vr ** 2
    cross = np.sqrt(vg * vr) if square_root else vg * vr
    mean = float(np.sum((MU_G_07_3 - MU_R_07_3) ** 2)) if mean_term else 0.0
    return mean + float(np.sum(vg + vr - factor * cross))


def _check_07_3(answer):
    want = _frechet_07_3()
    if close(answer, want):
        return ("‖μ_g − μ_r‖² = 5, and per feature (σ_g − σ_r)²: (2 − 1)² + (1 − 0.5)² = 1.25; d² = 6.25")
    rel = 1e-3
    if close(answer, _frechet_07_3(square_root=False), rel):
        raise Wrong("the cross term needs the square root: tr (Σ_g Σ_r)^½ is Σ σ_g σ_r (standard deviations), not "
                    "Σ σ_g² σ_r² (variances); without it the trace term can go negative, as here", "no square root")
    if close(answer, _frechet_07_3(mean_term=False), rel):
        raise Wrong("that is the covariance term alone: the mean term ‖μ_g − μ_r‖² = 1² + 2² = 5 is missing, the "
                    "part that punishes generated features centred in the wrong place", "forgot the mean term")
    if close(answer, _frechet_07_3(factor=1.0), rel):
        raise Wrong("the cross term is 2 (Σ_g Σ_r)^½: with the factor 2 each feature gives a square, "
                    "σ_g² + σ_r² − 2σ_gσ_r = (σ_g − σ_r)²", "forgot the factor 2")
    if close(answer, _frechet_07_3(variances_as_std=True), rel):
        raise Wrong("the diagonals of Σ are variances σ², not standard deviations: feature 1 has σ_g = √4 = 2 and "
                    "σ_r = 1, so its covariance term is (2 − 1)² = 1, not (4 − 1)²", "variances as standard deviations")
    if close(answer, np.sqrt(want), rel):
        raise Wrong("that is d, the square root; the judge prints (and section 3's formula defines) d², the sum "
                    "itself, as the FID does", "d instead of d²")
    if close(answer, np.sqrt(5.0) + 1.25, rel):
        raise Wrong("the mean term is the squared distance ‖μ_g − μ_r‖² = 5, not its length √5")
    raise Wrong(f"{answer!r} is not it: with diagonal covariances the formula splits into the mean term "
                "‖μ_g − μ_r‖² plus, per feature, σ_g² + σ_r² − 2σ_gσ_r, with σ the square root of the diagonal")


register(Exercise(
    id="07.3", kind="number", checker=_check_07_3, solution=_frechet_07_3(),
    worked="Mean term: ‖(1, 2) − (0, 0)‖² = 1 + 4 = 5. With diagonal covariances (Σ_g Σ_r)^½ is diagonal, "
           "with entries σ_g σ_r = √(4·1) = 2 and √(1·0.25) = 0.5, so the trace term is "
           "(4 + 1 − 2·2) + (1 + 0.25 − 2·0.5) = 1 + 0.25 = 1.25, i.e. Σ (σ_g − σ_r)². d² = 5 + 1.25 = 6.25.",
    hints=(("With diagonal covariances every matrix in the formula is diagonal: the square root is taken entry by "
           "entry, and the trace is a sum over the two features."),
           "Per feature, σ_g² + σ_r² − 2σ_gσ_r = (σ_g − σ_r)², with σ = √(the diagonal entry). Add ‖μ_g − μ_r‖²."),
    mistakes={"no square root": _frechet_07_3(square_root=False),
              "forgot the mean term": _frechet_07_3(mean_term=False),
              "forgot the factor 2": _frechet_07_3(factor=1.0),
              "variances as standard deviations": _frechet_07_3(variances_as_std=True),
              "d instead of d²": float(np.sqrt(_frechet_07_3()))},
))


# --------------------------------------------------------------------------- 07.4: coverage of a collapsed generator

CHOICES_07_4 = {"a": "coverage about 1, classes seen 1", "b": "coverage about 10, classes seen 1",
                "c": "coverage about 10, classes seen 10", "d": "coverage about 1, classes seen 10"}


def _check_07_4(answer):
    answer = str(answer).strip().lower().strip("()")
    if answer not in CHOICES_07_4:
        raise Wrong(f"answer one of \"a\", \"b\", \"c\", \"d\", got {answer!r}")
    if answer == "b":
        return ("p̄ is the judge's (nearly uniform) probabilities, so exp H(p̄) ≈ 10, yet every image has the same top "
                "class: coverage is fooled by an unsure judge, the hard histogram is not")
    if answer == "a":
        raise Wrong("coverage is not a count of top classes: it is exp H(p̄), built from the judge's probabilities, "
                    "and a judge that spreads 1/10 over every digit gives p̄ uniform, H(p̄) = log 10, coverage 10 "
                    "(section 3's last row)", "coverage counts top classes")
    if answer == "c":
        raise Wrong("'classes seen' counts each image once, under the judge's top class; one image repeated has "
                    "one top class, so one class is seen however unsure the judge is", "the histogram is soft too")
    raise Wrong("it is the other way round: coverage averages the probabilities (uniform here), while classes seen "
                "takes each image's single top class")


register(Exercise(
    id="07.4", kind="choice", checker=_check_07_4, solution="b",
    worked="Coverage is exp H(p̄) with p̄ = E_x p(y | x): all images are one image, so p̄ is that image's "
           "probabilities, nearly 1/10 each, and coverage ≈ exp(log 10) = 10. 'Classes seen' counts the digits "
           "that are some image's top class: one image, one top class. The untrained generator is close to this "
           "case: its blobs differ, but the judge is unsure of each (stored run, epoch 0: coverage 9.92, confidence "
           "0.130) and files nearly all of them under one digit (section 5's map).",
    hints=("Work out p̄ = E_x p(y | x) when every x is the same image: what is it, and what is its entropy?",
           ("p̄ is uniform, so exp H(p̄) = 10. 'Classes seen' uses each image's top class (argmax): how many "
           "different top classes can identical images have?")),
    mistakes={"coverage counts top classes": "a", "the histogram is soft too": "c"},
))


# --------------------------------------------------------------------------- 07.5: slerp


def solution_07_5(z0, z1, t):
    """Spherical interpolation from z0 (t = 0) to z1 (t = 1): one row per entry of t, shape (len(t), d)."""
    cos_omega = z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos_omega, -1.0, 1.0))
    t = np.asarray(t, dtype=float)[:, None]
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def _weights_07_5(z0, z1, t, omega, divide=True):
    t = np.asarray(t, dtype=float)[:, None]
    out = np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1
    return out / np.sin(omega) if divide else out


def _unnormalised_07_5(z0, z1, t):
    """The mistake: the angle from the raw dot product (NaN where |z0·z1| > 1)."""
    with np.errstate(invalid="ignore"):
        return _weights_07_5(z0, z1, t, np.arccos(z0 @ z1))


def _cases_07_5():
    """(z0, z1, t): short vectors first (z0·z1 within [−1, 1]), then Gaussian latent vectors like the notebook's."""
    rng = np.random.default_rng(75)
    fixed = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    for d, scale, t in ((3, 0.3, fixed), (100, 1.0, fixed), (10, 1.0, np.sort(rng.uniform(0, 1, 4))),
                        (100, 1.0, np.sort(rng.uniform(0, 1, 7)))):
        z0, z1 = scale * rng.standard_normal((2, d))
        yield z0, z1, t


def _check_07_5(slerp):
    for z0, z1, t in _cases_07_5():
        with np.errstate(invalid="ignore", divide="ignore"):
            got = np.asarray(slerp(z0.copy(), z1.copy(), t.copy()), dtype=float)
        want = solution_07_5(z0, z1, t)
        if got.shape != want.shape:
            if got.shape == want.shape[::-1]:
                raise Wrong(f"transposed: one row per t, so shape (len(t), d) = {want.shape}; yours is {got.shape}",
                            "transposed")
            raise Wrong(f"return one interpolated vector per entry of t, shape (len(t), d) = {want.shape}; yours has "
                        f"shape {got.shape}")
        if np.allclose(got, want):
            continue
        omega = np.arccos(np.clip(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)), -1, 1))
        if np.isnan(got).any() or np.allclose(got, _unnormalised_07_5(z0, z1, t), equal_nan=True):
            raise Wrong("the angle must come from the normalised vectors: cos Ω = z0·z1 / (|z0| |z1|). The raw z0·z1 "
                        "is not a cosine (for two latent vectors of length about 10 it is often far outside [−1, 1], "
                        "where arccos gives NaN)", "angle from unnormalised vectors")
        if np.allclose(got, (1 - t)[:, None] * z0 + t[:, None] * z1):
            raise Wrong("that is lerp, the straight line (1 − t) z0 + t z1, which cuts inside the sphere (section 6: "
                        "length 6.35 at t = 0.5 between ends of length 8.92 and 8.72); slerp weighs z0 and z1 by "
                        "sin((1 − t)Ω)/sin Ω and sin(tΩ)/sin Ω", "lerp")
        if np.allclose(got, _weights_07_5(z1, z0, t, omega)):
            raise Wrong("t runs backwards: at t = 0 the path must start at z0 (weight sin(Ω)/sin Ω = 1 on z0) and "
                        "reach z1 at t = 1; yours starts at z1", "t reversed")
        if np.allclose(got, _weights_07_5(z0, z1, t, omega, divide=False)):
            raise Wrong("both weights must be divided by sin Ω: without it the path starts at sin(Ω)·z0, not at z0",
                        "forgot the division by sin Ω")
        i = int(np.argmax(np.abs(got - want).max(axis=1)))
        ends = [j for j, tj in enumerate(t) if tj in (0.0, 1.0)]
        if ends and np.allclose(got[ends], want[ends]):
            advice = ("Your endpoints are right; in between, the weights are sin((1 − t)Ω)/sin Ω and sin(tΩ)/sin Ω, "
                      "with Ω in radians")
        else:
            advice = "Check the endpoints first: t = 0 must give z0, t = 1 must give z1"
        raise Wrong(f"with d = {z0.size} at t = {t[i]:.3f} (Ω = {np.degrees(omega):.1f}°) the path is at length "
                    f"{np.linalg.norm(want[i]):.4f}, first entries {np.round(want[i][:3], 4)}; yours gives length "
                    f"{np.linalg.norm(got[i]):.4f}, {np.round(got[i][:3], 4)}. {advice}")
    return "the great-circle path at 4 pairs (d = 3 to 100), endpoints included"


register(Exercise(
    id="07.5", kind="function", checker=_check_07_5, solution=solution_07_5,
    hints=(("Find the angle Ω between z0 and z1 first (from their dot product and their lengths), then apply "
           "section 6's formula to every t at once: make t a column, t[:, None], so each row is one point."),
           "Ω = arccos(z0·z1 / (|z0| |z1|)); z(t) = sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1, one row per t."),
    mistakes={"lerp": lambda z0, z1, t: (1 - t)[:, None] * z0 + t[:, None] * z1,
              "angle from unnormalised vectors": _unnormalised_07_5,
              "t reversed": lambda z0, z1, t: solution_07_5(z1, z0, t),
              "forgot the division by sin Ω": lambda z0, z1, t: _weights_07_5(
                  z0, z1, t, np.arccos(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1))), divide=False),
              "transposed": lambda z0, z1, t: solution_07_5(z0, z1, t).T},
))
