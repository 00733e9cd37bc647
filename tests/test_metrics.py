import os
import warnings

import numpy as np
import pytest

from helpers import data, evaluation, models
from helpers.evaluation import judge as judge_module
from helpers.evaluation.judge import JudgeCacheError
from tests.support import real_mnist

TINY = dict(epochs=2, subset=1000, test_subset=500, batch_size=64)


# ----------------------------------------------------------------------------- Fréchet distance


def random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def test_frechet_identical_gaussians_is_zero():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=6), random_spd(rng, 6)
    assert evaluation.frechet_distance_from_stats(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)
    feats = rng.normal(size=(300, 6))
    assert evaluation.frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-8)


def test_frechet_shifted_features_is_squared_mean_shift():
    rng = np.random.default_rng(1)
    feats = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    delta = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    expected = float(delta @ delta)  # equal covariances: only the means differ
    assert evaluation.frechet_distance(feats, feats + delta) == pytest.approx(expected, rel=1e-9)
    sigma = random_spd(rng, 5)
    assert evaluation.frechet_distance_from_stats(np.zeros(5), sigma, delta, sigma) == pytest.approx(expected, rel=1e-9)


def test_frechet_is_symmetric_and_matches_diagonal_closed_form():
    rng = np.random.default_rng(2)
    mu_a, mu_b = rng.normal(size=4), rng.normal(size=4)
    var_a, var_b = rng.uniform(0.1, 3.0, 4), rng.uniform(0.1, 3.0, 4)
    closed = float(np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2))
    fd = evaluation.frechet_distance_from_stats(mu_a, np.diag(var_a), mu_b, np.diag(var_b))
    assert fd == pytest.approx(closed, rel=1e-9)
    a, b = rng.normal(size=(100, 3)), 2.0 * rng.normal(size=(80, 3)) + 1.0
    assert evaluation.frechet_distance(a, b) == pytest.approx(evaluation.frechet_distance(b, a), rel=1e-9)
    assert evaluation.frechet_distance(a, b) > 1.0


def test_frechet_of_rank_deficient_covariances_does_not_go_negative_or_nan():
    rng = np.random.default_rng(3)
    feats = np.zeros((50, 8))
    feats[:, :2] = rng.normal(size=(50, 2))  # six dead units, as ReLU features often have
    value = evaluation.frechet_distance(feats, feats)
    assert np.isfinite(value) and 0.0 <= value < 1e-8


def test_gaussian_stats():
    feats = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
    mu, sigma = evaluation.gaussian_stats(feats)
    np.testing.assert_allclose(mu, [2.0, 4.0])
    np.testing.assert_allclose(sigma, np.cov(feats.T))


@pytest.mark.parametrize("a,b,match", [
    (np.zeros((1, 3)), np.zeros((5, 3)), r"feats_a must be a 2-D array .*got shape \(1, 3\)"),
    (np.zeros((5, 3)), np.zeros(5), r"feats_b must be a 2-D array .*got shape \(5,\)"),
    (np.zeros((5, 3)), np.zeros((5, 4)), r"same number of features, got 3 and 4"),
    (np.full((5, 3), np.nan), np.zeros((5, 3)), r"feats_a must be finite"),
])
def test_frechet_bad_inputs(a, b, match):
    with pytest.raises(ValueError, match=match):
        evaluation.frechet_distance(a, b)


def test_frechet_from_stats_bad_shapes():
    with pytest.raises(ValueError, match=r"sigma_b must have shape \(3, 3\)"):
        evaluation.frechet_distance_from_stats(np.zeros(3), np.eye(3), np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match=r"mu_a must be a vector"):
        evaluation.frechet_distance_from_stats(np.zeros((3, 1)), np.eye(3), np.zeros(3), np.eye(3))


# ----------------------------------------------------------------------------- IS and coverage


def test_inception_score_and_coverage_extremes():
    confident_uniform = np.eye(10)[np.arange(100) % 10]  # each image sure of its class, all classes equally
    assert evaluation.inception_score(confident_uniform) == pytest.approx(10.0)
    assert evaluation.class_coverage(confident_uniform) == pytest.approx(10.0)
    one_class = np.eye(10)[np.full(50, 3)]  # mode collapse: every image a confident 3
    assert evaluation.inception_score(one_class) == pytest.approx(1.0)
    assert evaluation.class_coverage(one_class) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    same = np.tile(rng.dirichlet(np.ones(10)), (40, 1))  # identical predictions: IS 1 whatever they are
    assert evaluation.inception_score(same) == pytest.approx(1.0)
    unsure = np.full((30, 10), 0.1)  # every image maximally unsure: full coverage, IS 1
    assert evaluation.inception_score(unsure) == pytest.approx(1.0)
    assert evaluation.class_coverage(unsure) == pytest.approx(10.0)


def test_inception_score_and_coverage_intermediate_values():
    two_classes = np.eye(10)[np.arange(40) % 2]
    assert evaluation.inception_score(two_classes) == pytest.approx(2.0)
    assert evaluation.class_coverage(two_classes) == pytest.approx(2.0)
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.full(10, 0.3), size=200)
    m = p.mean(axis=0)
    kl = np.sum(p * (np.log(p) - np.log(m)), axis=1).mean()
    assert evaluation.inception_score(p) == pytest.approx(np.exp(kl), rel=1e-9)
    assert 1.0 < evaluation.inception_score(p) < evaluation.class_coverage(p) <= 10.0


@pytest.mark.parametrize("fn", [evaluation.inception_score, evaluation.class_coverage])
@pytest.mark.parametrize("probs,match", [
    (np.full(10, 0.1), r"probs must be a 2-D array .*got shape \(10,\)"),
    (np.full((3, 10), 0.2), r"each row of probs must sum to 1 .*from 2 to 2"),
    (np.array([[1.5, -0.5]]), r"finite and non-negative"),
])
def test_scores_bad_inputs(fn, probs, match):
    with pytest.raises(ValueError, match=match):
        fn(probs)


# ----------------------------------------------------------------------------- image validation


def test_as_judge_images_accepts_uint8_and_floats():
    u8 = np.array([[[0, 255] * 14] * 28], dtype=np.uint8)  # 1×28×28
    x = evaluation.as_judge_images(u8)
    assert x.shape == (1, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    f = np.linspace(-1, 1, 2 * 784, dtype=np.float64).reshape(2, 28, 28, 1)
    np.testing.assert_allclose(evaluation.as_judge_images(f), f.astype(np.float32))


@pytest.mark.parametrize("images,match", [
    (np.zeros((2, 28, 27), np.float32), r"N×28×28 or N×28×28×1 .*got shape \(2, 28, 27\)"),
    (np.zeros((28, 28), np.float32), r"got shape \(28, 28\)"),
    (np.zeros((2, 28, 28, 3), np.float32), r"got shape \(2, 28, 28, 3\)"),
    (np.zeros((0, 28, 28), np.float32), r"got shape \(0, 28, 28\)"),
    (np.full((2, 28, 28), 255.0, np.float32), r"float images in \[-1, 1\].*from 255 to 255"),
    (np.full((2, 28, 28), -2.0), r"from -2 to -2"),
    (np.zeros((2, 28, 28), np.int64), r"uint8 images in 0..255 .*got dtype int64"),
    (np.full((2, 28, 28), np.nan, np.float32), r"NaN or inf"),
])
def test_as_judge_images_rejects_bad_images(images, match):
    with pytest.raises(ValueError, match=match):
        evaluation.as_judge_images(images)


def test_as_judge_images_warns_on_zero_one_scale():
    with pytest.warns(UserWarning, match=r"look scaled to \[0, 1\].*expects \[-1, 1\]"):
        evaluation.as_judge_images(np.random.default_rng(0).uniform(0, 1, (4, 28, 28)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluation.as_judge_images(np.random.default_rng(0).uniform(-1, 1, (4, 28, 28)).astype(np.float32))


# ----------------------------------------------------------------------------- configuration


def test_config_key_changes_with_every_field():
    base = evaluation.JudgeConfig()
    assert base.key() == f"judge-v{evaluation.ARCH_VERSION}-seed0-ep2-nall-tall-bs128"
    keys = {base.key()} | {
        evaluation.JudgeConfig(**{k: v}).key()
        for k, v in dict(seed=1, epochs=3, subset=500, test_subset=100, batch_size=64, version=99).items()
    }
    assert len(keys) == 7


@pytest.mark.parametrize("kwargs,match", [
    ({"epochs": 0}, r"epochs must be an integer from 1 or more, got 0"),
    ({"seed": -1}, r"seed must be an integer from 0 or more, got -1"),
    ({"subset": 60_001}, r"subset must be an integer from 1 to 60000 \(or None for all\), got 60001"),
    ({"test_subset": 1}, r"test_subset must be an integer from 2 to 10000"),
    ({"batch_size": 2.5}, r"batch_size must be an integer from 1 or more, got 2.5"),
])
def test_config_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluation.JudgeConfig(**kwargs)


def test_build_judge_model_shapes():
    model = models.build_judge_model()
    feats, probs = model(np.zeros((3, 28, 28, 1), np.float32))
    assert tuple(feats.shape) == (3, models.FEATURE_DIM) and tuple(probs.shape) == (3, 10)
    np.testing.assert_allclose(np.asarray(probs).sum(axis=1), 1.0, rtol=1e-5)


# ----------------------------------------------------------------------------- a tiny real judge


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A judge trained in seconds on 1000 real digits, cached in a temporary data folder."""
    mnist = real_mnist()
    folder = tmp_path_factory.mktemp("data")
    mp = pytest.MonkeyPatch()
    mp.setenv("HELPERS_DATA_DIR", str(folder))
    try:
        judge = evaluation.load_judge(data_path=mnist, **TINY)
    finally:
        mp.undo()
    return judge, folder, mnist


def test_tiny_judge_is_cached_and_reloaded_without_training(tiny, monkeypatch):
    judge, folder, mnist = tiny
    assert judge.path == folder / "judge" / f"{evaluation.JudgeConfig(**TINY).key()}.npz"
    assert judge.path.is_file() and judge.path.with_name(judge.path.stem + "-ref-test.npz").is_file()
    assert not list((folder / "judge").glob("*.part"))  # the atomic write left no temporary file
    umask = os.umask(0)
    os.umask(umask)
    assert judge.path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert judge.test_accuracy > 0.7  # 1000 digits, 2 epochs: well above chance (0.1)

    def no_training(*args, **kwargs):
        raise AssertionError("the cached judge should have been loaded, not retrained")

    monkeypatch.setenv("HELPERS_DATA_DIR", str(folder))
    monkeypatch.setattr(judge_module, "train_judge_model", no_training)
    again = evaluation.load_judge(data_path=mnist, train_if_missing=False, **TINY)
    assert again.test_accuracy == judge.test_accuracy
    (x, _), _ = data.load_mnist(mnist, scale="-1-1", subset=1100)
    np.testing.assert_allclose(again.predict(x[1000:]), judge.predict(x[1000:]), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(again.reference_stats()[0], judge.reference_stats()[0])
    # a different configuration is a different key: it would train, which is forbidden here
    with pytest.raises(AssertionError, match="should have been loaded"):
        evaluation.load_judge(data_path=mnist, **{**TINY, "epochs": 1})


def test_missing_judge_without_training_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPERS_DATA_DIR", str(tmp_path))
    with pytest.raises(JudgeCacheError, match=r"no trained judge at .*judge-v\d+-seed0.*train_if_missing=False"):
        evaluation.load_judge(train_if_missing=False, **TINY)
    assert evaluation.judge_dir() == tmp_path / "judge"


def test_truncated_cache_raises_naming_the_file(tiny, tmp_path, monkeypatch):
    judge, _, mnist = tiny
    monkeypatch.setenv("HELPERS_DATA_DIR", str(tmp_path))
    bad = tmp_path / "judge" / judge.path.name
    bad.parent.mkdir()
    bad.write_bytes(judge.path.read_bytes()[: judge.path.stat().st_size // 2])
    with pytest.raises(JudgeCacheError, match=rf"{bad.name} is unreadable.*Delete .*{bad.name}"):
        evaluation.load_judge(data_path=mnist, **TINY)
    # the reference statistics are checked the same way
    (tmp_path / "judge" / bad.name).write_bytes(judge.path.read_bytes())
    ref = bad.with_name(bad.stem + "-ref-test.npz")
    ref.write_bytes(b"not an npz")
    reloaded = evaluation.load_judge(data_path=mnist, **TINY)
    with pytest.raises(JudgeCacheError, match=rf"{ref.name} is unreadable"):
        reloaded.evaluate(np.zeros((4, 28, 28), np.float32) - 1.0)


def test_a_cache_whose_weights_were_changed_fails_its_checksum(tiny, tmp_path, monkeypatch):
    judge, _, mnist = tiny
    monkeypatch.setenv("HELPERS_DATA_DIR", str(tmp_path))
    with np.load(judge.path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    assert str(arrays["sha256"]) == judge_module.weights_digest(judge.model.get_weights())
    arrays["w0"] = arrays["w0"].copy()
    arrays["w0"][0, 0, 0, 0] += 1.0  # same shapes, one weight different: loads, but is not the judge that was trained
    bad = tmp_path / "judge" / judge.path.name
    bad.parent.mkdir()
    np.savez(bad, **arrays)
    with pytest.raises(JudgeCacheError, match=rf"{bad.name} does not match its checksum.*Delete"):
        evaluation.load_judge(data_path=mnist, train_if_missing=False, **TINY)


def test_features_predict_and_evaluate_rank_real_digits_above_noise(tiny):
    judge, _, mnist = tiny
    (x, _y), _ = data.load_mnist(mnist, scale="-1-1", subset=1600)
    real = x[1000:]  # digits the judge never trained on
    assert judge.features(real).shape == (600, models.FEATURE_DIM)
    with pytest.raises(ValueError, match=r"from 0 to 255"):
        judge.predict((real[:50] + 1) * 127.5)  # floats in 0..255 are not accepted ...
    probs = judge.predict(real[:50])
    assert probs.shape == (50, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    u8 = np.round((real[:50] + 1) * 127.5).astype(np.uint8)  # ... but uint8 is, and means the same
    np.testing.assert_allclose(judge.predict(u8), judge.predict(real[:50]), atol=1e-3)
    noise = np.random.default_rng(0).uniform(-1, 1, real.shape).astype(np.float32)
    good, bad = judge.evaluate(real), judge.evaluate(noise)
    assert good.fid < bad.fid / 3
    assert good.confidence > bad.confidence
    surest = real[np.argmax(judge.predict(real).max(axis=1))]  # mode collapse onto the judge's surest digit
    collapsed = judge.evaluate(np.repeat(surest[None], 200, axis=0))
    assert collapsed.coverage < 0.5 * good.coverage and good.coverage > 5.0
    assert collapsed.inception_score == pytest.approx(1.0) and good.inception_score > 2.0
    assert max(collapsed.class_counts) == 200
    assert sum(good.class_counts) == good.n == 600 and len(good.class_counts) == 10
    assert set(good.as_dict()) == {"fid", "inception_score", "coverage", "confidence", "n", "class_counts"}
    assert str(good).startswith("FID ")
    # an explicit image reference: the same images score ~0
    assert judge.evaluate(real[:300], reference=real[:300]).fid == pytest.approx(0.0, abs=1e-6)


def test_evaluate_bad_reference_and_too_few_images(tiny):
    judge = tiny[0]
    with pytest.raises(ValueError, match=r"reference must be 'test' or an array of images, got 'train'"):
        judge.evaluate(np.full((4, 28, 28), -1.0, np.float32), reference="train")
    with pytest.raises(ValueError, match=r"at least 2 images .*got 1"):
        judge.evaluate(np.full((1, 28, 28), -1.0, np.float32))
    with pytest.raises(ValueError, match=r"got shape \(2, 784\)"):
        judge.features(np.zeros((2, 784), np.float32))


def test_interrupted_cache_write_leaves_no_file(tmp_path, monkeypatch):
    def crash(out, **arrays):
        out.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt("interrupted while saving")

    monkeypatch.setattr(judge_module.np, "savez", crash)
    target = tmp_path / "judge" / "x.npz"
    with pytest.raises(KeyboardInterrupt):
        judge_module._atomic_savez(target, a=np.zeros(3))
    assert list((tmp_path / "judge").iterdir()) == []
