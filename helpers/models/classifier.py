"""Classifiers for MNIST: a small CNN, softmax regression, and the judge's CNN (its features give the FID)."""

from __future__ import annotations

from helpers._keras import keras  # quietly: no TensorFlow start-up lines; before `from keras import`

# isort: split
from keras import layers

from helpers.checks import positive_int
from helpers.models.shapes import FEATURE_DIM, IMAGE_SHAPE, NUM_CLASSES, expect_shape


def _conv_trunk(img, where: str):
    """Conv 32 → pool → Conv 64 → pool → flatten (3×3 kernels, ReLU): the classifier's and the judge's trunk."""
    x = layers.Conv2D(32, 3, activation="relu", name="conv_1")(img)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    expect_shape(x, (None, 13, 13, 32), f"{where} pool_1")
    x = layers.Conv2D(64, 3, activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    expect_shape(x, (None, 5, 5, 64), f"{where} pool_2")
    return layers.Flatten(name="flatten")(x)


def build_classifier(num_classes: int = 10, dropout: float = 0.5) -> keras.Model:
    """A small MNIST CNN (Conv 32 → pool → Conv 64 → pool → Dropout → Dense logits) for experiments."""
    num_classes = positive_int("num_classes", num_classes)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = _conv_trunk(img, "classifier")
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


def build_judge_model():
    """The judge CNN: Conv 32 → pool → Conv 64 → pool → Dense 128 ("features", ReLU) → Dense 10 softmax."""
    img = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = _conv_trunk(img, "judge")
    x = layers.Dropout(0.25, name="dropout_1")(x)
    feats = layers.Dense(FEATURE_DIM, activation="relu", name="features")(x)
    x = layers.Dropout(0.5, name="dropout_2")(feats)
    probs = layers.Dense(NUM_CLASSES, activation="softmax", name="probs")(x)
    if tuple(feats.shape) != (None, FEATURE_DIM) or tuple(probs.shape) != (None, NUM_CLASSES):
        raise AssertionError(f"judge: expected features (None, {FEATURE_DIM}) and probs (None, 10), "
                             f"got {tuple(feats.shape)} and {tuple(probs.shape)}")
    return keras.Model(img, [feats, probs], name="mnist_judge")
