"""Compare GAN training recipes on the MNIST judge: the articles' MLP recipe against ours, and DCGAN recipes.

Run from the repository root (the judge trains and caches itself on first use):

    MNIST_PATH=../shared/data/mnist.npz python benchmarks/gan_recipes.py --recipes article ours --epochs 50

Each recipe trains from the same seed on the same data; with ``--time-budget MIN`` every run stops
after the epoch that crosses the budget. After training, 10 000 samples are drawn (from the moving
average of the generator where the recipe keeps one) and judged against the MNIST test set.
Prints one line per recipe: epochs, seconds, images/s, FID, IS, coverage.

Recipes (``--recipes``):

* ``article``: the articles' MLP GAN with its bugs fixed: Adam 2e-4, β₁ 0.5, batch 128, no average.
* ``article-decay``: the same with the articles' decay ``lr·0.99^epoch``.
* ``ours``: the same MLP with an exponential moving average of the generator (0.999) and batch 64.
* ``tutorial``: the TensorFlow tutorial's DCGAN recipe: Adam 1e-4 (β₁ 0.9), batch 256, no average.
* ``dcgan``: our DCGAN recipe: Adam 2e-4, β₁ 0.5, batch 128, moving average 0.999.
"""

from __future__ import annotations

import argparse
import math
import time

from helpers.config import import_tensorflow

import_tensorflow()  # before Keras, without TensorFlow's CUDA start-up lines

import keras  # noqa: E402

from helpers.data import load_mnist  # noqa: E402
from helpers.evaluation.judge import load_judge  # noqa: E402
from helpers.maths import schedules  # noqa: E402
from helpers.training.gan import train_gan  # noqa: E402
from helpers.training.sampling import sample  # noqa: E402

RECIPES = {
    "article": dict(arch="mlp", batch_size=128, lr=2e-4, beta_1=0.5, ema=None, decay=None),
    "article-decay": dict(arch="mlp", batch_size=128, lr=2e-4, beta_1=0.5, ema=None, decay=0.99),
    "ours": dict(arch="mlp", batch_size=64, lr=2e-4, beta_1=0.5, ema=0.999, decay=None),
    "tutorial": dict(arch="dcgan", batch_size=256, lr=1e-4, beta_1=0.9, ema=None, decay=None),
    "dcgan": dict(arch="dcgan", batch_size=128, lr=2e-4, beta_1=0.5, ema=0.999, decay=None),
}


def rate(recipe: dict, steps_per_epoch: int):
    """The learning rate, or the articles' per-epoch decay as a Keras schedule over steps."""
    if recipe["decay"] is None:
        return recipe["lr"]
    return schedules.ExponentialDecay(recipe["lr"], steps_per_epoch, recipe["decay"], staircase=True).to_keras()


def main() -> None:
    """Train each recipe and print its judge figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=["article", "ours"])
    parser.add_argument("--epochs", type=int, default=50, help="epochs per recipe (default 50)")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="minutes per recipe (stop after the epoch that crosses it)")
    parser.add_argument("--subset", type=int, default=None, help="training images (default all 60000)")
    parser.add_argument("--n", type=int, default=10_000, help="samples judged (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    judge = load_judge()
    (x, _), _ = load_mnist(scale="-1-1", subset=args.subset)
    rows = []
    for name in args.recipes:
        r = RECIPES[name]
        steps = math.ceil(len(x) / r["batch_size"])
        keras.backend.clear_session()
        lr = rate(r, steps)
        trainer, result = train_gan(
            r["arch"], x, args.epochs, seed=args.seed, batch_size=r["batch_size"], verbose=False,
            time_budget_s=None if args.time_budget is None else args.time_budget * 60,
            trainer_kwargs=dict(g_learning_rate=lr, d_learning_rate=lr, beta_1=r["beta_1"], ema=r["ema"]),
        )
        t0 = time.perf_counter()
        report = judge.evaluate(sample(trainer.sampler, args.n, seed=args.seed + 1))
        row = (f"{name:14s} {r['arch']:6s} {result.epochs_done:6d} {result.seconds:8.0f} {result.images_per_s:9.0f} "
               f"{report.fid:8.2f} {report.inception_score:6.2f} {report.coverage:6.2f}")
        rows.append(row)
        print(row, f"(judged in {time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"\nrecipe         arch   epochs  seconds  images/s      FID     IS  cover   (judge {judge.config.key()})")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
