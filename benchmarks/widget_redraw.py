"""Kernel-side redraw time of every maths widget, old path against new, interleaved in one run.

    python benchmarks/widget_redraw.py [--repeats 7]

For each view and a few slider moves (values that change one slider, as a key press does), times
  * ``fresh``: the view function called afresh, its figure saved as PNG (what every slider move cost
    before the scenes: a new figure, a full draw, matplotlib's PNG at zlib level 6), and
  * ``scene``: the explorer's fast path, ``SceneCache.view`` (the kept figure's moving artists
    updated and blitted over the cached static layer, PNG at zlib level 1), split into its parts:
    compute + set the artists, render (restore + draw the moving artists), PNG encoding;
the two interleaved move by move, so machine load hits both alike. Then the cost of a move that
changes a scene's key (κ in 01: new contours, so a new figure) and of the PNG encoders on one frame.
Prints medians and best milliseconds over the repeats (after one warm-up pass), and the median
CPU milliseconds of the process (``time.process_time``), which other work on the machine inflates less.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib
import numpy as np
from PIL import Image

from helpers.viz.images import encode_png
from helpers.viz.scenes import SceneCache, View
from helpers.widgets.gradient_ascent import game_view
from helpers.widgets.gradient_descent import GdScene, gd_view
from helpers.widgets.optimizers import optimizer_view
from helpers.widgets.subgradients import subgradient_view

#: per view: the slider moves to replay (each dict is the full set of changed values for one move)
MOVES = {
    "gd_view": [dict(learning_rate=lr) for lr in (0.05, 0.0525, 0.05, 0.15, 0.157, 0.25, 0.262)]
    + [dict(learning_rate=0.05, steps=s) for s in (30, 31, 200)],
    "game_view": [dict(learning_rate=lr) for lr in (0.1, 0.11, 0.1, 0.3, 0.31)]
    + [dict(learning_rate=0.1, mode="alternating", steps=s) for s in (100, 101)],
    "subgradient_view": [dict(learning_rate=lr) for lr in (0.3, 0.337, 0.3, 0.05)]
    + [dict(learning_rate=0.3, rule="sqrt", steps=s) for s in (60, 61)],
    "optimizer_view": [dict(learning_rate=lr) for lr in (0.02, 0.0224, 0.02, 0.1)]
    + [dict(beta=b) for b in (0.9, 0.91, 0.5)]
    + [dict(optimizer="adam", learning_rate=0.05, problem="Rosenbrock", steps=s) for s in (150, 151)],
}
VIEWS = {"gd_view": gd_view, "game_view": game_view, "subgradient_view": subgradient_view,
         "optimizer_view": optimizer_view}


def ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def fresh(view, values) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one old-path move: the view called afresh, its figure saved as PNG."""
    start, cpu = time.perf_counter(), time.process_time()
    view(**values)._repr_png_()
    return ms(start), (time.process_time() - cpu) * 1000


def scene_parts(cache: SceneCache, values) -> tuple[float, float, float, float, float]:
    """(total, update, render, encode, total CPU) milliseconds of one fast-path move, as SceneCache.view does it."""
    start, cpu = time.perf_counter(), time.process_time()
    bound = cache.signature.bind(**values)
    bound.apply_defaults()
    values = dict(bound.arguments)
    key = cache.scene_class.key(values)
    scene = cache.scenes.get(key) or cache.scenes.setdefault(key, cache.scene_class(**values))
    scene.summary = scene.update(values)
    scene.values = values
    View(scene.figure, scene.summary)
    t1 = time.perf_counter()
    rgba = scene.render()
    t2 = time.perf_counter()
    encode_png(rgba)
    t3 = time.perf_counter()
    return ((t3 - start) * 1000, (t1 - start) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000,
            (time.process_time() - cpu) * 1000)


def row(name: str, times: list[float], cpu: list[float] | None = None) -> str:
    extra = f" {statistics.median(cpu):>8.1f}" if cpu else ""
    return f"{name:<34} {statistics.median(times):>9.1f} {min(times):>8.1f}" + extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"matplotlib {matplotlib.__version__}; {args.repeats} repeats of each move, old and new interleaved")
    print(f"{'view / path':<34} {'median ms':>9} {'best ms':>8} {'CPU ms':>8}")
    for name, moves in MOVES.items():
        view = VIEWS[name]
        cache = SceneCache(view)
        for values in moves:  # warm-up: imports, fonts, contour grids, one scene per key
            fresh(view, values)
            cache.view(**values)
        old, old_cpu, new, new_cpu, upd, ren, enc = [], [], [], [], [], [], []
        for _ in range(args.repeats):
            for values in moves:
                wall, cpu = fresh(view, values)
                old.append(wall)
                old_cpu.append(cpu)
                total, u, r, e, cpu = scene_parts(cache, values)
                new.append(total)
                new_cpu.append(cpu)
                upd.append(u)
                ren.append(r)
                enc.append(e)
        print(row(f"{name}  fresh figure (old)", old, old_cpu))
        print(row(f"{name}  scene (new)", new, new_cpu))
        print(row("    compute + set artists", upd))
        print(row("    render (blit)", ren))
        print(row("    PNG encode (encode_png)", enc))
        print(f"{'    speed-up (median wall, CPU)':<34} {statistics.median(old) / statistics.median(new):>8.1f}x "
              f"{statistics.median(old_cpu) / statistics.median(new_cpu):>7.1f}x")

    # a move that changes the key: 01's κ slider needs new contours, so a new scene (figure) is built
    cache = SceneCache(gd_view, size=2)
    kappa_new, kappa_old, kappa_new_cpu, kappa_old_cpu = [], [], [], []
    for i in range(args.repeats + 1):
        values = dict(condition=float(2 + i))
        t_old, c_old = fresh(gd_view, values)
        start, cpu = time.perf_counter(), time.process_time()
        cache.view(**values)
        if i:  # first is warm-up
            kappa_old.append(t_old)
            kappa_old_cpu.append(c_old)
            kappa_new.append(ms(start))
            kappa_new_cpu.append((time.process_time() - cpu) * 1000)
    print(row("gd_view κ move, fresh figure (old)", kappa_old, kappa_old_cpu))
    print(row("gd_view κ move, new scene (new)", kappa_new, kappa_new_cpu))

    # encoders on one frame of the gd scene
    rgba = SceneCache(gd_view).scenes.setdefault("x", GdScene(
        learning_rate=0.05, steps=30, condition=10.0, x0=(1.8, 1.2))).render()
    print(f"\n# one {rgba.shape[1]}x{rgba.shape[0]} frame: encoder, median ms, kB")

    def pil(fmt, array, **kw):
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, format=fmt, **kw)
        return buf.getvalue()

    encoders = {
        "PNG RGBA level 6 (matplotlib's)": lambda: pil("png", rgba, compress_level=6),
        "PNG RGB level 6": lambda: pil("png", np.ascontiguousarray(rgba[..., :3]), compress_level=6),
        "encode_png (RGB, no filter, level 1)": lambda: encode_png(rgba),
        "JPEG quality 90": lambda: pil("jpeg", np.ascontiguousarray(rgba[..., :3]), quality=90),
    }
    for label, encode in encoders.items():
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            data = encode()
            times.append(ms(start))
        print(f"{label:<34} {statistics.median(times):>9.1f} {len(data) / 1000:>8.0f}")


if __name__ == "__main__":
    main()
