"""Notebook 09's exercises: the checks name the mistakes they see and guide on the ones they do not."""

import numpy as np

from helpers.exercises import inversion
from helpers.exercises.core import EXERCISES, check


def test_09_1_names_the_transpose_and_guides_an_unlisted_factor():
    said = check("09.1", lambda W, b, z, x: 2 / len(x) * W @ (W @ z + b - x))
    assert said.mistake == "W instead of Wᵀ" and "transpose" in said.message
    assert "1/P" in check("09.1", lambda W, b, z, x: 2 * W.T @ (W @ z + b - x)).message
    # dividing by d (the latent size) instead of P passes on the square decoder, then fails on a 6 x 3 one
    guided = check("09.1", lambda W, b, z, x: 2 / len(z) * W.T @ (W @ z + b - x))
    assert guided.status == "not yet" and guided.mistake is None
    assert "P = 6 pixels" in guided.message and "the gradient is" in guided.message


def test_09_2_hidden_pixel_and_an_unlisted_slip():
    said = check("09.2", -2 / 3)        # all four pixels summed, divided by the 3 known ones
    assert said.mistake == "forgot the mask" and "hidden pixel 3" in said.message
    assert "KNOWN pixels" in check("09.2", -1.5).message
    guided = check("09.2", -0.75)       # forgot the 2 AND divided by P
    assert guided.status == "not yet" and guided.mistake is None and "zero it on the hidden pixel" in guided.message
    assert check("09.2", -2).correct and check("09.2", np.float32(-2.0)).correct


def test_09_3_accepts_the_letter_in_any_case_and_rejects_other_words():
    assert check("09.3", " B ").correct
    assert "does not stall" in check("09.3", "c").message
    other = check("09.3", "noise")
    assert other.mistake is None and other.message.startswith("answer one of a, b, c, d")


def test_09_4_names_the_projection_it_misses_and_points_at_a_pixel_otherwise():
    def range_only(x, x0, g, eps, eta):
        return np.clip(x + eta * np.sign(g), 0, 1)

    def box_around_x(x, x0, g, eps, eta):   # the box around the current iterate: never binds with eta < eps
        return np.clip(np.clip(x + eta * np.sign(g), x - eps, x + eps), 0, 1)

    assert "CLEAN image" in check("09.4", range_only).message
    assert check("09.4", box_around_x).mistake == "forgot the box"
    box_only = check("09.4", lambda x, x0, g, eps, eta: np.clip(x + eta * np.sign(g), x0 - eps, x0 + eps))
    assert box_only.mistake == "forgot [0, 1]" and "below 0" in box_only.message

    def from_the_clean_image(x, x0, g, eps, eta):   # each step restarts from x0: FGSM with step eta, not PGD
        return np.clip(np.clip(x0 + eta * np.sign(g), x0 - eps, x0 + eps), 0, 1)

    guided = check("09.4", from_the_clean_image)
    assert guided.mistake is None and "should land at" in guided.message and "x₀ =" in guided.message
    flat = check("09.4", lambda x, x0, g, eps, eta: inversion.solution_09_4(x, x0, g, eps, eta).ravel())
    assert "shape" in flat.message


def test_09_4_every_case_tells_each_mistake_apart():
    ex = EXERCISES["09.4"]
    for x, x0, g, eps, eta in inversion._pgd_cases():
        answers = [inversion.solution_09_4(x, x0, g, eps, eta)] + [f(x, x0, g, eps, eta) for f in ex.mistakes.values()]
        for i in range(len(answers)):
            for j in range(i):
                assert not np.allclose(answers[i], answers[j]), (eps, i, j)


def test_09_5_an_explanation_without_the_encoder_is_told_so():
    said = check("09.5", "f is not convex, so where descent ends depends on the start; neither direction avoids it.")
    assert said.status == "written" and "encoder" in said.message and "convex" not in said.message.split(":")[1]
