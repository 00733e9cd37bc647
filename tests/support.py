"""Shared helpers of the unit tests."""

from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import MnistError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"


def real_mnist() -> Path:
    """The real MNIST file, wherever the loader finds it (CI points MNIST_PATH at ../shared); skip without one."""
    try:
        return data.find_mnist(download_if_missing=False)
    except MnistError:
        if SHARED.is_file():
            return SHARED
        pytest.skip("no local MNIST copy; set MNIST_PATH to run the real-data tests")


def targets_from(decoder, n=3, seed=5):
    """n latent codes (standard normal, seeded) and the images ``decoder`` makes of them, which it can reach exactly."""
    import keras  # here, not at the top: test_data.py imports this module and does not need Keras

    z = np.random.default_rng(seed).standard_normal((n, 4)).astype(np.float32)
    return z, keras.ops.convert_to_numpy(decoder(z))


def control(w, description):
    """The child widget of ``w`` (an explorer's control row) whose description is ``description``."""
    return next(c for c in w.children if getattr(c, "description", None) == description)


def same(a, b):
    """Whether two lists of arrays are equal, array by array."""
    return all(np.array_equal(x, y) for x, y in zip(a, b))
