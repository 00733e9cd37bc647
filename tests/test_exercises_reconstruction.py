"""Notebook 08's exercises: the checks name the mistakes they see and guide on the ones they do not."""

import numpy as np
import pytest

from helpers.exercises import reconstruction
from helpers.exercises.core import EXERCISES, check


def test_08_1_names_the_per_pixel_mean_and_guides_a_missing_pair_of_factors():
    said = check("08.1", lambda x_hat, x: 2 * (x_hat - x) / x.size)
    assert said.mistake == "mean over pixels" and "SUMS over the pixels" in said.message
    assert "L1" in check("08.1", lambda x_hat, x: np.sign(x_hat - x) / x.size).message   # the article's reduce_mean
    # no factor at all: proportional to the gradient, so the check points at the constants
    guided = check("08.1", lambda x_hat, x: x_hat - x)
    assert guided.status == "not yet" and guided.mistake is None
    assert "1.5 times it everywhere" in guided.message and "B = 3" in guided.message
    # not proportional at all: the check shows one pixel's value
    squared = check("08.1", lambda x_hat, x: (x_hat - x) ** 2)
    assert squared.mistake is None and "the gradient is" in squared.message and "times it" not in squared.message


def test_08_2_accepts_the_letter_in_any_case_and_explains_why_the_mean_moves():
    assert check("08.2", ' "B" ').correct
    said = check("08.2", "a")
    assert said.mistake == "L2 averages it away" and "0.48" in said.message
    other = check("08.2", "L1")
    assert other.mistake is None and other.message.startswith("answer one of a, b, c, d")
    values = reconstruction.VALUES_08_2
    assert np.isclose(values.mean(), 0.48) and np.median(values) == 0.3


def test_08_3_names_the_missing_mask_and_guides_a_missing_division():
    said = check("08.3", lambda x_hat, x, m: ((x_hat - x) ** 2).mean(axis=(1, 2, 3)))
    assert said.mistake == "unmasked" and "stored 0s" in said.message
    guided = check("08.3", lambda x_hat, x, m: np.sum(m * (x_hat - x) ** 2, axis=(1, 2, 3)))
    assert guided.status == "not yet" and guided.mistake is None
    assert "known pixels of P = 25" in guided.message and "divide by its number of known pixels" in guided.message
    # the mask applied to x̂ only is right here (the hole of x holds 0), and so is a flattened version
    assert check("08.3", lambda x_hat, x, m: np.sum((m * x_hat - x) ** 2, axis=(1, 2, 3))
                 / np.sum(m, axis=(1, 2, 3))).correct
    assert check("08.3", lambda x_hat, x, m: ((m * (x_hat - x) ** 2).reshape(len(x), -1).sum(1)
                                              / m.reshape(len(x), -1).sum(1))).correct
    shape = check("08.3", lambda x_hat, x, m: reconstruction.solution_08_3(x_hat, x, m)[:, None])
    assert shape.mistake is None and "shape (3,)" in shape.message


def test_08_4_names_sigma_for_the_variance_and_guides_a_forgotten_one():
    said = check("08.4", lambda mu, lv: -0.5 * np.sum(1 + lv - mu ** 2 - np.exp(0.5 * lv), axis=-1))
    assert said.mistake == "σ for σ²" and "variance" in said.message
    forgot_one = check("08.4", lambda mu, lv: -0.5 * np.sum(lv - mu ** 2 - np.exp(lv), axis=-1))
    assert forgot_one.status == "not yet" and forgot_one.mistake is None
    assert "the KL is" in forgot_one.message and "yours gives 1.5" in forgot_one.message   # ½ per dimension, k = 3


@pytest.mark.parametrize("exercise, cases", [("08.3", reconstruction._masked_cases),
                                             ("08.4", reconstruction._kl_cases)])
def test_every_case_tells_each_mistake_apart(exercise, cases):
    ex = EXERCISES[exercise]
    for args in cases():
        answers = [np.ravel(ex.solution(*args))] + [np.ravel(f(*args)) for f in ex.mistakes.values()]
        for i in range(len(answers)):
            for j in range(i):
                same = answers[i].shape == answers[j].shape and np.allclose(answers[i], answers[j])
                assert not same, (exercise, i, j)


def test_08_5_an_explanation_without_the_repair_is_told_so():
    said = check("08.5", "It compares the output with the encoded code, so the two networks just copy each other "
                         "and the loss falls while the pictures stay dark noise.")
    assert said.status == "written" and "compare the reconstruction with the image" in said.message
    assert "agreeing with each other" not in said.message
