"""Notebook 05's exercises: named mistakes say what went wrong, unlisted wrong answers get a guiding message."""

import numpy as np
import pytest

from helpers.exercises import core
from helpers.exercises.core import check
from helpers.exercises.mnist_gan import solution_05_1

core._load()


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def test_05_1_the_loss_is_minus_v_and_matches_the_textbook_formula_on_moderate_logits():
    real, fake = np.array([[2.0], [-1.0], [0.0]]), np.array([[0.5], [-3.0]])
    direct = -np.mean(np.log(_sigmoid(real))) - np.mean(np.log(1 - _sigmoid(fake)))
    assert np.isclose(solution_05_1(real, fake), direct)
    # at equilibrium (D = ½ everywhere) the discriminator's loss is log 4, §2
    assert np.isclose(solution_05_1(np.zeros((4, 1)), np.zeros((6, 1))), np.log(4))
    assert np.isfinite(solution_05_1(np.array([[-800.0]]), np.array([[800.0]])))


def test_05_1_named_mistakes_say_what_was_done():
    assert "labels are swapped" in check("05.1", lambda r, f: np.mean(np.logaddexp(0, r))
                                         + np.mean(np.logaddexp(0, -f))).message
    missing_sigmoid = check("05.1", lambda r, f: -np.mean(np.log(r)) - np.mean(np.log(1 - f)))
    assert missing_sigmoid.mistake == "probabilities as logits" and "sigmoid is missing" in missing_sigmoid.message
    naive = check("05.1", lambda r, f: -np.mean(np.log(_sigmoid(r))) - np.mean(np.log(1 - _sigmoid(f))))
    assert naive.mistake == "unstable" and "σ(40) rounds to 1" in naive.message


def test_05_1_unlisted_wrong_answers_get_a_guiding_message():
    # Keras' habit with probabilities: clip σ(d) to [1e-7, 1 − 1e-7], right until the logits saturate
    def clipped(r, f):
        return (-np.mean(np.log(np.clip(_sigmoid(r), 1e-7, 1 - 1e-7)))
                - np.mean(np.log(np.clip(1 - _sigmoid(f), 1e-7, 1 - 1e-7))))

    said = check("05.1", clipped)
    assert said.status == "not yet" and said.mistake is None
    assert "clipping σ(d)" in said.message and "np.logaddexp" in said.message
    # a label-smoothed loss (real → 0.9) is not the notebook's; the message shows the right value on a case
    smoothed = check("05.1", lambda r, f: np.mean(0.9 * np.logaddexp(0, -r) + 0.1 * np.logaddexp(0, r))
                     + np.mean(np.logaddexp(0, f)))
    assert smoothed.mistake is None and "L_D = 1.4098; yours gives" in smoothed.message
    assert "shape (3,)" in check("05.1", lambda r, f: np.zeros(3)).message


def test_05_2_the_gradient_and_its_mistakes():
    assert check("05.2", -(1 - _sigmoid(-4.0))).correct and check("05.2", -0.982).correct
    assert "saturating loss" in check("05.2", -_sigmoid(-4.0)).message
    assert "sign is flipped" in check("05.2", 0.982).message
    assert "limit as d → −∞" in check("05.2", -1).message          # unlisted: the large-|d| limit
    assert "three significant digits" in check("05.2", -0.95).message   # unlisted: close, not close enough
    assert check("05.2", 0.5).mistake is None and "1 − σ(d)" in check("05.2", 0.5).message
    assert check("05.2", "minus one").message.startswith("answer a number")


def test_05_3_the_best_discriminator_and_its_mistakes():
    want = 1 / (1 + np.exp(1.5))
    assert check("05.3", want).correct and np.isclose(core.get("05.3").solution, want, rtol=1e-5)
    assert "probability that x is FAKE" in check("05.3", 1 - want).message
    assert "logit" in check("05.3", -1.5).message
    unlisted = check("05.3", 0.6225)          # D*(0) at μ_g = 1, the value §2's table prints: the wrong point
    assert unlisted.mistake is None and "at x = 2" in unlisted.message


@pytest.mark.parametrize("answer, words", [("grows", "undamped game"), ("shrinks", "not the whole story")])
def test_05_4_each_wrong_prediction_is_answered_with_the_two_terms(answer, words):
    said = check("05.4", answer)
    assert said.mistake == answer and words in said.message and "η²λ² = 0.01" in said.message


def test_05_4_the_answer_agrees_with_the_eigenvalues_and_unknown_words_are_refused():
    J = np.array([[0.0, -1.0], [1.0, -0.1]])
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(np.eye(2) + 0.1 * J))), 1.0)
    assert check("05.4", " Stays ").correct
    assert check("05.4", "spirals").message.startswith("answer one of shrinks, stays, grows")


def test_05_5_a_partial_explanation_is_told_what_it_leaves_out():
    said = check("05.5", "The generator never changes: only the discriminator is trained by this call.")
    assert said.status == "written"
    assert "784" in said.message and "D(G(z))" in said.message and "appears nowhere" not in said.message
