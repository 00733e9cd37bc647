"""The one epoch loop every trainer runs: history, progress, resume, checkpoints, time budget and guard.

A trainer (:class:`helpers.training.gan.GANTrainer`, :class:`helpers.training.autoencoder.AutoencoderTrainer`)
owns its step and its checkpoint files; :func:`fit` owns everything around them. What it needs of
a trainer: ``epoch`` and ``step`` counters, ``train_step(batch) -> dict`` of float losses,
``save_checkpoint(out_dir)``, ``restore(checkpoint)``, ``models`` (the models whose weights are
checked before every save), and three class attributes and methods that say how its losses read:
``LOSS_KEYS`` (the losses kept in the history), ``MEAN_OVER_IMAGES`` (an epoch's figure is the mean
over images when true, over steps when false) and ``progress(log) -> str`` (the losses on the
progress line).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import positive_int
from helpers.training.checkpoints import latest_checkpoint, prune


class DivergenceError(RuntimeError):
    """A loss became NaN or infinite; ``step`` and ``epoch`` say where, ``checkpoint`` the last good one."""

    def __init__(self, message: str, step: int, epoch: int, losses: dict, checkpoint: Path | None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch
        self.losses = losses
        self.checkpoint = checkpoint


@dataclass
class TrainResult:
    """What a trainer's ``fit`` call did."""

    #: per-epoch lists, this call's epochs only: epoch, step, the trainer's losses, seconds, images_per_s.
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


def say(verbose: bool, line: str) -> None:
    """Print a progress line on stderr when ``verbose``."""
    if verbose:
        print(line, file=sys.stderr, flush=True)


def refuse_non_finite_weights(models, step: int, epoch: int, checkpoint: Path | None, verbose: bool) -> None:
    """Raise :class:`DivergenceError` if any weight of ``models`` is NaN or infinite; :func:`fit` calls it
    just before it saves, so a checkpoint never holds broken weights.

    The loss guard checks the losses a step computed *before* its update; an update that breaks the
    weights on an epoch's last step is caught here instead. ``checkpoint``: the last good one, named in
    the message."""
    for model in models:
        for weight in model.weights:
            if not np.all(np.isfinite(keras.ops.convert_to_numpy(weight))):
                msg = (f"non-finite weights after step {step} (epoch {epoch}): {model.name}/{weight.path}; "
                       f"not saved, training stopped, last good checkpoint: {checkpoint or 'none'}")
                say(verbose, msg)
                raise DivergenceError(msg, step, epoch, {}, checkpoint)


def check_time_budget(time_budget_s) -> float | None:
    """``time_budget_s`` if it is ``None`` or a number of seconds > 0; else a ValueError naming it."""
    if time_budget_s is not None and (isinstance(time_budget_s, bool) or not isinstance(time_budget_s, (int, float))
                                      or not time_budget_s > 0):
        raise ValueError(f"time_budget_s must be > 0 seconds (or None), got {time_budget_s!r}")
    return time_budget_s


def fit(
    trainer,
    dataset: Callable[[], object],
    epochs: int,
    *,
    out_dir: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    keep_last: int | None = None,
    resume: bool = True,
    time_budget_s: float | None = None,
    callbacks: list[Callable] | None = None,
    verbose: bool = True,
) -> TrainResult:
    """Train ``trainer`` until ``epochs`` epochs are done in total (counting any resumed ones).

    ``dataset()`` gives the batches of one pass (called once, after any resume, so that a trainer can
    shuffle a resumed run on from a new seed). With ``out_dir``: resume from its latest checkpoint
    when ``resume``, save every ``checkpoint_every`` epochs and always when training stops, keep the
    ``keep_last`` newest. ``time_budget_s``: stop after the epoch that crosses it. A non-finite loss
    raises :class:`DivergenceError` and leaves the checkpoints as they were; so do non-finite weights
    at a save. ``callbacks`` are called after every epoch with ``(trainer, log)``.
    """
    epochs = positive_int("epochs", epochs)
    checkpoint_every = positive_int("checkpoint_every", checkpoint_every, allow_none=True)
    keep_last = positive_int("keep_last", keep_last, allow_none=True)
    check_time_budget(time_budget_s)
    if checkpoint_every is not None and out_dir is None:
        raise ValueError("checkpoint_every needs out_dir (where to write the checkpoints)")
    callbacks = list(callbacks or [])
    keys = ("epoch", "step", *trainer.LOSS_KEYS, "seconds", "images_per_s")
    result = TrainResult(history={k: [] for k in keys})
    if out_dir is not None and resume:
        ckpt = latest_checkpoint(out_dir)
        if ckpt is not None:
            trainer.restore(ckpt)
            result.checkpoint = ckpt
            say(verbose, f"resumed from {ckpt.name} (epoch {trainer.epoch}, step {trainer.step})")
    batches = dataset()

    def save() -> None:
        nonlocal saved_epoch
        refuse_non_finite_weights(trainer.models, trainer.step, trainer.epoch, result.checkpoint, verbose)
        result.checkpoint = trainer.save_checkpoint(out_dir)
        saved_epoch = trainer.epoch
        prune(out_dir, keep_last)

    start = time.perf_counter()
    images_total = 0
    saved_epoch = trainer.epoch if result.checkpoint is not None else None
    while trainer.epoch < epochs:
        t0 = time.perf_counter()
        sums = dict.fromkeys(trainer.LOSS_KEYS, 0.0)
        weights = n_images = 0
        for batch in batches:
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            losses = trainer.train_step(batch)
            if not all(math.isfinite(v) for v in losses.values()):
                result.stopped = "diverged"
                values = ", ".join(f"{k}={v}" for k, v in losses.items())
                msg = (f"non-finite loss at step {trainer.step} (epoch {trainer.epoch + 1}): {values}; "
                       f"training stopped, last good checkpoint: {result.checkpoint or 'none'}")
                say(verbose, msg)
                raise DivergenceError(msg, trainer.step, trainer.epoch + 1, losses, result.checkpoint)
            n = int(batch.shape[0])
            weight = n if trainer.MEAN_OVER_IMAGES else 1
            for k in sums:
                sums[k] += weight * losses[k]
            weights += weight
            n_images += n
        if n_images == 0:
            raise ValueError("the dataset produced no batches "
                             "(is batch_size larger than the data with drop_remainder?)")
        trainer.epoch += 1
        seconds = time.perf_counter() - t0
        images_total += n_images
        log = {"epoch": trainer.epoch, "step": trainer.step, **{k: v / weights for k, v in sums.items()},
               "seconds": seconds, "images_per_s": n_images / seconds}
        for key in keys:
            result.history[key].append(log[key])
        say(verbose, f"epoch {trainer.epoch}/{epochs}  step {trainer.step}  {trainer.progress(log)}  "
                     f"{seconds:.1f}s  {log['images_per_s']:.0f} img/s")
        for cb in callbacks:
            cb(trainer, log)
        over_budget = time_budget_s is not None and time.perf_counter() - start >= time_budget_s
        last = trainer.epoch >= epochs or over_budget
        if out_dir is not None and (last or (checkpoint_every and trainer.epoch % checkpoint_every == 0)):
            save()
        if over_budget and trainer.epoch < epochs:
            result.stopped = "time_budget"
            say(verbose, f"time budget of {time_budget_s:g}s reached after epoch {trainer.epoch}")
            break
    if out_dir is not None and saved_epoch != trainer.epoch:  # nothing trained, no checkpoint yet
        save()
    result.seconds = time.perf_counter() - start
    result.epochs_done, result.steps = trainer.epoch, trainer.step
    result.images_per_s = images_total / result.seconds if result.seconds > 0 and images_total else 0.0
    return result
