"""The notebooks' interactive widgets (ipywidgets): one :class:`~helpers.widgets.explorer.Explorer` convention, one
module per notebook.

* :mod:`~helpers.widgets.explorer`: :class:`~helpers.widgets.explorer.Explorer` (controls over a view function,
  its figure shown as an image and its summary as a caption), :data:`~helpers.widgets.explorer.FAST_WIDGETS`;
* :mod:`~helpers.widgets.compat`: where ipywidgets 7 (Colab) and 8 differ (a toggle that plays a ``Play``);
* one module per notebook: :mod:`~helpers.widgets.gradient_descent` (01), :mod:`~helpers.widgets.gradient_ascent`
  (02), :mod:`~helpers.widgets.subgradients` (03), :mod:`~helpers.widgets.optimizers` (04),
  :mod:`~helpers.widgets.mnist_gan` (05), :mod:`~helpers.widgets.gan_dynamics` (06),
  :mod:`~helpers.widgets.reconstruction` (08), :mod:`~helpers.widgets.inversion` (09),
  :mod:`~helpers.widgets.langevin` (10).

The top layer below :mod:`helpers.cli`: these modules may import everything else of ``helpers`` (maths, models,
training, evaluation, viz). Nothing is re-exported here: import the notebook's module,
``from helpers.widgets import gradient_descent``.
"""
