"""Notebook 05's GradientTape step, written for JAX by hand: the same update as a pure function of the weights.

On TensorFlow, notebook 05 writes one GAN step inline with two ``GradientTape`` s; on
``KERAS_BACKEND=jax`` there is no tape and no hidden state, so the step becomes a function of the
weights' *values*: ``jax.value_and_grad`` gives each player's loss and gradient, and the Keras
optimizers apply them statelessly. :func:`jax_gan_step` builds that step for a generator and a
discriminator, with the same losses (binary cross-entropy on logits, the non-saturating generator
loss) and the same "both gradients at one point, then both updates" order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines


def jax_gan_step(G: keras.Model, D: keras.Model, g_opt, d_opt, latent_dim: int = 100, seed: int = 0) -> Callable:
    """``train_step(real) -> (d_loss, g_loss)``: one simultaneous step of both players, compiled with ``jax.jit``.

    Each call feeds the variables' current values in and writes the new ones back (weights, G's
    BatchNorm statistics, both optimizers' slots), so ``G``, ``D`` and the optimizers stay the models
    a notebook uses. ``seed`` seeds the noise.
    """
    if keras.backend.backend() != "jax":
        raise RuntimeError(f"jax_gan_step needs KERAS_BACKEND=jax, Keras runs on {keras.backend.backend()!r}")
    import jax

    ops = keras.ops
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt.build(G.trainable_variables)
    d_opt.build(D.trainable_variables)

    def losses(g_w, d_w, g_bn, real, z):  # g_bn: G's BatchNorm statistics, updated by the pass
        fake, g_bn = G.stateless_call(g_w, g_bn, z, training=True)
        real_logits, _ = D.stateless_call(d_w, [], real, training=True)   # (D has no such state)
        fake_logits, _ = D.stateless_call(d_w, [], fake, training=True)
        d_loss = bce(ops.ones_like(real_logits), real_logits) + bce(ops.zeros_like(fake_logits), fake_logits)
        g_loss = bce(ops.ones_like(fake_logits), fake_logits)         # non-saturating: -log D(G(z))
        return d_loss, g_loss, g_bn

    @jax.jit
    def step(state, real, key):
        g_w, d_w, g_bn, g_opt_vars, d_opt_vars = state
        z = jax.random.normal(key, (real.shape[0], latent_dim))     # one fake per real image in this batch
        # the two tapes become two gradients: of d_loss w.r.t. D's weights, of g_loss w.r.t. G's weights
        d_loss, d_grads = jax.value_and_grad(lambda w: losses(g_w, w, g_bn, real, z)[0])(d_w)
        (g_loss, g_bn), g_grads = jax.value_and_grad(lambda w: losses(w, d_w, g_bn, real, z)[1:], has_aux=True)(g_w)
        d_w, d_opt_vars = d_opt.stateless_apply(d_opt_vars, d_grads, d_w)
        g_w, g_opt_vars = g_opt.stateless_apply(g_opt_vars, g_grads, g_w)
        return d_loss, g_loss, [g_w, d_w, g_bn, g_opt_vars, d_opt_vars]

    state_vars = [G.trainable_variables, D.trainable_variables, G.non_trainable_variables, g_opt.variables,
                  d_opt.variables]
    noise_key = jax.random.key(seed)

    def train_step(real):  # feed the current values in, write the new ones back
        nonlocal noise_key
        noise_key, key = jax.random.split(noise_key)
        d_loss, g_loss, state = step([[v.value for v in vs] for vs in state_vars], np.asarray(real), key)
        for vs, values in zip(state_vars, state):
            for v, value in zip(vs, values):
                v.assign(value)
        return d_loss, g_loss

    return train_step
