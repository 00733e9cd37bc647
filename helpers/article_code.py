"""Run an article's code as printed, and repair it one visible edit at a time (notebooks 05 and 08).

:func:`run_script` executes a script's source in a namespace of its own, the way ``python
article.py`` would, and when it fails returns the same kind of error, its message naming the
script's own line that failed (not the notebook's). The notebook raises it, in a three-line
``run_as_script``, so that the traceback a learner reads shows the notebook's cell and the script's
line and nothing of this module. :func:`fix` replaces one exact piece of the source and prints the
change as ``-``/``+`` lines, so a notebook shows every repair it makes.
"""

from __future__ import annotations

import builtins
import linecache
import os
import re
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

#: warnings already printed by :func:`run_as_script` in this session (each is shown once)
SEEN_WARNINGS: set[str] = set()

_CLEAN = (
    (re.compile(r"\n\nArguments received.*", re.S), ""),          # Keras appends the call's arguments: not needed
    (re.compile(r"\x1b\[[0-9;]*m"), ""),                           # nor its terminal colours
    (re.compile(r", value=\[.*\]>", re.S), ">"),                   # nor a variable's values
    (re.compile(r"\{\{function_node [^}]*\}\}\s*"), ""),           # nor TensorFlow's op name
)


def _clean(message: str) -> str:
    for pattern, replacement in _CLEAN:
        message = pattern.sub(replacement, message)
    return message


def _run(source: str, name: str, namespace: dict) -> tuple[Exception | None, str]:
    """Execute ``source`` as the script ``name``: (its error or None, where the error was raised)."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    try:
        exec(compile(source, name, "exec"), namespace)
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == name]
        return exc, f"{name}, line {frames[-1].lineno}: {frames[-1].line}" if frames else name
    return None, ""


_CHILD = r"""
import json, sys
from helpers.article_code import _clean, _run
source, name = sys.stdin.read(), sys.argv[1]
error, where = _run(source, name, {"__name__": "__main__"})
report = None if error is None else [type(error).__name__, _clean(str(error)), where]
print("\n@@" + json.dumps(report), end="")
"""


def _run_in_tensorflow(source: str, name: str) -> tuple[Exception | None, str]:
    """:func:`_run` in a subprocess on the TensorFlow backend; the error comes back as the same built-in type."""
    import json

    package_root = str(Path(__file__).resolve().parent.parent)  # the child imports helpers from where this one did
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", _CHILD, name], input=source, capture_output=True, text=True, env=env,
                          check=False)
    printed, marker, report = done.stdout.rpartition("\n@@")
    if not marker:
        raise RuntimeError(f"the TensorFlow subprocess failed: {done.stderr[-2000:]}")
    print(printed, end="")
    report = json.loads(report)
    if report is None:
        return None, ""
    kind, message, where = report
    cls = getattr(builtins, kind, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message), where
    return RuntimeError(f"{kind}: {message}"), where


def run_script(source: str, name: str = "article.py", namespace: dict | None = None, *,
               tensorflow: bool = False, **given) -> tuple[dict, Exception | None]:
    """Run ``source`` as the script ``name`` in a fresh namespace (or in ``namespace``, plus the ``given`` names);
    return ``(namespace, error)``, ``error`` being ``None`` when the script ran to its end.

    New warnings are printed once, as ``Category: message``. The error is of the type the script raised, its
    message cleaned of Keras' and TensorFlow's noise and ending with the script's line that failed.
    ``tensorflow``: the script is TensorFlow code; under another Keras backend it runs in a TensorFlow
    subprocess (whose printed lines are shown; the namespace returned is then empty).
    """
    import keras

    namespace = {} if namespace is None else namespace
    namespace.update({"__name__": "__main__", **given})
    bars = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()                     # no progress bar for every predict call
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", DeprecationWarning)        # libraries' notices to each other
        try:
            if tensorflow and keras.backend.backend() != "tensorflow":
                error, where = _run_in_tensorflow(source, name)
            else:
                error, where = _run(source, name, namespace)
        finally:
            if bars:
                keras.config.enable_interactive_logging()
    for message in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
        if message not in SEEN_WARNINGS:
            SEEN_WARNINGS.add(message)
            print(message)
    if error is None:
        return namespace, None
    msg = _clean(str(error))
    try:
        return namespace, type(error)(f"{msg}\n  (raised at {where})")
    except Exception:
        return namespace, RuntimeError(f"{type(error).__name__}: {msg}\n  (raised at {where})")


def fix(source: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` in ``source`` by ``new``; print the change as ``-``/``+`` lines."""
    if source.count(old) != 1:
        raise ValueError(f"expected one occurrence of {old!r} in the script, found {source.count(old)}")
    for line in old.splitlines():
        print("-", line)
    for line in new.splitlines():
        print("+", line)
    print()
    return source.replace(old, new)
