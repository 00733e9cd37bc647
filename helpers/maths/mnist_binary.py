"""Two-digit MNIST problems for linear classifiers: pick two classes, flatten, add a bias column, 0/1 labels."""

from __future__ import annotations

import math

import numpy as np

from ..checks import integer_from

Array = np.ndarray


def binary_digits(x, y, digits: tuple[int, int] = (3, 8), bias: bool = True) -> tuple[Array, Array]:
    """Keep the images of ``digits = (negative, positive)``; return (X, labels) with labels 0/1.

    ``x`` holds images ``(n, 28, 28)`` or flat ``(n, 784)``; X is float64 of shape ``(m, pixels + bias)``,
    with a last column of ones when ``bias`` (the intercept of a linear model).
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim < 2:
        raise ValueError(f"x must hold images of shape (n, H, W) or (n, pixels), got shape {x.shape}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},) (one label per image), got {y.shape}")
    if len(digits) != 2 or digits[0] == digits[1]:
        raise ValueError(f"digits must be two different classes (negative, positive), got {digits!r}")
    for d in digits:
        integer_from("each digit", d, 0, 9)
    keep = np.isin(y, digits)
    X = x[keep].reshape(int(keep.sum()), -1).astype(np.float64)
    labels = (y[keep] == digits[1]).astype(np.float64)
    if bias:
        X = np.hstack([X, np.ones((len(X), 1))])
    return X, labels


def weights_image(w, bias: bool = True) -> Array:
    """The pixel weights of a linear model as a square image (the bias, if present, dropped)."""
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    pixels = w[:-1] if bias else w
    side = math.isqrt(len(pixels))
    if side * side != len(pixels):
        raise ValueError(
            f"need a square number of pixel weights (e.g. 784 = 28×28{' plus a bias' if bias else ''}), "
            f"got {len(w)} weights"
        )
    return pixels.reshape(side, side)
