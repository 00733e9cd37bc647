"""What ``helpers`` needs installed, checked at import without importing anything heavy.

On Colab the setup cell installs this package without its dependencies (Colab ships them, and an
upgrade would replace Colab's own ipywidgets 7). So ``import helpers`` checks the versions itself and
names the package that is missing or outside the accepted range, instead of failing later with an
obscure error. ``pyproject.toml`` lists the same ranges; ``tests/test_dependencies.py`` checks that the
two agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import metadata

#: distribution name -> (lowest accepted version, first version not accepted or None)
REQUIRED: dict[str, tuple[str, str | None]] = {
    "numpy": ("1.26", None),
    "matplotlib": ("3.8", None),
    "ipywidgets": ("7.7", "9"),
    "keras": ("3.3", None),
    "tensorflow": ("2.16", None),
}


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.20.0rc1"`` -> ``(2, 20, 0)``: the leading numeric release parts of a version string."""
    parts = []
    for piece in version.split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group(0)))
        if match.group(0) != piece:
            break
    if not parts:
        raise ValueError(f"not a version number: {version!r}")
    return tuple(parts)


def accepted(name: str) -> str:
    """The accepted range of ``name`` as pip writes it, e.g. ``ipywidgets>=7.7,<9``."""
    low, high = REQUIRED[name]
    return f"{name}>={low}" + (f",<{high}" if high else "")


def problems(version_of: Callable[[str], str | None] | None = None) -> list[str]:
    """One line per required package that is missing or outside its range (empty when all is well)."""
    version_of = version_of or _installed_version
    found = []
    for name, (low, high) in REQUIRED.items():
        version = version_of(name)
        if version is None:
            found.append(f"{name} is not installed (needs {accepted(name)})")
            continue
        have = version_tuple(version)
        if have < version_tuple(low) or (high is not None and have >= version_tuple(high)):
            found.append(f"{name} {version} is installed, but helpers needs {accepted(name)}")
    return found


def check(version_of: Callable[[str], str | None] | None = None) -> None:
    """Raise ``ImportError`` naming every missing or unsuitable package and the pip command that fixes it."""
    found = problems(version_of)
    if found:
        fix = " ".join(f'"{accepted(line.split()[0])}"' for line in found)
        raise ImportError("helpers cannot start: " + "; ".join(found) + f". Install with: pip install {fix}")


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
