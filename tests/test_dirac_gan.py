import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.maths import dirac_gan as D
from helpers.maths import games
from helpers.viz import plotting
from helpers.viz.dirac_gan import plot_method
from helpers.viz.scenes import View
from helpers.widgets.explorer import Explorer
from helpers.widgets.gan_dynamics import dirac_explorer, dirac_view
from tests.support import control


def test_f_and_its_derivatives():
    t = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(D.f(t), -np.log1p(np.exp(-t)), rtol=1e-12, atol=1e-12)
    eps = 1e-5
    np.testing.assert_allclose(D.f_prime(t), (D.f(t + eps) - D.f(t - eps)) / (2 * eps), atol=1e-8)
    np.testing.assert_allclose(D.f_second(t), (D.f_prime(t + eps) - D.f_prime(t - eps)) / (2 * eps), atol=1e-8)
    assert D.f_prime(0.0) == 0.5 and D.f_second(0.0) == -0.25
    assert np.isfinite(D.f(-800.0)) and D.f(-800.0) == pytest.approx(-800.0)  # no overflow
    assert D.loss(0.0, 3.0) == pytest.approx(2 * np.log(0.5))
    assert D.loss(1.0, 2.0) == pytest.approx(D.f(2.0) + D.f(0.0))


@pytest.mark.parametrize("method", D.METHODS)
def test_field_is_the_loss_gradient_and_vanishes_at_the_equilibrium(method):
    u, v = D.field(method, np.array(0.0), np.array(0.0))
    assert (u, v) == (0.0, 0.0)
    th, ps = np.array([0.7, -0.4]), np.array([0.3, 1.2])
    u, v = D.field(method, th, ps, gamma=0.5, sigma=0.8)
    assert u.shape == v.shape == (2,)
    if method == "gan":  # (−∂L/∂θ, +∂L/∂ψ) by finite differences of the loss
        eps = 1e-6
        np.testing.assert_allclose(u, -(D.loss(th + eps, ps) - D.loss(th - eps, ps)) / (2 * eps), rtol=1e-6)
        np.testing.assert_allclose(v, (D.loss(th, ps + eps) - D.loss(th, ps - eps)) / (2 * eps), rtol=1e-6)


def test_fields_of_the_methods_differ_as_derived():
    th, ps = 0.7, 0.3
    gan = D.field("gan", th, ps)
    assert D.field("nsgan", th, ps)[1] == gan[1] and D.field("nsgan", th, ps)[0] < gan[0] < 0  # NS pushes θ harder
    assert D.field("wgan", th, ps) == (-ps, th)
    assert D.field("wgan-gp", th, ps, gamma=2.0)[1] == pytest.approx(th - 2.0 * (ps - 1.0))
    assert D.field("r1", th, ps, gamma=2.0)[1] == pytest.approx(gan[1] - 2.0 * ps)
    assert D.field("r1", th, ps, gamma=2.0) == D.field("r2", th, ps, gamma=2.0)
    # instance noise with σ = 0 is the plain GAN; with σ > 0 its expectation matches Monte Carlo
    np.testing.assert_allclose(D.field("instance-noise", th, ps, sigma=0.0), gan, rtol=1e-12)
    rng = np.random.default_rng(0)
    e1, e2 = rng.standard_normal((2, 400_000)) * 0.8
    mc = (-np.mean(ps * D.f_prime(ps * (th + e1))),
          np.mean((th + e1) * D.f_prime(ps * (th + e1))) - np.mean(e2 * D.f_prime(-ps * e2)))
    np.testing.assert_allclose(D.field("instance-noise", th, ps, sigma=0.8), mc, atol=3e-3)


def test_near_zero_the_gan_is_the_bilinear_game_with_a_half():
    X, Y = np.meshgrid(np.linspace(-1e-3, 1e-3, 5), np.linspace(-1e-3, 1e-3, 5))
    bilinear = games.BilinearGame(a=0.5).field(X, Y)
    np.testing.assert_allclose(D.field("gan", X, Y), bilinear, atol=1e-9)


@pytest.mark.parametrize("method", [m for m in D.METHODS if m != "wgan-gp"])
def test_analytic_jacobian_matches_finite_differences(method):
    J = D.equilibrium_jacobian(method, gamma=0.7, sigma=1.3)
    Jn = D.numerical_jacobian(D.field_map(method, gamma=0.7, sigma=1.3), [0.0, 0.0])
    np.testing.assert_allclose(Jn, J, atol=1e-7)


def test_eigenvalues_unregularised_imaginary_regularised_damped():
    for method in ("gan", "nsgan"):
        eig = np.linalg.eigvals(D.equilibrium_jacobian(method))
        np.testing.assert_allclose(eig.real, 0.0)
        np.testing.assert_allclose(sorted(eig.imag), [-0.5, 0.5])
    eig = np.linalg.eigvals(D.equilibrium_jacobian("instance-noise", sigma=1.0))
    np.testing.assert_allclose(eig.real, -0.25)  # 2σ²f''(0)/2
    eig = np.linalg.eigvals(D.equilibrium_jacobian("r1", gamma=0.3))
    np.testing.assert_allclose(eig.real, -0.15)
    assert D.equilibrium_jacobian("wgan-gp") is None


def test_numerical_jacobian_of_a_known_map():
    J = D.numerical_jacobian(lambda z: np.array([z[0] * z[1], np.sin(z[0]), z[1] ** 2]), [1.0, 2.0])
    np.testing.assert_allclose(J, [[2.0, 1.0], [np.cos(1.0), 0.0], [0.0, 4.0]], atol=1e-8)
    with pytest.raises(ValueError, match="eps must be > 0"):
        D.numerical_jacobian(lambda z: z, [0.0], eps=0)


@pytest.mark.parametrize("mode,n_d", [("simultaneous", 1), ("alternating", 1), ("alternating", 3)])
@pytest.mark.parametrize("method", ["gan", "nsgan", "instance-noise", "r1", "wgan"])
def test_update_jacobian_is_the_derivative_of_a_step(method, mode, n_d):
    h = 0.3
    M = D.update_jacobian(method, h, mode, n_d=n_d, gamma=0.4)
    Mn = D.numerical_jacobian(lambda z: D.step(method, z, h, mode, n_d=n_d, gamma=0.4, clip=10.0), [0.0, 0.0])
    np.testing.assert_allclose(Mn, M, atol=1e-7)


def test_spectral_radius_values():
    for h in (0.1, 0.5, 1.0):
        assert D.spectral_radius("gan", h, "simultaneous") == pytest.approx(np.sqrt(1 + h**2 / 4))
        assert D.spectral_radius("gan", h, "alternating") == pytest.approx(1.0)
    # alternating stays on the unit circle while α = h·a·√n_d ≤ 2 (a = 1 for the WGAN), then leaves it
    assert D.spectral_radius("wgan", 0.5, "alternating", n_d=5) == pytest.approx(1.0)
    assert D.spectral_radius("wgan", 1.0, "alternating", n_d=5) > 2
    assert D.spectral_radius("r1", 0.1, "simultaneous", gamma=0.3) < 1
    assert np.isnan(D.spectral_radius("wgan-gp", 0.1))
    # the bilinear game of 02 has the same step matrix as the unregularised Dirac-GAN with a = 1/2
    assert D.spectral_radius("gan", 0.2, "simultaneous") == pytest.approx(
        games.growth_factor(games.BilinearGame(a=0.5), 0.2, "simultaneous"))


@pytest.mark.parametrize("mode", D.MODES)
@pytest.mark.parametrize("gamma", [0.1, 0.3, 1.0, 2.5])
def test_r1_max_step_is_where_the_spectral_radius_crosses_one(gamma, mode):
    h_max = D.r1_max_step(gamma, mode)
    assert D.spectral_radius("r1", 0.98 * h_max, mode, gamma=gamma) < 1
    assert D.spectral_radius("r1", 1.02 * h_max, mode, gamma=gamma) > 1


def test_step_simultaneous_and_alternating_by_hand():
    th, ps, h = 0.6, -0.4, 0.2
    sim = D.step("gan", (th, ps), h, "simultaneous")
    np.testing.assert_allclose(sim, [th - h * ps * D.f_prime(ps * th), ps + h * th * D.f_prime(ps * th)])
    alt = D.step("gan", (th, ps), h, "alternating")
    ps1 = ps + h * th * D.f_prime(ps * th)  # the discriminator first
    np.testing.assert_allclose(alt, [th - h * ps1 * D.f_prime(ps1 * th), ps1])
    clipped = D.step("wgan", (2.0, 0.9), 0.5, "alternating", n_d=3, clip=1.0)
    assert clipped[1] == 1.0 and clipped[0] == pytest.approx(2.0 - 0.5)


def test_simultaneous_gan_spirals_out_and_alternating_circles():
    sim = D.train("gan", (0.5, 0.5), 0.1, 500, "simultaneous")
    assert np.all(np.diff(sim.distances) > 0)  # the norm grows at every step
    alt = D.train("gan", (0.5, 0.5), 0.1, 2000, "alternating")
    assert 0.9 * alt.distances[0] < alt.distances.min() and alt.distances.max() < 1.1 * alt.distances[0]
    assert alt.thetas.min() < -0.3 and alt.thetas.max() > 0.3  # the generator keeps overshooting the data


@pytest.mark.parametrize("method", ["instance-noise", "r1", "r2"])
@pytest.mark.parametrize("mode", D.MODES)
def test_regularised_methods_converge(method, mode):
    t = D.train(method, (1.0, 1.0), 0.1, 1500, mode)
    assert D.converged(t, 1e-6) and t.distances[-1] < 1e-6


@pytest.mark.parametrize("method", ["wgan", "wgan-gp"])
def test_wgans_with_finitely_many_critic_steps_keep_oscillating(method):
    t = D.train(method, (1.0, 0.5), 0.1, 2000, "alternating")
    assert t.n_d == 5 and not D.converged(t)
    assert np.max(np.abs(t.thetas[-200:])) > 0.05  # the generator still swings around the data
    if method == "wgan":
        assert np.max(np.abs(t.psis)) <= 1.0  # clipping holds


def test_trajectory_properties():
    t = D.train("r1", (1.0, -2.0), 0.1, 3, "simultaneous")
    assert t.zs.shape == (4, 2) and t.label == "R1 penalty" and t.n_d == 1
    np.testing.assert_array_equal(t.thetas, t.zs[:, 0])
    np.testing.assert_array_equal(t.psis, t.zs[:, 1])
    assert t.distances[0] == pytest.approx(np.sqrt(5))
    assert D.train("gan", (1, 1), 0.1, 0).zs.shape == (1, 2)


def test_a_diverging_run_stops_before_overflow_and_is_marked():
    t = D.train("r1", (1.0, 1.0), 3.0, 1000, "simultaneous", gamma=10.0)  # ψ is multiplied by about −29 per step
    assert t.diverged and len(t.zs) < 20 and np.all(np.isfinite(t.zs)) and t.distances[-1] >= D.DIVERGED
    assert not D.converged(t)
    assert not D.train("r1", (1.0, 1.0), 0.1, 100).diverged
    v = dirac_view("r1", h=3.0, gamma=10.0, mode="simultaneous")
    assert v.summary["diverged"] and not v.summary["converges"]


def test_results_table_matches_the_papers_conclusions():
    rows = D.results_table(steps=1500)
    verdict = {r["method"]: r["converges"] for r in rows}
    assert verdict == {"gan": False, "nsgan": False, "wgan": False, "wgan-gp": False,
                       "instance-noise": True, "r1": True, "r2": True}
    by = {r["method"]: r for r in rows}
    assert by["gan"]["final_distance"] >= 0.99 * by["gan"]["start_distance"]
    assert by["r1"]["spectral_radius"] < 1 and by["gan"]["spectral_radius"] == pytest.approx(1.0)
    assert np.isnan(by["wgan-gp"]["spectral_radius"])
    text = D.format_table(rows)
    assert text.splitlines()[0].split()[0] == "method" and len(text.splitlines()) == 8
    assert "n/a" in text and "yes" in text


def test_plot_method_and_view():
    t = D.train("nsgan", (1.0, 1.0), 0.1, 50)
    _fig, axes = plotting.new_figure(pyplot=False)
    ax = plot_method(t, ax=axes[0])
    assert ax.get_xlabel().startswith("θ") and ax.get_title() == "GAN (non-saturating)"
    v = dirac_view("r1", h=0.5, gamma=0.3, mode="simultaneous", steps=300)
    assert isinstance(v, View) and isinstance(v.figure, Figure) and len(v.figure.axes) == 2
    assert v.summary["converges"] and v.summary["spectral_radius"] < 1 and v.summary["η_max"] == pytest.approx(1.2)
    assert "η = 0.5" in v.figure.axes[0].get_title()
    bad = dirac_view("r1", h=2.0, gamma=0.3, mode="simultaneous", steps=100)
    assert not bad.summary["converges"] and bad.summary["spectral_radius"] > 1
    assert v._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="steps must be at most 5000"):
        dirac_view(steps=10_000)


def test_explorer_controls_drive_the_view():
    w = dirac_explorer()
    assert isinstance(w, Explorer) and "helpers-explorer" in w._dom_classes
    assert not any(getattr(c, "description", None) == "h" for c in w.children)  # the step is written η
    assert isinstance(control(w, "η"), W.FloatLogSlider) and isinstance(control(w, "γ"), W.FloatLogSlider)
    assert w.result.summary["converges"] and "η max: <b>1.2</b>" in w.caption.value
    control(w, "γ").value = 0.1  # h = 0.5 > 4γ = 0.4: the spiral opens
    assert not w.result.summary["converges"] and w.result.summary["spectral_radius"] > 1
    control(w, "η").value = 0.2
    assert w.result.summary["spectral_radius"] < 1
    control(w, "method").value = "gan"
    assert w.result.summary["method"] == "gan" and "η_max" not in w.result.summary
    control(w, "turns").value = "alternating"
    assert w.result.summary["spectral_radius"] == pytest.approx(1.0)


@pytest.mark.parametrize("call,match", [
    (lambda: D.field("lsgan", 0, 0), "method must be one of"),
    (lambda: D.field("r1", 0, 0, gamma=-1), "gamma must be >= 0"),
    (lambda: D.field("instance-noise", 0, 0, sigma=float("nan")), "sigma must be >= 0"),
    (lambda: D.equilibrium_jacobian("sgd"), "method must be one of"),
    (lambda: D.field_map("x"), "method must be one of"),
    (lambda: D.step("gan", (1, 1), 0.0), "h must be > 0"),
    (lambda: D.step("gan", (1, 1), 0.1, "sideways"), "mode must be one of"),
    (lambda: D.step("gan", (1, 1), 0.1, "simultaneous", n_d=2), "n_d must be 1 for simultaneous"),
    (lambda: D.step("gan", (1, 1), 0.1, n_d=0), "n_d must be an integer >= 1"),
    (lambda: D.step("wgan", (1, 1), 0.1, clip=0), "clip must be > 0"),
    (lambda: D.update_jacobian("gan", -0.1), "h must be > 0"),
    (lambda: D.update_jacobian("gan", 0.1, "simultaneous", n_d=3), "n_d must be 1 for simultaneous"),
    (lambda: D.spectral_radius("gan", 0.1, "both"), "mode must be one of"),
    (lambda: D.r1_max_step(0.0), "gamma must be > 0"),
    (lambda: D.train("gan", steps=-1), "steps must be an integer >= 0"),
    (lambda: D.train("gan", z0=(1.0, 2.0, 3.0)), "z must be two finite numbers"),
    (lambda: D.step("gan", (1.0, np.nan), 0.1), "z must be two finite numbers"),
    (lambda: D.step("gan", "ab", 0.1), "z must be two finite numbers"),
    (lambda: D.train("gan", mode="random"), "mode must be one of"),
    (lambda: D.converged(D.train("gan", steps=1), tol=0), "tol must be > 0"),
    (lambda: D.results_table(["gan", "bogus"], steps=2), "method must be one of"),
    (lambda: dirac_view("bogus"), "method must be one of"),
    (lambda: dirac_view(steps=0), "steps must be an integer >= 1"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
