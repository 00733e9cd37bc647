import re
from pathlib import Path

import numpy as np
import pytest

from helpers import checks
from helpers.checks import (
    count,
    fraction,
    in_range,
    integer_from,
    non_negative,
    non_negative_int,
    number,
    positive,
    positive_int,
    rate_or_schedule,
    values_in,
)

NAN, INF = float("nan"), float("inf")


def _message(name: str, accepted: str, value) -> str:
    """The regex of ``{name} must be {accepted}, got {value!r}``, matched from the start."""
    return "^" + re.escape(f"{name} must be {accepted}, got {value!r}") + "$"


def test_checks_imports_nothing_of_helpers():
    source = Path(checks.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+(helpers|\.)", source, flags=re.MULTILINE)


def test_every_public_check_is_documented():
    for name in checks.__all__:
        assert getattr(checks, name).__doc__, name


# --------------------------------------------------------------------------- positive_int


def test_positive_int_accepts_integers_from_one():
    assert positive_int("n", 1) == 1 and positive_int("n", np.int64(7)) == 7
    assert type(positive_int("n", np.int64(7))) is int
    assert positive_int("n", None, allow_none=True) is None


@pytest.mark.parametrize("bad", [0, -3, 2.5, 3.0, "4", True, None, NAN, INF])
def test_positive_int_names_the_bad_value(bad):
    with pytest.raises(ValueError, match=_message("n", "a positive integer", bad)):
        positive_int("n", bad)


def test_positive_int_says_none_is_allowed_when_it_is():
    with pytest.raises(ValueError, match=r"k must be a positive integer \(or None\), got 0"):
        positive_int("k", 0, allow_none=True)


# --------------------------------------------------------------------------- non_negative_int


def test_non_negative_int_accepts_zero_and_up():
    assert non_negative_int("seed", 0) == 0 and non_negative_int("seed", np.uint8(5)) == 5
    assert type(non_negative_int("seed", np.int32(3))) is int


@pytest.mark.parametrize("bad", [-1, 1.0, "0", False, None, NAN])
def test_non_negative_int_names_the_bad_value(bad):
    with pytest.raises(ValueError, match=_message("seed", "a non-negative integer", bad)):
        non_negative_int("seed", bad)


def test_non_negative_int_adds_the_note():
    with pytest.raises(ValueError, match=_message("jitter", "a non-negative integer (pixels)", -2)):
        non_negative_int("jitter", -2, " (pixels)")


# --------------------------------------------------------------------------- count


def test_count_accepts_integers_within_the_bounds():
    assert count("steps", 1) == 1 and count("steps", 0, minimum=0) == 0
    assert count("depth", np.int64(6), 1, 6) == 6 and type(count("depth", np.int64(6), 1, 6)) is int


@pytest.mark.parametrize("bad", [0, -1, 2.0, "3", True, None, NAN, INF])
def test_count_names_the_minimum(bad):
    with pytest.raises(ValueError, match=_message("steps", "an integer >= 1", bad)):
        count("steps", bad)


@pytest.mark.parametrize("bad", [0, 7, 3.0, False])
def test_count_names_the_interval_when_there_is_a_maximum(bad):
    with pytest.raises(ValueError, match=_message("depth", "an integer in [1, 6]", bad)):
        count("depth", bad, 1, 6)


def test_count_with_minimum_zero_rejects_negatives():
    with pytest.raises(ValueError, match=_message("warmup_steps", "an integer >= 0", -1)):
        count("warmup_steps", -1, minimum=0)


# --------------------------------------------------------------------------- integer_from


def test_integer_from_accepts_the_closed_range():
    assert integer_from("steps", 1, 1, 500) == 1 and integer_from("steps", np.int16(500), 1, 500) == 500
    assert integer_from("epochs", 10**9, 1) == 10**9


@pytest.mark.parametrize("bad", [0, 501, 2.0, "7", True, None, NAN])
def test_integer_from_names_the_range(bad):
    with pytest.raises(ValueError, match=_message("steps", "an integer from 1 to 500", bad)):
        integer_from("steps", bad, 1, 500)


def test_integer_from_without_a_maximum_says_or_more():
    with pytest.raises(ValueError, match=_message("epochs", "an integer from 1 or more", 0)):
        integer_from("epochs", 0, 1)


def test_integer_from_adds_the_note():
    with pytest.raises(ValueError, match=_message("subset", "an integer from 1 to 60000 (or None for all)", 0)):
        integer_from("subset", 0, 1, 60_000, " (or None for all)")


# --------------------------------------------------------------------------- number


def test_number_accepts_finite_numbers():
    assert number("x", -3) == -3.0 and number("x", np.float32(0.5)) == 0.5 and type(number("x", 2)) is float
    assert number("l2", 0, 0) == 0.0 and number("lr", 1e-9, 0, strict=True) == 1e-9


@pytest.mark.parametrize("bad", [NAN, INF, -INF, "1", True, None, [1.0]])
def test_number_names_the_bad_value(bad):
    with pytest.raises(ValueError, match=_message("x", "a finite number", bad)):
        number("x", bad)


@pytest.mark.parametrize(("low", "strict", "bad", "accepted"), [
    (0, False, -0.5, "a finite number >= 0"),
    (0, True, 0, "a finite number > 0"),
    (0.5, True, 0.25, "a finite number > 0.5"),
    (0, True, INF, "a finite number > 0"),
    (0, False, False, "a finite number >= 0"),
])
def test_number_names_the_bound(low, strict, bad, accepted):
    with pytest.raises(ValueError, match=_message("x", accepted, bad)):
        number("x", bad, low, strict=strict)


def test_number_adds_the_note():
    note = " (1 for [0, 1], 2 for [-1, 1], 255 for uint8)"
    with pytest.raises(ValueError, match=_message("data_range", "a finite number > 0" + note, -1)):
        number("data_range", -1, 0, strict=True, note=note)


# --------------------------------------------------------------------------- positive, non_negative, fraction


def test_positive_accepts_finite_numbers_above_zero():
    assert positive("h", 1e-12) == 1e-12 and positive("h", np.int64(3)) == 3.0 and type(positive("h", 3)) is float


@pytest.mark.parametrize("bad", [0, 0.0, -1e-9, NAN, INF, "1", True, None])
def test_positive_names_the_bad_value(bad):
    with pytest.raises(ValueError, match=_message("h", "> 0", bad)):
        positive("h", bad)


def test_non_negative_accepts_zero_and_up():
    assert non_negative("gamma", 0) == 0.0 and non_negative("gamma", np.float64(2.5)) == 2.5


@pytest.mark.parametrize("bad", [-1e-9, NAN, INF, "0", False, None])
def test_non_negative_names_the_bad_value(bad):
    with pytest.raises(ValueError, match=_message("gamma", ">= 0", bad)):
        non_negative("gamma", bad)


def test_fraction_accepts_zero_up_to_but_not_one():
    assert fraction("momentum", 0) == 0.0 and fraction("momentum", np.float32(0.5)) == 0.5
    assert fraction("beta_2", 0.999) == 0.999


@pytest.mark.parametrize("bad", [1, 1.0, -0.1, NAN, INF, "0.5", True, False, None])
def test_fraction_names_the_bad_value(bad):
    with pytest.raises(ValueError, match=_message("momentum", "in [0, 1)", bad)):
        fraction("momentum", bad)


# --------------------------------------------------------------------------- in_range


def test_in_range_accepts_the_closed_interval_and_its_ends():
    assert in_range("noise_std", 0, 0.0, 1.0) == 0.0 and in_range("noise_std", 1, 0.0, 1.0) == 1.0
    assert in_range("lr", np.float32(10), 0, 10, strict_low=True) == 10.0


@pytest.mark.parametrize("bad", [-0.1, 1.5, NAN, INF, "0.5", True, None])
def test_in_range_names_the_interval(bad):
    with pytest.raises(ValueError, match=_message("noise_std", "a number in [0, 1]", bad)):
        in_range("noise_std", bad, 0.0, 1.0)


@pytest.mark.parametrize("bad", [0, 0.0, 10.5, -INF])
def test_in_range_strict_low_opens_the_interval(bad):
    with pytest.raises(ValueError, match=_message("d_lr", "a number in (0, 10]", bad)):
        in_range("d_lr", bad, 0, 10.0, strict_low=True)


def test_in_range_writes_the_bounds_compactly():
    with pytest.raises(ValueError, match=_message("lr", "a number in [1e-05, 0.5]", 1)):
        in_range("lr", 1, 1e-5, 0.5)


# --------------------------------------------------------------------------- rate_or_schedule


def test_rate_or_schedule_takes_a_positive_number_or_a_callable():
    assert rate_or_schedule("learning_rate", 2e-4) == 2e-4 and type(rate_or_schedule("lr", np.int64(1))) is float
    schedule = lambda step: 0.1  # noqa: E731
    assert rate_or_schedule("learning_rate", schedule) is schedule
    assert rate_or_schedule("learning_rate", 3e38) == 3e38  # finite in float32


@pytest.mark.parametrize("bad", [0, -1e-3, NAN, INF, 1e39, "1e-3", True, None])
def test_rate_or_schedule_names_the_bad_value(bad):
    accepted = "> 0 and finite in float32 (at most 3.4e+38) or a keras LearningRateSchedule"
    with pytest.raises(ValueError, match=_message("g_learning_rate", accepted, bad)):
        rate_or_schedule("g_learning_rate", bad)


def test_rate_or_schedule_passes_a_keras_schedule_through():
    keras = pytest.importorskip("keras")
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=10, decay_rate=0.9)
    assert rate_or_schedule("learning_rate", schedule) is schedule


# --------------------------------------------------------------------------- values_in


def test_values_in_passes_finite_values_in_range_and_names_what_is_wrong():
    x = np.array([-1.0, 0.0, 1.0005])
    assert values_in("images", x, -1.0, 1.0) is x
    accepted = r"^images must be finite values in \[-1, 1\]"
    with pytest.raises(ValueError, match=accepted + r" \(hint\), got values from 0 to 255$"):
        values_in("images", np.array([0.0, 255.0]), -1.0, 1.0, " (hint)")
    with pytest.raises(ValueError, match=r"^images must be finite values in \[-1, 1\], got 1 NaN or inf values$"):
        values_in("images", np.array([0.0, NAN]), -1.0, 1.0)
