"""Classifier guidance for the diffusion model (notebook 10 §5): gradient ascent on log p(y | x) inside the sampler.

Bayes' rule splits the score of the images of one class y into the unconditional score and a classifier's
gradient, ∇ log p(x | y) = ∇ log p(x) + ∇ log p(y | x). Dhariwal & Nichol (2021) scale the second term by γ and,
since the noise prediction is the score times −√(1 − ᾱₜ), sample with

    ε̂_guided = ε̂ − γ √(1 − ᾱₜ) ∇ log p(y | ·).

Their classifier is trained on noisy images. The series' judge knows only clean digits, so here it is asked about
x̂₀, the clean image the network predicts at each step, and its gradient with respect to x̂₀ stands in for the
gradient at xₜ: the same gradient activation maximisation (notebook 09 §3) climbs, taken once per sampling step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import count, non_negative, non_negative_int
from helpers.maths.diffusion import ddim_sample
from helpers.models.shapes import IMAGE_SHAPE
from helpers.training.inversion import class_logits, value_and_grad

__all__ = ["log_prob_gradient", "guided_sample"]


def log_prob_gradient(classifier: keras.Model, digits) -> Callable:
    """``x -> (log p(yᵢ | xᵢ) per image, ∇ₓ Σᵢ log p(yᵢ | xᵢ))`` for images ``x`` (n, 28, 28, 1) in [−1, 1] and the
    fixed labels ``digits`` (n,), from ``classifier``'s logits (the judge's model, or any model of logits)."""
    y = np.asarray(digits)
    if y.ndim != 1 or len(y) == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9:
        raise ValueError(f"digits must be a non-empty list of integers from 0 to 9, got {digits!r}")
    logits = class_logits(classifier)
    picked = keras.ops.one_hot(keras.ops.convert_to_tensor(y, "int32"), 10)

    def log_probs(x):
        per_image = keras.ops.sum(keras.ops.log_softmax(logits(x), axis=-1) * picked, axis=-1)
        return keras.ops.sum(per_image), per_image

    grad = value_and_grad(log_probs)

    def fn(x):
        (_, per_image), g = grad(np.asarray(x, dtype=np.float32))
        return keras.ops.convert_to_numpy(per_image), keras.ops.convert_to_numpy(g).astype(np.float64)

    return fn


def guided_sample(trainer, classifier: keras.Model, digits, scale: float = 1.0, seed: int = 0,
                  steps: int = 25) -> np.ndarray:
    """One image per entry of ``digits`` by DDIM from noise seeded by ``seed``, each steered towards its digit with
    guidance scale ``scale`` (γ; 0: the unguided sampler, the same images as ``trainer.sample``). ``trainer``: a
    :class:`helpers.training.diffusion.DiffusionTrainer`. Floats in [−1, 1], (n, 28, 28, 1)."""
    scale = non_negative("scale", scale)
    seed = non_negative_int("seed", seed)
    schedule = trainer.schedule
    steps = count("steps", steps, 1, schedule.steps)
    gradient = log_prob_gradient(classifier, digits)
    n = len(np.asarray(digits))

    def eps(x, t):
        e = trainer.predict_noise(x, t)
        if scale == 0:
            return e
        x0 = np.clip(schedule.predict_x0(x, t, e), -1.0, 1.0)
        return e - scale * np.sqrt(1.0 - schedule.alpha_bars[t]) * gradient(x0)[1]

    x_T = np.random.default_rng(seed).standard_normal((n, *IMAGE_SHAPE)).astype(np.float32)
    return np.clip(ddim_sample(eps, x_T, schedule, steps), -1.0, 1.0).astype(np.float32)
