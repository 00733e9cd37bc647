"""Data-parallel training on two devices, on two logical CPUs: the JAX backend with Keras' distribution API,
and the TensorFlow backend with ``tf.distribute.MirroredStrategy``.

Both engines must be told how many host devices to make before they start, so each check runs in a
fresh interpreter: ``KERAS_BACKEND=jax`` with ``XLA_FLAGS=--xla_force_host_platform_device_count=2``,
and TensorFlow with two logical devices configured on its one CPU.
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
import numpy as np, jax, keras
from helpers import models
from helpers.training import GANTrainer

def train(parallel, arch):
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=jax.devices()) if parallel else None)
    keras.utils.set_random_seed(0)
    trainer = GANTrainer(*models.build_gan(arch, latent_dim=16), ema=0.9)
    x = np.random.default_rng(0).uniform(-1, 1, (4 * 16, 28, 28, 1)).astype("float32")
    losses = [trainer.train_step(x[i * 16:(i + 1) * 16]) for i in range(4)]   # global batch 16, 4 steps
    weights = [np.asarray(w.value) for w in trainer.generator.weights + trainer.discriminator.weights]
    devices = {len(w.value.sharding.device_set) for w in trainer.generator.weights}
    return losses, weights, devices

out = {"devices": len(jax.devices()), "backend": keras.backend.backend()}
for arch in ("mlp", "dcgan"):
    (single, w1, d1), (double, w2, d2) = train(False, arch), train(True, arch)
    out[arch] = {
        "loss_diff": max(abs(a[k] - b[k]) for a, b in zip(single, double) for k in a),
        "weight_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(w1, w2)),
        "losses_finite": all(np.isfinite(v) for step in double for v in step.values()),
        "devices_single": sorted(d1), "devices_parallel": sorted(d2),
        "first_losses": double[0],
    }
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
trainer = GANTrainer(*models.build_gan("mlp", latent_dim=16))
try:
    trainer.train_step(np.zeros((7, 28, 28, 1), "float32"))
    out["odd_batch"] = "no error"
except ValueError as exc:
    out["odd_batch"] = str(exc)
try:
    trainer.fit(np.zeros((37, 28, 28), "float32"), 1, batch_size=9, verbose=False)
    out["odd_batch_size"] = "no error"
except ValueError as exc:
    out["odd_batch_size"] = str(exc)
result = trainer.fit(np.zeros((37, 28, 28), "float32"), 1, batch_size=8, verbose=False)
out["steps_37_by_8"] = result.steps
print("RESULT " + json.dumps(out))
"""


def _need_jax():
    if importlib.util.find_spec("jax") is None:
        reason = "JAX is not installed (pip install -r requirements-dev.txt)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the two-device test cannot run under CI=true: {reason}", pytrace=False)
        pytest.skip(reason)


def test_data_parallel_on_two_devices_matches_one_device():
    _need_jax()
    env = dict(os.environ, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2",
               TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"the two-device run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["backend"] == "jax" and out["devices"] == 2
    for arch in ("mlp", "dcgan"):
        r = out[arch]
        assert r["devices_single"] == [1] and r["devices_parallel"] == [2], (arch, r)   # weights replicated on both
        assert r["losses_finite"]
        # same global batch, same seeds: the same numbers up to float32 rounding (summation order differs)
        assert r["loss_diff"] < 1e-4, (arch, r)
        assert r["weight_diff"] < 1e-4, (arch, r)
    # a batch that does not split evenly is refused by name; fit drops the last, partial batch instead
    assert out["odd_batch"].startswith("a batch of 7 images cannot be split evenly over 2 devices"), out["odd_batch"]
    assert "batch_size must be divisible by the 2 devices" in out["odd_batch_size"], out["odd_batch_size"]
    assert out["steps_37_by_8"] == 4


TF_SCRIPT = r"""
import contextlib, json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np, keras
from helpers import models
from helpers.models import build_autoencoder
from helpers.training import AutoencoderTrainer, GANTrainer
from helpers.training.engine import replicated

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
out = {"backend": keras.backend.backend(), "replicas": strategy.num_replicas_in_sync}

# each replica gets its own half of the batch (not the whole batch twice)
x = tf.reshape(tf.range(16, dtype=tf.float32), (16, 1))
seen = tf.function(lambda x: replicated(strategy, lambda part: {"size": tf.cast(tf.shape(part)[0], tf.float32),
                                                                  "first": part[0, 0]}, (x,)))(x)
out["slice"] = {k: float(v) for k, v in seen.items()}

def build(arch):
    keras.utils.set_random_seed(0)
    if arch == "dcgan":   # without Dropout: its masks are drawn per replica, so they cannot match one device's
        return models.build_dcgan_generator(16), models.build_dcgan_discriminator(dropout=0.0)
    return models.build_gan(arch, latent_dim=16)

def train(arch, update, parallel, sgd):
    with strategy.scope() if parallel else contextlib.nullcontext():
        G, D = build(arch)
        # plain SGD shows a wrongly scaled gradient (Adam would hide a constant factor)
        opts = {"g_optimizer": keras.optimizers.SGD(0.05), "d_optimizer": keras.optimizers.SGD(0.05)} if sgd else {}
    trainer = GANTrainer(G, D, ema=0.9, update=update, strategy=strategy if parallel else None, **opts)
    x = np.random.default_rng(0).uniform(-1, 1, (4 * 16, 28, 28, 1)).astype("float32")
    # global batch 16, 4 steps; the second moves D alone (as with n_d > 1)
    losses = [trainer.train_step(x[i * 16:(i + 1) * 16], update_generator=i != 1) for i in range(4)]
    models_ = (trainer.generator, trainer.discriminator, trainer.ema_generator)
    weights = [keras.ops.convert_to_numpy(w) for m in models_ for w in m.weights]   # BatchNorm statistics included
    return losses, weights

for arch, update, sgd in (("mlp", "simultaneous", True), ("mlp", "alternating", False),
                          ("dcgan", "simultaneous", False)):
    (single, w1), (double, w2) = train(arch, update, False, sgd), train(arch, update, True, sgd)
    out[f"{arch}-{update}"] = {
        "loss_diff": max(abs(a[k] - b[k]) for a, b in zip(single, double) for k in a),
        "weight_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(w1, w2)),
        "steps": len(double), "first_losses": double[0],
    }

def train_vae(parallel):   # a denoising VAE: both of its random draws are made once for the global batch
    with strategy.scope() if parallel else contextlib.nullcontext():
        keras.utils.set_random_seed(0)
        encoder, decoder = build_autoencoder("dense", latent_dim=8, variational=True)
    trainer = AutoencoderTrainer(encoder, decoder, noise_std=0.1, strategy=strategy if parallel else None)
    x = np.random.default_rng(1).uniform(0, 1, (4 * 16, 28, 28, 1)).astype("float32")
    losses = [trainer.train_step(x[i * 16:(i + 1) * 16]) for i in range(4)]
    return losses, [keras.ops.convert_to_numpy(w) for w in encoder.weights + decoder.weights]

(single, w1), (double, w2) = train_vae(False), train_vae(True)
out["vae"] = {"loss_diff": max(abs(a[k] - b[k]) for a, b in zip(single, double) for k in a),
              "weight_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(w1, w2)),
              "steps": len(double), "first_losses": double[0]}

G, D = models.build_gan("mlp", latent_dim=16)   # outside the scope
try:
    GANTrainer(G, D, strategy=strategy)
    out["outside_scope"] = "no error"
except ValueError as exc:
    out["outside_scope"] = str(exc)
with strategy.scope():
    trainer = GANTrainer(*models.build_gan("mlp", latent_dim=16), strategy=strategy)
for name, call in (("odd_batch", lambda: trainer.train_step(np.zeros((7, 28, 28, 1), "float32"))),
                   ("odd_batch_size",
                    lambda: trainer.fit(np.zeros((37, 28, 28), "float32"), 1, batch_size=9, verbose=False))):
    try:
        call()
        out[name] = "no error"
    except ValueError as exc:
        out[name] = str(exc)
out["steps_37_by_8"] = trainer.fit(np.zeros((37, 28, 28), "float32"), 1, batch_size=8, verbose=False).steps
print("RESULT " + json.dumps(out))
"""


def test_mirrored_strategy_on_two_devices_matches_one_device():
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", TF_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"the two-replica run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["backend"] == "tensorflow" and out["replicas"] == 2
    # rows 0..7 on one replica, 8..15 on the other: mean size 8, mean first row (0 + 8) / 2
    assert out["slice"] == {"size": 8.0, "first": 4.0}, out["slice"]
    for run in ("mlp-simultaneous", "mlp-alternating", "dcgan-simultaneous", "vae"):
        r = out[run]
        assert r["steps"] == 4 and all(math.isfinite(v) for v in r["first_losses"].values()), (run, r)
        # same global batch, noise and (synchronized) BatchNorm statistics: equal up to float32 rounding
        assert r["loss_diff"] < 1e-4, (run, r)
        assert r["weight_diff"] < 1e-4, (run, r)
    assert "was built outside the strategy's scope" in out["outside_scope"], out["outside_scope"]
    assert out["odd_batch"].startswith("a batch of 7 images cannot be split evenly over 2 devices"), out["odd_batch"]
    assert "batch_size must be divisible by the 2 devices" in out["odd_batch_size"], out["odd_batch_size"]
    assert out["steps_37_by_8"] == 4
