"""Measuring what was trained (layer ``evaluation``: may import training, models and below; never viz or widgets).

* :mod:`~helpers.evaluation.scores`: the Fréchet distance, Inception Score and class coverage, in NumPy;
* :mod:`~helpers.evaluation.judge`: the MNIST judge (a cached CNN) that computes them on images;
* :mod:`~helpers.evaluation.gan_eval`: the judge during training (a ``fit`` callback), latent interpolation;
* :mod:`~helpers.evaluation.image_metrics`: MSE, PSNR and SSIM of reconstructions, imported as a module.

A new metric goes in ``scores`` (on arrays) or ``image_metrics`` (on image pairs).
``evaluation.load_judge`` etc. are imported on first use.
"""

from helpers._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "scores": ("gaussian_stats", "frechet_distance", "frechet_distance_from_stats", "inception_score",
               "class_coverage"),
    "judge": ("ARCH_VERSION", "JudgeCacheError", "JudgeConfig", "JudgeReport", "Judge", "load_judge",
              "train_judge_model", "judge_dir", "as_judge_images"),
    "gan_eval": ("JudgeEvery", "HISTORY_KEYS", "MODES", "lerp", "slerp", "interpolate", "confident_latents"),
})
