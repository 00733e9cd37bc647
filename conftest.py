"""Test-session defaults: the fast profile for unit tests and for the notebooks nbval executes.

nbval's kernels inherit this process' environment, so setting the profile here reaches them.
Run the heavy regression instead with ``HELPERS_PROFILE=full pytest``.
"""

import os

os.environ.setdefault("HELPERS_PROFILE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# `pytest` runs two worker processes (pyproject.toml), and each starts kernels: on a GPU runtime they share
# the one GPU, so TensorFlow and JAX take its memory as they need it instead of all of it at start-up.
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

_notebook_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Add up the time nbval spends in each notebook's cells (setup, call and teardown)."""
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] = _notebook_seconds.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    """Print one line per executed notebook with its total time, and the sum (CI logs show where the minutes go)."""
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook durations (all cells, fast profile unless HELPERS_PROFILE says otherwise)")
    for path, seconds in sorted(_notebook_seconds.items()):
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
    terminalreporter.write_line(f"{sum(_notebook_seconds.values()):7.1f} s  all notebooks")
