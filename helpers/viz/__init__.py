"""Pictures: matplotlib plots, image tiling, PNG encoding and the scenes the widgets redraw.

* :mod:`~helpers.viz.plotting`: contours with trajectories, loss curves, 1-D functions, vector fields, image grids;
* :mod:`~helpers.viz.images`: one image-tiling function (:func:`~helpers.viz.images.tile`) and one PNG encoder
  (:func:`~helpers.viz.images.encode_png`, :func:`~helpers.viz.images.save_png`);
* :mod:`~helpers.viz.scenes`: :class:`~helpers.viz.scenes.View` (a figure and its numbers) and the
  :class:`~helpers.viz.scenes.Scene` machinery that redraws only what moves;
* :mod:`~helpers.viz.dirac_gan`, :mod:`~helpers.viz.playground`: the pictures of notebook 06's Dirac-GAN and 2-D
  GAN playground;
* :mod:`~helpers.viz.gan_eval`: the judge's figures (its history during training, the share of each digit).

matplotlib and PIL only (no ipywidgets): these modules may import :mod:`helpers.maths`, :mod:`helpers.evaluation`
and the layers below them. Nothing is re-exported here: import the module, ``from helpers.viz import plotting``.
"""
