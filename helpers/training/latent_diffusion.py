"""Latent diffusion (Rombach et al. 2022) on MNIST: an autoencoder squeezes each digit into a few numbers, a
diffusion model learns how those numbers are distributed, and the decoder turns its samples back into digits.

On a CPU this is the difference between denoising 784 pixels with a U-Net (about 500 images a second on two
cores) and denoising 16 numbers with an MLP (tens of thousands a second): the same twenty minutes buy hundreds of
epochs instead of ten (``benchmarks/README.md``, "Diffusion by the clock").

A run directory holds the diffusion model's checkpoints ``ckpt-<epoch>`` (:class:`~helpers.training.diffusion.
DiffusionTrainer`'s, model ``latent_denoiser``), the autoencoder's in ``autoencoder/``, and :data:`STATS_FILE`,
the mean and standard deviation of the training latents (the diffusion model sees standardised latents), written
once the autoencoder is trained, with the largest standardised value among them: DDIM clips its x̂₀ there, as
the pixel sampler clips at the images' ±1 (without it the first step, at ᾱ_T ≈ 0, divides the network's error
by √ᾱ_T and the samples land hundreds of standard deviations away: FID 60 against 4.1 on the same model). A
rerun on the same directory resumes: an autoencoder with its statistics written
is not trained again.

* :class:`LatentDiffusion`: :meth:`~LatentDiffusion.sample` (DDIM in the latent space, then the decoder);
* :func:`train_latent_diffusion` trains both parts, the autoencoder for a share of the time budget;
* :func:`load_latent_diffusion` rebuilds a trained one from its run directory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from helpers.checks import count, in_range, non_negative_int, positive_int
from helpers.maths.diffusion import SCHEDULES, ddim_sample, make_schedule
from helpers.models.autoencoder import build_autoencoder
from helpers.models.score import build_latent_denoiser
from helpers.training import loop
from helpers.training.autoencoder import AutoencoderTrainer, load_autoencoder
from helpers.training.checkpoints import latest_checkpoint, read_state, run_checkpoint
from helpers.training.diffusion import SAMPLE_STEPS, DiffusionTrainer
from helpers.training.sampling import to_uint8

#: the folder of a run directory that holds the autoencoder's checkpoints
AUTOENCODER_DIR = "autoencoder"
#: the latents' mean and standard deviation, written when the autoencoder is done
STATS_FILE = "latent-stats.npz"
#: the share of a time budget the autoencoder trains for; the diffusion model has the rest
AE_SHARE = 0.25
#: the model name a latent run's diffusion checkpoints carry
MODEL_NAME = "latent_denoiser"


class LatentDiffusion:
    """A trained autoencoder and a diffusion model over its standardised latents ``(z − mean) / std``; ``clip``:
    where DDIM clips its predicted clean latent (the largest absolute standardised training latent)."""

    def __init__(self, autoencoder: AutoencoderTrainer, diffusion: DiffusionTrainer, mean, std, clip: float):
        if autoencoder.variational:
            raise ValueError("the autoencoder must be a plain one (its encoder gives one latent vector), got a VAE")
        if diffusion.data_shape != (autoencoder.latent_dim,):
            raise ValueError(f"the diffusion model denoises vectors of shape {diffusion.data_shape}, but the "
                             f"autoencoder's latents have {autoencoder.latent_dim} numbers")
        mean, std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        if mean.shape != (autoencoder.latent_dim,) or std.shape != mean.shape or not np.all(std > 0):
            raise ValueError(f"mean and std must be {autoencoder.latent_dim} numbers, std > 0; got shapes "
                             f"{mean.shape} and {std.shape}")
        self.autoencoder, self.diffusion, self.mean, self.std = autoencoder, diffusion, mean, std
        self.clip = in_range("clip", clip, 0.0, float("inf"), strict_low=True)

    def encode(self, images, batch_size: int = 1000) -> np.ndarray:
        """Standardised latents of images in [0, 1] (what the diffusion model learns), ``(n, latent_dim)``."""
        return ((self.autoencoder.encode(images, batch_size) - self.mean) / self.std).astype(np.float32)

    def decode(self, z, batch_size: int = 1000) -> np.ndarray:
        """Images in [0, 1], ``(n, 28, 28, 1)``, from standardised latents."""
        return self.autoencoder.decode(np.asarray(z, np.float32) * self.std + self.mean, batch_size)

    def sample(self, n: int = 64, seed: int = 0, steps: int = SAMPLE_STEPS, batch_size: int = 1000,
               as_uint8: bool = True) -> np.ndarray:
        """``n`` digits: DDIM in ``steps`` deterministic steps from latent noise seeded by ``seed``, then the decoder.
        uint8 ``(n, 28, 28)`` (or floats in [0, 1], ``(n, 28, 28, 1)``, with ``as_uint8=False``); the same seed
        gives the same digits."""
        n, seed = positive_int("n", n), non_negative_int("seed", seed)
        steps = count("steps", steps, 1, self.diffusion.schedule.steps)
        batch_size = positive_int("batch_size", batch_size)
        z_T = np.random.default_rng(seed).standard_normal((n, *self.diffusion.data_shape)).astype(np.float32)
        z0 = ddim_sample(lambda z, t: self.diffusion.predict_noise(z.astype(np.float32), t, batch_size), z_T,
                         self.diffusion.schedule, steps, clip=self.clip)
        images = self.decode(z0, batch_size)
        return to_uint8(2.0 * images - 1.0) if as_uint8 else images  # the decoder's [0, 1] as the GANs' [-1, 1]


def build_diffusion(latent_dim: int, width: int = 512, depth: int = 3, schedule: str = "cosine", steps: int = 1000,
                    *, learning_rate=1e-3, ema: float | None = 0.999, seed: int = 0) -> DiffusionTrainer:
    """A seeded :func:`~helpers.models.score.build_latent_denoiser` and its trainer."""
    from helpers._keras import keras

    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    keras.utils.set_random_seed(seed)
    return DiffusionTrainer(build_latent_denoiser(latent_dim, width, depth), make_schedule(schedule, steps),
                            learning_rate=learning_rate, ema=ema, width=width, depth=depth, seed=seed)


def _write_stats(path: Path, mean: np.ndarray, std: np.ndarray, clip: float, ae_epoch: int) -> None:
    tmp = path.with_name(f".{path.name}-{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, mean=mean, std=std, clip=clip, autoencoder_epoch=ae_epoch)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_stats(run: Path) -> dict:
    path = run / STATS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{run} holds no {STATS_FILE}: its autoencoder was not finished")
    with np.load(path) as npz:
        return {k: npz[k] for k in ("mean", "std", "clip", "autoencoder_epoch")}


def train_latent_diffusion(images, epochs: int, *, out_dir: str | os.PathLike, time_budget_s: float | None = None,
                           ae_epochs: int = 10, ae_share: float = AE_SHARE, latent_dim: int = 16,
                           width: int = 512, depth: int = 3, schedule: str = "cosine", steps: int = 1000,
                           learning_rate=1e-3, ema: float | None = 0.999, batch_size: int = 256, seed: int = 0,
                           checkpoint_every: int | None = None, verbose: bool = True,
                           ) -> tuple[LatentDiffusion, loop.TrainResult]:
    """Train a conv autoencoder (latent ``latent_dim``, binary cross-entropy) on ``images`` in [0, 1], then a
    diffusion model on its standardised latents, checkpointing both in ``out_dir``; return the model and the
    diffusion model's :class:`~helpers.training.loop.TrainResult`.

    ``time_budget_s``: the whole run's; the autoencoder trains for ``ae_share`` of it (at most ``ae_epochs``
    epochs), the diffusion model for what is left (at most ``epochs`` epochs, counting resumed ones)."""
    epochs, ae_epochs, batch_size = (positive_int(k, v) for k, v in
                                     (("epochs", epochs), ("ae_epochs", ae_epochs), ("batch_size", batch_size)))
    ae_share = in_range("ae_share", ae_share, 0.0, 0.9, strict_low=True)
    if time_budget_s is not None:
        time_budget_s = in_range("time_budget_s", time_budget_s, 0.0, float("inf"), strict_low=True)
    out = Path(out_dir)
    ae_dir, started = out / AUTOENCODER_DIR, time.perf_counter()
    if (out / STATS_FILE).is_file():
        autoencoder = load_autoencoder(ae_dir)
        stats = _read_stats(out)
        if verbose:
            print(f"autoencoder: trained ({latest_checkpoint(ae_dir).name}), not trained again", flush=True)
    else:
        from helpers._keras import keras

        keras.utils.set_random_seed(seed)
        encoder, decoder = build_autoencoder("conv", latent_dim, False)
        autoencoder = AutoencoderTrainer(encoder, decoder, loss="bce", arch="conv", seed=seed)
        if verbose:
            print(f"autoencoder: conv, latent {latent_dim}", flush=True)
        autoencoder.fit(images, ae_epochs, batch_size=min(128, len(images)), out_dir=ae_dir, resume=True,
                        verbose=verbose, time_budget_s=None if time_budget_s is None else ae_share * time_budget_s)
        z = autoencoder.encode(images)
        mean, std = z.mean(0), z.std(0) + 1e-6
        stats = {"mean": mean, "std": std, "clip": float(np.abs((z - mean) / std).max()),
                 "autoencoder_epoch": autoencoder.epoch}
        _write_stats(out / STATS_FILE, mean, std, stats["clip"], autoencoder.epoch)
    diffusion = build_diffusion(autoencoder.latent_dim, width, depth, schedule, steps, learning_rate=learning_rate,
                                ema=ema, seed=seed)
    model = LatentDiffusion(autoencoder, diffusion, stats["mean"], stats["std"], float(stats["clip"]))
    latents = model.encode(images)
    left = None if time_budget_s is None else max(time_budget_s - (time.perf_counter() - started), 1.0)
    if verbose:
        print(f"diffusion: latent MLP width {width}, depth {depth} ({diffusion.model.count_params():,} weights) on "
              f"{len(latents)} latents", flush=True)
    result = diffusion.fit(latents, epochs, batch_size=batch_size, out_dir=out, checkpoint_every=checkpoint_every,
                           resume=True, time_budget_s=left, verbose=verbose)
    return model, result


def is_latent_run(checkpoint_config: dict) -> bool:
    """Whether a diffusion checkpoint's saved config is a latent run's."""
    return checkpoint_config.get("kind") == "diffusion" and checkpoint_config.get("model") == MODEL_NAME


def load_latent_diffusion(run: str | os.PathLike) -> LatentDiffusion:
    """Rebuild the latent diffusion model saved in a run directory (the latest checkpoints of both parts)."""
    ckpt = run_checkpoint(run)
    config = read_state(ckpt).get("config", {})
    if not is_latent_run(config) or config.get("schedule") not in SCHEDULES or not config.get("data_shape"):
        raise ValueError(f"checkpoint {ckpt} is not a latent diffusion model (kind={config.get('kind')!r}, "
                         f"model={config.get('model')!r})")
    run_dir = ckpt.parent
    autoencoder = load_autoencoder(run_dir / AUTOENCODER_DIR)
    stats = _read_stats(run_dir)
    diffusion = build_diffusion(int(config["data_shape"][0]), int(config["width"]), int(config["depth"]),
                                config["schedule"], int(config["steps"]),
                                learning_rate=config.get("learning_rate", 1e-3), ema=config.get("ema"),
                                seed=config.get("seed", 0))
    diffusion.restore(ckpt)
    return LatentDiffusion(autoencoder, diffusion, stats["mean"], stats["std"], float(stats["clip"]))
