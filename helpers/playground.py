"""A 2-D GAN playground in the spirit of GAN Lab (Kahng et al., IEEE VIS 2018), in NumPy.

A tiny generator (noise → 2-D point) and discriminator (2-D point → one logit d(x), high on real
data: D(x) = σ(d(x)) is its probability that x is real, the series' convention) learn a mixture
of Gaussians: the ring of 8 of the unrolled-GAN paper (Metz et al., 2017: radius 2, std 0.02)
or a 5 × 5 grid. Both are hand-written multilayer perceptrons with LeakyReLU units trained by
Adam. At this size a NumPy step costs about what a compiled Keras ``train_step`` does (about
2 ms of CPU for one D and one G step, measured here), but NumPy needs no TensorFlow start-up or
tracing, gives the R1 penalty's second derivative exactly in a few lines, and leaves the frame
budget to the drawing, which costs more than the training.

>>> pg = Playground(loss="non-saturating", seed=0)
>>> pg.train(100)                 # 100 × (one D step, then one G step: alternating)
>>> pg.metrics()["modes_covered"]  # of 8 (some samples within 3σ of the mode)     # doctest: +SKIP

:func:`playground_widget` puts sliders and buttons over a :class:`Playground`; its picture
is the discriminator's field, the real and fake samples, and arrows showing where the
generator's gradient pushes each fake point. :func:`run` gives the same story as numbers
and snapshots for readers without a live kernel.
"""

from __future__ import annotations

import io
import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .checks import count, fraction, non_negative, number, positive
from .widget_compat import play_toggle
from .widgets import View

Array = np.ndarray

#: the generator losses (the discriminator's loss is the logistic one for the first two)
LOSSES = ("saturating", "non-saturating", "least-squares")
#: the data sets: a ring of 8 Gaussians and a 5 × 5 grid of Gaussians
DATASETS = ("ring", "grid")
#: how the two players take turns in a training round (the words of notebook 02 §6):
#: ``alternating``: D steps, then G computes its gradient against the updated D (the default);
#: ``simultaneous``: both gradients are computed at the same point (the same noise, one forward pass
#: of G), then both are applied (as :class:`helpers.training.GANTrainer` does by default)
UPDATES = ("alternating", "simultaneous")
NOISE_DIMS = (2, 8)

# --------------------------------------------------------------------------- argument checks
# A non-number, NaN or inf is named "a finite number" first; then the range is checked.


def _positive(name: str, value) -> float:
    number(name, value)
    return positive(name, value)


def _non_negative(name: str, value) -> float:
    number(name, value)
    return non_negative(name, value)


def _fraction(name: str, value) -> float:
    number(name, value)
    return fraction(name, value)


def _choice(name: str, value, options) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")
    return value


#: m·n·k above which OpenBLAS splits a product over threads; on a busy 2-core machine the threads
#: spin-waiting makes these tiny products 10-50× slower, so larger products are cut into row blocks.
_SINGLE_THREAD_MNK = 200_000


def _mm(a: Array, w: Array) -> Array:
    """a @ w, in row blocks small enough that BLAS stays on one thread."""
    rows = max(1, _SINGLE_THREAD_MNK // w.size)
    if len(a) <= rows:
        return a @ w
    return np.concatenate([a[i:i + rows] @ w for i in range(0, len(a), rows)])


def _mm_t(a: Array, g: Array) -> Array:
    """a.T @ g (a sum over rows), in row blocks small enough that BLAS stays on one thread."""
    rows = max(1, _SINGLE_THREAD_MNK // (a.shape[1] * g.shape[1]))
    if len(a) <= rows:
        return a.T @ g
    return sum(a[i:i + rows].T @ g[i:i + rows] for i in range(0, len(a), rows))


def _sigmoid(x: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softplus(x: Array) -> Array:
    return np.logaddexp(0.0, x)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Mixture:
    """An equal-weight mixture of isotropic Gaussians in the plane: centres (k, 2) and one std."""

    name: str
    centres: Array
    std: float
    extent: tuple[float, float, float, float]

    @property
    def modes(self) -> int:
        """Number of Gaussians."""
        return len(self.centres)

    def sample(self, n: int, rng: np.random.Generator) -> Array:
        """``n`` points drawn with ``rng`` (a ``numpy.random.Generator``): a random centre plus Gaussian noise."""
        n = count("n", n)
        idx = rng.integers(0, self.modes, size=n)
        return self.centres[idx] + self.std * rng.standard_normal((n, 2))


def ring(modes: int = 8, radius: float = 2.0, std: float = 0.02) -> Mixture:
    """``modes`` Gaussians evenly spaced on a circle (Metz et al. 2017: 8, radius 2, std 0.02)."""
    modes = count("modes", modes, 2)
    radius, std = _positive("radius", radius), _positive("std", std)
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    r = 1.5 * radius
    return Mixture(f"ring of {modes}", centres, std, (-r, r, -r, r))


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> Mixture:
    """``side × side`` Gaussians on a square grid centred at 0 (the VEEGAN paper's 5 × 5, spacing 2, std 0.05)."""
    side = count("side", side, 2)
    spacing, std = _positive("spacing", spacing), _positive("std", std)
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    xx, yy = np.meshgrid(ticks, ticks)
    centres = np.stack([xx.ravel(), yy.ravel()], axis=1)
    r = ticks[-1] + 0.75 * spacing
    return Mixture(f"{side}×{side} grid", centres, std, (-r, r, -r, r))


def make_data(name: str = "ring") -> Mixture:
    """The data set named in :data:`DATASETS` with its literature settings."""
    _choice("data", name, DATASETS)
    return ring() if name == "ring" else grid()


# --------------------------------------------------------------------------- metrics


def mode_metrics(samples: Array, mixture: Mixture, min_fraction: float = 0.01, radius_in_std: float = 3.0) -> dict:
    """Modes covered and high-quality fraction, as in the unrolled-GAN / VEEGAN papers.

    A sample is *high quality* if it lies within ``radius_in_std``·σ of some centre; a mode is
    *covered* if at least ``min_fraction`` of the samples (and at least one) are high-quality
    samples of that mode. Returns ``modes_covered``, ``modes``, ``hq_fraction`` and ``counts``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"samples must have shape (n, 2) with n >= 1, got {samples.shape}")
    _fraction("min_fraction", min_fraction)
    radius = _positive("radius_in_std", radius_in_std) * mixture.std
    d2 = ((samples[:, None, :] - mixture.centres[None, :, :]) ** 2).sum(-1)
    nearest = d2.argmin(axis=1)
    good = np.take_along_axis(d2, nearest[:, None], axis=1)[:, 0] <= radius**2
    good &= np.all(np.isfinite(samples), axis=1)
    counts = np.bincount(nearest[good], minlength=mixture.modes)
    need = max(1, math.ceil(min_fraction * len(samples)))
    return {"modes_covered": int(np.sum(counts >= need)), "modes": mixture.modes,
            "hq_fraction": float(good.mean()), "counts": counts}


# --------------------------------------------------------------------------- networks


class MLP:
    """A multilayer perceptron with LeakyReLU hidden units and a linear output, forward and backward in NumPy.

    ``params`` is ``[W1, b1, W2, b2, …]`` with ``W`` of shape (inputs, outputs). Being piecewise
    linear, its input gradient is exact to differentiate once more (what the R1 penalty needs).
    """

    def __init__(self, sizes, rng: np.random.Generator, slope: float = 0.2):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two positive layer widths, got {sizes!r}")
        self.sizes = tuple(sizes)
        self.slope = float(slope)
        self.params: list[Array] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            scale = np.sqrt(2.0 / ((1 + self.slope**2) * fan_in))  # He initialisation for LeakyReLU
            self.params += [scale * rng.standard_normal((fan_in, fan_out)), np.zeros(fan_out)]

    @property
    def layers(self) -> int:
        """Number of weight matrices."""
        return len(self.params) // 2

    def _mask(self, h: Array) -> Array:
        return np.where(h > 0, 1.0, self.slope)

    def forward(self, x: Array) -> tuple[Array, list]:
        """Outputs for inputs ``x`` (n, in) and the cache the backward passes need."""
        cache = []
        a = x
        for i in range(self.layers):
            h = _mm(a, self.params[2 * i]) + self.params[2 * i + 1]
            cache.append((a, h))
            a = h if i == self.layers - 1 else np.where(h > 0, h, self.slope * h)
        return a, cache

    def __call__(self, x: Array) -> Array:
        return self.forward(x)[0]

    def backward(self, cache: list, grad_out: Array, param_grads: bool = True) -> tuple[list | None, Array]:
        """Gradients of Σ grad_out·output w.r.t. the parameters (or None) and the inputs."""
        grads = [None] * len(self.params) if param_grads else None
        g = grad_out
        for i in reversed(range(self.layers)):
            a, h = cache[i]
            if i < self.layers - 1:
                g = g * self._mask(h)
            if param_grads:
                grads[2 * i] = _mm_t(a, g)
                grads[2 * i + 1] = g.sum(axis=0)
            g = _mm(g, self.params[2 * i].T)
        return grads, g

    def input_gradient(self, cache: list) -> tuple[Array, list]:
        """Per-sample gradient of the (single) output w.r.t. the input, and each layer's δ = ∂output/∂h."""
        n = cache[0][0].shape[0]
        g = np.ones((n, 1))
        deltas = [None] * self.layers
        for i in reversed(range(self.layers)):
            if i < self.layers - 1:
                g = g * self._mask(cache[i][1])
            deltas[i] = g
            g = _mm(g, self.params[2 * i].T)
        return g, deltas

    def input_gradient_backward(self, cache: list, deltas: list, grad_gx: Array) -> list:
        """Parameter gradients of Σ grad_gx·(∂output/∂x): backprop through :meth:`input_gradient` (masks fixed)."""
        grads = [np.zeros_like(p) for p in self.params]  # biases: zero (the masks are piecewise constant)
        rho = grad_gx
        for i in range(self.layers):
            if i > 0:
                rho = rho * self._mask(cache[i - 1][1])
            grads[2 * i] = _mm_t(rho, deltas[i])
            rho = _mm(rho, self.params[2 * i])
        return grads


class Adam:
    """Adam over a list of NumPy arrays, updated in place."""

    def __init__(
        self, params: list, learning_rate: float = 1e-3, beta_1: float = 0.5, beta_2: float = 0.999, eps: float = 1e-8
    ):
        self.params = params
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.beta_1, self.beta_2, self.eps = beta_1, beta_2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list) -> None:
        """One Adam update of every parameter with its gradient."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        lr = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= lr * m / (np.sqrt(v) + self.eps)


# --------------------------------------------------------------------------- losses


def discriminator_loss(
    d: MLP, real: Array, fake: Array, loss: str = "non-saturating", gamma: float = 0.0
) -> tuple[float, list]:
    """The discriminator's loss on a real and a fake batch, plus γ/2·E‖∇ₓD(x_real)‖² (R1), and its gradients.

    Logistic losses (saturating, non-saturating): softplus(−D(x)) + softplus(D(G(z))) on the logits;
    least squares: ½(D(x) − 1)² + ½D(G(z))².
    """
    _choice("loss", loss, LOSSES)
    gamma = _non_negative("gamma", gamma)
    lr_, cache_r = d.forward(real)
    lf, cache_f = d.forward(fake)
    nr, nf = len(real), len(fake)
    if loss == "least-squares":
        value = 0.5 * np.mean((lr_ - 1) ** 2) + 0.5 * np.mean(lf**2)
        gr, gf = (lr_ - 1) / nr, lf / nf
    else:
        value = np.mean(_softplus(-lr_)) + np.mean(_softplus(lf))
        gr, gf = -_sigmoid(-lr_) / nr, _sigmoid(lf) / nf
    grads_r, _ = d.backward(cache_r, gr)
    grads_f, _ = d.backward(cache_f, gf)
    grads = [a + b for a, b in zip(grads_r, grads_f)]
    if gamma > 0:
        gx, deltas = d.input_gradient(cache_r)
        value += 0.5 * gamma * np.mean(np.sum(gx**2, axis=1))
        r1 = d.input_gradient_backward(cache_r, deltas, gamma * gx / nr)
        grads = [a + b for a, b in zip(grads, r1)]
    return float(value), grads


def r1_penalty(d: MLP, real: Array, gamma: float = 1.0) -> tuple[float, list]:
    """γ/2·E‖∇ₓD(x)‖² on ``real`` (Mescheder et al. 2018) and its gradients w.r.t. D's parameters."""
    gamma = _non_negative("gamma", gamma)
    _, cache = d.forward(real)
    gx, deltas = d.input_gradient(cache)
    value = 0.5 * gamma * np.mean(np.sum(gx**2, axis=1))
    return float(value), d.input_gradient_backward(cache, deltas, gamma * gx / len(real))


def generator_loss(g: MLP, d: MLP, z: Array, loss: str = "non-saturating") -> tuple[float, list, Array, Array]:
    """The generator's loss on noise ``z``: its value, G's gradients, the fake points and ∂loss/∂fake (per point, ×n).

    saturating: −softplus(D(G(z))) = log(1 − σ(D)); non-saturating: softplus(−D(G(z))) = −log σ(D);
    least squares: ½(D(G(z)) − 1)². The last output, negated, is where each fake point is pushed.
    """
    _choice("loss", loss, LOSSES)
    fake, cache_g = g.forward(z)
    lf, cache_d = d.forward(fake)
    n = len(z)
    if loss == "saturating":
        value, gl = -np.mean(_softplus(lf)), -_sigmoid(lf)
    elif loss == "non-saturating":
        value, gl = np.mean(_softplus(-lf)), -_sigmoid(-lf)
    else:
        value, gl = 0.5 * np.mean((lf - 1) ** 2), lf - 1
    _, gx = d.backward(cache_d, gl / n, param_grads=False)
    grads, _ = g.backward(cache_g, gx)
    return float(value), grads, fake, gx * n


# --------------------------------------------------------------------------- the state machine


@dataclass
class Settings:
    """What the controls set (loss, learning rates, R1 weight, update scheme) and the fixed sizes.

    The defaults are a setting that covers the ring within a few thousand steps: non-saturating
    loss, Adam (β₁ = 0.5) at 3e-3 for both players, R1 with γ = 0.1, alternating updates, and
    samples drawn from an exponential moving average of the generator's weights (``ema``; 0 turns it off).
    """

    data: str = "ring"
    loss: str = "non-saturating"
    lr_d: float = 3e-3
    lr_g: float = 3e-3
    gamma: float = 0.1
    noise_dim: int = 4
    hidden: int = 32
    depth: int = 2
    batch: int = 128
    d_steps: int = 1
    beta_1: float = 0.5
    ema: float = 0.99
    seed: int = 0
    update: str = "alternating"

    def __post_init__(self):
        _choice("data", self.data, DATASETS)
        _choice("loss", self.loss, LOSSES)
        _choice("update", self.update, UPDATES)
        self.lr_d = _positive("lr_d", self.lr_d)
        self.lr_g = _positive("lr_g", self.lr_g)
        self.gamma = _non_negative("gamma", self.gamma)
        self.noise_dim = count("noise_dim", self.noise_dim, *NOISE_DIMS)
        self.hidden = count("hidden", self.hidden, 1, 1024)
        self.depth = count("depth", self.depth, 1, 6)
        self.batch = count("batch", self.batch, 1, 100_000)
        self.d_steps = count("d_steps", self.d_steps, 1, 20)
        _fraction("beta_1", self.beta_1)
        _fraction("ema", self.ema)
        self.seed = count("seed", self.seed, 0)


class Playground:
    """A GAN on 2-D data whose every control is a plain method (what the widget's callbacks call).

    ``step_d()`` and ``step_g()`` update one player once; ``train(n)`` does ``n`` rounds, each
    ``d_steps`` discriminator steps and one generator step, taken as ``settings.update`` says:
    ``alternating`` (D's steps, then G's gradient against the updated D) or ``simultaneous``
    (``d_steps`` − 1 steps of D alone, then both gradients at the same point, both applied);
    ``reset()`` starts again from the same seed. The setters change the loss, learning rates,
    R1 weight and update scheme without a restart.
    """

    EVAL_SAMPLES = 2500
    SHOWN_SAMPLES = 300
    ARROWS = 60

    def __init__(self, **settings):
        self.settings = Settings(**settings)
        self._canvas: _Canvas | None = None
        self.reset()

    # -- state
    def reset(self) -> None:
        """New networks and optimisers from the seed; step counters and history back to zero."""
        s = self.settings
        self.data = make_data(s.data)
        rng = np.random.default_rng(s.seed)
        self.g = MLP([s.noise_dim] + [s.hidden] * s.depth + [2], rng)
        self.d = MLP([2] + [s.hidden] * s.depth + [1], rng)
        self.opt_g = Adam(self.g.params, s.lr_g, s.beta_1)
        self.g_avg = MLP(self.g.sizes, np.random.default_rng(0))  # exponential moving average of G's weights
        self.g_avg.params = [p.copy() for p in self.g.params]
        self.opt_d = Adam(self.d.params, s.lr_d, s.beta_1)
        self.rng = np.random.default_rng(s.seed + 1)
        eval_rng = np.random.default_rng(s.seed + 2)
        self.eval_z = eval_rng.standard_normal((self.EVAL_SAMPLES, s.noise_dim))
        self.real_shown = self.data.sample(200, eval_rng)
        self.d_updates = 0
        self.g_updates = 0
        self._resets = getattr(self, "_resets", -1) + 1
        self._metrics = None
        self.d_loss = float("nan")
        self.g_loss = float("nan")
        self.history: dict[str, list] = {k: [] for k in ("step", "d_loss", "g_loss", "modes_covered", "hq_fraction")}

    @property
    def step(self) -> int:
        """Generator updates so far (the training step shown in the caption)."""
        return self.g_updates

    def set_lr_d(self, value: float) -> None:
        """Discriminator's learning rate (Adam keeps its moments)."""
        self.settings.lr_d = self.opt_d.learning_rate = _positive("lr_d", value)

    def set_lr_g(self, value: float) -> None:
        """Generator's learning rate (Adam keeps its moments)."""
        self.settings.lr_g = self.opt_g.learning_rate = _positive("lr_g", value)

    def set_loss(self, value: str) -> None:
        """Loss: one of :data:`LOSSES`."""
        self.settings.loss = _choice("loss", value, LOSSES)

    def set_gamma(self, value: float) -> None:
        """R1 penalty weight γ >= 0 (0: off)."""
        self.settings.gamma = _non_negative("gamma", value)

    def set_update(self, value: str) -> None:
        """How a training round takes turns: one of :data:`UPDATES`."""
        self.settings.update = _choice("update", value, UPDATES)

    # -- training
    def noise(self, n: int) -> Array:
        """Standard normal noise for ``n`` fake samples."""
        return self.rng.standard_normal((n, self.settings.noise_dim))

    def step_d(self) -> float:
        """One Adam step of the discriminator on a fresh real and fake batch; returns its loss."""
        s = self.settings
        real = self.data.sample(s.batch, self.rng)
        fake = self.g(self.noise(s.batch))
        self.d_loss, grads = discriminator_loss(self.d, real, fake, s.loss, s.gamma)
        self.opt_d.step(grads)
        self.d_updates += 1
        return self.d_loss

    def step_g(self) -> float:
        """One Adam step of the generator on fresh noise; returns its loss."""
        s = self.settings
        self.g_loss, grads, _, _ = generator_loss(self.g, self.d, self.noise(s.batch), s.loss)
        self._apply_g(grads)
        return self.g_loss

    def _apply_g(self, grads: list) -> None:
        self.opt_g.step(grads)
        self.g_updates += 1
        if self.settings.ema > 0:
            b = self.settings.ema
            for a, p in zip(self.g_avg.params, self.g.params):
                a *= b
                a += (1 - b) * p

    def step_both(self) -> tuple[float, float]:
        """One simultaneous step: D's and G's gradients at the same point (one noise batch), then both applied.

        D's gradient is taken on a real batch and the fakes G(z); G's through the same, not yet
        updated, D on the same z. Returns (D's loss, G's loss).
        """
        s = self.settings
        real = self.data.sample(s.batch, self.rng)
        z = self.noise(s.batch)
        self.g_loss, grads_g, fake, _ = generator_loss(self.g, self.d, z, s.loss)
        self.d_loss, grads_d = discriminator_loss(self.d, real, fake, s.loss, s.gamma)
        self.opt_d.step(grads_d)
        self.d_updates += 1
        self._apply_g(grads_g)
        return self.d_loss, self.g_loss

    def train(self, n_steps: int) -> dict:
        """``n_steps`` rounds of ``d_steps`` D steps and one G step (as ``settings.update`` says);
        records the metrics."""
        self.train_quietly(n_steps)
        return self.record()

    def train_quietly(self, n_steps: int) -> None:
        """:meth:`train` without measuring and recording the metrics."""
        n_steps = count("n_steps", n_steps, 0, 1_000_000)
        for _ in range(n_steps):
            if self.settings.update == "simultaneous":
                for _ in range(self.settings.d_steps - 1):
                    self.step_d()
                self.step_both()
                continue
            for _ in range(self.settings.d_steps):
                self.step_d()
            self.step_g()

    # -- measuring
    def samples(self, n: int | None = None) -> Array:
        """The generator's output on the fixed evaluation noise (the first ``n`` of 2500)."""
        z = self.eval_z if n is None else self.eval_z[: count("n", n, 1, self.EVAL_SAMPLES)]
        return (self.g_avg if self.settings.ema > 0 else self.g)(z)

    def metrics(self) -> dict:
        """Modes covered and % high quality on the fixed evaluation noise, with the latest losses."""
        key = (self.d_updates, self.g_updates, self._resets)
        if self._metrics is None or self._metrics[0] != key:
            m = mode_metrics(self.samples(), self.data)
            self._metrics = (key, {"step": self.step, "d_loss": self.d_loss, "g_loss": self.g_loss,
                                   "modes_covered": m["modes_covered"], "modes": m["modes"],
                                   "hq_fraction": m["hq_fraction"]})
        return dict(self._metrics[1])

    def record(self) -> dict:
        """Append the current metrics to ``history`` and return them."""
        m = self.metrics()
        for k in self.history:
            self.history[k].append(m[k])
        return m

    def field(self, resolution: int = 48) -> tuple[Array, Array, Array]:
        """The discriminator's score on a square grid over the data's extent: (xs, ys, score in [0, 1]).

        Logistic losses: σ(D(x)), the probability of "real"; least squares: D(x) clipped to [0, 1].
        """
        resolution = count("resolution", resolution, 2, 1000)
        x0, x1, y0, y1 = self.data.extent
        xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
        pts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        out = self.d(pts)[:, 0]
        score = np.clip(out, 0, 1) if self.settings.loss == "least-squares" else _sigmoid(out)
        return xs, ys, score.reshape(resolution, resolution)

    def pushes(self, n: int | None = None) -> tuple[Array, Array]:
        """Fake points (on the fixed noise) and −∂loss_G/∂x at each: the direction the generator moves them."""
        z = self.eval_z[: (n or self.ARROWS)]
        _, _, fake, gx = generator_loss(self.g, self.d, z, self.settings.loss)
        return fake, -gx

    def caption(self) -> str:
        """Two lines: step, losses, modes, % HQ; then the settings."""
        m = self.metrics()
        s = self.settings
        return (f"step {m['step']} | L_D {m['d_loss']:.2f} L_G {m['g_loss']:.2f} | "
                f"{m['modes_covered']}/{m['modes']} modes | HQ {100 * m['hq_fraction']:.0f}%\n"
                f"{s.loss} η_D {s.lr_d:.1e} η_G {s.lr_g:.1e} γ {s.gamma:.2g} {s.update}")

    # -- drawing
    def frame(self) -> bytes:
        """PNG bytes of the current picture, drawn on a persistent figure (fast: only the artists' data change)."""
        if self._canvas is None:
            self._canvas = _Canvas(self.data.extent)
        return self._canvas.render(self)

    def view(self, size: float = 4.0, dpi: int = 80) -> View:
        """A new figure of the current picture (for static display); ``summary`` holds the metrics."""
        canvas = _Canvas(self.data.extent, size=size, dpi=dpi)
        canvas.update(self)
        return View(canvas.fig, self.metrics())


class _Canvas:
    """A persistent Agg figure: D's field as a heat map, real and fake points, arrows, caption."""

    def __init__(self, extent, size: float = 5.0, dpi: int = 80, resolution: int = 48):
        self.resolution = resolution
        self.fig = Figure(figsize=(size, size), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9)
        ax = self.ax = self.fig.add_subplot()
        self.image = ax.imshow(np.zeros((resolution, resolution)), origin="lower", extent=extent, cmap="PRGn",
                               vmin=0, vmax=1, interpolation="bilinear", alpha=0.85)
        # markers of a Line2D: Agg stamps one cached marker, several times faster than a scatter's collection
        (self.real,) = ax.plot([], [], "o", ms=2.5, mew=0, color="#1b7837", label="real")
        (self.fake,) = ax.plot([], [], "o", ms=2.5, mew=0, color="#762a83", label="fake")
        self.arrows = None
        ax.set(xlim=extent[:2], ylim=extent[2:], aspect="equal")
        ax.set(xticks=[], yticks=[])  # tick labels cost a fifth of a redraw and say little here
        # no legend: it costs a quarter of a redraw; green = real, purple = fake is said in the text
        self.title = ax.set_title("", fontsize=8)

    def update(self, pg: Playground) -> None:
        _, _, score = pg.field(self.resolution)
        self.image.set_data(score)
        self.real.set_data(pg.real_shown[:, 0], pg.real_shown[:, 1])
        fake = np.clip(pg.samples(pg.SHOWN_SAMPLES), -1e6, 1e6)
        self.fake.set_data(fake[:, 0], fake[:, 1])
        pts, push = pg.pushes()
        norm = np.linalg.norm(push, axis=1, keepdims=True)
        scale = 0.08 * (pg.data.extent[1] - pg.data.extent[0])
        push = scale * push / (norm.max() + 1e-12)  # longest arrow = 8% of the width; relative lengths kept
        if self.arrows is None:
            self.arrows = self.ax.quiver(pts[:, 0], pts[:, 1], push[:, 0], push[:, 1], angles="xy", scale_units="xy",
                                         scale=1, color="k", width=0.004, alpha=0.8)
        else:
            self.arrows.set_offsets(pts)
            self.arrows.set_UVC(push[:, 0], push[:, 1])
        self.title.set_text(pg.caption())

    def render(self, pg: Playground) -> bytes:
        self.update(pg)
        self.fig.canvas.draw()
        rgba = np.asarray(self.fig.canvas.buffer_rgba())
        buf = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buf, format="png", compress_level=1)
        return buf.getvalue()


# --------------------------------------------------------------------------- widget


def playground_widget(steps_per_frame: int = 10, interval_ms: int = 100, **settings):
    """The playground with sliders (η_D, η_G, R1 γ), loss and update menus and Train / Step D / Step G / Reset buttons.

    Train toggles an ``ipywidgets.Play`` that ticks every ``interval_ms``; each tick trains
    ``steps_per_frame`` rounds (alternating unless the update menu says simultaneous) and redraws.
    The box's ``playground`` attribute is the :class:`Playground`; ``controls`` maps names to the widgets.
    """
    import ipywidgets as W

    steps_per_frame = count("steps_per_frame", steps_per_frame, 1, 1000)
    interval_ms = count("interval_ms", interval_ms, 10, 10_000)
    pg = Playground(**settings)
    s = pg.settings
    style = {"description_width": "initial"}
    c = {
        "lr_d": W.FloatLogSlider(value=s.lr_d, base=10, min=-4.5, max=-1, step=0.25, description="η_D (discriminator)",
                                 readout_format=".1e", style=style),
        "lr_g": W.FloatLogSlider(value=s.lr_g, base=10, min=-4.5, max=-1, step=0.25, description="η_G (generator)",
                                 readout_format=".1e", style=style),
        "gamma": W.FloatSlider(value=s.gamma, min=0.0, max=2.0, step=0.05, description="R1 γ", style=style),
        "loss": W.Dropdown(options=list(LOSSES), value=s.loss, description="loss"),
        "update": W.Dropdown(options=list(UPDATES), value=s.update, description="update"),
        "train": W.ToggleButton(value=False, description="Train", icon="play", tooltip="train and animate"),
        "play": W.Play(value=0, min=0, max=10**9, step=1, interval=interval_ms, show_repeat=False),
        "step_d": W.Button(description="Step D", tooltip="one discriminator step"),
        "step_g": W.Button(description="Step G", tooltip="one generator step"),
        "reset": W.Button(description="Reset", tooltip="new networks from the seed"),
    }
    image = W.Image(format="png", value=pg.frame(), layout=W.Layout(max_width="100%", height="auto"))
    caption = W.HTML()
    last = {"end": 0.0}

    def redraw() -> None:
        image.value = pg.frame()
        m = pg.metrics()
        caption.value = (f"<span style='font-family:monospace'>step <b>{m['step']}</b> | modes covered "
                         f"<b>{m['modes_covered']}/{m['modes']}</b> | "
                         f"high quality <b>{100 * m['hq_fraction']:.1f}%</b></span>")

    def on_tick(change) -> None:
        if time.perf_counter() - last["end"] < 0.25 * interval_ms / 1000:
            return  # a tick that queued up while the last frame was drawn: drop it so that Pause acts at once
        pg.train(steps_per_frame)
        redraw()
        last["end"] = time.perf_counter()

    def setter(fn):
        return lambda change: (fn(change["new"]), redraw())

    c["lr_d"].observe(setter(pg.set_lr_d), names="value")
    c["lr_g"].observe(setter(pg.set_lr_g), names="value")
    c["gamma"].observe(setter(pg.set_gamma), names="value")
    c["loss"].observe(setter(pg.set_loss), names="value")
    c["update"].observe(setter(pg.set_update), names="value")
    c["play"].observe(on_tick, names="value")
    play_toggle(c["train"], c["play"])  # Train starts and pauses the Play, on ipywidgets 7 and 8
    c["step_d"].on_click(lambda _: (pg.step_d(), redraw()))
    c["step_g"].on_click(lambda _: (pg.step_g(), redraw()))

    def on_reset(_) -> None:
        c["train"].value = False
        pg.reset()
        redraw()

    c["reset"].on_click(on_reset)
    redraw()
    box = W.VBox([
        W.HBox([c["lr_d"], c["lr_g"]]),
        W.HBox([c["gamma"], c["loss"], c["update"]]),
        W.HBox([c["train"], c["play"], c["step_d"], c["step_g"], c["reset"]]),
        image, caption,
    ])
    box.add_class("helpers-explorer")
    box.playground, box.controls, box.image, box.caption, box.redraw = pg, c, image, caption, redraw
    box.tick = lambda: on_tick(None)
    return box


# --------------------------------------------------------------------------- benchmark and static runs


def frames_per_second(seconds: float = 3.0, steps_per_frame: int = 10, warmup: int = 2, **settings) -> dict:
    """Frames per second of the widget's loop (``steps_per_frame`` training rounds + a PNG redraw).

    Returns ``fps`` (wall clock), ``cpu_fps`` (frames per CPU-second of this process: what an idle
    machine would give, since the loop is single-threaded), ``ms_per_frame``, ``ms_train`` and
    ``ms_draw`` (means over the frames) and ``frames``.
    """
    seconds = _positive("seconds", seconds)
    steps_per_frame = count("steps_per_frame", steps_per_frame, 1, 10_000)
    warmup = count("warmup", warmup, 0, 100)
    pg = Playground(**settings)
    for _ in range(warmup):
        pg.train(steps_per_frame)
        pg.frame()
    t_train = t_draw = 0.0
    frames = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        pg.train(steps_per_frame)
        t1 = time.perf_counter()
        pg.frame()
        t2 = time.perf_counter()
        t_train += t1 - t0
        t_draw += t2 - t1
        frames += 1
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {"fps": frames / total, "cpu_fps": frames / max(cpu, 1e-9), "ms_per_frame": 1000 * total / frames,
            "ms_train": 1000 * t_train / frames, "ms_draw": 1000 * t_draw / frames, "frames": frames,
            "steps_per_frame": steps_per_frame}


@dataclass
class RunResult:
    """A static run: ``history`` (arrays per metric), ``snapshots`` (step, fake samples, D field, metrics)."""

    settings: Settings
    data: Mixture
    history: dict
    snapshots: list = field(default_factory=list)
    final_lr_fraction: float = 1.0

    @property
    def final(self) -> dict:
        """The metrics at the last recorded step."""
        return {k: v[-1] for k, v in self.history.items()}

    def best_modes(self) -> int:
        """The most modes covered at any recorded step."""
        return int(np.max(self.history["modes_covered"]))


def run(
    steps: int = 2000, record_every: int = 50, snapshots=(), final_lr_fraction: float = 1.0, **settings
) -> RunResult:
    """Train a :class:`Playground` for ``steps`` rounds, recording metrics every ``record_every`` and snapshots
    at the given steps.

    ``final_lr_fraction`` < 1 decays both learning rates linearly to that fraction of their
    start by the last step (updated every 25 steps); 1 keeps them constant.
    """
    steps = count("steps", steps, 1, 1_000_000)
    record_every = count("record_every", record_every, 1)
    snaps = sorted({count("snapshot step", t, 0, steps) for t in snapshots})
    final = _positive("final_lr_fraction", final_lr_fraction)
    if final > 1:
        raise ValueError(f"final_lr_fraction must be in (0, 1], got {final_lr_fraction!r}")
    pg = Playground(**settings)
    lr_d, lr_g = pg.settings.lr_d, pg.settings.lr_g
    shots = []
    marks = sorted(set(range(0, steps + 1, record_every)) | {steps} | set(snaps))
    done = 0
    for t in marks:
        while done < t:
            chunk = min(25, t - done)
            if final < 1:
                factor = 1 - (1 - final) * (done + chunk / 2) / steps
                pg.set_lr_d(lr_d * factor)
                pg.set_lr_g(lr_g * factor)
            pg.train_quietly(chunk)
            done += chunk
        pg.record()
        if t in snaps:
            _xs, _ys, score = pg.field(60)
            shots.append({"step": t, "fake": pg.samples(1000), "field": score, "metrics": pg.metrics()})
    pg.set_lr_d(lr_d)
    pg.set_lr_g(lr_g)  # the settings report the starting rates
    history = {k: np.asarray(v) for k, v in pg.history.items()}
    return RunResult(pg.settings, pg.data, history, shots, final)


def plot_snapshots(result: RunResult, size: float = 2.4, dpi: int = 80) -> Figure:
    """One panel per snapshot: D's field, real data (green) and fake samples (purple), modes covered in the title."""
    if not result.snapshots:
        raise ValueError("result has no snapshots: pass snapshots=(...) to run()")
    k = len(result.snapshots)
    fig = Figure(figsize=(size * k, size + 0.35), dpi=dpi)
    axes = fig.subplots(1, k, squeeze=False)[0]
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.84, wspace=0.06)
    ext = result.data.extent
    real = result.data.sample(300, np.random.default_rng(0))
    for ax, shot in zip(axes, result.snapshots):
        ax.imshow(shot["field"], origin="lower", extent=ext, cmap="PRGn", vmin=0, vmax=1, interpolation="bilinear",
                  alpha=0.85)
        ax.scatter(*real.T, s=4, c="#1b7837", edgecolors="none")
        fake = np.clip(shot["fake"][:600], -1e6, 1e6)
        ax.scatter(*fake.T, s=3, c="#762a83", edgecolors="none")
        m = shot["metrics"]
        ax.set(xlim=ext[:2], ylim=ext[2:], aspect="equal", xticks=[], yticks=[])
        ax.set_title(f"step {shot['step']}: {m['modes_covered']}/{m['modes']} modes, HQ {100 * m['hq_fraction']:.0f}%",
                     fontsize=8)
    fig.suptitle(f"{result.data.name}, {result.settings.loss}, η_D = {result.settings.lr_d:.2g}, "
                 f"η_G = {result.settings.lr_g:.2g}, γ = {result.settings.gamma:.2g}", fontsize=9)
    return fig


def plot_history(results: dict, size: tuple[float, float] = (4.0, 3.0)) -> Figure:
    """Modes covered and % high-quality samples against the step, one line per labelled :class:`RunResult`."""
    if not results:
        raise ValueError("results must map at least one label to a RunResult, got an empty dict")
    fig = Figure(figsize=(2 * size[0], size[1]))
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.88, wspace=0.3)
    for label, res in results.items():
        h = res.history
        ax1.plot(h["step"], h["modes_covered"], label=label)
        ax2.plot(h["step"], 100 * h["hq_fraction"], label=label)
    modes = next(iter(results.values())).data.modes
    ax1.set(xlabel="step", ylabel="modes covered", ylim=(-0.3, modes + 0.3), title="modes covered (3σ)")
    ax2.set(xlabel="step", ylabel="%", ylim=(-2, 102), title="high-quality samples (within 3σ)")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig
