"""Notebook 04's exercises: the named mistakes say what went wrong, other wrong answers get a guiding message."""

import math

import numpy as np

from helpers.exercises.core import check, solution


def test_04_1_momentum_step_names_the_sign_and_guides_an_averaged_velocity():
    assert "wrong sign" in check("04.1", lambda x, v, g, lr, b: (x + b * v + lr * g, b * v + lr * g)).message
    assert "Nesterov row" in check("04.1", lambda x, v, g, lr, b: (x + b * (b * v - lr * g) - lr * g,
                                                                   b * v - lr * g)).message
    # an exponential average of the gradient, v = βv − (1 − β)ηg, is not section 2's rule
    damped = check("04.1", lambda x, v, g, lr, b: (x + b * v - (1 - b) * lr * g, b * v - (1 - b) * lr * g))
    assert damped.mistake is None and "section 2's rule gives x_next" in damped.message
    assert check("04.1", lambda x, v, g, lr, b: x + b * v - lr * g).message.startswith("return the 2 arrays")


def test_04_2_adam_step_accepts_keras_own_form_and_names_the_missing_correction():
    def keras_form(x, m, v, g, t, lr, b1, b2, eps):  # Keras' algebra: m += (g − m)(1 − β₁), x -= ... in place
        alpha = lr * math.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        x -= alpha * m / (np.sqrt(v) + eps)
        return x, m, v

    assert check("04.2", keras_form).correct
    assert "bias correction is missing" in check(
        "04.2", lambda x, m, v, g, t, lr, b1, b2, eps: (
            x - lr * (b1 * m + (1 - b1) * g) / (np.sqrt(b2 * v + (1 - b2) * g**2) + eps),
            b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2)).message

    def m_corrected_only(x, m, v, g, t, lr, b1, b2, eps):  # corrects m, forgets v's correction
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        return x - lr * m / (1 - b1 ** (t + 1)) / (np.sqrt(v) + eps), m, v

    partial = check("04.2", m_corrected_only)
    assert partial.mistake is None and "section 2 moves x by" in partial.message
    assert "√(1 − β₂^{t+1})" in partial.message


def test_04_3_race_names_the_natural_guess_and_rejects_an_optimizer_not_in_the_race():
    assert check("04.3", "sgd").mistake == "gradient descent"   # an alias, recognised as the same answer
    assert "0.96 every step" in check("04.3", "Gradient Descent").message
    assert check("04.3", " rmsprop ").correct
    other = check("04.3", "Adagrad")
    assert other.mistake is None and other.message.startswith("answer one of 'gradient descent'")


def test_04_4_beta_star_names_the_rate_and_guides_section_3s_kappa():
    assert "is its square" in check("04.4", 9 / 11).message
    assert check("04.4", 0.669).correct and not check("04.4", 0.66).correct
    fifty = check("04.4", ((math.sqrt(50) - 1) / (math.sqrt(50) + 1)) ** 2)
    assert fifty.mistake is None and "κ = 50" in fifty.message


def test_04_5_half_life_names_the_linear_decay_and_guides_a_count_of_steps():
    assert "linear decay" in check("04.5", 50).message
    assert "counts the epochs from 1" in check("04.5", 70).message
    steps = check("04.5", 690)   # 69 epochs at section 7's 10 steps per epoch
    assert steps.mistake is None and "count of steps" in steps.message
    assert check("04.5", 69.0).correct and solution("04.5").endswith("answer: 69")
    assert 0.99**68 > 0.5 >= 0.99**69
