"""Notebook 06's exercises: the checks agree with helpers.maths.dirac_gan, name the mistakes they see, and guide
the wrong answers they do not recognise."""

import numpy as np

from helpers.exercises import core
from helpers.exercises.core import check
from helpers.exercises.gan_dynamics import CONVERGE_06_4, ETA_06_3, GAMMA_06_2, solution_06_1
from helpers.maths import dirac_gan

core._load()


def test_the_expected_answers_are_the_notebooks_numbers():
    rng = np.random.default_rng(0)
    theta, psi = rng.uniform(-3, 3, (2, 7))
    np.testing.assert_allclose(solution_06_1(theta, psi), dirac_gan.field("gan", theta, psi), rtol=1e-12)
    lam = np.linalg.eigvals(dirac_gan.equilibrium_jacobian("r1", gamma=GAMMA_06_2))
    np.testing.assert_allclose(sorted(lam, key=lambda z: z.imag), [-0.3 - 0.4j, -0.3 + 0.4j], atol=1e-12)
    assert check("06.2", 0.4).correct
    rho = dirac_gan.spectral_radius("gan", ETA_06_3, "simultaneous")
    assert abs(rho - np.sqrt(1.04)) < 1e-12 and check("06.3", rho).correct
    rows = dirac_gan.results_table(h=0.1, steps=2000, mode="alternating", gamma=0.3, sigma=1.0)
    assert tuple(r["method"] for r in rows if r["converges"]) == CONVERGE_06_4


def test_06_1_names_a_flipped_player_and_guides_an_unknown_mistake():
    def grad_v(theta, psi):  # ∇V itself: both players ascend
        df = 1 / (1 + np.exp(psi * theta))
        return np.array([psi * df, theta * df])

    feedback = check("06.1", grad_v)
    assert feedback.mistake == "generator ascends" and "descends V" in feedback.message

    def at_theta(theta, psi):  # f′ evaluated at θ, not at ψθ: not a listed mistake
        return np.array([-psi / (1 + np.exp(theta)), theta / (1 + np.exp(theta))])

    feedback = check("06.1", at_theta)
    assert feedback.status == "not yet" and feedback.mistake is None
    assert feedback.message.startswith("at (θ, ψ) = (") and "yours gives" in feedback.message
    assert "chain rule" in feedback.message


def test_06_1_accepts_a_tuple_and_checks_the_shape():
    assert check("06.1", lambda t, p: (-p / (1 + np.exp(p * t)), t / (1 + np.exp(p * t)))).correct
    feedback = check("06.1", lambda t, p: np.array([-p / (1 + np.exp(p * t)), t / (1 + np.exp(p * t))])[:, :2])
    assert feedback.mistake is None and "has shape (2, 6)" in feedback.message


def test_06_2_names_the_modulus_and_guides_other_numbers():
    assert "det J = f′(0)²" in check("06.2", 0.5).message
    assert check("06.2", -0.3).mistake == "real part"
    assert "positive imaginary part" in check("06.2", -0.4).message
    feedback = check("06.2", 0.45)
    assert feedback.mistake is None and "λ² + γλ + f′(0)² = 0" in feedback.message
    assert check("06.2", "0.4i").message.startswith("answer a number")


def test_06_3_names_the_alternating_radius_and_guides_other_numbers():
    assert "ALTERNATING" in check("06.3", 1).message
    assert "SQUARED distance" in check("06.3", 1.04).message
    feedback = check("06.3", np.sqrt(1 + ETA_06_3**2 / 2))  # f′(0) not squared: not a listed mistake
    assert feedback.mistake is None and "take their modulus" in feedback.message
    assert check("06.3", 1.0198).correct  # four decimals are enough


def test_06_4_reads_names_in_any_form_and_explains_each_wrong_one():
    assert check("06.4", "R1, R2, instance noise").correct
    assert check("06.4", ["r2", "Instance-Noise", "r1"]).correct
    assert "1/√t" in check("06.4", {"nsgan", "r1", "r2", "instance-noise"}).message
    feedback = check("06.4", {"r1"})  # two omissions at once: no single name, both explained
    assert feedback.mistake is None
    assert "instance-noise converges" in feedback.message and "r2 converges" in feedback.message
    feedback = check("06.4", {"gan", "wgan-gp", "r1", "r2", "instance-noise"})
    assert feedback.mistake is None and "gan does not converge" in feedback.message and "wgan-gp" in feedback.message
    assert "unknown method name" in check("06.4", {"R1 penalty"}).message


def test_06_5_lists_the_points_an_answer_misses():
    feedback = check("06.5", "Damping from the spread-out data gives a negative real part.")
    assert feedback.status == "written"
    assert "second order in η" in feedback.message and "small enough step" in feedback.message
    assert "curvature on the discriminator's side" not in feedback.message
