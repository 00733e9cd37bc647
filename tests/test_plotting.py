import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import functions as F  # noqa: E402
from helpers import optim as O  # noqa: E402
from helpers import plotting as P  # noqa: E402


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
    from helpers import games

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
    fig, axes = P.new_figure(2, pyplot=False)
    assert len(axes) == 2 and plt.get_fignums() == []
