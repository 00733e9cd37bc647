"""The NumPy maths of the notebooks: toy objectives, optimisers, schedules, games, momentum theory, the Dirac-GAN
and the 2-D GAN playground.

* :mod:`~helpers.maths.objectives`: toy objectives with their (sub)gradients (notebooks 01–04);
* :mod:`~helpers.maths.schedules`: learning-rate schedules, written as Keras writes them;
* :mod:`~helpers.maths.optim`: the NumPy optimisers, the loops that run them, the theory of gradient descent's step;
* :mod:`~helpers.maths.games`: two-player min-max games (notebook 02);
* :mod:`~helpers.maths.momentum_theory`: closed-form rates of gradient descent and momentum (notebook 04);
* :mod:`~helpers.maths.mnist_binary`: a two-digit MNIST task for logistic regression (notebook 02);
* :mod:`~helpers.maths.dirac_gan`: the Dirac-GAN's vector fields, steps and trainers (notebook 06);
* :mod:`~helpers.maths.mlp` and :mod:`~helpers.maths.playground`: the 2-D GAN playground's NumPy networks, losses
  and training state (notebook 06);
* :mod:`~helpers.maths.langevin`: mixtures with exact scores, Langevin and annealed Langevin sampling (notebook 10).

NumPy only: these modules may import :mod:`helpers.checks`, :mod:`helpers.config` and :mod:`helpers.data`, never
matplotlib, ipywidgets, Keras or TensorFlow (the Keras twins of :mod:`~helpers.maths.schedules` and
:mod:`~helpers.maths.optim` import Keras lazily, inside the functions that build them). Nothing is re-exported
here: import the module, ``from helpers.maths import optim``.
"""
