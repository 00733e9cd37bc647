"""Denoising score matching on points (notebook 10): learn ∇ₓ log p_σ from samples of p alone.

Vincent (2011): for x̃ = x + σε, the score of the Gaussian that made x̃ is ∇ log q(x̃ | x) = −ε/σ, and
minimising E‖s(x̃, σ) + ε/σ‖² over s gives s(·, σ) = ∇ log p_σ, the score of the data convolved with
N(0, σ²I). Weighted by σ² as in Song & Ermon (2019), the loss is E‖σ s(x̃, σ) + ε‖², of the same size at every
noise level. :func:`dsm_loss` is that loss; :func:`fit_score` trains a noise-conditional network
(:func:`helpers.models.score.build_toy_score_model`) on it, σ drawn per sample from the given levels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import count, positive_int, rate_or_schedule
from helpers.training import engine

__all__ = ["dsm_loss", "fit_score", "predict_score"]


def dsm_loss(model: keras.Model, x, sigma, eps):
    """The mean over samples of ``‖σ·model([x + σε, σ]) + ε‖²`` (points ``x`` and noise ``eps`` (n, d), ``sigma``
    (n, 1))."""
    ops = keras.ops
    s = model([x + sigma * eps, sigma], training=True)
    return ops.mean(ops.sum(ops.square(sigma * s + eps), axis=1))


def fit_score(model: keras.Model, sample: Callable[[int, np.random.Generator], np.ndarray], sigmas: Sequence[float],
              steps: int, batch_size: int = 256, learning_rate=1e-3, seed: int = 0) -> np.ndarray:
    """``steps`` Adam steps of :func:`dsm_loss` on fresh batches ``sample(batch_size, rng)``, each point with a σ
    drawn from ``sigmas``; returns the loss of every step."""
    sigmas = np.asarray(sigmas, dtype=np.float32)
    if sigmas.ndim != 1 or len(sigmas) == 0 or not np.all(sigmas > 0):
        raise ValueError(f"sigmas must be a non-empty list of positive noise levels, got {sigmas!r}")
    steps, batch_size = count("steps", steps, 1), positive_int("batch_size", batch_size)
    dim = int(model.inputs[0].shape[-1])
    optimizer = keras.optimizers.Adam(rate_or_schedule("learning_rate", learning_rate))
    step = engine.compile_step(lambda b: dsm_loss(model, b[:, :dim], b[:, dim:dim + 1], b[:, dim + 1:]), [model],
                               optimizer, input_shape=(2 * dim + 1,))
    rng = np.random.default_rng(seed)
    losses = np.empty(steps)
    pending = []
    for i in range(steps):
        x = np.asarray(sample(batch_size, rng), dtype=np.float32)
        if x.shape != (batch_size, dim):
            raise ValueError(f"sample(n, rng) must return points of shape ({batch_size}, {dim}), got {x.shape}")
        sigma = rng.choice(sigmas, size=(batch_size, 1))
        pending.append(step(np.concatenate([x, sigma, rng.standard_normal((batch_size, dim))], axis=1)))
        if len(pending) == 100 or i == steps - 1:  # read the losses in blocks, not after every step
            losses[i + 1 - len(pending):i + 1] = keras.ops.convert_to_numpy(keras.ops.stack(pending))
            pending.clear()
    return losses


def predict_score(model: keras.Model, x, sigma: float, batch_size: int = 4096) -> np.ndarray:
    """The network's score at points ``x`` (n, d) for one noise level ``sigma``."""
    x = np.asarray(x, dtype=np.float32)
    s = np.full((len(x), 1), sigma, dtype=np.float32)
    return np.concatenate([keras.ops.convert_to_numpy(model([x[i:i + batch_size], s[i:i + batch_size]]))
                           for i in range(0, len(x), batch_size)])
