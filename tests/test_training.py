import json
import math
import os

import keras
import numpy as np
import pytest

from helpers import data, models, training
from helpers.training import DivergenceError, GANTrainer
from helpers.training import gan as gan_training
from tests.support import same

BATCH = 32
N_IMAGES = 100  # 4 batches: 32, 32, 32 and a last one of 4
STEPS_PER_EPOCH = math.ceil(N_IMAGES / BATCH)


def images(n: int = N_IMAGES, seed: int = 0) -> np.ndarray:
    """Synthetic "real" images in [-1, 1]."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 28, 28)).astype(np.float32)


def small_gan():
    keras.utils.set_random_seed(0)
    return models.build_mlp_generator(8, hidden=(16, 32)), models.build_mlp_discriminator(hidden=(32, 16))


@pytest.fixture(scope="module")
def shared():
    """One small trainer per module (tracing the step costs seconds); ``fresh`` resets it between tests."""
    trainer = GANTrainer(*small_gan())
    snapshot = (
        [w.copy() for w in trainer.generator.get_weights()],
        [w.copy() for w in trainer.discriminator.get_weights()],
        [keras.ops.convert_to_numpy(v).copy() for v in trainer.g_optimizer.variables],
        [keras.ops.convert_to_numpy(v).copy() for v in trainer.d_optimizer.variables],
        keras.ops.convert_to_numpy(trainer._noise_seed.state).copy(),
    )
    return trainer, snapshot


@pytest.fixture
def trainer(shared):
    tr, (g, d, go, do, noise) = shared
    tr.generator.set_weights(g)
    tr.discriminator.set_weights(d)
    for opt, values in ((tr.g_optimizer, go), (tr.d_optimizer, do)):
        for v, value in zip(opt.variables, values):
            v.assign(value)
    tr._noise_seed.state.assign(noise)
    tr.epoch = tr.step = 0
    return tr


def weights(model):
    return [w.copy() for w in model.get_weights()]


def trainable(model):
    return [keras.ops.convert_to_numpy(v).copy() for v in model.trainable_variables]


# --------------------------------------------------------------------------- losses and sampling


def test_losses_on_logits_and_non_saturating_generator():
    big = np.full((4, 1), 20.0, np.float32)
    assert float(training.discriminator_loss(big, -big)) == pytest.approx(0.0, abs=1e-6)  # D perfectly right
    zero = np.zeros((4, 1), np.float32)
    assert float(training.discriminator_loss(zero, zero)) == pytest.approx(2 * math.log(2), rel=1e-5)
    assert float(training.generator_loss(zero)) == pytest.approx(math.log(2), rel=1e-5)
    # Non-saturating: when D confidently rejects the fakes (logit −10) the loss is large (≈10), not ≈0.
    assert float(training.generator_loss(np.full((2, 1), -10.0, np.float32))) == pytest.approx(10.0, rel=1e-3)


def test_to_uint8_maps_range_and_drops_channel():
    x = np.array([-1.0, 0.0, 1.0, 3.0, -7.0], np.float32).reshape(1, 5, 1, 1)
    out = training.to_uint8(x)
    assert out.dtype == np.uint8 and out.shape == (1, 5, 1)
    assert out.ravel().tolist() == [0, 128, 255, 255, 0]


def test_sample_dtype_shape_range_and_seed(trainer):
    a = training.sample(trainer.generator, 5, seed=3)
    assert a.dtype == np.uint8 and a.shape == (5, 28, 28)
    assert a.min() >= 0 and a.max() <= 255 and a.std() > 0
    assert np.array_equal(a, training.sample(trainer.generator, 5, seed=3))
    assert not np.array_equal(a, training.sample(trainer.generator, 5, seed=4))
    # batching does not change the result
    assert np.array_equal(training.sample(trainer.generator, 5, seed=3, batch_size=2), a)
    assert training.latent_dim_of(trainer.generator) == 8
    grid = trainer.sample_grid()
    assert grid.shape == (64, 28, 28) and grid.dtype == np.uint8
    assert np.array_equal(grid, training.generate(trainer.generator, trainer.fixed_noise))


@pytest.mark.parametrize("kwargs,match", [
    ({"n": 0}, r"n must be a positive integer, got 0"),
    ({"seed": -1}, r"seed must be a non-negative integer, got -1"),
    ({"batch_size": 0}, r"batch_size must be a positive integer, got 0"),
])
def test_sample_bad_arguments(trainer, kwargs, match):
    with pytest.raises(ValueError, match=match):
        training.sample(trainer.generator, **{"n": 2, **kwargs})


# --------------------------------------------------------------------------- the step


def test_trainer_rejects_bad_optimizer_settings():
    g, d = small_gan()
    with pytest.raises(ValueError, match=r"g_learning_rate must be > 0 and finite in float32 .*got 0"):
        GANTrainer(g, d, g_learning_rate=0)
    with pytest.raises(ValueError, match=r"g_learning_rate .* finite in float32 \(at most 3.4e\+38\).*1e\+39"):
        GANTrainer(g, d, g_learning_rate=1e39)  # finite in float64, inf in the float32 it trains in
    with pytest.raises(ValueError, match=r"d_learning_rate must be > 0 .*got -0.1"):
        GANTrainer(g, d, d_learning_rate=-0.1)
    with pytest.raises(ValueError, match=r"beta_1 must be in \[0, 1\), got 1.0"):
        GANTrainer(g, d, beta_1=1.0)


def test_defaults_are_adam_2e4_beta_half_and_schedules_are_accepted():
    g, d = small_gan()
    tr = GANTrainer(g, d)
    for opt in (tr.g_optimizer, tr.d_optimizer):
        assert isinstance(opt, keras.optimizers.Adam) and opt.beta_1 == 0.5
        assert float(keras.ops.convert_to_numpy(opt.learning_rate)) == pytest.approx(2e-4)
    assert tr.g_optimizer is not tr.d_optimizer
    sched = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=10, decay_rate=0.5)
    tr2 = GANTrainer(g, d, d_learning_rate=sched)
    assert tr2.config()["d_learning_rate"]["schedule"] == "ExponentialDecay"
    assert tr2.config()["g_learning_rate"] == pytest.approx(2e-4)


def test_discriminator_steps_lower_its_loss_on_a_fixed_batch(trainer):
    real = images(BATCH)
    fake = keras.ops.convert_to_numpy(trainer.generator(trainer.fixed_noise[:BATCH], training=False))
    before = trainer.evaluate_d_loss(real, fake)
    g_before = trainable(trainer.generator)
    for _ in range(5):
        out = trainer.train_step(real, update_generator=False)
    after = trainer.evaluate_d_loss(real, fake)
    assert set(out) == {"d_loss"}
    assert after < before - 0.05, (before, after)
    assert same(g_before, trainable(trainer.generator))  # the generator was not updated (BN statistics may move)
    assert trainer.step == 5


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_full_step_updates_both_models_and_returns_finite_losses(trainer, update):
    trainer.update = update
    try:
        g_before, d_before = weights(trainer.generator), weights(trainer.discriminator)
        out = trainer.train_step(images(BATCH))
    finally:
        trainer.update = "simultaneous"
    assert set(out) == {"d_loss", "g_loss"} and all(math.isfinite(v) for v in out.values())
    assert not same(g_before, weights(trainer.generator))
    assert not same(d_before, weights(trainer.discriminator))
    assert int(trainer.g_optimizer.iterations) == 1 and int(trainer.d_optimizer.iterations) == 1


def test_compiled_alternating_step_draws_one_noise_batch_like_the_simultaneous_one(trainer):
    state = lambda: keras.ops.convert_to_numpy(trainer._noise_seed.state).copy()  # noqa: E731
    s0 = state()
    trainer.train_step(images(BATCH))
    one_draw = state() - s0
    trainer.update = "alternating"
    try:
        s1 = state()
        trainer.train_step(images(BATCH))
        assert np.array_equal(state() - s1, one_draw) and one_draw.any()  # the same fakes serve both players
        trainer.update = "bogus"
        with pytest.raises(ValueError, match=r"update must be one of simultaneous, alternating, got 'bogus'"):
            trainer.train_step(images(BATCH))
    finally:
        trainer.update = "simultaneous"


def test_alternating_step_takes_the_generators_gradient_through_the_updated_discriminator():
    """D's loss comes from the initial models; G's loss from the same fakes judged by D *after* its step."""
    g, d = small_gan()
    g0, d0 = keras.models.clone_model(g), keras.models.clone_model(d)
    g0.set_weights(g.get_weights())
    d0.set_weights(d.get_weights())
    tr = GANTrainer(g, d, seed=5, update="alternating", d_learning_rate=0.05)  # a large D step: its effect is visible
    z = keras.ops.convert_to_numpy(keras.random.normal((BATCH, 8), seed=keras.random.SeedGenerator(5)))
    real = images(BATCH)
    fake = g0(z, training=True)
    expect_d = float(training.discriminator_loss(d0(real, training=True), d0(fake, training=True)))
    out = tr.train_step(real)
    through_new_d = float(training.generator_loss(tr.discriminator(fake, training=True)))
    through_old_d = float(training.generator_loss(d0(fake, training=True)))
    assert abs(through_new_d - through_old_d) > 1e-2  # the test can tell the two apart
    assert out["d_loss"] == pytest.approx(expect_d, rel=1e-4)
    assert out["g_loss"] == pytest.approx(through_new_d, rel=1e-4)
    assert not any(np.array_equal(a, b) for a, b in zip(g.get_weights()[:1], g0.get_weights()[:1]))  # G stepped


def test_simultaneous_step_uses_one_forward_pass_for_both_losses():
    """On the first step both losses come from the initial models, so they match a hand computation."""
    g, d = small_gan()
    tr = GANTrainer(g, d, seed=5)
    z = keras.ops.convert_to_numpy(keras.random.normal((BATCH, 8), seed=keras.random.SeedGenerator(5)))
    real = images(BATCH)
    fake_logits = d(g(z, training=True), training=True)
    expect_d = float(training.discriminator_loss(d(real, training=True), fake_logits))
    expect_g = float(training.generator_loss(fake_logits))
    out = tr.train_step(real)
    assert out["d_loss"] == pytest.approx(expect_d, rel=1e-4) and out["g_loss"] == pytest.approx(expect_g, rel=1e-4)


def test_unknown_update_rule_is_named():
    with pytest.raises(ValueError, match=r"update must be one of simultaneous, alternating, got 'adversarial'"):
        GANTrainer(*small_gan(), update="adversarial")


def test_strategy_is_a_tf_distribute_strategy_on_tensorflow_only():
    """Multi-device training: a tf.distribute.Strategy on TensorFlow, a Keras distribution on JAX
    (tests/test_distribution.py)."""
    if keras.backend.backend() == "tensorflow":
        with pytest.raises(TypeError, match=r"strategy must be a tf.distribute.Strategy .*got str"):
            GANTrainer(*small_gan(), strategy="mirrored")
    else:
        with pytest.raises(ValueError, match=r"needs the tensorflow backend; Keras runs on 'jax'.*DataParallel"):
            GANTrainer(*small_gan(), strategy="mirrored")


class _Spy:
    """Stands in for the generator and records the batch size of every noise batch it is given."""

    def __init__(self, model):
        self.model, self.sizes = model, []

    def __call__(self, z, training=False):
        self.sizes.append(int(z.shape[0]))
        return self.model(z, training=training)

    def __getattr__(self, name):  # trainable_variables, variables, …: the model's
        return getattr(self.model, name)


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_noise_batch_follows_the_smaller_last_batch(trainer, update):
    trainer.update = update
    spy = _Spy(trainer.generator)
    trainer.generator = spy
    eager = keras.backend.backend() == "tensorflow"  # TensorFlow: run eagerly so the spy sees concrete shapes;
    if eager:                                          # JAX traces with concrete shapes, once per batch size
        import tensorflow as tf

        tf.config.run_functions_eagerly(True)
    trainer._compiled.clear()  # trace afresh, with the spy
    try:
        trainer.train_step(images(BATCH))
        trainer.train_step(images(7))
    finally:
        if eager:
            tf.config.run_functions_eagerly(False)
        trainer.generator = spy.model
        trainer._compiled.clear()
        trainer.update = "simultaneous"
    assert spy.sizes == [BATCH, 7]  # one pass of G per step, in either scheme


# --------------------------------------------------------------------------- fit, checkpoints, resume


def test_fit_history_counts_callbacks_and_progress(trainer, capsys):
    seen = []
    grids = training.SampleGrid()
    result = trainer.fit(images(), 2, batch_size=BATCH, callbacks=[lambda tr, log: seen.append(dict(log)), grids])
    assert result.stopped == "completed" and result.epochs_done == 2
    assert result.steps == 2 * STEPS_PER_EPOCH == trainer.step
    assert result.history["epoch"] == [1, 2]
    assert result.history["step"] == [STEPS_PER_EPOCH, 2 * STEPS_PER_EPOCH]
    assert all(math.isfinite(v) for v in result.history["d_loss"] + result.history["g_loss"])
    assert all(s > 0 for s in result.history["seconds"])
    # images/s counts every real image, the last smaller batch included
    ips = result.history["images_per_s"]
    assert ips[1] == pytest.approx(N_IMAGES / result.history["seconds"][1])
    assert result.images_per_s > 0 and result.seconds >= sum(result.history["seconds"]) * 0.99
    assert [log["epoch"] for log in seen] == [1, 2] and seen[0]["d_loss"] == result.history["d_loss"][0]
    assert sorted(grids.grids) == [1, 2] and grids.grids[2].shape == (64, 28, 28)
    assert result.checkpoint is None
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "img/s" in err
    trainer.fit(images(), 3, batch_size=BATCH, verbose=False)
    assert capsys.readouterr().err == "" and trainer.epoch == 3


def test_fit_accepts_a_tf_data_dataset_with_labels(trainer):
    x = images()
    ds = gan_training.make_dataset(x, np.zeros(len(x), np.int64), batch_size=BATCH, drop_remainder=False)
    result = trainer.fit(ds, 1, verbose=False)
    assert result.steps == STEPS_PER_EPOCH


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"epochs": 0}, ValueError, r"epochs must be a positive integer, got 0"),
    ({"checkpoint_every": 0, "out_dir": "x"}, ValueError,
     r"checkpoint_every must be a positive integer \(or None\), got 0"),
    ({"checkpoint_every": 2}, ValueError, r"checkpoint_every needs out_dir"),
    ({"keep_last": 0}, ValueError, r"keep_last must be a positive integer \(or None\), got 0"),
    ({"time_budget_s": -1}, ValueError, r"time_budget_s must be > 0 seconds \(or None\), got -1"),
    ({"data": np.zeros((4, 28, 28), np.uint8)}, ValueError, r"floats in \[-1, 1\], got uint8"),
    ({"data": np.zeros((4, 32, 32), np.float32)}, ValueError,
     r"shape \(n, 28, 28\) or \(n, 28, 28, 1\), got \(4, 32, 32\)"),
    ({"data": [[0.0]]}, TypeError, r"NumPy array of images or a tf.data.Dataset, got list"),
])
def test_fit_bad_arguments(trainer, kwargs, exc, match):
    args = {"data": images(8), "epochs": 1, **kwargs}
    with pytest.raises(exc, match=match):
        trainer.fit(args.pop("data"), args.pop("epochs"), verbose=False, **args)
    assert trainer.step == 0


def test_final_epoch_is_checkpointed_even_off_the_period(trainer, tmp_path):
    result = trainer.fit(images(), 3, batch_size=BATCH, out_dir=tmp_path, checkpoint_every=2, keep_last=None,
                         verbose=False)
    ckpts = training.list_checkpoints(tmp_path)
    assert [p.name for p in ckpts] == ["ckpt-00002", "ckpt-00003"]
    assert result.checkpoint == ckpts[-1] == training.latest_checkpoint(tmp_path)
    state = json.loads((ckpts[-1] / "state.json").read_text())
    assert state["epoch"] == 3 and state["step"] == 3 * STEPS_PER_EPOCH
    assert state["config"]["generator"] == "mlp_generator" and state["config"]["latent_dim"] == 8
    names = sorted(p.name for p in ckpts[-1].iterdir())
    assert names == ["discriminator.weights.h5", "generator.weights.h5", "optimizers.npz", "state.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]  # no temporary leftovers


def test_keep_last_prunes_old_checkpoints(trainer, tmp_path):
    trainer.fit(images(), 3, batch_size=BATCH, out_dir=tmp_path, checkpoint_every=1, keep_last=1, verbose=False)
    assert [p.name for p in training.list_checkpoints(tmp_path)] == ["ckpt-00003"]


def test_resume_restores_weights_optimizer_and_continues_the_step_counter(trainer, tmp_path):
    first = trainer.fit(images(), 2, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    saved_g = weights(trainer.generator)
    saved_iterations = int(trainer.g_optimizer.iterations)
    # Forget everything in memory: scramble the weights and counters, as a new process would have them.
    trainer.generator.set_weights([np.zeros_like(w) for w in saved_g])
    trainer.g_optimizer.iterations.assign(0)
    trainer.epoch = trainer.step = 0
    state = trainer.restore(first.checkpoint)
    assert state["epoch"] == 2 and trainer.step == 2 * STEPS_PER_EPOCH
    assert same(saved_g, weights(trainer.generator)) and int(trainer.g_optimizer.iterations) == saved_iterations
    trainer.epoch = trainer.step = 0
    again = trainer.fit(images(), 3, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    assert again.history["epoch"] == [3]  # only the missing epoch ran
    assert again.history["step"] == [3 * STEPS_PER_EPOCH] and again.steps == 3 * STEPS_PER_EPOCH
    assert json.loads((training.latest_checkpoint(tmp_path) / "state.json").read_text())["step"] == 3 * STEPS_PER_EPOCH
    # resume=False starts over from the counters in memory, nothing is loaded
    trainer.epoch = trainer.step = 0
    fresh = trainer.fit(images(), 1, batch_size=BATCH, out_dir=tmp_path / "other", resume=False, verbose=False)
    assert fresh.steps == STEPS_PER_EPOCH


def test_already_done_run_just_reports(trainer, tmp_path):
    trainer.fit(images(), 1, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    trainer.epoch = trainer.step = 0
    result = trainer.fit(images(), 1, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    assert result.history["epoch"] == [] and result.epochs_done == 1 and result.steps == STEPS_PER_EPOCH


def test_restore_refuses_other_models_and_incomplete_folders(trainer, tmp_path):
    ckpt = trainer.save_checkpoint(tmp_path)
    other = GANTrainer(models.build_mlp_generator(4, hidden=(16, 32)), models.build_mlp_discriminator(hidden=(32, 16)))
    with pytest.raises(ValueError, match=r"holds latent_dim=8, but this trainer has 4"):
        other.restore(ckpt)
    (tmp_path / "ckpt-00009").mkdir()  # no state.json: a crashed write, ignored
    (tmp_path / ".tmp-ckpt-00010-abc").mkdir()
    assert training.latest_checkpoint(tmp_path) == ckpt
    with pytest.raises(FileNotFoundError, match=r"ckpt-00009 is not a complete checkpoint"):
        trainer.restore(tmp_path / "ckpt-00009")
    assert training.latest_checkpoint(tmp_path / "missing") is None
    assert training.list_checkpoints(tmp_path / "missing") == []


def test_crash_while_saving_leaves_no_partial_checkpoint(trainer, tmp_path, monkeypatch):
    good = trainer.save_checkpoint(tmp_path)
    trainer.epoch = 1

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(trainer.discriminator, "save_weights", crash)
    with pytest.raises(OSError, match="disk full"):
        trainer.save_checkpoint(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [good.name]


def test_time_budget_stops_after_the_epoch_and_saves(trainer, tmp_path):
    result = trainer.fit(images(), 5, batch_size=BATCH, out_dir=tmp_path, time_budget_s=1e-6, verbose=False)
    assert result.stopped == "time_budget" and result.epochs_done == 1 and result.steps == STEPS_PER_EPOCH
    assert result.checkpoint == training.latest_checkpoint(tmp_path) and result.checkpoint.name == "ckpt-00001"


def test_non_finite_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(trainer, tmp_path):
    import tensorflow as tf

    trainer.fit(images(), 1, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    good = training.latest_checkpoint(tmp_path)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in good.iterdir()}
    bad = images()
    bad[BATCH + 3, 5, 5] = np.nan  # poisons the second batch of the (unshuffled) epoch
    ds = tf.data.Dataset.from_tensor_slices(bad).batch(BATCH)
    with pytest.raises(DivergenceError, match=rf"non-finite loss at step {STEPS_PER_EPOCH + 2} \(epoch 2\)") as info:
        trainer.fit(ds, 3, out_dir=tmp_path, checkpoint_every=1, verbose=False)
    assert info.value.step == STEPS_PER_EPOCH + 2 and info.value.epoch == 2 and info.value.checkpoint == good
    assert not math.isfinite(info.value.losses["d_loss"])
    assert training.list_checkpoints(tmp_path) == [good]
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in good.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_weights_broken_by_an_epochs_last_update_are_never_saved(tmp_path, monkeypatch):
    """The loss guard sees the losses before an update; the weights it leaves are checked before a save."""
    g, d = small_gan()
    tr = GANTrainer(g, d, seed=0)
    tr.fit(images(), 1, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    good = training.latest_checkpoint(tmp_path)
    real_step = GANTrainer.run_step

    def breaking_step(self, real, update_generator=True):
        out = real_step(self, real, update_generator)
        if self.step == 2 * STEPS_PER_EPOCH:  # the second epoch's last update: finite losses, broken weights
            w = self.discriminator.weights[0]
            w.assign(keras.ops.full(w.shape, float("nan")))
        return out

    monkeypatch.setattr(GANTrainer, "run_step", breaking_step)
    with pytest.raises(DivergenceError, match=rf"non-finite weights after step {2 * STEPS_PER_EPOCH} \(epoch 2\): "
                       r".*not saved.*last good checkpoint: .*ckpt-00001") as info:
        tr.fit(images(), 3, batch_size=BATCH, out_dir=tmp_path, checkpoint_every=1, verbose=False)
    assert info.value.checkpoint == good and info.value.epoch == 2
    assert training.list_checkpoints(tmp_path) == [good]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_refuse_non_finite_weights_passes_finite_models():
    g, d = small_gan()
    training.refuse_non_finite_weights((g, d), 0, 0, None, verbose=False)  # finite: no error
    g.weights[-1].assign(keras.ops.full(g.weights[-1].shape, float("inf")))
    with pytest.raises(DivergenceError, match=r"after step 7 \(epoch 1\): .*last good checkpoint: none"):
        training.refuse_non_finite_weights((g, d), 7, 1, None, verbose=False)


def test_huge_learning_rate_triggers_the_guard(trainer):
    trainer.d_optimizer.learning_rate.assign(1e30)  # the fixture restores it for the next test
    trainer.g_optimizer.learning_rate.assign(1e30)
    with pytest.raises(DivergenceError, match=r"non-finite loss at step \d+") as info:
        trainer.fit(images(), 20, batch_size=BATCH, verbose=False)
    assert info.value.step <= trainer.step and info.value.checkpoint is None  # losses are read in blocks


def test_losses_are_read_in_blocks_and_a_non_finite_one_names_its_own_step(tmp_path, monkeypatch):
    from helpers.training import loop

    g, d = small_gan()
    tr = GANTrainer(g, d, seed=0)
    real_step = GANTrainer.run_step
    seen = []

    def step_6_diverges(self, real, update_generator=True):
        out = real_step(self, real, update_generator)
        seen.append(self.step)
        return {**out, "d_loss": math.nan} if self.step == 6 else out

    monkeypatch.setattr(loop, "READ_EVERY", 4)
    monkeypatch.setattr(GANTrainer, "run_step", step_6_diverges)
    with pytest.raises(DivergenceError, match=r"non-finite loss at step 6 \(epoch 1\): d_loss=nan") as info:
        tr.fit(images(), 1, batch_size=8, out_dir=tmp_path, verbose=False)
    assert info.value.step == 6 and seen[-1] == 8  # read after steps 4 and 8: step 6 named, nothing saved
    assert training.list_checkpoints(tmp_path) == []


def test_an_epochs_losses_read_in_blocks_are_the_mean_of_its_steps(monkeypatch):
    from helpers.training import loop

    g, d = small_gan()
    tr = GANTrainer(g, d, seed=0)
    real_step = GANTrainer.run_step
    per_step = []

    def recorded(self, real, update_generator=True):
        out = real_step(self, real, update_generator)
        per_step.append((int(real.shape[0]), {k: float(v) for k, v in out.items()}))
        assert not isinstance(out["d_loss"], float)  # backend scalars: nothing copied to the host yet
        return out

    monkeypatch.setattr(loop, "READ_EVERY", 3)
    monkeypatch.setattr(GANTrainer, "run_step", recorded)
    result = tr.fit(images(), 1, batch_size=24, verbose=False)  # 5 steps: read after 3, then at the epoch's end
    assert len(per_step) == 5 and not GANTrainer.MEAN_OVER_IMAGES  # a GAN's epoch figure: the mean over steps
    for key in ("d_loss", "g_loss"):
        want = sum(losses[key] for _, losses in per_step) / len(per_step)
        assert result.history[key][0] == pytest.approx(want, rel=1e-6)


def test_train_gan_builds_and_trains(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"data must be images in \[-1, 1\].*got None"):
        training.train_gan("mlp")
    with pytest.raises(ValueError, match=r"arch must be one of mlp, dcgan, got 'gan'"):
        training.train_gan("gan", images(8))
    asked = []

    def small_build_gan(arch, latent_dim):  # the full-size MLP would cost seconds to trace
        asked.append((arch, latent_dim))
        return small_gan()

    monkeypatch.setattr(gan_training, "build_gan", small_build_gan)
    tr, result = training.train_gan("mlp", images(64), 1, latent_dim=8, batch_size=BATCH, verbose=False,
                                    out_dir=tmp_path)
    assert asked == [("mlp", 8)] and tr.latent_dim == 8
    assert result.steps == 2 and result.checkpoint.name == "ckpt-00001"
    assert os.path.isfile(result.checkpoint / "generator.weights.h5")


# --------------------------------------------------------------------------- moving average of the generator


@pytest.mark.parametrize("ema", [0.0, 1.0, -0.5, True, "0.9"])
def test_ema_must_be_a_decay_in_the_open_unit_interval(ema):
    with pytest.raises(ValueError, match=r"ema must be a decay in \(0, 1\)"):
        GANTrainer(*small_gan(), ema=ema)


def test_ema_generator_follows_the_warm_up_formula_and_is_the_sampler(tmp_path):
    tr = GANTrainer(*small_gan(), ema=0.9)
    assert tr.sampler is tr.ema_generator and tr.ema_generator is not tr.generator
    start = weights(tr.generator)
    assert same(weights(tr.ema_generator), start)
    tr.train_step(images(BATCH))
    after = weights(tr.generator)
    decay = min(0.9, 2.0 / 11.0)  # first generator step: t = 1
    expected = [decay * w0 + (1 - decay) * w1 for w0, w1 in zip(start, after)]
    got = weights(tr.ema_generator)
    assert all(np.allclose(g, e, atol=1e-6) for g, e in zip(got, expected))
    assert not same(got, after)  # an average, not a copy
    grid_ema = tr.sample_grid()
    assert not np.array_equal(grid_ema, training.generate(tr.generator, tr.fixed_noise))

    path = tr.save_checkpoint(tmp_path)
    assert (path / training.EMA_FILE).is_file()
    saved = weights(tr.ema_generator)
    tr.train_step(images(BATCH))
    assert not same(weights(tr.ema_generator), saved)
    tr.restore(path)
    assert same(weights(tr.ema_generator), saved)
    assert tr.config()["ema"] == 0.9


def test_ema_trainer_restoring_a_run_without_an_average_starts_it_from_the_generator(trainer, tmp_path):
    trainer.train_step(images(BATCH))
    path = trainer.save_checkpoint(tmp_path)  # the shared trainer keeps no average
    assert not (path / training.EMA_FILE).exists()
    tr = GANTrainer(*small_gan(), ema=0.99)
    tr.restore(path)
    assert same(weights(tr.ema_generator), weights(trainer.generator))


def test_without_ema_the_sampler_is_the_generator(trainer):
    assert trainer.ema_generator is None and trainer.sampler is trainer.generator
    assert trainer.config()["ema"] is None


# --------------------------------------------------------------------------- what a resume carries over


def test_checkpoint_keeps_the_dropout_layers_random_state(tmp_path):
    keras.utils.set_random_seed(0)
    g = models.build_mlp_generator(8, hidden=(16,))
    d = models.build_dcgan_discriminator()  # two Dropout layers, each with its own seed state
    tr = GANTrainer(g, d)
    states = gan_training._layer_rng_states(d)
    assert len(states) == 2
    tr.train_step(images(8))  # advances the dropout seeds
    saved = [keras.ops.convert_to_numpy(v).copy() for v in states]
    path = tr.save_checkpoint(tmp_path)
    tr.train_step(images(8))
    assert not all(np.array_equal(keras.ops.convert_to_numpy(v), s) for v, s in zip(states, saved))
    tr.restore(path)
    assert all(np.array_equal(keras.ops.convert_to_numpy(v), s) for v, s in zip(states, saved))


def test_resume_shuffles_from_a_new_seed_and_names_the_checkpoint_without_its_folder(
    trainer, tmp_path, monkeypatch, capsys
):
    seeds = []
    real_make = gan_training.make_dataset

    def spy(*args, **kwargs):
        seeds.append(kwargs["seed"])
        return real_make(*args, **kwargs)

    monkeypatch.setattr(gan_training, "make_dataset", spy)
    trainer.fit(images(), 1, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    trainer.fit(images(), 2, batch_size=BATCH, out_dir=tmp_path, verbose=True)
    assert seeds[0] == trainer.seed and seeds[1] != seeds[0]  # epoch 2 does not replay epoch 1's order
    err = capsys.readouterr().err
    assert "resumed from ckpt-00001 (epoch 1," in err and str(tmp_path) not in err


def test_batches_are_not_split_without_a_distribution():
    assert training.batch_splits() == 1          # tests/test_distribution.py covers two devices
    assert training.check_batch_size(7) == 1
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        training.check_batch_size(0)


def test_compile_step_descends_a_loss_written_with_keras_ops():
    """compile_step: the same loss function steps on either backend, and lowers the loss on a fixed batch."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    x = np.random.default_rng(0).standard_normal((32, 4)).astype("float32")
    target = x.sum(axis=1, keepdims=True)

    def loss_fn(batch):
        return keras.ops.mean(keras.ops.square(model(batch, training=True) - target))

    before = [np.array(w) for w in model.get_weights()]
    step = training.compile_step(loss_fn, [model], keras.optimizers.SGD(0.05), input_shape=(4,))
    losses = [float(step(x)) for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0], losses[::10]
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))   # every weight moved
    # the first step's loss is the loss of the initial weights
    model.set_weights(before)
    assert losses[0] == pytest.approx(float(loss_fn(x)), rel=1e-5)


def test_compile_step_needs_trainable_weights():
    frozen = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    frozen.trainable = False
    with pytest.raises(ValueError, match="have no trainable weights"):
        training.compile_step(lambda b: keras.ops.sum(frozen(b)), [frozen], keras.optimizers.SGD(0.1), input_shape=(4,))


def test_compile_step_takes_batches_from_tf_data():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    step = training.compile_step(
        lambda b: keras.ops.mean(keras.ops.square(model(b))), [model], keras.optimizers.SGD(0.01))
    batch = next(iter(data.make_dataset(images(16)[..., None], batch_size=16, seed=0)))   # a tf.Tensor
    assert math.isfinite(float(step(batch)))


def test_the_hand_written_jax_step_trains_both_players_or_names_the_backend_it_needs():
    from helpers.training.plain_jax import jax_gan_step

    keras.utils.set_random_seed(0)
    G, D = models.build_mlp_generator(8, hidden=(16,)), models.build_mlp_discriminator(hidden=(16,))
    g_opt, d_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    if keras.backend.backend() != "jax":
        with pytest.raises(RuntimeError, match="jax_gan_step needs KERAS_BACKEND=jax, Keras runs on 'tensorflow'"):
            jax_gan_step(G, D, g_opt, d_opt, latent_dim=8)
        return
    step = jax_gan_step(G, D, g_opt, d_opt, latent_dim=8)
    g0, d0 = [w.numpy().copy() for w in G.trainable_variables], [w.numpy().copy() for w in D.trainable_variables]
    real = images(16)[..., None]
    losses = [step(real) for _ in range(2)]
    assert all(np.isfinite(float(v)) for pair in losses for v in pair)
    assert abs(float(losses[0][0]) - 2 * np.log(2)) < 0.3   # D's loss starts near 2 log 2 (logits near 0)
    assert all(not np.allclose(a, w.numpy()) for a, w in zip(g0, G.trainable_variables))
    assert all(not np.allclose(a, w.numpy()) for a, w in zip(d0, D.trainable_variables))
    assert int(g_opt.iterations.numpy()) == 2 and int(d_opt.iterations.numpy()) == 2


@pytest.mark.parametrize("z, batch_size, words", [
    (np.zeros((2, 8)), 0, "batch_size must be a positive integer, got 0"),
    (np.zeros((2, 5)), 4, r"z must have shape \(n, 8\) with n >= 1 \(the generator's latent length\), got \(2, 5\)"),
    (np.zeros((0, 8)), 4, r"z must have shape \(n, 8\)"),
    (np.full((2, 8), np.nan), 4, "z must be finite, got 16 NaN or inf values"),
])
def test_generate_names_bad_latents_and_batch_sizes(trainer, z, batch_size, words):
    with pytest.raises(ValueError, match=words):
        training.generate(trainer.generator, z, batch_size=batch_size)


# --------------------------------------------------------------------------- learning rates annealed over the run


def rates_of(tr) -> tuple[float, float]:
    return (float(keras.ops.convert_to_numpy(tr.g_optimizer.learning_rate)),
            float(keras.ops.convert_to_numpy(tr.d_optimizer.learning_rate)))


@pytest.mark.parametrize("anneal", [-0.1, 1.5, True, "0"])
def test_anneal_must_be_a_fraction_in_the_closed_unit_interval(anneal):
    with pytest.raises(ValueError, match=r"anneal must be the last learning rate as a fraction of the first, "
                                         rf"in \[0, 1\] \(or None for constant rates\), got {anneal!r}"):
        GANTrainer(*small_gan(), anneal=anneal)


def test_anneal_refuses_a_rate_that_is_already_a_schedule():
    decay = keras.optimizers.schedules.ExponentialDecay(2e-4, 10, 0.9)
    with pytest.raises(ValueError, match="anneal sets the learning rates as the run goes; d_learning_rate is "
                                         "already a schedule \\(ExponentialDecay\\)"):
        GANTrainer(*small_gan(), d_learning_rate=decay, anneal=0.0)


def test_set_progress_puts_both_rates_on_the_half_cosine():
    tr = GANTrainer(*small_gan(), g_learning_rate=8e-4, d_learning_rate=4e-4, anneal=0.1)
    for fraction in (0.0, 0.25, 0.5, 1.0, 1.7):
        tr.set_progress(fraction)
        scale = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0)))
        assert rates_of(tr) == pytest.approx((8e-4 * scale, 4e-4 * scale), rel=1e-6)
    assert rates_of(tr) == pytest.approx((8e-5, 4e-5), rel=1e-6)  # the bottom: anneal times the start
    # the checkpoint's config names the rates it started from, and the anneal
    config = tr.config()
    assert (config["g_learning_rate"], config["d_learning_rate"], config["anneal"]) == (
        pytest.approx(8e-4), pytest.approx(4e-4), 0.1)


def test_without_anneal_set_progress_changes_nothing(trainer):
    trainer.set_progress(0.9)
    assert rates_of(trainer) == pytest.approx((2e-4, 2e-4), rel=1e-6) and trainer.config()["anneal"] is None


def test_run_fraction_is_the_larger_of_epochs_and_time_used():
    from helpers.training.loop import run_fraction

    assert run_fraction(1, 4, 30.0, None) == 0.25
    assert run_fraction(1, 4, 30.0, 60.0) == 0.5       # the time budget is further along
    assert run_fraction(3, 4, 30.0, 60.0) == 0.75      # the epochs are
    assert run_fraction(5, 4, 90.0, 60.0) == 1.0       # never past the end
    assert run_fraction(0, 4, 0.0, None) == 0.0


def test_fit_tells_an_annealing_trainer_how_far_the_run_is(monkeypatch):
    from helpers.training import loop

    tr = GANTrainer(*small_gan(), g_learning_rate=1e-3, d_learning_rate=1e-3, anneal=0.0, seed=0)
    told = []
    real = GANTrainer.set_progress

    def recorded(self, fraction):
        told.append(round(fraction, 6))
        real(self, fraction)

    monkeypatch.setattr(loop, "READ_EVERY", 2)
    monkeypatch.setattr(GANTrainer, "set_progress", recorded)
    tr.fit(images(), 3, batch_size=BATCH, verbose=False)  # 4 steps an epoch: told at its start, after 2 and 4 steps
    # the first epoch's length is not known yet, so inside it the run reads as at its start
    third, inside = 1 / 3, 64 / 100 / 3
    assert told == pytest.approx([0.0, 0.0, 0.0, third, third + inside, 2 * third, 2 * third, 2 * third + inside, 1.0])
    assert rates_of(tr) == pytest.approx((0.0, 0.0), abs=1e-12)  # anneal=0: the run ends at the bottom


def test_an_annealing_run_resumes_on_its_cosine_from_the_rate_it_started_with(tmp_path):
    tr = GANTrainer(*small_gan(), g_learning_rate=1e-3, d_learning_rate=1e-3, anneal=0.0, seed=0)
    tr.fit(images(), 2, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    assert json.loads((tmp_path / "ckpt-00002" / "state.json").read_text())["config"]["g_learning_rate"] == \
        pytest.approx(1e-3)
    again = GANTrainer(*small_gan(), g_learning_rate=1e-3, d_learning_rate=1e-3, anneal=0.0, seed=0)
    result = again.fit(images(), 4, batch_size=BATCH, out_dir=tmp_path, verbose=False)
    assert result.changed_on_resume == {} and again.epoch == 4
    # the last epoch (4 steps, fewer than loop.READ_EVERY) was told at its start, 3/4 of the way
    assert rates_of(again)[0] == pytest.approx(1e-3 * 0.5 * (1 + math.cos(math.pi * 3 / 4)), rel=1e-5)
