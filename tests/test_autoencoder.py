import json
import math

import keras
import numpy as np
import pytest

from helpers import models, training
from helpers.training import DivergenceError

N = 96  # 3 batches of 32


def digits(n: int = N, seed: int = 0) -> np.ndarray:
    """Synthetic "digits" in [0, 1]: a bright bar at a random row on a dark background,
    so there is structure to learn."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.float32)
    for i, r in enumerate(rng.integers(4, 24, n)):
        x[i, r:r + 4, 4:24] = 1.0
    return x


def tiny(variational=False, latent=4, seed=0):
    keras.utils.set_random_seed(seed)
    return models.build_dense_encoder(latent, (32,), variational), models.build_dense_decoder(latent, (32,))


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize("arch", models.autoencoder.ARCHS)
@pytest.mark.parametrize("variational", [False, True])
def test_build_autoencoder_shapes(arch, variational):
    enc, dec = models.build_autoencoder(arch, 7, variational)
    x = np.random.default_rng(0).uniform(0, 1, (3, 28, 28, 1)).astype(np.float32)
    z = enc(x)
    if variational:
        assert len(z) == 2 and all(tuple(t.shape) == (3, 7) for t in z)
        assert enc.name.endswith("vae_encoder")
        z = z[0]
    else:
        assert tuple(z.shape) == (3, 7)
    out = keras.ops.convert_to_numpy(dec(z))
    assert out.shape == (3, 28, 28, 1) and out.min() >= 0.0 and out.max() <= 1.0  # sigmoid output


def test_article_decoder_is_latent_128_128_784():
    dec = models.build_article_decoder(10)
    dense = [layer for layer in dec.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [128, 128, 784]
    assert dec.count_params() == (10 * 128 + 128) + (128 * 128 + 128) + (128 * 784 + 784)
    assert dec.name == "article_decoder"


def test_builders_reject_bad_sizes():
    for fn in (models.build_dense_encoder, models.build_dense_decoder, models.build_conv_encoder,
               models.build_conv_decoder, models.build_article_decoder):
        with pytest.raises(ValueError, match="latent_dim must be a positive integer, got 0"):
            fn(0)
    with pytest.raises(ValueError, match="each hidden width must be a positive integer, got -2"):
        models.build_dense_encoder(4, (8, -2))
    with pytest.raises(ValueError, match=r"hidden must list at least one layer width, got \(\)"):
        models.build_dense_decoder(4, ())
    with pytest.raises(ValueError, match="arch must be one of dense, conv, article, got 'mlp'"):
        models.build_autoencoder("mlp")


# --------------------------------------------------------------------------- losses


def test_reconstruction_losses_by_hand():
    x = np.zeros((2, 28, 28, 1), np.float32)
    x_hat = np.full((2, 28, 28, 1), 0.5, np.float32)
    assert float(training.reconstruction_loss(x, x_hat, "l2")) == pytest.approx(784 * 0.25)  # summed over pixels
    assert float(training.reconstruction_loss(x, x_hat, "l1")) == pytest.approx(784 * 0.5)
    assert float(training.reconstruction_loss(x, x_hat, "bce")) == pytest.approx(784 * math.log(2), rel=1e-5)
    # Batch mean: a second, perfect image halves the loss.
    x_hat[1] = 0.0
    assert float(training.reconstruction_loss(x, x_hat, "l2")) == pytest.approx(784 * 0.25 / 2)
    # BCE stays finite at a saturated, wrong pixel (probabilities are clipped).
    assert math.isfinite(float(training.reconstruction_loss(np.ones((1, 784)), np.zeros((1, 784)), "bce")))
    with pytest.raises(ValueError, match="loss must be one of l2, l1, bce, got 'l3'"):
        training.reconstruction_loss(x, x_hat, "l3")


def test_kl_divergence_by_hand():
    zero = np.zeros((3, 5), np.float32)
    assert float(training.kl_divergence(zero, zero)) == pytest.approx(0.0)  # the posterior IS the prior
    mean = np.full((1, 2), 2.0, np.float32)
    log_var = np.full((1, 2), math.log(0.5), np.float32)
    per_dim = 0.5 * (0.5 + 4.0 - 1.0 - math.log(0.5))  # ½(σ² + μ² − 1 − log σ²)
    assert float(training.kl_divergence(mean, log_var)) == pytest.approx(2 * per_dim, rel=1e-6)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("loss", training.LOSSES)
def test_training_lowers_the_loss(loss):
    trainer = training.AutoencoderTrainer(*tiny(), loss=loss, learning_rate=3e-3)
    x = digits()
    before = trainer.evaluate(x)["reconstruction"]
    result = trainer.fit(x, 4, batch_size=32, verbose=False)
    after = trainer.evaluate(x)["reconstruction"]
    assert after < 0.8 * before, (loss, before, after)
    assert result.history["epoch"] == [1, 2, 3, 4] and result.steps == 12 and result.stopped == "completed"
    assert result.images_per_s > 0 and all(k == 0 for k in result.history["kl"])


def test_vae_trains_both_terms_and_samples_from_the_prior(capsys):
    trainer = training.AutoencoderTrainer(*tiny(variational=True), learning_rate=3e-3)
    assert trainer.variational and trainer.latent_dim == 4
    x = digits()
    result = trainer.fit(x, 3, batch_size=32)
    h = result.history
    assert all(k > 0 for k in h["kl"]) and h["loss"][-1] < h["loss"][0]
    np.testing.assert_allclose(h["loss"], np.array(h["reconstruction"]) + np.array(h["kl"]), rtol=1e-5)
    err = capsys.readouterr().err
    assert "epoch 3/3" in err and "kl " in err and "img/s" in err  # progress on stderr
    s1, s2 = trainer.sample(5, seed=1), trainer.sample(5, seed=1)
    assert s1.shape == (5, 28, 28, 1) and np.array_equal(s1, s2) and not np.array_equal(s1, trainer.sample(5, seed=2))
    # encode gives the posterior mean: deterministic, unlike the training step's sampled z.
    np.testing.assert_array_equal(trainer.encode(x[:4]), trainer.encode(x[:4]))
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        trainer.sample(0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        trainer.sample(3, seed=-1)


def test_denoising_corrupts_inputs_not_targets():
    x = digits(32)
    enc, dec = tiny()
    clean = training.AutoencoderTrainer(enc, dec)
    noisy = training.AutoencoderTrainer(enc, dec, noise_std=0.5)
    # Same weights: with noise on the inputs the loss against the clean targets is different (and random).
    assert clean.evaluate(x)["loss"] == pytest.approx(clean.evaluate(x)["loss"])
    assert noisy.evaluate(x)["loss"] != pytest.approx(clean.evaluate(x)["loss"], rel=1e-6)


def test_encode_decode_reconstruct():
    trainer = training.AutoencoderTrainer(*tiny(latent=3))
    x = digits(10)
    z = trainer.encode(x, batch_size=4)
    assert z.shape == (10, 3)
    np.testing.assert_allclose(trainer.reconstruct(x[..., None]), trainer.decode(z), atol=1e-6)
    with pytest.raises(ValueError, match=r"z must have shape \(n, 3\) with n >= 1, got \(10, 4\)"):
        trainer.decode(np.zeros((10, 4)))
    with pytest.raises(ValueError, match="got uint8"):
        trainer.encode((x * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"must be floats in \[0, 1\].*from -1 to 1"):
        trainer.encode(x * 2 - 1)
    with pytest.raises(ValueError, match=r"shape \(n, 28, 28\).*got \(10, 27, 28\)"):
        trainer.encode(np.zeros((10, 27, 28)))


def test_trainer_rejects_bad_settings():
    enc, dec = tiny()
    with pytest.raises(ValueError, match="loss must be one of l2, l1, bce, got 'mse'"):
        training.AutoencoderTrainer(enc, dec, loss="mse")
    with pytest.raises(ValueError, match="beta must be a finite number >= 0, got -1"):
        training.AutoencoderTrainer(enc, dec, beta=-1)
    with pytest.raises(ValueError, match=r"noise_std must be a finite number >= 0, got -0\.1"):
        training.AutoencoderTrainer(enc, dec, noise_std=-0.1)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        training.AutoencoderTrainer(enc, dec, learning_rate=0)
    with pytest.raises(ValueError, match="arch must be one of"):
        training.AutoencoderTrainer(enc, dec, arch="gan")
    with pytest.raises(ValueError, match="encoder gives latent size 4 but decoder takes 5"):
        training.AutoencoderTrainer(enc, models.build_dense_decoder(5, (8,)))
    trainer = training.AutoencoderTrainer(enc, dec)
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        trainer.fit(digits(), 0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        trainer.fit(digits(), 1, batch_size=0)
    with pytest.raises(ValueError, match="time_budget_s must be > 0 seconds"):
        trainer.fit(digits(), 1, time_budget_s=0)
    with pytest.raises(TypeError, match="got list"):
        trainer.fit([1, 2], 1)
    with pytest.raises(ValueError, match="data must be floats in \\[0, 1\\], got uint8"):
        trainer.fit(np.zeros((4, 28, 28), np.uint8), 1)
    with pytest.raises(ValueError, match="data must be images"):
        training.train_autoencoder("dense", None)
    with pytest.raises(ValueError, match="loss must be one of"):
        training.train_autoencoder("dense", digits(), loss="l0")


def test_time_budget_stops_after_the_crossing_epoch():
    trainer = training.AutoencoderTrainer(*tiny())
    result = trainer.fit(digits(), 5, batch_size=32, time_budget_s=1e-6, verbose=False)
    assert result.stopped == "time_budget" and result.epochs_done == 1 and trainer.step == 3


def test_divergence_raises_with_the_step(monkeypatch):
    trainer = training.AutoencoderTrainer(*tiny())

    def nan_step(self, x):
        self.step += 1
        return {"loss": math.nan, "reconstruction": math.nan, "kl": 0.0}

    monkeypatch.setattr(training.AutoencoderTrainer, "run_step", nan_step)
    with pytest.raises(DivergenceError, match="non-finite loss at step 1 \\(epoch 1\\)") as info:
        trainer.fit(digits(), 2, batch_size=32, verbose=False)
    assert info.value.step == 1 and info.value.checkpoint is None


def test_broken_weights_are_not_saved(tmp_path, monkeypatch):
    trainer = training.AutoencoderTrainer(*tiny())
    real_step = training.AutoencoderTrainer.run_step

    def breaking_step(self, x):
        out = real_step(self, x)
        if self.step == math.ceil(N / 32):  # the epoch's last update: its losses were finite, its weights are not
            w = self.decoder.weights[0]
            w.assign(keras.ops.full(w.shape, float("nan")))
        return out

    monkeypatch.setattr(training.AutoencoderTrainer, "run_step", breaking_step)
    with pytest.raises(DivergenceError, match=r"non-finite weights after step \d+ \(epoch 1\): .*not saved") as info:
        trainer.fit(digits(), 1, batch_size=32, out_dir=tmp_path, verbose=False)
    assert info.value.checkpoint is None and not list(tmp_path.glob("ckpt-*"))


# --------------------------------------------------------------------------- checkpoints


def test_checkpoint_resume_and_load(tmp_path):
    x = digits()
    trainer, result = training.train_autoencoder("dense", x, 2, latent_dim=3, loss="l1", batch_size=32,
                                                 out_dir=tmp_path, verbose=False, seed=1)
    assert result.checkpoint == tmp_path / "ckpt-00002"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00002"]  # no temporary folder left behind
    state = json.loads((tmp_path / "ckpt-00002" / "state.json").read_text())
    assert (state["epoch"], state["step"]) == (2, 6)
    assert state["config"]["kind"] == "autoencoder" and state["config"]["arch"] == "dense"
    assert state["config"]["loss"] == "l1" and state["config"]["latent_dim"] == 3

    loaded = training.load_autoencoder(tmp_path)
    assert (loaded.epoch, loaded.step, loaded.loss) == (2, 6, "l1")
    np.testing.assert_allclose(loaded.reconstruct(x[:5]), trainer.reconstruct(x[:5]), atol=1e-6)
    # Resuming continues the step counter and the optimizer's state, and replaces the checkpoint (keep_last=1).
    again = trainer.fit(x, 3, batch_size=32, verbose=False)
    resumed = loaded.fit(x, 3, batch_size=32, out_dir=tmp_path, verbose=False)
    assert again.steps == resumed.steps == 9 and sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00003"]
    assert loaded.optimizer.iterations.numpy() == trainer.optimizer.iterations.numpy() == 9


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    trainer = training.AutoencoderTrainer(*tiny(), arch="dense")
    monkeypatch.setattr(trainer.decoder, "save_weights", lambda path: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        trainer.save_checkpoint(tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither a checkpoint nor a half-written temporary folder


def test_restore_and_load_errors(tmp_path):
    trainer = training.AutoencoderTrainer(*tiny(), arch="dense")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        training.load_autoencoder(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="holds no checkpoint"):
        training.load_autoencoder(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no state\.json"):
        trainer.restore(tmp_path)
    ckpt = trainer.save_checkpoint(tmp_path / "run")
    other = training.AutoencoderTrainer(*tiny(latent=5))
    with pytest.raises(ValueError, match=r"holds encoder|holds latent_dim=4"):
        other.restore(ckpt)
    gan = tmp_path / "gan" / "ckpt-00001"
    gan.mkdir(parents=True)
    (gan / "state.json").write_text(json.dumps({"epoch": 1, "step": 1, "config": {"generator": "mlp_generator"}}))
    with pytest.raises(ValueError, match="is not an autoencoder"):
        training.load_autoencoder(gan.parent)
    (gan / "state.json").write_text("{broken")
    with pytest.raises(ValueError, match="unreadable"):
        training.read_state(gan)


def test_numpy_numbers_nan_codes_and_a_zero_batch_get_clear_answers():
    enc, dec = models.build_autoencoder("dense", latent_dim=3)
    trainer = training.AutoencoderTrainer(enc, dec, noise_std=np.float32(0.5), beta=np.float64(1.0))
    assert trainer.noise_std == 0.5 and trainer.beta == 1.0
    with pytest.raises(ValueError, match="noise_std must be a finite number >= 0, got True"):
        training.AutoencoderTrainer(enc, dec, noise_std=True)
    with pytest.raises(ValueError, match=r"z must be finite, got 1 NaN or inf values"):
        trainer.decode(np.array([[0.0, np.nan, 0.0]]))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        trainer.evaluate(np.zeros((2, 28, 28), np.float32), batch_size=0)
