"""The one epoch loop every trainer runs: history, progress, resume, checkpoints, time budget and guard.

A trainer (:class:`helpers.training.gan.GANTrainer`, :class:`helpers.training.autoencoder.AutoencoderTrainer`)
owns its step and its checkpoint files; :func:`fit` owns everything around them. What it needs of
a trainer: ``epoch`` and ``step`` counters, ``run_step(batch) -> dict`` of losses (backend scalars, read
in blocks of :data:`READ_EVERY` steps and at every epoch's end, so the host does not wait for the device
after every step),
``save_checkpoint(out_dir)``, ``restore(checkpoint)``, ``models`` (the models whose weights are
checked before every save), and three class attributes and methods that say how its losses read:
``LOSS_KEYS`` (the losses kept in the history), ``MEAN_OVER_IMAGES`` (an epoch's figure is the mean
over images when true, over steps when false) and ``progress(log) -> str`` (the losses on the
progress line). A trainer with a ``set_progress(fraction)`` method is told how far the run has gone
(:func:`run_fraction`) at every epoch's start and every :data:`READ_EVERY` steps, e.g. to anneal its
learning rates over the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines
from helpers.checks import positive_int
from helpers.training.checkpoints import clean_leftovers, prune, scan
from helpers.training.runlock import RunLock

#: the losses are copied to the host (and checked) every this many steps, at every epoch's end and before a save
READ_EVERY = 100


class DivergenceError(RuntimeError):
    """A loss became NaN or infinite; ``step`` and ``epoch`` say where, ``checkpoint`` the last good one."""

    def __init__(self, message: str, step: int, epoch: int, losses: dict, checkpoint: Path | None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch
        self.losses = losses
        self.checkpoint = checkpoint


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT (Ctrl-C, a notebook's interrupt) or SIGTERM stopped training at a step boundary; ``checkpoint``
    is the checkpoint saved there (``None`` without an ``out_dir``)."""

    def __init__(self, message: str, signal_name: str, step: int, checkpoint: Path | None):
        super().__init__(message)
        self.signal_name = signal_name
        self.step = step
        self.checkpoint = checkpoint


@contextlib.contextmanager
def _signals_caught(enabled: bool):
    """While inside: SIGINT and SIGTERM only set the returned list's first item to the signal's name (main thread
    only; elsewhere, or when not ``enabled``, nothing changes). The old handlers come back on leaving."""
    caught: list[str] = []
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield caught
        return
    old = {}

    def handler(signum, frame):
        if caught:  # a second Ctrl-C while saving: let it through
            signal.default_int_handler(signum, frame) if signum == signal.SIGINT else sys.exit(128 + signum)
        caught.append(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.signal(sig, handler)
    try:
        yield caught
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


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
    #: settings that differ from the resumed checkpoint's and took effect: name -> (saved, now).
    changed_on_resume: dict = field(default_factory=dict)


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


class EpochLosses:
    """An epoch's losses: each step's are kept as backend scalars and copied to the host in blocks (one array per
    loss), then checked and added up, weighted by images or by steps (a trainer's ``MEAN_OVER_IMAGES``)."""

    def __init__(self, keys):
        self.keys = tuple(keys)
        self.sums = dict.fromkeys(self.keys, 0.0)
        self.weight = 0.0
        self._pending: list[tuple[dict, float]] = []

    @property
    def unread(self) -> int:
        return len(self._pending)

    def add(self, losses: dict, weight: float) -> None:
        self._pending.append((losses, weight))

    def read(self, last_step: int) -> tuple[int, dict[str, float]] | None:
        """Copy the unread losses (of the steps up to ``last_step``) to the host and add them up; the first
        step with a non-finite loss and its losses, or None when all are finite."""
        if not self._pending:
            return None
        values = {k: np.asarray(keras.ops.convert_to_numpy(keras.ops.stack([p[0][k] for p in self._pending])),
                                dtype=np.float64) for k in self.keys}
        finite = np.logical_and.reduce([np.isfinite(v) for v in values.values()])
        if not finite.all():
            bad = int(np.argmin(finite))
            return last_step - len(self._pending) + 1 + bad, {k: float(v[bad]) for k, v in values.items()}
        w = np.array([p[1] for p in self._pending], dtype=np.float64)
        for k in self.keys:
            self.sums[k] += float(w @ values[k])
        self.weight += float(w.sum())
        self._pending.clear()
        return None

    def means(self) -> dict[str, float]:
        return {k: v / self.weight for k, v in self.sums.items()}


def run_fraction(epochs_done: float, epochs: int, seconds: float, time_budget_s: float | None) -> float:
    """How far a run has gone, 0 to 1: the larger of ``epochs_done / epochs`` and ``seconds / time_budget_s``
    (a run ends at whichever it reaches first)."""
    fraction = epochs_done / epochs
    if time_budget_s is not None:
        fraction = max(fraction, seconds / time_budget_s)
    return min(1.0, max(0.0, fraction))


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
    shuffle a resumed run on from a new seed). With ``out_dir``: the run directory is checked writable
    and locked for this process (one writer per run); what an interrupted save left is finished or
    removed; training resumes from the newest *intact* checkpoint when ``resume`` (a damaged one is named
    and kept, and the one before it is used); it saves every ``checkpoint_every`` epochs and always when
    training stops, keeping the ``keep_last`` newest; SIGINT (Ctrl-C) and SIGTERM save a checkpoint at the
    next step and raise :class:`TrainingInterrupted` naming it. ``time_budget_s``: stop after the epoch
    that crosses it. A non-finite loss raises :class:`DivergenceError` and leaves the checkpoints as they
    were; so do non-finite weights at a save. ``callbacks`` are called after every epoch with
    ``(trainer, log)``. Settings given now that differ from a resumed checkpoint's (e.g. learning rates)
    take effect and are reported (``TrainResult.changed_on_resume``).
    """
    epochs = positive_int("epochs", epochs)
    checkpoint_every = positive_int("checkpoint_every", checkpoint_every, allow_none=True)
    keep_last = positive_int("keep_last", keep_last, allow_none=True)
    check_time_budget(time_budget_s)
    if checkpoint_every is not None and out_dir is None:
        raise ValueError("checkpoint_every needs out_dir (where to write the checkpoints)")
    if out_dir is None:
        return _fit(trainer, dataset, epochs, None, checkpoint_every, keep_last, resume, time_budget_s, callbacks,
                    verbose)
    out_dir = check_out_dir(out_dir)
    with RunLock(out_dir, lambda line: say(verbose, line)):
        for line in clean_leftovers(out_dir):
            say(verbose, line)
        return _fit(trainer, dataset, epochs, out_dir, checkpoint_every, keep_last, resume, time_budget_s,
                    callbacks, verbose)


def check_out_dir(out_dir) -> Path:
    """``out_dir`` as a Path, created if needed, after checking it can hold checkpoints; else a ValueError naming it."""
    if isinstance(out_dir, str) and not out_dir.strip():
        raise ValueError("out_dir must name a directory, got an empty string")
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise ValueError(f"out_dir {path} is a file, not a directory")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"out_dir {path} cannot be created: {parent} is a file")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"out_dir {path} cannot be created ({exc.strerror or exc})") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"out_dir {path} is not writable")
    return path


def _resume(trainer, out_dir: Path, result: TrainResult, verbose: bool) -> None:
    """Restore the newest intact checkpoint of ``out_dir`` (falling back past damaged ones, which are kept)."""
    intact, damaged = scan(out_dir)
    newest_intact_step = None
    for ckpt in reversed(intact):
        before = trainer.config()
        try:
            state = trainer.restore(ckpt)
        except (OSError, ValueError) as exc:  # e.g. a weight file that does not load
            damaged.append((ckpt, f"{type(exc).__name__}: {exc}"))
            continue
        newest_intact_step = state["step"]
        result.checkpoint = ckpt
        saved = state.get("config", {})
        result.changed_on_resume = {k: (saved[k], v) for k, v in before.items()
                                    if k in getattr(trainer, "CHANGEABLE_ON_RESUME", ()) and k in saved
                                    and saved[k] != v}
        break
    for path, why in damaged:
        if result.checkpoint is None or path.name > result.checkpoint.name or newest_intact_step is None:
            say(verbose, f"{path.name} is damaged ({why}); kept as it is, not used")
    if result.checkpoint is not None:
        say(verbose, f"resumed from {result.checkpoint.name} (epoch {trainer.epoch}, step {trainer.step})")
        for key, (old, new) in result.changed_on_resume.items():
            say(verbose, f"  {key}: {_short(old)} in the checkpoint, {_short(new)} from now on")
    elif damaged:
        say(verbose, f"no intact checkpoint in {out_dir}: starting from scratch (the damaged ones are kept)")


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _fit(trainer, dataset, epochs, out_dir, checkpoint_every, keep_last, resume, time_budget_s, callbacks,
         verbose) -> TrainResult:
    callbacks = list(callbacks or [])
    keys = ("epoch", "step", *trainer.LOSS_KEYS, "seconds", "images_per_s")
    result = TrainResult(history={k: [] for k in keys})
    if out_dir is not None and resume:
        _resume(trainer, out_dir, result, verbose)
    batches = dataset()

    def save() -> None:
        nonlocal saved_at
        refuse_non_finite_weights(trainer.models, trainer.step, trainer.epoch, result.checkpoint, verbose)
        result.checkpoint = trainer.save_checkpoint(out_dir)
        saved_at = trainer.step
        prune(out_dir, keep_last)

    def read(losses: EpochLosses) -> None:
        """Copy the unread losses to the host; a non-finite one stops training, naming its step."""
        bad = losses.read(trainer.step)
        if bad is not None:
            step, values = bad
            result.stopped = "diverged"
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            msg = (f"non-finite loss at step {step} (epoch {trainer.epoch + 1}): {shown}; "
                   f"training stopped, last good checkpoint: {result.checkpoint or 'none'}")
            say(verbose, msg)
            raise DivergenceError(msg, step, trainer.epoch + 1, values, result.checkpoint)

    start = time.perf_counter()
    images_total = 0
    images_per_epoch = 0  # known after the first epoch: where the run is inside an epoch
    saved_at = trainer.step if result.checkpoint is not None else None

    def tell_progress(n_images: int) -> None:
        if hasattr(trainer, "set_progress"):
            inside = n_images / images_per_epoch if images_per_epoch else 0.0
            trainer.set_progress(run_fraction(trainer.epoch + min(inside, 1.0), epochs,
                                              time.perf_counter() - start, time_budget_s))

    with _signals_caught(out_dir is not None) as caught:
        while trainer.epoch < epochs:
            t0 = time.perf_counter()
            losses = EpochLosses(trainer.LOSS_KEYS)
            n_images = 0
            tell_progress(0)
            for batch in batches:
                if isinstance(batch, (tuple, list)):
                    batch = batch[0]
                n = int(batch.shape[0])
                losses.add(trainer.run_step(batch), n if trainer.MEAN_OVER_IMAGES else 1)
                n_images += n
                if losses.unread >= READ_EVERY:
                    read(losses)
                    tell_progress(n_images)
                if caught:
                    read(losses)  # a step that diverged is reported, not saved
                    result.stopped = "interrupted"
                    if saved_at != trainer.step:
                        save()  # at this step boundary: the epoch in progress is resumed from its start
                    msg = (f"{caught[0]} at step {trainer.step} (epoch {trainer.epoch + 1}): saved "
                           f"{result.checkpoint}; run again with the same settings to resume")
                    say(verbose, msg)
                    raise TrainingInterrupted(msg, caught[0], trainer.step, result.checkpoint)
            read(losses)
            if n_images == 0:
                raise ValueError("the dataset produced no batches "
                                 "(is batch_size larger than the data with drop_remainder?)")
            trainer.epoch += 1
            seconds = time.perf_counter() - t0
            images_total += n_images
            images_per_epoch = n_images
            log = {"epoch": trainer.epoch, "step": trainer.step, **losses.means(),
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
        if out_dir is not None and saved_at != trainer.step:  # nothing trained, no checkpoint yet
            save()
    result.seconds = time.perf_counter() - start
    result.epochs_done, result.steps = trainer.epoch, trainer.step
    result.images_per_s = images_total / result.seconds if result.seconds > 0 and images_total else 0.0
    return result
