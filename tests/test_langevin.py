import numpy as np
import pytest

from helpers.maths import langevin as lv


def numeric_gradient(f, x, h=1e-5):
    """Central differences of a function of points (n, d) returning (n,)."""
    grad = np.zeros_like(x)
    for j in range(x.shape[1]):
        e = np.zeros(x.shape[1])
        e[j] = h
        grad[:, j] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def test_log_density_integrates_to_one_and_matches_a_single_gaussian():
    m = lv.ring_mixture(4, radius=1.5, std=0.4, weights=[1, 2, 3, 4])
    t = np.linspace(-4, 4, 321)
    xx, yy = np.meshgrid(t, t)
    p = np.exp(m.log_density(np.stack([xx.ravel(), yy.ravel()], 1)))
    assert p.sum() * (t[1] - t[0]) ** 2 == pytest.approx(1.0, abs=1e-4)
    single = lv.GaussianMixture([[1.0, -2.0]], 0.5, [1.0])
    x = np.array([[0.0, 0.0], [1.0, -2.0]])
    expected = -((x - [1.0, -2.0]) ** 2).sum(1) / (2 * 0.25) - np.log(2 * np.pi * 0.25)
    np.testing.assert_allclose(single.log_density(x), expected, rtol=1e-12)


def test_score_is_the_gradient_of_the_log_density():
    m = lv.ring_mixture(8, std=0.3, weights=np.arange(1, 9))
    x = np.random.default_rng(0).normal(scale=2.0, size=(50, 2))
    np.testing.assert_allclose(m.score(x), numeric_gradient(m.log_density, x), rtol=1e-5, atol=1e-6)


def test_score_far_from_every_mode_does_not_overflow():
    m = lv.ring_mixture(8, std=0.02)
    s = m.score(np.array([[40.0, -30.0]]))
    assert np.all(np.isfinite(s)) and s[0, 0] < 0 < s[0, 1]   # points back towards the ring


def test_noised_mixture_has_the_variance_of_the_sum():
    m = lv.GaussianMixture([[-10.0, 0.0], [10.0, 0.0]], 0.25, [0.3, 0.7])
    rng = np.random.default_rng(1)
    x = m.sample(100_000, rng) + 0.5 * rng.standard_normal((100_000, 2))
    noised = m.noised(0.5)
    assert noised.std == pytest.approx(np.hypot(0.25, 0.5)) and np.array_equal(noised.weights, m.weights)
    # the per-axis spread of the samples about their (far apart, so unambiguous) centre, against the formula
    nearest = m.centres[(x[:, 0] > 0).astype(int)]
    assert np.std(x - nearest) == pytest.approx(noised.std, rel=0.02)


def test_sampling_follows_the_weights():
    m = lv.ring_mixture(4, weights=[1, 1, 2, 4])
    props = lv.mode_proportions(m.sample(40_000, np.random.default_rng(2)), m)
    np.testing.assert_allclose(props, [0.125, 0.125, 0.25, 0.5], atol=0.01)


def test_gradient_ascent_collapses_onto_the_modes_and_langevin_samples_the_density():
    m = lv.ring_mixture(8, std=0.3)
    rng = np.random.default_rng(3)
    x0 = rng.uniform(-3, 3, size=(2000, 2))
    climbed = lv.langevin(m.score, x0, eta=0.01, steps=1500, noise=False)
    sampled = lv.langevin(m.score, x0, eta=0.01, steps=1500, rng=rng)
    exact = m.sample(2000, rng)
    # ascent ends within a hair of a centre; Langevin keeps the spread of the density (std 0.3 per axis)
    def dist(x):
        return np.sqrt(((x[:, None] - m.centres[None]) ** 2).sum(-1)).min(1)
    assert np.median(dist(climbed)) < 0.02 and np.median(dist(sampled)) > 0.2
    assert lv.energy_distance(sampled, exact) < 0.2 * lv.energy_distance(climbed, exact)


def test_langevin_needs_a_generator_and_keeps_a_trajectory():
    m = lv.ring_mixture()
    with pytest.raises(ValueError, match="needs rng"):
        lv.langevin(m.score, np.zeros((3, 2)), 0.1, 5)
    with pytest.raises(ValueError, match=r"eta must be > 0, got -0.1|eta must be .*-0.1"):
        lv.langevin(m.score, np.zeros((3, 2)), -0.1, 5, rng=np.random.default_rng(0))
    final, path = lv.langevin(m.score, np.zeros((3, 2)) + 1, 0.1, 10, rng=np.random.default_rng(0), keep_every=5)
    assert path.shape == (3, 3, 2) and np.array_equal(path[-1], final) and np.all(path[0] == 1)
    # the same generator state gives the same chain
    again = lv.langevin(m.score, np.zeros((3, 2)) + 1, 0.1, 10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(final, again)


def test_annealing_recovers_unequal_weights_that_plain_langevin_misses():
    # two far-apart modes, weights 0.8 / 0.2, chains started uniformly between them: plain Langevin keeps each
    # chain in the basin it started in (about half and half); annealed Langevin from a large σ comes close to
    # 0.8 / 0.2 (not exactly: the split freezes at the σ where the barrier between the modes forms, about 0.77)
    m = lv.GaussianMixture([[-4.0, 0.0], [4.0, 0.0]], 0.3, [0.8, 0.2])
    rng = np.random.default_rng(4)
    x0 = rng.uniform(-6, 6, size=(4000, 2))
    plain = lv.mode_proportions(lv.langevin(m.score, x0, 0.005, 1000, rng=rng), m)
    sigmas = lv.geometric_sigmas(8.0, 0.05, 10)
    annealed = lv.mode_proportions(
        lv.annealed_langevin(lambda x, s: m.noised(s).score(x), x0, sigmas, 1e-4, 200, rng), m)
    assert abs(plain[0] - 0.5) < 0.05
    assert abs(annealed[0] - 0.8) < 0.06


def test_energy_distance_separates_laws():
    rng = np.random.default_rng(5)
    a, b, c = rng.normal(size=(800, 2)), rng.normal(size=(800, 2)), rng.normal(loc=0.5, size=(800, 2))
    assert lv.energy_distance(a, b) < 0.02 < 0.1 < lv.energy_distance(a, c)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"weights must be 2 positive numbers"):
        lv.GaussianMixture([[0, 0], [1, 1]], 1.0, [1, -1])
    with pytest.raises(ValueError, match=r"centres must have shape \(k, d\)"):
        lv.GaussianMixture([0, 0], 1.0, [1])
    with pytest.raises(ValueError, match=r"points must have shape \(n, 2\)"):
        lv.ring_mixture().score(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"sigma_min must be below sigma_max"):
        lv.geometric_sigmas(0.1, 1.0, 5)
    with pytest.raises(ValueError, match=r"sigmas must be a non-empty list"):
        lv.annealed_langevin(lambda x, s: x, np.zeros((2, 2)), [], 0.1, 3, np.random.default_rng(0))


def test_spread_about_modes_is_the_mixture_std_for_samples_and_zero_on_the_centres():
    m = lv.ring_mixture(8, std=0.25)
    assert abs(lv.spread_about_modes(m.sample(4000, np.random.default_rng(0)), m) - 0.25) < 0.01
    assert lv.spread_about_modes(np.repeat(m.centres, 3, axis=0), m) == 0.0
    # offsets (+0.1, 0) and (−0.1, 0) from the centre (2, 0): the four coordinates' std is √(0.02/4) ≈ 0.0707
    assert lv.spread_about_modes(np.array([[2.1, 0.0], [1.9, 0.0]]), m) == pytest.approx(np.sqrt(0.005), rel=1e-9)
