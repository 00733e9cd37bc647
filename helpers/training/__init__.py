"""Training with Keras (layer ``training``: may import models and below, never evaluation, viz or widgets).

* :mod:`~helpers.training.engine`: the per-backend step engine (``tf.function`` / ``jax.jit``, gradients, devices);
* :mod:`~helpers.training.loop`: the one epoch loop (history, progress, resume, time budget, divergence guard);
* :mod:`~helpers.training.checkpoints`: the one checkpoint store (atomic folders, ``state.json``, listing, pruning);
* :mod:`~helpers.training.gan`, :mod:`~helpers.training.autoencoder` and :mod:`~helpers.training.diffusion`: the
  trainers on them;
* :mod:`~helpers.training.latent_diffusion`: an autoencoder, then diffusion on its latents (``train-diffusion``'s
  default);
* :mod:`~helpers.training.score_matching`: denoising score matching on points (a 2-D score network);
* :mod:`~helpers.training.guidance`: classifier guidance, the diffusion sampler steered by a classifier's gradient;
* :mod:`~helpers.training.sampling`: images from a generator (seeded noise, uint8);
* :mod:`~helpers.training.inversion`: gradient steps on a model's *input* (latent inversion, activation
  maximisation, adversarial examples), imported as a module.

A new trainer goes in its own module here and runs :func:`helpers.training.loop.fit`.
``training.GANTrainer`` etc. are imported on first use.
"""

from helpers._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "engine": ("compile_step", "compile_stateful", "values_and_grads", "batch_splits", "check_batch_size"),
    "loop": ("DivergenceError", "TrainResult", "refuse_non_finite_weights"),
    "checkpoints": ("CHECKPOINT_PREFIX", "STATE_FILE", "list_checkpoints", "latest_checkpoint", "read_state"),
    "gan": ("GANTrainer", "train_gan", "SampleGrid", "UPDATES", "EMA_FILE", "discriminator_loss", "generator_loss"),
    "sampling": ("GRID_SIZE", "sample", "generate", "to_uint8", "latent_dim_of"),
    "autoencoder": ("AutoencoderTrainer", "AutoencoderResult", "train_autoencoder", "load_autoencoder",
                    "reconstruction_loss", "kl_divergence", "LOSSES"),
    "score_matching": ("dsm_loss", "fit_score", "predict_score"),
    "diffusion": ("DiffusionTrainer", "train_diffusion", "load_diffusion", "noise_prediction_loss"),
    "guidance": ("guided_sample", "log_prob_gradient"),
    "latent_diffusion": ("LatentDiffusion", "train_latent_diffusion", "load_latent_diffusion"),
})
