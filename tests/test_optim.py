import math

import keras
import numpy as np
import pytest

from helpers.maths import objectives as F
from helpers.maths import optim as O

QUAD = F.Quadratic.with_condition(10.0, angle=0.4)
X0 = np.array([1.5, -1.0])


# ---------------------------------------------------------------- loops and gradient descent

def test_gradient_descent_converges_below_2_over_L_and_diverges_above():
    L = QUAD.L
    good = O.gradient_descent(QUAD, X0, 1.0 / L, 300)
    assert not good.diverged and good.value < 1e-10
    osc = O.gradient_descent(QUAD, X0, 1.95 / L, 300)
    assert not osc.diverged and osc.value < QUAD.value(X0)
    bad = O.gradient_descent(QUAD, X0, 2.05 / L, 5000)
    assert bad.diverged and bad.diverged_at < 5000


def test_gd_contraction_rate_matches_the_iterates():
    lr = 0.15
    rho = O.gd_rate_quadratic(lr, QUAD.eigenvalues)
    assert rho == pytest.approx(max(abs(1 - lr * 1.0), abs(1 - lr * 10.0)))
    traj = O.gradient_descent(QUAD, X0, lr, 60)
    dist = np.linalg.norm(traj.xs, axis=1)
    assert dist[-1] / dist[-2] == pytest.approx(rho, rel=1e-3)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        O.gd_rate_quadratic(0, [1.0])


def test_gradient_ascent_is_descent_on_minus_j():
    X = np.random.default_rng(0).standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(float)
    J = F.LogisticLikelihood(X, y, l2=0.01)

    class MinusJ(F.Objective):
        dim = 3

        def value(self, w):
            return -J.value(w)

        def grad(self, w):
            return -J.grad(w)

    up = O.gradient_ascent(J, np.zeros(3), 0.5, 50)
    down = O.gradient_descent(MinusJ(), np.zeros(3), 0.5, 50)
    np.testing.assert_allclose(up.xs, down.xs)
    assert np.all(np.diff(up.values) > 0)  # a small step on a concave J climbs every time
    np.testing.assert_array_equal(up.best_values, np.maximum.accumulate(up.values))
    assert up.label == "gradient ascent"


def test_trajectory_fields():
    t = O.gradient_descent(QUAD, X0, 0.05, 10)
    assert t.xs.shape == (11, 2) and t.values.shape == (11,) and t.lrs.shape == (10,) and t.steps == 10
    np.testing.assert_array_equal(t.x, t.xs[-1])
    assert t.value == t.values[-1] and t.label == "gradient descent" and not t.diverged
    zero = O.gradient_descent(QUAD, X0, 0.05, 0)
    assert zero.steps == 0 and zero.value == QUAD.value(X0)


@pytest.mark.parametrize("kwargs,match", [
    ({"steps": -1}, "steps must be an integer >= 0, got -1"),
    ({"steps": 2.5}, "steps must be an integer >= 0"),
    ({"x0": [1.0, 2.0, 3.0]}, r"x0 must have 2 coordinates, got shape \(3,\)"),
])
def test_run_rejects_bad_arguments(kwargs, match):
    args = dict(x0=X0, steps=5) | kwargs
    with pytest.raises(ValueError, match=match):
        O.gradient_descent(QUAD, args["x0"], 0.1, args["steps"])


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", True])
def test_learning_rate_must_be_positive(lr):
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        O.GradientDescent(lr)


# ---------------------------------------------------------------- subgradient method

def test_subgradient_method_constant_step_stalls_diminishing_converges():
    f = F.L1Norm(1)
    const = O.subgradient_method(f, [1.05], 0.1, 200, rule="constant")
    # a constant step ends up bouncing around the kink at distance about η
    assert const.values[-50:].max() == pytest.approx(0.05, abs=1e-9)
    assert np.any(np.diff(const.values) > 0)  # not a descent method
    sqrt = O.subgradient_method(f, [1.05], 0.1, 2000, rule="sqrt")
    assert sqrt.best_values[-1] < 0.01 and sqrt.best_values[-1] < const.best_values[-1]
    np.testing.assert_allclose(sqrt.lrs[:3], [0.1, 0.1 / math.sqrt(2), 0.1 / math.sqrt(3)])
    with pytest.raises(ValueError, match=r"rule must be one of \('constant', 'sqrt'\), got 'log'"):
        O.subgradient_method(f, [1.0], 0.1, 10, rule="log")


def test_subgradient_rate_is_order_one_over_sqrt_t():
    p = F.Lasso.random(n=60, d=6, lam=0.3, seed=2)
    p.solve()
    t = O.subgradient_method(p, np.zeros(6), 0.05, 4000, rule="sqrt")
    gap = t.best_values - p.f_star
    # the best gap keeps shrinking, roughly like 1/√t, far slower than GD's geometric rate
    assert gap[4000] < gap[400] < gap[40]
    assert gap[4000] > 1e-7


# ---------------------------------------------------------------- match keras step for step

def keras_twin(name, lr, **kw):
    opts = keras.optimizers
    if name == "gd":
        return opts.SGD(lr)
    if name == "momentum":
        return opts.SGD(lr, momentum=kw.get("momentum", 0.9))
    if name == "nesterov":
        return opts.SGD(lr, momentum=kw.get("momentum", 0.9), nesterov=True)
    if name == "rmsprop":
        return opts.RMSprop(lr, rho=kw.get("rho", 0.9))
    return opts.Adam(lr, beta_1=kw.get("beta_1", 0.9), beta_2=kw.get("beta_2", 0.999))


@pytest.mark.parametrize("name,kw", [
    ("gd", {}), ("momentum", {"momentum": 0.8}), ("nesterov", {"momentum": 0.7}),
    ("rmsprop", {"rho": 0.95}), ("adam", {"beta_1": 0.5, "beta_2": 0.99}),
])
@pytest.mark.parametrize("objective", [QUAD, F.Rosenbrock()], ids=["quadratic", "rosenbrock"])
def test_numpy_optimizers_match_keras_step_for_step(name, kw, objective):
    lr = 0.002 if isinstance(objective, F.Rosenbrock) else 0.05
    x0 = np.array([-1.2, 1.0])
    ours = O.run(objective, x0, O.make_optimizer(name, lr, **kw), 40)
    theirs = O.keras_trajectory(objective, x0, keras_twin(name, lr, **kw), 40)
    # Keras keeps its hyper-parameters in float32, so agreement is to float32 precision
    np.testing.assert_allclose(ours.xs, theirs, rtol=1e-5, atol=1e-6)


def test_a_wrong_update_rule_would_be_caught():
    """The comparison above can fail: Adam without bias correction drifts away from Keras."""
    class NoBiasCorrection(O.Adam):
        def update(self, x, g, lr):
            if self.m is None:
                self.m, self.v = np.zeros_like(x), np.zeros_like(x)
            self.m = self.beta_1 * self.m + (1 - self.beta_1) * g
            self.v = self.beta_2 * self.v + (1 - self.beta_2) * g**2
            return x - lr * self.m / (np.sqrt(self.v) + self.epsilon)

    ours = O.run(QUAD, X0, NoBiasCorrection(0.05), 10).xs
    theirs = O.keras_trajectory(QUAD, X0, keras.optimizers.Adam(0.05), 10)
    assert not np.allclose(ours, theirs)


def test_momentum_beats_gd_on_ill_conditioned_quadratic():
    q = F.Quadratic.with_condition(100.0)
    L, mu = q.L, q.mu
    gd = O.gradient_descent(q, [1.0, 1.0], 1 / L, 300)
    beta = ((math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))) ** 2
    hb = O.run(q, [1.0, 1.0], O.Momentum(4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, beta), 300)
    assert hb.value < 1e-6 * gd.value


def test_optimizer_state_resets_between_runs():
    opt = O.Adam(0.1)
    first = O.run(QUAD, X0, opt, 20).xs
    second = O.run(QUAD, X0, opt, 20).xs
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("factory,match", [
    (lambda: O.Momentum(0.1, momentum=1.0), r"momentum must be in \[0, 1\), got 1.0"),
    (lambda: O.RMSProp(0.1, rho=-0.1), r"rho must be in \[0, 1\)"),
    (lambda: O.Adam(0.1, beta_1=1.5), r"beta_1 must be in \[0, 1\)"),
    (lambda: O.Adam(0.1, epsilon=0), "epsilon must be > 0"),
    (lambda: O.make_optimizer("sgdx", 0.1),
     r"optimizer must be one of \['adam', 'gd', 'momentum', 'nesterov', 'rmsprop'\], got 'sgdx'"),
])
def test_optimizer_arguments_are_validated(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_nesterov_factory():
    n = O.Nesterov(0.1, 0.5)
    assert n.nesterov and n.momentum == 0.5 and n.name == "Nesterov"


@pytest.mark.parametrize("cls", [O.GradientDescent, O.Momentum, O.RMSProp, O.Adam])
def test_step_is_the_public_update_at_the_schedules_rate_plus_a_tick(cls):
    x, g = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    by_step, by_update = cls(0.1), cls(0.1)
    assert np.array_equal(by_step.step(x, g), by_update.update(x, g, 0.1))
    assert by_step.t == 1 and by_update.t == 0  # update is the rule alone; step also counts
    with pytest.raises(NotImplementedError):
        O.Optimizer.update(by_step, x, g, 0.1)


# ---------------------------------------------------------------- one constant step on a quadratic: its regime

@pytest.mark.parametrize("lr,expected", [(0.01, "monotone"), (0.05, "monotone"), (0.1, "monotone"),
                                         (0.1001, "oscillating"), (0.15, "oscillating"), (2 / 11, "oscillating"),
                                         (0.1999, "oscillating"), (0.2, "bouncing"), (0.2001, "diverging"),
                                         (0.3, "diverging")])
def test_lr_regime_boundaries_for_L_10(lr, expected):
    assert O.lr_regime(lr, 10.0) == expected


@pytest.mark.parametrize("lr", [0.01, 0.08, 0.1, 0.15, 2 / 11, 0.19, 0.2, 0.21])
def test_lr_regime_says_what_the_iterates_do(lr):
    """The name matches the steep coordinate's sign and size over 60 steps on eigenvalues 1 and 10."""
    steep = 1.0 * (1 - lr * 10.0) ** np.arange(61)  # the coordinate along λ = L, from 1
    name = O.lr_regime(lr, 10.0)
    flips = np.all(np.diff(np.sign(steep[np.abs(steep) > 0])) != 0)
    assert name == ("monotone" if np.all(steep >= 0) else
                    "oscillating" if flips and abs(steep[-1]) < 1 else
                    "bouncing" if flips and np.isclose(abs(steep[-1]), 1) else "diverging")


def test_lr_regime_rejects_bad_values():
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        O.lr_regime(-1, 10)
    with pytest.raises(ValueError, match="L must be > 0"):
        O.lr_regime(0.1, 0)
