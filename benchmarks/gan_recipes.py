"""Compare GAN training recipes on the MNIST judge: the articles' MLP recipe against ours, and DCGAN recipes.

Run from the repository root (the judge trains and caches itself on first use):

    MNIST_PATH=../shared/data/mnist.npz python benchmarks/gan_recipes.py --recipes article ours --minutes 10
    MNIST_PATH=../shared/data/mnist.npz python benchmarks/gan_recipes.py --recipes article ours --epochs 50

``--minutes M`` compares recipes **by the clock**: every recipe trains for the same M minutes of wall-clock
time, the recipes taking turns in slices of ``--slice`` seconds (so that they share whatever load the
machine has), each through ``GANTrainer.run_step`` with its losses checked every 100 steps; compiling the
step counts as training time. ``--epochs N`` compares them at equal epochs (each through ``GANTrainer.fit``;
with ``--time-budget MIN`` a run stops after the epoch that crosses the budget). Either way each recipe starts
from the same seed on the same data, and after training 10 000 samples are drawn (from the moving average of
the generator where the recipe keeps one) and judged against the MNIST test set, beside the judge's figure for
10 000 real training images. Prints one line per recipe: epochs, seconds, images/s, FID, IS, coverage, and
(when the ``article`` recipe ran) the ratio of each FID to the article recipe's in the same run.

Recipes (``--recipes``):

* ``article``: the articles' MLP GAN with its bugs fixed: Adam 2e-4, β₁ 0.5, batch 128, no average.
* ``article-decay``: the same with the articles' decay ``lr·0.99^epoch``.
* ``ours``: the command line's defaults for the MLP (``python -m helpers train-gan --arch mlp``): batch 128,
  Adam 4e-4 for the generator and 2e-4 for the discriminator (β₁ 0.5), a moving average of the generator
  (0.9999), alternating updates (the discriminator first), chosen by the clock.
* ``ours-sim``: the defaults before that: the same with simultaneous updates.
* ``ours-d4``: the defaults before those: simultaneous, 4e-4 for both players.
* ``ours-lr8``: the defaults before those: batch 128, Adam 8e-4, moving average 0.999.
* ``ours-b64``: the defaults before those: batch 64, Adam 2e-4, moving average 0.999.
* ``tutorial``: the TensorFlow tutorial's DCGAN recipe: Adam 1e-4 (β₁ 0.9), batch 256, no average.
* ``dcgan``: our DCGAN recipe: Adam 2e-4, β₁ 0.5, batch 128, moving average 0.999.

A ``--custom`` recipe may also set ``anneal=F``: both learning rates fall on a half cosine to F times themselves
by the end of the recipe's own clock (``GANTrainer(anneal=F)``, told the fraction of ``--minutes`` used every
100 steps; with ``--epochs``, the fraction of the epochs or of ``--time-budget``, whichever is further), and
``update=alternating``: the discriminator steps first and the generator's gradient is taken through the updated
discriminator (``GANTrainer(update=...)``; of the built-in recipes only ``ours`` alternates).
"""

from __future__ import annotations

import argparse
import itertools
import math
import time

from helpers.config import import_tensorflow

import_tensorflow()  # before Keras, without TensorFlow's CUDA start-up lines

import keras  # noqa: E402
import numpy as np  # noqa: E402

from helpers.cli import DEFAULT_BATCH, DEFAULT_EMA, DEFAULT_LR, DEFAULT_UPDATE  # noqa: E402
from helpers.data import load_mnist, make_dataset  # noqa: E402
from helpers.evaluation.judge import load_judge  # noqa: E402
from helpers.maths import schedules  # noqa: E402
from helpers.models.gan import build_gan  # noqa: E402
from helpers.training.gan import UPDATES, GANTrainer, train_gan  # noqa: E402
from helpers.training.sampling import sample  # noqa: E402

RECIPES = {
    "article": dict(arch="mlp", batch_size=128, lr=2e-4, beta_1=0.5, ema=None, decay=None),
    "article-decay": dict(arch="mlp", batch_size=128, lr=2e-4, beta_1=0.5, ema=None, decay=0.99),
    # the command line's defaults for --arch mlp (helpers.cli.DEFAULT_BATCH, DEFAULT_LR, DEFAULT_EMA, DEFAULT_UPDATE)
    "ours": dict(arch="mlp", batch_size=DEFAULT_BATCH["mlp"], lr=DEFAULT_LR["mlp"][0], lr_g=DEFAULT_LR["mlp"][0],
                 lr_d=DEFAULT_LR["mlp"][1], beta_1=0.5, ema=DEFAULT_EMA["mlp"], decay=None,
                 update=DEFAULT_UPDATE["mlp"]),
    # the defaults before alternating updates
    "ours-sim": dict(arch="mlp", batch_size=128, lr=4e-4, lr_g=4e-4, lr_d=2e-4, beta_1=0.5, ema=0.9999, decay=None),
    # the defaults before the slower discriminator
    "ours-d4": dict(arch="mlp", batch_size=128, lr=4e-4, beta_1=0.5, ema=0.9999, decay=None),
    # the defaults chosen by the first ten-minute runs, on a machine that trained about 55 epochs in them
    "ours-lr8": dict(arch="mlp", batch_size=128, lr=8e-4, beta_1=0.5, ema=0.999, decay=None),
    # the defaults before they were chosen by the clock (the equal-epoch tables of benchmarks/README.md)
    "ours-b64": dict(arch="mlp", batch_size=64, lr=2e-4, beta_1=0.5, ema=0.999, decay=None),
    "tutorial": dict(arch="dcgan", batch_size=256, lr=1e-4, beta_1=0.9, ema=None, decay=None),
    "dcgan": dict(arch="dcgan", batch_size=128, lr=2e-4, beta_1=0.5, ema=0.999, decay=None),
}
#: what a ``--custom`` recipe may set, and how each value is read
CUSTOM_KEYS = {"arch": str, "batch_size": int, "lr": float, "lr_g": float, "lr_d": float, "beta_1": float,
               "ema": float, "decay": float, "width": int, "anneal": float, "update": str}


def custom_recipe(text: str) -> tuple[str, dict]:
    """``NAME:key=value,...`` (keys of :data:`CUSTOM_KEYS`; ``ema=0`` for none) on top of the article recipe."""
    name, _, settings = text.partition(":")
    if not name or not settings:
        raise argparse.ArgumentTypeError(f"expected NAME:key=value,..., got {text!r}")
    recipe = dict(RECIPES["article"])
    for item in settings.split(","):
        key, _, value = item.partition("=")
        if key not in CUSTOM_KEYS:
            raise argparse.ArgumentTypeError(f"unknown setting {key!r} in {text!r}; known: {', '.join(CUSTOM_KEYS)}")
        try:
            recipe[key] = CUSTOM_KEYS[key](value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{key}={value!r} in {text!r}: {exc}") from exc
    if recipe.get("update", UPDATES[0]) not in UPDATES:
        raise argparse.ArgumentTypeError(f"update={recipe['update']!r} in {text!r}: "
                                         f"expected one of {', '.join(UPDATES)}")
    if recipe["ema"] == 0:
        recipe["ema"] = None
    return name, recipe


def rates(recipe: dict, steps_per_epoch: int):
    """The generator's and the discriminator's learning rates (``lr_g``/``lr_d``, else ``lr``)."""
    return (rate({**recipe, "lr": recipe.get("lr_g", recipe["lr"])}, steps_per_epoch),
            rate({**recipe, "lr": recipe.get("lr_d", recipe["lr"])}, steps_per_epoch))


def rate(recipe: dict, steps_per_epoch: int):
    """The learning rate, or the articles' per-epoch decay as a Keras schedule over steps."""
    if recipe["decay"] is None:
        return recipe["lr"]
    return schedules.ExponentialDecay(recipe["lr"], steps_per_epoch, recipe["decay"], staircase=True).to_keras()


class ByTheClock:
    """One recipe trained in slices of wall-clock time: its own trainer, batches and clock."""

    def __init__(self, name: str, x: np.ndarray, seed: int, budget_s: float):
        self.name, self.recipe, self.x, self.seed, self.budget_s = name, RECIPES[name], x, seed, budget_s
        r = self.recipe
        keras.utils.set_random_seed(seed)
        lr_g, lr_d = rates(r, math.ceil(len(x) / r["batch_size"]))
        models = build_gan(r["arch"], 100, r.get("width", 64))
        self.trainer = GANTrainer(*models, g_learning_rate=lr_g, d_learning_rate=lr_d,
                                  beta_1=r["beta_1"], ema=r["ema"], anneal=r.get("anneal"),
                                  update=r.get("update", "simultaneous"), seed=seed)
        self.batches = self._batches()
        self.seconds = 0.0
        self.images = 0
        self.diverged: str | None = None

    def _batches(self):
        """Endless batches: one pipeline, reshuffled every pass (a new pipeline per pass would hold on to a
        cached copy of the data each time, until the machine swaps)."""
        data = make_dataset(self.x, batch_size=self.recipe["batch_size"], seed=self.seed, drop_remainder=False)
        return iter(data.repeat())

    def train_until(self, seconds: float) -> None:
        """Train until this recipe's clock reads ``seconds`` (the step that crosses it finishes)."""
        pending = []
        start, before = time.perf_counter(), self.seconds
        while self.diverged is None and before + time.perf_counter() - start < seconds:
            batch = next(self.batches)
            out = self.trainer.run_step(batch)
            self.images += int(batch.shape[0])
            pending.append(out["d_loss"] + out["g_loss"])
            if len(pending) >= 100:
                self._check(pending)
                self.trainer.set_progress((before + time.perf_counter() - start) / self.budget_s)
        self._check(pending)
        self.seconds = before + time.perf_counter() - start

    def _check(self, pending: list) -> None:
        if pending and not np.all(np.isfinite(keras.ops.convert_to_numpy(keras.ops.stack(pending)))):
            self.diverged = f"diverged by step {self.trainer.step}"
        pending.clear()


def by_the_clock(names: list[str], x: np.ndarray, minutes: float, slice_s: float, seed: int) -> list[tuple]:
    """Train every recipe for ``minutes`` of its own wall-clock time, taking turns; (name, recipe, epochs,
    seconds, images/s, trainer or None if it diverged) for each."""
    budget = minutes * 60
    runs = [ByTheClock(name, x, seed, budget) for name in names]
    for turn in itertools.count(1):
        waiting = [r for r in runs if r.seconds < budget and r.diverged is None]
        if not waiting:
            break
        for run in waiting:
            run.train_until(min(budget, turn * slice_s))
        print(f"  turn {turn}: " + ", ".join(f"{r.name} {r.seconds / 60:.1f} min {r.images / len(x):.1f} epochs"
                                             for r in runs), flush=True)
    return [(r.name, r.recipe, r.images / len(x), r.seconds, r.images / r.seconds,
             None if r.diverged else r.trainer, r.diverged) for r in runs]


def by_epochs(names: list[str], x: np.ndarray, epochs: int, time_budget: float | None, seed: int) -> list[tuple]:
    """Train every recipe for ``epochs`` epochs (or until the epoch that crosses ``time_budget`` minutes)."""
    done = []
    for name in names:
        r = RECIPES[name]
        steps = math.ceil(len(x) / r["batch_size"])
        keras.backend.clear_session()
        lr_g, lr_d = rates(r, steps)
        trainer, result = train_gan(
            r["arch"], x, epochs, seed=seed, batch_size=r["batch_size"], verbose=False,
            time_budget_s=None if time_budget is None else time_budget * 60,
            trainer_kwargs=dict(g_learning_rate=lr_g, d_learning_rate=lr_d, beta_1=r["beta_1"], ema=r["ema"],
                                anneal=r.get("anneal"), update=r.get("update", "simultaneous")),
        )
        done.append((name, r, result.epochs_done, result.seconds, result.images_per_s, trainer, None))
    return done


def main() -> None:
    """Train each recipe and print its judge figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=["article", "ours"])
    parser.add_argument("--custom", nargs="+", type=custom_recipe, default=[], metavar="NAME:key=value,...",
                        help="more recipes: the article recipe with these settings changed, e.g. "
                             "b256:batch_size=256,lr=4e-4,ema=0.999 (keys: " + ", ".join(CUSTOM_KEYS) + ")")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--minutes", type=float, default=None,
                      help="train every recipe for this many minutes of wall-clock time, taking turns")
    when.add_argument("--epochs", type=int, default=None, help="epochs per recipe (default 50 without --minutes)")
    parser.add_argument("--slice", type=float, default=30.0, help="seconds per turn with --minutes (default 30)")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="with --epochs: minutes per recipe (stop after the epoch that crosses it)")
    parser.add_argument("--subset", type=int, default=None, help="training images (default all 60000)")
    parser.add_argument("--n", type=int, default=10_000, help="samples judged (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.minutes is not None and not args.minutes > 0:
        parser.error(f"--minutes must be > 0, got {args.minutes:g}")
    if args.minutes is not None and args.time_budget is not None:
        parser.error("--time-budget goes with --epochs; --minutes already sets the time")
    if not args.slice > 0:
        parser.error(f"--slice must be > 0 seconds, got {args.slice:g}")

    for name, recipe in args.custom:
        if name in RECIPES:
            parser.error(f"--custom {name}: the name of a built-in recipe")
        RECIPES[name] = recipe
    names = [*args.recipes, *(name for name, _ in args.custom)]
    judge = load_judge()
    (x, _), _ = load_mnist(scale="-1-1", subset=args.subset)
    if args.minutes is not None:
        print(f"by the clock: {args.minutes:g} min per recipe, turns of {args.slice:g} s", flush=True)
        runs = by_the_clock(names, x, args.minutes, args.slice, args.seed)
    else:
        runs = by_epochs(names, x, args.epochs or 50, args.time_budget, args.seed)
    real = judge.evaluate(x[:args.n] if len(x) >= args.n else x)
    fids = {}
    rows = []
    for name, r, epochs, seconds, speed, trainer, diverged in runs:
        if trainer is None:
            rows.append((name, r, epochs, seconds, speed, None, diverged))
            continue
        t0 = time.perf_counter()
        report = judge.evaluate(sample(trainer.sampler, args.n, seed=args.seed + 1))
        fids[name] = report.fid
        rows.append((name, r, epochs, seconds, speed, report, None))
        print(f"{name}: judged in {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"\nrecipe         arch    epochs  seconds  images/s      FID     IS  cover  FID/article"
          f"   (judge {judge.config.key()}, {args.n} samples)")
    for name, r, epochs, seconds, speed, report, diverged in rows:
        head = f"{name:14s} {r['arch']:6s} {epochs:7.1f} {seconds:8.0f} {speed:9.0f}"
        if report is None:
            print(f"{head}   {diverged}")
            continue
        ratio = f"{report.fid / fids['article']:11.2f}" if "article" in fids else f"{'-':>11s}"
        print(f"{head} {report.fid:8.2f} {report.inception_score:6.2f} {report.coverage:6.2f} {ratio}")
    print(f"{'real images':14s} {'':6s} {'':7s} {'':8s} {'':9s} {real.fid:8.2f} {real.inception_score:6.2f} "
          f"{real.coverage:6.2f}   ({min(len(x), args.n)} MNIST training images against the test set)")


if __name__ == "__main__":
    main()
