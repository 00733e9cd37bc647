"""Notebook 03's exercises: wrong answers outside the listed mistakes get a guiding message; named ones say why."""

import numpy as np

from helpers.exercises import core
from helpers.exercises.core import check, solution

core._load()


def test_there_are_five_exercises_four_checked_automatically():
    ids = sorted(i for i in core.EXERCISES if i.startswith("03."))
    assert ids == ["03.1", "03.2", "03.3", "03.4", "03.5"]
    kinds = [core.EXERCISES[i].kind for i in ids]
    assert kinds == ["function", "number", "choice", "function", "explain"]


def test_03_1_accepts_any_value_in_the_subdifferential_at_the_kink():
    assert check("03.1", lambda x: np.where(x >= 0, 1.0, -1.0)).correct          # +1 at 0 is in [-1, 1]
    assert check("03.1", lambda x: np.where(x == 0, -0.5, np.sign(x))).correct


def test_03_1_names_the_kink_and_the_sign():
    nan_at_zero = check("03.1", lambda x: x / np.abs(x))
    assert nan_at_zero.mistake == "x/|x|" and "0/0 = nan" in nan_at_zero.message
    assert "[−1, 1]" in nan_at_zero.message
    assert "sign is flipped" in check("03.1", lambda x: -np.sign(x)).message


def test_03_1_guides_a_value_outside_the_interval_and_a_wrong_slope():
    outside = check("03.1", lambda x: np.where(x == 0, 2.0, np.sign(x)))
    assert outside.mistake is None and "outside ∂|x|(0) = [−1, 1]" in outside.message
    assert "does not support the graph" in outside.message
    halved = check("03.1", lambda x: 0.5 * np.sign(x))
    assert halved.mistake is None and "±1 wherever x_i ≠ 0" in halved.message and "yours gives" in halved.message
    column = check("03.1", lambda x: np.sign(x)[:, None])
    assert column.mistake is None and "shape" in column.message


def test_03_2_names_the_root_off_its_piece_and_guides_other_values():
    assert "not below 1" in check("03.2", 2.0).message
    guided = check("03.2", 0.5)
    assert guided.mistake is None and "only subgradient is -1.5" in guided.message.replace("−", "-")
    assert "falls to the right" in guided.message and "kink x = 1" in guided.message
    above = check("03.2", 3.0)
    assert above.mistake is None and "minimum is to the left" in above.message
    assert "answer a number" in check("03.2", "one").message


def test_03_3_explains_why_the_constant_step_stalls_and_rejects_other_words():
    assert "2-cycle" in check("03.3", "both").message
    assert check("03.3", " SQRT ").correct
    other = check("03.3", "diminishing")
    assert other.mistake is None and other.message.startswith("answer one of constant, sqrt, both, neither")


def test_03_4_names_hard_thresholding_and_the_threshold_and_guides_a_swapped_step():
    hard = check("03.4", lambda w, g, eta, lam: (w - eta * g) * (np.abs(w - eta * g) > eta * lam))
    assert hard.mistake == "hard threshold" and "shrinks every entry" in hard.message
    assert "ηλ = 0.2, not λ = 0.4" in check("03.4", core.EXERCISES["03.4"].mistakes["threshold λ"]).message
    swapped = check("03.4", lambda w, g, eta, lam: np.sign(w) * np.maximum(np.abs(w) - eta * lam, 0) - eta * g)
    assert swapped.mistake is None and "swapped" in swapped.message
    half = check("03.4", lambda w, g, eta, lam: np.sign(w - eta * g) * np.maximum(np.abs(w - eta * g) - lam / 2, 0))
    assert half.mistake is None and "the step lands at" in half.message and "yours gives" in half.message


def test_03_4_does_not_depend_on_the_learner_leaving_the_inputs_alone():
    def in_place(w, g, eta, lam):
        w -= eta * g
        return np.sign(w) * np.maximum(np.abs(w) - eta * lam, 0.0)

    assert check("03.4", in_place).correct


def test_03_5_lists_the_missing_points_and_the_solutions_show():
    partial = check("03.5", "No: where f is differentiable the subgradient is the gradient. Mini-batches save work.")
    assert partial.status == "written" and "unbiased" in partial.message and "floor" in partial.message
    assert "mini-batch" not in partial.message.split("yours does not mention yet:")[1]
    assert "return np.sign(x)" in solution("03.1")
    assert solution("03.2").endswith("answer: 1.0") and "[−1, 3]" in solution("03.2")
