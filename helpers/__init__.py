"""Gradients for image synthesis: models, training loops, data, metrics, plots and widgets.

The notebooks in ``notebooks/`` tell the story; this package holds the plumbing they share.
"""

__version__ = "0.1.0"

from . import dependencies as _dependencies

_dependencies.check()  # names a missing or unsuitable package at import (Colab installs helpers without deps)
