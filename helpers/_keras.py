"""Keras for the modules of ``helpers``, imported without TensorFlow's CUDA start-up lines.

On a CPU-only machine TensorFlow writes "Could not find cuda drivers…" and absl banners to file
descriptor 2 while it is imported, before any log level applies, and a notebook stores them as a
red stderr output. Modules that need Keras at import time take it from here, so that
``from helpers import models`` in a setup cell stays as quiet as :func:`helpers.config.setup`.
"""

import os

from helpers.config import import_tensorflow

if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
    import_tensorflow()

import keras

__all__ = ["keras"]
