import keras
import numpy as np
import pytest

from helpers.maths import diffusion as df
from helpers.models import build_latent_denoiser
from helpers.training import latent_diffusion as L
from helpers.training.diffusion import DiffusionTrainer, load_diffusion


def digits(n=64, seed=0):
    """Blobs in [0, 1] shaped like MNIST (what the autoencoder is trained on)."""
    return np.random.default_rng(seed).uniform(0, 1, (n, 28, 28, 1)).astype(np.float32)


def test_latent_denoiser_shapes_starts_at_zero_and_sees_the_time():
    net = build_latent_denoiser(latent_dim=5, width=16, depth=2, time_dim=8)
    z = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    out = keras.ops.convert_to_numpy(net([z, np.full((3, 1), 0.5, "float32")]))
    assert out.shape == (3, 5) and np.all(out == 0)  # the output layer starts at zero
    net.get_layer("eps").set_weights([np.full_like(w, 0.1) for w in net.get_layer("eps").get_weights()])
    a = keras.ops.convert_to_numpy(net([z, np.full((3, 1), 0.1, "float32")]))
    b = keras.ops.convert_to_numpy(net([z, np.full((3, 1), 0.9, "float32")]))
    assert np.abs(a - b).max() > 1e-3
    with pytest.raises(ValueError, match="depth must be"):
        build_latent_denoiser(4, depth=0)


def test_the_trainer_learns_vectors_a_gaussian_in_two_dimensions():
    """On N(m, diag(s²)) the best ε̂ is linear; a thousand steps bring DDIM's samples to the right mean and
    spread (at initialisation, ε̂ = 0, the samples land far out, towards the clip at ±5)."""
    keras.utils.set_random_seed(0)
    m, s = np.array([2.0, -1.0]), np.array([0.5, 1.5])
    data = (m + s * np.random.default_rng(1).standard_normal((4096, 2))).astype(np.float32)
    tr = DiffusionTrainer(build_latent_denoiser(2, width=64, depth=2), df.cosine_schedule(100), learning_rate=3e-3,
                          ema=None)
    assert tr.data_shape == (2,)
    tr.fit(data, 60, batch_size=256, verbose=False)
    x_T = np.random.default_rng(2).standard_normal((4000, 2))
    z0 = df.ddim_sample(lambda z, t: tr.predict_noise(z.astype(np.float32), t), x_T, tr.schedule, 20, clip=5.0)
    np.testing.assert_allclose(z0.mean(0), m, atol=0.2)
    np.testing.assert_allclose(z0.std(0), s, rtol=0.4)  # measured 0.67, 1.46 (TensorFlow); 0.54, 1.76 (JAX)
    with pytest.raises(ValueError, match=r"data must be finite floats of shape \(n, 2\)"):
        tr.fit(np.zeros((8, 3), np.float32), 1, batch_size=4)
    with pytest.raises(ValueError, match="sample makes images"):
        tr.sample(2)


def test_train_resume_sample_and_load(tmp_path):
    run = tmp_path / "run"
    kw = dict(out_dir=run, ae_epochs=1, latent_dim=4, width=16, depth=1, steps=40, batch_size=32, verbose=False)
    model, result = L.train_latent_diffusion(digits(), 1, **kw)
    assert (run / L.STATS_FILE).is_file() and (run / L.AUTOENCODER_DIR / "ckpt-00001").is_dir()
    assert result.epochs_done == 1 and model.diffusion.config()["data_shape"] == [4]
    a = model.sample(6, seed=3, steps=5)
    assert a.shape == (6, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, model.sample(6, seed=3, steps=5))  # the same seed, the same digits
    floats = model.sample(6, seed=3, steps=5, as_uint8=False)  # the decoder's [0, 1], 0 → 0 and 1 → 255
    assert floats.shape == (6, 28, 28, 1) and np.abs(a.astype(int) - np.rint(floats[..., 0] * 255)).max() <= 1
    assert not np.array_equal(a, model.sample(6, seed=4, steps=5))
    z = model.encode(digits(8, seed=5))
    np.testing.assert_allclose(model.decode(z), model.autoencoder.reconstruct(digits(8, seed=5)), atol=1e-5)

    # a rerun resumes the denoiser and leaves the finished autoencoder alone
    ae_weights = [w.copy() for w in model.autoencoder.decoder.get_weights()]
    model2, result2 = L.train_latent_diffusion(digits(), 2, **kw)
    assert result2.epochs_done == 2 and model2.autoencoder.epoch == 1
    for w, w2 in zip(ae_weights, model2.autoencoder.decoder.get_weights()):
        np.testing.assert_array_equal(w, w2)

    loaded = L.load_latent_diffusion(run)
    np.testing.assert_array_equal(loaded.sample(6, seed=3, steps=5), model2.sample(6, seed=3, steps=5))
    with pytest.raises(ValueError, match="is a latent diffusion model: load it with"):
        load_diffusion(run)


def test_bad_arguments_and_a_missing_autoencoder_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"ae_share must be a number in \(0, 0.9\], got 1.5"):
        L.train_latent_diffusion(digits(), 1, out_dir=tmp_path / "a", ae_share=1.5)
    with pytest.raises(ValueError, match="epochs must be"):
        L.train_latent_diffusion(digits(), 0, out_dir=tmp_path / "a")
    run = tmp_path / "run"
    L.train_latent_diffusion(digits(), 1, out_dir=run, ae_epochs=1, latent_dim=3, width=8, depth=1, steps=20,
                             batch_size=32, verbose=False)
    (run / L.STATS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="its autoencoder was not finished"):
        L.load_latent_diffusion(run)
