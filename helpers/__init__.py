"""Gradients for image synthesis: models, training loops, data, metrics, plots and widgets.

The notebooks in ``notebooks/`` tell the story; this package holds the plumbing they share.
"""

__version__ = "0.1.0"
