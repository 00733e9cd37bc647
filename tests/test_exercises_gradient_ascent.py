"""Notebook 02's exercises: answers they do not list still get a guiding message; named mistakes say the right thing."""

import numpy as np

from helpers.exercises import check, solution
from helpers.exercises.gradient_ascent import solution_02_2
from helpers.maths.objectives import LogisticLikelihood


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_02_1_one_ascent_step_from_the_right_of_the_top():
    assert check("02.1", 3.5 + 0.1 * (-2) * (3.5 - 2)).correct
    assert "descent" in check("02.1", 3.8).message and "makes J larger, not θ" in check("02.1", 3.8).message
    assert "learning rate is missing" in check("02.1", 0.5).message
    # not a listed mistake: the top itself, and an unrelated number, get a guiding message without a name
    top = check("02.1", 2.0)
    assert top.mistake is None and "one step" in top.message and "1 − 2η" in top.message
    other = check("02.1", 2.9)
    assert other.mistake is None and "J′(θ) = −2(θ − 2) at θ₀ = 3.5" in other.message
    assert solution("02.1").endswith("answer: 3.2")


def test_02_2_the_model_solution_is_the_package_gradient_and_mistakes_are_named():
    rng = np.random.default_rng(5)
    X = np.hstack([rng.normal(size=(9, 3)), np.ones((9, 1))])
    y = (rng.random(9) > 0.5).astype(float)
    w = rng.normal(size=4)
    np.testing.assert_allclose(solution_02_2(w, X, y, 0.3), LogisticLikelihood(X, y, l2=0.3).grad(w), rtol=1e-12)

    cross_entropy = check("02.2", lambda w, X, y, l2: (sigmoid(X @ w) - y) @ X / len(y) + l2 * w)
    assert cross_entropy.mistake == "sign flipped" and "cross-entropy" in cross_entropy.message
    assert "mean log-likelihood" in check("02.2", lambda w, X, y, l2: (y - sigmoid(X @ w)) @ X - l2 * w).message
    # not listed: σ(−wᵀx) instead of σ(wᵀx) gets the case where it differs, numbers included
    flipped_sigmoid = check("02.2", lambda w, X, y, l2: (y - sigmoid(-(X @ w))) @ X / len(y) - l2 * w)
    assert flipped_sigmoid.mistake is None and "∇J(w) is" in flipped_sigmoid.message
    assert "yours gives" in flipped_sigmoid.message and "n = 12, d = 3, λ = 0.1" in flipped_sigmoid.message
    # a row per example, summed the wrong way: the shape is named
    assert check("02.2", lambda w, X, y, l2: (y - sigmoid(X @ w))[:, None] * X).mistake == "wrong shape"


def test_02_3_the_equilibrium_is_a_saddle():
    assert check("02.3", " Saddle point ").correct
    assert "every eigenvalue of the Hessian negative" in check("02.3", "maximum").message
    assert "x minimises over x alone" in check("02.3", "minimum").message
    # not listed: a zero diagonal read as "flat"
    flat = check("02.3", "flat")
    assert flat.mistake is None and flat.message.startswith("answer one of maximum, minimum, saddle")


def test_02_4_the_simultaneous_spiral_grows_by_the_square_root_of_1_plus_eta_squared():
    assert check("02.4", 1.0308).correct                      # four decimals are enough
    assert "squared distance" in check("02.4", 1.0625).message
    assert "alternating" in check("02.4", 1.0).message
    rounded = check("02.4", 1.03)                             # not listed: too rounded
    assert rounded.mistake is None and "not to 4 decimals" in rounded.message
    far = check("02.4", 1.5)                                  # not listed: a guess
    assert far.mistake is None and "x_t+1 = x_t − ηy_t" in far.message


def test_02_5_names_the_points_a_partial_explanation_misses():
    partial = check("02.5", "At the top of a hill the gradient is zero, so ascent stops there.")
    assert partial.status == "written"
    assert "descent on −J" in partial.message and "remedies" in partial.message
    assert "the gradient vanishes" not in partial.message
    assert "次梯度优化 §6" in solution("02.5")
