"""Argument checks, in one place: each returns the value (as ``int`` or ``float``) or raises ``ValueError``.

Every error names the argument, says what is accepted and shows the value it got
(``"steps must be an integer >= 1, got 0"``). ``bool`` is never taken for a number (``True`` is not
a step count), NumPy scalars (``np.int64``, ``np.float32``) are. The bottom layer: imports nothing of
``helpers``.

Integers: :func:`positive_int`, :func:`non_negative_int`, :func:`count` (``>= m`` / ``in [m, M]``),
:func:`integer_from` (``from a to b``: the wording the widgets and data loaders use).
Real numbers: :func:`number` (finite, optionally bounded below), :func:`positive`, :func:`non_negative`,
:func:`fraction` (``[0, 1)``), :func:`in_range` (a closed or half-open interval),
:func:`rate_or_schedule` (a learning rate or a schedule).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "positive_int",
    "non_negative_int",
    "count",
    "integer_from",
    "number",
    "positive",
    "non_negative",
    "fraction",
    "in_range",
    "rate_or_schedule",
    "values_in",
]

_INTEGERS = (int, np.integer)
#: the largest float32: a learning rate above it is inf in the dtype it trains in
FLOAT32_MAX = float(np.finfo(np.float32).max)
_NUMBERS = (int, float, np.integer, np.floating)


def _is_integer(value) -> bool:
    return isinstance(value, _INTEGERS) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, _NUMBERS) and not isinstance(value, bool)


# --------------------------------------------------------------------------- integers


def positive_int(name: str, value, allow_none: bool = False) -> int | None:
    """``value`` as an int if it is an integer >= 1 (or None when ``allow_none``).

    Raises ``ValueError: {name} must be a positive integer[ (or None)], got {value!r}``.
    """
    if value is None and allow_none:
        return None
    if not _is_integer(value) or value < 1:
        extra = " (or None)" if allow_none else ""
        raise ValueError(f"{name} must be a positive integer{extra}, got {value!r}")
    return int(value)


def non_negative_int(name: str, value, note: str = "") -> int:
    """``value`` as an int if it is an integer >= 0 (a seed, a number of pixels).

    Raises ``ValueError: {name} must be a non-negative integer{note}, got {value!r}``; ``note`` says what the
    value means, e.g. ``" (pixels)"``.
    """
    if not _is_integer(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer{note}, got {value!r}")
    return int(value)


def count(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int if it is an integer >= ``minimum`` (and <= ``maximum`` when given).

    Raises ``ValueError: {name} must be an integer >= {minimum}, got {value!r}``, or ``… an integer in
    [{minimum}, {maximum}] …`` when there is a maximum.
    """
    if not _is_integer(value) or value < minimum or (maximum is not None and value > maximum):
        accepted = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {accepted}, got {value!r}")
    return int(value)


def integer_from(name: str, value, low: int, high: int | None = None, note: str = "") -> int:
    """``value`` as an int if it is an integer from ``low`` to ``high`` (or more, without ``high``).

    Raises ``ValueError: {name} must be an integer from {low} to {high}{note}, got {value!r}`` (``… from {low} or
    more …`` without ``high``); ``note`` adds what else is accepted, e.g. ``" (or None for all)"`` where the
    caller lets None through itself.
    """
    if not _is_integer(value) or value < low or (high is not None and value > high):
        upto = f" to {high}" if high is not None else " or more"
        raise ValueError(f"{name} must be an integer from {low}{upto}{note}, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- real numbers


def number(name: str, value, low: float | None = None, *, strict: bool = False, note: str = "") -> float:
    """``value`` as a float if it is a finite number (and >= ``low``, or > ``low`` when ``strict``).

    Raises ``ValueError: {name} must be a finite number[ >= {low} | > {low}]{note}, got {value!r}``.
    """
    ok = _is_number(value) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if strict else value >= low
    if not ok:
        bound = "" if low is None else f" {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{name} must be a finite number{bound}{note}, got {value!r}")
    return float(value)


def positive(name: str, value) -> float:
    """``value`` as a float if it is a finite number > 0 (a step size, a scale, a tolerance).

    Raises ``ValueError: {name} must be > 0, got {value!r}`` (for a non-number, NaN and ±inf too).
    """
    if not _is_number(value) or not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


def non_negative(name: str, value) -> float:
    """``value`` as a float if it is a finite number >= 0 (a penalty weight, a noise level).

    Raises ``ValueError: {name} must be >= 0, got {value!r}`` (for a non-number, NaN and ±inf too).
    """
    if not _is_number(value) or not value >= 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


def fraction(name: str, value) -> float:
    """``value`` as a float if it is a number in ``[0, 1)`` (a momentum, a decay, β₁ / β₂).

    Raises ``ValueError: {name} must be in [0, 1), got {value!r}`` (for a non-number and NaN too).
    """
    if not _is_number(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


def in_range(name: str, value, low: float, high: float, *, strict_low: bool = False) -> float:
    """``value`` as a float if it is a finite number in ``[low, high]`` (``(low, high]`` when ``strict_low``).

    Raises ``ValueError: {name} must be a number in [{low}, {high}], got {value!r}`` (``(`` when ``strict_low``);
    the bounds are written with ``:g`` (``(0, 10]``).
    """
    ok = _is_number(value) and math.isfinite(value)
    ok = ok and (value > low if strict_low else value >= low) and value <= high
    if not ok:
        bracket = "(" if strict_low else "["
        raise ValueError(f"{name} must be a number in {bracket}{low:g}, {high:g}], got {value!r}")
    return float(value)


def values_in(name: str, x: np.ndarray, low: float, high: float, hint: str = "", tolerance: float = 1e-3) -> np.ndarray:
    """``x`` if every value is finite and within ``[low, high]`` (give or take ``tolerance``).

    Raises ``ValueError: {name} must be finite values in [{low}, {high}]{hint}, got …`` naming the NaN or inf
    values, or the range found (images in [0, 255] where [-1, 1] is expected, one NaN pixel, ...).
    """
    x = np.asarray(x)
    if x.size == 0:
        return x
    accepted = f"{name} must be finite values in [{low:g}, {high:g}]{hint}"
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{accepted}, got {int(np.sum(~np.isfinite(x)))} NaN or inf values")
    lo, hi = float(x.min()), float(x.max())
    if lo < low - tolerance or hi > high + tolerance:
        raise ValueError(f"{accepted}, got values from {lo:.4g} to {hi:.4g}")
    return x


def rate_or_schedule(name: str, value):
    """A learning rate: a number > 0 that is finite in float32 (the dtype it trains in), returned as a float, or
    a callable (a Keras ``LearningRateSchedule``, a function of the step), returned as it is.

    Raises ``ValueError: {name} must be > 0 and finite in float32 (at most 3.4e+38) or a keras
    LearningRateSchedule, got {value!r}``: NaN, inf, a number <= 0 or above float32's largest, and a
    non-number fail (1e39 is finite in float64 but inf in float32, where the optimizer would use it).
    """
    if callable(value):
        return value
    if not _is_number(value) or not 0 < value <= FLOAT32_MAX:
        raise ValueError(f"{name} must be > 0 and finite in float32 (at most {FLOAT32_MAX:.2g}) or a keras "
                         f"LearningRateSchedule, got {value!r}")
    return float(value)
