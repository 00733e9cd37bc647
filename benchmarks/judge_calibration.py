"""Calibrate the MNIST judge: its test accuracy and its figures on sets of known quality.

Run from the repository root (trains and caches the judge on first use, ~1-2 minutes on 2 CPU cores):

    MNIST_PATH=../shared/data/mnist.npz python benchmarks/judge_calibration.py

Prints FID (against the MNIST test set), Inception Score, class coverage and confidence for:
real training images, pure noise, blurred/degraded digits, and one digit repeated (mode collapse).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from helpers.config import quiet_tensorflow

quiet_tensorflow()

from helpers.data import load_mnist  # noqa: E402
from helpers.evaluation.judge import load_judge  # noqa: E402


def box_blur(x: np.ndarray, k: int = 5) -> np.ndarray:
    """Blur N×28×28 images with a k×k box filter (edge padding)."""
    pad = k // 2
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), mode="edge")
    out = np.zeros_like(x)
    for dy in range(k):
        for dx in range(k):
            out += xp[:, dy:dy + 28, dx:dx + 28]
    return out / (k * k)


def main() -> None:
    """Train or load the judge and print its calibration table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="images per set (default 10000)")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    t0 = time.perf_counter()
    judge = load_judge(epochs=args.epochs, verbose=2)
    print(f"{judge!r} loaded/trained in {time.perf_counter() - t0:.1f} s; cache {judge.path}")
    print(f"judge test accuracy: {judge.test_accuracy:.4f}")

    (x, y), _ = load_mnist(scale="-1-1", subset=args.n)
    rng = np.random.default_rng(0)
    noisy = np.clip(x + rng.normal(0.0, 0.5, x.shape), -1, 1).astype(np.float32)
    sets = {
        f"MNIST train ({args.n})": x,
        "uniform noise": rng.uniform(-1, 1, x.shape).astype(np.float32),
        "box blur 5x5": box_blur(x, 5),
        "gaussian noise sd 0.5": noisy,
        "one digit repeated (x[0])": np.repeat(x[:1], args.n, axis=0),
        "only digit 1s": x[y == 1],
    }
    print(f"{'set':30s} {'FID':>9s} {'IS':>6s} {'cover':>6s} {'conf':>6s} {'n':>6s}")
    for name, images in sets.items():
        t = time.perf_counter()
        r = judge.evaluate(images)
        print(f"{name:30s} {r.fid:9.2f} {r.inception_score:6.2f} {r.coverage:6.2f} {r.confidence:6.3f} {r.n:6d}"
              f"   ({time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
