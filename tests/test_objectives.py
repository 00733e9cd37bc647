import numpy as np
import pytest

from helpers.maths import objectives as F

RNG = np.random.default_rng(0)


def smooth_objectives():
    X = RNG.standard_normal((30, 3))
    y = (RNG.random(30) > 0.5).astype(float)
    return [
        F.Quadratic([[3.0, 1.0], [1.0, 2.0]], b=[1.0, -1.0], c=0.5),
        F.Quadratic.with_condition(25.0, angle=0.3),
        F.Quadratic([[1.0, 0.0], [0.0, -1.0]]),  # saddle
        F.Rosenbrock(),
        F.LogisticLikelihood(X, y, l2=0.1),
    ]


@pytest.mark.parametrize("obj", smooth_objectives(), ids=repr)
def test_gradients_match_finite_differences(obj):
    for _ in range(3):
        x = RNG.standard_normal(obj.dim)
        np.testing.assert_allclose(obj.grad(x), F.numerical_gradient(obj.value, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("obj", [*smooth_objectives(), F.L1Norm(3), F.Lasso.random(d=4)], ids=repr)
def test_value_and_grad_accept_batches(obj):
    xs = RNG.standard_normal((4, 5, obj.dim))
    values = obj.value(xs)
    assert values.shape == (4, 5)
    np.testing.assert_allclose(values[1, 2], obj.value(xs[1, 2]))
    np.testing.assert_allclose(obj.grad(xs)[1, 2], obj.grad(xs[1, 2]))


def test_quadratic_minimum_eigenvalues_and_condition():
    q = F.Quadratic.with_condition(10.0, angle=0.7, scale=2.0)
    np.testing.assert_allclose(q.eigenvalues, [2.0, 20.0])
    assert q.L == pytest.approx(20.0) and q.mu == pytest.approx(2.0) and q.condition_number == pytest.approx(10.0)
    np.testing.assert_allclose(q.x_star, [0.0, 0.0], atol=1e-12)
    q2 = F.Quadratic([[2.0, 0.0], [0.0, 4.0]], b=[2.0, 4.0], c=1.0)
    np.testing.assert_allclose(q2.x_star, [1.0, 1.0])
    assert q2.f_star == pytest.approx(1.0 - 3.0)
    np.testing.assert_allclose(q2.grad(q2.x_star), 0.0)
    saddle = F.Quadratic([[1.0, 0.0], [0.0, -1.0]])
    assert saddle.x_star is None and saddle.condition_number == float("inf") and saddle.mu == -1.0


@pytest.mark.parametrize("A,match", [
    ([[1.0, 2.0]], "square matrix"),
    ([[1.0, 2.0], [0.0, 1.0]], "symmetric"),
])
def test_quadratic_rejects_bad_matrices(A, match):
    with pytest.raises(ValueError, match=match):
        F.Quadratic(A)


def test_with_condition_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"condition must be >= 1, got 0\.5"):
        F.Quadratic.with_condition(0.5)
    with pytest.raises(ValueError, match="scale must be > 0"):
        F.Quadratic.with_condition(2.0, scale=0)


def test_points_of_the_wrong_size_are_rejected():
    with pytest.raises(ValueError, match=r"x must have last dimension 2, got shape \(3,\)"):
        F.Rosenbrock().value(np.zeros(3))


def test_rosenbrock_minimum():
    r = F.Rosenbrock(a=2.0)
    np.testing.assert_allclose(r.x_star, [2.0, 4.0])
    assert r.value(r.x_star) == 0.0 and np.allclose(r.grad(r.x_star), 0.0)
    assert r.value(np.zeros(2)) > 0
    with pytest.raises(ValueError, match="b must be > 0"):
        F.Rosenbrock(b=0)


def test_l1_norm_subgradient_choice_at_the_kink():
    f = F.L1Norm(1)
    assert f.value(np.array([-2.0])) == 2.0
    np.testing.assert_array_equal(f.grad(np.array([-2.0])), [-1.0])
    np.testing.assert_array_equal(f.grad(np.array([0.0])), [0.0])
    np.testing.assert_array_equal(F.L1Norm(1, at_zero=0.5).grad(np.array([0.0])), [0.5])
    with pytest.raises(ValueError, match=r"subdifferential \[-1, 1\] of \|x\| at 0, got 2"):
        F.L1Norm(1, at_zero=2)
    shifted = F.L1Norm(2, center=[1.0, -1.0])
    assert shifted.value(np.array([1.0, -1.0])) == 0.0 and shifted.M == pytest.approx(np.sqrt(2))


def test_subgradient_inequality_holds_everywhere():
    """g ∈ ∂f(x) means f(z) ≥ f(x) + gᵀ(z − x) for every z: check it for every non-smooth objective."""
    objectives = [
        F.L1Norm(3),
        F.MaxOfAffine([[1.0, 0.0], [-1.0, 0.5], [0.0, -2.0]], [0.0, 1.0, -1.0]),
        F.Hinge(RNG.standard_normal((20, 2)), np.sign(RNG.standard_normal(20)), l2=0.1),
        F.Lasso.random(d=3),
    ]
    for f in objectives:
        for _ in range(20):
            x, z = RNG.standard_normal((2, f.dim))
            if RNG.random() < 0.3:
                x[0] = 0.0  # sit on a kink of the L1 terms
            assert f.value(z) >= f.value(x) + f.grad(x) @ (z - x) - 1e-9, f


def test_max_of_affine_1d_subdifferential():
    relu = F.MaxOfAffine([0.0, 1.0], [0.0, 0.0], name="ReLU")
    assert relu.dim == 1
    assert relu.subdifferential_1d(0.0) == (0.0, 1.0)
    assert relu.subdifferential_1d(2.0) == (1.0, 1.0)
    assert relu.subdifferential_1d(-2.0) == (0.0, 0.0)
    with pytest.raises(ValueError, match="one intercept per piece"):
        F.MaxOfAffine([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="needs a 1-D objective"):
        F.MaxOfAffine([[1.0, 0.0]], [0.0]).subdifferential_1d(0.0)


def test_hinge_value_grad_and_validation():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    h = F.Hinge(X, [1.0, -1.0])
    assert h.value(np.zeros(2)) == 1.0
    np.testing.assert_allclose(h.grad(np.zeros(2)), [-0.5, 0.5])
    assert h.value(np.array([2.0, -2.0])) == 0.0 and np.allclose(h.grad(np.array([2.0, -2.0])), 0)
    with pytest.raises(ValueError, match="labels y must be -1 or \\+1"):
        F.Hinge(X, [0.0, 1.0])
    with pytest.raises(ValueError, match="need X of shape"):
        F.Hinge(X, [1.0])
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        F.Hinge(X, [1.0, -1.0], l2=-1)


def test_lasso_solution_is_sparse_and_optimal():
    p = F.Lasso.random(n=80, d=8, nonzero=2, lam=0.2, seed=1)
    w = p.solve()
    assert np.sum(np.abs(w) > 1e-8) <= 4
    # optimality: 0 ∈ ∂f(w*)  ⇔  |∇smooth_i| ≤ λ where w_i = 0, = −λ sign(w_i) elsewhere
    g_smooth = p.X.T @ (p.X @ w - p.y) / len(p.y)
    nz = np.abs(w) > 1e-8
    np.testing.assert_allclose(g_smooth[nz], -p.lam * np.sign(w[nz]), atol=1e-6)
    assert np.all(np.abs(g_smooth[~nz]) <= p.lam + 1e-6)
    assert p.f_star == pytest.approx(p.value(w))
    with pytest.raises(ValueError, match="nonzero must be from 1 to d=8"):
        F.Lasso.random(d=8, nonzero=9)
    with pytest.raises(ValueError, match="lam must be >= 0"):
        F.Lasso(p.X, p.y, lam=-0.1)


def test_logistic_likelihood_is_concave_and_accuracy():
    X = np.array([[1.0, 2.0], [1.0, -2.0], [1.0, 1.0], [1.0, -1.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    ll = F.LogisticLikelihood(X, y)
    assert ll.value(np.zeros(2)) == pytest.approx(np.log(0.5))
    a, b = RNG.standard_normal((2, 2))
    assert ll.value((a + b) / 2) >= (ll.value(a) + ll.value(b)) / 2  # concavity
    assert ll.accuracy(np.array([0.0, 1.0])) == 1.0 and ll.accuracy(np.array([0.0, -1.0])) == 0.0
    assert np.isfinite(ll.value(np.array([0.0, 1e4])))  # stable for huge logits
    with pytest.raises(ValueError, match="labels y must be 0 or 1"):
        F.LogisticLikelihood(X, y * 2)


def test_numerical_helpers():
    np.testing.assert_allclose(F.numerical_gradient(lambda v: (v**2).sum(), np.array([1.0, -3.0])), [2.0, -6.0],
                               atol=1e-6)
    left, right = F.one_sided_derivatives(abs, 0.0)
    assert (left, right) == (-1.0, 1.0)
    left, right = F.one_sided_derivatives(lambda v: v**2, 1.0, h=1e-7)
    assert left == pytest.approx(2.0, abs=1e-5) and right == pytest.approx(2.0, abs=1e-5)
    with pytest.raises(ValueError, match="h must be > 0"):
        F.numerical_gradient(abs, np.zeros(1), h=0)
    with pytest.raises(ValueError, match="h must be > 0"):
        F.one_sided_derivatives(abs, 0.0, h=-1)


def test_sign_subgradient():
    np.testing.assert_array_equal(F.sign_subgradient(np.array([-3.0, 0.0, 2.0]), 0.25), [-1.0, 0.25, 1.0])


@pytest.mark.parametrize("obj, x", [(F.Rosenbrock(), np.array([-0.7, 1.3])),
                                    (F.Rosenbrock(a=2.0, b=5.0), np.array([0.4, -0.2])),
                                    (F.Quadratic.with_condition(20.0, angle=0.3), np.array([0.5, -1.0]))])
def test_hessian_matches_finite_differences_of_the_gradient(obj, x):
    h = 1e-6
    columns = [(obj.grad(x + h * e) - obj.grad(x - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.allclose(obj.hessian(x), np.stack(columns, axis=1), rtol=1e-5, atol=1e-6)


def test_rosenbrock_hessian_at_the_minimum_and_objectives_without_one():
    assert np.array_equal(F.Rosenbrock().hessian(np.array([1.0, 1.0])), np.array([[802.0, -400.0], [-400.0, 200.0]]))
    with pytest.raises(NotImplementedError, match="L1Norm does not define a Hessian"):
        F.L1Norm().hessian(np.zeros(2))


def test_max_of_affine_bounds_its_subgradients_by_m():
    f = F.MaxOfAffine([[3.0, 4.0], [0.0, 1.0], [-1.0, 0.0]], [0.0, 0.5, 0.2])
    assert f.M == pytest.approx(5.0)
    points = np.random.default_rng(0).normal(size=(200, 2))
    norms = np.linalg.norm(f.grad(points), axis=-1)
    assert norms.max() <= f.M + 1e-12 and norms.max() == pytest.approx(5.0)
