"""Looking at a trained generator: the judge's figures during training, latent interpolation, sure latents.

* :class:`JudgeEvery` is a :meth:`helpers.training.gan.GANTrainer.fit` callback: every ``every`` epochs
  it draws ``n`` images from the generator (always the same noise, so epochs compare) and records
  the judge's Fréchet distance, Inception Score, class coverage, confidence and class counts.
* :func:`lerp`, :func:`slerp` and :func:`interpolate` walk between two latent vectors.
* :func:`confident_latents` picks the latent vectors whose images the judge is surest of (the anchors
  of :func:`helpers.models.gan.collapse_generator`, a mode collapse on purpose).
* The figures are drawn by :mod:`helpers.viz.gan_eval`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import non_negative_int, positive_int
from helpers.training.sampling import generate, latent_dim_of, sample

MODES = ("lerp", "slerp")

HISTORY_KEYS = ("epoch", "step", "fid", "inception_score", "coverage", "confidence", "class_counts", "seconds")


def _latent_pair(z0, z1) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(z0, dtype=np.float64)
    b = np.asarray(z1, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"z0 and z1 must be 1-D latent vectors of the same length, got shapes {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("z0 and z1 must be finite, got NaN or inf values")
    return a, b



def _fractions(t) -> tuple[np.ndarray, bool]:
    arr = np.asarray(t, dtype=np.float64)
    if arr.ndim > 1 or not np.all(np.isfinite(arr)):
        raise ValueError(f"t must be a finite number or a 1-D array of numbers, got {t!r}")
    return np.atleast_1d(arr), arr.ndim == 0



def lerp(z0, z1, t) -> np.ndarray:
    """Straight line ``(1 − t) z0 + t z1``; ``t`` a number (returns ``(d,)``) or a 1-D array
    (returns ``(len(t), d)``)."""
    a, b = _latent_pair(z0, z1)
    ts, scalar = _fractions(t)
    out = (1.0 - ts)[:, None] * a + ts[:, None] * b
    return out[0] if scalar else out



def slerp(z0, z1, t) -> np.ndarray:
    """Spherical interpolation: along the great circle from ``z0`` to ``z1`` at constant angular speed.

    ``sin((1 − t) Ω) / sin Ω · z0 + sin(t Ω) / sin Ω · z1`` with Ω the angle between the two vectors
    (a straight line when they are parallel). Between vectors of equal length the norm stays
    constant, unlike :func:`lerp`, whose midpoint is shorter: Gaussian latent vectors live near a
    sphere of radius √d, and a short vector is one the generator never saw in training.
    """
    a, b = _latent_pair(z0, z1)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        raise ValueError("slerp needs non-zero vectors z0 and z1 (the angle of a zero vector is undefined)")
    ts, scalar = _fractions(t)
    omega = float(np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0)))
    if np.sin(omega) < 1e-8:  # parallel (or opposite) vectors: no unique great circle, use the line
        out = (1.0 - ts)[:, None] * a + ts[:, None] * b
    else:
        s = np.sin(omega)
        out = (np.sin((1.0 - ts) * omega) / s)[:, None] * a + (np.sin(ts * omega) / s)[:, None] * b
    return out[0] if scalar else out



def interpolate(generator: keras.Model, z0, z1, steps: int = 8, mode: str = "slerp") -> np.ndarray:
    """The generator's images (uint8 ``(steps, 28, 28)``) along a ``mode`` path ("lerp" or "slerp") from z0 to z1."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    steps = positive_int("steps", steps)
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (the two end points), got {steps}")
    d = latent_dim_of(generator)
    a, _ = _latent_pair(z0, z1)
    if a.shape[0] != d:
        raise ValueError(f"z0 and z1 must have the generator's latent length {d}, got {a.shape[0]}")
    path = (lerp if mode == "lerp" else slerp)(z0, z1, np.linspace(0.0, 1.0, steps))
    return generate(generator, path.astype(np.float32))



class JudgeEvery:
    """``fit`` callback: every ``every`` epochs, judge ``n`` images drawn with noise seed ``seed``;
    see :attr:`history`."""

    def __init__(self, judge, every: int = 1, n: int = 1000, seed: int = 0, reference="test", verbose: bool = False):
        if not hasattr(judge, "evaluate"):
            raise ValueError("judge must have an evaluate(images) method (use helpers.evaluation.load_judge()), "
                             f"got {judge!r}")
        self.judge = judge
        self.every = positive_int("every", every)
        self.n = positive_int("n", n)
        if self.n < 2:
            raise ValueError(f"n must be at least 2 (the Fréchet distance needs a covariance), got {n}")
        self.seed = non_negative_int("seed", seed)
        self.reference = reference
        self.verbose = verbose
        #: per evaluation: epoch, step, fid, inception_score, coverage, confidence, class_counts, seconds.
        self.history: dict[str, list] = {k: [] for k in HISTORY_KEYS}
        #: the :class:`helpers.evaluation.judge.JudgeReport` of each evaluation.
        self.reports: list = []

    def record(self, generator: keras.Model, epoch: int = 0, step: int = 0):
        """Judge ``generator`` now (e.g. before training, as epoch 0) and append the figures; returns the report."""
        t0 = time.perf_counter()
        report = self.judge.evaluate(sample(generator, self.n, seed=self.seed), reference=self.reference)
        seconds = time.perf_counter() - t0
        row = {"epoch": int(epoch), "step": int(step), "fid": report.fid, "inception_score": report.inception_score,
               "coverage": report.coverage, "confidence": report.confidence,
               "class_counts": tuple(report.class_counts), "seconds": seconds}
        for key in HISTORY_KEYS:
            self.history[key].append(row[key])
        self.reports.append(report)
        if self.verbose:
            print(f"epoch {epoch:>3}  {report}  ({seconds:.1f}s)")
        return report

    def __call__(self, trainer, log: dict) -> None:
        if log["epoch"] % self.every == 0:
            self.record(trainer.sampler, log["epoch"], log["step"])  # the moving average, if the trainer keeps one

    @property
    def seconds(self) -> float:
        """Total time spent judging (to subtract from a training run's wall time)."""
        return float(sum(self.history["seconds"]))



def confident_latents(generator: keras.Model, judge, k: int = 1, n: int = 256, seed: int = 0,
                      digits: Sequence[int] | None = None) -> np.ndarray:
    """The ``k`` latent vectors (of ``n`` drawn with ``seed``) whose images the judge is surest of; ``(k, d)``.

    With ``digits``, one per listed digit in order (``k`` is then ignored): for each, the latent whose
    image the judge gives that digit's highest probability.
    """
    k = positive_int("k", k)
    n = positive_int("n", n)
    seed = non_negative_int("seed", seed)
    if digits is None and k > n:
        raise ValueError(f"k must be at most n={n} (pick k of n candidates), got {k}")
    z = np.random.default_rng(int(seed)).standard_normal((n, latent_dim_of(generator))).astype(np.float32)
    probs = judge.predict(generate(generator, z))
    if digits is not None:
        digits = [int(c) for c in digits]
        bad = [c for c in digits if not 0 <= c < probs.shape[1]]
        if not digits or bad:
            raise ValueError(f"digits must be a non-empty list of classes 0..{probs.shape[1] - 1}, got {digits}")
        return z[[int(np.argmax(probs[:, c])) for c in digits]]
    return z[np.argsort(-probs.max(axis=1), kind="stable")[:k]]
