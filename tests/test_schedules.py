import math

import keras
import numpy as np
import pytest

from helpers.maths import objectives as F
from helpers.maths import optim as O
from helpers.maths import schedules as S

QUAD = F.Quadratic.with_condition(10.0, angle=0.4)
X0 = np.array([1.5, -1.0])


@pytest.mark.parametrize("ours", [
    S.ExponentialDecay(0.1, 10, 0.99),
    S.ExponentialDecay(0.1, 10, 0.99, staircase=True),
    S.InverseTimeDecay(0.1, 5, 0.5),
    S.PiecewiseConstant([10, 20], [0.1, 0.01, 0.001]),
    S.CosineDecay(0.1, 30, alpha=0.1),
    S.CosineDecay(0.1, 30, alpha=0.0, warmup_steps=5),
], ids=lambda s: type(s).__name__)
def test_schedules_match_keras(ours):
    theirs = ours.to_keras()
    ks = [float(keras.ops.convert_to_numpy(theirs(t))) for t in range(45)]
    np.testing.assert_allclose(ours.values(45), ks, rtol=1e-5)


def test_articles_decay_per_epoch():
    s = S.ExponentialDecay(0.01, decay_steps=100, decay_rate=0.99, staircase=True)
    assert s(0) == s(99) == 0.01 and s(100) == pytest.approx(0.0099) and s(250) == pytest.approx(0.01 * 0.99**2)


def test_schedule_in_an_optimizer_sets_each_step():
    traj = O.gradient_descent(QUAD, X0, S.InverseSqrt(0.2), 4)
    np.testing.assert_allclose(traj.lrs, [0.2 / math.sqrt(k) for k in range(1, 5)])
    assert S.Constant(0.3).to_keras() == 0.3 and S.as_schedule(0.3)(100) == 0.3


@pytest.mark.parametrize("factory,match", [
    (lambda: S.ExponentialDecay(0.1, 0, 0.9), "decay_steps must be an integer >= 1, got 0"),
    (lambda: S.ExponentialDecay(0.1, 10, -0.9), "decay_rate must be > 0"),
    (lambda: S.PiecewiseConstant([10], [0.1]), "need one more value than boundaries"),
    (lambda: S.PiecewiseConstant([20, 10], [0.1, 0.2, 0.3]), "boundaries must be increasing"),
    (lambda: S.CosineDecay(0.1, 10, alpha=1.0), r"alpha must be in \[0, 1\)"),
    (lambda: S.InverseSqrt(-1.0), "learning_rate must be > 0"),
    (lambda: S.Constant(0.1).values(0), "steps must be an integer >= 1"),
])
def test_schedule_arguments_are_validated(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_inverse_sqrt_has_no_keras_twin():
    with pytest.raises(NotImplementedError, match="InverseSqrt has no Keras equivalent"):
        S.InverseSqrt(0.1).to_keras()
