import numpy as np
import pytest

from helpers.maths import diffusion as df


@pytest.mark.parametrize("name", df.SCHEDULES)
def test_closed_form_matches_iterated_steps_in_distribution(name):
    # x₀ fixed; T iterated steps with fresh noise against one closed-form draw: same mean and variance per t
    sched = df.make_schedule(name, 50)
    rng = np.random.default_rng(0)
    x0 = np.full((40_000, 1), 0.7)
    x = x0.copy()
    for t in range(1, 51):
        x = sched.forward_step(x, t, rng.standard_normal(x.shape))
        if t in (1, 10, 30, 50):
            ab = sched.alpha_bars[t]
            closed = sched.noisy(x0, t, rng.standard_normal(x0.shape))
            for sample in (x, closed):
                assert sample.mean() == pytest.approx(np.sqrt(ab) * 0.7, abs=0.015)
                assert sample.var() == pytest.approx(1 - ab, rel=0.03, abs=2e-4)


def test_closed_form_equals_the_composition_of_steps_for_one_noise_path():
    # with the same Gaussian noise written as one draw, the two-step chain is the closed form exactly:
    # x₂ = √(1−β₂)(√(1−β₁)x₀ + √β₁ε₁) + √β₂ε₂, whose noise part has variance (1−β₂)β₁ + β₂ = 1 − ᾱ₂
    sched = df.linear_schedule(2, 0.1, 0.3)
    x0, e1, e2 = 0.5, 0.3, -1.2
    x2 = sched.forward_step(sched.forward_step(np.array(x0), 1, np.array(e1)), 2, np.array(e2))
    b1, b2 = 0.1, 0.3
    noise = np.sqrt(1 - b2) * np.sqrt(b1) * e1 + np.sqrt(b2) * e2
    eps = noise / np.sqrt(1 - (1 - b1) * (1 - b2))
    np.testing.assert_allclose(x2, sched.noisy(np.array(x0), 2, eps), rtol=1e-12)
    np.testing.assert_allclose(sched.alpha_bars, [1.0, 0.9, 0.63])


def test_schedules_run_from_clean_to_almost_pure_noise():
    lin, cos = df.linear_schedule(), df.cosine_schedule()
    assert lin.steps == cos.steps == 1000
    for s in (lin, cos):
        ab = s.alpha_bars
        assert ab[0] == 1 and np.all(np.diff(ab) < 0) and ab[-1] < 1e-4
    assert lin.betas[1] == pytest.approx(1e-4) and lin.betas[-1] == pytest.approx(0.02)
    # the cosine schedule destroys information more slowly at the start (Nichol & Dhariwal's point)
    assert cos.alpha_bars[250] > lin.alpha_bars[250] + 0.2


def test_predict_x0_inverts_noisy_and_the_score_is_the_gaussians():
    sched = df.cosine_schedule(100)
    rng = np.random.default_rng(1)
    x0, eps = rng.uniform(-1, 1, (5, 4, 4, 1)), rng.standard_normal((5, 4, 4, 1))
    t = np.array([1, 20, 50, 80, 100])
    xt = sched.noisy(x0, t, eps)
    np.testing.assert_allclose(sched.predict_x0(xt, t, eps), x0, atol=1e-6)
    # q(xₜ | x₀) = N(√ᾱ x₀, (1−ᾱ)I): its score −(xₜ − √ᾱ x₀)/(1−ᾱ) is −ε/√(1−ᾱ)
    ab = sched.alpha_bars[t].reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(sched.score(xt, t, eps), -(xt - np.sqrt(ab) * x0) / (1 - ab), rtol=1e-9)


def test_ddim_with_the_true_noise_recovers_the_image_and_is_deterministic():
    sched = df.linear_schedule(200)
    rng = np.random.default_rng(2)
    x0, eps = rng.uniform(-1, 1, (3, 8)), rng.standard_normal((3, 8))
    x_T = sched.noisy(x0, 200, eps)
    oracle = lambda x, t: (x - np.sqrt(sched.alpha_bars[t]) * x0) / np.sqrt(1 - sched.alpha_bars[t])  # noqa: E731
    out = df.ddim_sample(oracle, x_T, sched, 10)
    np.testing.assert_allclose(out, x0, atol=1e-9)
    np.testing.assert_array_equal(out, df.ddim_sample(oracle, x_T, sched, 10))
    assert list(sched.sampling_times(4)) == [200, 150, 100, 50, 0]


def test_ddim_on_a_gaussian_data_law_lands_on_that_law_as_its_steps_shrink():
    # data N(m, s²) per pixel: the exact noise predictor is known in closed form; DDIM from N(0, 1) transports the
    # prior onto the data law: with every step it ends with mean m and std s; with few steps the spread shrinks
    m, s = 0.3, 0.2
    sched = df.cosine_schedule(500)

    def eps_exact(x, t):
        ab = sched.alpha_bars[t]
        var = ab * s**2 + 1 - ab              # xₜ ~ N(√ᾱ m, ᾱs² + 1 − ᾱ)
        return np.sqrt(1 - ab) * (x - np.sqrt(ab) * m) / var

    x_T = np.random.default_rng(3).standard_normal((20_000, 1))
    stds = {}
    for steps in (5, 20, 500):
        x = df.ddim_sample(eps_exact, x_T, sched, steps, clip=None)
        assert x.mean() == pytest.approx(m, abs=0.01)
        stds[steps] = x.std()
    assert stds[500] == pytest.approx(s, rel=0.02)
    assert stds[5] < stds[20] < stds[500]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"betas must be \[0, β₁, …, β_T\]"):
        df.NoiseSchedule(np.array([0.0, 1.5]))
    with pytest.raises(ValueError, match=r"t must be integers from 0 to 10"):
        df.linear_schedule(10).noisy(np.zeros(3), 11, np.zeros(3))
    with pytest.raises(ValueError, match=r"t must be integers from 1 to 10"):
        df.linear_schedule(10).forward_step(np.zeros(3), 0, np.zeros(3))
    with pytest.raises(ValueError, match=r"0 <= t_prev < t <= 10, got t=3, t_prev=5"):
        df.linear_schedule(10).ddim_step(np.zeros(3), 3, 5, np.zeros(3))
    with pytest.raises(ValueError, match=r"steps must be an integer in \[1, 10\], got 11"):
        df.linear_schedule(10).sampling_times(11)
    with pytest.raises(ValueError, match=r"schedule must be one of linear, cosine, got 'sigmoid'"):
        df.make_schedule("sigmoid")
    with pytest.raises(ValueError, match=r"beta_end must be a number in \[0.1, 1\], got 0.01"):
        df.linear_schedule(10, 0.1, 0.01)


def test_a_clipped_step_re_derives_the_noise_from_the_clipped_prediction():
    # x̂₀ far outside [−1, 1] is clipped; the noise put back is the one xₜ and the clipped x̂₀ imply, not the
    # network's ε̂ (which would re-add what the clip removed): both levels then agree on x̂₀ and on the noise
    from helpers.maths.diffusion import cosine_schedule

    s = cosine_schedule(100)
    rng = np.random.default_rng(0)
    x_t = rng.standard_normal((3, 28, 28, 1))
    eps_hat = -3.0 * x_t                                   # x̂₀ = 4 x_t/√ᾱ: mostly far outside the pixel range
    x0 = np.clip(s.predict_x0(x_t, 60, eps_hat), -1, 1)
    assert np.mean(np.abs(s.predict_x0(x_t, 60, eps_hat)) > 1) > 0.5
    x_s = s.ddim_step(x_t, 60, 30, eps_hat, clip=1.0)
    implied_t = (x_t - np.sqrt(s.alpha_bars[60]) * x0) / np.sqrt(1 - s.alpha_bars[60])
    implied_s = (x_s - np.sqrt(s.alpha_bars[30]) * x0) / np.sqrt(1 - s.alpha_bars[30])
    np.testing.assert_allclose(implied_s, implied_t, atol=1e-10)
    assert not np.allclose(implied_s, eps_hat)
