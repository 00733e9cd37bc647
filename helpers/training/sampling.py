"""Images from a generator: draw with seeded noise, run on given latent vectors, map ``[-1, 1]`` to uint8."""

from __future__ import annotations

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import non_negative_int, positive_int

GRID_SIZE = 64  # an 8×8 sample grid


def to_uint8(images) -> np.ndarray:
    """Map images in ``[-1, 1]`` to uint8 ``[0, 255]`` of shape ``(n, 28, 28)`` (a trailing channel is dropped)."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)



def latent_dim_of(generator: keras.Model) -> int:
    """The length of the generator's latent vector (its input's last dimension)."""
    return int(generator.inputs[0].shape[-1])



def sample(generator: keras.Model, n: int = GRID_SIZE, seed: int = 0, batch_size: int = 1024) -> np.ndarray:
    """Draw ``n`` images from ``generator`` with normal noise seeded by ``seed``; uint8 ``(n, 28, 28)``."""
    n = positive_int("n", n)
    batch_size = positive_int("batch_size", batch_size)
    seed = non_negative_int("seed", seed)
    z = np.random.default_rng(seed).standard_normal((n, latent_dim_of(generator))).astype(np.float32)
    return generate(generator, z, batch_size)



def generate(generator: keras.Model, z, batch_size: int = 1024) -> np.ndarray:
    """Run ``generator`` (inference mode) on the latent vectors ``z``; uint8 ``(len(z), 28, 28)``."""
    z = np.asarray(z, dtype=np.float32)
    d = latent_dim_of(generator)
    if z.ndim != 2 or z.shape[1] != d or len(z) < 1:
        raise ValueError(f"z must have shape (n, {d}) with n >= 1 (the generator's latent length), got {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"z must be finite, got {int(np.sum(~np.isfinite(z)))} NaN or inf values")
    batch_size = positive_int("batch_size", batch_size)
    out = [keras.ops.convert_to_numpy(generator(z[i:i + batch_size], training=False))
           for i in range(0, len(z), batch_size)]
    return to_uint8(np.concatenate(out))
