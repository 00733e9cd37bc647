"""A judge for MNIST generators: a small CNN classifier, and the figures computed on it.

* :func:`load_judge` returns a :class:`Judge`: a CNN trained once, seeded, on MNIST in
  ``[-1, 1]`` (the scale GANs output) and cached under ``data_dir() / "judge"``. The cache
  file name is a key built from the configuration (architecture version, seed, epochs,
  subsets, batch size), so changing any of them trains a new judge. Files are written
  atomically (a temporary file, then a rename), so an interrupted run never leaves half a
  cache. A cache file that cannot be read raises :class:`JudgeCacheError`, which names the
  file and says to delete it; it is *not* retrained silently (two minutes of CPU time, and
  a damaged file is worth noticing).
* :meth:`Judge.evaluate` gives the Fréchet distance (FID-style, on the judge's 128-unit
  penultimate layer, against the MNIST test set), the Inception Score, the class coverage
  and the mean confidence of a batch of generated images.
* :func:`frechet_distance`, :func:`inception_score` and :func:`class_coverage` are plain NumPy.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from helpers.checks import integer_from

#: bump when the judge's architecture or training recipe changes: old caches are then ignored.
ARCH_VERSION = 1
NUM_CLASSES = 10
FEATURE_DIM = 128
_EPS = 1e-12


class JudgeCacheError(RuntimeError):
    """A cached judge (or its reference statistics) is missing or unreadable; the message says what to do."""


# --------------------------------------------------------------------------- maths (NumPy)


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


# --------------------------------------------------------------------------- image input


def as_judge_images(images) -> np.ndarray:
    """Validate and convert images to float32 ``N×28×28×1`` in ``[-1, 1]`` (uint8 0..255 or floats in [-1, 1])."""
    accepted = "uint8 images in 0..255 or float images in [-1, 1], of shape N×28×28 or N×28×28×1"
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or x.shape[0] < 1:
        raise ValueError(f"images must be {accepted} (N >= 1), got shape {np.shape(images)}")
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 127.5 - 1.0
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"images must be {accepted}, got dtype {x.dtype}")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"images must be {accepted}, got NaN or inf values")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.0 - 1e-3 or hi > 1.0 + 1e-3:
        raise ValueError(f"images must be {accepted}, got float values from {lo:.4g} to {hi:.4g}")
    if lo >= 0.0 and x.shape[0] >= 2:
        warnings.warn(
            f"all {x.shape[0]} images lie in [0, {hi:.3g}]: they look scaled to [0, 1], "
            "but the judge expects [-1, 1] (use images * 2 - 1)",
            UserWarning,
            stacklevel=3,
        )
    return np.clip(x, -1.0, 1.0)


# --------------------------------------------------------------------------- the model and its cache


@dataclass(frozen=True)
class JudgeConfig:
    """Everything that determines a trained judge (its cache key is built from all of it)."""

    seed: int = 0
    epochs: int = 2
    #: MNIST training images used (``None``: all 60 000).
    subset: int | None = None
    #: MNIST test images used for the accuracy and the reference statistics (``None``: all 10 000).
    test_subset: int | None = None
    batch_size: int = 128
    version: int = ARCH_VERSION

    def __post_init__(self) -> None:
        for name, low, high in (("seed", 0, None), ("epochs", 1, None), ("batch_size", 1, None),
                                ("subset", 1, 60_000), ("test_subset", 2, 10_000)):
            value = getattr(self, name)
            if value is None and name in ("subset", "test_subset"):
                continue
            integer_from(name, value, low, high, " (or None for all)" if name in ("subset", "test_subset") else "")

    def key(self) -> str:
        """The cache file stem, e.g. ``judge-v1-seed0-ep2-nall-tall-bs128``."""
        n = "all" if self.subset is None else str(self.subset)
        t = "all" if self.test_subset is None else str(self.test_subset)
        return f"judge-v{self.version}-seed{self.seed}-ep{self.epochs}-n{n}-t{t}-bs{self.batch_size}"


def build_judge_model():
    """The judge CNN: Conv 32 → pool → Conv 64 → pool → Dense 128 ("features", ReLU) → Dense 10 softmax."""
    import keras
    from keras import layers

    img = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, activation="relu", name="conv_1")(img)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.25, name="dropout_1")(x)
    feats = layers.Dense(FEATURE_DIM, activation="relu", name="features")(x)
    x = layers.Dropout(0.5, name="dropout_2")(feats)
    probs = layers.Dense(NUM_CLASSES, activation="softmax", name="probs")(x)
    if tuple(feats.shape) != (None, FEATURE_DIM) or tuple(probs.shape) != (None, NUM_CLASSES):
        raise AssertionError(f"judge: expected features (None, {FEATURE_DIM}) and probs (None, 10), "
                             f"got {tuple(feats.shape)} and {tuple(probs.shape)}")
    return keras.Model(img, [feats, probs], name="mnist_judge")


def _mnist(config: JudgeConfig, data_path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    from helpers.data import load_mnist

    (x, y), (xt, yt) = load_mnist(data_path, scale="-1-1", subset=config.subset, test_subset=config.test_subset)
    return (x[..., None], y), (xt[..., None], yt)


def train_judge_model(config: JudgeConfig, data_path=None, verbose: int = 0):
    """Train a fresh judge (seeded with ``config.seed``; this reseeds Keras' and NumPy's global RNGs)."""
    import keras

    keras.utils.set_random_seed(config.seed)
    (x, y), _ = _mnist(config, data_path)
    model = build_judge_model()
    trainer = keras.Model(model.input, model.outputs[1])
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    trainer.fit(x, y, epochs=config.epochs, batch_size=config.batch_size, shuffle=True, verbose=verbose)
    return model


def judge_dir() -> Path:
    """Where judges are cached: ``helpers.data.data_dir() / "judge"``."""
    from helpers.data import data_dir

    return data_dir() / "judge"


def _atomic_savez(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the cache ordinary permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_npz(path: Path, keys: list[str] | None = None) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            wanted = npz.files if keys is None else keys
            missing = [k for k in wanted if k not in npz.files]
            if missing:
                raise KeyError(f"missing arrays {missing}")
            return {k: npz[k] for k in wanted}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise JudgeCacheError(
            f"judge cache file {path} is unreadable ({type(exc).__name__}: {exc}); it may be truncated or "
            f"corrupt. Delete {path} and call load_judge() again to retrain it."
        ) from exc


@dataclass(frozen=True)
class JudgeReport:
    """The judge's figures for a batch of images."""

    #: Fréchet distance to the reference set on the judge's features (lower is better; ~0 for the same distribution).
    fid: float
    #: exp E[KL(p(y|x) ‖ p(y))], 1 to 10 (higher: confident and varied).
    inception_score: float
    #: effective number of digit classes, 1 to 10 (low: mode collapse).
    coverage: float
    #: mean top-class probability, 0.1 to 1 (higher: digits the judge recognises).
    confidence: float
    #: how many images were judged.
    n: int
    #: how many images the judge assigns to each digit 0..9.
    class_counts: tuple[int, ...]

    def as_dict(self) -> dict:
        """The figures as a plain dict."""
        return asdict(self)

    def __str__(self) -> str:
        return (f"FID {self.fid:.2f} | IS {self.inception_score:.2f} | coverage {self.coverage:.2f} | "
                f"confidence {self.confidence:.3f} | n {self.n}")


class Judge:
    """A trained MNIST classifier that scores generated images (build it with :func:`load_judge`)."""

    def __init__(self, model, config: JudgeConfig, test_accuracy: float, path: Path | None = None,
                 data_path=None) -> None:
        self.model = model
        self.config = config
        self.test_accuracy = float(test_accuracy)
        self.path = path
        self._data_path = data_path
        self._reference: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __repr__(self) -> str:
        return f"Judge({self.config.key()}, test accuracy {self.test_accuracy:.4f})"

    def _run(self, images, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        x = as_judge_images(images)
        feats, probs = [], []
        for i in range(0, len(x), batch_size):
            f, p = self.model(x[i:i + batch_size], training=False)
            feats.append(np.asarray(f, dtype=np.float64))
            probs.append(np.asarray(p, dtype=np.float64))
        return np.concatenate(feats), np.concatenate(probs)

    def features(self, images) -> np.ndarray:
        """The 128 penultimate-layer activations of each image (``N×128``)."""
        return self._run(images)[0]

    def predict(self, images) -> np.ndarray:
        """Class probabilities of each image (``N×10``, rows sum to 1)."""
        return self._run(images)[1]

    def reference_stats(self, reference: str = "test") -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the judge's features on the MNIST test set (cached next to the judge)."""
        if reference != "test":
            raise ValueError(f"reference must be 'test' or an array of images, got {reference!r}")
        if reference in self._reference:
            return self._reference[reference]
        path = None if self.path is None else self.path.with_name(self.path.stem + "-ref-test.npz")
        if path is not None and path.exists():
            stats = _read_npz(path, ["mu", "sigma"])
            mu, sigma = stats["mu"], stats["sigma"]
            if mu.shape != (FEATURE_DIM,) or sigma.shape != (FEATURE_DIM, FEATURE_DIM):
                raise JudgeCacheError(f"judge cache file {path} holds statistics of the wrong shape "
                                      f"({mu.shape}, {sigma.shape}). Delete {path} and try again.")
        else:
            _, (xt, _) = _mnist(self.config, self._data_path)
            mu, sigma = gaussian_stats(self.features(xt))
            if path is not None:
                _atomic_savez(path, mu=mu, sigma=sigma)
        self._reference[reference] = (mu, sigma)
        return mu, sigma

    def evaluate(self, images, reference="test") -> JudgeReport:
        """FID against ``reference`` ("test": the MNIST test set, or an array of images), IS, coverage, confidence."""
        feats, probs = self._run(images)
        if len(feats) < 2:
            raise ValueError(f"evaluate needs at least 2 images (for a covariance), got {len(feats)}")
        if isinstance(reference, str):
            ref = self.reference_stats(reference)
        else:
            ref = gaussian_stats(self.features(reference))
        counts = np.bincount(probs.argmax(axis=1), minlength=NUM_CLASSES)
        return JudgeReport(
            fid=frechet_distance_from_stats(*gaussian_stats(feats), *ref),
            inception_score=inception_score(probs),
            coverage=class_coverage(probs),
            confidence=float(probs.max(axis=1).mean()),
            n=len(feats),
            class_counts=tuple(int(c) for c in counts),
        )


def load_judge(
    train_if_missing: bool = True,
    *,
    epochs: int = 2,
    seed: int = 0,
    subset: int | None = None,
    test_subset: int | None = None,
    batch_size: int = 128,
    data_path: str | os.PathLike | None = None,
    verbose: int = 0,
) -> Judge:
    """Load the cached judge for this configuration, training and caching it first if needed (and allowed)."""
    config = JudgeConfig(seed=seed, epochs=epochs, subset=subset, test_subset=test_subset, batch_size=batch_size)
    path = judge_dir() / f"{config.key()}.npz"
    model = build_judge_model()
    shapes = [tuple(w.shape) for w in model.get_weights()]
    if path.exists():
        keys = [f"w{i}" for i in range(len(shapes))] + ["test_accuracy", "config"]
        stored = _read_npz(path, keys)
        weights = [stored[f"w{i}"] for i in range(len(shapes))]
        got = [tuple(w.shape) for w in weights]
        if got != shapes:
            raise JudgeCacheError(f"judge cache file {path} holds weights of shapes {got}, expected {shapes}. "
                                  f"Delete {path} and call load_judge() again to retrain it.")
        model.set_weights(weights)
        return Judge(model, config, float(stored["test_accuracy"]), path, data_path)
    if not train_if_missing:
        raise JudgeCacheError(f"no trained judge at {path} and train_if_missing=False. Call "
                              f"load_judge(train_if_missing=True) or run benchmarks/judge_calibration.py.")
    model = train_judge_model(config, data_path=data_path, verbose=verbose)
    judge = Judge(model, config, math.nan, path, data_path)
    _, (xt, yt) = _mnist(config, data_path)
    feats, probs = judge._run(xt)
    judge.test_accuracy = float(np.mean(probs.argmax(axis=1) == yt))
    mu, sigma = gaussian_stats(feats)
    judge._reference["test"] = (mu, sigma)
    _atomic_savez(path.with_name(path.stem + "-ref-test.npz"), mu=mu, sigma=sigma)
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    _atomic_savez(path, test_accuracy=np.float64(judge.test_accuracy),
                  config=np.array(json.dumps(asdict(config))), **arrays)
    return judge
