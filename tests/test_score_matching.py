import keras
import numpy as np
import pytest

from helpers import models
from helpers.maths import langevin as lv
from helpers.training import score_matching as sm


def test_dsm_loss_on_known_inputs():
    # a network that returns the exact conditional score −ε/σ costs 0; one that returns 0 costs E‖ε‖²
    class Exact(keras.Model):
        def call(self, inputs, training=False):
            x_tilde, sigma = inputs
            return -(x_tilde - x) / (sigma * sigma)

    class Zero(keras.Model):
        def call(self, inputs, training=False):
            return keras.ops.zeros_like(inputs[0])

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2)).astype("float32")
    eps = rng.normal(size=(50, 2)).astype("float32")
    sigma = rng.uniform(0.1, 2, size=(50, 1)).astype("float32")
    assert float(sm.dsm_loss(Exact(), x, sigma, eps)) == pytest.approx(0.0, abs=1e-6)
    assert float(sm.dsm_loss(Zero(), x, sigma, eps)) == pytest.approx(float(np.mean(np.sum(eps**2, 1))), rel=1e-6)


def test_the_learned_score_approaches_the_exact_score_of_the_noised_density():
    # 3000 steps (about 10 s): the large noise level is learned closely, the small ones less so (their targets
    # −ε/σ are large and noisy: DSM's variance grows as σ shrinks); an untrained network is off by about 100 %
    keras.utils.set_random_seed(0)
    mixture = lv.ring_mixture(8, std=0.25)
    sigmas = (0.1, 0.3, 1.0)
    model = models.build_toy_score_model(hidden=128, depth=3)
    rng = np.random.default_rng(1)
    points = {s: mixture.noised(s).sample(2000, rng) for s in sigmas}   # where each noised density has its mass

    def errors():
        return [np.linalg.norm(sm.predict_score(model, points[s], s) - mixture.noised(s).score(points[s]))
                / np.linalg.norm(mixture.noised(s).score(points[s])) for s in sigmas]

    before = errors()
    losses = sm.fit_score(model, mixture.sample, sigmas, steps=3000, batch_size=256, learning_rate=1e-3)
    after = errors()
    assert losses.shape == (3000,) and losses[-100:].mean() < losses[:100].mean()   # it has a floor above 0
    assert min(before) > 0.9, before
    assert after[0] < 0.6 and after[1] < 0.5 and after[2] < 0.25, after


def test_fit_score_refuses_bad_input():
    model = models.build_toy_score_model(hidden=8, depth=1)
    with pytest.raises(ValueError, match="sigmas must be a non-empty list"):
        sm.fit_score(model, lv.ring_mixture().sample, [], 3)
    with pytest.raises(ValueError, match=r"must return points of shape \(4, 2\), got \(4, 3\)"):
        sm.fit_score(model, lambda n, rng: np.zeros((n, 3)), [0.1], 3, batch_size=4)
