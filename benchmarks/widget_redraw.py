"""Kernel-side redraw time of every maths widget: compute the view and render its PNG, as a slider move does.

    python benchmarks/widget_redraw.py [--repeats 7]

Prints the median and best milliseconds per view over the repeats (after one warm-up), for a few
slider values each. The browser adds transport and image decoding on top of this figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("MPLBACKEND", "Agg")

from helpers import widgets  # noqa: E402

CASES = {
    "gd_view": [dict(learning_rate=lr) for lr in (0.01, 0.05, 0.15, 0.25)],
    "game_view": [dict(mode=m) for m in ("simultaneous", "alternating", "extragradient")],
    "subgradient_view": [dict(rule=r) for r in ("constant", "sqrt")],
    "optimizer_view": [dict(optimizer=o) for o in ("gd", "momentum", "adam")]
    + [dict(optimizer="adam", learning_rate=0.05, problem="Rosenbrock")],
}


def time_view(view, kwargs, repeats: int) -> list[float]:
    """Milliseconds for ``repeats`` redraws of ``view(**kwargs)``, PNG included."""
    view(**kwargs)._repr_png_()  # warm-up: imports, font cache, contour grid cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        view(**kwargs)._repr_png_()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'view':<18} {'median ms':>10} {'best ms':>8}")
    for name, cases in CASES.items():
        view = getattr(widgets, name)
        times = [t for kwargs in cases for t in time_view(view, kwargs, args.repeats)]
        print(f"{name:<18} {statistics.median(times):>10.0f} {min(times):>8.0f}")


if __name__ == "__main__":
    main()
