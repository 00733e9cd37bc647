import json

import keras
import numpy as np
import pytest

from helpers import models
from helpers.maths import diffusion as df
from helpers.training import diffusion as D


def images(n=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)


class Constant(keras.Model):
    """A stand-in network whose prediction is known: the constant ``value`` everywhere."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def call(self, inputs, training=False):
        return keras.ops.zeros_like(inputs[0]) + self.value


def test_loss_on_known_inputs():
    sched = df.linear_schedule(100)
    rng = np.random.default_rng(1)
    x0, eps = images(8), rng.standard_normal((8, 28, 28, 1)).astype(np.float32)
    t = np.array([1, 5, 10, 20, 40, 60, 80, 100])
    zero = float(D.noise_prediction_loss(Constant(0.0), x0, t, eps, sched.alpha_bars, 100))
    assert zero == pytest.approx(float(np.mean(eps**2)), rel=1e-5)       # predicting nothing costs E[ε²]
    half = float(D.noise_prediction_loss(Constant(0.5), x0, t, eps, sched.alpha_bars, 100))
    assert half == pytest.approx(float(np.mean((0.5 - eps) ** 2)), rel=1e-5)

    seen = {}

    class Recorder(keras.Model):
        def call(self, inputs, training=False):
            seen["x_t"], seen["time"] = (keras.ops.convert_to_numpy(v) for v in inputs)
            return keras.ops.zeros_like(inputs[0])

    D.noise_prediction_loss(Recorder(), x0, t, eps, sched.alpha_bars, 100)
    # the network sees the closed-form noisy image and t/T
    np.testing.assert_allclose(seen["x_t"], sched.noisy(x0, t, eps), atol=1e-5)
    np.testing.assert_allclose(seen["time"][:, 0], t / 100, rtol=1e-6)


def test_unet_shapes_and_its_time_input_matters():
    unet = models.build_unet(width=8, time_dim=16)
    x = images(3)
    a = keras.ops.convert_to_numpy(unet([x, np.full((3, 1), 0.1, "float32")]))
    assert a.shape == (3, 28, 28, 1)
    # the output layer starts at zero (ε̂ = 0 at initialisation); perturb it to see the time's effect
    unet.get_layer("eps").set_weights([np.full_like(w, 0.1) for w in unet.get_layer("eps").get_weights()])
    a = keras.ops.convert_to_numpy(unet([x, np.full((3, 1), 0.1, "float32")]))
    b = keras.ops.convert_to_numpy(unet([x, np.full((3, 1), 0.9, "float32")]))
    assert np.abs(a - b).max() > 1e-3
    with pytest.raises(ValueError, match="dim must be even"):
        models.SinusoidalEmbedding(7)


def test_toy_score_model_scales_with_sigma():
    m = models.build_toy_score_model(hidden=16, depth=2)
    x = np.zeros((2, 2), "float32")
    small = keras.ops.convert_to_numpy(m([x, np.full((2, 1), 0.1, "float32")]))
    assert small.shape == (2, 2)
    # output = MLP(x, log σ)/σ: with the same MLP output, σ = 0.1 gives ten times σ = 1's (checked on the layer)
    unscaled = keras.Model(m.inputs, m.get_layer("unscaled").output)
    u = keras.ops.convert_to_numpy(unscaled([x, np.full((2, 1), 0.1, "float32")]))
    np.testing.assert_allclose(small, u / 0.1, rtol=1e-5)


def test_training_lowers_the_loss_and_sampling_is_deterministic():
    trainer = D.build_trainer(width=8, schedule="cosine", steps=50, learning_rate=2e-3, seed=0)
    x = np.concatenate([images(32, 0) * 0.1 - 0.5] * 4)        # an easy law: grey images with a little texture
    before = trainer.train_step(x[:64])["loss"]
    result = trainer.fit(x, 8, batch_size=32, verbose=False)
    assert result.history["loss"][-1] < 0.6 * before
    a = trainer.sample(6, seed=3, steps=5)
    b = trainer.sample(6, seed=3, steps=5)
    c = trainer.sample(6, seed=4, steps=5)
    assert a.shape == (6, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    floats = trainer.sample(2, seed=3, steps=5, as_uint8=False)
    assert floats.shape == (2, 28, 28, 1) and floats.min() >= -1 and floats.max() <= 1


def test_the_moving_average_lags_the_weights():
    trainer = D.build_trainer(width=4, steps=20, ema=0.9, seed=0)
    trainer.fit(images(64), 2, batch_size=16, verbose=False)
    w = np.concatenate([np.ravel(v) for v in trainer.model.get_weights()])
    avg = np.concatenate([np.ravel(v) for v in trainer.ema_model.get_weights()])
    assert trainer.sampler is trainer.ema_model and 0 < np.abs(w - avg).max()
    assert D.build_trainer(width=4, steps=20, ema=None).sampler is not None


def test_resume_and_load_continue_the_same_run(tmp_path):
    x = images(64)
    trainer = D.build_trainer(width=4, steps=20, seed=1)
    trainer.fit(x, 1, batch_size=16, out_dir=tmp_path, verbose=False)
    saved = [v.copy() for v in trainer.model.get_weights()]
    loaded = D.load_diffusion(tmp_path)
    assert (loaded.epoch, loaded.step) == (1, 4) and loaded.width == 4 and loaded.schedule.steps == 20
    for a, b in zip(saved, loaded.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.sample(3, seed=0, steps=4), trainer.sample(3, seed=0, steps=4))
    again = D.build_trainer(width=4, steps=20, seed=1)
    result = again.fit(x, 2, batch_size=16, out_dir=tmp_path, verbose=False)
    assert result.epochs_done == 2 and again.step == 8 and result.checkpoint.name.endswith("2")
    state = json.loads((result.checkpoint / "state.json").read_text())
    assert state["config"]["kind"] == "diffusion" and state["config"]["schedule"] == "cosine"


def test_restore_refuses_another_schedule_and_loading_names_what_is_wrong(tmp_path):
    trainer = D.build_trainer(width=4, steps=20)
    trainer.fit(images(16), 1, batch_size=16, out_dir=tmp_path, verbose=False)
    other = D.build_trainer(width=4, steps=30)
    with pytest.raises(ValueError, match=r"holds steps=20, but this trainer has 30"):
        other.restore(next(tmp_path.glob("ckpt-*")))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        D.load_diffusion(tmp_path / "missing")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"ema must be a decay in \(0, 1\)"):
        D.build_trainer(width=4, steps=10, ema=1.5)
    with pytest.raises(ValueError, match=r"schedule must be one of linear, cosine, got 'sigmoid'"):
        D.build_trainer(width=4, steps=10, schedule="sigmoid")
    trainer = D.build_trainer(width=4, steps=10)
    with pytest.raises(ValueError, match=r"got uint8"):
        trainer.fit(np.zeros((4, 28, 28), np.uint8), 1)
    with pytest.raises(ValueError, match=r"images must be finite values in \[-1, 1\]"):
        trainer.fit(np.full((4, 28, 28), 3.0, np.float32), 1)
    with pytest.raises(ValueError, match=r"steps must be an integer in \[1, 10\], got 11"):
        trainer.sample(2, steps=11)
