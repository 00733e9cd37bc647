import keras
import matplotlib
import numpy as np
import pytest

from helpers import evaluation, models, training
from helpers.evaluation.gan_eval import JudgeEvery, confident_latents, interpolate, lerp, slerp
from helpers.models.gan import collapse_generator
from helpers.viz import gan_eval as gan_plots

LATENT = 6


def tiny_generator(latent_dim: int = LATENT) -> keras.Model:
    keras.utils.set_random_seed(0)
    z = keras.Input(shape=(latent_dim,))
    x = keras.layers.Dense(784, activation="tanh")(z)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(x), name="tiny_generator")


def tiny_discriminator() -> keras.Model:
    img = keras.Input(shape=(28, 28, 1))
    return keras.Model(img, keras.layers.Dense(1)(keras.layers.Flatten()(img)), name="tiny_discriminator")


class FakeJudge:
    """A stand-in judge: class = which horizontal band of the image is brightest (0..9 over rows)."""

    def predict(self, images):
        x = evaluation.as_judge_images(images)[..., 0]
        bands = x[:, :20, :].reshape(len(x), 10, 2 * 28).mean(axis=2)
        e = np.exp(8.0 * (bands - bands.max(axis=1, keepdims=True)))
        return e / e.sum(axis=1, keepdims=True)

    def evaluate(self, images, reference="test"):
        probs = self.predict(images)
        feats = evaluation.as_judge_images(images).reshape(len(probs), -1)[:, ::49].astype(np.float64)
        ref = np.asarray(reference, dtype=np.float32).reshape(len(reference), -1)[:, ::49]
        return evaluation.JudgeReport(
            fid=evaluation.frechet_distance(feats, ref), inception_score=evaluation.inception_score(probs),
            coverage=evaluation.class_coverage(probs), confidence=float(probs.max(axis=1).mean()), n=len(probs),
            class_counts=tuple(int(c) for c in np.bincount(probs.argmax(axis=1), minlength=10)))


REFERENCE = np.random.default_rng(1).uniform(-1, 1, (50, 28, 28)).astype(np.float32)


# ----------------------------------------------------------------------------- lerp / slerp


def test_lerp_is_the_straight_line():
    z0, z1 = np.array([1.0, 0.0, 2.0]), np.array([3.0, 4.0, -2.0])
    assert np.allclose(lerp(z0, z1, 0.0), z0) and np.allclose(lerp(z0, z1, 1.0), z1)
    assert np.allclose(lerp(z0, z1, 0.25), [1.5, 1.0, 1.0])
    path = lerp(z0, z1, [0.0, 0.5, 1.0])
    assert path.shape == (3, 3) and np.allclose(path[1], [2.0, 2.0, 0.0])


def test_slerp_keeps_the_norm_and_moves_at_constant_angle():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal(50), rng.standard_normal(50)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    ts = np.linspace(0, 1, 9)
    path = slerp(z0, z1, ts)
    assert np.allclose(path[0], z0) and np.allclose(path[-1], z1)
    assert np.allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-12)
    unit = path / np.linalg.norm(path, axis=1, keepdims=True)
    steps = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=1), -1, 1))
    assert np.allclose(steps, steps[0], rtol=1e-9) and steps[0] > 0
    # lerp's midpoint is shorter: by cos(Ω/2) for equal norms
    omega = np.arccos(z0 @ z1 / np.linalg.norm(z0) ** 2)
    assert np.linalg.norm(lerp(z0, z1, 0.5)) == pytest.approx(np.linalg.norm(z0) * np.cos(omega / 2), rel=1e-9)
    assert slerp(z0, z1, 0.5).shape == (50,)


def test_slerp_of_orthogonal_unit_vectors_and_parallel_fallback():
    mid = slerp([1.0, 0.0], [0.0, 1.0], 0.5)
    assert np.allclose(mid, [np.sqrt(0.5), np.sqrt(0.5)])
    assert np.allclose(slerp([1.0, 1.0], [2.0, 2.0], 0.5), [1.5, 1.5])  # parallel: the line


@pytest.mark.parametrize(
    "fn, args, match",
    [
        (lerp, ([1.0, 2.0], [1.0, 2.0, 3.0], 0.5), "same length"),
        (lerp, ([[1.0]], [[1.0]], 0.5), "1-D latent vectors"),
        (lerp, ([1.0, np.nan], [1.0, 2.0], 0.5), "finite"),
        (lerp, ([1.0, 2.0], [1.0, 2.0], [[0.5]]), "t must be"),
        (slerp, ([1.0, 2.0], [1.0, 2.0], np.inf), "t must be"),
        (slerp, ([0.0, 0.0], [1.0, 2.0], 0.5), "non-zero"),
    ],
)
def test_interpolation_bad_inputs(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


def test_interpolate_runs_the_generator_along_the_path():
    g = tiny_generator()
    z0, z1 = np.linspace(-2, 2, LATENT), np.linspace(2, -1, LATENT) ** 2
    for mode in ("lerp", "slerp"):
        imgs = interpolate(g, z0, z1, steps=5, mode=mode)
        assert imgs.shape == (5, 28, 28) and imgs.dtype == np.uint8
        assert np.array_equal(imgs[0], training.generate(g, z0[None])[0])
        assert np.array_equal(imgs[-1], training.generate(g, z1[None])[0])
    lin, sph = interpolate(g, z0, z1, 5, "lerp"), interpolate(g, z0, z1, 5, "slerp")
    assert not np.array_equal(lin[2], sph[2])  # different paths, different middles
    with pytest.raises(ValueError, match="mode must be one of lerp, slerp"):
        interpolate(g, z0, z1, 5, mode="cubic")
    with pytest.raises(ValueError, match="steps must be at least 2"):
        interpolate(g, z0, z1, 1)
    with pytest.raises(ValueError, match="latent length 6"):
        interpolate(g, np.ones(3), np.ones(3))


# ----------------------------------------------------------------------------- JudgeEvery


def test_judge_every_records_during_fit_and_before():
    g, d = tiny_generator(), tiny_discriminator()
    trainer = training.GANTrainer(g, d)
    cb = JudgeEvery(FakeJudge(), every=2, n=40, seed=3, reference=REFERENCE)
    first = cb.record(g, epoch=0)
    assert first.n == 40 and cb.history["epoch"] == [0]
    data = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28)).astype(np.float32)
    trainer.fit(data, 4, batch_size=32, callbacks=[cb], verbose=False)
    assert cb.history["epoch"] == [0, 2, 4] and cb.history["step"] == [0, 4, 8]
    assert set(cb.history) == set(evaluation.HISTORY_KEYS)
    assert all(len(v) == 3 for v in cb.history.values()) and len(cb.reports) == 3
    assert all(sum(c) == 40 for c in cb.history["class_counts"])
    assert cb.seconds > 0 and cb.history["fid"][0] != cb.history["fid"][-1]  # training changed the images
    # the same noise every time: judging the same generator twice gives the same figures
    again = cb.record(g, epoch=4)
    assert again.fid == pytest.approx(cb.history["fid"][2], rel=1e-6)


def test_judge_every_judges_the_moving_average_when_the_trainer_keeps_one():
    trainer = training.GANTrainer(tiny_generator(), tiny_discriminator(), ema=0.5)
    cb = JudgeEvery(FakeJudge(), n=40, seed=3, reference=REFERENCE)
    data = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28)).astype(np.float32)
    trainer.fit(data, 1, batch_size=32, callbacks=[cb], verbose=False)
    assert cb.history["fid"][-1] == pytest.approx(cb.record(trainer.ema_generator).fid, rel=1e-6)
    assert cb.history["fid"][-1] != pytest.approx(cb.record(trainer.generator).fid, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(judge=object()), "evaluate"),
        (dict(every=0), "every must be a positive integer"),
        (dict(n=1), "n must be at least 2"),
        (dict(n=2.5), "n must be a positive integer"),
        (dict(seed=-1), "seed must be a non-negative integer"),
    ],
)
def test_judge_every_bad_inputs(kwargs, match):
    args = {"judge": FakeJudge(), **kwargs}
    with pytest.raises(ValueError, match=match):
        JudgeEvery(**args)


# ----------------------------------------------------------------------------- mode collapse


def test_collapse_generator_makes_only_k_images_and_lowers_coverage():
    g = tiny_generator()
    judge = FakeJudge()
    anchors = np.random.default_rng(5).standard_normal((3, LATENT))
    cg = collapse_generator(g, anchors)
    imgs = training.sample(cg, 200, seed=1)
    distinct = {im.tobytes() for im in imgs}
    assert len(distinct) <= 3
    assert distinct <= {im.tobytes() for im in training.generate(g, anchors)}
    # each latent goes to its nearest anchor
    z = np.random.default_rng(1).standard_normal((200, LATENT)).astype(np.float32)
    nearest = np.argmin(((z[:, None, :] - anchors[None].astype(np.float32)) ** 2).sum(-1), axis=1)
    assert np.array_equal(imgs, training.generate(g, anchors.astype(np.float32)[nearest]))
    one = collapse_generator(g, anchors[0])  # a single vector is one anchor
    assert len({im.tobytes() for im in training.sample(one, 50)}) == 1
    free = judge.evaluate(training.sample(g, 200, seed=1), REFERENCE)
    collapsed = judge.evaluate(training.sample(one, 200, seed=1), REFERENCE)
    assert collapsed.coverage < free.coverage
    assert sum(c > 0 for c in collapsed.class_counts) == 1


def test_collapse_generator_bad_anchors():
    g = tiny_generator()
    with pytest.raises(ValueError, match=r"anchors must have shape \(k, 6\)"):
        collapse_generator(g, np.ones((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        collapse_generator(g, np.full((1, LATENT), np.nan))


def test_confident_latents_picks_the_surest_images():
    g = tiny_generator()
    judge = FakeJudge()
    z = confident_latents(g, judge, k=4, n=64, seed=2)
    assert z.shape == (4, LATENT)
    all_z = np.random.default_rng(2).standard_normal((64, LATENT)).astype(np.float32)
    conf = judge.predict(training.generate(g, all_z)).max(axis=1)
    picked = judge.predict(training.generate(g, z)).max(axis=1)
    assert np.allclose(np.sort(picked)[::-1], np.sort(conf)[::-1][:4])
    per_digit = confident_latents(g, judge, n=64, seed=2, digits=[0, 9])
    probs = judge.predict(training.generate(g, all_z))
    assert np.array_equal(per_digit, all_z[[probs[:, 0].argmax(), probs[:, 9].argmax()]])


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(k=0), "k must be a positive integer"), (dict(k=9, n=8), "k must be at most n=8"),
     (dict(seed=-2), "seed must be"), (dict(digits=[10]), r"digits must be a non-empty list of classes 0..9"),
     (dict(digits=[]), "digits must be a non-empty")],
)
def test_confident_latents_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        confident_latents(tiny_generator(), FakeJudge(), **{"n": 8, **kwargs})


# ----------------------------------------------------------------------------- pictures


def test_plot_judge_history_and_class_counts():
    history = {"epoch": [0, 1, 2], "fid": [100.0, 30.0, 10.0], "inception_score": [1.2, 5.0, 8.0],
               "coverage": [3.0, 8.0, 9.5]}
    fig = gan_plots.plot_judge_history(history, title="run")
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 3
    assert fig.axes[0].get_yscale() == "log"
    assert np.allclose(fig.axes[2].lines[0].get_ydata(), [3.0, 8.0, 9.5])
    narrow = gan_plots.plot_judge_history({**history, "fid": [181.7, 177.0, 176.0]})  # a short run: linear axis
    assert narrow.axes[0].get_yscale() == "linear"
    assert np.allclose(narrow.axes[0].lines[0].get_ydata(), [181.7, 177.0, 176.0])
    fig = gan_plots.plot_class_counts({"real": [10] * 10, "collapsed": [0, 0, 30] + [0] * 7})
    bars = fig.axes[0].patches
    assert len(bars) == 20 and bars[12].get_height() == pytest.approx(1.0)  # all of "collapsed" is digit 2
    matplotlib.pyplot.close("all")


def test_plot_bad_inputs():
    with pytest.raises(ValueError, match="missing"):
        gan_plots.plot_judge_history({"epoch": [1]})
    with pytest.raises(ValueError, match="empty"):
        gan_plots.plot_judge_history({"epoch": [], "fid": [], "inception_score": [], "coverage": []})
    with pytest.raises(ValueError, match="empty mapping"):
        gan_plots.plot_class_counts({})
    with pytest.raises(ValueError, match="positive total"):
        gan_plots.plot_class_counts({"a": [0] * 10})
    with pytest.raises(ValueError, match="same number of classes"):
        gan_plots.plot_class_counts({"a": [1] * 10, "b": [1] * 5})


def test_works_with_the_real_dcgan_shapes():
    g = models.build_dcgan_generator(latent_dim=4)
    imgs = interpolate(g, np.ones(4), -np.ones(4), steps=3)
    assert imgs.shape == (3, 28, 28)
