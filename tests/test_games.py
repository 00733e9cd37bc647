import numpy as np
import pytest

from helpers.maths import games as G


def test_simultaneous_spirals_out_at_the_predicted_rate():
    game = G.BilinearGame()
    eta = 0.1
    t = G.play(game, [1.0, 0.0], eta, 50, "simultaneous")
    ratios = t.distances[1:] / t.distances[:-1]
    np.testing.assert_allclose(ratios, np.sqrt(1 + eta**2))
    assert G.growth_factor(game, eta, "simultaneous") == pytest.approx(np.sqrt(1 + eta**2))


def test_alternating_stays_bounded_and_its_average_converges():
    game = G.BilinearGame()
    t = G.play(game, [1.0, 0.0], 0.1, 2000, "alternating")
    assert t.distances.max() < 1.2 and t.distances[-500:].min() > 0.8  # an orbit: neither in nor out
    assert np.linalg.norm(t.averages[-1]) < 0.05
    assert G.growth_factor(game, 0.1, "alternating") == pytest.approx(1.0)


def test_extragradient_converges():
    game = G.BilinearGame()
    t = G.play(game, [1.0, 0.0], 0.3, 200, "extragradient")
    assert t.distances[-1] < 1e-3
    rho = G.growth_factor(game, 0.3, "extragradient")
    assert rho < 1
    np.testing.assert_allclose(t.distances[-1] / t.distances[-2], rho, rtol=1e-6)


def test_regularised_game_converges_even_simultaneously():
    game = G.BilinearGame(a=1.0, c=0.5)
    t = G.play(game, [1.0, 1.0], 0.1, 300, "simultaneous")
    assert t.distances[-1] < 1e-3 and G.growth_factor(game, 0.1) < 1


def test_field_and_jacobian():
    game = G.BilinearGame(a=2.0, c=0.5)
    u, v = game.field(np.array(1.0), np.array(-1.0))
    assert (u, v) == (-(2.0 * -1.0 + 0.5 * 1.0), 2.0 * 1.0 - 0.5 * -1.0)
    eig = np.linalg.eigvals(G.BilinearGame(a=3.0).jacobian())
    np.testing.assert_allclose(sorted(eig.imag), [-3.0, 3.0])
    np.testing.assert_allclose(eig.real, 0.0)
    assert game.value(1.0, 1.0) == 2.0


@pytest.mark.parametrize("call,match", [
    (lambda: G.play(G.BilinearGame(), [1, 0], 0.1, 5, mode="sideways"), "mode must be one of"),
    (lambda: G.play(G.BilinearGame(), [1, 0], -0.1, 5), "learning_rate must be > 0"),
    (lambda: G.play(G.BilinearGame(), [1, 0], 0.1, -5), "steps must be an integer >= 0"),
    (lambda: G.growth_factor(G.BilinearGame(), 0.1, "x"), "mode must be one of"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
