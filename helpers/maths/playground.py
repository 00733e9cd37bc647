"""A 2-D GAN playground in the spirit of GAN Lab (Kahng et al., IEEE VIS 2018), in NumPy: the maths.

A tiny generator (noise → 2-D point) and discriminator (2-D point → one logit d(x), high on real
data: D(x) = σ(d(x)) is its probability that x is real, the series' convention) learn a mixture
of Gaussians: the ring of 8 of the unrolled-GAN paper (Metz et al., 2017: radius 2, std 0.02)
or a 5 × 5 grid. Both are hand-written multilayer perceptrons with LeakyReLU units trained by
Adam (:mod:`helpers.maths.mlp`). At this size a NumPy step costs about what a compiled Keras ``train_step``
does (about 2 ms of CPU for one D and one G step, measured here), but NumPy needs no TensorFlow start-up or
tracing, gives the R1 penalty's second derivative exactly in a few lines, and leaves the frame
budget to the drawing, which costs more than the training.

>>> pg = Playground(loss="non-saturating", seed=0)
>>> pg.train(100)                 # 100 × (one D step, then one G step: alternating)
>>> pg.metrics()["modes_covered"]  # of 8 (some samples within 3σ of the mode)     # doctest: +SKIP

This module holds the data (:func:`ring`, :func:`grid`), the metric (:func:`mode_metrics`), the losses,
the training state (:class:`Settings`, :class:`Playground`) and the static runs (:func:`run`): one
story, about 500 lines, kept together so that a reader follows a training round in one file. Its
pictures are in :mod:`helpers.viz.playground` (the canvas, the snapshots, the history); the widget
with sliders and buttons, and the frame-rate benchmark, in :mod:`helpers.widgets.gan_dynamics`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..checks import count, fraction, non_negative, number, positive
from .mlp import MLP, Adam

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


# --------------------------------------------------------------------------- static runs


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


