"""Fault injection: what happens to a training run when things go wrong, at small sizes.

Each test does to a real run what a crash, a signal, a damaged file or a second writer would do, and checks
that nothing is lost: every checkpoint left is intact or named as damaged and kept, a resume starts from the
newest intact one, and the message says what happened.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers import models
from helpers.training import GANTrainer, checkpoints
from helpers.training.checkpoints import clean_leftovers, latest_checkpoint, read_state, scan, verify
from helpers.training.loop import DivergenceError, TrainingInterrupted
from helpers.training.runlock import LOCK_FILE, RunLock, RunLockedError

REPO = Path(__file__).resolve().parent.parent


def images(n: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 28, 28)).astype(np.float32)


def small_trainer(lr: float = 2e-4, seed: int = 0) -> GANTrainer:
    keras.utils.set_random_seed(seed)
    g, d = models.build_mlp_generator(8, hidden=(16,)), models.build_mlp_discriminator(hidden=(16,))
    return GANTrainer(g, d, g_learning_rate=lr, d_learning_rate=lr, seed=seed)


def fit(trainer, out, epochs, **kwargs):
    return trainer.fit(images(), epochs, batch_size=32, out_dir=out, verbose=True, **kwargs)


#: a training process the tests kill or signal: MLP GAN, 64 images, one checkpoint per epoch (each epoch 2 steps)
CHILD = textwrap.dedent("""
    import sys, numpy as np, keras
    from helpers import models
    from helpers.training import GANTrainer
    keras.utils.set_random_seed(0)
    g, d = models.build_mlp_generator(8, hidden=(16,)), models.build_mlp_discriminator(hidden=(16,))
    trainer = GANTrainer(g, d, seed=0)
    x = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28)).astype(np.float32)
    every = None if sys.argv[3] == "none" else int(sys.argv[3])
    print("started", flush=True)
    trainer.fit(x, int(sys.argv[2]), batch_size=32, out_dir=sys.argv[1], checkpoint_every=every, keep_last=3)
    print("finished", flush=True)
""")


def child(out: Path, epochs: int, every) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(out), str(epochs), str(every)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(proc: subprocess.Popen, stream, text: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if text in line:
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"never saw {text!r} (exit {proc.poll()}): {proc.stderr.read()[-2000:]}")


# --------------------------------------------------------------------------- kill -9 while writing


@pytest.mark.parametrize("try_", range(4))
def test_kill_9_at_any_moment_leaves_only_intact_checkpoints_and_a_resumable_run(tmp_path, try_):
    proc = child(tmp_path, 10_000, 1)
    wait_for_line(proc, proc.stderr, "epoch 2/")           # writing a checkpoint every epoch from now on
    time.sleep(np.random.default_rng(try_).uniform(0.05, 1.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    intact, damaged = scan(tmp_path)
    assert intact and not damaged, (intact, damaged)
    clean_leftovers(tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".tmp-", ".old-", ".pruned-"))]
    last = latest_checkpoint(tmp_path)
    trainer = small_trainer()
    result = fit(trainer, tmp_path, read_state(last)["epoch"] + 1)   # the lock of the killed process: taken over
    assert result.epochs_done == read_state(last)["epoch"] + 1 and result.stopped == "completed"


# --------------------------------------------------------------------------- signals


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_saves_a_checkpoint_at_the_next_step_and_says_where(tmp_path, sig):
    proc = child(tmp_path, 10_000, "none")                  # without the signal: nothing saved before the end
    wait_for_line(proc, proc.stderr, "epoch 3/")
    assert latest_checkpoint(tmp_path) is None
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "finished" not in err
    name = signal.Signals(sig).name
    assert f"{name} at step" in err and "run again with the same settings to resume" in err, err[-1500:]
    ckpt = latest_checkpoint(tmp_path)
    assert ckpt is not None and read_state(ckpt)["step"] >= 6, err[-1500:]
    assert not (tmp_path / LOCK_FILE).exists()              # the lock is released on the way out


def test_interrupted_in_process_names_the_checkpoint(tmp_path, monkeypatch):
    trainer = small_trainer()
    calls = {"n": 0}
    real_step = GANTrainer.run_step
    before = signal.getsignal(signal.SIGINT)  # Python's default_int_handler, or SIG_IGN in a background job

    def step_then_interrupt(self, batch, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGINT)             # Ctrl-C in the middle of epoch 2
        return real_step(self, batch, *args, **kwargs)

    monkeypatch.setattr(GANTrainer, "run_step", step_then_interrupt)
    with pytest.raises(TrainingInterrupted, match=r"SIGINT at step 3 .*ckpt-00001") as info:
        fit(trainer, tmp_path, 50)
    assert info.value.checkpoint == tmp_path / "ckpt-00001" and read_state(info.value.checkpoint)["step"] == 3
    assert signal.getsignal(signal.SIGINT) is before   # the notebook's Ctrl-C is back


# --------------------------------------------------------------------------- damaged checkpoints


def _two_checkpoints(tmp_path):
    trainer = small_trainer()
    fit(trainer, tmp_path, 2, checkpoint_every=1)
    return tmp_path / "ckpt-00001", tmp_path / "ckpt-00002"


@pytest.mark.parametrize("damage", ["truncated state.json", "state.json a list", "string step", "missing key",
                                    "epoch Infinity", "truncated .h5", "missing .h5", "pickled .npz"])
def test_a_damaged_checkpoint_is_named_kept_and_resume_falls_back(tmp_path, capsys, damage):
    first, second = _two_checkpoints(tmp_path)
    state_path = second / "state.json"
    state = json.loads(state_path.read_text())
    if damage == "truncated state.json":
        state_path.write_text(state_path.read_text()[:40])
    elif damage == "state.json a list":
        state_path.write_text("[1, 2]")
    elif damage == "string step":
        state_path.write_text(json.dumps({**state, "step": "4"}))
    elif damage == "missing key":
        state_path.write_text(json.dumps({k: v for k, v in state.items() if k != "epoch"}))
    elif damage == "epoch Infinity":
        state_path.write_text(json.dumps(state).replace('"epoch": 2', '"epoch": Infinity'))
    elif damage == "truncated .h5":
        weights = second / "discriminator.weights.h5"
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "missing .h5":
        (second / "generator.weights.h5").unlink()
    elif damage == "pickled .npz":
        np.savez(second / "optimizers.npz", g_0=np.array([object()], dtype=object))
    intact, damaged = scan(tmp_path)
    assert intact == [first] and [p for p, _ in damaged] == [second]
    capsys.readouterr()
    trainer = small_trainer()
    result = fit(trainer, tmp_path, 3)
    err = capsys.readouterr().err
    assert "ckpt-00002 is damaged" in err and "kept as it is" in err and "resumed from ckpt-00001" in err, err
    assert result.epochs_done == 3 and second.exists()       # resumed at epoch 1; the damaged folder kept
    fit(trainer, tmp_path, 3)                                # a rerun: nothing more to do, nothing deleted
    assert second.exists() or list(tmp_path.glob("damaged-ckpt-00002-*"))


def test_saving_over_a_damaged_checkpoint_moves_it_aside(tmp_path):
    _, second = _two_checkpoints(tmp_path)
    (second / "state.json").write_text("{")
    trainer = small_trainer()
    fit(trainer, tmp_path, 2)                                # resumes from 1, saves epoch 2 again
    verify(second)
    kept = list(tmp_path.glob("damaged-ckpt-00002-*"))
    assert len(kept) == 1 and (kept[0] / "state.json").read_text() == "{"


def test_a_resave_is_atomic_even_if_the_swap_is_interrupted(tmp_path, monkeypatch):
    _, second = _two_checkpoints(tmp_path)
    before = read_state(second)
    trainer = small_trainer()
    trainer.restore(second)
    real_replace = os.replace

    def crash_on_swap(src, dst):
        if Path(src).name.startswith(".tmp-"):
            raise KeyboardInterrupt("killed between moving the old copy aside and the swap")
        return real_replace(src, dst)

    monkeypatch.setattr(checkpoints.os, "replace", crash_on_swap)
    with pytest.raises(KeyboardInterrupt):
        trainer.save_checkpoint(tmp_path)
    monkeypatch.undo()
    assert read_state(second) == before                      # the old copy is back in place, complete
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_leftovers_of_a_killed_save_are_finished_or_removed_at_the_next_start(tmp_path, capsys):
    _, second = _two_checkpoints(tmp_path)
    (tmp_path / ".tmp-ckpt-00003-abcd1234").mkdir()           # a save killed half-way: incomplete
    os.replace(second, tmp_path / ".old-ckpt-00002-deadbeef")  # killed between the two renames of a re-save
    capsys.readouterr()
    trainer = small_trainer()
    fit(trainer, tmp_path, 2)
    err = capsys.readouterr().err
    assert "recovered ckpt-00002" in err and "removed .tmp-ckpt-00003-abcd1234" in err, err
    assert "resumed from ckpt-00002" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00001", "ckpt-00002"]


# --------------------------------------------------------------------------- one writer per run


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": holder.pid, "host": os.uname().nodename,
                                                      "since": "now"}))
        with pytest.raises(RunLockedError, match=f"being written by process {holder.pid}"):
            fit(small_trainer(), tmp_path, 1)
        assert latest_checkpoint(tmp_path) is None
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_message(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "since": "then"}))
    fit(small_trainer(), tmp_path, 1)
    assert f"taking over the lock of {tmp_path} from process {dead.pid}" in capsys.readouterr().err
    assert latest_checkpoint(tmp_path) is not None and not (tmp_path / LOCK_FILE).exists()


def test_two_processes_on_one_run_one_trains_the_other_is_refused(tmp_path):
    first = child(tmp_path, 10_000, 1)
    try:
        wait_for_line(first, first.stderr, "epoch 1/")
        second = child(tmp_path, 10_000, 1)
        _, err = second.communicate(timeout=120)
        assert second.returncode != 0 and f"being written by process {first.pid}" in err, err[-1500:]
    finally:
        first.kill()
        first.wait()


def test_the_lock_cannot_be_taken_twice_by_one_process(tmp_path):
    with RunLock(tmp_path), pytest.raises(RunLockedError, match="already being written by this process"):
        RunLock(tmp_path).acquire()
    assert not (tmp_path / LOCK_FILE).exists()


# --------------------------------------------------------------------------- divergence, flags on resume


def test_weights_broken_on_an_epochs_last_step_leave_the_last_good_checkpoint_finite(tmp_path, monkeypatch):
    trainer = small_trainer()
    fit(trainer, tmp_path, 1)
    real_step = GANTrainer.run_step

    def breaking(self, batch, *args, **kwargs):
        out = real_step(self, batch, *args, **kwargs)
        if self.step == 4:                                   # epoch 2's last step: losses fine, weights broken
            self.discriminator.layers[-1].kernel.assign(np.full(self.discriminator.layers[-1].kernel.shape, np.nan))
        return out

    monkeypatch.setattr(GANTrainer, "run_step", breaking)
    with pytest.raises(DivergenceError, match=r"non-finite weights .* last good checkpoint: .*ckpt-00001"):
        fit(trainer, tmp_path, 2)
    last = latest_checkpoint(tmp_path)
    assert last.name == "ckpt-00001"
    probe = small_trainer()
    probe.restore(last)
    assert all(np.all(np.isfinite(w)) for w in probe.discriminator.get_weights())


def test_a_learning_rate_given_on_resume_takes_effect_and_is_reported(tmp_path, capsys):
    fit(small_trainer(lr=2e-4), tmp_path, 1)
    capsys.readouterr()
    trainer = small_trainer(lr=1e-4)
    result = fit(trainer, tmp_path, 2)
    assert np.isclose(float(trainer.g_optimizer.learning_rate), 1e-4)
    assert np.isclose(float(trainer.d_optimizer.learning_rate), 1e-4)
    assert result.changed_on_resume == {"g_learning_rate": pytest.approx((2e-4, 1e-4)),
                                        "d_learning_rate": pytest.approx((2e-4, 1e-4))}
    assert "g_learning_rate: 0.0002 in the checkpoint, 0.0001 from now on" in capsys.readouterr().err
    assert np.isclose(read_state(latest_checkpoint(tmp_path))["config"]["g_learning_rate"], 1e-4)


# --------------------------------------------------------------------------- out_dir checked first


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "file.txt", "is a file, not a directory"),
    (lambda p: p / "file.txt" / "run", "is a file"),
    (lambda p: "", "empty string"),
])
def test_a_bad_out_dir_is_refused_before_any_training(tmp_path, monkeypatch, make, words):
    (tmp_path / "file.txt").write_text("x")
    monkeypatch.setattr(GANTrainer, "run_step", lambda *a, **k: pytest.fail("trained before checking out_dir"))
    with pytest.raises(ValueError, match=words):
        small_trainer().fit(images(), 1, batch_size=32, out_dir=make(tmp_path), verbose=False)


# --------------------------------------------------------------------------- silent wrong results made errors


def _one_nan_pixel():
    x = images()
    x[5, 10, 10] = np.nan
    return x


@pytest.mark.parametrize("bad, words", [
    (images() * 127.5 + 127.5, r"images must be finite values in \[-1, 1\] .*got values from"),   # [0, 255] floats
    (_one_nan_pixel(), r"got 1 NaN or inf values"),  # not a divergence: bad data, said before training
])
def test_images_out_of_range_or_not_finite_are_refused_before_training(tmp_path, bad, words):
    with pytest.raises(ValueError, match=words):
        small_trainer().fit(bad.astype(np.float32), 1, batch_size=32, out_dir=tmp_path, verbose=False)
    assert latest_checkpoint(tmp_path) is None


def test_time_budget_true_is_refused_not_one_second(tmp_path):
    with pytest.raises(ValueError, match=r"time_budget_s must be > 0 seconds \(or None\), got True"):
        small_trainer().fit(images(), 1, batch_size=32, time_budget_s=True, verbose=False)
