"""Images per second of one GAN training step: a loop written as TensorFlow's DCGAN tutorial writes it vs helpers'.

Run from the repository root:

    python benchmarks/gan_throughput.py --arch dcgan --batch-size 256 --steps 20 --repeats 5
    python benchmarks/gan_throughput.py --backend jax      # helpers' trainer on JAX against the same TF baseline

Both sides train the same architecture (``helpers.models``) on the same random batches. The
baseline is the tutorial's ``train_step``: a ``tf.function`` with two ``GradientTape``s, binary
cross-entropy on logits, two ``Adam(1e-4)`` optimizers and a noise batch of the full batch size,
always on TensorFlow. The other side is :meth:`helpers.training.gan.GANTrainer.train_step` with the same
learning rates, on ``--backend``. Each side runs in its own worker process (a Keras backend is
chosen per process); after one warm-up block each (tracing), the workers take turns, one timed block
of ``--steps`` steps at a time, ``--repeats`` times, so both see the same machine load and never run
at once. The script prints each side's median images/s and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

LATENT = 100


def tutorial_step(tf, keras, generator, discriminator, batch_size: int, latent_dim: int):
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
        g_opt.apply_gradients(zip(gen_tape.gradient(gen_loss, generator.trainable_variables),
                                  generator.trainable_variables))
        d_opt.apply_gradients(zip(disc_tape.gradient(disc_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        return gen_loss, disc_loss

    return train_step


def worker(side: str, arch: str, batch_size: int) -> None:
    """Build one side, then for every line ``N`` on stdin run N steps and print the images/s."""
    if side == "tutorial":
        from helpers.config import import_tensorflow

        tf = import_tensorflow()
    import keras
    import numpy as np

    from helpers import models
    from helpers.training.gan import GANTrainer

    rng = np.random.default_rng(0)
    batches = [rng.uniform(-1, 1, (batch_size, 28, 28, 1)).astype(np.float32) for _ in range(4)]
    keras.utils.set_random_seed(0)
    if side == "tutorial":
        batches = [tf.constant(b) for b in batches]
        step = tutorial_step(tf, keras, *models.build_gan(arch), batch_size, LATENT)
    else:
        batches = [keras.ops.convert_to_tensor(b) for b in batches]
        step = GANTrainer(*models.build_gan(arch), g_learning_rate=1e-4, d_learning_rate=1e-4).train_step
    print(f"ready {keras.backend.backend()}", flush=True)
    for line in sys.stdin:
        steps = int(line)
        t0 = time.perf_counter()
        out = None
        for i in range(steps):
            out = step(batches[i % len(batches)])
        float(next(iter(out.values())) if isinstance(out, dict) else out[0])  # the work is done
        print(steps * batch_size / (time.perf_counter() - t0), flush=True)


def main() -> None:
    """Start both workers, time them in turns and print images/s and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=("mlp", "dcgan"), default="dcgan")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks per side (default 5)")
    parser.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow",
                        help="Keras backend of helpers' trainer (the baseline is always TensorFlow)")
    parser.add_argument("--worker", choices=("tutorial", "helpers"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.arch, args.batch_size)

    root = Path(__file__).resolve().parents[1]
    sides = {"tutorial loop": ("tutorial", "tensorflow"), "helpers GANTrainer": ("helpers", args.backend)}
    procs = {}
    for name, (side, backend) in sides.items():
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(root))
        cmd = [sys.executable, __file__, "--worker", side, "--arch", args.arch, "--batch-size", str(args.batch_size)]
        procs[name] = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                       stderr=subprocess.DEVNULL)
        procs[name].stdout.readline()  # "ready": built, one at a time

    def block(name: str, steps: int) -> float:
        proc = procs[name]
        proc.stdin.write(f"{steps}\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {name} worker stopped (run it alone with --worker to see why)")
        return float(line)

    try:
        for name in procs:  # warm-up: trace and run
            block(name, 2)
        rates = {name: [] for name in procs}
        for r in range(args.repeats):
            for name in procs:
                rates[name].append(block(name, args.steps))
            print(f"repeat {r + 1}/{args.repeats}: " + "  ".join(f"{n} {v[-1]:.0f} img/s" for n, v in rates.items()),
                  flush=True)
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait(timeout=60)
    med = {name: statistics.median(v) for name, v in rates.items()}
    print(f"\n{args.arch}, batch {args.batch_size}, {args.steps} steps x {args.repeats} repeats; "
          f"baseline on tensorflow, helpers on {args.backend}; {os.cpu_count()} CPUs")
    print(f"{'loop':22s} {'median img/s':>12s} {'best img/s':>11s}")
    for name, v in rates.items():
        print(f"{name:22s} {med[name]:12.0f} {max(v):11.0f}")
    print(f"ratio helpers / tutorial (medians): {med['helpers GANTrainer'] / med['tutorial loop']:.2f}")


if __name__ == "__main__":
    main()
