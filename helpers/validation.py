"""Argument checks shared by the modules, with errors that name the value and what is accepted."""

from __future__ import annotations

import numpy as np


def positive_int(name: str, value, allow_none: bool = False) -> int | None:
    """Return ``value`` as an int if it is an integer >= 1 (or None when ``allow_none``); else ValueError."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        extra = " (or None)" if allow_none else ""
        raise ValueError(f"{name} must be a positive integer{extra}, got {value!r}")
    return int(value)
