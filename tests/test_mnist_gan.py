"""Notebook 05's GAN learning-rate lab (helpers.widgets.mnist_gan): the trial function, its helpers, the widget."""

import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.viz.scenes import View
from helpers.widgets import mnist_gan as gw


@pytest.fixture(scope="module")
def blocks():
    """200 synthetic 'digits' in [-1, 1]: a bright 8×8 square at a random place on a dark background."""
    rng = np.random.default_rng(0)
    x = -np.ones((200, 28, 28), np.float32)
    for img, (r, c) in zip(x, rng.integers(2, 18, size=(200, 2))):
        img[r:r + 8, c:c + 8] = 1.0
    return x


@pytest.fixture(scope="module")
def balanced(blocks):
    return gw.lr_trial(2e-4, 2e-4, steps=30, data=blocks, seed=0, batch_size=32)


def test_lr_trial_trains_and_draws(balanced):
    r = balanced
    assert isinstance(r, View) and isinstance(r.figure, Figure) and len(r.figure.axes) == 2
    assert r.d_losses.shape == (30,) and r.g_losses.shape == (30,)
    assert np.all(np.isfinite(r.d_losses)) and np.all(np.isfinite(r.g_losses))
    # D starts near log 4 (it cannot tell yet) and learns within a few steps
    assert abs(r.d_losses[0] - np.log(4)) < 0.5 and r.d_losses[-5:].mean() < r.d_losses[0]
    assert r.samples.shape == (gw.N_SAMPLES, 28, 28) and r.samples.dtype == np.uint8
    s = r.summary
    assert s["steps"] == 30 and s["d_lr"] == 2e-4 and s["verdict"] in gw.VERDICTS
    assert 0 <= s["D_real"] <= 1 and 0 <= s["D_fake"] <= 1 and s["g_change"] > gw.STILL
    assert r._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lr_trial_is_reproducible_and_reports_progress(blocks, balanced):
    # leaves the shared step in another state
    other = gw.lr_trial(3e-3, 1e-5, steps=12, data=blocks, seed=3, batch_size=16)
    assert not np.allclose(other.d_losses, balanced.d_losses[:12])
    calls = []
    again = gw.lr_trial(2e-4, 2e-4, steps=30, data=blocks, seed=0, batch_size=32,
                        progress=lambda *a: calls.append(a), every=10)
    np.testing.assert_allclose(again.d_losses, balanced.d_losses, rtol=1e-5)  # as from freshly built models
    np.testing.assert_allclose(again.g_losses, balanced.g_losses, rtol=1e-5)
    np.testing.assert_array_equal(again.samples, balanced.samples)
    assert [c[0] for c in calls] == [10, 20, 30] and all(c[1] == 30 for c in calls)


def test_tiny_learning_rates_leave_the_generator_still(blocks):
    r = gw.lr_trial(1e-6, 1e-6, steps=20, data=blocks, seed=1, batch_size=32)
    assert r.summary["g_change"] < gw.STILL and r.summary["verdict"] == "nothing moved"


@pytest.mark.parametrize("kwargs,match", [
    ({"d_lr": -0.1}, r"d_lr must be a number in \(0, 1\], got -0.1"),
    ({"g_lr": 5.0}, r"g_lr must be a number in \(0, 1\], got 5.0"),
    ({"d_lr": float("nan")}, r"d_lr must be a number in \(0, 1\], got nan"),
    ({"steps": 0}, "steps must be a positive integer, got 0"),
    ({"steps": 10**6}, "steps must be an integer from 1 to 5000, got 1000000"),
    ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ({"data": None}, "data must be images in"),
    ({"data": np.zeros((5, 10, 10), np.float32)}, r"data must have shape .* got \(5, 10, 10\)"),
    ({"data": np.zeros((5, 28, 28), np.uint8)}, "got uint8"),
])
def test_lr_trial_rejects_bad_input(blocks, kwargs, match):
    args = {"d_lr": 2e-4, "g_lr": 2e-4, "steps": 5, "data": blocks, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        gw.lr_trial(**args)


def test_trials_figure(balanced):
    fig = gw.trials_figure([balanced, balanced])
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert "in play" in fig.axes[0].get_title() or balanced.summary["verdict"] in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="results must be a non-empty list of TrialResult"):
        gw.trials_figure([])


def test_widget_runs_on_slider_release_and_on_click(blocks):
    w = gw.lr_explorer(blocks, steps=25, batch_size=32)
    assert isinstance(w, W.VBox) and "helpers-explorer" in w._dom_classes
    assert isinstance(w.image, W.Image) and w.image in w.children and w.runs == 1
    assert all(not s.continuous_update for s in (w.d_slider, w.g_slider, w.steps_slider))
    assert isinstance(w.d_slider, W.FloatLogSlider) and isinstance(w.g_slider, W.FloatLogSlider)
    first_png, first = w.image.value, w.result
    assert first_png[:4] == b"\x89PNG" and "verdict" in w.caption.value
    w.d_slider.value = 1e-2  # a slider released: a new run at the new rate
    assert w.runs == 2 and w.result is not first and w.result.summary["d_lr"] == pytest.approx(1e-2)
    assert w.image.value != first_png
    w.button.click()
    assert w.runs == 3 and not w.button.disabled


def test_widget_shows_errors_in_the_caption_and_raises(blocks):
    w = gw.lr_explorer(blocks, steps=25, batch_size=32, run=False)
    assert w.runs == 0 and w.result is None
    w.data = None
    with pytest.raises(ValueError, match="data must be images"):
        w.run()
    assert "error: ValueError" in w.caption.value and not w.button.disabled
    with pytest.raises(ValueError, match=r"d_lr must be a number in \(0, 1\], got 0"):
        gw.lr_explorer(blocks, d_lr=0, run=False)
