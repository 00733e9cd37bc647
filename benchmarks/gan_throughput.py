"""Images per second of one GAN training step: a loop written as TensorFlow's DCGAN tutorial writes it vs helpers'.

Run from the repository root:

    python benchmarks/gan_throughput.py --arch dcgan --batch-size 256 --steps 20 --repeats 5

Both sides train the same architecture (``helpers.models``) on the same random batches. The
baseline is the tutorial's ``train_step``: a ``tf.function`` with two ``GradientTape``s, binary
cross-entropy on logits, two ``Adam(1e-4)`` optimizers and a noise batch of the full batch size.
The other side is :meth:`helpers.training.GANTrainer.train_step`. After one warm-up block each
(tracing), blocks of ``--steps`` steps alternate between the two, ``--repeats`` times, so both see
the same machine load; the script prints each side's median images/s and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

from helpers.config import import_tensorflow

tf = import_tensorflow()  # before Keras, without TensorFlow's CUDA start-up lines

import keras  # noqa: E402
import numpy as np  # noqa: E402

from helpers import models  # noqa: E402
from helpers.training import GANTrainer  # noqa: E402


def tutorial_step(generator, discriminator, batch_size: int, latent_dim: int):
    """The tutorial's ``train_step``, as it is written there (two tapes, two optimizers, one noise batch)."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([batch_size, latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated, training=True)
            gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            disc_loss = (cross_entropy(tf.ones_like(real_output), real_output)
                         + cross_entropy(tf.zeros_like(fake_output), fake_output))
        g_opt.apply_gradients(zip(gen_tape.gradient(gen_loss, generator.trainable_variables), generator.trainable_variables))
        d_opt.apply_gradients(zip(disc_tape.gradient(disc_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        return gen_loss, disc_loss

    return train_step


def timed(step, batches, steps: int) -> float:
    """Images per second over ``steps`` calls of ``step`` (the last result is fetched, so the work is done)."""
    t0 = time.perf_counter()
    out = None
    for i in range(steps):
        out = step(batches[i % len(batches)])
    if isinstance(out, dict):
        float(next(iter(out.values())))
    else:
        float(out[0])
    return steps * int(batches[0].shape[0]) / (time.perf_counter() - t0)


def main() -> None:
    """Time both loops side by side and print images/s and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=models.ARCHS, default="dcgan")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks per side (default 5)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    batches = [tf.constant(rng.uniform(-1, 1, (args.batch_size, 28, 28, 1)).astype(np.float32)) for _ in range(4)]
    keras.utils.set_random_seed(0)
    baseline = tutorial_step(*models.build_gan(args.arch), args.batch_size, 100)
    trainer = GANTrainer(*models.build_gan(args.arch), g_learning_rate=1e-4, d_learning_rate=1e-4)
    sides = {"tutorial loop": lambda b: baseline(b), "helpers GANTrainer": trainer.train_step}
    for step in sides.values():  # warm-up: trace and run once
        timed(step, batches, 2)
    rates = {name: [] for name in sides}
    for r in range(args.repeats):
        for name, step in sides.items():
            rates[name].append(timed(step, batches, args.steps))
        print(f"repeat {r + 1}/{args.repeats}: " + "  ".join(f"{n} {v[-1]:.0f} img/s" for n, v in rates.items()), flush=True)
    med = {name: statistics.median(v) for name, v in rates.items()}
    print(f"\n{args.arch}, batch {args.batch_size}, {args.steps} steps x {args.repeats} repeats, "
          f"backend {keras.backend.backend()}, TensorFlow {tf.__version__}")
    print(f"{'loop':22s} {'median img/s':>12s} {'best img/s':>11s}")
    for name, v in rates.items():
        print(f"{name:22s} {med[name]:12.0f} {max(v):11.0f}")
    base = med["tutorial loop"]
    print(f"ratio helpers / tutorial (medians): {med['helpers GANTrainer'] / base:.2f}")


if __name__ == "__main__":
    main()
