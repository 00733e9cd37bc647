"""The GANs: the articles' MLP GAN and the DCGAN of TensorFlow's tutorial, and a deliberately collapsed generator.

Every generator maps a latent vector to a ``28×28×1`` image in ``[-1, 1]`` (tanh); every
discriminator maps such an image to ONE logit (no sigmoid: the losses work on logits,
which is numerically safer). Builders check the shapes of their layers as they go, the
way TensorFlow's DCGAN tutorial does, so a wrong size fails at build time with a message.
:func:`collapse_generator` snaps every latent vector to one of a few anchors: mode collapse on
purpose, to see what the judge's figures say about it.
"""

from __future__ import annotations

from helpers._keras import keras  # quietly: no TensorFlow start-up lines; before `from keras import`

# isort: split
import numpy as np
from keras import layers

from helpers.checks import positive_int
from helpers.models.shapes import IMAGE_SHAPE, expect_shape

ARCHS = ("mlp", "dcgan")


def build_mlp_generator(latent_dim: int = 100, hidden: tuple[int, ...] = (128, 256, 512)) -> keras.Model:
    """The articles' MLP generator: Dense 128 → 256 → 512 (BatchNorm + LeakyReLU 0.2) → 784 tanh → 28×28×1."""
    latent_dim = positive_int("latent_dim", latent_dim)
    for h in hidden:
        positive_int("each hidden width", h)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for i, width in enumerate(hidden):
        x = layers.Dense(width, name=f"dense_{i}")(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"lrelu_{i}")(x)
        expect_shape(x, (None, width), f"mlp generator block {i}")
    x = layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="tanh", name="pixels")(x)
    x = layers.Reshape(IMAGE_SHAPE, name="image")(x)
    expect_shape(x, (None, *IMAGE_SHAPE), "mlp generator output")
    return keras.Model(z, x, name="mlp_generator")



def build_mlp_discriminator(hidden: tuple[int, ...] = (256, 128)) -> keras.Model:
    """The articles' MLP discriminator: 784 → 256 → 128 (LeakyReLU 0.2) → 1 logit."""
    for h in hidden:
        positive_int("each hidden width", h)
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Flatten(name="flatten")(img)
    expect_shape(x, (None, 784), "mlp discriminator input")
    for i, width in enumerate(hidden):
        x = layers.Dense(width, name=f"dense_{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"lrelu_{i}")(x)
    x = layers.Dense(1, name="logit")(x)
    expect_shape(x, (None, 1), "mlp discriminator output")
    return keras.Model(img, x, name="mlp_discriminator")



def build_dcgan_generator(latent_dim: int = 100, width: int = 64) -> keras.Model:
    """TensorFlow tutorial's DCGAN generator: Dense 7·7·256 → ConvT 128 (s1) → 64 (s2) → 1 (s2, tanh).

    ``width`` is the last hidden layer's channel count (the tutorial's 64); the others scale with it
    (4·width, 2·width): ``width=16`` is a DCGAN with about a sixteenth of the convolutions' work."""
    latent_dim = positive_int("latent_dim", latent_dim)
    w = positive_int("width", width)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 4 * w, use_bias=False, name="project")(z)
    x = layers.BatchNormalization(name="bn_0")(x)
    x = layers.LeakyReLU(name="lrelu_0")(x)  # Keras' default slope 0.3, as in the tutorial
    x = layers.Reshape((7, 7, 4 * w), name="reshape")(x)
    expect_shape(x, (None, 7, 7, 4 * w), "dcgan generator reshape")
    x = layers.Conv2DTranspose(2 * w, 5, strides=1, padding="same", use_bias=False, name="deconv_1")(x)
    expect_shape(x, (None, 7, 7, 2 * w), "dcgan generator deconv_1")
    x = layers.BatchNormalization(name="bn_1")(x)
    x = layers.LeakyReLU(name="lrelu_1")(x)
    x = layers.Conv2DTranspose(w, 5, strides=2, padding="same", use_bias=False, name="deconv_2")(x)
    expect_shape(x, (None, 14, 14, w), "dcgan generator deconv_2")
    x = layers.BatchNormalization(name="bn_2")(x)
    x = layers.LeakyReLU(name="lrelu_2")(x)
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh", name="image")(x)
    expect_shape(x, (None, *IMAGE_SHAPE), "dcgan generator output")
    return keras.Model(z, x, name="dcgan_generator")



def build_dcgan_discriminator(dropout: float = 0.3, width: int = 64) -> keras.Model:
    """TensorFlow tutorial's DCGAN discriminator: Conv 64 (s2) → Conv 128 (s2), LeakyReLU + Dropout, → 1 logit.

    ``width`` is the first layer's channel count (the tutorial's 64; the second has twice as many)."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    w = positive_int("width", width)
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Conv2D(w, 5, strides=2, padding="same", name="conv_1")(img)
    expect_shape(x, (None, 14, 14, w), "dcgan discriminator conv_1")
    x = layers.LeakyReLU(name="lrelu_1")(x)
    x = layers.Dropout(dropout, name="dropout_1")(x)
    x = layers.Conv2D(2 * w, 5, strides=2, padding="same", name="conv_2")(x)
    expect_shape(x, (None, 7, 7, 2 * w), "dcgan discriminator conv_2")
    x = layers.LeakyReLU(name="lrelu_2")(x)
    x = layers.Dropout(dropout, name="dropout_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(1, name="logit")(x)
    expect_shape(x, (None, 1), "dcgan discriminator output")
    return keras.Model(img, x, name="dcgan_discriminator")



def build_gan(arch: str, latent_dim: int = 100, width: int = 64) -> tuple[keras.Model, keras.Model]:
    """Return ``(generator, discriminator)`` for ``arch`` in ``("mlp", "dcgan")``; ``width`` scales the DCGAN's
    channels (64: the tutorial's; the MLP has none to scale and refuses another value)."""
    if arch == "mlp":
        if width != 64:
            raise ValueError(f"width scales the DCGAN's channels; the MLP has fixed widths, got width={width!r}")
        return build_mlp_generator(latent_dim), build_mlp_discriminator()
    if arch == "dcgan":
        return build_dcgan_generator(latent_dim, width), build_dcgan_discriminator(width=width)
    raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")



class NearestAnchor(keras.layers.Layer):
    """Replaces each latent vector by the nearest of a few fixed ``anchors`` (Euclidean distance)."""

    def __init__(self, anchors, **kwargs):
        super().__init__(**kwargs)
        self._anchors = np.asarray(anchors, dtype=np.float32)

    def call(self, z):
        ops = keras.ops
        a = ops.convert_to_tensor(self._anchors)
        # argmin ‖z − a‖² = argmax (z·a − ‖a‖²/2)
        score = ops.matmul(z, ops.transpose(a)) - 0.5 * ops.sum(a * a, axis=1)
        return ops.take(a, ops.argmax(score, axis=1), axis=0)

    def compute_output_shape(self, input_shape):
        return input_shape



def collapse_generator(generator: keras.Model, anchors) -> keras.Model:
    """A mode-collapsed copy of ``generator``: every latent vector is first snapped to the nearest of ``anchors``.

    With k anchors the new model makes only k distinct images, however good each one looks: a
    deliberate, extreme mode collapse (the weights are shared with ``generator``, not copied).
    """
    d = int(generator.inputs[0].shape[-1])
    a = np.asarray(anchors, dtype=np.float32)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] != d:
        raise ValueError(f"anchors must have shape (k, {d}) with k >= 1 (the generator's latent length), "
                         f"got {np.shape(anchors)}")
    if not np.all(np.isfinite(a)):
        raise ValueError("anchors must be finite, got NaN or inf values")
    z = keras.Input(shape=(d,), name="z")
    snapped = NearestAnchor(a, name="nearest_anchor")(z)
    return keras.Model(z, generator(snapped, training=False), name=f"collapsed_{len(a)}_{generator.name}")
