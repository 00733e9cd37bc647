import numpy as np
import pytest

from helpers.validation import positive_int


def test_positive_int_accepts_integers_from_one():
    assert positive_int("n", 1) == 1 and positive_int("n", np.int64(7)) == 7
    assert positive_int("n", None, allow_none=True) is None


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4", True, None])
def test_positive_int_names_the_bad_value(bad):
    with pytest.raises(ValueError, match=rf"n must be a positive integer, got {bad!r}"):
        positive_int("n", bad)


def test_positive_int_says_none_is_allowed_when_it_is():
    with pytest.raises(ValueError, match=r"k must be a positive integer \(or None\), got 0"):
        positive_int("k", 0, allow_none=True)
