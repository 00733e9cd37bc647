"""Shared helpers of the unit tests."""

from pathlib import Path

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
