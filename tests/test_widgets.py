import io

import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from helpers.viz import scenes
from helpers.widgets import explorer
from helpers.widgets import gradient_ascent as ga
from helpers.widgets import gradient_descent as gd
from helpers.widgets import optimizers as opt
from helpers.widgets import subgradients as sg
from tests.support import control


def test_the_fastest_step_oscillates_and_is_reported():
    v = gd.gd_view(2 / 11, 30, condition=10)
    assert v.summary["regime"] == "oscillating"
    assert v.summary["best_step"] == pytest.approx(2 / 11) and v.summary["rate"] == pytest.approx(9 / 11)
    assert v.summary["best_rate"] == pytest.approx(9 / 11)
    slower = gd.gd_view(0.1, 30, condition=10)  # η = 1/L: monotone, and slower
    assert slower.summary["regime"] == "monotone" and slower.summary["rate"] > v.summary["rate"]
    assert slower.summary["final_gap"] > 10 * v.summary["final_gap"]


def test_gd_view_reports_what_it_draws():
    v = gd.gd_view(0.05, 300, condition=10)
    assert isinstance(v.figure, Figure) and len(v.figure.axes) == 2
    assert v.summary["regime"] == "monotone" and v.summary["final_gap"] < 1e-6 and not v.summary["diverged"]
    assert v.summary["rate"] == pytest.approx(0.95)
    bad = gd.gd_view(0.25, 100, condition=10)
    assert bad.summary["regime"] == "diverging" and bad.summary["final_gap"] > 1
    assert "monotone" in v.figure.axes[0].get_title() and "diverging" in bad.figure.axes[0].get_title()
    png = v._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_gd_explorer_slider_changes_the_result():
    w = gd.gd_explorer()
    assert isinstance(w, explorer.Explorer) and isinstance(w, W.VBox)
    first = w.result.summary
    first_png = w.image.value
    assert first_png[:4] == b"\x89PNG" and "regime: <b>monotone</b>" in w.caption.value
    control(w, "η").value = 0.15
    assert w.result.summary["regime"] == "oscillating" and w.result.summary != first
    assert w.image.value != first_png and "oscillating" in w.caption.value
    control(w, "κ").value = 1.0
    assert w.result.summary["L"] == pytest.approx(1.0) and w.result.summary["regime"] == "monotone"


def test_game_view_and_explorer():
    sim = ga.game_view(0.1, 100, "simultaneous")
    alt = ga.game_view(0.1, 100, "alternating")
    assert sim.summary["growth"] > 1 and sim.summary["final_distance"] > 1.2
    assert alt.summary["growth"] == pytest.approx(1.0) and alt.summary["final_distance"] < 1.3
    w = ga.game_explorer()
    control(w, "turns").value = "extragradient"
    assert w.result.summary["growth"] < 1
    with pytest.raises(ValueError, match="mode must be one of"):
        ga.game_view(0.1, 10, "sideways")


def test_subgradient_view_and_explorer():
    const = sg.subgradient_view(0.3, 100, "constant")
    dimin = sg.subgradient_view(0.3, 100, "sqrt")
    assert const.summary["increases"] > 0
    assert dimin.summary["best_value"] < const.summary["best_value"]
    w = sg.subgradient_explorer()
    control(w, "step").value = "sqrt"
    fresh = sg.subgradient_view(0.3, 60, "sqrt")
    assert w.result.summary["best_value"] == pytest.approx(fresh.summary["best_value"])


def test_optimizer_view_and_explorer():
    mom = opt.optimizer_view("momentum", 0.02, 0.9, 300)
    assert mom.summary["final_gap"] < mom.summary["gd_final_gap"]
    assert mom.summary["rates"] == (0.9487, 0.9487)            # √β along both directions (complex eigenvalues)
    gd = opt.optimizer_view("gd", 0.03, 0.9, 100)
    assert gd.summary["rates"] == (0.5, 0.97)                  # |1 − ηλ| for λ = 50 and 1
    steep, flat, *dashed = gd.figure.axes[2].lines
    assert np.allclose(steep.get_ydata()[1:30] / steep.get_ydata()[:29], 0.5)  # measured error per eigenvector ...
    assert np.allclose(dashed[1].get_ydata(), flat.get_ydata())               # ... on the closed-form line
    rb = opt.optimizer_view("adam", 0.05, 0.9, 300, problem="Rosenbrock")
    assert not rb.summary["diverged"]
    assert "rates" not in rb.summary and len(rb.figure.axes[2].lines) == 2   # no closed form for Adam
    w = opt.optimizer_explorer()
    control(w, "optimizer").value = "gd"
    assert w.result.summary["final_gap"] == pytest.approx(w.result.summary["gd_final_gap"])
    with pytest.raises(ValueError, match="problem must be one of"):
        opt.optimizer_view(problem="Himmelblau")


@pytest.mark.parametrize("view", [gd.gd_view, sg.subgradient_view, ga.game_view])
def test_views_reject_bad_steps(view):
    with pytest.raises(ValueError, match="steps must be"):
        view(steps=0)
    with pytest.raises(ValueError, match="steps must be at most 100000"):
        view(steps=10**6)


def test_explorer_shows_a_failing_view_in_its_caption_and_raises():
    calls = []

    def view(a=1):
        calls.append(a)
        if a < 0:
            raise ValueError(f"a must be >= 0, got {a}")
        return gd.gd_view(steps=a + 1)

    w = explorer.Explorer(view, dict(a=W.IntSlider(value=1, min=-5, max=5)), fixed={})
    assert calls == [1] and w.values() == {"a": 1}
    with pytest.raises(ValueError, match="a must be >= 0, got -1"):
        w.children[0].value = -1
    assert ("error: ValueError: a must be &gt;= 0" in w.caption.value
            or "error: ValueError: a must be >= 0" in w.caption.value)
    w.children[0].value = 2
    assert "error" not in w.caption.value and w.result.summary["regime"] == "monotone"


def test_explorer_passes_fixed_arguments():
    seen = {}

    def view(a, b):
        seen.update(a=a, b=b)
        return gd.gd_view(steps=2)

    explorer.Explorer(view, dict(a=W.IntSlider(value=3)), fixed=dict(b="fixed"))
    assert seen == {"a": 3, "b": "fixed"}


def test_views_drop_minor_ticks_on_log_axes_only():
    v = gd.gd_view(0.05, 20)
    lin, log = v.figure.axes
    assert log.get_yscale() == "log" and len(log.yaxis.get_minorticklocs()) == 0
    assert lin.get_yscale() == "linear"


# --------------------------------------------------------------------------- fast path: scenes


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


VIEWS = {"gd_view": gd.gd_view, "game_view": ga.game_view, "subgradient_view": sg.subgradient_view,
         "optimizer_view": opt.optimizer_view}

# per view: values moved through in order, as slider moves do (small nudges, a new log decade, a new step count)
MOVES = {
    "gd_view": [dict(learning_rate=0.05), dict(learning_rate=0.0525), dict(learning_rate=0.25, steps=100),
                dict(learning_rate=0.01, steps=5)],
    "game_view": [dict(learning_rate=0.1), dict(learning_rate=0.11),
                  dict(learning_rate=0.1, steps=101, mode="alternating")],
    "subgradient_view": [dict(learning_rate=0.3), dict(learning_rate=0.05, rule="sqrt"),
                         dict(learning_rate=1.0, steps=300)],
    "optimizer_view": [dict(), dict(learning_rate=0.1, beta=0.5),
                       dict(optimizer="adam", learning_rate=0.05, problem="Rosenbrock")],
}


@pytest.mark.parametrize("name", list(MOVES))
def test_scene_images_and_summaries_equal_the_fresh_views(name):
    view = VIEWS[name]
    cache = scenes.SceneCache(view)
    previous = None
    for values in MOVES[name]:
        fast, slow = cache.view(**values), view(**values)
        assert fast.summary == slow.summary
        got, want = pixels(fast._repr_png_()), pixels(slow._repr_png_())
        assert got.shape == want.shape
        assert np.abs(got.astype(int) - want.astype(int)).max() == 0, (
            f"{name}{values}: fast image differs from the fresh view's")
        if previous is not None:
            assert not np.array_equal(got, previous), f"{name}{values}: moving a slider left the image unchanged"
        previous = got


def test_explorer_keeps_one_figure_and_redraws_what_moves():
    w = gd.gd_explorer()
    assert w.scenes is not None
    figure = w.result.figure
    control(w, "η").value = 0.1
    assert w.result.figure is figure, "a slider move must reuse the explorer's figure"
    assert np.array_equal(pixels(w.image.value), pixels(gd.gd_view(0.1, 30, 10.0)._repr_png_()))
    scene = next(iter(w.scenes.scenes.values()))
    assert scene.figure.axes[0].collections[0] not in scene._drawn, "the contours belong to the cached static layer"
    control(w, "κ").value = 3.0  # new contours: a second scene (figure) for the new key
    assert w.result.figure is not figure and len(w.scenes.scenes) == 2
    assert w.result.summary == gd.gd_view(0.1, 30, 3.0).summary


def test_explorer_without_fast_path_calls_the_view(monkeypatch):
    monkeypatch.setattr(explorer, "FAST_WIDGETS", False)
    w = gd.gd_explorer()
    assert w.scenes is None
    figure = w.result.figure
    control(w, "η").value = 0.1
    assert w.result.figure is not figure and w.result.png is None and w.result.summary["regime"] == "monotone"


def test_scene_cache_fills_defaults_evicts_and_checks_its_arguments():
    cache = scenes.SceneCache(gd.gd_view, size=1)
    v = cache.view(learning_rate=0.1)
    assert v.summary == gd.gd_view(learning_rate=0.1).summary
    cache.view(learning_rate=0.1, condition=2.0)
    assert list(cache.scenes) == [(2.0,)]
    with pytest.raises(TypeError):
        cache.view(speed=3)
    with pytest.raises(ValueError, match=r"view_fn must have a \.scene"):
        scenes.SceneCache(lambda a=1: None)
    with pytest.raises(ValueError, match="size must be >= 1, got 0"):
        scenes.SceneCache(gd.gd_view, size=0)


def test_scene_refuses_values_of_another_key_and_keeps_few_backgrounds():
    scene = gd.GdScene(learning_rate=0.05, steps=30, condition=10.0, x0=(1.8, 1.2))
    with pytest.raises(ValueError, match="this scene draws key"):
        scene.view(learning_rate=0.05, steps=30, condition=2.0, x0=(1.8, 1.2))
    for steps in range(1, 2 * scenes.Scene.backgrounds + 3):  # every step count changes the x-axis: a new static layer
        scene.view(learning_rate=0.05, steps=steps, condition=10.0, x0=(1.8, 1.2))
    assert len(scene._backgrounds) == scenes.Scene.backgrounds


def test_scene_views_reject_bad_values_like_the_views():
    cache = scenes.SceneCache(sg.subgradient_view)
    with pytest.raises(ValueError, match="steps must be at most 100000"):
        cache.view(steps=10**6)
    with pytest.raises(ValueError, match="problem must be one of"):
        scenes.SceneCache(opt.optimizer_view).view(problem="Himmelblau")


def test_game_radius_holds_the_path_on_a_fixed_ladder():
    assert ga.game_radius(np.array([[1.0, 0.5]])) == 1.5
    assert ga.game_radius(np.array([[1.0, 0.5], [-2.2, 0.0]])) == 2.5  # 1.1 × 2.2 = 2.42
    assert ga.game_radius(np.array([[np.inf, 1e9]])) == 20.0
    zs = ga.game_view(0.3, 100).figure.axes[0].get_xlim()
    assert zs[1] in ga.GAME_RADII and zs[0] == -zs[1]
