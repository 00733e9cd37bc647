"""Train an autoencoder or a VAE: the losses, one compiled step, on the shared loop and checkpoint store.

Images are floats in ``[0, 1]`` of shape ``28×28×1`` (``load_mnist(scale="0-1")``); the models are
:mod:`helpers.models.autoencoder`'s.

* :func:`reconstruction_loss`: ``"l2"``, ``"l1"`` or ``"bce"``, summed over the pixels of an image
  and averaged over the batch; :func:`kl_divergence` is the VAE's KL term against ``N(0, I)``.
* :class:`AutoencoderTrainer` runs one compiled gradient step per batch (compiled by
  :mod:`helpers.training.engine`, the only backend-specific code) on :func:`helpers.training.loop.fit`
  (time budget, progress on stderr, guard) and writes checkpoints ``ckpt-<epoch>`` through
  :mod:`helpers.training.checkpoints`, as the GAN trainer does.
* :func:`load_autoencoder` rebuilds a trained model from a run directory.

(About 400 lines, most of them the trainer: its step, encode/decode/sample and its checkpoint files.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import non_negative_int, positive_int, rate_or_schedule
from helpers.data import make_dataset
from helpers.models.autoencoder import ARCHS, build_autoencoder
from helpers.models.shapes import IMAGE_SHAPE
from helpers.training import engine, loop
from helpers.training.checkpoints import (
    assign_arrays,
    read_state,
    run_checkpoint,
    variable_arrays,
    write_checkpoint,
)

LOSSES = ("l2", "l1", "bce")

_PIXELS = int(np.prod(IMAGE_SHAPE))

_BCE_EPS = 1e-7


def _check_loss(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    return loss



def reconstruction_loss(x, x_hat, loss: str = "l2"):
    """``"l2"`` (squared error), ``"l1"`` (absolute error) or ``"bce"`` (binary cross-entropy),
    summed over pixels, batch mean."""
    _check_loss(loss)
    ops = keras.ops
    x = ops.reshape(ops.cast(x, "float32"), (-1, _PIXELS))
    x_hat = ops.reshape(ops.cast(x_hat, "float32"), (-1, _PIXELS))
    if loss == "l2":
        per_pixel = ops.square(x_hat - x)
    elif loss == "l1":
        per_pixel = ops.abs(x_hat - x)
    else:
        p = ops.clip(x_hat, _BCE_EPS, 1.0 - _BCE_EPS)
        per_pixel = -(x * ops.log(p) + (1.0 - x) * ops.log(1.0 - p))
    return ops.mean(ops.sum(per_pixel, axis=1))



def kl_divergence(z_mean, z_log_var):
    """KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), summed over the latent, batch mean."""
    ops = keras.ops
    return ops.mean(-0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1))


#: What an :meth:`AutoencoderTrainer.fit` call did: the GAN trainer's result record (history keys here:
#: epoch, step, loss, reconstruction, kl, seconds, images_per_s).
AutoencoderResult = loop.TrainResult


def _is_real(value) -> bool:
    """A real number, NumPy's included (``np.float32(0.5)`` is a fine noise level), but not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _as_float_images(name: str, x) -> np.ndarray:
    """Validate images in ``[0, 1]`` of shape ``N×28×28`` or ``N×28×28×1``; float32 ``N×28×28×1``."""
    x = given = np.asarray(x)
    if x.dtype == np.uint8:
        raise ValueError(f"{name} must be floats in [0, 1], got uint8; use load_mnist(scale='0-1')")
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE or len(x) < 1:
        raise ValueError(f"{name} must have shape (n, 28, 28) or (n, 28, 28, 1) with n >= 1, got {given.shape}")
    x = x.astype(np.float32)
    lo, hi = float(x.min()), float(x.max())
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < -1e-3 or hi > 1.0 + 1e-3:
        raise ValueError(f"{name} must be floats in [0, 1] (load_mnist(scale='0-1')), "
                         f"got values from {lo:.4g} to {hi:.4g}")
    return x



class AutoencoderTrainer:
    """Trains ``encoder`` + ``decoder`` with Adam on a reconstruction loss (plus the KL term for a VAE).

    ``variational`` is read from the encoder (two outputs: mean and log-variance). ``noise_std > 0``
    trains a denoising autoencoder: the input gets Gaussian noise (clipped to [0, 1]), the target
    stays clean. ``beta`` weights the VAE's KL term.

    ``strategy`` (TensorFlow backend): a ``tf.distribute.Strategy`` whose ``scope()`` built both
    models; each batch is split over its replicas, with the step's random draws (the denoiser's noise,
    the VAE's ε) made once for the whole batch, so a step computes the global-batch gradient one device
    would. On JAX, use a Keras distribution instead (see :func:`helpers.training.engine.compile_stateful`).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        *,
        loss: str = "l2",
        learning_rate=1e-3,
        beta: float = 1.0,
        noise_std: float = 0.0,
        arch: str | None = None,
        seed: int = 0,
        strategy=None,
    ):
        self.loss = _check_loss(loss)
        if not (_is_real(beta) and math.isfinite(beta) and beta >= 0):
            raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
        if not (_is_real(noise_std) and 0 <= noise_std < math.inf):
            raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std!r}")
        if arch is not None and arch not in ARCHS:
            raise ValueError(f"arch must be one of {', '.join(ARCHS)} (or None), got {arch!r}")
        #: the ``tf.distribute.Strategy`` the steps run under (``None``: one device, or a Keras distribution).
        self.strategy = engine.check_strategy(strategy, (encoder, decoder))
        self.encoder, self.decoder = encoder, decoder
        self.variational = len(encoder.outputs) == 2
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        enc_latent = int(encoder.outputs[0].shape[-1])
        if enc_latent != self.latent_dim:
            raise ValueError(f"encoder gives latent size {enc_latent} but decoder takes {self.latent_dim}")
        self.beta, self.noise_std, self.arch, self.seed = float(beta), float(noise_std), arch, int(seed)
        with engine.strategy_scope(self.strategy):  # the trainer's own variables live where the models' do
            self.optimizer = keras.optimizers.Adam(rate_or_schedule("learning_rate", learning_rate))
            self._noise_seed = keras.random.SeedGenerator(seed)
        self._compiled: Callable | None = None
        self.epoch = 0
        self.step = 0

    @property
    def variables(self) -> list:
        """The trainable variables of the encoder and the decoder."""
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    def _state_variables(self) -> list:
        """Every variable a training step reads or assigns (models, optimizer, noise seed)."""
        found = [*self.encoder.variables, *self.decoder.variables, *self.optimizer.variables, self._noise_seed.state]
        return list({id(v): v for v in found}.values())

    # ----------------------------------------------------------------- the step

    def _draws(self, x) -> dict:
        """The random numbers a step on batch ``x`` uses: the denoiser's input noise, the VAE's ε (as needed)."""
        ops = keras.ops
        draws = {}
        if self.noise_std > 0:
            draws["noise"] = keras.random.normal(ops.shape(x), stddev=self.noise_std, seed=self._noise_seed)
        if self.variational:
            draws["eps"] = keras.random.normal((ops.shape(x)[0], self.latent_dim), seed=self._noise_seed)
        return draws

    def _losses(self, x, training: bool, draws: dict | None = None):
        ops = keras.ops
        draws = self._draws(x) if draws is None else draws
        x_in = x
        if self.noise_std > 0:
            x_in = ops.clip(x + draws["noise"], 0.0, 1.0)
        if self.variational:
            z_mean, z_log_var = self.encoder(x_in, training=training)
            # the reparameterisation: z is differentiable in μ and σ
            z = z_mean + ops.exp(0.5 * z_log_var) * draws["eps"]
            kl = kl_divergence(z_mean, z_log_var)
        else:
            z = self.encoder(x_in, training=training)
            kl = ops.zeros(())
        rec = reconstruction_loss(x, self.decoder(z, training=training), self.loss)
        return rec + self.beta * kl, rec, kl

    def train_step(self, x) -> dict[str, float]:
        """One Adam step on a batch of images in ``[0, 1]``; returns loss, reconstruction and kl (floats)."""
        return {k: float(v) for k, v in self.run_step(x).items()}

    def run_step(self, x) -> dict:
        """:meth:`train_step` with the losses left as backend scalars (not copied to the host)."""
        if self._compiled is None:
            self._build_optimizer()  # its slots exist before the step is compiled (JAX traces a pure function)
            self._compiled = engine.compile_stateful(self._step, IMAGE_SHAPE, self._state_variables())
        x = keras.ops.reshape(keras.ops.cast(x, "float32"), (-1, *IMAGE_SHAPE))
        engine.check_split(int(x.shape[0]), engine.batch_splits(self.strategy))
        out = self._compiled(x)
        self.step += 1
        return dict(out)

    def _build_optimizer(self) -> None:
        if not self.optimizer.built:  # under a strategy, its slots are mirrored like the weights
            with engine.strategy_scope(self.strategy):
                self.optimizer.build(self.variables)

    def _step(self, x):
        draws = self._draws(x)  # for the whole batch (under a strategy, each replica takes its slice)
        names = list(draws)
        return engine.replicated(self.strategy, lambda x, *d: self._update(x, dict(zip(names, d))),
                                 (x, *draws.values()))

    def _update(self, x, draws: dict):
        # _values_and_grads pairs losses with variable lists: only the total (the first) is differentiated.
        (total, rec, kl), (grads,) = engine.values_and_grads(lambda: self._losses(x, True, draws), [self.variables])
        self.optimizer.apply_gradients(zip(grads, self.variables))
        return {"loss": total, "reconstruction": rec, "kl": kl}

    # ----------------------------------------------------------------- use

    def encode(self, x, batch_size: int = 1000) -> np.ndarray:
        """Latent codes of images in ``[0, 1]`` (a VAE's posterior MEAN); ``N×latent_dim``."""
        x = _as_float_images("images", x)
        batch_size = positive_int("batch_size", batch_size)
        out = []
        for i in range(0, len(x), batch_size):
            z = self.encoder(x[i:i + batch_size], training=False)
            out.append(keras.ops.convert_to_numpy(z[0] if self.variational else z))
        return np.concatenate(out)

    def decode(self, z, batch_size: int = 1000) -> np.ndarray:
        """Images (float32 ``N×28×28×1`` in ``[0, 1]``) the decoder makes from latent codes ``z`` (``N×latent_dim``)."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) < 1:
            raise ValueError(f"z must have shape (n, {self.latent_dim}) with n >= 1, got {np.shape(z)}")
        if not np.all(np.isfinite(z)):
            raise ValueError(f"z must be finite, got {int(np.sum(~np.isfinite(z)))} NaN or inf values")
        batch_size = positive_int("batch_size", batch_size)
        return np.concatenate([keras.ops.convert_to_numpy(self.decoder(z[i:i + batch_size], training=False))
                               for i in range(0, len(z), batch_size)])

    def reconstruct(self, x, batch_size: int = 1000) -> np.ndarray:
        """``decode(encode(x))``: reconstructions of images in ``[0, 1]``, float32 ``N×28×28×1``."""
        return self.decode(self.encode(x, batch_size), batch_size)

    def sample(self, n: int = 64, seed: int = 0) -> np.ndarray:
        """Decode ``n`` draws from the prior ``N(0, I)`` (meaningful for a VAE; an autoencoder never trained for it)."""
        n = positive_int("n", n)
        seed = non_negative_int("seed", seed)
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return self.decode(z)

    def evaluate(self, x, batch_size: int = 1000) -> dict[str, float]:
        """The loss terms on images ``x`` without updating (with one draw of a VAE's z and of the denoiser's noise);
        floats."""
        x = _as_float_images("images", x)
        batch_size = positive_int("batch_size", batch_size)
        sums = np.zeros(3)
        for i in range(0, len(x), batch_size):
            b = x[i:i + batch_size]
            sums += len(b) * np.array([float(v) for v in self._losses(keras.ops.convert_to_tensor(b), False)])
        total, rec, kl = sums / len(x)
        return {"loss": total, "reconstruction": rec, "kl": kl}

    # ----------------------------------------------------------------- checkpoints

    def config(self) -> dict:
        """A JSON-ready description of the models and training settings (saved with every checkpoint)."""
        return {
            "kind": "autoencoder",
            "arch": self.arch,
            "encoder": self.encoder.name,
            "decoder": self.decoder.name,
            "latent_dim": self.latent_dim,
            "variational": self.variational,
            "loss": self.loss,
            "beta": self.beta,
            "noise_std": self.noise_std,
            "learning_rate": float(keras.ops.convert_to_numpy(self.optimizer.learning_rate)),
            "params": int(self.encoder.count_params() + self.decoder.count_params()),
            "seed": self.seed,
            "backend": keras.backend.backend(),
        }

    def save_checkpoint(self, out_dir: str | os.PathLike, extra: dict | None = None) -> Path:
        """Write ``out_dir/ckpt-<epoch>`` atomically (temporary folder, then rename); return its path."""
        arrays = variable_arrays("opt", self.optimizer.variables)
        arrays["noise_state"] = keras.ops.convert_to_numpy(self._noise_seed.state)
        weights = {"encoder.weights.h5": self.encoder, "decoder.weights.h5": self.decoder}
        return write_checkpoint(out_dir, self, weights=weights, arrays={"optimizer.npz": arrays}, extra=extra)

    def restore(self, checkpoint: str | os.PathLike) -> dict:
        """Load weights, optimizer state and counters from a checkpoint folder; return its state."""
        checkpoint = Path(checkpoint)
        state = read_state(checkpoint)
        saved, mine = state.get("config", {}), self.config()
        for key in ("encoder", "decoder", "latent_dim", "variational"):
            if key in saved and saved[key] != mine[key]:
                raise ValueError(
                    f"checkpoint {checkpoint} holds {key}={saved[key]!r}, but this trainer has {mine[key]!r}"
                )
        self.encoder.load_weights(checkpoint / "encoder.weights.h5")
        self.decoder.load_weights(checkpoint / "decoder.weights.h5")
        opt_path = checkpoint / "optimizer.npz"
        if opt_path.is_file():
            self._build_optimizer()
            with np.load(opt_path) as npz:
                assign_arrays(npz, "opt", self.optimizer.variables)
                if "noise_state" in npz.files:
                    self._noise_seed.state.assign(npz["noise_state"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        return state

    # ----------------------------------------------------------------- the loop

    def fit(
        self,
        data,
        epochs: int,
        *,
        batch_size: int = 128,
        out_dir: str | os.PathLike | None = None,
        keep_last: int | None = 1,
        resume: bool = True,
        time_budget_s: float | None = None,
        verbose: bool = True,
    ) -> AutoencoderResult:
        """Train until ``epochs`` epochs are done in total (counting resumed ones); checkpoint at the end.

        ``data``: images in ``[0, 1]``, ``(n, 28, 28[, 1])``, or a ``tf.data`` dataset of such batches.
        With ``out_dir``: resume from its latest checkpoint when ``resume``, save when training
        stops, keep the ``keep_last`` newest. ``time_budget_s``: stop after the epoch that crosses it.
        A non-finite loss raises :class:`helpers.training.loop.DivergenceError`.
        """
        positive_int("epochs", epochs)
        splits = engine.check_batch_size(batch_size, self.strategy)  # > 1 when batches are split over devices
        positive_int("keep_last", keep_last, allow_none=True)
        loop.check_time_budget(time_budget_s)
        if isinstance(data, np.ndarray):
            dataset = make_dataset(_as_float_images("data", data), batch_size=batch_size, seed=self.seed,
                                   drop_remainder=splits > 1)
        elif hasattr(data, "element_spec") and hasattr(data, "__iter__"):
            dataset = data
        else:
            raise TypeError("data must be a NumPy array of images in [0, 1] or a tf.data.Dataset, "
                            f"got {type(data).__name__}")

        return loop.fit(self, lambda: dataset, epochs, out_dir=out_dir, keep_last=keep_last, resume=resume,
                        time_budget_s=time_budget_s, verbose=verbose)

    #: what :func:`helpers.training.loop.fit` keeps of each step, averaged over an epoch's images.
    LOSS_KEYS = ("loss", "reconstruction", "kl")
    #: settings a resumed run may change (they take effect; the loop reports them)
    CHANGEABLE_ON_RESUME = ("learning_rate", "loss", "beta", "noise_std")
    MEAN_OVER_IMAGES = True

    @property
    def models(self) -> tuple:
        """The models whose weights a checkpoint holds."""
        return (self.encoder, self.decoder)

    def progress(self, log: dict) -> str:
        """The losses on the progress line of an epoch (the KL term for a VAE)."""
        return f"loss {log['loss']:.4f}" + (f"  kl {log['kl']:.3f}" if self.variational else "")


def train_autoencoder(
    arch: str = "conv",
    data=None,
    epochs: int = 1,
    *,
    latent_dim: int = 32,
    loss: str = "l2",
    variational: bool = False,
    learning_rate=1e-3,
    beta: float = 1.0,
    noise_std: float = 0.0,
    seed: int = 0,
    **fit_kwargs,
) -> tuple[AutoencoderTrainer, AutoencoderResult]:
    """Build ``arch`` (seeded), train it on ``data`` (images in [0, 1]) and return ``(trainer, result)``."""
    if data is None:
        raise ValueError("data must be images in [0, 1] (e.g. load_mnist(scale='0-1')[0][0]) or a tf.data dataset, "
                         "got None")
    _check_loss(loss)
    keras.utils.set_random_seed(seed)
    encoder, decoder = build_autoencoder(arch, latent_dim, variational)
    trainer = AutoencoderTrainer(encoder, decoder, loss=loss, learning_rate=learning_rate, beta=beta,
                                 noise_std=noise_std, arch=arch, seed=seed)
    return trainer, trainer.fit(data, epochs, **fit_kwargs)



def load_autoencoder(run: str | os.PathLike) -> AutoencoderTrainer:
    """Rebuild the autoencoder saved in a run directory (its latest checkpoint) or in one checkpoint folder."""
    ckpt = run_checkpoint(run)
    config = read_state(ckpt).get("config", {})
    if config.get("kind") != "autoencoder" or config.get("arch") not in ARCHS:
        raise ValueError(f"checkpoint {ckpt} is not an autoencoder of arch {', '.join(ARCHS)} "
                         f"(kind={config.get('kind')!r}, arch={config.get('arch')!r})")
    encoder, decoder = build_autoencoder(config["arch"], int(config["latent_dim"]), bool(config["variational"]))
    trainer = AutoencoderTrainer(encoder, decoder, loss=config.get("loss", "l2"), beta=config.get("beta", 1.0),
                                 noise_std=config.get("noise_std", 0.0), arch=config["arch"],
                                 learning_rate=config.get("learning_rate", 1e-3), seed=config.get("seed", 0))
    trainer.restore(ckpt)
    return trainer
