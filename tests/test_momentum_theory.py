import math

import numpy as np
import pytest

from helpers.maths import momentum_theory as M
from helpers.maths import optim
from helpers.maths.objectives import Quadratic


def errors(q, opt, steps, x0=(1.0, 1.0)):
    """‖x_t − x*‖ of a run of ``opt`` on ``q``."""
    traj = optim.run(q, x0, opt, steps)
    return np.linalg.norm(traj.xs - q.x_star, axis=1)


def test_optimal_gd_formulas_and_simulated_rate():
    q = Quadratic.with_condition(50.0, angle=0.4)
    t = M.optimal_gd(q.L, q.mu)
    assert t.learning_rate == pytest.approx(2 / 51)
    assert t.momentum == 0.0
    assert t.rate == pytest.approx(49 / 51)
    # both eigen-directions shrink by exactly |1 − ηλ| = rate every step
    e = errors(q, optim.GradientDescent(t.learning_rate), 200)
    assert M.measured_rate(e, 50, 200) == pytest.approx(t.rate, rel=1e-9)


def test_optimal_momentum_formulas():
    t = M.optimal_momentum(100.0, 1.0)
    assert t.learning_rate == pytest.approx(4 / 121)
    assert t.rate == pytest.approx(9 / 11)
    assert t.momentum == pytest.approx((9 / 11) ** 2)
    assert math.sqrt(t.momentum) == pytest.approx(t.rate)
    # κ = 1: one step solves it, rate 0
    assert M.optimal_momentum(3.0, 3.0).rate == 0.0


@pytest.mark.parametrize("kappa", [10.0, 50.0, 100.0])
def test_optimal_momentum_rate_matches_simulated_iterates(kappa):
    q = Quadratic.with_condition(kappa, angle=0.3)
    t = M.optimal_momentum(q.L, q.mu)
    e = errors(q, optim.Momentum(t.learning_rate, t.momentum), 400)
    # the critically damped extremes add a factor linear in t: over [200, 400] it moves the rate
    # by 2^(1/200) − 1 < 0.4 %
    assert M.measured_rate(e, 200, 400) == pytest.approx(t.rate, rel=4e-3)
    # a smaller β than the best is slower: the small-curvature direction then limits the rate
    assert M.momentum_rate(t.learning_rate, t.momentum * 0.9, q.eigenvalues) > t.rate
    assert t.rate < M.optimal_gd(q.L, q.mu).rate
    assert M.momentum_rate(t.learning_rate, t.momentum, q.eigenvalues) == pytest.approx(t.rate, rel=1e-6)


def test_momentum_matrix_reproduces_the_recurrence():
    lam, lr, beta = 3.0, 0.1, 0.7
    q = Quadratic(np.array([[lam]]))
    traj = optim.run(q, [1.0], optim.Momentum(lr, beta), 10)
    e = traj.xs[:, 0]
    T = M.momentum_matrix(lr, beta, lam)
    state = np.array([e[1], e[0]])
    for k in range(2, 11):
        state = T @ state
        assert state[0] == pytest.approx(e[k], rel=1e-12)


@pytest.mark.parametrize("lr,beta", [(0.02, 0.9), (0.05, 0.5), (0.01, 0.0), (0.03, 0.97)])
def test_spectral_radius_predicts_simulated_rate(lr, beta):
    lam = 20.0
    q = Quadratic(np.array([[lam]]))
    rho = float(M.spectral_radius(lr, beta, lam))
    e = np.abs(optim.run(q, [1.0], optim.Momentum(lr, beta), 400).xs[:, 0]) if beta else \
        np.abs(optim.run(q, [1.0], optim.GradientDescent(lr), 400).xs[:, 0])
    # an underdamped (complex) pair oscillates: compare peak envelopes via a long window of maxima
    early, late = np.max(e[100:140]), np.max(e[300:340])
    assert (late / early) ** (1 / 200) == pytest.approx(rho, rel=0.02)


def test_spectral_radius_shapes_and_gd_case():
    lams = np.array([[1.0, 2.0], [10.0, 50.0]])
    r = M.spectral_radius(0.03, 0.0, lams)
    assert r.shape == (2, 2)
    np.testing.assert_allclose(r, np.abs(1 - 0.03 * lams), rtol=1e-12)
    assert M.spectral_radius(0.03, 0.5, 2.0).shape == ()
    assert M.momentum_rate(0.03, 0.0, lams) == pytest.approx(np.max(np.abs(1 - 0.03 * lams)))


def test_momentum_diverges_beyond_its_stability_limit():
    # heavy ball is stable for 0 < ηλ < 2(1 + β)
    beta, lam = 0.5, 10.0
    assert M.momentum_rate(2 * (1 + beta) / lam * 0.99, beta, [lam]) < 1
    assert M.momentum_rate(2 * (1 + beta) / lam * 1.01, beta, [lam]) > 1


def test_measured_rate():
    e = 0.5 ** np.arange(20)
    assert M.measured_rate(e, 2, 12) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: M.optimal_gd(-1.0, 1.0), "L must be > 0, got -1.0"),
        (lambda: M.optimal_momentum(1.0, 0.0), "mu must be > 0, got 0.0"),
        (lambda: M.optimal_momentum(1.0, 2.0), "mu must be <= L"),
        (lambda: M.momentum_matrix(0.0, 0.5, 1.0), "learning_rate must be > 0"),
        (lambda: M.momentum_matrix(0.1, 1.0, 1.0), r"momentum must be in \[0, 1\), got 1.0"),
        (lambda: M.momentum_matrix(0.1, 0.5, float("nan")), "eigenvalue must be finite"),
        (lambda: M.momentum_rate(0.1, 0.5, []), "eigenvalues must not be empty"),
        (lambda: M.measured_rate([1.0, 0.5, 0.25], 2, 1), "need integers 0 <= start < stop < 3"),
        (lambda: M.measured_rate([1.0, 0.5, 0.25], 0, 3), "need integers 0 <= start < stop < 3"),
        (lambda: M.measured_rate([1.0, 0.0, 0.25], 0, 1), "errors at start and stop must be > 0"),
    ],
)
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_eigen_errors_split_the_error_along_the_eigenvectors():
    q = Quadratic.with_condition(10.0, angle=0.5)
    traj = optim.run(q, (1.0, -2.0), optim.GradientDescent(0.05), 30)
    lams, e = M.eigen_errors(traj.xs, q.x_star, q.hessian())
    assert lams == pytest.approx([10.0, 1.0])                                        # largest first
    assert np.allclose(np.linalg.norm(e, axis=1), np.linalg.norm(traj.xs - q.x_star, axis=1))   # an orthogonal split
    # gradient descent multiplies each component by exactly |1 − ηλ|
    assert np.allclose(e[1:], e[:-1] * np.abs(1 - 0.05 * lams))
    with pytest.raises(ValueError, match="hessian must be a symmetric square matrix"):
        M.eigen_errors(traj.xs, q.x_star, [[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"xs must have shape \(T, 2\), got \(31,\)"):
        M.eigen_errors(traj.xs[:, 0], q.x_star, q.hessian())


def test_predicted_errors_bound_the_momentum_iterates_along_each_eigenvector():
    q = Quadratic.with_condition(25.0, angle=0.2)
    eta, beta, steps = 0.03, 0.8, 200
    traj = optim.run(q, (1.5, 1.0), optim.Momentum(eta, beta), steps)
    lams, e = M.eigen_errors(traj.xs, q.x_star, q.hessian())
    pred = M.predicted_errors(e[0], eta, beta, lams, steps)
    assert pred.shape == (steps + 1, 2) and np.array_equal(pred[0], e[0])
    rho = M.spectral_radius(eta, beta, lams)
    assert np.allclose(pred[10] / pred[0], rho**10)
    # complex eigenvalues here (ρ = √β along both directions): the envelope's log-slope matches the measured peaks'
    late = e[100:].max(axis=0) / e[:20].max(axis=0)
    assert np.allclose(late ** (1 / 100), rho, rtol=0.02)
    with pytest.raises(ValueError, match="need one starting error per eigenvalue: 2 eigenvalues, got 3"):
        M.predicted_errors([1.0, 2.0, 3.0], eta, beta, lams, 5)
