"""Exercises that answer back (layer ``exercises``, beside ``widgets``: may import everything below them).

:mod:`~helpers.exercises.core` holds the convention: every exercise has an id (``"01.2"``: notebook,
number), a check that runs the learner's value or function on several cases and names the typical
mistake it recognises, graded hints and a model solution shown only on request. One module per
notebook registers that notebook's exercises (``gradient_descent`` for 01, ...). In a notebook::

    from helpers.exercises import check, hint, solution
    check("01.2", my_gradient)
"""

from helpers._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {"core": ("check", "hint", "solution", "Feedback")})
