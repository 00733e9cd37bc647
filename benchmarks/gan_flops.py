"""How close the tutorial's DCGAN step already runs to this CPU's arithmetic peak (float32).

Run from the repository root:

    python benchmarks/gan_flops.py --batch-size 256 --steps 5 --repeats 3

Counts the multiply-adds of one training step of the tutorial's DCGAN from the layers' shapes
(forward: G on the noise, D on the real and on the generated batch; backward counted as twice the
forward, the usual rule for convolutions and dense layers: one product for the input's gradient,
one for the weights'), times that step (``gan_throughput.tutorial_step``), and times a large float32
matrix product on the same threads, taking turns. The ratio says how much faster any rewrite of the
same step in float32 could at best be on this machine: ``peak / step``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def forward_flops(model) -> int:
    """Floating-point operations (2 per multiply-add) of one image through ``model``'s Dense and convolution layers."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += 2 * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
        elif isinstance(layer, keras.layers.Conv2DTranspose):  # each input pixel spreads a k×k×C_out patch
            h, w, c_in = (int(d) for d in layer.input.shape[1:])
            kh, kw, c_out, _ = (int(d) for d in layer.kernel.shape)
            total += 2 * h * w * c_in * kh * kw * c_out
        elif isinstance(layer, keras.layers.Conv2D):  # each output pixel gathers a k×k×C_in patch
            h, w, c_out = (int(d) for d in layer.output.shape[1:])
            kh, kw, c_in, _ = (int(d) for d in layer.kernel.shape)
            total += 2 * h * w * c_out * kh * kw * c_in
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=5, help="training steps per timed block")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--matmul", type=int, default=2048, help="size n of the n×n float32 matrix product")
    args = parser.parse_args()

    from helpers.config import import_tensorflow

    tf = import_tensorflow()
    import keras
    import numpy as np

    from gan_throughput import LATENT, tutorial_step
    from helpers import models

    keras.utils.set_random_seed(0)
    G, D = models.build_dcgan_generator(LATENT), models.build_dcgan_discriminator()
    g_flops, d_flops = forward_flops(G), forward_flops(D)
    per_image = 3 * (g_flops + 2 * d_flops)  # forward + backward (2× forward)
    step = tutorial_step(tf, keras, G, D, args.batch_size, LATENT)
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (args.batch_size, 28, 28, 1)).astype("float32"))
    n = args.matmul
    a = tf.constant(np.random.default_rng(1).standard_normal((n, n)).astype("float32"))
    matmul = tf.function(lambda a: tf.matmul(a, a))

    def timed(fn, reps):
        fn()  # warm-up (tracing)
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        return (time.perf_counter() - start) / reps

    matmul_reps = 10
    step_rates, peak_rates = [], []
    for _ in range(args.repeats):  # take turns, so both see the same load
        seconds = timed(lambda: [float(v) for v in step(images)], args.steps)
        step_rates.append(per_image * args.batch_size / seconds / 1e9)
        seconds = timed(lambda: matmul(a).numpy(), matmul_reps)
        peak_rates.append(2 * n ** 3 / seconds / 1e9)
    step_rate, peak = statistics.median(step_rates), statistics.median(peak_rates)
    print(f"threads: intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'default'}, "
          f"CPU cores {len(tf.config.list_physical_devices('CPU'))} device(s)")
    print(f"forward FLOPs per image: G {g_flops / 1e6:.1f} M, D {d_flops / 1e6:.1f} M; "
          f"training step {per_image / 1e6:.0f} M per image (3 × (G + 2 D))")
    print(f"tutorial step, batch {args.batch_size}: {step_rate:.1f} GFLOP/s "
          f"({step_rate * 1e9 / per_image:.0f} images/s)")
    print(f"float32 matmul {n}×{n}: {peak:.1f} GFLOP/s")
    print(f"the step runs at {step_rate / peak:.0%} of the matmul rate: a float32 rewrite of the same step "
          f"could be at most {peak / step_rate:.2f}× faster here")


if __name__ == "__main__":
    main()
