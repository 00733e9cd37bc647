import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import MnistError
from tests.support import real_mnist


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No MNIST_PATH, an empty data folder and an empty Keras cache."""
    monkeypatch.delenv("MNIST_PATH", raising=False)
    monkeypatch.setenv("HELPERS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path


def test_real_file_verifies_and_scales():
    (x, y), (xt, _yt) = data.load_mnist(real_mnist())
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))


def test_scales_flatten_and_subset():
    path = real_mnist()
    (x, y), (xt, yt) = data.load_mnist(path, scale="-1-1", flatten=True, subset=100, test_subset=30)
    assert x.shape == (100, 784) and y.shape == (100,) and xt.shape == (30, 784) and yt.shape == (30,)
    assert x.min() == -1.0 and x.max() == 1.0
    (raw, _), _ = data.load_mnist(path, scale=None, subset=5)
    assert raw.dtype == np.uint8 and raw.shape == (5, 28, 28)


@pytest.mark.parametrize("kwargs,match", [
    ({"scale": "0-255"}, r"scale must be one of .*got '0-255'"),
    ({"subset": 0}, r"subset must be an integer from 1 to 60000"),
    ({"subset": 60001}, r"subset must be an integer from 1 to 60000"),
    ({"test_subset": 2.5}, r"test_subset must be an integer from 1 to 10000"),
])
def test_bad_options_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.load_mnist("unused.npz", **kwargs)


def fake_mnist(path: Path, **override) -> Path:
    arrays = {k: np.zeros(shape, np.uint8) for k, (shape, _) in data.MNIST_ARRAYS.items()}
    arrays.update(override)
    np.savez(path, **arrays)
    return path


def test_wrong_contents_are_rejected_with_the_file_named(tmp_path):
    path = fake_mnist(tmp_path / "fake.npz")
    with pytest.raises(MnistError, match=rf"{path}.*array x_train .*checksum mismatch.*MNIST_PATH"):
        data.load_mnist(path)


def test_wrong_shape_and_dtype_are_rejected(tmp_path):
    path = fake_mnist(tmp_path / "short.npz", x_test=np.zeros((10, 28, 28), np.uint8))
    with pytest.raises(MnistError,
                       match=r"x_test has dtype uint8 and shape \(10, 28, 28\), expected uint8 \(10000, 28, 28\)"):
        data.read_mnist_file(path)
    path = fake_mnist(tmp_path / "float.npz", y_train=np.zeros(60000, np.float32))
    with pytest.raises(MnistError, match=r"y_train has dtype float32"):
        data.read_mnist_file(path)


def test_missing_arrays_are_listed(tmp_path):
    path = tmp_path / "partial.npz"
    np.savez(path, x_train=np.zeros((1,), np.uint8))
    with pytest.raises(MnistError, match=r"lacks the arrays \['y_train', 'x_test', 'y_test'\]"):
        data.read_mnist_file(path)


def test_truncated_file_is_a_clear_error(tmp_path):
    good = real_mnist()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: 1_000_000])
    with pytest.raises(MnistError, match=rf"{cut} cannot be read .*truncated or corrupt"):
        data.load_mnist(cut)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    with pytest.raises(MnistError, match="truncated or corrupt"):
        data.load_mnist(garbage)


def test_explicit_missing_path(tmp_path):
    with pytest.raises(MnistError, match="does not exist"):
        data.load_mnist(tmp_path / "nope.npz")


def test_source_order_env_then_data_dir_then_keras_cache(isolated, monkeypatch):
    good = real_mnist()
    # Keras cache only
    cache = isolated / "keras" / "datasets"
    cache.mkdir(parents=True)
    os.symlink(good, cache / "mnist.npz")
    assert data.find_mnist(download_if_missing=False) == cache / "mnist.npz"
    # data dir wins over the cache
    (isolated / "data").mkdir()
    os.symlink(good, isolated / "data" / "mnist.npz")
    assert data.find_mnist(download_if_missing=False) == isolated / "data" / "mnist.npz"
    # MNIST_PATH wins over both
    monkeypatch.setenv("MNIST_PATH", str(good))
    assert data.find_mnist(download_if_missing=False) == good
    # an explicit path wins over everything, and is verified
    bad = fake_mnist(isolated / "bad.npz")
    with pytest.raises(MnistError, match="checksum mismatch"):
        data.find_mnist(bad)


def test_mnist_path_pointing_nowhere_is_an_error(isolated, monkeypatch):
    monkeypatch.setenv("MNIST_PATH", str(isolated / "missing.npz"))
    with pytest.raises(MnistError, match=r"MNIST_PATH points at .*missing\.npz, which does not exist"):
        data.find_mnist()


def test_corrupt_cached_copy_is_reported_not_skipped(isolated):
    (isolated / "data").mkdir()
    fake_mnist(isolated / "data" / "mnist.npz")
    with pytest.raises(MnistError, match=r"data/mnist.npz.*checksum mismatch"):
        data.find_mnist(download_if_missing=False)


def test_offline_with_no_copy_says_where_to_put_it(isolated, monkeypatch):
    def offline(*args, **kwargs):
        raise data.urllib.error.URLError("no network")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(MnistError, match=(r"MNIST not found .*download .*failed.*"
                                          r"Put a copy of mnist\.npz at .*data/mnist\.npz.*MNIST_PATH")):
        data.load_mnist()
    assert not (isolated / "data").exists() or not any((isolated / "data").iterdir())
    with pytest.raises(MnistError, match="downloading is turned off"):
        data.load_mnist(download_if_missing=False)


def test_download_keeps_file_only_when_hash_matches(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"hello mnist" * 1000)
    good_hash = hashlib.sha256(src.read_bytes()).hexdigest()
    dest = tmp_path / "out" / "file.bin"
    with pytest.raises(MnistError, match=r"expected 0000.*nothing was saved"):
        data.download(src.as_uri(), dest, "0" * 64)
    assert not dest.exists() and list(dest.parent.iterdir()) == []
    data.download(src.as_uri(), dest, good_hash)
    assert dest.read_bytes() == src.read_bytes()


def test_download_path_used_when_nothing_local(isolated, monkeypatch):
    good = real_mnist()
    monkeypatch.setattr(data, "MNIST_URL", good.as_uri())
    monkeypatch.setattr(data, "MNIST_FILE_SHA256", hashlib.sha256(good.read_bytes()).hexdigest())
    (x, _), _ = data.load_mnist(subset=10)
    assert x.shape == (10, 28, 28)
    assert (isolated / "data" / "mnist.npz").is_file()


def test_scale_images_values():
    x = np.array([[0, 255]], np.uint8)
    np.testing.assert_array_equal(data.scale_images(x, "0-1"), [[0.0, 1.0]])
    np.testing.assert_array_equal(data.scale_images(x, "-1-1"), [[-1.0, 1.0]])
    assert data.scale_images(x, None) is x
    with pytest.raises(ValueError, match="scale must be one of"):
        data.scale_images(x, "bad")


def test_make_dataset_batches_shuffles_and_drops_remainder():
    x = np.arange(10, dtype=np.float32)
    y = np.arange(10)
    batches = list(data.make_dataset(x, y, batch_size=4, seed=1).as_numpy_iterator())
    assert len(batches) == 2 and all(b[0].shape == (4,) for b in batches)
    seen = np.concatenate([b[0] for b in batches])
    np.testing.assert_array_equal(seen, np.concatenate([b[1] for b in batches]).astype(np.float32))
    assert not np.array_equal(seen, np.arange(8))  # shuffled
    plain = list(data.make_dataset(x, batch_size=4, shuffle=False, drop_remainder=False).as_numpy_iterator())
    assert [len(b) for b in plain] == [4, 4, 2] and plain[0].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"batch_size": 11}, "batch_size 11 is larger than the 10 examples"),
])
def test_make_dataset_rejects_bad_batches(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.make_dataset(np.zeros(10), **kwargs)


def test_make_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length, got 10 and 9"):
        data.make_dataset(np.zeros(10), np.zeros(9))


def test_data_dir_is_the_repository_data_folder(monkeypatch):
    monkeypatch.delenv("HELPERS_DATA_DIR", raising=False)
    assert data.data_dir() == Path(data.__file__).resolve().parent.parent / "data"
