"""Notebook 09 (gradient ascent on images): a slider widget over latent inversion, gradient descent on ``z`` so
that a frozen decoder's ``decoder(z)`` matches a few digits.

:func:`inversion_view` is the pure function: it runs :func:`helpers.training.inversion.invert` on a few
target images with a given learning rate and number of steps, and returns a
:class:`helpers.viz.scenes.View` (targets over reconstructions, and the error against the step).
Tests call it directly; :func:`inversion_explorer` wraps it in a :class:`helpers.widgets.explorer.Explorer`
with a logarithmic learning-rate slider and a steps slider.

>>> view = inversion_view(decoder, x_test[:4], learning_rate=0.05, steps=30)   # doctest: +SKIP
>>> view.summary["final_mse"] < view.summary["start_mse"]                      # doctest: +SKIP
True
"""

from __future__ import annotations

import ipywidgets as W
import keras
import numpy as np
from matplotlib.figure import Figure

from ..checks import in_range, integer_from
from ..training import inversion
from ..viz.scenes import View
from .explorer import Explorer

#: most target images one view inverts (a slider move must redraw in seconds on a CPU).
MAX_TARGETS = 8
#: most steps one view runs.
MAX_STEPS = 500
#: learning rates a view accepts: (0, MAX_LR].
MAX_LR = 10.0


def _check_targets(decoder, targets) -> np.ndarray:
    if not isinstance(decoder, keras.Model):
        raise TypeError(f"decoder must be a keras.Model, got {type(decoder).__name__}")
    out_shape = tuple(decoder.outputs[0].shape[1:])
    x = np.asarray(targets, dtype=np.float32)
    if x.ndim == len(out_shape) and x.shape[1:] == out_shape[:-1] and out_shape[-1] == 1:
        x = x[..., None]  # (n, H, W) -> (n, H, W, 1)
    if x.ndim != len(out_shape) + 1 or x.shape[1:] != out_shape or not 1 <= len(x) <= MAX_TARGETS:
        raise ValueError(f"targets must have shape (n, *{out_shape}) (or without the channel axis) with "
                         f"1 <= n <= {MAX_TARGETS}, got {np.shape(targets)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("targets must be finite, got NaN or inf values")
    return x


def inversion_view(decoder: keras.Model, targets, learning_rate: float = 0.05, steps: int = 30,
                   seed: int = 0) -> View:
    """Invert ``targets`` through the frozen ``decoder`` (Adam on ``z``, from ``N(0, I)``): targets, reconstructions,
    MSE per step.

    The summary holds ``start_mse`` and ``final_mse`` (mean over the targets), ``psnr`` (dB, for
    images in [0, 1]) and ``learning_rate`` / ``steps`` as given.
    """
    x = _check_targets(decoder, targets)
    learning_rate = in_range("learning_rate", learning_rate, 0, MAX_LR, strict_low=True)
    steps = integer_from("steps", steps, 1, MAX_STEPS)
    result = inversion.invert(decoder, x, steps=steps, learning_rate=learning_rate, seed=seed)
    curve = result.history.mean(axis=1)
    final = float(curve[-1])
    summary = {"learning_rate": learning_rate, "steps": steps, "start_mse": float(curve[0]), "final_mse": final,
               "psnr": float(10 * np.log10(1.0 / max(final, 1e-12)))}

    n = len(x)
    fig = Figure(figsize=(8.0, 3.0))
    grid = fig.add_gridspec(2, n + 3, left=0.02, right=0.98, bottom=0.16, top=0.86, wspace=0.15, hspace=0.25)
    for i in range(n):
        for row, (images, label) in enumerate(((x, "target"), (result.reconstruction, "decoder(z)"))):
            ax = fig.add_subplot(grid[row, i])
            ax.imshow(images[i, ..., 0], cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(label, fontsize=8)
    ax = fig.add_subplot(grid[:, n + 1:])
    ax.plot(np.arange(steps + 1), curve, lw=2)
    ax.set_ylim(0.0, 1.05 * float(np.max(curve)))  # linear, from 0: a flat curve (too small a step) shows as flat
    ax.set_xlabel("step t", fontsize=8)
    ax.set_title("mean squared error", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    fig.suptitle(f"descent on z: η = {learning_rate:.3g}, {steps} steps, PSNR {summary['psnr']:.1f} dB", fontsize=10)
    return View(fig, summary)


def inversion_explorer(decoder: keras.Model, targets, learning_rate: float = 0.05, steps: int = 30,
                       seed: int = 0) -> Explorer:
    """A log slider for the learning rate and a steps slider over :func:`inversion_view` (redraws on release)."""
    x = _check_targets(decoder, targets)
    learning_rate = in_range("learning_rate", learning_rate, 0, MAX_LR, strict_low=True)
    steps = integer_from("steps", steps, 1, MAX_STEPS)
    style = {"description_width": "6em"}
    return Explorer(inversion_view, dict(
        learning_rate=W.FloatLogSlider(value=learning_rate, base=10, min=-3, max=1, step=0.25, continuous_update=False,
                                       readout_format=".3f", description="η (on z)", style=style),
        steps=W.IntSlider(value=steps, min=5, max=100, step=5, continuous_update=False, description="steps",
                          style=style),
    ), fixed=dict(decoder=decoder, targets=x, seed=seed))
