"""The run profile (``fast`` for tests and CI, ``full`` for real runs) and seeding.

The profile is chosen by one environment variable, ``HELPERS_PROFILE``:

* ``full`` (the default): the real run whose outputs and pictures are committed.
* ``fast``: tiny sizes so that every notebook executes in seconds under ``pytest``.

Notebooks read sizes from :func:`profile` and never branch on the name themselves.
"""

from __future__ import annotations

import contextlib
import os
import random
from dataclasses import dataclass, fields, replace

import numpy as np

PROFILE_ENV = "HELPERS_PROFILE"
PROFILE_NAMES = ("fast", "full")


@dataclass(frozen=True)
class Profile:
    """Sizes that differ between the fast (CI) and full (real) runs."""

    name: str
    #: MNIST training examples a notebook uses (``None``: all 60 000).
    mnist_train: int | None
    #: MNIST test examples a notebook uses (``None``: all 10 000).
    mnist_test: int | None
    #: passes over the training data for Keras models.
    epochs: int
    #: iterations of the NumPy optimisers on toy problems.
    steps: int
    #: grid resolution of contour plots.
    grid: int

    def describe(self) -> str:
        """One line naming the profile and its sizes."""
        sizes = ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self) if f.name != "name")
        return f"profile '{self.name}' ({sizes})"


_PROFILES = {
    "fast": Profile(name="fast", mnist_train=2_000, mnist_test=1_000, epochs=1, steps=200, grid=60),
    "full": Profile(name="full", mnist_train=None, mnist_test=None, epochs=10, steps=1_000, grid=200),
}


def profile(name: str | None = None) -> Profile:
    """Return the profile named ``name``, or the one selected by ``HELPERS_PROFILE`` (default ``full``)."""
    if name is None:
        name = os.environ.get(PROFILE_ENV, "full").strip().lower() or "full"
    if name not in _PROFILES:
        raise ValueError(
            f"{PROFILE_ENV} must be one of {', '.join(PROFILE_NAMES)}, got {name!r}"
        )
    return _PROFILES[name]


def custom_profile(base: str = "fast", **sizes) -> Profile:
    """Return a copy of profile ``base`` with some sizes changed (for experiments and tests)."""
    known = {f.name for f in fields(Profile)} - {"name"}
    unknown = set(sizes) - known
    if unknown:
        raise ValueError(f"unknown profile fields {sorted(unknown)}; accepted: {sorted(known)}")
    return replace(profile(base), **sizes)


def seed_everything(seed: int = 0, deterministic: bool = True) -> int:
    """Seed Python, NumPy and Keras (and TensorFlow's op determinism when ``deterministic``)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- seeding NumPy's legacy global state is this function's job
    os.environ["PYTHONHASHSEED"] = str(seed)
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        import_tensorflow().config.experimental.enable_op_determinism()
    return seed


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ info/warning lines (must run before TensorFlow is imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _silence_native_stderr():
    """Send file descriptor 2 to /dev/null for a moment (C++ start-up lines no log level filters)."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some notebook front ends): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """Import TensorFlow and find its devices without the CUDA start-up lines it prints on CPU-only machines."""
    quiet_tensorflow()
    with _silence_native_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices()
    return tf


def device_summary() -> str:
    """Name the accelerator Keras will use: ``GPU (name)`` or ``CPU``."""
    import keras

    backend = keras.backend.backend()
    gpus: list[str] = []
    if backend == "tensorflow":
        gpus = [d.name for d in import_tensorflow().config.list_physical_devices("GPU")]
    elif backend == "jax":
        import jax

        gpus = [str(d) for d in jax.devices() if d.platform == "gpu"]
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return f"GPU ({', '.join(gpus)})" if gpus else "CPU"


def setup(seed: int = 0) -> Profile:
    """Notebook setup in one call: quiet TensorFlow, seed everything, print versions, device, profile."""
    import platform

    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import_tensorflow()  # before Keras, so that its start-up noise is silenced too
    import keras
    import matplotlib

    seed_everything(seed)
    prof = profile()
    lines = [
        (
            f"Python {platform.python_version()} | NumPy {np.__version__} | "
            f"Keras {keras.__version__} ({keras.backend.backend()} backend) | matplotlib {matplotlib.__version__}"
        ),
    ]
    if keras.backend.backend() == "tensorflow":
        tf = import_tensorflow()
        lines.append(f"TensorFlow {tf.__version__}")
    lines.append(f"device: {device_summary()} | seed {seed} | {prof.describe()}")
    print("\n".join(lines))
    return prof
