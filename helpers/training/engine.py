"""The per-backend step engine: the only code here that knows TensorFlow from JAX.

A trainer writes its update once, with ``keras.ops``, as a function of a batch that calls
:func:`values_and_grads` (the losses and their gradients) and applies them with Keras optimizers;
:func:`compile_stateful` compiles it with ``tf.function`` on the TensorFlow backend and ``jax.jit`` on
JAX (``KERAS_BACKEND=jax``). :func:`compile_step` builds a whole one-loss step from a loss function.
Data parallelism: a ``tf.distribute.Strategy`` on TensorFlow (:func:`check_strategy`,
:func:`strategy_scope`, :func:`replicated`), a Keras distribution on JAX (:func:`batch_splits`).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import positive_int


def compile_stateful(fn: Callable, input_shape: tuple, variables: list) -> Callable:
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
                check_split(int(batch.shape[0]), splits)
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



def check_split(n: int, splits: int) -> None:
    """Raise unless a batch of ``n`` images splits evenly over ``splits`` devices."""
    if n % splits:
        raise ValueError(f"a batch of {n} images cannot be split evenly over {splits} "
                         f"devices; use a batch size divisible by {splits}")



def check_strategy(strategy, models: tuple):
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



def strategy_scope(strategy):
    """``strategy.scope()``, or a do-nothing context without a strategy: where the trainer creates its variables."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()



def replicated(strategy, fn: Callable, tensors: tuple) -> dict:
    """``fn(*tensors)``; under a ``tf.distribute`` strategy, on every replica with its share of the batch axis.

    Each replica takes the ``i``-th of ``n`` equal slices of every tensor (the batch and its noise, drawn
    once for the global batch, so the replicas see what one device would); ``fn`` returns a dict of
    scalar means, averaged over the replicas (the global-batch means, as the slices are equal).
    The gradients are summed over replicas by the optimizers, so :func:`values_and_grads` scales each
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



#: JAX only: the variables of the step being traced (set by :func:`compile_stateful`, read by :func:`values_and_grads`).
_JAX_VARIABLES: contextvars.ContextVar = contextvars.ContextVar("helpers_jax_variables")



def values_and_grads(loss_fn: Callable, variable_lists: list[list]) -> tuple:
    """Run ``loss_fn() -> (loss_1, …, loss_k)`` once; return the losses and each loss's gradients wrt its variables.

    The losses after the first ``len(variable_lists)`` are returned but not differentiated.
    TensorFlow: a persistent ``GradientTape`` (on a ``tf.distribute`` replica, of each loss divided by the
    number of replicas). JAX (inside :func:`compile_stateful`): ``jax.vjp`` of the
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
        raise RuntimeError("on the jax backend, values_and_grads runs only inside a step compiled by compile_stateful")
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
        (loss,), (grads,) = values_and_grads(lambda: (loss_fn(batch),), [variables])
        optimizer.apply_gradients(zip(grads, variables))
        return loss

    state = [v for m in models for v in m.variables] + list(optimizer.variables)
    compiled = compile_stateful(step, tuple(input_shape), list({id(v): v for v in state}.values()))
    # a batch may come from NumPy or tf.data: make it a tensor of the backend (JAX cannot trace a tf.Tensor)
    return lambda batch: compiled(keras.ops.convert_to_tensor(batch, "float32"))
