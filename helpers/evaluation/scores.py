"""The judge's figures in plain NumPy: the Fréchet distance (FID formula), the Inception Score, class coverage.

Each takes arrays (features or class probabilities) and checks them; :mod:`helpers.evaluation.judge`
computes them on its CNN's outputs.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def _as_features(name: str, feats) -> np.ndarray:
    f = np.asarray(feats, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2 or f.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (n_samples >= 2, n_features >= 1), got shape {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name} must be finite, got NaN or inf values")
    return f



def gaussian_stats(feats) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (``n - 1`` normalised) of an ``N×D`` feature array, in float64."""
    f = _as_features("feats", feats)
    return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])



def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (small negative eigenvalues clipped to 0)."""
    w, v = np.linalg.eigh((a + a.T) / 2.0)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T



def frechet_distance_from_stats(mu_a, sigma_a, mu_b, sigma_b) -> float:
    """Fréchet distance of two Gaussians: ``‖μa−μb‖² + tr(Σa + Σb − 2 (Σa Σb)^½)`` (never below 0)."""
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    sigma_a, sigma_b = np.asarray(sigma_a, np.float64), np.asarray(sigma_b, np.float64)
    d = mu_a.shape[0] if mu_a.ndim == 1 else -1
    for name, arr, shape in (("mu_b", mu_b, (d,)), ("sigma_a", sigma_a, (d, d)), ("sigma_b", sigma_b, (d, d))):
        if d < 1 or arr.shape != shape:
            raise ValueError(
                f"mu_a must be a vector of length D >= 1 and {name} must have shape {shape}; "
                f"got mu_a {mu_a.shape}, {name} {arr.shape}"
            )
    # tr (Σa Σb)^½ = tr (Σa^½ Σb Σa^½)^½, and the latter matrix is symmetric PSD: eigh is exact and stable.
    root_a = _sqrt_psd(sigma_a)
    middle = root_a @ sigma_b @ root_a
    eig = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    tr_sqrt = float(np.sum(np.sqrt(np.clip(eig, 0.0, None))))
    diff = mu_a - mu_b
    value = float(diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * tr_sqrt)
    return max(value, 0.0)



def frechet_distance(feats_a, feats_b) -> float:
    """Fréchet distance between Gaussians fitted to two ``N×D`` feature arrays (the FID formula)."""
    a = _as_features("feats_a", feats_a)
    b = _as_features("feats_b", feats_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError("feats_a and feats_b must have the same number of features, "
                         f"got {a.shape[1]} and {b.shape[1]}")
    return frechet_distance_from_stats(*gaussian_stats(a), *gaussian_stats(b))



def _as_probs(probs) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 2:
        raise ValueError(f"probs must be a 2-D array (n_samples >= 1, n_classes >= 2), got shape {p.shape}")
    if not np.all(np.isfinite(p)) or p.min() < 0:
        raise ValueError("probs must be finite and non-negative (class probabilities, e.g. a softmax output)")
    sums = p.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > 1e-3:
        raise ValueError("each row of probs must sum to 1 (within 1e-3), "
                         f"got row sums from {sums.min():.4g} to {sums.max():.4g}")
    return p / sums[:, None]



def _xlogx_over(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``p log(p / q)`` elementwise, with ``0 log 0 = 0``."""
    return np.where(p > 0, p * (np.log(np.maximum(p, _EPS)) - np.log(np.maximum(q, _EPS))), 0.0)



def inception_score(probs) -> float:
    """``exp E_x[KL(p(y|x) ‖ p(y))]`` from an ``N×C`` array of class probabilities: 1 (worst) to C (best)."""
    p = _as_probs(probs)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(_xlogx_over(p, marginal).sum(axis=1).mean()))



def class_coverage(probs) -> float:
    """``exp H(mean_x p(y|x))``: the effective number of classes generated, 1 (one class) to C (all equally)."""
    m = _as_probs(probs).mean(axis=0)
    entropy = -float(np.sum(np.where(m > 0, m * np.log(np.maximum(m, _EPS)), 0.0)))
    return float(np.exp(entropy))
