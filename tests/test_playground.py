import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.maths import mlp as M
from helpers.maths import playground as P
from helpers.viz import playground as VP
from helpers.viz.scenes import View
from helpers.widgets import gan_dynamics as GD
from tests.support import same

PNG = b"\x89PNG\r\n\x1a\n"


def numeric_grads(f, params, eps=1e-6):
    """Central differences of the scalar f() w.r.t. every entry of every array in params (changed in place)."""
    out = []
    for p in params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = f()
            p[idx] = old - eps
            down = f()
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        out.append(g)
    return out


def assert_grads_close(analytic, numeric, rtol=1e-5, atol=1e-7):
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol)


@pytest.fixture
def tiny():
    rng = np.random.default_rng(3)
    g = M.MLP([3, 5, 4, 2], rng)
    d = M.MLP([2, 6, 5, 1], rng)
    for p in g.params + d.params:  # non-zero biases so that they are tested too
        p += 0.1 * rng.standard_normal(p.shape)
    real = rng.normal(size=(7, 2))
    fake = rng.normal(size=(6, 2))
    z = rng.normal(size=(6, 3))
    return g, d, real, fake, z


# --------------------------------------------------------------------------- data and metrics


def test_ring_matches_the_unrolled_gan_setting_and_is_seeded():
    ring = P.ring()
    assert ring.modes == 8 and ring.std == 0.02
    np.testing.assert_allclose(np.linalg.norm(ring.centres, axis=1), 2.0)
    np.testing.assert_allclose(ring.centres[0], [2.0, 0.0])
    np.testing.assert_allclose(ring.centres[2], [0.0, 2.0], atol=1e-12)
    a = ring.sample(500, np.random.default_rng(1))
    b = ring.sample(500, np.random.default_rng(1))
    assert a.shape == (500, 2) and np.array_equal(a, b)
    d = np.min(np.linalg.norm(a[:, None] - ring.centres[None], axis=2), axis=1)
    assert d.max() < 6 * 0.02 and 0.01 < d.mean() < 0.04


def test_grid_and_make_data():
    grid = P.grid()
    assert grid.modes == 25 and grid.std == 0.05
    assert sorted(set(grid.centres[:, 0])) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert P.make_data("grid").modes == 25 and P.make_data("ring").modes == 8
    pg = P.Playground(data="grid", hidden=8, batch=16)
    assert pg.train(2)["modes"] == 25 and pg.field(10)[2].shape == (10, 10)
    with pytest.raises(ValueError, match="data must be one of ring, grid, got 'moons'"):
        P.make_data("moons")
    with pytest.raises(ValueError, match="radius must be > 0, got -1"):
        P.ring(radius=-1)
    with pytest.raises(ValueError, match=r"modes must be an integer >= 2, got 1"):
        P.ring(modes=1)
    with pytest.raises(ValueError, match="side must be an integer >= 2"):
        P.grid(side=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        P.ring().sample(0, np.random.default_rng(0))


def test_mode_metrics_counts_modes_and_high_quality_samples():
    ring = P.ring()
    rng = np.random.default_rng(0)
    everywhere = ring.sample(2500, rng)
    m = P.mode_metrics(everywhere, ring)
    assert m["modes_covered"] == 8 and m["hq_fraction"] > 0.98 and m["counts"].sum() == round(2500 * m["hq_fraction"])
    collapsed = ring.centres[3] + 0.02 * rng.standard_normal((2500, 2))
    m = P.mode_metrics(collapsed, ring)
    assert m["modes_covered"] == 1 and m["hq_fraction"] > 0.98
    blurred = ring.sample(2500, rng) + 0.3 * rng.standard_normal((2500, 2))
    m = P.mode_metrics(blurred, ring)
    assert m["hq_fraction"] < 0.1
    # a mode needs at least 1% of the samples: 20 of 2500 is not enough, 30 is
    pts = np.concatenate([np.tile(ring.centres[0], (20, 1)), np.tile(ring.centres[1], (30, 1)),
                          np.full((2450, 2), 50.0)])
    assert P.mode_metrics(pts, ring)["modes_covered"] == 1
    assert P.mode_metrics(pts, ring, min_fraction=0.005)["modes_covered"] == 2
    with pytest.raises(ValueError, match=r"samples must have shape \(n, 2\)"):
        P.mode_metrics(np.zeros((5, 3)), ring)
    with pytest.raises(ValueError, match=r"min_fraction must be in \[0, 1\), got 1.5"):
        P.mode_metrics(pts, ring, min_fraction=1.5)


# --------------------------------------------------------------------------- networks and gradients


def test_mlp_shapes_and_backward_against_finite_differences(tiny):
    g, d, real, _fake, z = tiny
    assert g(z).shape == (6, 2) and d(real).shape == (7, 1) and g.layers == 3
    assert [p.shape for p in d.params] == [(2, 6), (6,), (6, 5), (5,), (5, 1), (1,)]
    w = np.random.default_rng(9).normal(size=(6, 2))
    _out, cache = g.forward(z)
    grads, gz = g.backward(cache, w)
    assert_grads_close(grads, numeric_grads(lambda: float(np.sum(w * g(z))), g.params))
    assert_grads_close([gz], numeric_grads(lambda: float(np.sum(w * g(z))), [z]))
    gx, _ = d.input_gradient(d.forward(real)[1])
    assert_grads_close([gx], numeric_grads(lambda: float(np.sum(d(real))), [real]))
    with pytest.raises(ValueError, match="sizes must list at least two"):
        M.MLP([3], np.random.default_rng(0))


@pytest.mark.parametrize("loss", P.LOSSES)
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_discriminator_loss_gradients_match_finite_differences(tiny, loss, gamma):
    _, d, real, fake, _ = tiny
    value, grads = P.discriminator_loss(d, real, fake, loss, gamma)
    assert np.isfinite(value)
    numeric = numeric_grads(lambda: P.discriminator_loss(d, real, fake, loss, gamma)[0], d.params)
    assert_grads_close(grads, numeric)


@pytest.mark.parametrize("loss", P.LOSSES)
def test_generator_loss_gradients_match_finite_differences(tiny, loss):
    g, d, _, _, z = tiny
    value, grads, fake, push = P.generator_loss(g, d, z, loss)
    np.testing.assert_allclose(fake, g(z))
    assert_grads_close(grads, numeric_grads(lambda: P.generator_loss(g, d, z, loss)[0], g.params))
    # the per-point gradient is n · ∂loss/∂x_fake (the mean over the batch undone)
    fake = fake.copy()
    dl = {"saturating": lambda s: -np.logaddexp(0, s), "non-saturating": lambda s: np.logaddexp(0, -s),
          "least-squares": lambda s: 0.5 * (s - 1) ** 2}[loss]
    numeric = numeric_grads(lambda: float(np.sum(dl(d(fake)))), [fake])[0]
    np.testing.assert_allclose(push, numeric, rtol=1e-5, atol=1e-8)
    assert value == pytest.approx(float(np.mean(dl(d(fake)))))


def test_r1_penalty_value_and_gradient(tiny):
    _, d, real, _, _ = tiny
    value, grads = P.r1_penalty(d, real, gamma=3.0)
    gx, _ = d.input_gradient(d.forward(real)[1])
    assert value == pytest.approx(1.5 * np.mean(np.sum(gx**2, axis=1)))
    assert_grads_close(grads, numeric_grads(lambda: P.r1_penalty(d, real, 3.0)[0], d.params))
    assert all(np.all(g == 0) for g in grads[1::2])  # biases do not change a piecewise-linear net's slopes
    assert P.r1_penalty(d, real, 0.0)[0] == 0.0
    with pytest.raises(ValueError, match="gamma must be >= 0, got -1"):
        P.r1_penalty(d, real, -1)


def test_losses_reject_unknown_names(tiny):
    g, d, real, fake, z = tiny
    with pytest.raises(ValueError, match="loss must be one of saturating, non-saturating, least-squares, got 'hinge'"):
        P.discriminator_loss(d, real, fake, "hinge")
    with pytest.raises(ValueError, match="loss must be one of"):
        P.generator_loss(g, d, z, "wasserstein")


def test_large_products_are_split_but_equal():
    rng = np.random.default_rng(0)
    a, w, g = rng.normal(size=(3000, 64)), rng.normal(size=(64, 64)), rng.normal(size=(3000, 64))
    np.testing.assert_allclose(M._mm(a, w), a @ w, rtol=1e-12)
    np.testing.assert_allclose(M._mm_t(a, g), a.T @ g, rtol=1e-10)


def test_adam_minimises_a_quadratic_and_checks_its_rate():
    x = np.array([3.0, -2.0])
    opt = M.Adam([x], learning_rate=0.1, beta_1=0.9)
    for _ in range(300):
        opt.step([2 * x])
    assert np.linalg.norm(x) < 0.05 and opt.t == 300
    with pytest.raises(ValueError, match="learning_rate must be > 0, got 0"):
        M.Adam([x], learning_rate=0)


# --------------------------------------------------------------------------- the playground


def test_settings_reject_bad_values():
    for kwargs, msg in [
        (dict(loss="hinge"), "loss must be one of"),
        (dict(lr_d=0), "lr_d must be > 0, got 0"),
        (dict(lr_g=float("nan")), "lr_g must be a finite number, got nan"),
        (dict(gamma=-0.5), "gamma must be >= 0, got -0.5"),
        (dict(noise_dim=12), r"noise_dim must be an integer in \[2, 8\], got 12"),
        (dict(batch=0), r"batch must be an integer in \[1, 100000\], got 0"),
        (dict(data="spiral"), "data must be one of ring, grid"),
        (dict(beta_1=1.0), r"beta_1 must be in \[0, 1\), got 1.0"),
        (dict(ema=1.0), r"ema must be in \[0, 1\), got 1.0"),
        (dict(update="both"), "update must be one of alternating, simultaneous, got 'both'"),
    ]:
        with pytest.raises(ValueError, match=msg):
            P.Playground(**kwargs)


def test_step_d_and_step_g_each_move_only_their_player():
    pg = P.Playground(hidden=16, batch=64)
    g0 = [p.copy() for p in pg.g.params]
    d0 = [p.copy() for p in pg.d.params]
    loss = pg.step_d()
    assert np.isfinite(loss) and pg.d_updates == 1 and pg.g_updates == 0
    assert all(np.array_equal(a, b) for a, b in zip(g0, pg.g.params))
    assert not all(np.array_equal(a, b) for a, b in zip(d0, pg.d.params))
    d1 = [p.copy() for p in pg.d.params]
    pg.step_g()
    assert pg.g_updates == 1 and pg.step == 1
    assert all(np.array_equal(a, b) for a, b in zip(d1, pg.d.params))
    assert not all(np.array_equal(a, b) for a, b in zip(g0, pg.g.params))


def _copy(params):
    return [p.copy() for p in params]


def test_alternating_and_simultaneous_rounds_take_their_gradients_where_the_definitions_say():
    kw = dict(hidden=16, batch=64, ema=0.0)
    alt, sim = P.Playground(**kw), P.Playground(**kw, update="simultaneous")
    assert alt.settings.update == "alternating"  # the default
    # redo one round of each by hand, from a third copy of the same seeded networks and noise
    ref = P.Playground(**kw)
    g0, d0 = _copy(ref.g.params), _copy(ref.d.params)
    real = ref.data.sample(64, ref.rng)
    z1 = ref.noise(64)
    z2 = ref.noise(64)
    _, grads_d = P.discriminator_loss(ref.d, real, ref.g(z1), "non-saturating", 0.1)
    _, grads_g_same_point, _, _ = P.generator_loss(ref.g, ref.d, z1, "non-saturating")  # D not yet moved
    ref.opt_d.step(grads_d)
    d1 = _copy(ref.d.params)
    _, grads_g_after_d, _, _ = P.generator_loss(ref.g, ref.d, z2, "non-saturating")     # D has moved
    alt.train(1)
    sim.train(1)
    assert alt.d_updates == sim.d_updates == 1 and alt.g_updates == sim.g_updates == 1
    assert same(alt.d.params, d1) and same(sim.d.params, d1)  # D's step is the same in both
    for pg, grads in ((alt, grads_g_after_d), (sim, grads_g_same_point)):
        opt = M.Adam([p.copy() for p in g0], pg.settings.lr_g, pg.settings.beta_1)
        opt.step(grads)
        assert same(pg.g.params, opt.params)
    assert not same(alt.g.params, sim.g.params)
    assert not same(d0, d1)
    # d_steps > 1: simultaneous takes the extra D steps alone first, then one step of both
    sim2 = P.Playground(**kw, update="simultaneous", d_steps=3)
    sim2.train(2)
    assert sim2.d_updates == 6 and sim2.g_updates == 2
    # switching the scheme mid-run is a setting like the others
    alt.set_update("simultaneous")
    assert alt.settings.update == "simultaneous" and "simultaneous" in alt.caption()
    with pytest.raises(ValueError, match="update must be one of"):
        alt.set_update("random")


def test_the_averaged_generator_follows_the_live_one():
    pg = P.Playground(hidden=16, batch=64, ema=0.9)
    before = [p.copy() for p in pg.g_avg.params]
    pg.step_g()
    for avg, old, new in zip(pg.g_avg.params, before, pg.g.params):
        np.testing.assert_allclose(avg, 0.9 * old + 0.1 * new)
    np.testing.assert_allclose(pg.samples(5), pg.g_avg(pg.eval_z[:5]))
    live = P.Playground(hidden=16, batch=64, ema=0.0)
    live.train(3)
    np.testing.assert_allclose(live.samples(5), live.g(live.eval_z[:5]))


def test_train_records_history_and_reset_replays_the_same_run():
    pg = P.Playground(hidden=16, batch=64, d_steps=2)
    m = pg.train(5)
    assert pg.d_updates == 10 and pg.g_updates == 5 and m["step"] == 5
    assert pg.history["step"] == [5] and 0 <= m["hq_fraction"] <= 1 and 0 <= m["modes_covered"] <= 8
    first = pg.samples(50).copy()
    pg.reset()
    assert pg.step == 0 and pg.history["step"] == [] and np.isnan(pg.d_loss)
    pg.train(5)
    np.testing.assert_array_equal(pg.samples(50), first)
    assert pg.train(0)["step"] == 5
    with pytest.raises(ValueError, match="n_steps must be an integer"):
        pg.train(-1)
    with pytest.raises(ValueError, match="n_steps must be an integer"):
        pg.train(2.5)


def test_setters_change_the_settings_and_the_optimisers():
    pg = P.Playground(hidden=16, batch=64)
    pg.set_lr_d(0.02)
    pg.set_lr_g(3e-4)
    pg.set_loss("least-squares")
    pg.set_gamma(1.5)
    s = pg.settings
    assert (s.lr_d, s.lr_g, s.loss, s.gamma) == (0.02, 3e-4, "least-squares", 1.5)
    assert pg.opt_d.learning_rate == 0.02 and pg.opt_g.learning_rate == 3e-4
    assert "least-squares" in pg.caption() and "γ 1.5" in pg.caption() and "η_D 2.0e-02" in pg.caption()
    for fn, bad, msg in [(pg.set_lr_d, -1.0, "lr_d must be > 0"), (pg.set_lr_g, "fast", "lr_g must be a finite number"),
                         (pg.set_loss, "hinge", "loss must be one of"), (pg.set_gamma, -2, "gamma must be >= 0")]:
        with pytest.raises(ValueError, match=msg):
            fn(bad)
    assert pg.settings.lr_d == 0.02  # a rejected value leaves the setting alone


def test_field_and_pushes():
    pg = P.Playground(hidden=16, batch=64)
    pg.train(20)
    xs, _ys, score = pg.field(30)
    assert xs.shape == (30,) and score.shape == (30, 30) and score.min() >= 0 and score.max() <= 1
    pts, push = pg.pushes(40)
    assert pts.shape == push.shape == (40, 2)
    # non-saturating G: a small move along the arrow raises D's logit (makes the point look more real)
    step = 1e-3 * push / np.linalg.norm(push, axis=1, keepdims=True)
    assert np.mean(pg.d(pts + step)[:, 0] > pg.d(pts)[:, 0]) > 0.9
    with pytest.raises(ValueError, match="resolution must be an integer"):
        pg.field(1)


def test_canvas_and_view_draw_the_state():
    pg = P.Playground(hidden=16, batch=64)
    canvas = VP.PlaygroundCanvas(pg.data.extent)
    png0 = canvas.render(pg)
    assert png0.startswith(PNG)
    assert canvas.render(pg) == png0  # same state, same picture
    pg.set_lr_g(2e-3)
    png1 = canvas.render(pg)
    assert png1 != png0  # the caption shows the new setting
    pg.train(10)
    assert canvas.render(pg) != png1
    v = VP.playground_view(pg)
    assert isinstance(v, View) and isinstance(v.figure, Figure) and v.summary["step"] == 10
    assert "step 10" in v.figure.axes[0].get_title() and v._repr_png_().startswith(PNG)


# good and bad settings: the claims the notebook makes (3000 steps take a few seconds)
GOOD = dict(loss="non-saturating", lr_d=3e-3, lr_g=3e-3, gamma=0.1, ema=0.99)


def test_the_default_setting_is_the_good_one():
    s = P.Settings()
    assert {k: getattr(s, k) for k in GOOD} == GOOD and s.update == "alternating"


def test_a_good_setting_covers_most_modes():
    res = P.run(3000, record_every=500, **GOOD)
    assert res.final["modes_covered"] >= 6 and res.final["hq_fraction"] > 0.2, res.history


# one factor at a time (notebook 06 runs three seeds of each; one seed here)
def test_a_tenfold_faster_discriminator_does_not_starve_the_generator():
    res = P.run(3000, record_every=1000, **{**GOOD, "lr_d": 3e-2})
    assert res.final["modes_covered"] >= 6 and res.final["hq_fraction"] > 0.15, res.history


def test_a_tenfold_slower_generator_fails_within_the_budget():
    res = P.run(3000, record_every=1000, **{**GOOD, "lr_g": 3e-4})
    assert res.best_modes() <= 1 and res.final["hq_fraction"] < 0.05, res.history


def test_simultaneous_rounds_train_the_default_setting_too():
    res = P.run(3000, record_every=1000, **GOOD, update="simultaneous")
    assert res.settings.update == "simultaneous"
    assert res.final["modes_covered"] >= 6 and res.final["hq_fraction"] > 0.2, res.history


# --------------------------------------------------------------------------- widget, benchmark, static runs


def test_widget_controls_drive_the_playground():
    w = GD.playground_widget(steps_per_frame=3, hidden=16, batch=64)
    assert isinstance(w, W.VBox) and "helpers-explorer" in w._dom_classes
    c, pg = w.controls, w.playground
    assert isinstance(c["lr_d"], W.FloatLogSlider) and isinstance(c["lr_g"], W.FloatLogSlider)
    assert isinstance(c["gamma"], W.FloatSlider) and isinstance(c["loss"], W.Dropdown) and isinstance(c["play"], W.Play)
    png = bytes(w.image.value)
    assert png.startswith(PNG) and "step <b>0</b>" in w.caption.value
    c["lr_d"].value = 1e-2
    assert pg.settings.lr_d == pytest.approx(1e-2) and bytes(w.image.value) != png
    png = bytes(w.image.value)
    c["gamma"].value = 1.0
    assert pg.settings.gamma == 1.0 and bytes(w.image.value) != png
    c["loss"].value = "least-squares"
    assert pg.settings.loss == "least-squares"
    assert isinstance(c["update"], W.Dropdown) and c["update"].value == "alternating"
    c["update"].value = "simultaneous"
    assert pg.settings.update == "simultaneous"
    c["update"].value = "alternating"
    c["step_d"].click()
    assert pg.d_updates == 1 and pg.g_updates == 0
    c["step_g"].click()
    assert pg.g_updates == 1 and "step <b>1</b>" in w.caption.value
    c["play"].value = 1  # one tick of the animation: steps_per_frame rounds
    assert pg.g_updates == 4
    c["reset"].click()
    assert pg.step == 0 and "step <b>0</b>" in w.caption.value and c["train"].value is False
    with pytest.raises(ValueError, match="steps_per_frame must be an integer"):
        GD.playground_widget(steps_per_frame=0)


def test_frames_per_second_reports_its_parts():
    r = GD.frames_per_second(seconds=0.3, steps_per_frame=2, warmup=1, hidden=16, batch=64)
    assert r["frames"] >= 1 and r["fps"] > 0
    assert r["ms_per_frame"] >= r["ms_train"] and r["ms_draw"] > 0
    with pytest.raises(ValueError, match="seconds must be > 0"):
        GD.frames_per_second(seconds=0)


def test_run_records_history_and_snapshots_and_plots_them():
    res = P.run(60, record_every=20, snapshots=(0, 30, 60), hidden=16, batch=64)
    assert list(res.history["step"]) == [0, 20, 30, 40, 60]
    assert [s["step"] for s in res.snapshots] == [0, 30, 60]
    assert res.snapshots[1]["fake"].shape == (1000, 2) and res.snapshots[1]["field"].shape == (60, 60)
    assert res.final["step"] == 60 and res.best_modes() == max(res.history["modes_covered"])
    fig = VP.plot_snapshots(res)
    assert len(fig.axes) == 3 and "step 30" in fig.axes[1].get_title()
    fig = VP.plot_history({"a": res, "b": res})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="no snapshots"):
        VP.plot_snapshots(P.run(5, hidden=16, batch=64))
    with pytest.raises(ValueError, match="results must map"):
        VP.plot_history({})
    with pytest.raises(ValueError, match="snapshot step must be an integer in"):
        P.run(10, snapshots=(20,))
    with pytest.raises(ValueError, match="steps must be an integer"):
        P.run(0)
