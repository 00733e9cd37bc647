"""Train a denoising diffusion model (Ho et al. 2020) on MNIST, on the shared loop and checkpoint store.

Images are floats in ``[-1, 1]`` of shape ``28×28×1`` (``load_mnist(scale="-1-1")``, as for the GANs); the
network is :func:`helpers.models.score.build_unet`, ``ε̂(xₜ, t/T)``; the schedule is
:mod:`helpers.maths.diffusion`'s.

* :func:`noise_prediction_loss`: Ho et al.'s simple loss, the mean of (ε̂(√ᾱₜ x₀ + √(1 − ᾱₜ) ε, t) − ε)².
* :class:`DiffusionTrainer`: one compiled step per batch (t uniform in 1 … T and ε drawn inside it, the moving
  average of the weights updated there too), on :func:`helpers.training.loop.fit` (time budget, progress, guard,
  Ctrl-C saves), checkpoints ``ckpt-<epoch>`` through :mod:`helpers.training.checkpoints`; :meth:`~DiffusionTrainer.
  sample` runs DDIM's deterministic sampler from seeded noise.
* :func:`train_diffusion` builds and trains one; :func:`load_diffusion` rebuilds a trained one from a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import count, non_negative_int, positive_int, rate_or_schedule, values_in
from helpers.data import make_dataset
from helpers.maths.diffusion import SCHEDULES, NoiseSchedule, ddim_sample, make_schedule
from helpers.models.score import build_unet
from helpers.models.shapes import IMAGE_SHAPE
from helpers.training import engine, loop
from helpers.training.checkpoints import (
    assign_arrays,
    read_state,
    run_checkpoint,
    variable_arrays,
    write_checkpoint,
)
from helpers.training.sampling import to_uint8

EMA_FILE = "unet_ema.weights.h5"
#: DDIM steps :meth:`DiffusionTrainer.sample` takes unless told otherwise
SAMPLE_STEPS = 25


def noise_prediction_loss(model: keras.Model, x0, t, eps, alpha_bars, steps: int, training: bool = False):
    """The mean over pixels and images of ``(model([xₜ, t/T]) − ε)²`` with ``xₜ = √ᾱₜ x₀ + √(1 − ᾱₜ) ε``;
    ``t`` integers (n,) in 1 … T, ``alpha_bars`` the schedule's ᾱ (length T + 1)."""
    ops = keras.ops
    ab = ops.take(ops.convert_to_tensor(alpha_bars, "float32"), t)
    ab = ops.reshape(ab, (-1,) + (1,) * (len(ops.shape(x0)) - 1))  # one ᾱₜ per example, any example shape
    x_t = ops.sqrt(ab) * x0 + ops.sqrt(1.0 - ab) * eps
    time = ops.reshape(ops.cast(t, "float32") / float(steps), (-1, 1))
    return ops.mean(ops.square(model([x_t, time], training=training) - eps))


class DiffusionTrainer:
    """Trains ``model`` (ε̂(xₜ, t/T)) with Adam on :func:`noise_prediction_loss` under ``schedule``.

    ``ema``: keep an exponential moving average of the weights with this decay (warm-up
    ``min(ema, (1+t)/(10+t))``, as the GAN trainer's); :attr:`sampler` is it when kept. One device (or a Keras
    distribution on JAX, see :func:`helpers.training.engine.compile_stateful`).
    """

    def __init__(self, model: keras.Model, schedule: NoiseSchedule | None = None, *, learning_rate=1e-3,
                 ema: float | None = 0.999, width: int | None = None, depth: int | None = None, seed: int = 0):
        self.schedule = make_schedule() if schedule is None else schedule
        if not isinstance(self.schedule, NoiseSchedule):
            raise TypeError(f"schedule must be a helpers.maths.diffusion.NoiseSchedule, got {type(schedule).__name__}")
        if ema is not None and (isinstance(ema, bool) or not isinstance(ema, (int, float)) or not 0.0 < ema < 1.0):
            raise ValueError(f"ema must be a decay in (0, 1), e.g. 0.999 (or None for no average), got {ema!r}")
        self.model, self.ema, self.width, self.seed = model, None if ema is None else float(ema), width, int(seed)
        self.depth = depth
        #: the shape of one example the network denoises: an image's (28, 28, 1), or a latent vector's (d,)
        self.data_shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        self.optimizer = keras.optimizers.Adam(rate_or_schedule("learning_rate", learning_rate))
        self._noise_seed = keras.random.SeedGenerator(seed)
        #: the moving average of the weights (``None`` without ``ema``)
        self.ema_model = None
        if self.ema is not None:
            self.ema_model = keras.models.clone_model(model)
            self.ema_model.set_weights(model.get_weights())
        self._compiled: Callable | None = None
        self.epoch = 0
        self.step = 0

    @property
    def sampler(self) -> keras.Model:
        """The network to sample with: the moving average when kept, else the trained weights."""
        return self.ema_model if self.ema_model is not None else self.model

    def _state_variables(self) -> list:
        found = [*self.model.variables, *self.optimizer.variables, self._noise_seed.state]
        if self.ema_model is not None:
            found += self.ema_model.variables
        return list({id(v): v for v in found}.values())

    # ----------------------------------------------------------------- the step

    def _step(self, x0):
        ops = keras.ops
        n, steps = ops.shape(x0)[0], self.schedule.steps
        t = keras.random.randint((n,), 1, steps + 1, seed=self._noise_seed)
        eps = keras.random.normal(ops.shape(x0), seed=self._noise_seed)
        variables = self.model.trainable_variables
        (loss,), (grads,) = engine.values_and_grads(
            lambda: (noise_prediction_loss(self.model, x0, t, eps, self.schedule.alpha_bars, steps, True),),
            [variables])
        self.optimizer.apply_gradients(zip(grads, variables))
        if self.ema_model is not None:
            k = ops.cast(self.optimizer.iterations, "float32")
            decay = ops.minimum(self.ema, (1.0 + k) / (10.0 + k))
            for avg, current in zip(self.ema_model.weights, self.model.weights):
                avg.assign(decay * avg + (1.0 - decay) * ops.cast(current, avg.dtype))
        return {"loss": loss}

    def train_step(self, x0) -> dict[str, float]:
        """One Adam step on a batch of images in ``[-1, 1]``; the loss as a float."""
        return {k: float(v) for k, v in self.run_step(x0).items()}

    def run_step(self, x0) -> dict:
        """:meth:`train_step` with the loss left a backend scalar (not copied to the host)."""
        if self._compiled is None:
            if not self.optimizer.built:
                self.optimizer.build(self.model.trainable_variables)
            self._compiled = engine.compile_stateful(self._step, self.data_shape, self._state_variables())
        out = self._compiled(keras.ops.reshape(keras.ops.cast(x0, "float32"), (-1, *self.data_shape)))
        self.step += 1
        return dict(out)

    # ----------------------------------------------------------------- use

    def predict_noise(self, x_t, t: int, batch_size: int = 500, model: keras.Model | None = None) -> np.ndarray:
        """ε̂(xₜ, t) for images ``x_t`` (n, 28, 28, 1) at one time ``t`` (the :attr:`sampler` unless ``model``)."""
        model = self.sampler if model is None else model
        x_t = np.asarray(x_t, dtype=np.float32)
        time = np.full((len(x_t), 1), t / self.schedule.steps, dtype=np.float32)
        return np.concatenate([keras.ops.convert_to_numpy(model([x_t[i:i + batch_size], time[i:i + batch_size]],
                                                                training=False))
                               for i in range(0, len(x_t), batch_size)])

    def sample(self, n: int = 64, seed: int = 0, steps: int = SAMPLE_STEPS, batch_size: int = 500,
               as_uint8: bool = True) -> np.ndarray:
        """``n`` images by DDIM in ``steps`` deterministic steps from noise seeded by ``seed``: uint8 ``(n, 28, 28)``
        (or floats in [-1, 1], ``(n, 28, 28, 1)``, with ``as_uint8=False``). The same seed gives the same images."""
        n, seed = positive_int("n", n), non_negative_int("seed", seed)
        steps = count("steps", steps, 1, self.schedule.steps)
        batch_size = positive_int("batch_size", batch_size)
        if self.data_shape != IMAGE_SHAPE:
            raise ValueError(f"sample makes images; this model denoises vectors of shape {self.data_shape} "
                             "(use helpers.training.latent_diffusion.LatentDiffusion.sample)")
        x_T = np.random.default_rng(seed).standard_normal((n, *IMAGE_SHAPE)).astype(np.float32)
        x0 = ddim_sample(lambda x, t: self.predict_noise(x, t, batch_size), x_T, self.schedule, steps)
        x0 = np.clip(x0, -1.0, 1.0).astype(np.float32)
        return to_uint8(x0) if as_uint8 else x0

    # ----------------------------------------------------------------- checkpoints

    def config(self) -> dict:
        """A JSON-ready description of the network, schedule and settings (saved with every checkpoint)."""
        return {
            "kind": "diffusion",
            "model": self.model.name,
            "params": int(self.model.count_params()),
            "width": self.width,
            "depth": self.depth,
            "data_shape": list(self.data_shape),
            "schedule": self.schedule.name,
            "steps": self.schedule.steps,
            "learning_rate": float(keras.ops.convert_to_numpy(self.optimizer.learning_rate)),
            "ema": self.ema,
            "seed": self.seed,
            "backend": keras.backend.backend(),
        }

    def save_checkpoint(self, out_dir: str | os.PathLike, extra: dict | None = None) -> Path:
        """Write ``out_dir/ckpt-<epoch>`` atomically (temporary folder, then rename); return its path."""
        weights = {"unet.weights.h5": self.model}
        if self.ema_model is not None:
            weights[EMA_FILE] = self.ema_model
        arrays = variable_arrays("opt", self.optimizer.variables)
        arrays["noise_state"] = keras.ops.convert_to_numpy(self._noise_seed.state)
        return write_checkpoint(out_dir, self, weights=weights, arrays={"optimizer.npz": arrays}, extra=extra)

    def restore(self, checkpoint: str | os.PathLike) -> dict:
        """Load weights, the average, optimizer state and counters from a checkpoint folder; return its state."""
        checkpoint = Path(checkpoint)
        state = read_state(checkpoint)
        saved, mine = state.get("config", {}), self.config()
        for key in ("kind", "model", "params", "schedule", "steps"):
            if key in saved and saved[key] != mine[key]:
                raise ValueError(f"checkpoint {checkpoint} holds {key}={saved[key]!r}, but this trainer has "
                                 f"{mine[key]!r}")
        self.model.load_weights(checkpoint / "unet.weights.h5")
        if self.ema_model is not None:
            if (checkpoint / EMA_FILE).is_file():
                self.ema_model.load_weights(checkpoint / EMA_FILE)
            else:  # saved without an average: start it from the saved weights
                self.ema_model.set_weights(self.model.get_weights())
        opt_path = checkpoint / "optimizer.npz"
        if opt_path.is_file():
            if not self.optimizer.built:
                self.optimizer.build(self.model.trainable_variables)
            with np.load(opt_path) as npz:
                assign_arrays(npz, "opt", self.optimizer.variables)
                if "noise_state" in npz.files:
                    self._noise_seed.state.assign(npz["noise_state"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        return state

    # ----------------------------------------------------------------- the loop

    #: what :func:`helpers.training.loop.fit` keeps of each step, averaged over an epoch's steps
    LOSS_KEYS = ("loss",)
    #: settings a resumed run may change (they take effect; the loop reports them)
    CHANGEABLE_ON_RESUME = ("learning_rate", "ema")
    MEAN_OVER_IMAGES = False

    @property
    def models(self) -> tuple:
        """The models whose weights a checkpoint holds (the average too, when kept)."""
        return (self.model, *filter(None, [self.ema_model]))

    def progress(self, log: dict) -> str:
        """The loss on the progress line of an epoch."""
        return f"loss {log['loss']:.4f}"

    def fit(self, data, epochs: int, *, batch_size: int = 128, out_dir: str | os.PathLike | None = None,
            checkpoint_every: int | None = None, keep_last: int | None = 3, resume: bool = True,
            time_budget_s: float | None = None, callbacks: list | None = None,
            verbose: bool = True) -> loop.TrainResult:
        """Train until ``epochs`` epochs are done in total (counting resumed ones), with
        :func:`helpers.training.loop.fit`: ``data`` images in ``[-1, 1]``, ``(n, 28, 28[, 1])``, or a ``tf.data``
        dataset of such batches; the other arguments as :meth:`helpers.training.gan.GANTrainer.fit`'s."""
        positive_int("epochs", epochs)
        positive_int("batch_size", batch_size)
        if isinstance(data, np.ndarray) and self.data_shape != IMAGE_SHAPE:  # latent vectors, say
            if data.shape[1:] != self.data_shape or len(data) < 1 or not np.all(np.isfinite(data)):
                raise ValueError(f"data must be finite floats of shape (n, {', '.join(map(str, self.data_shape))}) "
                                 f"with n >= 1, got {data.shape}")
            vectors = data.astype(np.float32)

            def dataset():
                return make_dataset(vectors, batch_size=batch_size, seed=self.seed + 7919 * self.epoch)
        elif isinstance(data, np.ndarray):
            if data.dtype == np.uint8:
                raise ValueError("images must be floats in [-1, 1], got uint8; use load_mnist(scale='-1-1')")
            if data.ndim not in (3, 4) or data.shape[1:3] != IMAGE_SHAPE[:2] or len(data) < 1:
                raise ValueError(f"images must have shape (n, 28, 28) or (n, 28, 28, 1) with n >= 1, got {data.shape}")
            images = values_in("images", data, -1.0, 1.0, " (use load_mnist(scale='-1-1'))").astype(np.float32)

            def dataset():  # a resumed run shuffles on from a new seed
                return make_dataset(images, batch_size=batch_size, seed=self.seed + 7919 * self.epoch)
        elif hasattr(data, "element_spec") and hasattr(data, "__iter__"):
            def dataset():
                return data
        else:
            raise TypeError(f"data must be a NumPy array of images in [-1, 1] or a tf.data.Dataset, "
                            f"got {type(data).__name__}")
        return loop.fit(self, dataset, epochs, out_dir=out_dir, checkpoint_every=checkpoint_every,
                        keep_last=keep_last, resume=resume, time_budget_s=time_budget_s, callbacks=callbacks,
                        verbose=verbose)


def build_trainer(width: int = 32, schedule: str = "cosine", steps: int = 1000, *, learning_rate=1e-3,
                  ema: float | None = 0.999, seed: int = 0) -> DiffusionTrainer:
    """A seeded U-Net of ``width`` and its trainer under the named schedule of ``steps`` steps."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    keras.utils.set_random_seed(seed)
    return DiffusionTrainer(build_unet(width), make_schedule(schedule, steps), learning_rate=learning_rate, ema=ema,
                            width=width, seed=seed)


def train_diffusion(data, epochs: int = 1, *, width: int = 32, schedule: str = "cosine", steps: int = 1000,
                    learning_rate=1e-3, ema: float | None = 0.999, seed: int = 0,
                    **fit_kwargs) -> tuple[DiffusionTrainer, loop.TrainResult]:
    """Build a U-Net (seeded), train it on ``data`` (images in [-1, 1]); return ``(trainer, result)``."""
    trainer = build_trainer(width, schedule, steps, learning_rate=learning_rate, ema=ema, seed=seed)
    return trainer, trainer.fit(data, epochs, **fit_kwargs)


def load_diffusion(run: str | os.PathLike) -> DiffusionTrainer:
    """Rebuild the diffusion model saved in a run directory (its latest checkpoint) or in one checkpoint folder."""
    ckpt = run_checkpoint(run)
    config = read_state(ckpt).get("config", {})
    if config.get("model") == "latent_denoiser":
        raise ValueError(f"checkpoint {ckpt} is a latent diffusion model: load it with "
                         "helpers.training.latent_diffusion.load_latent_diffusion")
    if config.get("kind") != "diffusion" or config.get("schedule") not in SCHEDULES or not config.get("width"):
        raise ValueError(f"checkpoint {ckpt} is not a diffusion model (kind={config.get('kind')!r}, "
                         f"schedule={config.get('schedule')!r}, width={config.get('width')!r})")
    trainer = build_trainer(int(config["width"]), config["schedule"], int(config["steps"]),
                            learning_rate=config.get("learning_rate", 1e-3), ema=config.get("ema"),
                            seed=config.get("seed", 0))
    trainer.restore(ckpt)
    return trainer
