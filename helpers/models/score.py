"""Score and noise-prediction networks (notebook 10).

* :func:`build_toy_score_model`: an MLP ``s(x, σ)`` for points in the plane, noise-conditional as in Song &
  Ermon (2019): the network sees ``x`` and ``log σ`` and its output is divided by σ, so that it starts at the
  right scale for every noise level (the score of N(x₀, σ²I) is −(x − x₀)/σ²).
* :func:`build_unet`: a small U-Net ``ε̂(xₜ, t)`` for 28×28 images (Ho et al. 2020, shrunk for a CPU): two
  resolutions down (28 → 14 → 7) and back up with skip connections, one residual block per resolution, the time
  ``t/T`` fed through :class:`SinusoidalEmbedding` into every block.
* :func:`build_latent_denoiser`: a residual MLP ``ε̂(zₜ, t)`` for an autoencoder's latent vectors (latent
  diffusion, Rombach et al. 2022): the diffusion runs on a few numbers per image instead of 784 pixels.
"""

from __future__ import annotations

import math

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import positive_int
from helpers.models.shapes import IMAGE_SHAPE, expect_shape

layers = keras.layers

__all__ = ["SinusoidalEmbedding", "build_latent_denoiser", "build_toy_score_model", "build_unet"]


@keras.saving.register_keras_serializable(package="helpers")
class SinusoidalEmbedding(layers.Layer):
    """``t ∈ [0, 1]`` (shape (n, 1)) → ``[sin(ωₖ t), cos(ωₖ t)]`` with ``dim/2`` frequencies ωₖ from 1 to
    1000·π, evenly spaced in log (the transformer's position code, as diffusion models use it for time)."""

    def __init__(self, dim: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.dim = positive_int("dim", dim)
        if self.dim % 2:
            raise ValueError(f"dim must be even (sines and cosines in pairs), got {dim!r}")

    def call(self, t):
        ops = keras.ops
        half = self.dim // 2
        freqs = ops.exp(ops.linspace(0.0, math.log(1000.0 * math.pi), half))
        angles = ops.cast(t, "float32") * ops.reshape(freqs, (1, half))
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def build_toy_score_model(dim: int = 2, hidden: int = 128, depth: int = 3) -> keras.Model:
    """``s(x, σ) = MLP([x, log σ]) / σ`` for points ``x`` (n, dim) and noise levels σ (n, 1)."""
    dim, hidden, depth = positive_int("dim", dim), positive_int("hidden", hidden), positive_int("depth", depth)
    x = keras.Input(shape=(dim,), name="x")
    sigma = keras.Input(shape=(1,), name="sigma")
    h = layers.Concatenate(name="x_and_log_sigma")([x, keras.ops.log(sigma)])
    for i in range(depth):
        h = layers.Dense(hidden, activation="silu", name=f"dense_{i}")(h)
    out = layers.Dense(dim, name="unscaled")(h) / sigma
    expect_shape(out, (None, dim), "toy score output")
    return keras.Model([x, sigma], out, name="toy_score")


def _res_block(x, temb, channels: int, name: str):
    """GroupNorm → SiLU → 3×3 conv, plus the time's projection, twice; a 1×1 conv on the skip if channels change."""
    groups = min(8, channels)
    h = layers.GroupNormalization(groups, name=f"{name}_norm1")(x)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(keras.ops.silu(h))
    time = layers.Dense(channels, name=f"{name}_time")(temb)
    h = h + layers.Reshape((1, 1, channels), name=f"{name}_time_shape")(time)
    h = layers.GroupNormalization(groups, name=f"{name}_norm2")(h)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(keras.ops.silu(h))
    skip = x if x.shape[-1] == channels else layers.Conv2D(channels, 1, name=f"{name}_skip")(x)
    return h + skip


def build_unet(width: int = 32, time_dim: int = 64) -> keras.Model:
    """A small U-Net predicting the noise ε in a noisy 28×28 image at time ``t/T`` (n, 1); channels ``width`` at
    28×28 and ``2·width`` at 14×14 and 7×7."""
    w, time_dim = positive_int("width", width), positive_int("time_dim", time_dim)
    x_in = keras.Input(shape=IMAGE_SHAPE, name="x_t")
    t_in = keras.Input(shape=(1,), name="t")
    temb = SinusoidalEmbedding(time_dim, name="time_embedding")(t_in)
    temb = layers.Dense(4 * w, activation="silu", name="time_mlp")(temb)

    h = layers.Conv2D(w, 3, padding="same", name="stem")(x_in)
    skip28 = _res_block(h, temb, w, "down28")
    h = layers.Conv2D(2 * w, 3, strides=2, padding="same", name="down_to_14")(skip28)
    skip14 = _res_block(h, temb, 2 * w, "down14")
    h = layers.Conv2D(2 * w, 3, strides=2, padding="same", name="down_to_7")(skip14)
    h = _res_block(h, temb, 2 * w, "middle7")
    expect_shape(h, (None, 7, 7, 2 * w), "unet middle")
    h = layers.UpSampling2D(2, name="up_to_14")(h)
    h = _res_block(layers.Concatenate(name="cat14")([h, skip14]), temb, 2 * w, "up14")
    h = layers.UpSampling2D(2, name="up_to_28")(h)
    h = _res_block(layers.Concatenate(name="cat28")([h, skip28]), temb, w, "up28")
    h = layers.GroupNormalization(min(8, w), name="out_norm")(h)
    eps = layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros", name="eps")(keras.ops.silu(h))
    expect_shape(eps, (None, *IMAGE_SHAPE), "unet output")
    return keras.Model([x_in, t_in], eps, name="unet")


def build_latent_denoiser(latent_dim: int = 16, width: int = 512, depth: int = 3, time_dim: int = 64) -> keras.Model:
    """A residual MLP predicting the noise in a noisy latent vector ``z_t`` (n, ``latent_dim``) at time ``t/T``
    (n, 1): ``depth`` blocks of LayerNorm → SiLU → Dense (+ the time's projection) → SiLU → Dense, each added to
    its input; the output layer starts at zero (ε̂ = 0)."""
    latent_dim, width = positive_int("latent_dim", latent_dim), positive_int("width", width)
    depth, time_dim = positive_int("depth", depth), positive_int("time_dim", time_dim)
    z_in = keras.Input(shape=(latent_dim,), name="z_t")
    t_in = keras.Input(shape=(1,), name="t")
    temb = SinusoidalEmbedding(time_dim, name="time_embedding")(t_in)
    temb = layers.Dense(width, activation="silu", name="time_mlp")(temb)
    h = layers.Dense(width, name="stem")(z_in)
    for i in range(depth):
        r = layers.LayerNormalization(name=f"block{i}_norm")(h)
        r = layers.Dense(width, name=f"block{i}_dense1")(keras.ops.silu(r))
        r = r + layers.Dense(width, name=f"block{i}_time")(temb)
        h = h + layers.Dense(width, name=f"block{i}_dense2")(keras.ops.silu(r))
    h = keras.ops.silu(layers.LayerNormalization(name="out_norm")(h))
    eps = layers.Dense(latent_dim, kernel_initializer="zeros", name="eps")(h)
    expect_shape(eps, (None, latent_dim), "latent denoiser output")
    return keras.Model([z_in, t_in], eps, name="latent_denoiser")
