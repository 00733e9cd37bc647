import numpy as np
import pytest

from helpers.maths.mnist_binary import binary_digits, weights_image


def _synthetic(n=20, side=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, side, side)).astype(np.float32)
    y = np.arange(n) % 10
    return x, y


def test_selects_two_digits_flattens_and_adds_bias():
    x, y = _synthetic()
    X, labels = binary_digits(x, y, digits=(3, 8))
    assert X.shape == (4, 17) and X.dtype == np.float64
    np.testing.assert_array_equal(X[:, -1], 1.0)
    np.testing.assert_array_equal(labels, [0, 1, 0, 1])  # y = 3, 8, 13%10=3, 18%10=8
    np.testing.assert_allclose(X[0, :-1], x[3].reshape(-1))
    np.testing.assert_allclose(X[1, :-1], x[8].reshape(-1))


def test_order_of_digits_sets_the_positive_class_and_bias_is_optional():
    x, y = _synthetic()
    X, labels = binary_digits(x.reshape(20, -1), y, digits=(8, 3), bias=False)
    assert X.shape == (4, 16)
    np.testing.assert_array_equal(labels, [1, 0, 1, 0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(digits=(3, 3)), "two different"),
        (dict(digits=(3,)), "two different"),
        (dict(digits=(3, 10)), "from 0 to 9, got 10"),
        (dict(digits=(3, 2.5)), "from 0 to 9, got 2.5"),
    ],
)
def test_bad_digits(kwargs, match):
    x, y = _synthetic()
    with pytest.raises(ValueError, match=match):
        binary_digits(x, y, **kwargs)


def test_bad_shapes():
    x, y = _synthetic()
    with pytest.raises(ValueError, match=r"y must have shape \(20,\)"):
        binary_digits(x, y[:5])
    with pytest.raises(ValueError, match="x must hold images"):
        binary_digits(np.zeros(5), np.zeros(5))


def test_weights_image_drops_the_bias():
    w = np.arange(17.0)
    img = weights_image(w)
    assert img.shape == (4, 4)
    assert img[-1, -1] == 15.0
    assert weights_image(np.arange(16.0), bias=False).shape == (4, 4)
    with pytest.raises(ValueError, match="square number of pixel weights"):
        weights_image(np.arange(16.0))
