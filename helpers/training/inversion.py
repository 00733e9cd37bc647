"""Gradients with respect to the INPUT of a frozen network: latent inversion, activation maximisation, attacks.

The weights never change here; only the input moves.

* :func:`invert`: gradient DESCENT on a latent code ``z`` so that ``decoder(z)`` matches a target
  image, ``min_z mean(mask · (decoder(z) − x)²) + λ‖z‖²`` (Adam on ``z``, several random restarts,
  the best kept per image; a mask of 0s leaves pixels out, which is inpainting).
* :func:`maximize_activation`: gradient ASCENT on the pixels of an image to raise one class score
  of a classifier, ``max_x score_c(x) − λ‖x‖²``, with optional blur and jitter regularisation.
* :func:`fgsm` and :func:`pgd`: gradient ASCENT on the classifier's loss within an ε-ball around
  the image (L∞), clipped to the valid pixel range: adversarial examples.
* :func:`linear_attack`: for a *linear* classifier the worst case in that box is known in closed
  form, so what any attack can reach there is computed exactly (a yardstick for PGD).

:func:`value_and_grad` is the only backend-specific code (TensorFlow: a ``GradientTape``; JAX: ``jax.value_and_grad``).

(About 450 lines: the three climbs share that function, the image checks and the value range, and notebook
09 reads them side by side.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import non_negative_int, number, positive_int

OBJECTIVES = ("logit", "log_prob")


# --------------------------------------------------------------------------- backend-specific


def value_and_grad(fn: Callable) -> Callable:
    """Compile ``x -> (fn(x), ∇ₓ scalar)`` for the backend, where ``fn`` returns a scalar or ``(scalar, aux)``.

    The gradient of a network's output with respect to its *input* (the weights stay fixed): what
    every function here ascends or descends, and what a hand-written attack needs.

    TensorFlow: a ``GradientTape`` inside ``tf.function`` (traced once per input shape).
    JAX: ``jax.jit(jax.value_and_grad(...))``; the frozen network's weights enter as constants.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def scalar_and_value(x):
            value = fn(x)
            return (value[0] if isinstance(value, tuple) else value), value

        grad = jax.jit(jax.value_and_grad(scalar_and_value, has_aux=True))

        def value_and_grad(x):
            (_, value), g = grad(jnp.asarray(x, jnp.float32))
            return value, g

        return value_and_grad
    if backend != "tensorflow":
        raise NotImplementedError(
            f"helpers.training.inversion supports the tensorflow and jax backends, got {backend!r}")
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = fn(x)
        scalar = value[0] if isinstance(value, tuple) else value
        return value, tape.gradient(scalar, x)

    return lambda x: value_and_grad(tf.convert_to_tensor(x, tf.float32))


# --------------------------------------------------------------------------- checks


def _value_range(value_range) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be a pair (low, high) of numbers, got {value_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"value_range must be a pair (low, high) with low < high, got {value_range!r}")
    return lo, hi


def _images(name: str, x, shape: tuple) -> np.ndarray:
    """Float32 images shaped ``N × shape`` (a single image, or a missing channel axis of 1, is accepted)."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape == shape:
        x = x[None]
    elif x.shape == shape[:-1] and shape[-1] == 1:
        x = x[None, ..., None]
    elif x.ndim == len(shape) and x.shape[1:] == shape[:-1] and shape[-1] == 1:
        x = x[..., None]
    if x.ndim != len(shape) + 1 or x.shape[1:] != shape or len(x) < 1:
        raise ValueError(f"{name} must have shape {shape}, (n, *{shape}) or without the channel axis, "
                         f"got {np.shape(x)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite, got NaN or inf values")
    return x


def _model_shape(model) -> tuple:
    shape = tuple(model.inputs[0].shape[1:])
    if any(d is None for d in shape):
        raise ValueError(f"the model's input shape must be fully known, got {shape}")
    return shape


# --------------------------------------------------------------------------- latent inversion


@dataclass
class Inversion:
    """What :func:`invert` found, per image: the best restart's code, its image and its error curve."""

    #: the latent codes, ``N×latent_dim``.
    z: np.ndarray
    #: ``decoder(z)``, ``N×H×W×C``.
    reconstruction: np.ndarray
    #: the final masked mean squared error of each image, ``N``.
    errors: np.ndarray
    #: the masked mean squared error after each step (row 0: before the first), ``(steps + 1)×N``.
    history: np.ndarray
    #: the final error of every restart, ``restarts×N`` (the best one per column was kept).
    restart_errors: np.ndarray


def invert(
    decoder: keras.Model,
    target,
    *,
    steps: int = 200,
    learning_rate: float = 0.05,
    restarts: int = 1,
    mask=None,
    z_init=None,
    z_penalty: float = 0.0,
    seed: int = 0,
) -> Inversion:
    """Find ``z`` with ``decoder(z) ≈ target`` by Adam descent on ``z`` (decoder frozen); best of ``restarts``
    per image.

    ``target``: images in the decoder's output range, ``(n, *output_shape)`` (or one image).
    ``mask``: 1 where a pixel counts, 0 where it is unknown (inpainting), broadcastable to the target.
    ``z_init``: starting codes ``(n, latent)`` (the first restart starts there, others at N(0, I)).
    ``z_penalty``: weight of ``mean(z²)``, which keeps ``z`` near the prior (useful for a GAN generator).
    """
    steps = positive_int("steps", steps)
    restarts = positive_int("restarts", restarts)
    learning_rate = number("learning_rate", learning_rate, 0, strict=True)
    z_penalty = number("z_penalty", z_penalty, 0)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    out_shape = tuple(decoder.outputs[0].shape[1:])
    latent = int(decoder.inputs[0].shape[-1])
    x = _images("target", target, out_shape)
    n = len(x)
    if mask is None:
        m = np.ones_like(x)
    else:
        m = np.asarray(mask, dtype=np.float32)
        if m.shape == out_shape[:-1] or (m.ndim == x.ndim - 1 and m.shape == x.shape[:-1]):
            m = m[..., None]
        try:
            m = np.broadcast_to(m, x.shape).astype(np.float32)
        except ValueError:
            raise ValueError(f"mask must broadcast to the target's shape {x.shape}, got {np.shape(mask)}") from None
        if not np.all((m == 0) | (m == 1)):
            raise ValueError("mask must hold only 0 (unknown pixel) and 1 (known pixel)")
        if np.any(m.reshape(n, -1).sum(axis=1) == 0):
            raise ValueError("mask leaves no known pixel in at least one image")
    z0 = rng.standard_normal((restarts, n, latent)).astype(np.float32)
    if z_init is not None:
        zi = np.asarray(z_init, dtype=np.float32)
        if zi.shape != (n, latent) or not np.all(np.isfinite(zi)):
            raise ValueError(f"z_init must be finite with shape ({n}, {latent}), got {zi.shape}")
        z0[0] = zi

    ops = keras.ops
    xt = ops.convert_to_tensor(np.tile(x, (restarts,) + (1,) * (x.ndim - 1)))
    mt = ops.convert_to_tensor(np.tile(m, (restarts,) + (1,) * (m.ndim - 1)))
    counts = ops.sum(ops.reshape(mt, (restarts * n, -1)), axis=1)

    def per_image(z):
        diff = ops.reshape(mt * ops.square(decoder(z, training=False) - xt), (restarts * n, -1))
        return ops.sum(diff, axis=1) / counts

    def objective(z):  # a sum over images: every code gets its own gradient
        errs = per_image(z)
        return ops.sum(errs) + z_penalty * ops.sum(ops.mean(ops.square(z), axis=1)), errs

    z = z0.reshape(restarts * n, latent)
    m1, v1 = np.zeros_like(z), np.zeros_like(z)
    b1, b2, eps = 0.9, 0.999, 1e-8
    history = np.empty((steps + 1, restarts * n))
    step = value_and_grad(objective)
    for t in range(1, steps + 1):
        (_, errs), g = step(z)
        history[t - 1] = ops.convert_to_numpy(errs)
        g = ops.convert_to_numpy(g)
        m1 = b1 * m1 + (1 - b1) * g
        v1 = b2 * v1 + (1 - b2) * g * g
        z = z - learning_rate * (m1 / (1 - b1**t)) / (np.sqrt(v1 / (1 - b2**t)) + eps)  # Adam: descent on z
    final = ops.convert_to_numpy(per_image(ops.convert_to_tensor(z)))
    history[steps] = final
    restart_errors = final.reshape(restarts, n)
    best = restart_errors.argmin(axis=0)
    pick = best * n + np.arange(n)
    z_best = z[pick]
    recon = ops.convert_to_numpy(decoder(ops.convert_to_tensor(z_best), training=False))
    return Inversion(z=z_best, reconstruction=recon, errors=final[pick], history=history[:, pick],
                     restart_errors=restart_errors)


# --------------------------------------------------------------------------- classifier scores


def class_logits(model) -> Callable:
    """A function ``x -> logits (N×classes)`` for ``model``: its own output, or the pre-softmax scores.

    A model whose last layer is a Dense with softmax activation (such as the judge, whose outputs
    are ``[features, probs]``) is read up to that layer and the Dense applied without the softmax;
    any other model (``helpers.models.build_classifier``) is assumed to output logits already.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense) and last.activation is keras.activations.softmax:
        trunk = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs, last.input)

        def logits(x):
            return keras.ops.matmul(trunk(x, training=False), last.kernel) + last.bias

        return logits
    if len(model.outputs) != 1:
        raise ValueError(f"model must output logits (one output) or end in a softmax Dense layer; "
                         f"it has {len(model.outputs)} outputs and ends in {last.name!r}")
    return lambda x: model(x, training=False)


def predict_labels(model, x, batch_size: int = 1000) -> np.ndarray:
    """The classifier's predicted class of each image, ``N`` integers."""
    score = class_logits(model)
    x = _images("x", x, _model_shape(model))
    batch_size = positive_int("batch_size", batch_size)
    return np.concatenate([keras.ops.convert_to_numpy(score(x[i:i + batch_size])).argmax(axis=1)
                           for i in range(0, len(x), batch_size)])


# --------------------------------------------------------------------------- activation maximisation


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``N×H×W×C`` images (separable, reflected borders), NumPy."""
    radius = max(1, math.ceil(3 * sigma))
    r = np.arange(-radius, radius + 1)
    w = np.exp(-(r**2) / (2 * sigma**2))
    w /= w.sum()
    for axis in (1, 2):
        pad = [(0, 0)] * x.ndim
        pad[axis] = (radius, radius)
        xp = np.pad(x, pad, mode="reflect")
        x = np.lib.stride_tricks.sliding_window_view(xp, 2 * radius + 1, axis=axis) @ w
    return x.astype(np.float32)


@dataclass
class Ascent:
    """What :func:`maximize_activation` made: the images and the target score along the way."""

    #: the images, ``N×H×W×C`` in ``value_range``.
    images: np.ndarray
    #: the target class of each image, ``N``.
    targets: np.ndarray
    #: the target score (logit or log-probability) of each image after each step (row 0: the start), ``(steps + 1)×N``.
    history: np.ndarray
    #: the classifier's softmax probability of the target class at the end, ``N``.
    probabilities: np.ndarray


def maximize_activation(
    model,
    target_class,
    *,
    steps: int = 200,
    learning_rate: float = 0.1,
    l2: float = 1e-3,
    blur_every: int = 0,
    blur_sigma: float = 0.5,
    jitter: int = 0,
    objective: str = "logit",
    init=None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    seed: int = 0,
) -> Ascent:
    """Gradient ASCENT on the pixels: ``x ← clip(x + lr · ∇(score_c(x) − l2·mean(x²)))``, one image per class given.

    ``target_class``: an int or a sequence of ints (one image each). ``objective``: ``"logit"``
    (the pre-softmax score) or ``"log_prob"`` (log-softmax, which also pushes the other classes down).
    Regularisers: ``l2`` (small, plain images), ``blur_every`` k steps a Gaussian blur of ``blur_sigma``
    pixels (smooth strokes), ``jitter`` (shift the image by up to that many pixels before each gradient,
    so the picture must work at every offset). ``init``: starting images (default: the middle grey
    plus a little noise). The gradient step is normalised per image (divided by its mean absolute value).
    """
    steps = positive_int("steps", steps)
    learning_rate = number("learning_rate", learning_rate, 0, strict=True)
    l2 = number("l2", l2, 0)
    blur_every = non_negative_int("blur_every", blur_every, " (0: no blur)")
    blur_sigma = number("blur_sigma", blur_sigma, 0, strict=True)
    jitter = non_negative_int("jitter", jitter, " (pixels)")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    lo, hi = _value_range(value_range)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    score = class_logits(model)
    shape = _model_shape(model)
    targets = np.atleast_1d(np.asarray(target_class))
    n_classes = int(keras.ops.convert_to_numpy(score(np.zeros((1, *shape), np.float32))).shape[-1])
    if (targets.ndim != 1 or not np.issubdtype(targets.dtype, np.integer)
            or np.any(targets < 0) or np.any(targets >= n_classes)):
        raise ValueError(f"target_class must be an int or ints from 0 to {n_classes - 1}, got {target_class!r}")
    n = len(targets)
    if init is None:
        x = ((lo + hi) / 2 + 0.01 * (hi - lo) * rng.standard_normal((n, *shape))).astype(np.float32)
    else:
        x = _images("init", init, shape)
        if len(x) != n:
            raise ValueError(f"init must hold one image per target class ({n}), got {len(x)}")
    x = np.clip(x, lo, hi)
    onehot = keras.ops.one_hot(keras.ops.convert_to_tensor(targets.astype(np.int32)), n_classes)

    def target_score(xx):
        logits = score(xx)
        if objective == "log_prob":
            logits = keras.ops.log_softmax(logits, axis=-1)
        return keras.ops.sum(logits * onehot, axis=-1)

    def regularised(xx):  # the objective that is ASCENDED
        score = keras.ops.sum(target_score(xx))
        return score - l2 * keras.ops.sum(keras.ops.mean(keras.ops.square(xx), axis=(1, 2, 3)))

    history = np.empty((steps + 1, n))
    history[0] = keras.ops.convert_to_numpy(target_score(x))
    step = value_and_grad(regularised)
    for t in range(1, steps + 1):
        dy, dx = (rng.integers(-jitter, jitter + 1, 2) if jitter else (0, 0))
        shifted = np.roll(x, (dy, dx), axis=(1, 2))
        _, g = step(shifted)
        g = np.roll(keras.ops.convert_to_numpy(g), (-dy, -dx), axis=(1, 2))
        g = g / (np.mean(np.abs(g), axis=(1, 2, 3), keepdims=True) + 1e-12)
        x = np.clip(x + learning_rate * g, lo, hi)  # ASCENT: plus the gradient
        if blur_every and t % blur_every == 0:
            x = np.clip(_blur(x, blur_sigma), lo, hi)
        history[t] = keras.ops.convert_to_numpy(target_score(x))
    probs = keras.ops.convert_to_numpy(keras.ops.softmax(score(x), axis=-1))
    return Ascent(images=x, targets=targets, history=history, probabilities=probs[np.arange(n), targets])


# --------------------------------------------------------------------------- adversarial examples


def _labels(y, n: int) -> np.ndarray:
    y = np.atleast_1d(np.asarray(y))
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or np.any(y < 0):
        raise ValueError(f"y must hold {n} non-negative integer labels, got shape {y.shape} and dtype {y.dtype}")
    return y.astype(np.int32)


def _loss_gradient(score: Callable, y: np.ndarray) -> Callable:
    """A function ``x -> ∇ₓ`` of the summed cross-entropy of the classifier's logits against the labels ``y``."""

    def loss(xx):
        return keras.ops.sum(keras.losses.sparse_categorical_crossentropy(y, score(xx), from_logits=True))

    grad = value_and_grad(loss)
    return lambda x: keras.ops.convert_to_numpy(grad(x)[1])


def _attack_args(model, x, y, epsilon, value_range):
    epsilon = number("epsilon", epsilon, 0)
    lo, hi = _value_range(value_range)
    x = _images("x", x, _model_shape(model))
    if float(x.min()) < lo - 1e-4 or float(x.max()) > hi + 1e-4:
        raise ValueError(f"x must lie in value_range {(lo, hi)}, "
                         f"got values from {float(x.min()):.4g} to {float(x.max()):.4g}")
    return class_logits(model), x, _labels(y, len(x)), epsilon, lo, hi


def fgsm(model, x, y, epsilon: float, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Fast gradient sign method: ``clip(x + ε · sign(∇ₓ loss(model(x), y)))``, one ascent step on the loss."""
    score, x, y, epsilon, lo, hi = _attack_args(model, x, y, epsilon, value_range)
    return np.clip(x + epsilon * np.sign(_loss_gradient(score, y)(x)), lo, hi).astype(np.float32)


def pgd(
    model,
    x,
    y,
    epsilon: float,
    *,
    steps: int = 10,
    step_size: float | None = None,
    random_start: bool = True,
    value_range: tuple[float, float] = (-1.0, 1.0),
    seed: int = 0,
) -> np.ndarray:
    """Projected gradient descent (Madry et al.): ``steps`` signed ascent steps on the loss, each projected
    back onto the L∞ ball of radius ``epsilon`` around ``x`` and clipped to ``value_range``.

    ``step_size`` defaults to ``2.5 · ε / steps``; ``random_start`` begins at a uniform point of the ball.
    """
    score, x, y, epsilon, lo, hi = _attack_args(model, x, y, epsilon, value_range)
    steps = positive_int("steps", steps)
    alpha = 2.5 * epsilon / steps if step_size is None else number("step_size", step_size, 0, strict=True)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    adv = x.copy()
    if random_start and epsilon > 0:
        adv = np.clip(x + rng.uniform(-epsilon, epsilon, x.shape).astype(np.float32), lo, hi)
    gradient = _loss_gradient(score, y)
    for _ in range(steps):
        adv = adv + alpha * np.sign(gradient(adv))  # ASCENT on the loss
        adv = np.clip(np.clip(adv, x - epsilon, x + epsilon), lo, hi)  # project on the ε-ball, then the pixel range
    return adv.astype(np.float32)


def linear_attack(kernel, bias, x, y, epsilon: float, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Which images an L∞ attack of radius ``epsilon`` can misclassify, exactly, for logits ``x·W + b``.

    The logit margin s_y − s_k is linear in the pixels, so over the box
    ``max(lo, x − ε) ≤ x' ≤ min(hi, x + ε)`` its smallest value puts every pixel at the end of its
    interval that ``w_k − w_y`` points to. An image can be broken iff that smallest margin is
    at most zero (a tie counts as broken) for some class k ≠ y. Returns a boolean array (True: some perturbation
    in the box flips the prediction; also True for images already misclassified).
    """
    W = np.asarray(kernel, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64).reshape(-1)
    epsilon = number("epsilon", epsilon, 0)
    lo, hi = _value_range(value_range)
    x = np.asarray(x, dtype=np.float64)
    if W.ndim != 2 or b.shape != (W.shape[1],):
        raise ValueError(f"kernel must be (pixels, classes) and bias (classes,), got {W.shape} and {b.shape}")
    x = x.reshape(len(x), -1)
    if x.shape[1] != W.shape[0]:
        raise ValueError(f"x has {x.shape[1]} pixels per image, the kernel {W.shape[0]}")
    y = _labels(y, len(x))
    if np.any(y >= W.shape[1]):
        raise ValueError(f"labels must be < {W.shape[1]} (the number of classes), got {int(y.max())}")
    down, up = np.maximum(lo, x - epsilon) - x, np.minimum(hi, x + epsilon) - x   # each pixel's room, ≤ 0 and ≥ 0
    margins = (x @ W + b)[np.arange(len(x)), y][:, None] - (x @ W + b)         # s_y − s_k for every k
    broken = np.zeros(len(x), dtype=bool)
    for k in range(W.shape[1]):
        d = W[:, k][None, :] - W[:, y].T                                          # w_k − w_y per image
        gain = np.sum(np.maximum(down * d, up * d), axis=1)                      # the most s_k − s_y can rise
        broken |= (k != y) & (margins[:, k] <= gain)
    return broken
