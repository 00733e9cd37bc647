"""Notebook 10's exercises: the checks name the mistakes they see, guide on the ones they do not, and their answers
agree with the package's own Langevin chain and DDIM step."""

import numpy as np

from helpers.exercises import langevin
from helpers.exercises.core import EXERCISES, check
from helpers.maths import langevin as lv
from helpers.maths.diffusion import cosine_schedule


def test_10_1_names_gradient_ascent_and_guides_a_step_that_forgets_x():
    said = check("10.1", lambda x, score, eta, xi: x + eta / 2 * score(x))
    assert said.mistake == "no noise" and "gradient ascent" in said.message
    assert "√(2η)" in check("10.1", EXERCISES["10.1"].mistakes["√(2η) convention"]).message
    guided = check("10.1", lambda x, score, eta, xi: eta / 2 * score(x) + np.sqrt(eta) * xi)  # the move, not x + move
    assert guided.status == "not yet" and guided.mistake is None
    assert "should land at" in guided.message and "η = 0.01" in guided.message
    halved = check("10.1", lambda x, score, eta, xi: x + eta / 2 * score(x) + np.sqrt(eta / 2) * xi)
    assert halved.mistake is None and "ξ =" in halved.message
    flat = check("10.1", lambda x, score, eta, xi: langevin.solution_10_1(x, score, eta, xi).ravel())
    assert "shape" in flat.message


def test_10_1_is_one_step_of_the_package_chain():
    m = lv.ring_mixture()
    x0 = np.random.default_rng(0).uniform(-3, 3, (7, 2))
    chain = lv.langevin(m.score, x0, 0.05, 1, rng=np.random.default_rng(1))
    xi = np.random.default_rng(1).standard_normal((7, 2))
    np.testing.assert_allclose(langevin.solution_10_1(x0, m.score, 0.05, xi), chain)


def test_10_2_the_number_is_the_chain_s_measured_spread():
    rng = np.random.default_rng(0)
    sigma, eta = langevin.SIGMA_10_2, langevin.ETA_10_2
    x = np.zeros(200_000)
    for _ in range(60):  # the factor 1 − η/(2σ²) = 0.2 forgets the start within a few steps
        x = x + eta / 2 * (-x / sigma**2) + np.sqrt(eta) * rng.standard_normal(x.shape)
    assert abs(x.std() / EXERCISES["10.2"].solution - 1) < 0.01
    assert check("10.2", 0.3227).correct and check("10.2", np.float32(0.32275)).correct


def test_10_2_names_the_variance_and_guides_noise_of_variance_eta_squared():
    said = check("10.2", 0.0625 / 0.6)
    assert said.mistake == "the variance" and "standard deviation" in said.message
    guided = check("10.2", np.sqrt(0.01 / 0.96))  # noise η ξ instead of √η ξ: v = η²/(1 − a²)
    assert guided.status == "not yet" and guided.mistake is None
    assert guided.message.startswith("0.1021 is not") and "v = (1 − η/(2σ²))² v + η" in guided.message
    assert check("10.2", "wide").mistake is None


def test_10_3_names_the_sign_and_guides_a_factor_one_half():
    said = check("10.3", lambda x, x_tilde, sigma: (x_tilde - x) / sigma**2)
    assert said.mistake == "sign flipped" and "TOWARDS the clean point" in said.message
    assert "σ²-weighted loss" in check("10.3", lambda x, x_tilde, sigma: -(x_tilde - x) / sigma).message
    half = check("10.3", lambda x, x_tilde, sigma: -(x_tilde - x) / (2 * sigma**2))  # forgot the 2 of the square
    assert half.status == "not yet" and half.mistake is None
    assert "with σ = 0.4" in half.message and "−‖x̃ − x‖²/(2σ²)" in half.message


def test_10_3_takes_one_sigma_per_point():
    def scalar_only(x, x_tilde, sigma):  # fine for one σ, raises for an (n, 1) array of them
        return -(x_tilde - x) / float(sigma) ** 2

    said = check("10.3", scalar_only)
    assert said.status == "not yet" and said.message.startswith("your answer raised")


def test_10_4_is_the_package_ddim_step_and_names_x0():
    schedule = cosine_schedule(1000)
    rng = np.random.default_rng(2)
    x_t, eps_hat = rng.standard_normal((2, 3, 4, 4))
    ab = schedule.alpha_bars
    np.testing.assert_allclose(langevin.solution_10_4(x_t, eps_hat, ab[600], ab[350]),
                               schedule.ddim_step(x_t, 600, 350, eps_hat))
    said = check("10.4", EXERCISES["10.4"].mistakes["returned x̂₀"])
    assert said.mistake == "returned x̂₀" and "from t = 700 to s = 500" in said.message


def test_10_4_guides_a_sign_slip_in_x0_with_the_pixel_it_misses():
    def plus(x_t, eps_hat, abar_t, abar_s):
        x0 = (x_t + np.sqrt(1 - abar_t) * eps_hat) / np.sqrt(abar_t)
        return np.sqrt(abar_s) * x0 + np.sqrt(1 - abar_s) * eps_hat

    guided = check("10.4", plus)
    assert guided.status == "not yet" and guided.mistake is None
    assert "x̂₀ =" in guided.message and "should be" in guided.message and "from t = 700" in guided.message


def test_10_5_agrees_with_the_score_and_guides_a_forgotten_scale():
    eps, s, ab, g = langevin.EPS_10_5, langevin.SCALE_10_5, langevin.ABAR_10_5, langevin.GRAD_10_5
    guided_score = -eps / np.sqrt(1 - ab) + s * g
    assert np.isclose(-np.sqrt(1 - ab) * guided_score, EXERCISES["10.5"].solution)
    said = check("10.5", 1.0)
    assert said.mistake == "sign flipped" and "SUBTRACTS" in said.message
    for unlisted in (0.1, 0.04):  # forgot the scale s; 1 − ᾱ_t without the root
        guided = check("10.5", unlisted)
        assert guided.status == "not yet" and guided.mistake is None and "−√(1 − ᾱ_t)" in guided.message
    assert check("10.5", 1 - 0.4 / 0.6).message.startswith("0.3333 is the guided SCORE")
