"""What the models agree on (no Keras here): MNIST's image shape, the judge's sizes, the builders' shape check."""

from __future__ import annotations

IMAGE_SHAPE = (28, 28, 1)
#: the judge's classes (the ten digits) and the width of its feature layer (the FID's space)
NUM_CLASSES = 10
FEATURE_DIM = 128


def expect_shape(tensor, shape: tuple, where: str) -> None:
    """The tutorial's ``assert model.output_shape == …``, with a message that names the layer."""
    got = tuple(tensor.shape)
    if got != shape:
        raise AssertionError(f"{where}: expected output shape {shape}, got {got}")
