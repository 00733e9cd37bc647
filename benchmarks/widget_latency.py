"""Browser latency of every explorer widget: from a slider key press to the new figure on the page.

    python benchmarks/widget_latency.py [--moves 6] [notebook ...]

Starts JupyterLab over a copy of notebooks/ (fast profile), opens each notebook with a widget in
headless Chromium (the system's), runs it, then moves every slider of every explorer ``--moves``
times (one key press each, alternating right and left) and prints the median and best
milliseconds per slider. Needs what the browser tests need (see requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import lab  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=6, help="key presses per slider (default 6)")
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: every one with a widget)")
    args = parser.parse_args()
    chromium = lab.find_chromium()
    if chromium is None:
        sys.exit(f"no Chromium found; {lab.HOW_TO_ENABLE}")
    names = args.notebooks or [p.name for p in lab.notebooks_with_widgets()]
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Chromium at {chromium}; {args.moves} moves per slider")
    print(f"{'notebook':<36} {'slider':>6} {'median ms':>10} {'best ms':>8}")
    everything = []
    with lab.jupyter_lab() as server, lab.chromium_page(chromium) as page:
        for name in names:
            lab.open_and_run_all(page, server, name)
            areas = lab.widget_areas(page)
            for i in range(areas.count()):
                area = areas.nth(i)
                area.scroll_into_view_if_needed()
                for k in range(area.locator(".widget-slider .noUi-handle").count()):
                    times = [
                        lab.move_slider(page, area, k, key="ArrowRight" if m % 2 == 0 else "ArrowLeft") * 1000
                        for m in range(args.moves)
                    ]
                    everything += times
                    label = f"{i}.{k}"
                    print(f"{name:<36} {label:>6} {statistics.median(times):>10.0f} {min(times):>8.0f}", flush=True)
    print(f"{'all sliders':<36} {'':>6} {statistics.median(everything):>10.0f} {min(everything):>8.0f}")


if __name__ == "__main__":
    main()
