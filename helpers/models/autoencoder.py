"""Autoencoders and a variational autoencoder (VAE) for MNIST in plain Keras 3.

Images are floats in ``[0, 1]`` of shape ``28×28×1``; every decoder ends with a sigmoid, so binary
cross-entropy is a valid loss. An encoder maps an image to a latent vector ``z`` (a VAE's encoder to a
mean and a log-variance); a decoder maps ``z`` back. :func:`build_autoencoder` (``arch`` ``"dense"``,
``"conv"`` or ``"article"``: the articles' decoder latent → 128 → 128 → 784) returns ``(encoder, decoder)``;
:mod:`helpers.training.autoencoder` trains them.
"""

from __future__ import annotations

from helpers._keras import keras  # quietly: no TensorFlow start-up lines; before `from keras import`

# isort: split
import numpy as np
from keras import layers

from helpers.checks import positive_int
from helpers.models.shapes import IMAGE_SHAPE, expect_shape

ARCHS = ("dense", "conv", "article")

_PIXELS = int(np.prod(IMAGE_SHAPE))


def _latent_head(x, latent_dim: int, variational: bool):
    if variational:
        return [layers.Dense(latent_dim, name="z_mean")(x), layers.Dense(latent_dim, name="z_log_var")(x)]
    return layers.Dense(latent_dim, name="z")(x)



def _check_hidden(hidden) -> tuple[int, ...]:
    hidden = tuple(hidden)
    if not hidden:
        raise ValueError(f"hidden must list at least one layer width, got {hidden!r}")
    for h in hidden:
        positive_int("each hidden width", h)
    return hidden



def build_dense_encoder(
    latent_dim: int = 32, hidden: tuple[int, ...] = (512, 256), variational: bool = False
) -> keras.Model:
    """Dense encoder 784 → hidden (ReLU) → ``latent_dim`` (a VAE's: two heads, ``z_mean`` and ``z_log_var``)."""
    latent_dim = positive_int("latent_dim", latent_dim)
    hidden = _check_hidden(hidden)
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Flatten(name="flatten")(img)
    expect_shape(x, (None, _PIXELS), "dense encoder input")
    for i, width in enumerate(hidden):
        x = layers.Dense(width, activation="relu", name=f"dense_{i}")(x)
    out = _latent_head(x, latent_dim, variational)
    for t in out if variational else [out]:
        expect_shape(t, (None, latent_dim), "dense encoder output")
    return keras.Model(img, out, name="dense_vae_encoder" if variational else "dense_encoder")



def build_dense_decoder(
    latent_dim: int = 32, hidden: tuple[int, ...] = (256, 512), name: str = "dense_decoder"
) -> keras.Model:
    """Dense decoder ``latent_dim`` → hidden (ReLU) → 784 sigmoid → 28×28×1 in ``[0, 1]``."""
    latent_dim = positive_int("latent_dim", latent_dim)
    hidden = _check_hidden(hidden)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for i, width in enumerate(hidden):
        x = layers.Dense(width, activation="relu", name=f"dense_{i}")(x)
        expect_shape(x, (None, width), f"dense decoder layer {i}")
    x = layers.Dense(_PIXELS, activation="sigmoid", name="pixels")(x)
    x = layers.Reshape(IMAGE_SHAPE, name="image")(x)
    expect_shape(x, (None, *IMAGE_SHAPE), "dense decoder output")
    return keras.Model(z, x, name=name)



def build_article_decoder(latent_dim: int = 32) -> keras.Model:
    """The articles' decoder, latent → 128 → 128 → 784 (ReLU, sigmoid output), trained against the IMAGE."""
    return build_dense_decoder(latent_dim, hidden=(128, 128), name="article_decoder")



def build_conv_encoder(latent_dim: int = 32, variational: bool = False) -> keras.Model:
    """Conv encoder: Conv 32 (s2) → Conv 64 (s2), ReLU, → Dense ``latent_dim`` (a VAE's: mean and log-variance)."""
    latent_dim = positive_int("latent_dim", latent_dim)
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1")(img)
    expect_shape(x, (None, 14, 14, 32), "conv encoder conv_1")
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2")(x)
    expect_shape(x, (None, 7, 7, 64), "conv encoder conv_2")
    x = layers.Flatten(name="flatten")(x)
    out = _latent_head(x, latent_dim, variational)
    for t in out if variational else [out]:
        expect_shape(t, (None, latent_dim), "conv encoder output")
    return keras.Model(img, out, name="conv_vae_encoder" if variational else "conv_encoder")



def build_conv_decoder(latent_dim: int = 32) -> keras.Model:
    """Conv decoder: Dense 7·7·64 → ConvT 64 (s2) → ConvT 32 (s2), ReLU, → Conv 1 sigmoid → 28×28×1."""
    latent_dim = positive_int("latent_dim", latent_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 64, activation="relu", name="project")(z)
    x = layers.Reshape((7, 7, 64), name="reshape")(x)
    x = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu", name="deconv_1")(x)
    expect_shape(x, (None, 14, 14, 64), "conv decoder deconv_1")
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="deconv_2")(x)
    expect_shape(x, (None, 28, 28, 32), "conv decoder deconv_2")
    x = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="image")(x)
    expect_shape(x, (None, *IMAGE_SHAPE), "conv decoder output")
    return keras.Model(z, x, name="conv_decoder")



def build_autoencoder(
    arch: str = "conv", latent_dim: int = 32, variational: bool = False
) -> tuple[keras.Model, keras.Model]:
    """Return ``(encoder, decoder)`` for ``arch`` in ``("dense", "conv", "article")``; a VAE when ``variational``."""
    if arch == "conv":
        return build_conv_encoder(latent_dim, variational), build_conv_decoder(latent_dim)
    if arch == "dense":
        return build_dense_encoder(latent_dim, variational=variational), build_dense_decoder(latent_dim)
    if arch == "article":
        return build_dense_encoder(latent_dim, (128, 128), variational), build_article_decoder(latent_dim)
    raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")
