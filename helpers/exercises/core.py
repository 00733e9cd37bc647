"""The exercises' convention: an id, a check that names typical mistakes, graded hints, a solution on request.

:func:`check` looks the exercise up, runs its checker on the learner's answer and returns a
:class:`Feedback` (shown as one line in a notebook): ``"not attempted yet"`` for a blank answer
(``...`` or ``None``), ``"correct"`` with what was checked, or ``"not yet"`` with the most specific
hint the checker has (each exercise knows its typical mistakes: a sign flipped, a factor 2, the wrong
eigenvalue...). :func:`hint` gives the exercise's hints one level at a time; :func:`solution` shows
the model solution. Checks run no training: each is a few NumPy evaluations, well under a second.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

#: the notebook modules that register exercises, imported on first use
MODULES = ("gradient_descent", "gradient_ascent", "subgradients", "optimizers", "mnist_gan", "gan_dynamics", "dcgan",
           "reconstruction", "inversion", "langevin")


@dataclass(frozen=True)
class Feedback:
    """What a check says: ``status`` is "not attempted", "correct", "not yet" or (an explanation, which only a
    reader can judge) "written"; ``message`` says why."""

    exercise: str
    status: str
    message: str
    #: the name of the typical mistake the check recognised (a key of the exercise's ``mistakes``), if any
    mistake: str | None = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def __str__(self) -> str:
        mark = {"correct": "✔", "not yet": "✘", "not attempted": "…", "written": "✎"}[self.status]
        return f"{mark} {self.exercise}: {self.message}"

    def _repr_html_(self) -> str:
        colour = {"correct": "#1a7f37", "not yet": "#b00", "not attempted": "#666", "written": "#0550ae"}[self.status]
        return f"<span style='color:{colour}'>{self!s}</span>"

    def __repr__(self) -> str:
        return str(self)


class Wrong(Exception):
    """Raised by a checker: the answer is wrong, and the message says how (the most specific hint it has).

    ``mistake`` names the typical mistake recognised (a key of the exercise's ``mistakes``); a guiding answer
    to an unrecognised wrong answer has none.
    """

    def __init__(self, message: str, mistake: str | None = None):
        super().__init__(message)
        self.mistake = mistake


@dataclass
class Exercise:
    """One exercise: ``checker(answer)`` returns what it verified or raises :class:`Wrong`; ``solution`` is
    the model answer (a value or a function) and ``mistakes`` maps each typical mistake's name to a wrong
    answer the checker must recognise (the tests inject each one).

    An ``"explain"`` exercise is answered in words: ``solution`` is the model answer, ``checker`` is None and
    ``key_points`` lists what a full answer says, each as ``(point, words)``: the check names the points whose
    words (any of them, case-insensitive) the learner's text does not contain yet, then points to the model
    answer. Only a reader can judge an explanation, so it is never marked correct.
    """

    id: str
    kind: str
    checker: Callable
    solution: object
    hints: tuple[str, ...]
    mistakes: dict = field(default_factory=dict)
    #: how the solution is found (shown by :func:`solution` before a value)
    worked: str = ""
    #: an explanation's key points: ``(point, (word, ...))``
    key_points: tuple = ()

    @property
    def automatic(self) -> bool:
        """Checked by the package (a number, a function, a choice), not by a reader (an explanation)."""
        return self.kind != "explain"


EXERCISES: dict[str, Exercise] = {}
_KINDS = ("number", "function", "choice", "explain")


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` (a notebook module calls it at import); an id is registered once."""
    if exercise.id in EXERCISES:
        raise ValueError(f"exercise {exercise.id!r} is registered twice")
    if exercise.kind not in _KINDS:
        raise ValueError(f"exercise kind must be one of {', '.join(_KINDS)}, got {exercise.kind!r}")
    if len(exercise.hints) < 2:
        raise ValueError(f"exercise {exercise.id!r} needs at least two graded hints")
    if exercise.automatic and len(exercise.mistakes) < 2:
        raise ValueError(f"exercise {exercise.id!r} needs at least two typical mistakes it recognises")
    if not exercise.automatic and not (isinstance(exercise.solution, str) and exercise.key_points):
        raise ValueError(f"explanation {exercise.id!r} needs a model answer (a string) and key points")
    EXERCISES[exercise.id] = exercise
    return exercise


def _load() -> None:
    for name in MODULES:
        importlib.import_module(f"helpers.exercises.{name}")


def get(exercise: str) -> Exercise:
    """The registered exercise ``exercise``; a KeyError lists the ids there are."""
    _load()
    if exercise not in EXERCISES:
        raise KeyError(f"no exercise {exercise!r}; the exercises are {', '.join(sorted(EXERCISES))}")
    return EXERCISES[exercise]


def _blank_function(): ...


def is_blank(answer) -> bool:
    """``...``, ``None``, empty text, or a function whose body does nothing yet (``...``, ``pass``)."""
    if answer is ... or answer is None or (isinstance(answer, str) and not answer.strip()):
        return True
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_code == _blank_function.__code__.co_code and not code.co_names


def _explained(ex: Exercise, text) -> Feedback:
    if not isinstance(text, str):
        return Feedback(ex.id, "not yet", f"write the explanation as text (a string), got {type(text).__name__}")
    lowered = text.lower()
    missing = [point for point, words in ex.key_points if not any(w.lower() in lowered for w in words)]
    if missing:
        said = f"points a full answer makes that yours does not mention yet: {'; '.join(missing)}"
    else:
        said = "it mentions each of the key points"
    return Feedback(ex.id, "written", f"written down; {said}. Compare it with the model answer: "
                                      f"solution({ex.id!r})")


def check(exercise: str, answer) -> Feedback:
    """Check ``answer`` to ``exercise``; a blank answer (``...``, ``None``, a function whose body is ``...``)
    is "not attempted yet"."""
    ex = get(exercise)
    if is_blank(answer):
        return Feedback(exercise, "not attempted", "not attempted yet: fill in the cell above, then run this one")
    if not ex.automatic:
        return _explained(ex, answer)
    if ex.kind == "function" and not callable(answer):
        return Feedback(exercise, "not yet", f"expected a function, got {type(answer).__name__}")
    try:
        verified = ex.checker(answer)
    except Wrong as why:
        return Feedback(exercise, "not yet", str(why), mistake=why.mistake)
    except Exception as exc:  # the learner's function raised: say where, not a traceback
        return Feedback(exercise, "not yet", f"your answer raised {type(exc).__name__}: {exc}")
    return Feedback(exercise, "correct", f"correct: {verified}")


class Text(str):
    """A hint or a solution: shown as its lines in a notebook, not as a quoted string with ``\\n``."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


_hints_shown: dict[str, int] = {}


def hint(exercise: str) -> Text:
    """The next hint of ``exercise`` (each call one level more specific, then the last one again)."""
    ex = get(exercise)
    level = min(_hints_shown.get(exercise, 0), len(ex.hints) - 1)
    _hints_shown[exercise] = level + 1
    return Text(f"hint {level + 1}/{len(ex.hints)} for {exercise}: {ex.hints[level]}")


def solution(exercise: str) -> Text:
    """The model solution of ``exercise``: a function's source, or the value with how it is found."""
    ex = get(exercise)
    if callable(ex.solution):
        return Text(inspect.getsource(ex.solution))
    if not ex.automatic:
        return Text(f"model answer:\n{ex.solution}")
    return Text(f"{ex.worked}\nanswer: {ex.solution!r}" if ex.worked else repr(ex.solution))


def close(answer, expected: float, rel: float = 1e-6) -> bool:
    """``answer`` is a real number within ``rel`` (relative) of ``expected``."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return abs(value - expected) <= rel * max(1.0, abs(expected))
