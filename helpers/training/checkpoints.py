"""The one checkpoint store every trainer and the command line use.

A run directory holds folders ``ckpt-<epoch>``: the model files a trainer writes, then
``state.json`` (epoch, step, config), written last. A folder is written under a temporary name
(``.tmp-ckpt-…``) and renamed when complete, so a crash never leaves a half-written checkpoint
behind; a folder without a readable ``state.json`` is not a checkpoint. :func:`read_state` is the
one reader of ``state.json``; :func:`variable_arrays` and :func:`assign_arrays` carry optimizer and
random-seed state through an ``.npz`` file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines

CHECKPOINT_PREFIX = "ckpt-"
STATE_FILE = "state.json"


def read_state(checkpoint: str | os.PathLike) -> dict:
    """The ``state.json`` of a checkpoint folder; FileNotFoundError / ValueError say what is wrong."""
    path = Path(checkpoint) / STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{checkpoint} is not a complete checkpoint (no {STATE_FILE})")
    try:
        state = json.loads(path.read_text())
        int(state["epoch"]), int(state["step"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is unreadable ({type(exc).__name__}: {exc})") from exc
    return state


def list_checkpoints(out_dir: str | os.PathLike) -> list[Path]:
    """Complete checkpoint folders in ``out_dir``, oldest first (by the step saved in each)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    found = []
    for p in out_dir.glob(CHECKPOINT_PREFIX + "*"):
        if p.is_dir() and (p / STATE_FILE).is_file():
            try:
                found.append((int(read_state(p)["step"]), p.name, p))
            except (ValueError, FileNotFoundError):
                continue  # unreadable: not a checkpoint we wrote
    return [p for _, _, p in sorted(found)]


def latest_checkpoint(out_dir: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint folder in ``out_dir``, or ``None``."""
    ckpts = list_checkpoints(out_dir)
    return ckpts[-1] if ckpts else None


def prune(out_dir: str | os.PathLike, keep_last: int | None) -> None:
    """Delete all but the ``keep_last`` newest checkpoints of ``out_dir`` (``None``: keep them all)."""
    if keep_last is None:
        return
    for old in list_checkpoints(out_dir)[:-keep_last]:
        shutil.rmtree(old, ignore_errors=True)


def write_checkpoint(out_dir: str | os.PathLike, trainer, *, weights: dict, arrays: dict[str, dict],
                     extra: dict | None = None) -> Path:
    """Write ``out_dir/ckpt-<epoch>`` of ``trainer`` atomically and return its path.

    ``weights`` maps file names to the models saved there (``model.save_weights``), ``arrays`` file
    names to the arrays of an ``.npz``; ``state.json`` (the trainer's ``epoch``, ``step`` and ``config()``,
    and ``extra``) is written last. All go into a temporary folder that is then renamed into place,
    replacing a checkpoint of the same epoch. On any error the temporary folder is removed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{CHECKPOINT_PREFIX}{trainer.epoch:05d}"
    state = {"epoch": trainer.epoch, "step": trainer.step, "config": trainer.config(), "extra": extra or {}}
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-" + final.name + "-", dir=out_dir))
    try:
        for name, model in weights.items():
            model.save_weights(tmp / name)
        for name, values in arrays.items():
            np.savez(tmp / name, **values)
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=1))  # last: a folder with it is complete
        if final.exists():  # the same epoch saved again (e.g. a rerun): replace it
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def variable_arrays(prefix: str, variables) -> dict:
    """``{f"{prefix}_{i}": value}`` for the variables in order: what :func:`assign_arrays` puts back."""
    return {f"{prefix}_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(variables)}


def assign_arrays(npz, prefix: str, variables) -> None:
    """Assign each variable the array :func:`variable_arrays` saved for it, when present with the same shape."""
    for i, v in enumerate(variables):
        key = f"{prefix}_{i}"
        if key in npz.files and npz[key].shape == tuple(v.shape):
            v.assign(npz[key])
