"""Train a GAN: one compiled gradient step for both players, on the shared loop and checkpoint store.

The update itself is :meth:`GANTrainer.train_step` (two losses, two gradients, two optimizers),
compiled by :mod:`helpers.training.engine` for the TensorFlow or the JAX backend. The epoch loop,
resume, time budget, divergence guard and checkpoints are :func:`helpers.training.loop.fit` and
:mod:`helpers.training.checkpoints`, shared with the autoencoder's trainer.

A GAN checkpoint ``ckpt-<epoch>`` holds ``generator.weights.h5``, ``discriminator.weights.h5``,
``generator_ema.weights.h5`` (when the trainer keeps an exponential moving average of the
generator), ``optimizers.npz`` (optimizer and noise state) and ``state.json`` (epoch, step, config).

(About 400 lines, nearly all one class: its step variants, the moving average and its checkpoint files
are read together.)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import positive_int, rate_or_schedule, values_in
from helpers.data import make_dataset
from helpers.maths import schedules
from helpers.models.gan import build_gan
from helpers.training import engine, loop
from helpers.training.checkpoints import assign_arrays, read_state, variable_arrays, write_checkpoint
from helpers.training.sampling import GRID_SIZE, generate, latent_dim_of

EMA_FILE = "generator_ema.weights.h5"
UPDATES = ("simultaneous", "alternating")


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy on logits: real images labelled 1, generated ones 0 (sum of the two means)."""
    ops = keras.ops
    real = keras.losses.binary_crossentropy(ops.ones_like(real_logits), real_logits, from_logits=True)
    fake = keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True)
    return ops.mean(real) + ops.mean(fake)


def generator_loss(fake_logits):
    """The NON-saturating generator loss: cross-entropy of generated images against label 1, −log D(G(z))."""
    ops = keras.ops
    return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True))


class SampleGrid:
    """Epoch callback that keeps the fixed-noise 8×8 grid (uint8 ``(64, 28, 28)``) after every epoch."""

    def __init__(self):
        self.grids: dict[int, np.ndarray] = {}

    def __call__(self, trainer: GANTrainer, log: dict) -> None:
        self.grids[log["epoch"]] = trainer.sample_grid()


class GANTrainer:
    """Trains ``generator`` against ``discriminator`` with separate Adam optimizers (2e-4, β₁ 0.5 by default).

    ``update="simultaneous"`` (default, TensorFlow's tutorial): both players' gradients are computed
    at the same point, from one forward pass, then both are applied. ``"alternating"``: D steps first,
    then G's gradient is computed through the **updated** D, on the same fakes (as PyTorch's DCGAN
    example does): G runs once per step either way, D once more on the fakes, so an alternating step
    costs only that extra pass of D more than a simultaneous one.

    ``ema``: keep an exponential moving average of the generator's weights with this decay (e.g.
    0.999), updated after every generator step (with the usual warm-up ``min(ema, (1+t)/(10+t))``
    so that early averages are not dominated by the random start). The average is a second
    generator, :attr:`ema_generator`; :attr:`sampler` (used for sample grids) is it when set.
    Averaging the iterates damps the rotation of the two players around the equilibrium and
    usually gives cleaner samples at no cost to training.

    ``anneal``: both learning rates follow a half cosine from their given values down to ``anneal``
    times them (0 to 1; ``None`` keeps them constant) over the run, as far as :meth:`set_progress`
    says it has gone: :func:`helpers.training.loop.fit` calls it with the larger of the epochs done
    over the epochs asked for and the time used over the time budget, so a run with a time budget
    ends at the bottom of the cosine whatever the machine's speed.

    ``strategy`` (TensorFlow backend): a ``tf.distribute.Strategy`` such as
    ``tf.distribute.MirroredStrategy()`` whose ``scope()`` built both models; every batch is split
    over its replicas, with the noise drawn once for the whole batch and BatchNorm statistics
    synchronized, so a step computes the global-batch gradient one device would (Dropout masks are
    drawn per replica, so they differ). On JAX, use a Keras distribution instead (see
    :func:`helpers.training.engine.compile_stateful`).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        *,
        g_learning_rate=2e-4,
        d_learning_rate=2e-4,
        beta_1: float = 0.5,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        update: str = "simultaneous",
        ema: float | None = None,
        anneal: float | None = None,
        seed: int = 0,
        strategy=None,
    ):
        if update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {update!r}")
        if not 0.0 <= beta_1 < 1.0:
            raise ValueError(f"beta_1 must be in [0, 1), got {beta_1!r}")
        if ema is not None and (isinstance(ema, bool) or not isinstance(ema, (int, float)) or not 0.0 < ema < 1.0):
            raise ValueError(f"ema must be a decay in (0, 1), e.g. 0.999 (or None for no average), got {ema!r}")
        if anneal is not None and (isinstance(anneal, bool) or not isinstance(anneal, (int, float))
                                   or not 0.0 <= anneal <= 1.0):
            raise ValueError(f"anneal must be the last learning rate as a fraction of the first, in [0, 1] "
                             f"(or None for constant rates), got {anneal!r}")
        #: the ``tf.distribute.Strategy`` the steps run under (``None``: one device, or a Keras distribution).
        self.strategy = engine.check_strategy(strategy, (generator, discriminator))
        self.generator = generator
        self.discriminator = discriminator
        self.ema = None if ema is None else float(ema)
        #: the moving average of the generator's weights (``None`` without ``ema``).
        self.ema_generator = None
        self.latent_dim = latent_dim_of(generator)
        self.update = update
        self.seed = int(seed)
        with engine.strategy_scope(self.strategy):  # the trainer's own variables live where the models' do
            if self.ema is not None:
                self.ema_generator = keras.models.clone_model(generator)
                self.ema_generator.set_weights(generator.get_weights())
            self.g_optimizer = g_optimizer or keras.optimizers.Adam(
                rate_or_schedule("g_learning_rate", g_learning_rate), beta_1=beta_1)
            self.d_optimizer = d_optimizer or keras.optimizers.Adam(
                rate_or_schedule("d_learning_rate", d_learning_rate), beta_1=beta_1)
            self.anneal = None if anneal is None else float(anneal)
            self._start_rates = self._rates_to_anneal()
            self.g_optimizer.build(generator.trainable_variables)
            self.d_optimizer.build(discriminator.trainable_variables)
            self._noise_seed = keras.random.SeedGenerator(self.seed)
        #: the fixed noise behind :meth:`sample_grid` (same every epoch, so grids compare).
        self.fixed_noise = np.random.default_rng(self.seed).standard_normal(
            (GRID_SIZE, self.latent_dim)).astype(np.float32)
        self.epoch = 0
        self.step = 0
        self._image_shape = tuple(discriminator.inputs[0].shape[1:])
        self._compiled: dict[tuple[bool, str], Callable] = {}

    def _rates_to_anneal(self) -> tuple[float, float] | None:
        """Both optimizers' constant learning rates when annealing (a schedule cannot be annealed as well)."""
        if self.anneal is None:
            return None
        for name, opt in (("g_learning_rate", self.g_optimizer), ("d_learning_rate", self.d_optimizer)):
            if isinstance(opt._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
                raise ValueError(f"anneal sets the learning rates as the run goes; {name} is already a schedule "
                                 f"({type(opt._learning_rate).__name__}): give a number, or anneal=None")
        return (float(keras.ops.convert_to_numpy(self.g_optimizer.learning_rate)),
                float(keras.ops.convert_to_numpy(self.d_optimizer.learning_rate)))

    def set_progress(self, fraction: float) -> None:
        """How far the run is, 0 (start) to 1 (end): with ``anneal``, both learning rates are set to their place
        on the half cosine (without it, nothing changes)."""
        if self._start_rates is None:
            return
        scale = schedules.CosineDecay(1.0, 1, alpha=self.anneal)(min(1.0, max(0.0, float(fraction))))
        for opt, rate in zip((self.g_optimizer, self.d_optimizer), self._start_rates):
            opt.learning_rate = rate * scale

    # ----------------------------------------------------------------- the step

    def _train_step(self, real, update_generator: bool = True):
        ops = keras.ops
        batch = ops.shape(real)[0]  # the real batch's size: the last, smaller batch works too
        # the noise is drawn for the whole batch (under a strategy, each replica then takes its slice)
        z = keras.random.normal((batch, self.latent_dim), seed=self._noise_seed)
        if not update_generator:
            return engine.replicated(self.strategy, self._step_d, (real, z))
        step = self._step_both if self.update == "simultaneous" else self._step_alternating
        out = engine.replicated(self.strategy, step, (real, z))
        self._update_ema()
        return out

    def _d_loss(self, real, z):
        G, D = self.generator, self.discriminator
        return (discriminator_loss(D(real, training=True), D(G(z, training=True), training=True)),)

    def _step_d(self, real, z):
        """D alone steps (e.g. the extra critic steps of n_d > 1)."""
        D = self.discriminator
        (d_loss,), (d_grads,) = engine.values_and_grads(lambda: self._d_loss(real, z), [D.trainable_variables])
        self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
        return {"d_loss": d_loss}

    def _step_both(self, real, z):
        """One forward pass, two gradients (TensorFlow's tutorial): both players move at once."""
        G, D = self.generator, self.discriminator

        def both():
            fake_logits = D(G(z, training=True), training=True)
            real_logits = D(real, training=True)
            return discriminator_loss(real_logits, fake_logits), generator_loss(fake_logits)

        variables = [D.trainable_variables, G.trainable_variables]
        (d_loss, g_loss), (d_grads, g_grads) = engine.values_and_grads(both, variables)
        self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
        self.g_optimizer.apply_gradients(zip(g_grads, G.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _step_alternating(self, real, z):
        """D moves first; G's gradient is then taken through the updated D, on the same fakes G(z).

        One pass of G: the fakes are made once, under the generator's gradient; D steps on them held
        fixed (``stop_gradient``), then D's new weights judge them again and G's gradient flows back
        through that second pass of D into the first pass of G.
        """
        G, D = self.generator, self.discriminator

        def g_loss_fn():
            fake = G(z, training=True)
            held = keras.ops.stop_gradient(fake)  # D's step treats the fakes as data
            (d_loss,), (d_grads,) = engine.values_and_grads(
                lambda: (discriminator_loss(D(real, training=True), D(held, training=True)),), [D.trainable_variables])
            self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
            return generator_loss(D(fake, training=True)), d_loss  # D has moved: alternating

        (g_loss, d_loss), (g_grads,) = engine.values_and_grads(g_loss_fn, [G.trainable_variables])
        self.g_optimizer.apply_gradients(zip(g_grads, G.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _update_ema(self) -> None:
        """Move the averaged generator towards the current one (all weights, BatchNorm statistics included)."""
        if self.ema_generator is None:
            return
        ops = keras.ops
        t = ops.cast(self.g_optimizer.iterations, "float32")  # generator steps taken, this one included
        decay = ops.minimum(self.ema, (1.0 + t) / (10.0 + t))
        for avg, current in zip(self.ema_generator.weights, self.generator.weights):
            avg.assign(decay * avg + (1.0 - decay) * ops.cast(current, avg.dtype))

    @property
    def sampler(self) -> keras.Model:
        """The generator to draw images from: the moving average when the trainer keeps one, else the generator."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def train_step(self, real, update_generator: bool = True) -> dict[str, float]:
        """One update of both players (``update``: simultaneous or alternating), or of D alone; the losses as
        Python floats (:meth:`run_step` leaves them where they were computed)."""
        return {k: float(v) for k, v in self.run_step(real, update_generator).items()}

    def run_step(self, real, update_generator: bool = True) -> dict:
        """:meth:`train_step` without copying the losses to the host: they stay backend scalars, so that the
        device is not waited for after every step (:func:`helpers.training.loop.fit` reads them in blocks)."""
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {self.update!r}")
        key = (bool(update_generator), self.update)  # each variant is traced once, on first use
        if key not in self._compiled:
            self._compiled[key] = engine.compile_stateful(
                lambda real: self._train_step(real, key[0]), self._image_shape, self._state_variables())
        real = keras.ops.reshape(keras.ops.cast(real, "float32"), (-1, *self._image_shape))
        engine.check_split(int(real.shape[0]), engine.batch_splits(self.strategy))
        out = self._compiled[key](real)
        self.step += 1
        return dict(out)

    def _state_variables(self) -> list:
        """Every variable a training step reads or assigns: both models (BatchNorm statistics and seed states
        included), both optimizers, the averaged generator and the noise seed."""
        found = [*self.generator.variables, *self.discriminator.variables,
                 *self.g_optimizer.variables, *self.d_optimizer.variables, self._noise_seed.state]
        if self.ema_generator is not None:
            found += self.ema_generator.variables
        unique = {id(v): v for v in found}
        return list(unique.values())

    def evaluate_d_loss(self, real, fake) -> float:
        """The discriminator's loss on given real and fake images, in inference mode (no update)."""
        shape = (-1, *self._image_shape)
        real = keras.ops.reshape(keras.ops.convert_to_tensor(real, "float32"), shape)
        fake = keras.ops.reshape(keras.ops.convert_to_tensor(fake, "float32"), shape)
        D = self.discriminator
        return float(discriminator_loss(D(real, training=False), D(fake, training=False)))

    def sample_grid(self) -> np.ndarray:
        """The 64 images (uint8 ``(64, 28, 28)``) the :attr:`sampler` makes from :attr:`fixed_noise`."""
        return generate(self.sampler, self.fixed_noise)

    # ----------------------------------------------------------------- checkpoints

    def config(self) -> dict:
        """A JSON-ready description of the models and optimizers (saved with every checkpoint)."""

        def rate(opt):
            if self._start_rates is not None:  # annealing: the rate it started from
                return self._start_rates[opt is self.d_optimizer]
            lr = opt._learning_rate
            if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
                return {"schedule": type(lr).__name__, **{k: v for k, v in lr.get_config().items() if k != "name"}}
            return float(keras.ops.convert_to_numpy(opt.learning_rate))

        return {
            "generator": self.generator.name,
            "discriminator": self.discriminator.name,
            "generator_params": int(self.generator.count_params()),
            "discriminator_params": int(self.discriminator.count_params()),
            "latent_dim": self.latent_dim,
            "g_optimizer": type(self.g_optimizer).__name__,
            "d_optimizer": type(self.d_optimizer).__name__,
            "g_learning_rate": rate(self.g_optimizer),
            "d_learning_rate": rate(self.d_optimizer),
            "update": self.update,
            "ema": self.ema,
            "anneal": self.anneal,
            "seed": self.seed,
            "backend": keras.backend.backend(),
        }

    def save_checkpoint(self, out_dir: str | os.PathLike, extra: dict | None = None) -> Path:
        """Write ``out_dir/ckpt-<epoch>`` atomically (temporary folder, then rename); return its path."""
        weights = {"generator.weights.h5": self.generator, "discriminator.weights.h5": self.discriminator}
        if self.ema_generator is not None:
            weights[EMA_FILE] = self.ema_generator
        arrays = variable_arrays("g", self.g_optimizer.variables)
        arrays.update(variable_arrays("d", self.d_optimizer.variables))
        arrays["noise_state"] = keras.ops.convert_to_numpy(self._noise_seed.state)
        # layer state the weight files leave out, e.g. each Dropout layer's random-seed state
        arrays.update(variable_arrays("gs", _layer_rng_states(self.generator)))
        arrays.update(variable_arrays("ds", _layer_rng_states(self.discriminator)))
        return write_checkpoint(out_dir, self, weights=weights, arrays={"optimizers.npz": arrays}, extra=extra)

    def restore(self, checkpoint: str | os.PathLike) -> dict:
        """Load weights, optimizer state and counters from a checkpoint folder; return its state."""
        checkpoint = Path(checkpoint)
        state = read_state(checkpoint)
        saved = state.get("config", {})
        for key in ("generator", "discriminator", "latent_dim"):
            if key in saved and saved[key] != self.config()[key]:
                raise ValueError(
                    f"checkpoint {checkpoint} holds {key}={saved[key]!r}, but this trainer has {self.config()[key]!r}"
                )
        self.generator.load_weights(checkpoint / "generator.weights.h5")
        self.discriminator.load_weights(checkpoint / "discriminator.weights.h5")
        if self.ema_generator is not None:
            if (checkpoint / EMA_FILE).is_file():
                self.ema_generator.load_weights(checkpoint / EMA_FILE)
            else:  # a run saved without an average: start the average from the saved generator
                self.ema_generator.set_weights(self.generator.get_weights())
        opt_path = checkpoint / "optimizers.npz"
        if opt_path.is_file():
            with np.load(opt_path) as npz:
                assign_arrays(npz, "g", self.g_optimizer.variables)
                assign_arrays(npz, "d", self.d_optimizer.variables)
                if "noise_state" in npz.files:
                    self._noise_seed.state.assign(npz["noise_state"])
                assign_arrays(npz, "gs", _layer_rng_states(self.generator))
                assign_arrays(npz, "ds", _layer_rng_states(self.discriminator))
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        return state

    # ----------------------------------------------------------------- the loop

    #: what :func:`helpers.training.loop.fit` keeps of each step: both losses, averaged over an epoch's steps.
    LOSS_KEYS = ("d_loss", "g_loss")
    #: settings a resumed run may change (they take effect; the loop reports them)
    CHANGEABLE_ON_RESUME = ("g_learning_rate", "d_learning_rate", "update", "ema", "anneal")
    MEAN_OVER_IMAGES = False

    @property
    def models(self) -> tuple:
        """The models whose weights a checkpoint holds (the moving average too, when kept)."""
        return (self.generator, self.discriminator, *filter(None, [self.ema_generator]))

    def progress(self, log: dict) -> str:
        """The losses on the progress line of an epoch."""
        return f"d_loss {log['d_loss']:.4f}  g_loss {log['g_loss']:.4f}"

    def fit(
        self,
        data,
        epochs: int,
        *,
        batch_size: int = 128,
        out_dir: str | os.PathLike | None = None,
        checkpoint_every: int | None = None,
        keep_last: int | None = 3,
        resume: bool = True,
        time_budget_s: float | None = None,
        callbacks: list[Callable[[GANTrainer, dict], None]] | None = None,
        verbose: bool = True,
    ) -> loop.TrainResult:
        """Train until ``epochs`` epochs are done in total (counting any resumed ones), with
        :func:`helpers.training.loop.fit`.

        ``data``: images in ``[-1, 1]`` as an array ``(n, 28, 28[, 1])`` (fed through
        :func:`helpers.data.make_dataset` with ``batch_size``, last batch kept) or a ``tf.data`` dataset.
        With ``out_dir``: resume from its latest checkpoint when ``resume``, save every
        ``checkpoint_every`` epochs and always at the end, keep the ``keep_last`` newest.
        ``time_budget_s``: stop after the epoch that crosses it. A non-finite loss raises
        :class:`helpers.training.loop.DivergenceError` and leaves the checkpoints as they were.
        ``callbacks`` are called after every epoch with ``(trainer, log)``.
        """
        positive_int("epochs", epochs)
        positive_int("checkpoint_every", checkpoint_every, allow_none=True)
        positive_int("keep_last", keep_last, allow_none=True)
        loop.check_time_budget(time_budget_s)
        if checkpoint_every is not None and out_dir is None:
            raise ValueError("checkpoint_every needs out_dir (where to write the checkpoints)")
        self._check_data(data)  # before touching any checkpoint
        splits = engine.check_batch_size(batch_size, self.strategy)

        def dataset():  # a resumed run shuffles on from a new seed rather than replaying the first epochs' order
            return self._as_dataset(data, batch_size, shuffle_seed=self.seed + 7919 * self.epoch,
                                    drop_remainder=splits > 1)

        return loop.fit(self, dataset, epochs, out_dir=out_dir, checkpoint_every=checkpoint_every,
                        keep_last=keep_last, resume=resume, time_budget_s=time_budget_s, callbacks=callbacks,
                        verbose=verbose)

    def _check_data(self, data) -> None:
        """Raise if ``data`` is neither float images ``(n, 28, 28[, 1])`` nor a ``tf.data`` dataset."""
        if isinstance(data, np.ndarray):
            if data.dtype == np.uint8:
                raise ValueError("images must be floats in [-1, 1], got uint8; use load_mnist(scale='-1-1')")
            if data.ndim not in (3, 4) or data.shape[1:3] != self._image_shape[:2]:
                raise ValueError(f"images must have shape (n, 28, 28) or (n, 28, 28, 1), got {data.shape}")
            values_in("images", data, -1.0, 1.0, " (use load_mnist(scale='-1-1'))")
        elif not (hasattr(data, "element_spec") and hasattr(data, "__iter__")):
            raise TypeError(f"data must be a NumPy array of images or a tf.data.Dataset, got {type(data).__name__}")

    def _as_dataset(self, data, batch_size: int, shuffle_seed: int, drop_remainder: bool = False):
        self._check_data(data)
        if isinstance(data, np.ndarray):
            return make_dataset(data.astype(np.float32), batch_size=batch_size, seed=shuffle_seed,
                                drop_remainder=drop_remainder)
        return data


def _layer_rng_states(model: keras.Model) -> list:
    """The random-seed state variables of a model's layers (Dropout's), which ``save_weights`` does not store."""
    return [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


def train_gan(
    arch: str = "mlp",
    data=None,
    epochs: int = 1,
    *,
    latent_dim: int = 100,
    seed: int = 0,
    trainer_kwargs: dict | None = None,
    **fit_kwargs,
) -> tuple[GANTrainer, loop.TrainResult]:
    """Build ``arch`` with :func:`helpers.models.gan.build_gan`, train it on ``data`` and return (trainer, result).

    ``trainer_kwargs`` go to :class:`GANTrainer` (learning rates, ``update``, ``ema``); the rest to
    :meth:`GANTrainer.fit`.
    """
    if data is None:
        raise ValueError("data must be images in [-1, 1] (e.g. load_mnist(scale='-1-1')[0][0]) "
                         "or a tf.data dataset, got None")
    keras.utils.set_random_seed(seed)
    g, d = build_gan(arch, latent_dim)
    trainer = GANTrainer(g, d, seed=seed, **(trainer_kwargs or {}))
    return trainer, trainer.fit(data, epochs, **fit_kwargs)
