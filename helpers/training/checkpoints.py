"""The one checkpoint store every trainer and the command line use.

A run directory holds folders ``ckpt-<epoch>``: the model files a trainer writes, then
``state.json`` (epoch, step, config, and each file's size and SHA-256), written last. A folder is
written under a temporary name (``.tmp-ckpt-…``) and renamed when complete; saving an epoch again
first moves the old folder aside (``.old-ckpt-…``), then swaps the new one in, so a crash leaves
either the old or the new checkpoint complete, never an empty one, and :func:`clean_leftovers`
finishes or removes what a crash left at the next start.

A checkpoint whose ``state.json`` does not parse, or whose files are missing or differ from the sizes
and checksums it lists, is **damaged**: :func:`scan` reports it by name, :func:`prune` never deletes
it, and a save of the same epoch moves it to ``damaged-ckpt-…`` instead of replacing it.
:func:`read_state` is the one reader of ``state.json``; :func:`variable_arrays` and
:func:`assign_arrays` carry optimizer and random-seed state through an ``.npz`` file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from helpers._keras import keras  # quietly: no TensorFlow start-up lines

CHECKPOINT_PREFIX = "ckpt-"
STATE_FILE = "state.json"
#: where a damaged checkpoint goes when its epoch is saved again (kept, never deleted)
DAMAGED_PREFIX = "damaged-"
_TMP_PREFIX = ".tmp-" + CHECKPOINT_PREFIX
_OLD_PREFIX = ".old-" + CHECKPOINT_PREFIX
_PRUNED_PREFIX = ".pruned-"


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def read_state(checkpoint: str | os.PathLike) -> dict:
    """The ``state.json`` of a checkpoint folder; FileNotFoundError / ValueError say what is wrong."""
    path = Path(checkpoint) / STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{checkpoint} is not a complete checkpoint (no {STATE_FILE})")
    try:
        state = json.loads(path.read_text(), parse_constant=_no_constants)
        if not isinstance(state, dict):
            raise TypeError(f"it holds a JSON {type(state).__name__}, not an object")
        for key in ("epoch", "step"):
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{key} must be an integer >= 0, got {value!r}")
        if not isinstance(state.get("config", {}), dict) or not isinstance(state.get("files", {}), dict):
            raise TypeError("config and files must be JSON objects")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is unreadable ({type(exc).__name__}: {exc})") from exc
    return state


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(checkpoint: str | os.PathLike) -> dict:
    """:func:`read_state`, then every file the state lists checked for its size and SHA-256; return the state.

    Raises FileNotFoundError or ValueError naming what is wrong (a checkpoint written before files were
    listed is checked for its ``state.json`` only)."""
    checkpoint = Path(checkpoint)
    state = read_state(checkpoint)
    for name, meta in state.get("files", {}).items():
        path = checkpoint / name
        if not path.is_file():
            raise ValueError(f"{checkpoint} is missing {name}")
        listed = meta if isinstance(meta, dict) else {}
        if path.stat().st_size != listed.get("bytes") or _digest(path) != listed.get("sha256"):
            raise ValueError(f"{path} differs from what {STATE_FILE} lists (size or SHA-256): it is damaged")
    return state


def scan(out_dir: str | os.PathLike) -> tuple[list[Path], list[tuple[Path, str]]]:
    """``(intact, damaged)``: the intact checkpoint folders of ``out_dir`` oldest first (by step, then name),
    and each damaged one with what is wrong with it."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return [], []
    intact, damaged = [], []
    for p in sorted(out_dir.glob(CHECKPOINT_PREFIX + "*")):
        if not p.is_dir():
            continue
        try:
            intact.append((int(verify(p)["step"]), p.name, p))
        except (ValueError, OSError) as exc:
            damaged.append((p, str(exc)))
    return [p for _, _, p in sorted(intact)], damaged


def list_checkpoints(out_dir: str | os.PathLike) -> list[Path]:
    """Intact checkpoint folders in ``out_dir``, oldest first (by the step saved in each)."""
    return scan(out_dir)[0]


def latest_checkpoint(out_dir: str | os.PathLike) -> Path | None:
    """The newest intact checkpoint folder in ``out_dir``, or ``None``."""
    ckpts = list_checkpoints(out_dir)
    return ckpts[-1] if ckpts else None


def prune(out_dir: str | os.PathLike, keep_last: int | None) -> None:
    """Delete all but the ``keep_last`` newest intact checkpoints of ``out_dir`` (``None``: keep them all).
    Damaged checkpoints are never deleted."""
    if keep_last is None:
        return
    for old in list_checkpoints(out_dir)[:-keep_last]:
        doomed = old.with_name(f"{_PRUNED_PREFIX}{old.name}-{os.getpid()}")  # renamed first: a kill mid-delete
        os.replace(old, doomed)                                              # leaves no half checkpoint
        shutil.rmtree(doomed, ignore_errors=True)


def clean_leftovers(out_dir: str | os.PathLike) -> list[str]:
    """Finish or remove what an interrupted save left in ``out_dir``; return one line per thing done.

    A complete temporary folder (``.tmp-ckpt-…`` whose files verify) whose checkpoint is missing is moved
    into place; so is a moved-aside old copy (``.old-ckpt-…``) when neither the checkpoint nor a complete
    new copy exists. Everything else of those prefixes, and old checkpoints whose pruning was interrupted
    (``.pruned-…``), is deleted."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    done = []
    for p in sorted(out_dir.glob(_PRUNED_PREFIX + "*")):
        shutil.rmtree(p, ignore_errors=True)
        done.append(f"removed {p.name}, an old checkpoint whose deletion was interrupted")
    leftovers = sorted(out_dir.glob(_TMP_PREFIX + "*")) + sorted(out_dir.glob(_OLD_PREFIX + "*"))
    for p in leftovers:
        if not p.is_dir():
            continue
        name = p.name.removeprefix(".tmp-").removeprefix(".old-")[:len(CHECKPOINT_PREFIX) + 5]
        final = out_dir / name
        try:
            intact = bool(name[len(CHECKPOINT_PREFIX):].isdigit()) and bool(verify(p))
        except (ValueError, OSError):
            intact = False
        if intact and not final.exists():
            os.replace(p, final)
            done.append(f"recovered {final.name} from an interrupted save ({p.name})")
        else:
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p.name}, left by an interrupted save")
    return done


def write_checkpoint(out_dir: str | os.PathLike, trainer, *, weights: dict, arrays: dict[str, dict],
                     extra: dict | None = None) -> Path:
    """Write ``out_dir/ckpt-<epoch>`` of ``trainer`` atomically and return its path.

    ``weights`` maps file names to the models saved there (``model.save_weights``), ``arrays`` file
    names to the arrays of an ``.npz``; ``state.json`` (the trainer's ``epoch``, ``step`` and ``config()``,
    ``extra``, and each file's size and SHA-256) is written last. All go into a temporary folder that
    is then renamed into place. A checkpoint of the same epoch is moved aside first and deleted once
    the new one is in place; if it is damaged, it is kept as ``damaged-ckpt-<epoch>-<time>``. On any
    error the temporary folder is removed and the old checkpoint put back.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{CHECKPOINT_PREFIX}{trainer.epoch:05d}"
    tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX[:-len(CHECKPOINT_PREFIX)] + final.name + "-", dir=out_dir))
    aside = None
    try:
        for name, model in weights.items():
            model.save_weights(tmp / name)
        for name, values in arrays.items():
            np.savez(tmp / name, **values)
        files = {p.name: {"bytes": p.stat().st_size, "sha256": _digest(p)} for p in sorted(tmp.iterdir())}
        state = {"epoch": trainer.epoch, "step": trainer.step, "config": trainer.config(), "extra": extra or {},
                 "files": files}
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=1, allow_nan=False))  # last: the folder is complete
        if final.exists():  # the same epoch saved again (e.g. a rerun, or an interrupted epoch)
            try:
                verify(final)
                aside = out_dir / f".old-{final.name}-{tmp.name[-8:]}"
            except (ValueError, OSError):
                stamp = time.strftime("%Y%m%d-%H%M%S")
                os.replace(final, out_dir / f"{DAMAGED_PREFIX}{final.name}-{stamp}")  # kept, never deleted
            if aside is not None:
                os.replace(final, aside)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if aside is not None and aside.exists() and not final.exists():
            os.replace(aside, final)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return final


def variable_arrays(prefix: str, variables) -> dict:
    """``{f"{prefix}_{i}": value}`` for the variables in order: what :func:`assign_arrays` puts back."""
    return {f"{prefix}_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(variables)}


def assign_arrays(npz, prefix: str, variables) -> None:
    """Assign each variable the array :func:`variable_arrays` saved for it, when present with the same shape.

    An optimizer's ``learning_rate`` variable keeps its current value: the rate given now (a flag on resume)
    takes effect; the loop reports the change."""
    for i, v in enumerate(variables):
        key = f"{prefix}_{i}"
        if getattr(v, "path", "").endswith("/learning_rate"):
            continue
        if key in npz.files and npz[key].shape == tuple(v.shape):
            v.assign(npz[key])


def run_checkpoint(run: str | os.PathLike) -> Path:
    """The checkpoint folder ``run`` names: itself when it holds a ``state.json``, else the run directory's latest
    complete ``ckpt-*``; ``FileNotFoundError`` naming the run when there is none."""
    run = Path(run)
    ckpt = run if (run / STATE_FILE).is_file() else latest_checkpoint(run)
    if ckpt is None:
        if not run.is_dir():
            raise FileNotFoundError(f"run directory {run} does not exist")
        raise FileNotFoundError(f"run directory {run} holds no checkpoint (no complete ckpt-* folder)")
    return ckpt
