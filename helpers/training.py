"""Train a GAN: one compiled gradient step, an epoch loop with history, checkpoints, resume, budget and guard.

The update itself is :meth:`GANTrainer.train_step` (two losses, two gradients, two optimizers),
compiled with ``tf.function`` on the TensorFlow backend and ``jax.jit`` on the JAX backend
(``KERAS_BACKEND=jax``). The only backend-specific pieces are :func:`_compile` and
:func:`_values_and_grads`.

Checkpoints are folders ``ckpt-<epoch>`` in an output directory, each holding
``generator.weights.h5``, ``discriminator.weights.h5``, ``generator_ema.weights.h5`` (when the
trainer keeps an exponential moving average of the generator), ``optimizers.npz`` (optimizer and
noise state) and ``state.json`` (epoch, step, config). A folder is written under a temporary name and
renamed when complete, so a crash never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import non_negative_int, positive_int, rate_or_schedule
from helpers.data import make_dataset

CHECKPOINT_PREFIX = "ckpt-"
STATE_FILE = "state.json"
EMA_FILE = "generator_ema.weights.h5"
GRID_SIZE = 64  # an 8×8 sample grid
UPDATES = ("simultaneous", "alternating")


class DivergenceError(RuntimeError):
    """A loss became NaN or infinite; ``step`` and ``epoch`` say where, ``checkpoint`` the last good one."""

    def __init__(self, message: str, step: int, epoch: int, losses: dict, checkpoint: Path | None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch
        self.losses = losses
        self.checkpoint = checkpoint


def refuse_non_finite_weights(models, step: int, epoch: int, checkpoint: Path | None, verbose: bool) -> None:
    """Raise :class:`DivergenceError` if any weight of ``models`` is NaN or infinite; the trainers call it
    just before they save, so a checkpoint never holds broken weights.

    The loss guard checks the losses a step computed *before* its update; an update that breaks the
    weights on an epoch's last step is caught here instead. ``checkpoint``: the last good one, named in
    the message."""
    for model in models:
        for weight in model.weights:
            if not np.all(np.isfinite(keras.ops.convert_to_numpy(weight))):
                msg = (f"non-finite weights after step {step} (epoch {epoch}): {model.name}/{weight.path}; "
                       f"not saved, training stopped, last good checkpoint: {checkpoint or 'none'}")
                _say(verbose, msg)
                raise DivergenceError(msg, step, epoch, {}, checkpoint)


# --------------------------------------------------------------------------- backend-specific


def _compile(fn: Callable, input_shape: tuple, variables: list) -> Callable:
    """Compile the stateful step ``fn(batch)`` for the current Keras backend; ``variables``: every variable it
    reads or assigns.

    TensorFlow: ``tf.function`` with a free batch dimension (one trace serves every batch size).
    JAX: ``jax.jit`` of a pure function of the variables' values. The step runs inside a
    ``keras.StatelessScope`` that maps each variable to its traced value and records every
    assignment (optimizer updates, BatchNorm statistics, random-seed states) instead of making it;
    the new values come back from the compiled call and are assigned outside (one retrace for the
    last, smaller batch). Under a Keras distribution (``keras.distribution.set_distribution(
    DataParallel(...))``, set before the models are built) each batch is split over the devices and
    XLA runs the step on all of them, computing the same global-batch gradient as one device would.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, input_signature=[tf.TensorSpec((None, *input_shape), "float32")])
    if backend == "jax":
        import jax

        variables = list(variables)

        def pure(values, batch):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
                token = _JAX_VARIABLES.set(variables)
                try:
                    out = fn(batch)
                finally:
                    _JAX_VARIABLES.reset(token)
                new = [scope.get_current_value(v) for v in variables]
            return out, [old if value is None else value for value, old in zip(new, values)]

        jitted = jax.jit(pure)

        def step(batch):
            splits = batch_splits()
            if splits > 1:  # e.g. DataParallel: split the batch over the devices
                _check_split(int(batch.shape[0]), splits)
                layout = keras.distribution.distribution().get_data_layout(batch.shape)
                batch = keras.distribution.distribute_tensor(batch, layout)
            out, new = jitted([v.value for v in variables], batch)
            for v, value in zip(variables, new):
                v.assign(value)
            return out

        return step
    raise NotImplementedError(f"the compiled training steps support the tensorflow and jax backends, got {backend!r}")


def batch_splits(strategy=None) -> int:
    """How many devices each batch is split over: the replicas of ``strategy`` (a ``tf.distribute.Strategy``),
    else the batch axis of the active Keras distribution (JAX), else 1."""
    if strategy is not None:
        return int(strategy.num_replicas_in_sync)
    if keras.backend.backend() != "jax":
        return 1
    distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    return int(dict(zip(mesh.axis_names, mesh.shape)).get(getattr(distribution, "batch_dim_name", None), 1))


def check_batch_size(batch_size, strategy=None) -> int:
    """Validate ``batch_size`` for ``strategy`` or the active distribution; return how many devices share each batch."""
    batch_size = positive_int("batch_size", batch_size)
    splits = batch_splits(strategy)
    if batch_size % splits:
        raise ValueError(f"batch_size must be divisible by the {splits} devices each batch is split over, "
                         f"got {batch_size}")
    return splits


def _check_split(n: int, splits: int) -> None:
    if n % splits:
        raise ValueError(f"a batch of {n} images cannot be split evenly over {splits} "
                         f"devices; use a batch size divisible by {splits}")


# --------------------------------------------------------------------------- tf.distribute (TensorFlow backend)


def _check_strategy(strategy, models: tuple):
    """Return ``strategy`` (or ``None``) after checking it can train ``models``: a ``tf.distribute.Strategy`` on
    the TensorFlow backend, whose scope created the models' variables.

    The models' BatchNormalization layers are switched to synchronized (global-batch) statistics, so that
    the replicas normalise as one device would with the whole batch.
    """
    if strategy is None:
        return None
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ValueError(
            f"strategy takes a tf.distribute.Strategy, which needs the tensorflow backend; Keras runs on {backend!r}. "
            "On JAX, call keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices())) "
            "before building the models instead"
        )
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(f"strategy must be a tf.distribute.Strategy (e.g. tf.distribute.MirroredStrategy()), "
                        f"got {type(strategy).__name__}")
    for model in models:
        outside = [v.path for v in model.variables if not strategy.extended.variable_created_in_scope(v.value)]
        if outside:
            raise ValueError(f"model {model.name!r} was built outside the strategy's scope "
                             f"(e.g. variable {outside[0]}); build the models inside `with strategy.scope():`")
        for layer in model._flatten_layers(include_self=False):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.synchronized = True
    return strategy


def _scope(strategy):
    """``strategy.scope()``, or a do-nothing context without a strategy: where the trainer creates its variables."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()


def _replicated(strategy, fn: Callable, tensors: tuple) -> dict:
    """``fn(*tensors)``; under a ``tf.distribute`` strategy, on every replica with its share of the batch axis.

    Each replica takes the ``i``-th of ``n`` equal slices of every tensor (the batch and its noise, drawn
    once for the global batch, so the replicas see what one device would); ``fn`` returns a dict of
    scalar means, averaged over the replicas (the global-batch means, as the slices are equal).
    The gradients are summed over replicas by the optimizers, so :func:`_values_and_grads` scales each
    replica's loss by ``1/n``: the sum is the global-batch gradient.
    """
    if strategy is None:
        return fn(*tensors)
    import tensorflow as tf

    def replica(*full):
        context = tf.distribute.get_replica_context()
        n, i = context.num_replicas_in_sync, context.replica_id_in_sync_group
        size = tf.shape(full[0])[0] // n
        return fn(*(t[i * size:(i + 1) * size] for t in full))

    out = strategy.run(replica, args=tuple(tensors))
    return {key: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) for key, value in out.items()}


#: JAX only: the variables of the step being traced (set by :func:`_compile`, read by :func:`_values_and_grads`).
_JAX_VARIABLES: contextvars.ContextVar = contextvars.ContextVar("helpers_jax_variables")


def _values_and_grads(loss_fn: Callable, variable_lists: list[list]) -> tuple:
    """Run ``loss_fn() -> (loss_1, …, loss_k)`` once; return the losses and each loss's gradients wrt its variables.

    The losses after the first ``len(variable_lists)`` are returned but not differentiated.
    TensorFlow: a persistent ``GradientTape`` (on a ``tf.distribute`` replica, of each loss divided by the
    number of replicas). JAX (inside :func:`_compile`): ``jax.vjp`` of the
    losses with respect to the listed variables' values, one pull-back per loss; assignments made
    during the forward pass (BatchNorm statistics, Dropout seeds) are carried out and replayed.
    """
    if keras.backend.backend() == "jax":
        return _jax_values_and_grads(loss_fn, variable_lists)
    import tensorflow as tf

    context = tf.distribute.get_replica_context()  # None in a strategy's cross-replica context
    replicas = context.num_replicas_in_sync if context is not None else 1
    with tf.GradientTape(persistent=True) as tape:
        losses = loss_fn()
        # under a tf.distribute strategy the optimizer sums the replicas' gradients: each contributes 1/n
        targets = [loss / replicas for loss in losses] if replicas > 1 else losses
    grads = [tape.gradient(loss, variables) for loss, variables in zip(targets, variable_lists)]
    del tape
    return losses, grads


def _jax_values_and_grads(loss_fn: Callable, variable_lists: list[list]) -> tuple:
    import jax
    import jax.numpy as jnp

    everything = _JAX_VARIABLES.get(None)
    if everything is None:
        raise RuntimeError("on the jax backend, _values_and_grads runs only inside a step compiled by _compile")
    flat = [v for variables in variable_lists for v in variables]
    ids = {id(v) for v in flat}
    others = [v for v in everything if id(v) not in ids]
    current = {id(v): v.value for v in everything}  # the enclosing scope's values

    def forward(values):
        mapping = [(v, current[id(v)]) for v in others] + list(zip(flat, values))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            losses = tuple(loss_fn())
            updates = [scope.get_current_value(v) for v in others]
        # only what the forward pass assigned (e.g. BatchNorm statistics): returned as plain values
        return losses, [None if u is current[id(v)] else u for u, v in zip(updates, others)]

    losses, pullback, updates = jax.vjp(forward, [v.value for v in flat], has_aux=True)
    for v, value in zip(others, updates):
        if value is not None:
            v.assign(value)  # recorded by the enclosing StatelessScope
    grads, start = [], 0
    for i, variables in enumerate(variable_lists):
        cotangent = tuple(jnp.ones_like(loss) if j == i else jnp.zeros_like(loss) for j, loss in enumerate(losses))
        (all_grads,) = pullback(cotangent)
        grads.append(all_grads[start:start + len(variables)])
        start += len(variables)
    return losses, grads


def compile_step(loss_fn: Callable, models: list, optimizer, input_shape: tuple = (28, 28, 1)) -> Callable:
    """``step(batch) -> loss``: one ``optimizer`` step on ``loss_fn(batch)`` over the trainable weights of ``models``,
    compiled for the active Keras backend (``tf.function`` with a tape on TensorFlow, ``jax.jit`` on JAX).

    ``loss_fn`` is written once with ``keras.ops`` and calls the models; ``input_shape`` is one batch
    element's shape. The trainers' own steps are built from the same two functions.
    """
    models = list(models)
    variables = [v for m in models for v in m.trainable_variables]
    if not variables:
        raise ValueError(f"the models {[m.name for m in models]} have no trainable weights to step")
    if not optimizer.built:  # its slots exist before the step is compiled (JAX traces a pure function)
        optimizer.build(variables)

    def step(batch):
        (loss,), (grads,) = _values_and_grads(lambda: (loss_fn(batch),), [variables])
        optimizer.apply_gradients(zip(grads, variables))
        return loss

    state = [v for m in models for v in m.variables] + list(optimizer.variables)
    compiled = _compile(step, tuple(input_shape), list({id(v): v for v in state}.values()))
    # a batch may come from NumPy or tf.data: make it a tensor of the backend (JAX cannot trace a tf.Tensor)
    return lambda batch: compiled(keras.ops.convert_to_tensor(batch, "float32"))


# --------------------------------------------------------------------------- losses


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


# --------------------------------------------------------------------------- helpers


def to_uint8(images) -> np.ndarray:
    """Map images in ``[-1, 1]`` to uint8 ``[0, 255]`` of shape ``(n, 28, 28)`` (a trailing channel is dropped)."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def latent_dim_of(generator: keras.Model) -> int:
    """The length of the generator's latent vector (its input's last dimension)."""
    return int(generator.inputs[0].shape[-1])


def sample(generator: keras.Model, n: int = GRID_SIZE, seed: int = 0, batch_size: int = 1024) -> np.ndarray:
    """Draw ``n`` images from ``generator`` with normal noise seeded by ``seed``; uint8 ``(n, 28, 28)``."""
    n = positive_int("n", n)
    batch_size = positive_int("batch_size", batch_size)
    seed = non_negative_int("seed", seed)
    z = np.random.default_rng(seed).standard_normal((n, latent_dim_of(generator))).astype(np.float32)
    return generate(generator, z, batch_size)


def generate(generator: keras.Model, z, batch_size: int = 1024) -> np.ndarray:
    """Run ``generator`` (inference mode) on the latent vectors ``z``; uint8 ``(len(z), 28, 28)``."""
    z = np.asarray(z, dtype=np.float32)
    out = [keras.ops.convert_to_numpy(generator(z[i:i + batch_size], training=False))
           for i in range(0, len(z), batch_size)]
    return to_uint8(np.concatenate(out))


def list_checkpoints(out_dir: str | os.PathLike) -> list[Path]:
    """Complete checkpoint folders in ``out_dir``, oldest first (by the step saved in each)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    found = []
    for p in out_dir.glob(CHECKPOINT_PREFIX + "*"):
        state = p / STATE_FILE
        if p.is_dir() and state.is_file():
            try:
                found.append((json.loads(state.read_text())["step"], p.name, p))
            except (ValueError, KeyError):
                continue  # unreadable: not a checkpoint we wrote
    return [p for _, _, p in sorted(found)]


def latest_checkpoint(out_dir: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint folder in ``out_dir``, or ``None``."""
    ckpts = list_checkpoints(out_dir)
    return ckpts[-1] if ckpts else None


@dataclass
class TrainResult:
    """What a trainer's ``fit`` call did (:class:`GANTrainer`, and the autoencoder trainer's too)."""

    #: per-epoch lists, this call's epochs only: epoch, step, d_loss, g_loss, seconds, images_per_s for a GAN.
    history: dict[str, list] = field(default_factory=dict)
    #: epochs completed in total (including those before a resume).
    epochs_done: int = 0
    #: gradient steps taken in total (including those before a resume).
    steps: int = 0
    #: wall time of this call's epochs.
    seconds: float = 0.0
    #: real images processed per second in this call.
    images_per_s: float = 0.0
    #: "completed", "time_budget" or "diverged".
    stopped: str = "completed"
    #: the last checkpoint written (or found, when resuming), if any.
    checkpoint: Path | None = None


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

    ``strategy`` (TensorFlow backend): a ``tf.distribute.Strategy`` such as
    ``tf.distribute.MirroredStrategy()`` whose ``scope()`` built both models; every batch is split
    over its replicas, with the noise drawn once for the whole batch and BatchNorm statistics
    synchronized, so a step computes the global-batch gradient one device would (Dropout masks are
    drawn per replica, so they differ). On JAX, use a Keras distribution instead (see :func:`_compile`).
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
        seed: int = 0,
        strategy=None,
    ):
        if update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {update!r}")
        if not 0.0 <= beta_1 < 1.0:
            raise ValueError(f"beta_1 must be in [0, 1), got {beta_1!r}")
        if ema is not None and (isinstance(ema, bool) or not isinstance(ema, (int, float)) or not 0.0 < ema < 1.0):
            raise ValueError(f"ema must be a decay in (0, 1), e.g. 0.999 (or None for no average), got {ema!r}")
        #: the ``tf.distribute.Strategy`` the steps run under (``None``: one device, or a Keras distribution).
        self.strategy = _check_strategy(strategy, (generator, discriminator))
        self.generator = generator
        self.discriminator = discriminator
        self.ema = None if ema is None else float(ema)
        #: the moving average of the generator's weights (``None`` without ``ema``).
        self.ema_generator = None
        self.latent_dim = latent_dim_of(generator)
        self.update = update
        self.seed = int(seed)
        with _scope(self.strategy):  # the trainer's own variables live where the models' do
            if self.ema is not None:
                self.ema_generator = keras.models.clone_model(generator)
                self.ema_generator.set_weights(generator.get_weights())
            self.g_optimizer = g_optimizer or keras.optimizers.Adam(
                rate_or_schedule("g_learning_rate", g_learning_rate), beta_1=beta_1)
            self.d_optimizer = d_optimizer or keras.optimizers.Adam(
                rate_or_schedule("d_learning_rate", d_learning_rate), beta_1=beta_1)
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

    # ----------------------------------------------------------------- the step

    def _train_step(self, real, update_generator: bool = True):
        ops = keras.ops
        batch = ops.shape(real)[0]  # the real batch's size: the last, smaller batch works too
        # the noise is drawn for the whole batch (under a strategy, each replica then takes its slice)
        z = keras.random.normal((batch, self.latent_dim), seed=self._noise_seed)
        if not update_generator:
            return _replicated(self.strategy, self._step_d, (real, z))
        step = self._step_both if self.update == "simultaneous" else self._step_alternating
        out = _replicated(self.strategy, step, (real, z))
        self._update_ema()
        return out

    def _d_loss(self, real, z):
        G, D = self.generator, self.discriminator
        return (discriminator_loss(D(real, training=True), D(G(z, training=True), training=True)),)

    def _step_d(self, real, z):
        """D alone steps (e.g. the extra critic steps of n_d > 1)."""
        D = self.discriminator
        (d_loss,), (d_grads,) = _values_and_grads(lambda: self._d_loss(real, z), [D.trainable_variables])
        self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
        return {"d_loss": d_loss}

    def _step_both(self, real, z):
        """One forward pass, two gradients (TensorFlow's tutorial): both players move at once."""
        G, D = self.generator, self.discriminator

        def both():
            fake_logits = D(G(z, training=True), training=True)
            real_logits = D(real, training=True)
            return discriminator_loss(real_logits, fake_logits), generator_loss(fake_logits)

        (d_loss, g_loss), (d_grads, g_grads) = _values_and_grads(both, [D.trainable_variables, G.trainable_variables])
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
            (d_loss,), (d_grads,) = _values_and_grads(
                lambda: (discriminator_loss(D(real, training=True), D(held, training=True)),), [D.trainable_variables])
            self.d_optimizer.apply_gradients(zip(d_grads, D.trainable_variables))
            return generator_loss(D(fake, training=True)), d_loss  # D has moved: alternating

        (g_loss, d_loss), (g_grads,) = _values_and_grads(g_loss_fn, [G.trainable_variables])
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
        """One update of both players (``update``: simultaneous or alternating), or of D alone; the losses."""
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {self.update!r}")
        key = (bool(update_generator), self.update)  # each variant is traced once, on first use
        if key not in self._compiled:
            self._compiled[key] = _compile(
                lambda real: self._train_step(real, key[0]), self._image_shape, self._state_variables())
        real = keras.ops.reshape(keras.ops.cast(real, "float32"), (-1, *self._image_shape))
        _check_split(int(real.shape[0]), batch_splits(self.strategy))
        out = self._compiled[key](real)
        self.step += 1
        return {k: float(v) for k, v in out.items()}

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
            "seed": self.seed,
            "backend": keras.backend.backend(),
        }

    def save_checkpoint(self, out_dir: str | os.PathLike, extra: dict | None = None) -> Path:
        """Write ``out_dir/ckpt-<epoch>`` atomically (temporary folder, then rename); return its path."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        final = out_dir / f"{CHECKPOINT_PREFIX}{self.epoch:05d}"
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-" + final.name + "-", dir=out_dir))
        try:
            self.generator.save_weights(tmp / "generator.weights.h5")
            self.discriminator.save_weights(tmp / "discriminator.weights.h5")
            if self.ema_generator is not None:
                self.ema_generator.save_weights(tmp / EMA_FILE)
            arrays = {f"g_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self.g_optimizer.variables)}
            arrays.update({f"d_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self.d_optimizer.variables)})
            arrays["noise_state"] = keras.ops.convert_to_numpy(self._noise_seed.state)
            for prefix, model in (("gs", self.generator), ("ds", self.discriminator)):
                # layer state the weight files leave out, e.g. each Dropout layer's random-seed state
                for i, v in enumerate(_layer_rng_states(model)):
                    arrays[f"{prefix}_{i}"] = keras.ops.convert_to_numpy(v)
            np.savez(tmp / "optimizers.npz", **arrays)
            state = {"epoch": self.epoch, "step": self.step, "config": self.config(), "extra": extra or {}}
            (tmp / STATE_FILE).write_text(json.dumps(state, indent=1))  # last: a folder with it is complete
            if final.exists():  # the same epoch saved again (e.g. a rerun): replace it
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def restore(self, checkpoint: str | os.PathLike) -> dict:
        """Load weights, optimizer state and counters from a checkpoint folder; return its state."""
        checkpoint = Path(checkpoint)
        state_path = checkpoint / STATE_FILE
        if not state_path.is_file():
            raise FileNotFoundError(f"{checkpoint} is not a complete checkpoint (no {STATE_FILE})")
        state = json.loads(state_path.read_text())
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
                for prefix, opt in (("g", self.g_optimizer), ("d", self.d_optimizer)):
                    for i, v in enumerate(opt.variables):
                        if f"{prefix}_{i}" in npz.files and npz[f"{prefix}_{i}"].shape == tuple(v.shape):
                            v.assign(npz[f"{prefix}_{i}"])
                if "noise_state" in npz.files:
                    self._noise_seed.state.assign(npz["noise_state"])
                for prefix, model in (("gs", self.generator), ("ds", self.discriminator)):
                    for i, v in enumerate(_layer_rng_states(model)):
                        if f"{prefix}_{i}" in npz.files and npz[f"{prefix}_{i}"].shape == tuple(v.shape):
                            v.assign(npz[f"{prefix}_{i}"])
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
        checkpoint_every: int | None = None,
        keep_last: int | None = 3,
        resume: bool = True,
        time_budget_s: float | None = None,
        callbacks: list[Callable[[GANTrainer, dict], None]] | None = None,
        verbose: bool = True,
    ) -> TrainResult:
        """Train until ``epochs`` epochs are done in total (counting any resumed ones); see the module doc.

        ``data``: images in ``[-1, 1]`` as an array ``(n, 28, 28[, 1])`` (fed through
        :func:`helpers.data.make_dataset` with ``batch_size``, last batch kept) or a ``tf.data`` dataset.
        With ``out_dir``: resume from its latest checkpoint when ``resume``, save every
        ``checkpoint_every`` epochs and always at the end, keep the ``keep_last`` newest.
        ``time_budget_s``: stop after the epoch that crosses it. A non-finite loss raises
        :class:`DivergenceError` and leaves the checkpoints as they were.
        ``callbacks`` are called after every epoch with ``(trainer, log)``.
        """
        epochs = positive_int("epochs", epochs)
        checkpoint_every = positive_int("checkpoint_every", checkpoint_every, allow_none=True)
        keep_last = positive_int("keep_last", keep_last, allow_none=True)
        if time_budget_s is not None and not (isinstance(time_budget_s, (int, float)) and time_budget_s > 0):
            raise ValueError(f"time_budget_s must be > 0 seconds (or None), got {time_budget_s!r}")
        if checkpoint_every is not None and out_dir is None:
            raise ValueError("checkpoint_every needs out_dir (where to write the checkpoints)")
        self._check_data(data)  # before touching any checkpoint
        splits = check_batch_size(batch_size, self.strategy)
        callbacks = list(callbacks or [])

        result = TrainResult(history={k: [] for k in ("epoch", "step", "d_loss", "g_loss", "seconds", "images_per_s")})
        if out_dir is not None and resume:
            ckpt = latest_checkpoint(out_dir)
            if ckpt is not None:
                self.restore(ckpt)
                result.checkpoint = ckpt
                _say(verbose, f"resumed from {ckpt.name} (epoch {self.epoch}, step {self.step})")
        # a resumed run shuffles on from a new seed rather than replaying the first epochs' order
        dataset = self._as_dataset(
            data, batch_size, shuffle_seed=self.seed + 7919 * self.epoch, drop_remainder=splits > 1)

        start = time.perf_counter()
        images_total = 0
        saved_epoch = self.epoch if result.checkpoint is not None else None
        while self.epoch < epochs:
            t0 = time.perf_counter()
            d_sum = g_sum = 0.0
            n_steps = n_images = 0
            for batch in dataset:
                if isinstance(batch, (tuple, list)):
                    batch = batch[0]
                losses = self.train_step(batch)
                if not all(math.isfinite(v) for v in losses.values()):
                    result.stopped = "diverged"
                    msg = (
                        f"non-finite loss at step {self.step} (epoch {self.epoch + 1}): "
                        f"d_loss={losses['d_loss']}, g_loss={losses['g_loss']}; training stopped, "
                        f"last good checkpoint: {result.checkpoint or 'none'}"
                    )
                    _say(verbose, msg)
                    raise DivergenceError(msg, self.step, self.epoch + 1, losses, result.checkpoint)
                d_sum += losses["d_loss"]
                g_sum += losses["g_loss"]
                n_steps += 1
                n_images += int(batch.shape[0])
            if n_steps == 0:
                raise ValueError("the dataset produced no batches "
                                 "(is batch_size larger than the data with drop_remainder?)")
            self.epoch += 1
            seconds = time.perf_counter() - t0
            images_total += n_images
            log = {
                "epoch": self.epoch, "step": self.step, "d_loss": d_sum / n_steps, "g_loss": g_sum / n_steps,
                "seconds": seconds, "images_per_s": n_images / seconds,
            }
            for key, value in log.items():
                result.history[key].append(value)
            _say(
                verbose,
                f"epoch {self.epoch}/{epochs}  step {self.step}  d_loss {log['d_loss']:.4f}  "
                f"g_loss {log['g_loss']:.4f}  {seconds:.1f}s  {log['images_per_s']:.0f} img/s",
            )
            for cb in callbacks:
                cb(self, log)
            over_budget = time_budget_s is not None and time.perf_counter() - start >= time_budget_s
            last = self.epoch >= epochs or over_budget
            if out_dir is not None and (last or (checkpoint_every and self.epoch % checkpoint_every == 0)):
                models = (self.generator, self.discriminator, *filter(None, [self.ema_generator]))
                refuse_non_finite_weights(models, self.step, self.epoch, result.checkpoint, verbose)
                result.checkpoint = self.save_checkpoint(out_dir)
                saved_epoch = self.epoch
                _prune(out_dir, keep_last)
            if over_budget and self.epoch < epochs:
                result.stopped = "time_budget"
                _say(verbose, f"time budget of {time_budget_s:g}s reached after epoch {self.epoch}")
                break
        if out_dir is not None and saved_epoch != self.epoch:  # nothing trained, no checkpoint yet
            result.checkpoint = self.save_checkpoint(out_dir)
        result.seconds = time.perf_counter() - start
        result.epochs_done, result.steps = self.epoch, self.step
        result.images_per_s = images_total / result.seconds if result.seconds > 0 else 0.0
        return result

    def _check_data(self, data) -> None:
        """Raise if ``data`` is neither float images ``(n, 28, 28[, 1])`` nor a ``tf.data`` dataset."""
        if isinstance(data, np.ndarray):
            if data.dtype == np.uint8:
                raise ValueError("images must be floats in [-1, 1], got uint8; use load_mnist(scale='-1-1')")
            if data.ndim not in (3, 4) or data.shape[1:3] != self._image_shape[:2]:
                raise ValueError(f"images must have shape (n, 28, 28) or (n, 28, 28, 1), got {data.shape}")
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


def _prune(out_dir, keep_last: int | None) -> None:
    if keep_last is None:
        return
    for old in list_checkpoints(out_dir)[:-keep_last]:
        shutil.rmtree(old, ignore_errors=True)


def _say(verbose: bool, line: str) -> None:
    if verbose:
        print(line, file=sys.stderr, flush=True)


def train_gan(
    arch: str = "mlp",
    data=None,
    epochs: int = 1,
    *,
    latent_dim: int = 100,
    seed: int = 0,
    trainer_kwargs: dict | None = None,
    **fit_kwargs,
) -> tuple[GANTrainer, TrainResult]:
    """Build ``arch`` with :func:`helpers.models.build_gan`, train it on ``data`` and return (trainer, result).

    ``trainer_kwargs`` go to :class:`GANTrainer` (learning rates, ``update``, ``ema``); the rest to
    :meth:`GANTrainer.fit`.
    """
    from helpers.models import build_gan

    if data is None:
        raise ValueError("data must be images in [-1, 1] (e.g. load_mnist(scale='-1-1')[0][0]) "
                         "or a tf.data dataset, got None")
    keras.utils.set_random_seed(seed)
    g, d = build_gan(arch, latent_dim)
    trainer = GANTrainer(g, d, seed=seed, **(trainer_kwargs or {}))
    return trainer, trainer.fit(data, epochs, **fit_kwargs)
