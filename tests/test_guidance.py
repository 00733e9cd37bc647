import keras
import numpy as np
import pytest

from helpers.maths.diffusion import make_schedule
from helpers.models.score import build_unet
from helpers.training.diffusion import DiffusionTrainer
from helpers.training.guidance import guided_sample, log_prob_gradient


def brightness_classifier(digit=3, gain=20.0):
    """Logits 0 except for ``digit``, whose logit is ``gain`` × the mean pixel: brighter images are more that digit."""
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    kernel = np.zeros((784, 10), dtype="float32")
    kernel[:, digit] = gain / 784
    model.layers[-1].set_weights([kernel, np.zeros(10, dtype="float32")])
    return model


@pytest.fixture(scope="module")
def trainer():
    keras.utils.set_random_seed(0)
    return DiffusionTrainer(build_unet(4, time_dim=8), make_schedule("cosine", 100), ema=None)


def test_the_gradient_is_that_of_the_log_probability():
    clf = brightness_classifier()
    x = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    logp, grad = log_prob_gradient(clf, [3, 3, 5])(x)
    logits = np.zeros((3, 10))
    logits[:, 3] = 20 * x.reshape(3, -1).mean(1)
    expected = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(logp, expected[[0, 1, 2], [3, 3, 5]], rtol=1e-4, atol=1e-5)
    # d/dx of log softmax_y: (1[y = 3] − p₃) · 20/784 at every pixel
    p3 = np.exp(expected[:, 3])
    for i, y in enumerate([3, 3, 5]):
        np.testing.assert_allclose(grad[i], ((y == 3) - p3[i]) * 20 / 784, rtol=1e-3)


class TwoLevels:
    """A perfect denoiser for images whose pixels are all −0.5 or all +0.5, each half the time: its ε̂ is the exact
    E[ε | xₜ] (the posterior over the two levels given xₜ is a two-way softmax)."""

    schedule = make_schedule("cosine", 100)

    def predict_noise(self, x, t):
        ab = self.schedule.alpha_bars[t]
        flat = x.reshape(len(x), -1).astype(np.float64)
        loglik = np.stack([-((flat - np.sqrt(ab) * c) ** 2).sum(1) / (2 * (1 - ab)) for c in (-0.5, 0.5)], 1)
        post = np.exp(loglik - loglik.max(1, keepdims=True))
        level = (post / post.sum(1, keepdims=True)) @ np.array([-0.5, 0.5])
        return ((flat - np.sqrt(ab) * level[:, None]) / np.sqrt(1 - ab)).reshape(x.shape)


def test_scale_zero_is_the_unguided_sampler(trainer):
    clf = brightness_classifier()
    plain = guided_sample(trainer, clf, [3] * 4, scale=0.0, seed=2, steps=10)
    np.testing.assert_array_equal(plain, trainer.sample(4, seed=2, steps=10, as_uint8=False))


def test_guidance_steers_a_perfect_denoiser_to_the_class_the_classifier_prefers():
    # unguided, DDIM splits the noise between the two levels about evenly; guided towards the digit whose logit
    # grows with brightness, nearly every image ends bright, and towards another digit, dark
    clf, two = brightness_classifier(digit=3), TwoLevels()
    plain = guided_sample(two, clf, [3] * 40, scale=0.0, seed=1, steps=20).mean(axis=(1, 2, 3))
    bright = guided_sample(two, clf, [3] * 40, scale=3.0, seed=1, steps=20).mean(axis=(1, 2, 3))
    dark = guided_sample(two, clf, [5] * 40, scale=3.0, seed=1, steps=20).mean(axis=(1, 2, 3))
    assert np.allclose(np.abs(plain), 0.5, atol=0.05) and 10 <= (plain > 0).sum() <= 30
    assert (bright > 0).sum() >= 36 and (dark < 0).sum() >= 36, ((bright > 0).sum(), (dark < 0).sum())
    np.testing.assert_array_equal(bright, guided_sample(two, clf, [3] * 40, scale=3.0, seed=1, steps=20)
                                  .mean(axis=(1, 2, 3)))


def test_bad_arguments_are_named(trainer):
    clf = brightness_classifier()
    with pytest.raises(ValueError, match=r"digits must be a non-empty list of integers from 0 to 9, got \[10\]"):
        guided_sample(trainer, clf, [10])
    with pytest.raises(ValueError, match="scale"):
        guided_sample(trainer, clf, [1], scale=-1.0)
    with pytest.raises(ValueError, match="steps"):
        guided_sample(trainer, clf, [1], steps=101)
