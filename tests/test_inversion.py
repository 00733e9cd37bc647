import keras
import numpy as np
import pytest

from helpers import models
from helpers.models.classifier import build_judge_model
from helpers.training import inversion
from tests.support import targets_from

# `decoder` (a seeded dense decoder, 4 → 28×28×1) is a fixture of tests/conftest.py


@pytest.fixture(scope="module")
def classifier():
    keras.utils.set_random_seed(1)
    return models.build_classifier(num_classes=10, dropout=0.0)


def images(n=4, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)


def ce_loss(model, x, y):
    logits = inversion.class_logits(model)(x)
    return float(keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)))


# --------------------------------------------------------------------------- latent inversion


def test_invert_lowers_the_reconstruction_error(decoder):
    _, x = targets_from(decoder)
    result = inversion.invert(decoder, x, steps=60, learning_rate=0.1, seed=1)
    assert result.z.shape == (3, 4) and result.reconstruction.shape == (3, 28, 28, 1)
    assert result.history.shape == (61, 3)
    assert np.all(result.history[-1] < 0.2 * result.history[0])  # every image much closer than at the start
    np.testing.assert_allclose(result.errors, result.history[-1])
    mse = ((result.reconstruction - x) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(mse, result.errors, rtol=1e-4)  # errors are the reconstruction's MSE
    np.testing.assert_allclose(result.reconstruction, keras.ops.convert_to_numpy(decoder(result.z)), atol=1e-6)


def test_restarts_keep_the_best_per_image(decoder):
    _, x = targets_from(decoder, n=2)
    one = inversion.invert(decoder, x, steps=5, restarts=1, seed=3)
    many = inversion.invert(decoder, x, steps=5, restarts=4, seed=3)
    assert many.restart_errors.shape == (4, 2)
    np.testing.assert_allclose(many.errors, many.restart_errors.min(axis=0))
    # restart 0 starts at the same z
    np.testing.assert_allclose(many.restart_errors[0], one.restart_errors[0], rtol=1e-5)
    assert np.all(many.errors <= one.errors + 1e-7)


def test_z_init_at_the_answer_stays_there(decoder):
    z, x = targets_from(decoder, n=2)
    result = inversion.invert(decoder, x[0], steps=1, learning_rate=1e-4, z_init=z[:1])
    assert result.errors[0] < 1e-6 and result.history[0, 0] == pytest.approx(0.0, abs=1e-10)


def test_mask_ignores_unknown_pixels(decoder):
    _, x = targets_from(decoder, n=2)
    mask = np.ones((28, 28), np.float32)
    mask[10:20, 10:20] = 0.0  # a square hole to inpaint
    damaged = x.copy()
    damaged[:, 10:20, 10:20] = 1.0
    a = inversion.invert(decoder, damaged, steps=20, mask=mask, seed=2)
    b = inversion.invert(decoder, x, steps=20, mask=mask, seed=2)
    np.testing.assert_allclose(a.z, b.z, atol=1e-6)  # what is under the mask does not matter
    unmasked = inversion.invert(decoder, damaged, steps=20, seed=2)
    assert not np.allclose(unmasked.z, a.z, atol=1e-3)
    # The error is the mean over the KNOWN pixels only.
    known = mask.astype(bool)
    mse = ((a.reconstruction[..., 0] - damaged[..., 0]) ** 2)[:, known].mean(axis=1)
    np.testing.assert_allclose(a.errors, mse, rtol=1e-4)


def test_z_penalty_pulls_codes_towards_zero(decoder):
    _, x = targets_from(decoder, n=2)
    free = inversion.invert(decoder, x, steps=30, seed=4)
    held = inversion.invert(decoder, x, steps=30, seed=4, z_penalty=10.0)
    assert np.linalg.norm(held.z) < np.linalg.norm(free.z)


def test_invert_rejects_bad_input(decoder):
    _, x = targets_from(decoder, n=2)
    for kwargs, message in [
        ({"steps": 0}, "steps must be a positive integer, got 0"),
        ({"restarts": -1}, "restarts must be a positive integer, got -1"),
        ({"learning_rate": 0}, "learning_rate must be a finite number > 0, got 0"),
        ({"z_penalty": -1.0}, "z_penalty must be a finite number >= 0, got -1.0"),
        ({"seed": -2}, "seed must be a non-negative integer, got -2"),
        ({"mask": np.ones((3, 3))}, r"mask must broadcast to the target's shape \(2, 28, 28, 1\), got \(3, 3\)"),
        ({"mask": np.full((28, 28), 0.5)}, "mask must hold only 0"),
        ({"mask": np.zeros((28, 28))}, "no known pixel"),
        ({"z_init": np.zeros((2, 5))}, r"z_init must be finite with shape \(2, 4\), got \(2, 5\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            inversion.invert(decoder, x, **kwargs)
    with pytest.raises(ValueError, match=r"target must have shape \(28, 28, 1\).*got \(2, 27, 28\)"):
        inversion.invert(decoder, np.zeros((2, 27, 28)))
    with pytest.raises(ValueError, match="target must be finite"):
        inversion.invert(decoder, np.full((28, 28), np.nan))


# --------------------------------------------------------------------------- classifier scores


def test_class_logits_reads_through_a_softmax_layer():
    keras.utils.set_random_seed(2)
    judge = build_judge_model()  # outputs [features, probs]
    x = images(3)
    logits = keras.ops.convert_to_numpy(inversion.class_logits(judge)(x))
    probs = keras.ops.convert_to_numpy(judge(x, training=False)[1])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), probs, atol=1e-5)
    with pytest.raises(TypeError, match=r"model must be a keras\.Model, got function"):
        inversion.class_logits(lambda x: x)


def test_class_logits_and_predict_labels_of_a_logit_model(classifier):
    x = images(5)
    logits = keras.ops.convert_to_numpy(inversion.class_logits(classifier)(x))
    np.testing.assert_allclose(logits, keras.ops.convert_to_numpy(classifier(x)), atol=1e-6)
    np.testing.assert_array_equal(inversion.predict_labels(classifier, x, batch_size=2), logits.argmax(axis=1))
    np.testing.assert_array_equal(inversion.predict_labels(classifier, x[0, ..., 0]), logits[:1].argmax(axis=1))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        inversion.predict_labels(classifier, x, batch_size=0)


# --------------------------------------------------------------------------- activation maximisation


@pytest.mark.parametrize("kwargs, gain", [({}, 1.0),
                                          ({"blur_every": 2, "jitter": 2, "l2": 0.1, "objective": "log_prob"}, 0.05)])
def test_maximize_activation_raises_the_target_score(classifier, kwargs, gain):
    result = inversion.maximize_activation(classifier, [3, 7], steps=15, learning_rate=0.05, seed=0, **kwargs)
    assert result.images.shape == (2, 28, 28, 1) and result.history.shape == (16, 2)
    assert np.all(result.history[-1] > result.history[0] + gain)
    assert result.images.min() >= -1.0 and result.images.max() <= 1.0
    logits = keras.ops.convert_to_numpy(classifier(result.images))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    np.testing.assert_allclose(result.probabilities, probs[[0, 1], [3, 7]], atol=1e-5)
    assert list(result.targets) == [3, 7]


def test_maximize_activation_respects_the_value_range_and_init(classifier):
    init = np.full((28, 28), 0.5, np.float32)
    result = inversion.maximize_activation(classifier, 1, steps=3, init=init, value_range=(0.0, 1.0))
    assert result.images.shape == (1, 28, 28, 1) and result.images.min() >= 0.0 and result.images.max() <= 1.0


def test_maximize_activation_rejects_bad_input(classifier):
    for kwargs, message in [
        ({"target_class": 10}, "target_class must be an int or ints from 0 to 9, got 10"),
        ({"target_class": [1.5]}, "target_class must be an int"),
        ({"steps": 0}, "steps must be a positive integer, got 0"),
        ({"learning_rate": -1}, "learning_rate must be a finite number > 0"),
        ({"l2": -1}, "l2 must be a finite number >= 0"),
        ({"blur_every": -1}, "blur_every must be a non-negative integer"),
        ({"blur_sigma": 0}, "blur_sigma must be a finite number > 0"),
        ({"jitter": 1.5}, "jitter must be a non-negative integer"),
        ({"objective": "prob"}, "objective must be one of logit, log_prob, got 'prob'"),
        ({"value_range": (1, 0)}, "low < high"),
        ({"value_range": 3}, "value_range must be a pair"),
        ({"init": np.zeros((2, 28, 28))}, r"init must hold one image per target class \(1\), got 2"),
    ]:
        args = {"target_class": 0, **kwargs}
        with pytest.raises(ValueError, match=message):
            inversion.maximize_activation(classifier, args.pop("target_class"), **args)


def test_blur_keeps_the_mean_and_smooths():
    x = images(2)
    b = inversion._blur(x, 1.0)
    assert b.shape == x.shape
    assert abs(b.mean() - x.mean()) < 0.02 and b.std() < 0.6 * x.std()


# --------------------------------------------------------------------------- FGSM and PGD


def test_fgsm_respects_epsilon_and_raises_the_loss(classifier):
    x = images(6, seed=3) * 0.5
    y = inversion.predict_labels(classifier, x)
    adv = inversion.fgsm(classifier, x, y, epsilon=0.1)
    assert adv.shape == x.shape and adv.dtype == np.float32
    assert np.abs(adv - x).max() <= 0.1 + 1e-6
    moved = np.abs(adv - x)
    assert np.all((moved < 1e-6) | (np.abs(moved - 0.1) < 1e-6))  # each pixel moves by ±ε, or 0 where ∇ = 0
    assert np.mean(moved > 0.05) > 0.8  # (the last rows and columns never reach the pooled features)
    assert ce_loss(classifier, adv, y) > ce_loss(classifier, x, y)
    np.testing.assert_array_equal(inversion.fgsm(classifier, x, y, epsilon=0.0), x)


def test_fgsm_clips_to_the_pixel_range(classifier):
    x = np.ones((2, 28, 28, 1), np.float32)
    adv = inversion.fgsm(classifier, x, [0, 1], epsilon=0.3)
    assert adv.max() <= 1.0 and adv.min() >= 0.7 - 1e-6


def test_pgd_stays_in_the_ball_and_beats_fgsm(classifier):
    x = images(8, seed=4) * 0.5
    y = inversion.predict_labels(classifier, x)
    eps = 0.05
    adv = inversion.pgd(classifier, x, y, eps, steps=8, seed=0)
    assert np.abs(adv - x).max() <= eps + 1e-6 and adv.min() >= -1.0 and adv.max() <= 1.0
    clean, one_step = ce_loss(classifier, x, y), ce_loss(classifier, inversion.fgsm(classifier, x, y, eps), y)
    assert ce_loss(classifier, adv, y) > clean and ce_loss(classifier, adv, y) >= one_step - 1e-3
    assert np.mean(inversion.predict_labels(classifier, adv) == y) < 1.0  # some labels flip
    same = inversion.pgd(classifier, x, y, eps, steps=8, seed=0)
    np.testing.assert_array_equal(adv, same)  # seeded random start
    still = inversion.pgd(classifier, x, y, 0.0, steps=2, random_start=False)
    np.testing.assert_array_equal(still, x)


def test_attacks_reject_bad_input(classifier):
    x = images(2)
    for fn in (inversion.fgsm, inversion.pgd):
        with pytest.raises(ValueError, match=r"epsilon must be a finite number >= 0, got -0\.1"):
            fn(classifier, x, [0, 1], -0.1)
        with pytest.raises(ValueError, match=r"y must hold 2 non-negative integer labels, got shape \(3,\)"):
            fn(classifier, x, [0, 1, 2], 0.1)
        with pytest.raises(ValueError, match="x must lie in value_range"):
            fn(classifier, x * 3, [0, 1], 0.1)
        with pytest.raises(ValueError, match=r"x must have shape \(28, 28, 1\)"):
            fn(classifier, np.zeros((2, 5, 5)), [0, 1], 0.1)
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        inversion.pgd(classifier, x, [0, 1], 0.1, steps=0)
    with pytest.raises(ValueError, match="step_size must be a finite number > 0"):
        inversion.pgd(classifier, x, [0, 1], 0.1, step_size=0)


def test_linear_attack_is_exact_against_brute_force_over_the_box_corners():
    rng = np.random.default_rng(3)
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    x = rng.uniform(-1, 1, (60, 4))
    x[:, 0] = -1.0                                        # a "background" pixel: it can only move up
    y = np.argmax(x @ W + b, axis=1)                      # correctly classified to begin with
    eps = 0.3
    broken = inversion.linear_attack(W, b, x, y, eps)
    # the margin is linear, so its minimum over the box sits at a corner: try all 16
    corners = np.array(np.meshgrid(*[[0, 1]] * 4)).reshape(4, -1).T
    lo, hi = np.maximum(-1, x - eps), np.minimum(1, x + eps)
    brute = np.zeros(len(x), bool)
    for c in corners:
        xc = np.where(c == 1, hi, lo)
        brute |= np.argmax(xc @ W + b, axis=1) != y
    assert np.array_equal(broken, brute) and 0 < broken.sum() < len(x)   # a real mix: some broken, some not
    assert not inversion.linear_attack(W, b, x, y, 0.0).any()
    assert inversion.linear_attack(W, b, x, y, 2.0).sum() >= broken.sum()


def test_linear_attack_bounds_pgd_on_a_linear_keras_model():
    keras.utils.set_random_seed(0)
    model = models.build_linear_classifier(3)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 28, 28, 1)).astype("float32")
    W, b = (keras.ops.convert_to_numpy(w) for w in model.get_layer("logits").weights)
    y = np.argmax(x.reshape(40, -1) @ W + b, axis=1)
    eps = 0.005
    exact = inversion.linear_attack(W, b, x, y, eps)
    assert 0 < exact.sum() < len(x)                        # some images breakable, some not (7 of 40)
    adv = inversion.pgd(model, x, y, eps, steps=20, step_size=eps / 4)
    by_pgd = inversion.predict_labels(model, adv) != y
    assert not np.any(by_pgd & ~exact)                     # PGD never breaks what the exact bound says is safe
    assert by_pgd.sum() >= exact.sum() - 1                 # and on a linear model it finds (nearly) all the rest


def test_linear_attack_rejects_bad_shapes():
    W, b = np.zeros((4, 3)), np.zeros(3)
    with pytest.raises(ValueError, match="x has 5 pixels per image, the kernel 4"):
        inversion.linear_attack(W, b, np.zeros((2, 5)), [0, 1], 0.1)
    with pytest.raises(ValueError, match=r"kernel must be \(pixels, classes\) and bias \(classes,\)"):
        inversion.linear_attack(W, np.zeros(4), np.zeros((2, 4)), [0, 1], 0.1)
    with pytest.raises(ValueError, match="labels must be < 3"):
        inversion.linear_attack(W, b, np.zeros((2, 4)), [0, 3], 0.1)


def test_value_and_grad_is_the_input_gradient_with_aux():
    """d/dx sum(w * x**2) = 2 w x, with an aux value passed through, on the active backend."""
    w = np.array([[1.0, -2.0, 0.5]], np.float32)
    step = inversion.value_and_grad(lambda x: (keras.ops.sum(w * x ** 2), keras.ops.sum(x)))
    x = np.array([[1.0, 2.0, -3.0], [0.5, 0.0, 1.0]], np.float32)
    (value, aux), grad = step(x)
    assert float(value) == pytest.approx(float(np.sum(w * x ** 2)), rel=1e-6)
    assert float(aux) == pytest.approx(float(x.sum()), rel=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), 2 * w * x, rtol=1e-6)
    value, grad = inversion.value_and_grad(lambda x: keras.ops.sum(x ** 3))(x)   # a plain scalar
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), 3 * x ** 2, rtol=1e-6)
