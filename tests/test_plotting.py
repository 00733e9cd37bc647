import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.maths import objectives as F
from helpers.maths import optim as O
from helpers.viz import plotting as P


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_bounds_around_encloses_points_and_ignores_non_finite():
    b = P.bounds_around([np.array([[0.0, 0.0], [2.0, 1.0]]), np.array([[np.inf, 5.0]])], margin=0.1)
    assert b[0] < 0 < 2 < b[1] and b[2] < 0 and b[3] > 1 and np.all(np.isfinite(b))


def test_plot_trajectories_draws_each_path_and_the_minimum():
    q = F.Quadratic.with_condition(5.0)
    runs = [O.gradient_descent(q, [1.0, 1.0], lr, 20) for lr in (0.05, 0.3)]
    ax = P.plot_trajectories(q, runs, grid=40)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["gradient descent", "gradient descent"]
    path = next(line for line in ax.lines if line.get_label() == "gradient descent").get_xydata()
    np.testing.assert_allclose(path, runs[0].xs)
    xmin, xmax = ax.get_xlim()
    assert xmin < runs[1].xs[:, 0].min() and xmax > runs[1].xs[:, 0].max()


def test_contour_rejects_non_2d_objectives():
    with pytest.raises(ValueError, match="contour needs a 2-D objective"):
        P.contour(F.L1Norm(3))


def test_plot_curves_gap_on_log_scale():
    ax = P.plot_curves({"a": np.array([3.0, 2.0, 1.0])}, f_star=1.0)
    y = ax.lines[0].get_ydata()
    assert ax.get_yscale() == "log" and y[0] == 2.0 and np.isnan(y[2])
    t = O.subgradient_method(F.L1Norm(1), [1.0], 0.3, 10, rule="constant")
    ax2 = P.plot_curves([t], best=True, log=False)
    np.testing.assert_array_equal(ax2.lines[0].get_ydata(), t.best_values)


def test_plot_1d_and_supporting_lines():
    ax = P.plot_1d(np.abs, (-1, 1), iterates={"run": np.array([1.0, -0.5, 0.25])})
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.0, 0.5, 0.25])
    ax = P.plot_supporting_lines(np.abs, 0.0, [-1.0, 0.0, 1.0])
    assert len(ax.lines) == 1 + 3 + 1  # graph, three supporting lines, the point


def test_plot_field_draws_arrows_and_paths():
    from helpers.maths import games

    g = games.BilinearGame()
    t = games.play(g, (1.0, 0.0), 0.1, 10)
    ax = P.plot_field(g.field, paths={"sim": t.zs})
    assert len(ax.collections) >= 1 and np.allclose(ax.lines[0].get_xydata(), t.zs)


def test_image_grid_shapes_and_errors():
    fig = P.image_grid(np.zeros((10, 784)), ncols=4, titles=[str(i) for i in range(10)])
    assert len(fig.axes) == 12 and fig.axes[0].get_title() == "0"
    with pytest.raises(ValueError, match="square number of pixels"):
        P.image_grid(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"must have shape \(N, H, W\)"):
        P.image_grid(np.zeros((0, 28, 28)))


def test_new_figure_outside_pyplot():
    _fig, axes = P.new_figure(2, pyplot=False)
    assert len(axes) == 2 and plt.get_fignums() == []


def test_plot_path_returns_its_lines_and_set_path_data_moves_them():
    ax = P.new_figure()[1][0]
    line, start = P.plot_path(ax, np.array([[0.0, 0.0], [1.0, 1.0]]), label="run")
    assert line.get_label() == "run" and line in ax.lines and start in ax.lines
    P.set_path_data((line, start), np.array([[2.0, 1.0], [np.nan, 0.0], [3.0, -1.0], [np.inf, 1.0]]))
    np.testing.assert_array_equal(line.get_xydata(), [[2.0, 1.0], [3.0, -1.0]])
    np.testing.assert_array_equal(start.get_xydata(), [[2.0, 1.0]])
    P.set_path_data((line, start), np.full((3, 2), np.nan))
    assert len(line.get_xdata()) == 0 and len(start.get_xdata()) == 0


def test_set_curve_data_matches_a_fresh_plot_curves():
    a, b = np.array([9.0, 3.0, 1.5, 1.0]), np.array([5.0, 1.2, 1.004])
    fresh = P.plot_curves({"a": a, "b": b}, f_star=1.0, snap=True)
    ax = P.plot_curves({"a": np.array([2.0, 1.5]), "b": np.array([4.0, 3.0, 2.0, 1.5, 1.2])}, f_star=1.0, snap=True)
    P.set_curve_data(ax.lines, [a, b], f_star=1.0, snap=True)
    for got, want in zip(ax.lines, fresh.lines):
        np.testing.assert_array_equal(got.get_xydata(), want.get_xydata())
    assert ax.get_ylim() == fresh.get_ylim() == (1e-3, 10.0)
    assert ax.get_xlim() == pytest.approx(fresh.get_xlim())
    plain = P.plot_curves({"a": a, "b": b}, f_star=1.0)  # without snap: matplotlib's autoscale
    P.set_curve_data(plain.lines, [a, b], f_star=1.0)
    assert 1e-3 < plain.get_ylim()[0] < 4e-3 and 10.0 < plain.get_ylim()[1] < 20.0  # margins, not decades
    with pytest.raises(ValueError, match="need one value series per line: 2 lines, got 1 series"):
        P.set_curve_data(ax.lines, [a])


def test_snap_log_ylim_rounds_out_to_whole_decades():
    ax = P.new_figure()[1][0]
    assert P.snap_log_ylim(ax) is None  # no lines, no data
    ax.plot([0, 1, 2], [0.03, 250.0, -1.0])
    ax.set_yscale("log")
    assert P.snap_log_ylim(ax) == (0.01, 1000.0) and ax.get_ylim() == (0.01, 1000.0)
    ax.lines[0].set_ydata([10.0, 10.0, np.nan])
    assert P.snap_log_ylim(ax) == (10.0, 100.0)


def test_smooth_is_a_running_mean_over_the_last_window():
    np.testing.assert_allclose(P.smooth([1, 3, 5, 7], window=2), [1, 2, 4, 6])
    with pytest.raises(ValueError, match="window must be a positive integer, got 0"):
        P.smooth([1.0], window=0)
