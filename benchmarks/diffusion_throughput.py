"""Training throughput of the diffusion model's U-Net at several widths, side by side in one run.

Run from the repository root:

    python benchmarks/diffusion_throughput.py --widths 8 16 32 --batch-size 128 --steps 10 --repeats 3

For each width: ``build_unet(width)`` under ``DiffusionTrainer`` (the compiled step of ``train-diffusion``:
t and ε drawn in the step, Adam, the moving average), a few warm-up steps, then the best of ``--repeats``
timings of ``--steps`` steps on one batch. The widths take turns repeat by repeat, so they share the machine's
load; the ratios between them are the figure to trust, not the absolute images/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if min(args.widths) < 1 or args.batch_size < 1 or args.steps < 1 or args.repeats < 1:
        parser.error("--widths, --batch-size, --steps and --repeats must be positive")

    import numpy as np

    from helpers._keras import keras
    from helpers.maths.diffusion import make_schedule
    from helpers.models.score import build_unet
    from helpers.training.diffusion import DiffusionTrainer

    x = np.random.default_rng(0).uniform(-1, 1, (args.batch_size, 28, 28, 1)).astype("float32")
    trainers = {}
    for w in args.widths:
        keras.utils.set_random_seed(0)
        trainers[w] = DiffusionTrainer(build_unet(w), make_schedule("cosine", 1000))
        for _ in range(3):
            trainers[w].run_step(x)
    best = {w: float("inf") for w in args.widths}
    for _ in range(args.repeats):
        for w, trainer in trainers.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                out = trainer.run_step(x)
            float(out["loss"])
            best[w] = min(best[w], time.perf_counter() - start)
    print(f"{'width':>5}  {'weights':>9}  {'images/s':>8}  {'vs width ' + str(args.widths[0]):>12}")
    base = args.batch_size * args.steps / best[args.widths[0]]
    for w, trainer in trainers.items():
        rate = args.batch_size * args.steps / best[w]
        print(f"{w:5d}  {trainer.model.count_params():9,d}  {rate:8.0f}  {rate / base:12.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
