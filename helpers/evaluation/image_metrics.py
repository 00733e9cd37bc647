"""Image-quality figures in NumPy: mean squared error, PSNR and SSIM (Wang et al., 2004).

All three take two batches of grey images of the same shape, ``H×W`` (one image),
``N×H×W`` or ``N×H×W×1``, compare them image by image and return the mean over the batch
(or the per-image values with ``reduce=False``). ``data_range`` is the span of the pixel
values: 1 for images in ``[0, 1]``, 2 for ``[-1, 1]``, 255 for uint8.

A batch has two PSNRs, and they differ:

* :func:`psnr` is the **mean of the per-image PSNRs**, ``(1/N) Σ_i 10 log10(R² / MSE_i)``;
* :func:`pooled_psnr` is the **PSNR of the pooled MSE**, ``10 log10(R² / MSE)`` with
  ``MSE = (1/N) Σ_i MSE_i`` the mean over every pixel of the batch (:func:`mse`), so it ranks
  reconstructions exactly as the MSE does and stays finite unless every image is reproduced exactly.

Since ``−log`` is convex, Jensen's inequality gives ``psnr >= pooled_psnr``, with equality only when
every image has the same MSE. :func:`psnr_from_mse` converts MSEs to dB.

SSIM follows the paper: an 11×11 Gaussian window with σ = 1.5, ``K1 = 0.01``, ``K2 = 0.03``,
population (not sample) statistics, averaged over the windows that lie fully inside the image.
This is what ``skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=...)`` computes.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import number

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Two batches as float64 ``N×H×W`` arrays of the same shape, checked."""
    x, y = np.asarray(a), np.asarray(b)
    x = x[..., 0] if x.ndim == 4 and x.shape[-1] == 1 else x  # a channel axis of 1 is dropped
    y = y[..., 0] if y.ndim == 4 and y.shape[-1] == 1 else y
    if x.shape != y.shape:
        raise ValueError(f"images must have the same shape, got {np.shape(a)} and {np.shape(b)}")
    if x.ndim == 2:
        x, y = x[None], y[None]
    if x.ndim != 3 or x.shape[0] < 1 or min(x.shape[1:]) < 1:
        raise ValueError(f"images must have shape H×W, N×H×W or N×H×W×1 (grey, N >= 1), got {np.shape(a)}")
    for name, arr in (("a", x), ("b", y)):
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(f"images {name} must be numeric, got dtype {arr.dtype}")
    x, y = x.astype(np.float64), y.astype(np.float64)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("images must be finite, got NaN or inf values")
    return x, y


def _check_range(data_range) -> float:
    return number("data_range", data_range, 0, strict=True, note=" (1 for [0, 1], 2 for [-1, 1], 255 for uint8)")


def _reduce(values: np.ndarray, reduce: bool):
    return float(np.mean(values)) if reduce else values


def mse(a, b, reduce: bool = True):
    """Mean squared error of each image pair; the batch mean (``reduce``) or an ``N`` array."""
    x, y = _pair(a, b)
    return _reduce(np.mean((x - y) ** 2, axis=(1, 2)), reduce)


def psnr_from_mse(mse_value, data_range: float = 1.0):
    """``10 log10(range² / MSE)`` in dB for one MSE (a float) or an array of them (inf where the MSE is 0)."""
    data_range = _check_range(data_range)
    errors = np.asarray(mse_value, dtype=np.float64)
    if not np.all(np.isfinite(errors)) or np.any(errors < 0):
        raise ValueError(f"mse_value must be finite and >= 0, got {mse_value!r}")
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(data_range**2 / errors)
    return float(values) if values.ndim == 0 else values


def psnr(a, b, data_range: float = 1.0, reduce: bool = True):
    """The MEAN OF THE PER-IMAGE PSNRs, ``(1/N) Σ_i 10 log10(range² / MSE_i)`` in dB (or the ``N`` values).

    Inf for an image reproduced exactly (and then for the mean). Not the PSNR of the pooled MSE:
    that is :func:`pooled_psnr`, never larger than this mean (Jensen's inequality).
    """
    data_range = _check_range(data_range)
    return _reduce(psnr_from_mse(mse(a, b, reduce=False), data_range), reduce)


def pooled_psnr(a, b, data_range: float = 1.0) -> float:
    """The PSNR OF THE POOLED MSE, ``10 log10(range² / mse(a, b))`` in dB: the MSE over every pixel of the batch."""
    data_range = _check_range(data_range)
    return psnr_from_mse(mse(a, b), data_range)


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """The 1-D Gaussian weights (``size`` taps, odd, summing to 1) that SSIM's window is built from."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1 or size % 2 == 0:
        raise ValueError(f"size must be an odd positive integer, got {size!r}")
    if not (isinstance(sigma, (int, float, np.floating)) and sigma > 0):
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    r = np.arange(size, dtype=np.float64) - (size - 1) / 2
    w = np.exp(-(r**2) / (2.0 * sigma**2))
    return w / w.sum()


def _filter_valid(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Separable 2-D filtering of ``N×H×W`` with ``w`` along H and W, keeping only fully covered positions."""
    k = len(w)
    x = np.lib.stride_tricks.sliding_window_view(x, k, axis=1) @ w  # N×(H-k+1)×W
    return np.lib.stride_tricks.sliding_window_view(x, k, axis=2) @ w  # N×(H-k+1)×(W-k+1)


def ssim_map(a, b, data_range: float = 1.0) -> np.ndarray:
    """The local SSIM values (``N×(H−10)×(W−10)``) of each image pair, Gaussian window 11, σ 1.5."""
    data_range = _check_range(data_range)
    x, y = _pair(a, b)
    if min(x.shape[1:]) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}×{SSIM_WINDOW} pixels, "
                         f"got {x.shape[1]}×{x.shape[2]}")
    w = gaussian_window()
    mu_x, mu_y = _filter_valid(x, w), _filter_valid(y, w)
    var_x = _filter_valid(x * x, w) - mu_x**2
    var_y = _filter_valid(y * y, w) - mu_y**2
    cov = _filter_valid(x * y, w) - mu_x * mu_y
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def ssim(a, b, data_range: float = 1.0, reduce: bool = True):
    """Structural similarity (Wang et al. 2004) of each image pair, 1 when identical; the batch mean or per image."""
    return _reduce(ssim_map(a, b, data_range).mean(axis=(1, 2)), reduce)


def reconstruction_report(original, reconstruction, data_range: float = 1.0) -> dict[str, float]:
    """``{"mse", "psnr", "pooled_psnr", "ssim", "n"}``: the batch means of MSE, per-image PSNR and SSIM,
    the PSNR of the pooled MSE (:func:`pooled_psnr`), and the number of images."""
    x, y = _pair(original, reconstruction)
    return {
        "mse": mse(x, y),
        "psnr": psnr(x, y, data_range),
        "pooled_psnr": pooled_psnr(x, y, data_range),
        "ssim": ssim(x, y, data_range),
        "n": len(x),
    }
