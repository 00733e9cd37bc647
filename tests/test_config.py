import random

import numpy as np
import pytest

from helpers import config


def test_profile_reads_environment(monkeypatch):
    monkeypatch.setenv(config.PROFILE_ENV, "full")
    assert config.profile().name == "full"
    monkeypatch.setenv(config.PROFILE_ENV, " FAST ")
    assert config.profile().name == "fast"


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv(config.PROFILE_ENV, raising=False)
    assert config.profile().name == "full"


def test_fast_profile_is_smaller_than_full():
    fast, full = config.profile("fast"), config.profile("full")
    assert fast.mnist_train < 60_000 and full.mnist_train is None
    assert fast.steps < full.steps and fast.epochs < full.epochs and fast.grid < full.grid


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(config.PROFILE_ENV, "turbo")
    with pytest.raises(ValueError, match=r"HELPERS_PROFILE must be one of fast, full, got 'turbo'"):
        config.profile()


def test_custom_profile_changes_sizes_and_rejects_unknown_fields():
    p = config.custom_profile("fast", steps=7)
    assert p.steps == 7 and p.name == "fast" and p.grid == config.profile("fast").grid
    with pytest.raises(ValueError, match="unknown profile fields"):
        config.custom_profile("fast", stepz=7)


def test_describe_names_profile_and_sizes():
    text = config.profile("fast").describe()
    assert text.startswith("profile 'fast'") and "steps=200" in text


def test_seed_everything_makes_python_numpy_and_keras_repeatable():
    import keras

    def draw():  # np.random.rand on purpose: the legacy global state that seed_everything seeds is under test
        return random.random(), np.random.rand(), float(keras.random.uniform((1,))[0])  # noqa: NPY002

    config.seed_everything(3)
    first = draw()
    config.seed_everything(3)
    assert draw() == first
    config.seed_everything(4)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        config.seed_everything(bad)


def test_setup_prints_versions_device_and_profile(capsys, monkeypatch):
    monkeypatch.setenv(config.PROFILE_ENV, "fast")
    prof = config.setup(seed=1)
    out = capsys.readouterr().out
    assert prof.name == "fast"
    assert "Keras" in out and "NumPy" in out and "device: CPU" in out and "profile 'fast'" in out


def test_device_summary_on_this_machine_is_cpu():
    assert config.device_summary() == "CPU"


def test_importing_the_keras_modules_prints_nothing_on_stderr():
    """A setup cell's ``from helpers import models, training, …`` and the first use of what they export (which
    imports Keras) must not store TensorFlow's start-up lines."""
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = ("from helpers import evaluation, models, training; from helpers.training import inversion; "
            "models.build_gan, models.build_autoencoder, training.GANTrainer, training.AutoencoderTrainer, "
            "evaluation.JudgeEvery; import keras; print('imported')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert r.returncode == 0 and r.stdout.strip() == "imported", r.stderr[-2000:]
    assert r.stderr == "", f"stderr while importing: {r.stderr[:500]}"
