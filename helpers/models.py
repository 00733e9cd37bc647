"""Keras models for MNIST: the articles' MLP GAN, the DCGAN of TensorFlow's tutorial, a small classifier.

Every generator maps a latent vector to a ``28×28×1`` image in ``[-1, 1]`` (tanh); every
discriminator maps such an image to ONE logit (no sigmoid: the losses work on logits,
which is numerically safer). Builders check the shapes of their layers as they go, the
way TensorFlow's DCGAN tutorial does, so a wrong size fails at build time with a message.
"""

from __future__ import annotations

from helpers._keras import keras  # quietly: no TensorFlow start-up lines; before `from keras import`

# isort: split
import numpy as np
from keras import layers

from .checks import positive_int

IMAGE_SHAPE = (28, 28, 1)
ARCHS = ("mlp", "dcgan")


def _expect(tensor, shape: tuple, where: str) -> None:
    """The tutorial's ``assert model.output_shape == …``, with a message that names the layer."""
    got = tuple(tensor.shape)
    if got != shape:
        raise AssertionError(f"{where}: expected output shape {shape}, got {got}")


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
        _expect(x, (None, width), f"mlp generator block {i}")
    x = layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="tanh", name="pixels")(x)
    x = layers.Reshape(IMAGE_SHAPE, name="image")(x)
    _expect(x, (None, *IMAGE_SHAPE), "mlp generator output")
    return keras.Model(z, x, name="mlp_generator")


def build_mlp_discriminator(hidden: tuple[int, ...] = (256, 128)) -> keras.Model:
    """The articles' MLP discriminator: 784 → 256 → 128 (LeakyReLU 0.2) → 1 logit."""
    for h in hidden:
        positive_int("each hidden width", h)
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Flatten(name="flatten")(img)
    _expect(x, (None, 784), "mlp discriminator input")
    for i, width in enumerate(hidden):
        x = layers.Dense(width, name=f"dense_{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"lrelu_{i}")(x)
    x = layers.Dense(1, name="logit")(x)
    _expect(x, (None, 1), "mlp discriminator output")
    return keras.Model(img, x, name="mlp_discriminator")


def build_dcgan_generator(latent_dim: int = 100) -> keras.Model:
    """TensorFlow tutorial's DCGAN generator: Dense 7·7·256 → ConvT 128 (s1) → 64 (s2) → 1 (s2, tanh)."""
    latent_dim = positive_int("latent_dim", latent_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 256, use_bias=False, name="project")(z)
    x = layers.BatchNormalization(name="bn_0")(x)
    x = layers.LeakyReLU(name="lrelu_0")(x)  # Keras' default slope 0.3, as in the tutorial
    x = layers.Reshape((7, 7, 256), name="reshape")(x)
    _expect(x, (None, 7, 7, 256), "dcgan generator reshape")
    x = layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False, name="deconv_1")(x)
    _expect(x, (None, 7, 7, 128), "dcgan generator deconv_1")
    x = layers.BatchNormalization(name="bn_1")(x)
    x = layers.LeakyReLU(name="lrelu_1")(x)
    x = layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False, name="deconv_2")(x)
    _expect(x, (None, 14, 14, 64), "dcgan generator deconv_2")
    x = layers.BatchNormalization(name="bn_2")(x)
    x = layers.LeakyReLU(name="lrelu_2")(x)
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh", name="image")(x)
    _expect(x, (None, *IMAGE_SHAPE), "dcgan generator output")
    return keras.Model(z, x, name="dcgan_generator")


def build_dcgan_discriminator(dropout: float = 0.3) -> keras.Model:
    """TensorFlow tutorial's DCGAN discriminator: Conv 64 (s2) → Conv 128 (s2), LeakyReLU + Dropout, → 1 logit."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Conv2D(64, 5, strides=2, padding="same", name="conv_1")(img)
    _expect(x, (None, 14, 14, 64), "dcgan discriminator conv_1")
    x = layers.LeakyReLU(name="lrelu_1")(x)
    x = layers.Dropout(dropout, name="dropout_1")(x)
    x = layers.Conv2D(128, 5, strides=2, padding="same", name="conv_2")(x)
    _expect(x, (None, 7, 7, 128), "dcgan discriminator conv_2")
    x = layers.LeakyReLU(name="lrelu_2")(x)
    x = layers.Dropout(dropout, name="dropout_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(1, name="logit")(x)
    _expect(x, (None, 1), "dcgan discriminator output")
    return keras.Model(img, x, name="dcgan_discriminator")


def build_gan(arch: str, latent_dim: int = 100) -> tuple[keras.Model, keras.Model]:
    """Return ``(generator, discriminator)`` for ``arch`` in ``("mlp", "dcgan")``."""
    if arch == "mlp":
        return build_mlp_generator(latent_dim), build_mlp_discriminator()
    if arch == "dcgan":
        return build_dcgan_generator(latent_dim), build_dcgan_discriminator()
    raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")


def build_classifier(num_classes: int = 10, dropout: float = 0.5) -> keras.Model:
    """A small MNIST CNN (Conv 32 → pool → Conv 64 → pool → Dropout → Dense logits) for experiments."""
    num_classes = positive_int("num_classes", num_classes)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Conv2D(32, 3, activation="relu", name="conv_1")(img)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    _expect(x, (None, 13, 13, 32), "classifier pool_1")
    x = layers.Conv2D(64, 3, activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    _expect(x, (None, 5, 5, 64), "classifier pool_2")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(img, x, name="mnist_classifier")


def build_linear_classifier(num_classes: int = 10) -> keras.Model:
    """Softmax regression: one Dense layer from the 784 pixels to the class logits (no hidden layer)."""
    num_classes = positive_int("num_classes", num_classes)
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = layers.Flatten(name="flatten")(img)
    x = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(img, x, name="linear_classifier")
