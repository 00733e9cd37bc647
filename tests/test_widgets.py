import ipywidgets as W
import pytest
from matplotlib.figure import Figure

from helpers import widgets


def slider(w, description):
    return next(c for c in w.children if getattr(c, "description", None) == description)


@pytest.mark.parametrize("lr,expected", [(0.01, "too small"), (0.05, "good"), (0.15, "oscillating"), (0.2, "diverges"), (0.3, "diverges")])
def test_lr_regime_boundaries_for_L_10(lr, expected):
    assert widgets.lr_regime(lr, 10.0) == expected


def test_lr_regime_rejects_bad_values():
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        widgets.lr_regime(-1, 10)
    with pytest.raises(ValueError, match="L must be > 0"):
        widgets.lr_regime(0.1, 0)


def test_gd_view_reports_what_it_draws():
    v = widgets.gd_view(0.05, 300, condition=10)
    assert isinstance(v.figure, Figure) and len(v.figure.axes) == 2
    assert v.summary["regime"] == "good" and v.summary["final_gap"] < 1e-6 and not v.summary["diverged"]
    assert v.summary["rate"] == pytest.approx(0.95)
    bad = widgets.gd_view(0.25, 100, condition=10)
    assert bad.summary["regime"] == "diverges" and bad.summary["final_gap"] > 1
    assert "diverges" in v.figure.axes[0].get_title() or "good" in v.figure.axes[0].get_title()
    png = v._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_gd_explorer_slider_changes_the_result():
    w = widgets.gd_explorer()
    assert isinstance(w, widgets.Explorer) and isinstance(w, W.VBox)
    first = w.result.summary
    first_png = w.image.value
    assert first_png[:4] == b"\x89PNG" and "regime: <b>good</b>" in w.caption.value
    slider(w, "η").value = 0.15
    assert w.result.summary["regime"] == "oscillating" and w.result.summary != first
    assert w.image.value != first_png and "oscillating" in w.caption.value
    slider(w, "κ").value = 1.0
    assert w.result.summary["L"] == pytest.approx(1.0) and w.result.summary["regime"] == "too small"


def test_game_view_and_explorer():
    sim = widgets.game_view(0.1, 100, "simultaneous")
    alt = widgets.game_view(0.1, 100, "alternating")
    assert sim.summary["growth"] > 1 and sim.summary["final_distance"] > 1.2
    assert alt.summary["growth"] == pytest.approx(1.0) and alt.summary["final_distance"] < 1.3
    w = widgets.game_explorer()
    slider(w, "turns").value = "extragradient"
    assert w.result.summary["growth"] < 1
    with pytest.raises(ValueError, match="mode must be one of"):
        widgets.game_view(0.1, 10, "sideways")


def test_subgradient_view_and_explorer():
    const = widgets.subgradient_view(0.3, 100, "constant")
    dimin = widgets.subgradient_view(0.3, 100, "sqrt")
    assert const.summary["increases"] > 0
    assert dimin.summary["best_value"] < const.summary["best_value"]
    w = widgets.subgradient_explorer()
    slider(w, "step").value = "sqrt"
    assert w.result.summary["best_value"] == pytest.approx(widgets.subgradient_view(0.3, 60, "sqrt").summary["best_value"])


def test_optimizer_view_and_explorer():
    mom = widgets.optimizer_view("momentum", 0.02, 0.9, 300)
    assert mom.summary["final_gap"] < mom.summary["gd_final_gap"]
    rb = widgets.optimizer_view("adam", 0.05, 0.9, 300, problem="Rosenbrock")
    assert not rb.summary["diverged"]
    w = widgets.optimizer_explorer()
    slider(w, "optimizer").value = "gd"
    assert w.result.summary["final_gap"] == pytest.approx(w.result.summary["gd_final_gap"])
    with pytest.raises(ValueError, match="problem must be one of"):
        widgets.optimizer_view(problem="Himmelblau")


@pytest.mark.parametrize("view", [widgets.gd_view, widgets.subgradient_view, widgets.game_view])
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
        return widgets.gd_view(steps=a + 1)

    w = widgets.Explorer(view, dict(a=W.IntSlider(value=1, min=-5, max=5)), fixed={})
    assert calls == [1] and w.values() == {"a": 1}
    with pytest.raises(ValueError, match="a must be >= 0, got -1"):
        w.children[0].value = -1
    assert "error: ValueError: a must be &gt;= 0" in w.caption.value or "error: ValueError: a must be >= 0" in w.caption.value
    w.children[0].value = 2
    assert "error" not in w.caption.value and w.result.summary["regime"] == "good"


def test_explorer_passes_fixed_arguments():
    seen = {}

    def view(a, b):
        seen.update(a=a, b=b)
        return widgets.gd_view(steps=2)

    widgets.Explorer(view, dict(a=W.IntSlider(value=3)), fixed=dict(b="fixed"))
    assert seen == {"a": 3, "b": "fixed"}


def test_views_drop_minor_ticks_on_log_axes_only():
    v = widgets.gd_view(0.05, 20)
    lin, log = v.figure.axes
    assert log.get_yscale() == "log" and len(log.yaxis.get_minorticklocs()) == 0
    assert lin.get_yscale() == "linear"
