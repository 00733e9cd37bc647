"""Notebook 08 (decoder reconstruction): image correction with a trained model, behind two sliders: the noise level
and the inpainting learning rate η.

* :func:`add_noise` and :func:`box_mask` make the damaged inputs (Gaussian noise, a missing rectangle).
* :func:`denoise_panel` runs a trained (denoising) autoencoder on noisy copies of some digits;
  :func:`inpaint_panel` fills a missing rectangle by gradient descent on a frozen decoder's latent
  code (:func:`helpers.training.inversion.invert` with a mask). Both return plain dicts of arrays and PSNRs;
  every PSNR here is the PSNR of the pooled MSE (:func:`helpers.evaluation.image_metrics.pooled_psnr`) over the
  digits shown (over the hole's pixels for the inpainting), so it is finite and ranks as the MSE does.
* :class:`ReconstructionLab` holds the models and the digits and caches both panels per slider value,
  so a slider move costs a forward pass (noise) or one short inversion (learning rate), never training.
* :func:`reconstruction_view` is the pure view function (a :class:`helpers.viz.scenes.View`) that tests
  call; :func:`reconstruction_explorer` wraps it in two sliders (a :class:`helpers.widgets.explorer.Explorer`).

Images are floats in ``[0, 1]``, ``N×28×28×1`` (``load_mnist(scale="0-1")``).

>>> lab = ReconstructionLab(denoiser.reconstruct, ae.decoder, x_test[:6], encode=ae.encode)  # doctest: +SKIP
>>> reconstruction_view(0.5, 0.05, lab).summary["denoised_psnr"]                             # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..checks import in_range, non_negative_int, positive_int
from ..evaluation import image_metrics
from ..training import inversion
from ..viz.images import tile
from ..viz.scenes import View
from .explorer import Explorer

#: the noise slider's range (standard deviation of the Gaussian noise, pixels in [0, 1])
NOISE_RANGE = (0.0, 1.0)
#: the learning-rate slider's range (Adam on the latent code)
LR_RANGE = (1e-3, 1.0)
#: slider values remembered per panel (each entry holds a few small image arrays)
CACHE_SIZE = 64


# --------------------------------------------------------------------------- checks


def _images(x) -> np.ndarray:
    """Float32 ``N×28×28×1`` images in ``[0, 1]`` (``N×28×28`` accepted), N >= 1; else ValueError."""
    given = np.shape(x)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or len(x) < 1:
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 28, 28, 1) with n >= 1, got {given}")
    if not np.all(np.isfinite(x)) or x.min() < -1e-3 or x.max() > 1 + 1e-3:
        raise ValueError("images must be finite floats in [0, 1] (load_mnist(scale='0-1'))")
    return np.clip(x, 0.0, 1.0)


# --------------------------------------------------------------------------- damage


def add_noise(images, noise_std: float, seed: int = 0) -> np.ndarray:
    """``clip(x + σ·ε, 0, 1)`` with ε ~ N(0, 1) drawn from ``seed`` (the same ε for every σ); float32 ``N×28×28×1``."""
    x = _images(images)
    noise_std = in_range("noise_std", noise_std, 0.0, 10.0)
    eps = np.random.default_rng(non_negative_int("seed", seed)).standard_normal(x.shape).astype(np.float32)
    return np.clip(x + noise_std * eps, 0.0, 1.0).astype(np.float32)


def box_mask(rows: tuple[int, int] = (10, 20), cols: tuple[int, int] = (4, 24), size: int = 28) -> np.ndarray:
    """A ``size×size×1`` float32 mask: 0 in the rectangle ``rows × cols`` (the unknown pixels), 1 elsewhere."""
    size = positive_int("size", size)
    for name, (lo, hi) in (("rows", rows), ("cols", cols)):
        if not (isinstance(lo, (int, np.integer)) and isinstance(hi, (int, np.integer)) and 0 <= lo < hi <= size):
            raise ValueError(f"{name} must be a pair (start, stop) of integers with 0 <= start < stop <= {size}, "
                             f"got {(lo, hi)!r}")
    if rows == (0, size) and cols == (0, size):
        raise ValueError("the rectangle must leave some pixels known, got the whole image")
    mask = np.ones((size, size, 1), np.float32)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = 0.0
    return mask


def _check_mask(mask) -> np.ndarray:
    m = np.asarray(mask, dtype=np.float32)
    if m.shape == (28, 28):
        m = m[..., None]
    if m.shape != (28, 28, 1) or not np.all((m == 0) | (m == 1)) or m.sum() == 0 or m.min() == 1:
        raise ValueError(f"mask must be a 28×28(×1) array of 0 (unknown) and 1 (known) with both present, "
                         f"got shape {np.shape(mask)}")
    return m


# --------------------------------------------------------------------------- panels


def denoise_panel(denoise: Callable, images, noise_std: float, seed: int = 0) -> dict:
    """Noisy copies of ``images`` at ``noise_std`` and ``denoise(noisy)``, with the pooled PSNR of each against
    the clean images."""
    if not callable(denoise):
        raise TypeError("denoise must be a function images -> images (e.g. trainer.reconstruct), "
                        f"got {type(denoise).__name__}")
    clean = _images(images)
    noisy = add_noise(clean, noise_std, seed)
    out = np.asarray(denoise(noisy), dtype=np.float32).reshape(clean.shape)
    return {
        "noise_std": float(noise_std),
        "clean": clean,
        "noisy": noisy,
        "denoised": out,
        "noisy_psnr": image_metrics.pooled_psnr(clean, noisy),
        "denoised_psnr": image_metrics.pooled_psnr(clean, out),
    }


def inpaint_panel(decoder, images, mask, learning_rate: float, *, steps: int = 150, z_init=None, seed: int = 0) -> dict:
    """Fill the 0s of ``mask`` by Adam descent on the latent code of the frozen ``decoder`` (known pixels only).

    Returns the masked inputs, the inpainted images (the known pixels kept, the hole from the
    decoder), the mean masked error after each step, and the PSNR inside the hole before and after
    (the pooled MSE over the hole's pixels of all the digits, in dB).
    """
    clean = _images(images)
    m = _check_mask(mask)
    learning_rate = in_range("learning_rate", learning_rate, 0.0, 10.0, strict_low=True)
    steps = positive_int("steps", steps)
    result = inversion.invert(decoder, clean, mask=m, steps=steps, learning_rate=learning_rate,
                              z_init=z_init, seed=non_negative_int("seed", seed))
    filled = clean * m + result.reconstruction * (1 - m)
    hole = m[..., 0] == 0
    return {
        "learning_rate": learning_rate,
        "clean": clean,
        "masked": clean * m,
        "decoded": result.reconstruction,
        "inpainted": filled,
        "history": result.history.mean(axis=1),
        "hole_psnr": image_metrics.pooled_psnr(clean[:, hole], filled[:, hole]),
        "masked_hole_psnr": image_metrics.pooled_psnr(clean[:, hole], (clean * m)[:, hole]),
        "known_error": float(result.errors.mean()),
    }


# --------------------------------------------------------------------------- the lab


class ReconstructionLab:
    """A trained denoiser, a frozen decoder and a few digits; the two panels cached per slider value.

    ``denoise``: images → images (``trainer.reconstruct`` of a denoising autoencoder).
    ``decoder``: the Keras decoder the inpainting inverts. ``encode``: optional images → codes, used
    to start each inversion from the code of the masked image (else from N(0, I)).
    """

    def __init__(self, denoise: Callable, decoder, images, *, mask=None, encode: Callable | None = None,
                 steps: int = 150, seed: int = 0):
        if not callable(denoise):
            raise TypeError(f"denoise must be a function images -> images, got {type(denoise).__name__}")
        if encode is not None and not callable(encode):
            raise TypeError(f"encode must be a function images -> codes (or None), got {type(encode).__name__}")
        self.denoise, self.decoder, self.encode = denoise, decoder, encode
        self.images = _images(images)
        self.mask = box_mask() if mask is None else _check_mask(mask)
        self.steps = positive_int("steps", steps)
        self.seed = non_negative_int("seed", seed)
        self.z_init = None if encode is None else np.asarray(encode(self.images * self.mask), np.float32)
        self._denoised: OrderedDict = OrderedDict()
        self._inpainted: OrderedDict = OrderedDict()

    @staticmethod
    def _cached(cache: OrderedDict, key: float, make: Callable) -> dict:
        key = round(float(key), 6)
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = cache[key] = make()
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
        return value

    def denoising(self, noise_std: float) -> dict:
        """:func:`denoise_panel` at ``noise_std`` (cached)."""
        noise_std = in_range("noise_std", noise_std, *NOISE_RANGE)
        return self._cached(self._denoised, noise_std,
                            lambda: denoise_panel(self.denoise, self.images, noise_std, self.seed))

    def inpainting(self, learning_rate: float) -> dict:
        """:func:`inpaint_panel` at ``learning_rate`` (cached)."""
        learning_rate = in_range("learning_rate", learning_rate, LR_RANGE[0], LR_RANGE[1])
        return self._cached(self._inpainted, learning_rate,
                            lambda: inpaint_panel(self.decoder, self.images, self.mask, learning_rate,
                                                  steps=self.steps, z_init=self.z_init, seed=self.seed))


def _rows(*batches: np.ndarray) -> np.ndarray:
    """Batches of ``N×28×28×1`` images as the rows of one grey picture, each image framed by a white pixel."""
    return tile(np.concatenate(batches)[..., 0], len(batches[0]), pad=2, border=1, fill=1.0)


def reconstruction_view(
    noise_std: float = 0.5, learning_rate: float = 0.05, lab: ReconstructionLab | None = None
) -> View:
    """Denoising at ``noise_std`` (clean / noisy / denoised) and inpainting at ``learning_rate``
    (masked / filled / clean + error curve)."""
    if not isinstance(lab, ReconstructionLab):
        raise TypeError(f"lab must be a ReconstructionLab, got {type(lab).__name__}")
    d = lab.denoising(noise_std)
    p = lab.inpainting(learning_rate)
    fig = Figure(figsize=(10.0, 2.9))
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.0, 0.7]})
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.88, wspace=0.32)
    ax1.imshow(_rows(d["clean"], d["noisy"], d["denoised"]), cmap="gray", vmin=0, vmax=1)
    ax1.set_title(f"σ = {d['noise_std']:.2f}: noisy {d['noisy_psnr']:.1f} dB → denoised {d['denoised_psnr']:.1f} dB",
                  fontsize=9)
    ax2.imshow(_rows(p["masked"], p["inpainted"], p["clean"]), cmap="gray", vmin=0, vmax=1)
    ax2.set_title(f"η = {p['learning_rate']:.3g}: hole {p['masked_hole_psnr']:.1f} dB → {p['hole_psnr']:.1f} dB",
                  fontsize=9)
    for ax, labels in ((ax1, ("clean", "noisy", "denoised")), (ax2, ("masked", "inpainted", "original"))):
        ax.set_xticks([])
        ax.set_yticks([15 + 30 * i for i in range(3)], labels, fontsize=8)
    h = p["history"]
    ax3.plot(np.arange(len(h)), h, color="C3")
    ax3.set_ylim(0, 1.05 * float(np.max(h)))
    ax3.set(xlabel="inversion step", title="MSE on the known pixels")
    ax3.title.set_fontsize(9)
    ax3.grid(alpha=0.3)
    summary = {"noise_std": d["noise_std"], "noisy_psnr": d["noisy_psnr"], "denoised_psnr": d["denoised_psnr"],
               "learning_rate": p["learning_rate"], "known_error": p["known_error"],
               "hole_psnr": p["hole_psnr"], "masked_hole_psnr": p["masked_hole_psnr"]}
    return View(fig, summary)


def reconstruction_explorer(lab: ReconstructionLab, noise_std: float = 0.5, learning_rate: float = 0.05) -> Explorer:
    """Two sliders over :func:`reconstruction_view`: the noise level σ and the inversion's learning rate η."""
    if not isinstance(lab, ReconstructionLab):
        raise TypeError(f"lab must be a ReconstructionLab, got {type(lab).__name__}")
    noise_std = in_range("noise_std", noise_std, *NOISE_RANGE)
    learning_rate = in_range("learning_rate", learning_rate, *LR_RANGE)
    style, layout = {"description_width": "9em"}, W.Layout(width="32em")
    controls = {
        "noise_std": W.FloatSlider(value=noise_std, min=NOISE_RANGE[0], max=NOISE_RANGE[1], step=0.05,
                                   description="noise σ", continuous_update=False, readout_format=".2f",
                                   style=style, layout=layout),
        "learning_rate": W.FloatLogSlider(value=learning_rate, base=10, min=math.log10(LR_RANGE[0]),
                                          max=math.log10(LR_RANGE[1]), step=0.25, description="inversion η",
                                          continuous_update=False, readout_format=".3g", style=style, layout=layout),
    }
    return Explorer(reconstruction_view, controls, fixed={"lab": lab})
