"""helpers.exercises: every solution passes its check, every listed mistake is recognised, blanks are calm."""

import re
import time

import numpy as np
import pytest

from helpers import exercises  # noqa: F401  (the package's docstring is the convention)
from helpers.exercises import core
from helpers.exercises.core import check, hint, solution

core._load()
IDS = sorted(core.EXERCISES)
MISTAKES = [(i, name) for i in IDS for name in core.EXERCISES[i].mistakes]


def test_notebook_01_has_its_exercises_and_each_checked_one_knows_two_mistakes_or_more():
    assert {"01.1", "01.2", "01.3", "01.4", "01.5"} <= set(IDS)
    for i in IDS:
        assert len(core.EXERCISES[i].mistakes) >= 2 or not core.EXERCISES[i].automatic, i


@pytest.mark.parametrize("exercise", IDS)
def test_the_solution_passes_its_check_quickly(exercise):
    start = time.perf_counter()
    feedback = check(exercise, core.EXERCISES[exercise].solution)
    if core.EXERCISES[exercise].automatic:
        assert feedback.correct, feedback
    else:  # an explanation is never "correct"; the model answer makes every key point
        assert feedback.status == "written" and "mentions each of the key points" in feedback.message, feedback
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("exercise, mistake", MISTAKES)
def test_each_typical_mistake_is_recognised_with_its_own_hint(exercise, mistake):
    ex = core.EXERCISES[exercise]
    feedback = check(exercise, ex.mistakes[mistake])
    assert feedback.status == "not yet", feedback
    assert feedback.mistake == mistake, f"{mistake}: recognised as {feedback.mistake}: {feedback}"
    others = {name: check(exercise, wrong).message for name, wrong in ex.mistakes.items() if name != mistake}
    same = [name for name, message in others.items() if message == feedback.message]
    assert not same, f"{mistake} gets the same answer as {same}: {feedback.message}"


def test_the_hints_name_the_mistake_they_see():
    assert "sign is flipped" in check("01.2", lambda A, b, x: b - A @ x).message
    assert "factor 2" in check("01.2", lambda A, b, x: 2 * A @ x - b).message
    assert "climbs" in check("01.3", lambda x, g, lr: x + lr * g).message
    assert "largest one, L, fails first" in check("01.1", 2.0).message


@pytest.mark.parametrize("blank", [..., None])
def test_a_blank_answer_is_not_attempted_yet(blank):
    feedback = check("01.2", blank)
    assert feedback.status == "not attempted" and "not attempted yet" in str(feedback)


def test_an_answer_that_raises_is_reported_not_thrown():
    feedback = check("01.2", lambda A, b, x: np.linalg.solve(A, b[:2]))
    assert feedback.status == "not yet" and feedback.message.startswith("your answer raised")
    assert check("01.2", 3.0).message == "expected a function, got float"


def test_a_wrong_value_gets_a_specific_or_a_guiding_answer():
    assert "|1 − ηλ| < 1" in check("01.1", 0.7).message
    assert check("01.4", "sideways").message.startswith("answer one of monotone, oscillating")


def test_hints_are_graded_and_the_solution_is_shown_on_request():
    core._hints_shown.pop("01.3", None)
    first, second, again = hint("01.3"), hint("01.3"), hint("01.3")
    assert first.startswith("hint 1/2 for 01.3") and second.startswith("hint 2/2") and again == second
    assert "return x - lr * g" in solution("01.3")
    assert solution("01.1").endswith("answer: 0.2")


def test_an_unknown_exercise_lists_the_known_ones():
    with pytest.raises(KeyError, match=re.escape("no exercise '99.9'; the exercises are 01.1, 01.2")):
        check("99.9", 1.0)


def test_registering_needs_a_new_id_a_known_kind_and_two_hints():
    ex = core.EXERCISES["01.1"]
    with pytest.raises(ValueError, match="registered twice"):
        core.register(ex)
    with pytest.raises(ValueError, match="kind must be one of number, function, choice, explain"):
        core.register(core.Exercise("x.1", "essay", ex.checker, 1, ("a", "b")))
    with pytest.raises(ValueError, match="at least two graded hints"):
        core.register(core.Exercise("x.2", "number", ex.checker, 1, ("a",)))


def test_feedback_shows_as_one_marked_line():
    ok = check("01.4", "oscillating")
    assert str(ok).startswith("✔ 01.4: correct") and "color:#1a7f37" in ok._repr_html_()


def test_a_function_whose_body_is_still_blank_is_not_attempted():
    def blank(A, b, x):
        ...  # return the gradient at x

    def passes(A, b, x):
        pass

    def started(A, b, x):
        return A @ x

    assert check("01.2", blank).status == "not attempted"
    assert check("01.2", passes).status == "not attempted"
    assert check("01.2", started).mistake == "forgot b"
    assert check("01.5", "   ").status == "not attempted"


def test_an_explanation_is_never_marked_correct_and_names_the_points_it_misses():
    partial = check("01.5", "A subgradient is defined by an inequality; at a kink there are many.")
    assert partial.status == "written" and not partial.correct
    assert "the update uses the exact gradient" in partial.message
    assert "supporting line" not in partial.message  # "inequality" made that point
    assert partial.message.endswith("solution('01.5')") and str(partial).startswith("✎ 01.5")
    assert check("01.5", 42).message.startswith("write the explanation as text")
    assert solution("01.5").startswith("model answer:\nA subgradient of a convex f")


def test_hints_and_solutions_show_as_their_lines():
    shown = solution("01.2")
    assert repr(shown) == str(shown) and "\n" in repr(shown) and "\\n" not in repr(shown)


def test_registering_an_automatic_exercise_needs_two_mistakes_and_an_explanation_key_points():
    ex = core.EXERCISES["01.1"]
    with pytest.raises(ValueError, match="at least two typical mistakes"):
        core.register(core.Exercise("x.3", "number", ex.checker, 1, ("a", "b"), mistakes={"one": 2}))
    with pytest.raises(ValueError, match="needs a model answer"):
        core.register(core.Exercise("x.4", "explain", None, "text", ("a", "b")))
    assert "x.3" not in core.EXERCISES and "x.4" not in core.EXERCISES
