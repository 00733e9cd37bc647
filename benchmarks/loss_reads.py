"""What the step's host round trips cost: losses read every step or in blocks, with and without the moving average.

    MNIST_PATH=../shared/data/mnist.npz python benchmarks/loss_reads.py --repeats 5

``helpers.training.loop.fit`` keeps each step's losses on the device and copies them to the host in blocks of
``loop.READ_EVERY`` steps (and at every epoch's end), where it checks them for NaN. This script trains the
MLP GAN (batch 128, the command line's default) four ways on copies of the same seeded models: losses read
after every step (``READ_EVERY = 1``, what a per-step guard does) or every 100 steps, each with and without
the generator's moving average (0.999, updated inside the compiled step). The variants take turns, one epoch of
``--subset`` images at a time, and the script prints each one's median images/s and its ratio to the first.
"""

from __future__ import annotations

import argparse
import statistics

from helpers.config import import_tensorflow

import_tensorflow()  # before Keras, without TensorFlow's CUDA start-up lines

import keras  # noqa: E402

from helpers.data import load_mnist  # noqa: E402
from helpers.models.gan import build_gan  # noqa: E402
from helpers.training import loop  # noqa: E402
from helpers.training.gan import GANTrainer  # noqa: E402

VARIANTS = (  # (name, READ_EVERY, ema)
    ("read every step, no average", 1, None),
    ("read every 100 steps, no average", 100, None),
    ("read every step, average 0.999", 1, 0.999),
    ("read every 100 steps, average 0.999", 100, 0.999),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per variant (default 5)")
    parser.add_argument("--subset", type=int, default=12_800, help="images per timed epoch (default 12800)")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    (x, _), _ = load_mnist(scale="-1-1", subset=args.subset)
    trainers = []
    for _name, _every, ema in VARIANTS:
        keras.utils.set_random_seed(0)
        trainers.append(GANTrainer(*build_gan("mlp", 100), ema=ema, seed=0))
    speeds = {name: [] for name, _, _ in VARIANTS}
    for repeat in range(args.repeats + 1):  # the first round compiles the steps and is not counted
        for (name, every, _ema), trainer in zip(VARIANTS, trainers):
            loop.READ_EVERY = every
            result = trainer.fit(x, trainer.epoch + 1, batch_size=args.batch_size, verbose=False)
            if repeat:
                speeds[name].append(result.images_per_s)
    base = statistics.median(speeds[VARIANTS[0][0]])
    print(f"MLP GAN, batch {args.batch_size}, {args.subset} images per epoch, medians of {args.repeats} epochs "
          f"taking turns (backend {keras.backend.backend()})")
    print(f"{'variant':38s} {'median img/s':>12s} {'best img/s':>11s} {'vs first':>9s}")
    for name, values in speeds.items():
        median = statistics.median(values)
        print(f"{name:38s} {median:12.0f} {max(values):11.0f} {median / base:9.3f}")


if __name__ == "__main__":
    main()
