import numpy as np
import pytest

from helpers.widgets import langevin as L


def test_ascent_collapses_onto_the_modes_and_langevin_keeps_the_spread():
    ascent = L.langevin_view(0.01, 300, "gradient ascent").summary
    sampled = L.langevin_view(0.01, 300, "Langevin").summary
    assert ascent["spread"] < 0.01
    assert sampled["spread"] == pytest.approx(0.25, rel=0.08)
    assert sampled["energy_distance"] < ascent["energy_distance"]


def test_the_step_size_biases_the_spread_as_predicted():
    spreads = {eta: L.langevin_view(eta, 400).summary["spread"] for eta in (0.003, 0.03, 0.1)}
    assert spreads[0.003] < spreads[0.03] < spreads[0.1]
    for eta, s in spreads.items():
        assert s == pytest.approx(L.biased_spread(eta), rel=0.08), (eta, s)
    assert L.biased_spread(0.25) == float("inf")            # past η = 4σ² the chain has no stationary spread


def test_the_explorer_redraws_on_a_slider_and_names_bad_values():
    w = L.langevin_explorer()
    before = w.result.summary["spread"]
    w.controls["method"].value = "gradient ascent"
    assert w.result.summary["spread"] < 0.01 < before
    assert w.image.value and "spread" in w.caption.value
    with pytest.raises(ValueError, match="method must be one of Langevin, gradient ascent, got 'annealed'"):
        L.run_chains(0.01, 10, "annealed")
    with pytest.raises(ValueError, match="steps must be an integer >= 1, got 0"):
        L.run_chains(0.01, 0)


def test_past_the_single_gaussians_limit_the_chains_hop_between_modes_and_a_blow_up_is_reported():
    # η = 0.3 > 4σ² = 0.25: on one Gaussian the chain would blow up; on the ring an overshoot lands near another
    # mode, so the chains stay bounded but spread three times too wide
    assert L.langevin_view(0.3, 300).summary["spread"] > 3 * L.STD
    summary = L.summarise(np.array([[np.inf, 0.0], [0.0, 2.0]]), 0.01)
    assert summary["diverged_chains"] == 1 and summary["spread"] == float("inf")
