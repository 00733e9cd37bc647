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
* The figures themselves are plain NumPy, in :mod:`helpers.evaluation.scores`; the CNN is
  :func:`helpers.models.classifier.build_judge_model`.
"""

from __future__ import annotations

import hashlib
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
from helpers.evaluation.scores import class_coverage, frechet_distance_from_stats, gaussian_stats, inception_score
from helpers.models.shapes import FEATURE_DIM, NUM_CLASSES

#: bump when the judge's architecture or training recipe changes: old caches are then ignored.
ARCH_VERSION = 1


class JudgeCacheError(RuntimeError):
    """A cached judge (or its reference statistics) is missing or unreadable; the message says what to do."""



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



def _mnist(config: JudgeConfig, data_path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    from helpers.data import load_mnist

    (x, y), (xt, yt) = load_mnist(data_path, scale="-1-1", subset=config.subset, test_subset=config.test_subset)
    return (x[..., None], y), (xt[..., None], yt)



def train_judge_model(config: JudgeConfig, data_path=None, verbose: int = 0):
    """Train a fresh judge (seeded with ``config.seed``; this reseeds Keras' and NumPy's global RNGs)."""
    import keras

    from helpers.models.classifier import build_judge_model

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



def weights_digest(weights) -> str:
    """SHA-256 of a list of weight arrays (their dtypes, shapes and bytes, in order): the judge cache's checksum."""
    h = hashlib.sha256()
    for w in weights:
        w = np.ascontiguousarray(w)
        h.update(f"{w.dtype.str}{w.shape}".encode())
        h.update(w.tobytes())
    return h.hexdigest()


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
    from helpers.models.classifier import build_judge_model  # Keras, only when a judge is built

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
        saved = _read_npz(path).get("sha256")
        if saved is not None and str(saved) != weights_digest(weights):
            raise JudgeCacheError(f"judge cache file {path} does not match its checksum (its weights were changed "
                                  f"or damaged). Delete {path} and call load_judge() again to retrain it.")
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
                  config=np.array(json.dumps(asdict(config))), sha256=np.array(weights_digest(list(arrays.values()))),
                  **arrays)
    return judge
