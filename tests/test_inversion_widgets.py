import ipywidgets as W
import numpy as np
import pytest

from helpers.viz.scenes import View
from helpers.widgets import inversion as iw
from helpers.widgets.explorer import Explorer
from tests.support import targets_from

# `decoder` (a seeded dense decoder, 4 → 28×28×1) is a fixture of tests/conftest.py


@pytest.fixture(scope="module")
def targets(decoder):
    return targets_from(decoder)[1]  # 3 images the decoder can make exactly


def test_view_descends_on_z(decoder, targets):
    view = iw.inversion_view(decoder, targets, learning_rate=0.1, steps=40)
    assert isinstance(view, View)
    s = view.summary
    assert s["final_mse"] < 0.2 * s["start_mse"]
    assert s["psnr"] == pytest.approx(10 * np.log10(1 / s["final_mse"]))
    assert (s["learning_rate"], s["steps"]) == (0.1, 40)
    # 3 targets + 3 reconstructions + the error curve, and it renders
    assert len(view.figure.axes) == 7
    assert view._repr_png_().startswith(b"\x89PNG")


def test_more_steps_and_a_sensible_rate_fit_better(decoder, targets):
    short = iw.inversion_view(decoder, targets, learning_rate=0.1, steps=5).summary["final_mse"]
    long = iw.inversion_view(decoder, targets, learning_rate=0.1, steps=60).summary["final_mse"]
    tiny = iw.inversion_view(decoder, targets, learning_rate=1e-3, steps=60).summary["final_mse"]
    assert long < short
    assert long < 0.5 * tiny  # a step size 100x too small barely moves z


def test_view_accepts_images_without_channel_axis(decoder, targets):
    a = iw.inversion_view(decoder, targets[..., 0], steps=5).summary
    b = iw.inversion_view(decoder, targets, steps=5).summary
    assert a["final_mse"] == pytest.approx(b["final_mse"])


@pytest.mark.parametrize("kwargs, match", [
    (dict(learning_rate=0.0), "learning_rate must be a number in"),
    (dict(learning_rate=-1.0), "learning_rate must be a number in"),
    (dict(learning_rate=float("nan")), "learning_rate must be a number in"),
    (dict(steps=0), "steps must be an integer from 1"),
    (dict(steps=iw.MAX_STEPS + 1), "steps must be an integer from 1"),
    (dict(steps=2.5), "steps must be an integer from 1"),
])
def test_view_rejects_bad_numbers(decoder, targets, kwargs, match):
    with pytest.raises(ValueError, match=match):
        iw.inversion_view(decoder, targets, **kwargs)


def test_view_rejects_bad_targets(decoder, targets):
    with pytest.raises(ValueError, match="targets must have shape"):
        iw.inversion_view(decoder, np.zeros((2, 14, 14, 1)))
    with pytest.raises(ValueError, match="targets must have shape"):
        iw.inversion_view(decoder, np.zeros((iw.MAX_TARGETS + 1, 28, 28, 1)))
    bad = targets.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        iw.inversion_view(decoder, bad)
    with pytest.raises(TypeError, match=r"decoder must be a keras\.Model"):
        iw.inversion_view(lambda z: z, targets)


def test_explorer_redraws_when_a_slider_moves(decoder, targets):
    w = iw.inversion_explorer(decoder, targets, learning_rate=0.01, steps=10)
    assert isinstance(w, Explorer) and "helpers-explorer" in w._dom_classes
    lr, steps = w.children[0], w.children[1]
    assert isinstance(lr, W.FloatLogSlider) and isinstance(steps, W.IntSlider)
    assert isinstance(w.children[2], W.Image) and bytes(w.children[2].value).startswith(b"\x89PNG")
    before = w.result.summary["final_mse"]
    lr.value = 0.1
    assert w.result.summary["learning_rate"] == pytest.approx(0.1)
    assert w.result.summary["final_mse"] < before
    steps.value = 50
    assert w.result.summary["steps"] == 50
    assert "final mse" in w.caption.value


def test_explorer_rejects_bad_input(decoder, targets):
    with pytest.raises(ValueError, match="learning_rate"):
        iw.inversion_explorer(decoder, targets, learning_rate=100.0)
    with pytest.raises(ValueError, match="steps"):
        iw.inversion_explorer(decoder, targets, steps=0)
    with pytest.raises(ValueError, match="targets"):
        iw.inversion_explorer(decoder, np.zeros((0, 28, 28, 1)))
