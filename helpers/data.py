"""MNIST: find it, verify it, scale it, and feed it through ``tf.data``.

:func:`load_mnist` looks, in order, at

1. the ``path`` argument,
2. the ``MNIST_PATH`` environment variable,
3. ``data/mnist.npz`` in this repository (or ``HELPERS_DATA_DIR``),
4. Keras' cache (``~/.keras/datasets/mnist.npz``),

and only then downloads Keras' copy (checked against its SHA-256) into the data folder.
A local file is accepted after checking each array's shape, dtype and checksum, not the
file's own bytes, so any faithful copy of MNIST works.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from .checks import integer_from, positive_int

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
#: SHA-256 of the file at :data:`MNIST_URL` (as Keras checks it).
MNIST_FILE_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

#: key -> (shape, sha256 of ``array.tobytes()``) for the uint8 arrays of MNIST.
MNIST_ARRAYS = {
    "x_train": ((60000, 28, 28), "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757"),
    "y_train": ((60000,), "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
    "x_test": ((10000, 28, 28), "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"),
    "y_test": ((10000,), "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
}

SCALES = (None, "0-1", "-1-1")


class MnistError(RuntimeError):
    """MNIST could not be found, read or verified; the message says what to do."""


def data_dir() -> Path:
    """The folder for downloaded data: ``HELPERS_DATA_DIR``, else ``data/`` of this repository, else Keras' cache."""
    env = os.environ.get("HELPERS_DATA_DIR")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").exists() and (repo / "data").is_dir():
        return repo / "data"
    return keras_cache_dir()


def keras_cache_dir() -> Path:
    """Keras' dataset cache, ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _fix_hint(path: Path) -> str:
    return (
        f"Delete or replace {path}, or point MNIST_PATH at a good copy "
        f"(the arrays x_train, y_train, x_test, y_test of Keras' mnist.npz)."
    )


def read_mnist_file(path: str | os.PathLike, verify: bool = True) -> dict[str, np.ndarray]:
    """Read an ``mnist.npz`` and, when ``verify``, check every array's shape, dtype and checksum."""
    path = Path(path)
    if not path.is_file():
        raise MnistError(f"MNIST file {path} does not exist. {_fix_hint(path)}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in MNIST_ARRAYS if k not in npz.files]
            if missing:
                raise MnistError(
                    f"MNIST file {path} lacks the arrays {missing} (it has {sorted(npz.files)}). {_fix_hint(path)}"
                )
            arrays = {k: npz[k] for k in MNIST_ARRAYS}
    except MnistError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise MnistError(
            f"MNIST file {path} cannot be read as a .npz archive ({type(exc).__name__}: {exc}); "
            f"it may be truncated or corrupt. {_fix_hint(path)}"
        ) from exc
    if verify:
        for key, (shape, _) in MNIST_ARRAYS.items():
            arr = arrays[key]
            if arr.dtype != np.uint8 or arr.shape != shape:
                raise MnistError(
                    f"MNIST file {path}: array {key} has dtype {arr.dtype} and shape {arr.shape}, "
                    f"expected uint8 {shape}. {_fix_hint(path)}"
                )
        for key, (_, digest) in MNIST_ARRAYS.items():
            if hashlib.sha256(np.ascontiguousarray(arrays[key]).tobytes()).hexdigest() != digest:
                raise MnistError(
                    f"MNIST file {path}: array {key} has the right shape but the wrong contents "
                    f"(checksum mismatch). {_fix_hint(path)}"
                )
    return arrays


def download(url: str, dest: str | os.PathLike, sha256: str, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` atomically, keeping it only if its SHA-256 is ``sha256``."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise MnistError(
                f"download of {url} has SHA-256 {digest.hexdigest()}, expected {sha256}; "
                f"nothing was saved. Try again, or fetch the file yourself and set MNIST_PATH."
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def find_mnist(path: str | os.PathLike | None = None, download_if_missing: bool = True) -> Path:
    """Return the path of a verified MNIST file, following the documented source order."""
    return _locate(path, download_if_missing)[0]


def _locate(path, download_if_missing: bool) -> tuple[Path, dict[str, np.ndarray]]:
    if path is not None:
        return Path(path), read_mnist_file(path)  # an explicit choice must be good: no fallback
    env = os.environ.get("MNIST_PATH")
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise MnistError(f"MNIST_PATH points at {p}, which does not exist. Fix or unset MNIST_PATH.")
        return p, read_mnist_file(p)
    candidates = [data_dir() / "mnist.npz", keras_cache_dir() / "mnist.npz"]
    for p in candidates:
        if p.is_file():
            return p, read_mnist_file(p)
    dest = candidates[0]
    if not download_if_missing:
        raise MnistError(_offline_message(candidates, "downloading is turned off"))
    try:
        download(MNIST_URL, dest, MNIST_FILE_SHA256)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise MnistError(_offline_message(candidates, f"the download from {MNIST_URL} failed: {exc}")) from exc
    return dest, read_mnist_file(dest)


def _offline_message(candidates: list[Path], why: str) -> str:
    looked = ", ".join(str(p) for p in candidates)
    return (
        f"MNIST not found (looked at MNIST_PATH, {looked}) and {why}. "
        f"Put a copy of mnist.npz at {candidates[0]}, or set MNIST_PATH=/path/to/mnist.npz."
    )


def scale_images(x: np.ndarray, scale: str | None) -> np.ndarray:
    """Scale uint8 images to float32 in ``[0, 1]`` (``"0-1"``) or ``[-1, 1]`` (``"-1-1"``); ``None`` keeps uint8."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if scale is None:
        return x
    x = x.astype(np.float32) / 255.0
    return x if scale == "0-1" else x * 2.0 - 1.0


def _check_size(name: str, n: int | None, total: int) -> None:
    if n is None:
        return
    integer_from(name, n, 1, total, " (or None for all)")


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    scale: str | None = "0-1",
    flatten: bool = False,
    subset: int | None = None,
    test_subset: int | None = None,
    download_if_missing: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``(x_train, y_train), (x_test, y_test)``, verified, scaled and optionally flattened.

    ``subset`` / ``test_subset`` keep the first n examples of each split (all by default).
    """
    _check_size("subset", subset, MNIST_ARRAYS["x_train"][0][0])
    _check_size("test_subset", test_subset, MNIST_ARRAYS["x_test"][0][0])
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    arrays = _locate(path, download_if_missing)[1]
    x_train, y_train = arrays["x_train"][:subset], arrays["y_train"][:subset]
    x_test, y_test = arrays["x_test"][:test_subset], arrays["y_test"][:test_subset]
    x_train, x_test = scale_images(x_train, scale), scale_images(x_test, scale)
    if flatten:
        x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int | None = 0,
    drop_remainder: bool = True,
    cache: bool = True,
):
    """A ``tf.data.Dataset`` of ``x`` (or ``(x, y)``): cached, shuffled each epoch, batched, prefetched."""
    import tensorflow as tf

    positive_int("batch_size", batch_size)
    if y is not None and len(y) != len(x):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if drop_remainder and batch_size > len(x):
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(x)} examples; with drop_remainder=True "
            f"no batch would be produced. Use a smaller batch_size or drop_remainder=False."
        )
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
