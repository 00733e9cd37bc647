"""Candidate speed-ups of the DCGAN training step on CPU, measured side by side in one run.

    python benchmarks/gan_step_variants.py --repeats 4

The TensorFlow tutorial's step (two tapes, two ``Adam(1e-4)``, batch 256) written four ways, each
on its own copy of the same seeded models: as is; with one discriminator call on the concatenated
real and fake batch instead of two; compiled with XLA (``jit_compile=True``); both. The variants take
turns, one block of ``--steps`` steps at a time, and the script prints each one's median images/s and
its ratio to the tutorial's step.
"""

from __future__ import annotations

import argparse
import statistics
import time

from helpers.config import import_tensorflow

tf = import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from helpers import models  # noqa: E402

VARIANTS = ("tutorial", "concatenated", "tutorial + XLA", "concatenated + XLA")


def make_step(variant: str, batch_size: int, latent_dim: int = 100):
    keras.utils.set_random_seed(0)
    generator, discriminator = models.build_gan("dcgan", latent_dim)
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
    g_opt.build(generator.trainable_variables)
    d_opt.build(discriminator.trainable_variables)

    def step(images):
        noise = tf.random.normal([batch_size, latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            fake = generator(noise, training=True)
            if variant.startswith("concatenated"):
                logits = discriminator(tf.concat([images, fake], axis=0), training=True)
                real_out, fake_out = logits[:batch_size], logits[batch_size:]
            else:
                real_out, fake_out = discriminator(images, training=True), discriminator(fake, training=True)
            gen_loss = cross_entropy(tf.ones_like(fake_out), fake_out)
            disc_loss = (cross_entropy(tf.ones_like(real_out), real_out)
                         + cross_entropy(tf.zeros_like(fake_out), fake_out))
        g_opt.apply_gradients(zip(gen_tape.gradient(gen_loss, generator.trainable_variables),
                                  generator.trainable_variables))
        d_opt.apply_gradients(zip(disc_tape.gradient(disc_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        return gen_loss

    return tf.function(step, jit_compile=variant.endswith("XLA"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=6, help="steps per timed block (default 6)")
    parser.add_argument("--repeats", type=int, default=4, help="timed blocks per variant (default 4)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    batches = [tf.constant(rng.uniform(-1, 1, (args.batch_size, 28, 28, 1)).astype(np.float32)) for _ in range(4)]
    steps = {name: make_step(name, args.batch_size) for name in VARIANTS}
    for step in steps.values():  # warm-up: trace, compile, run
        for b in batches[:2]:
            step(b).numpy()
    rates = {name: [] for name in steps}
    for r in range(args.repeats):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for i in range(args.steps):
                out = step(batches[i % len(batches)])
            out.numpy()
            rates[name].append(args.steps * args.batch_size / (time.perf_counter() - t0))
        print(f"repeat {r + 1}/{args.repeats}: " + "  ".join(f"{n} {v[-1]:.0f}" for n, v in rates.items()), flush=True)
    base = statistics.median(rates["tutorial"])
    print(f"\nDCGAN, batch {args.batch_size}, {args.steps} steps x {args.repeats} repeats, TensorFlow {tf.__version__}")
    for name, v in rates.items():
        print(f"{name:22s} median {statistics.median(v):7.0f} img/s   vs tutorial {statistics.median(v) / base:.2f}")


if __name__ == "__main__":
    main()
