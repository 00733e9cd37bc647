import contextlib
import io
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import cli, data, evaluation
from tests.support import real_mnist

REPO = Path(__file__).resolve().parents[1]
TINY_TRAIN = ["--arch", "mlp", "--subset", "256", "--batch-size", "64"]  # 4 steps an epoch


def run_main(argv) -> tuple[int, str, str]:
    """Call cli.main in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def state(ckpt: Path) -> dict:
    return json.loads((ckpt / "state.json").read_text())


@pytest.fixture(scope="module")
def mnist_path():
    path = real_mnist()
    mp = pytest.MonkeyPatch()
    mp.setenv("MNIST_PATH", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def trained(mnist_path, tmp_path_factory):
    """One epoch of the MLP GAN on 256 digits, trained through the command line."""
    run = tmp_path_factory.mktemp("cli") / "run"
    code, out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "1", "--seed", "3", "--out", run])
    assert code == 0, err
    return run, out, err


@pytest.fixture
def run_copy(trained, tmp_path):
    """A private copy of the trained run (tests that train more must not change the shared one)."""
    dest = tmp_path / "run"
    shutil.copytree(trained[0], dest)
    return dest


# ----------------------------------------------------------------------------- train-gan


def test_train_writes_checkpoint_grid_and_summary(trained):
    run, out, err = trained
    ckpts = sorted(p.name for p in run.glob("ckpt-*"))
    assert ckpts == ["ckpt-00001"]
    s = state(run / "ckpt-00001")
    assert (s["epoch"], s["step"]) == (1, 4)  # 256 images / batch 64
    assert s["config"]["generator"] == "mlp_generator" and s["config"]["seed"] == 3
    assert s["config"]["ema"] == 0.9999 and (run / "ckpt-00001" / "generator_ema.weights.h5").is_file()
    assert "ema 0.9999" in err  # the MLP's default
    png = run / "samples-epoch-00001.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = out.strip().splitlines()[-1]
    for piece in ("epoch 1/1", "steps 4", " s,", "images/s", "stopped: completed"):
        assert piece in summary
    assert float(re.search(r"([\d.]+) images/s", summary).group(1)) > 0
    assert "epoch 1/1" in err and "resumed" not in err  # progress on stderr, a fresh run


def test_second_train_resumes_and_continues_the_step_counter(run_copy):
    code, out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "2", "--out", run_copy])
    assert code == 0, err
    assert "resumed from" in err and "ckpt-00001" in err
    s = state(run_copy / "ckpt-00002")
    assert (s["epoch"], s["step"]) == (2, 8)
    assert "epoch 2/2 (1 this run)" in out and "steps 8" in out


def test_resume_with_another_arch_is_a_clear_error(run_copy):
    code, out, err = run_main(["train-gan", "--arch", "dcgan", "--epochs", "2", "--subset", "64", "--out", run_copy])
    assert code == 1 and out == ""
    assert err.startswith("error: ") and "holds a mlp run" in err and "--arch mlp" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (run_copy / "ckpt-00002").exists()


def test_time_budget_stops_after_the_crossing_epoch_and_saves(mnist_path, tmp_path):
    run = tmp_path / "budget"
    code, out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "5", "--time-budget", "0.0001", "--out", run])
    assert code == 0, err
    assert sorted(p.name for p in run.glob("ckpt-*")) == ["ckpt-00001"]
    assert "stopped: time_budget" in out and "time budget" in err


def test_divergence_names_the_step_and_last_good_checkpoint(run_copy, monkeypatch):
    from helpers.training import GANTrainer

    def nan_step(self, real, update_generator=True):
        self.step += 1
        return {"d_loss": math.nan, "g_loss": math.nan}

    monkeypatch.setattr(GANTrainer, "run_step", nan_step)
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "3", "--out", run_copy])
    assert code == 1 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: training diverged at step 5 (epoch 2)")
    assert str(run_copy / "ckpt-00001") in last
    assert not (run_copy / "ckpt-00002").exists()


@pytest.mark.parametrize("signal_name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_interrupted_training_is_one_line_naming_the_checkpoint(signal_name, code, run_copy, monkeypatch):
    from helpers.training import GANTrainer
    from helpers.training.loop import TrainingInterrupted

    def interrupted_fit(self, *args, **kwargs):
        raise TrainingInterrupted(f"{signal_name} at step 6", signal_name, 6, run_copy / "ckpt-00002")

    monkeypatch.setattr(GANTrainer, "fit", interrupted_fit)
    got, out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "3", "--out", run_copy])
    assert (got, out) == (code, "") and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"error: interrupted by {signal_name} at step 6: saved "
                                            f"{run_copy / 'ckpt-00002'}; rerun the same command to resume")


def test_a_locked_run_is_one_line_exit_1(ae_run, tmp_path, monkeypatch):
    from helpers.training.autoencoder import AutoencoderTrainer
    from helpers.training.runlock import RunLockedError

    def locked_fit(self, *args, **kwargs):
        raise RunLockedError(f"{tmp_path}/run is in use by process 4242 on host h\n(delete .lock if it is stale)")

    monkeypatch.setattr(AutoencoderTrainer, "fit", locked_fit)
    got, out, err = run_main(["train-autoencoder", *TINY_AE, "--epochs", "2", "--out", tmp_path / "run"])
    assert (got, out) == (1, "") and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last == f"error: {tmp_path}/run is in use by process 4242 on host h (delete .lock if it is stale)"


def test_an_unexpected_error_is_one_line_unless_a_traceback_is_asked_for(tmp_path, monkeypatch, capsys):
    def broken(path):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(cli, "load_images", broken)
    monkeypatch.delenv("HELPERS_TRACEBACK", raising=False)
    argv = ["evaluate", str(tmp_path / "x.npy")]
    assert cli.main(argv) == 1
    assert capsys.readouterr().err == ("error: RuntimeError: something broke (an unexpected failure; "
                                       "HELPERS_TRACEBACK=1 shows where)\n")
    monkeypatch.setenv("HELPERS_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="broke"):
        cli.main(argv)


def test_train_reports_missing_mnist_without_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PATH", str(tmp_path / "nowhere.npz"))
    code, _, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "1", "--out", tmp_path / "run"])
    assert code == 1 and "nowhere.npz" in err and "Traceback" not in err


def test_train_out_that_is_a_file_is_an_error(mnist_path, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "1", "--out", f])
    assert code == 1 and "is not a directory" in err


# ----------------------------------------------------------------------------- sample


def test_sample_writes_uint8_images_deterministically(trained, tmp_path):
    run = trained[0]
    code, out, err = run_main(["sample", "--run", run, "--n", "7", "--out", tmp_path / "a.npy", "--seed", "1"])
    assert code == 0, err
    a = np.load(tmp_path / "a.npy")
    assert a.dtype == np.uint8 and a.shape == (7, 28, 28) and "ckpt-00001" in out
    run_main(["sample", "--run", run, "--n", "7", "--out", tmp_path / "b.npy", "--seed", "1"])
    run_main(["sample", "--run", run, "--n", "7", "--out", tmp_path / "sub" / "c", "--seed", "2"])
    np.testing.assert_array_equal(a, np.load(tmp_path / "b.npy"))
    assert not np.array_equal(a, np.load(tmp_path / "sub" / "c.npy"))  # suffix added, folder created


def test_sample_draws_from_the_moving_average_of_the_generator(trained, tmp_path):
    import keras

    from helpers import models, training

    run = trained[0]
    code, _, err = run_main(["sample", "--run", run, "--n", "5", "--out", tmp_path / "s.npy", "--seed", "4"])
    assert code == 0, err
    got = np.load(tmp_path / "s.npy")
    g = models.build_mlp_generator(100)
    g.load_weights(run / "ckpt-00001" / training.EMA_FILE)
    np.testing.assert_array_equal(got, training.sample(g, 5, seed=4))
    g.load_weights(run / "ckpt-00001" / "generator.weights.h5")
    assert not np.array_equal(got, training.sample(g, 5, seed=4))
    keras.backend.clear_session()


def test_sample_missing_run_and_empty_run_are_errors(tmp_path):
    code, _, err = run_main(["sample", "--run", tmp_path / "absent", "--n", "3", "--out", tmp_path / "x.npy"])
    assert code == 1 and "absent does not exist" in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    code, _, err = run_main(["sample", "--run", tmp_path / "empty", "--n", "3", "--out", tmp_path / "x.npy"])
    assert code == 1 and "holds no checkpoint" in err
    assert not (tmp_path / "x.npy").exists()


def test_checkpoint_arch_reads_the_saved_config(trained, tmp_path):
    assert cli.checkpoint_arch(trained[0] / "ckpt-00001") == ("mlp", 100)
    bad = tmp_path / "ckpt-00001"
    bad.mkdir()
    (bad / "state.json").write_text(json.dumps({"epoch": 1, "step": 1, "config": {"generator": "vae"}}))
    with pytest.raises(cli.CLIError, match="'vae'"):
        cli.checkpoint_arch(bad)
    (bad / "state.json").write_text("{not json")
    with pytest.raises(cli.CLIError, match="unreadable"):
        cli.checkpoint_arch(bad)


# ----------------------------------------------------------------------------- evaluate


@pytest.fixture(scope="module")
def tiny_judge(mnist_path, tmp_path_factory):
    """A real judge trained in seconds on 500 digits (reference: 200 test digits), in a temporary data folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HELPERS_DATA_DIR", str(tmp_path_factory.mktemp("judge_data")))
    try:
        return evaluation.load_judge(epochs=1, subset=500, test_subset=200, batch_size=64, data_path=mnist_path)
    finally:
        mp.undo()


def test_evaluate_prints_the_real_judges_figures(tiny_judge, mnist_path, tmp_path, monkeypatch):
    monkeypatch.setenv("HELPERS_DATA_DIR", str(tmp_path))  # no default judge cached here: first-use message
    monkeypatch.setattr(cli, "load_judge", lambda: tiny_judge)
    digits = data.load_mnist(mnist_path, scale=None, subset=300)[0][0]
    np.save(tmp_path / "digits.npy", digits[..., None])  # N×28×28×1 is accepted too
    noise = np.random.default_rng(0).integers(0, 256, (300, 28, 28), dtype=np.uint8)
    np.save(tmp_path / "noise.npy", noise)

    code, out, err = run_main(["evaluate", tmp_path / "digits.npy"])
    assert code == 0, err
    assert "training the MNIST judge" in err and "2 minutes" in err
    expected = tiny_judge.evaluate(digits)
    line = out.splitlines()[0]
    assert line == (f"FID {expected.fid:.2f} | IS {expected.inception_score:.2f} | coverage {expected.coverage:.2f} | "
                    f"confidence {expected.confidence:.3f} | n 300")
    assert "class counts 0-9: " + " ".join(map(str, expected.class_counts)) in out
    code, out_noise, _ = run_main(["evaluate", tmp_path / "noise.npy", "--reference", "test"])
    assert code == 0
    fid = lambda text: float(re.search(r"FID ([\d.]+)", text).group(1))  # noqa: E731
    assert fid(out) < fid(out_noise)  # real digits sit far closer to the test set than noise


def test_evaluate_says_nothing_about_training_when_the_judge_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPERS_DATA_DIR", str(tmp_path))
    cache = evaluation.judge_dir() / f"{evaluation.JudgeConfig().key()}.npz"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"")

    class Stub:
        def evaluate(self, images, reference="test"):
            self.seen = (images.shape, reference)
            return evaluation.JudgeReport(1.0, 2.0, 3.0, 0.5, len(images), (len(images),) + (0,) * 9)

    stub = Stub()
    monkeypatch.setattr(cli, "load_judge", lambda: stub)
    np.save(tmp_path / "x.npy", np.zeros((4, 28, 28), np.uint8))
    code, out, err = run_main(["evaluate", tmp_path / "x.npy"])
    assert code == 0 and err == "" and stub.seen == ((4, 28, 28), "test")
    assert out.startswith("FID 1.00 | IS 2.00 | coverage 3.00 | confidence 0.500 | n 4")


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        (np.zeros((5, 28, 27), np.uint8), "shape (5, 28, 27)"),
        (np.zeros((5, 28, 28, 3), np.uint8), "shape (5, 28, 28, 3)"),
        (np.zeros((5, 28, 28), np.float32), "float32"),
        (np.zeros((1, 28, 28), np.uint8), "N >= 2"),
        (b"not an array", "not a readable .npy"),
    ],
)
def test_evaluate_bad_files_are_one_line_errors(content, message, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "load_judge", lambda: pytest.fail("the judge must not load for a bad file"))
    path = tmp_path / "x.npy"
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif content is not None:
        path.write_bytes(content)
    code, out, err = run_main(["evaluate", path])
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_load_images_accepts_a_channel_axis(tmp_path):
    np.save(tmp_path / "x.npy", np.full((3, 28, 28, 1), 7, np.uint8))
    x = cli.load_images(tmp_path / "x.npy")
    assert x.shape == (3, 28, 28) and x.dtype == np.uint8 and x.max() == 7
    np.savez(tmp_path / "y.npz", a=np.zeros(3))
    with pytest.raises(cli.CLIError, match="several arrays"):
        cli.load_images(tmp_path / "y.npz")


# ----------------------------------------------------------------------------- train-autoencoder


TINY_AE = ["--arch", "dense", "--latent", "4", "--subset", "256", "--batch-size", "64"]  # 4 steps an epoch


@pytest.fixture(scope="module")
def ae_run(mnist_path, tmp_path_factory):
    """One epoch of a small dense autoencoder on 256 digits, trained through the command line."""
    run = tmp_path_factory.mktemp("cli_ae") / "run"
    code, out, err = run_main(["train-autoencoder", *TINY_AE, "--epochs", "1", "--loss", "bce", "--out", run])
    assert code == 0, err
    return run, out, err


def test_train_autoencoder_writes_a_checkpoint_and_a_summary(ae_run):
    run, out, err = ae_run
    assert sorted(p.name for p in run.iterdir()) == ["ckpt-00001"]
    s = state(run / "ckpt-00001")
    assert (s["epoch"], s["step"]) == (1, 4)
    assert s["config"]["kind"] == "autoencoder" and s["config"]["arch"] == "dense"
    assert (s["config"]["latent_dim"], s["config"]["loss"], s["config"]["variational"]) == (4, "bce", False)
    summary = out.strip().splitlines()[-1]
    for piece in ("dense autoencoder: epoch 1/1 (1 this run)", "steps 4", "images/s", "stopped: completed"):
        assert piece in summary
    assert "training dense autoencoder (latent 4, loss bce) on 256 MNIST images" in err and "epoch 1/1" in err


def test_train_autoencoder_resumes_and_refuses_another_model(ae_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(ae_run[0], run)
    code, out, err = run_main(["train-autoencoder", *TINY_AE, "--epochs", "2", "--out", run])
    assert code == 0, err
    assert "resumed from" in err and state(run / "ckpt-00002")["step"] == 8 and "epoch 2/2 (1 this run)" in out
    code, out, err = run_main(["train-autoencoder", "--arch", "conv", "--latent", "4", "--epochs", "3", "--vae",
                               "--subset", "64", "--out", run])
    assert code == 1 and out == "" and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "holds another autoencoder" in err and "arch 'dense' (asked 'conv')" in err and "variational False" in err
    assert not (run / "ckpt-00003").exists()


def test_train_autoencoder_vae_with_noise_and_budget(mnist_path, tmp_path):
    run = tmp_path / "vae"
    code, out, err = run_main(["train-autoencoder", *TINY_AE, "--vae", "--noise", "0.2", "--epochs", "3",
                               "--time-budget", "0.0001", "--out", run])
    assert code == 0, err
    c = state(run / "ckpt-00001")["config"]
    assert c["variational"] is True and c["noise_std"] == 0.2
    assert "dense VAE: epoch 1/3" in out and "stopped: time_budget" in out and " kl " in err


def test_gan_and_autoencoder_runs_are_not_mixed_up(trained, ae_run, tmp_path):
    code, _, err = run_main(["train-autoencoder", *TINY_AE, "--epochs", "2", "--out", trained[0]])
    assert code == 1 and "holds a GAN run" in err and "mlp_generator" in err
    code, _, err = run_main(["evaluate-reconstruction", "--run", trained[0]])
    assert code == 1 and "holds a GAN run" in err
    code, _, err = run_main(["sample", "--run", ae_run[0], "--n", "2", "--out", tmp_path / "x.npy"])
    assert code == 1 and "holds an autoencoder, not a GAN" in err and "Traceback" not in err


def test_train_autoencoder_missing_mnist_and_file_out(tmp_path, monkeypatch):
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run_main(["train-autoencoder", *TINY_AE, "--epochs", "1", "--out", f])
    assert code == 1 and "is not a directory" in err
    monkeypatch.setenv("MNIST_PATH", str(tmp_path / "nowhere.npz"))
    code, _, err = run_main(["train-autoencoder", *TINY_AE, "--epochs", "1", "--out", tmp_path / "run"])
    assert code == 1 and "nowhere.npz" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- evaluate-reconstruction


def test_evaluate_reconstruction_prints_the_test_figures(ae_run, mnist_path):
    from helpers.evaluation.image_metrics import reconstruction_report
    from helpers.training.autoencoder import load_autoencoder

    code, out, err = run_main(["evaluate-reconstruction", "--run", ae_run[0], "--subset", "40"])
    assert code == 0, err
    xt = data.load_mnist(mnist_path, scale="0-1", test_subset=40)[1][0]
    r = reconstruction_report(xt, load_autoencoder(ae_run[0]).reconstruct(xt))
    first, second = out.strip().splitlines()
    assert first == (f"MSE {r['mse']:.5f} | PSNR of that MSE {r['pooled_psnr']:.2f} dB | "
                     f"mean per-image PSNR {r['psnr']:.2f} dB | SSIM {r['ssim']:.4f} | n 40")
    assert "dense autoencoder, latent 4, loss bce, ckpt-00001 (epoch 1)" in second
    assert 0 < r["mse"] < 0.25 and 5 < r["psnr"] < 30 and -1 < r["ssim"] < 1


def test_evaluate_reconstruction_missing_and_empty_runs(tmp_path):
    code, out, err = run_main(["evaluate-reconstruction", "--run", tmp_path / "absent"])
    assert code == 1 and out == "" and "absent does not exist" in err and "train-autoencoder" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run_main(["evaluate-reconstruction", "--run", tmp_path / "empty"])
    assert code == 1 and "holds no checkpoint" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train-autoencoder", "--latent", "0", "--epochs", "1", "--out", "d"],
         "--latent: must be a positive integer (1 or more) up to 4096 (larger latent sizes only exhaust memory)"),
        (["train-autoencoder", "--latent", "8", "--epochs", "0", "--out", "d"], "--epochs: must be a positive integer"),
        (["train-autoencoder", "--latent", "8", "--epochs", "1", "--arch", "mlp", "--out", "d"],
         "invalid choice: 'mlp'"),
        (["train-autoencoder", "--latent", "8", "--epochs", "1", "--loss", "l3", "--out", "d"], "invalid choice: 'l3'"),
        (["train-autoencoder", "--latent", "8", "--epochs", "1", "--noise", "-1", "--out", "d"],
         "--noise: must be a standard deviation from 0 to 1 (the images are in [0, 1]), got -1"),
        (["train-autoencoder", "--latent", "8", "--epochs", "1", "--lr", "0", "--out", "d"],
         "--lr: must be a number > 0 and at most 3.403e+38 (float32's largest), got 0"),
        (["train-autoencoder", "--latent", "8", "--epochs", "1", "--time-budget", "0", "--out", "d"],
         "--time-budget: must be a number > 0"),
        (["train-autoencoder", "--latent", "8", "--epochs", "1", "--subset", "0", "--out", "d"],
         "from 1 to 60000, got 0"),
        (["train-autoencoder", "--epochs", "1", "--out", "d"], "--latent"),
        (["evaluate-reconstruction", "--run", "d", "--subset", "10001"],
         "--subset: must be an integer from 1 to 10000, got 10001"),
        (["evaluate-reconstruction"], "--run"),
    ],
)
def test_bad_autoencoder_arguments_exit_2_with_a_message(argv, message, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train-gan", "--arch", "mlp", "--epochs", "0", "--out", "d"],
         "--epochs: must be a positive integer (1 or more) up to 100000 (epochs in total), got 0"),
        (["train-gan", "--arch", "mlp", "--epochs", "-3", "--out", "d"], "got -3"),
        (["train-gan", "--arch", "mlp", "--epochs", "two", "--out", "d"], "got 'two'"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--batch-size", "0", "--out", "d"],
         "--batch-size: must be a positive integer"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--time-budget", "0", "--out", "d"],
         "--time-budget: must be a number > 0 (minutes) up to 525600 (a year), got 0"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--time-budget", "-2", "--out", "d"], "got -2"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--lr-g", "nan", "--out", "d"],
         "--lr-g: must be a number > 0"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--lr-d", "1e39", "--out", "d"],  # inf in float32
         "--lr-d: must be a number > 0 and at most 3.403e+38 (float32's largest), got 1e39"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--subset", "60001", "--out", "d"],
         "from 1 to 60000, got 60001"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--seed", "-1", "--out", "d"],
         "--seed: must be a non-negative integer (0 or more) up to 4294967295 (a 32-bit seed), got -1"),
        (["train-gan", "--arch", "mlp", "--epochs", "1", "--ema", "1", "--out", "d"],
         "--ema: must be a decay from 0 (no average)"),
        (["train-gan", "--arch", "vae", "--epochs", "1", "--out", "d"], "invalid choice: 'vae'"),
        (["train-gan", "--arch", "mlp", "--epochs", "1"], "--out"),
        (["sample", "--run", "d", "--n", "0", "--out", "x.npy"], "--n: must be a positive integer (1 or more) up to"),
        (["evaluate", "x.npy", "--reference", "train"], "invalid choice: 'train'"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.err.startswith("error: ") and len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "fn, good, bad",
    [
        (cli.positive_int, [("1", 1), ("128", 128)], ["0", "-1", "1.5", "x"]),
        (cli.non_negative_int, [("0", 0), ("7", 7)], ["-1", "x"]),
        (cli.positive_float, [("2e-4", 2e-4), ("10", 10.0)], ["0", "-1e-3", "inf", "nan", "x"]),
        (cli.subset_size, [("1", 1), ("60000", 60000)], ["0", "60001", "x"]),
        (cli.test_subset_size, [("1", 1), ("10000", 10000)], ["0", "10001", "x"]),
        (cli.non_negative_float, [("0", 0.0), ("0.5", 0.5)], ["-0.1", "inf", "nan", "x"]),
        (cli.ema_decay, [("0", 0.0), ("0.999", 0.999)], ["1", "-0.1", "1.5", "nan", "x"]),
        (cli.seed, [("0", 0), ("4294967295", 2**32 - 1)], ["-1", "4294967296", "x"]),
        (cli.epoch_count, [("1", 1), ("100000", 100_000)], ["0", "100001", "x"]),
        (cli.batch_size, [("1", 1), ("60000", 60_000)], ["0", "60001", "x"]),
        (cli.latent_size, [("1", 1), ("4096", 4096)], ["0", "4097", "x"]),
        (cli.sample_count, [("1", 1), ("1000000", 1_000_000)], ["0", "1000001", "x"]),
        (cli.checkpoint_every, [("1", 1), ("100000", 100_000)], ["0", "100001", "x"]),
        (cli.minutes, [("0.5", 0.5), ("525600", 525_600.0)], ["0", "-1", "525601", "inf", "nan", "x"]),
        (cli.noise_std, [("0", 0.0), ("1", 1.0)], ["-0.1", "1.01", "inf", "nan", "x"]),
        (cli.learning_rate, [("2e-4", 2e-4), ("3.4e38", 3.4e38)], ["0", "-1", "1e39", "inf", "nan", "x"]),
        (cli.anneal_fraction, [("0", 0.0), ("0.1", 0.1), ("1", 1.0)], ["-0.1", "1.01", "inf", "nan", "x"]),
    ],
)
def test_argument_types(fn, good, bad):
    import argparse

    for text, value in good:
        assert fn(text) == value
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(repr(text)) if text == "x" else re.escape(text)):
            fn(text)


def test_path_arguments_refuse_an_empty_path():
    import argparse

    assert cli.path("runs/a") == Path("runs/a")
    for text in ("", "  ", "a\0b"):
        with pytest.raises(argparse.ArgumentTypeError, match="non-empty path"):
            cli.path(text)


def test_default_batch_is_capped_at_the_subset():
    parse = cli.build_parser().parse_args
    args = parse(["train-autoencoder", "--latent", "4", "--epochs", "1", "--subset", "50", "--out", "r"])
    assert args.batch_size is None and cli.check_batch(args, 128) == 50
    args = parse(["train-gan", "--arch", "mlp", "--epochs", "1", "--batch-size", "32", "--out", "r"])
    assert cli.check_batch(args, 64) == 32
    args = parse(["train-gan", "--arch", "mlp", "--epochs", "1", "--subset", "8", "--batch-size", "9", "--out", "r"])
    with pytest.raises(cli.UsageError, match="at most the 8 images"):
        cli.check_batch(args, 64)


def test_build_parser_defaults():
    args = cli.build_parser().parse_args(["train-gan", "--arch", "dcgan", "--epochs", "3", "--out", "r"])
    defaults = (args.batch_size, args.lr_g, args.lr_d, args.time_budget, args.subset, args.seed)
    assert defaults == (None, None, None, None, None, 0)  # batch and rates: per architecture, or the checkpoint's
    assert args.ema is None and cli.DEFAULT_BATCH == {"mlp": 128, "dcgan": 128}  # per architecture, or the checkpoint's
    assert cli.DEFAULT_LR == {"mlp": (4e-4, 2e-4), "dcgan": (2e-4, 2e-4)}  # (generator, discriminator)
    assert cli.DEFAULT_EMA == {"mlp": 0.9999, "dcgan": 0.999}
    assert args.update is None and cli.DEFAULT_UPDATE == {"mlp": "alternating", "dcgan": "simultaneous"}
    assert args.func is cli.cmd_train_gan and args.out == Path("r")


def test_sample_grid_png_holds_every_grey_level_exactly(tmp_path):
    images = np.arange(64 * 28 * 28, dtype=np.int64).reshape(64, 28, 28) % 256
    path = cli.save_grid_png(images.astype(np.uint8), tmp_path / "g.png")
    from matplotlib import image as mpimg

    rgb = np.rint(mpimg.imread(path) * 255).astype(np.int64)
    assert rgb.shape[:2] == (224, 224)
    np.testing.assert_array_equal(rgb[28:56, 0:28, 0], images[8])  # row 2, column 1 of the 8-wide grid
    assert not list(tmp_path.glob(".*tmp"))  # written atomically: no temporary file left


def test_module_help_lists_each_command_on_one_line():
    proc = subprocess.run([sys.executable, "-m", "helpers", "--help"], cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    for command in ("train-gan", "sample", "evaluate", "train-autoencoder", "evaluate-reconstruction",
                    "train-diffusion"):
        assert re.search(rf"^\s+{command}\s+\S.+$", proc.stdout, re.M), proc.stdout
    assert "Traceback" not in proc.stderr


def test_cli_constants_match_the_modules():
    from helpers import models, training

    assert set(cli.ARCHS) == set(models.ARCHS)
    assert cli.GAN_UPDATES == training.gan.UPDATES  # the first is GANTrainer's default, an old checkpoint's update
    assert set(cli.AE_ARCHS) == set(models.autoencoder.ARCHS) and set(cli.AE_LOSSES) == set(training.LOSSES)
    from helpers.maths import diffusion

    assert set(cli.DIFFUSION_SCHEDULES) == set(diffusion.SCHEDULES)
    assert cli.DDIM_STEPS == training.diffusion.SAMPLE_STEPS


# ----------------------------------------------------------------------------- train-diffusion

TINY_DIFFUSION = ["--space", "pixels", "--subset", "64", "--batch-size", "32", "--width", "4", "--steps", "40"]
TINY_LATENT = ["--subset", "64", "--batch-size", "32", "--latent", "4", "--width", "16", "--depth", "1",
               "--steps", "40"]


def test_train_diffusion_resumes_samples_and_is_not_mixed_up_with_a_gan(mnist_path, trained, tmp_path):
    run = tmp_path / "ddpm"
    code, out, err = run_main(["train-diffusion", *TINY_DIFFUSION, "--epochs", "1", "--out", run])
    assert code == 0, err
    assert "diffusion: epoch 1/1 (1 this run), steps 2" in out and (run / "samples-epoch-00001.png").is_file()
    assert state(run / "ckpt-00001")["config"]["kind"] == "diffusion"
    code, out, err = run_main(["train-diffusion", *TINY_DIFFUSION, "--epochs", "2", "--out", run])
    assert code == 0 and "resumed from ckpt-00001" in err and "epoch 2/2 (1 this run), steps 4" in out
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    for f in (a, b):
        code, out, err = run_main(["sample", "--run", run, "--n", "5", "--ddim-steps", "4", "--seed", "2", "--out", f])
        assert code == 0 and "(4 DDIM steps)" in out, err
    images = np.load(a)
    assert images.shape == (5, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, np.load(b))
    code, _, err = run_main(["sample", "--run", run, "--n", "5", "--ddim-steps", "41", "--out", a])
    assert code == 2 and "at most the run's 40 noise levels, got 41" in err
    code, _, err = run_main(["train-diffusion", *TINY_DIFFUSION, "--epochs", "1", "--out", trained[0]])
    assert code == 1 and "not a diffusion model" in err


def test_latent_diffusion_is_the_default_resumes_without_retraining_its_autoencoder_and_samples(mnist_path, tmp_path):
    run = tmp_path / "ldm"
    code, out, err = run_main(["train-diffusion", *TINY_LATENT, "--epochs", "1", "--out", run])
    assert code == 0, err
    assert "latent diffusion: epoch 1/1" in out and "a conv autoencoder (latent 4)" in err
    assert state(run / "ckpt-00001")["config"]["model"] == "latent_denoiser" and (run / "autoencoder").is_dir()
    code, out, err = run_main(["train-diffusion", *TINY_LATENT, "--epochs", "2", "--out", run])
    assert code == 0 and "not trained again" in out and "epoch 2/2 (1 this run)" in out, err
    a = tmp_path / "a.npy"
    code, out, err = run_main(["sample", "--run", run, "--n", "5", "--ddim-steps", "4", "--out", a])
    assert code == 0 and "(4 DDIM steps)" in out, err
    assert np.load(a).shape == (5, 28, 28)
    code, _, err = run_main(["train-diffusion", *TINY_LATENT, "--depth", "2", "--epochs", "3", "--out", run])
    assert code == 1 and "depth 1 (asked 2)" in err


def test_a_new_run_gets_its_architectures_rates_and_a_resumed_one_keeps_its_own(trained, run_copy):
    _run, _out, err = trained
    assert "lr_g 0.0004, lr_d 0.0002" in err  # the MLP's defaults
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "2", "--lr-d", "5e-4", "--out", run_copy])
    assert code == 0, err
    assert "lr_g 0.0004, lr_d 0.0005" in err and "d_learning_rate: 0.0002 in the checkpoint, 0.0005 from now on" in err
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "3", "--out", run_copy])
    assert code == 0, err
    assert "lr_g 0.0004, lr_d 0.0005" in err and "from now on" not in err  # the checkpoint's rates, unchanged


def test_anneal_goes_into_the_checkpoint_and_a_resumed_run_keeps_it_unless_given(trained, run_copy):
    _run, _out, err = trained
    assert "annealed" not in err and state(run_copy / "ckpt-00001")["config"]["anneal"] is None  # mlp default: 1
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "2", "--anneal", "0.1", "--out", run_copy])
    assert code == 0, err
    assert "lr_g 0.0004, lr_d 0.0002 annealed to 0.1× them" in err
    assert "anneal: None in the checkpoint, 0.1 from now on" in err
    s = state(run_copy / "ckpt-00002")["config"]
    assert (s["anneal"], s["g_learning_rate"]) == (0.1, pytest.approx(4e-4))  # the rate it started from
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "3", "--out", run_copy])
    assert code == 0, err
    assert "annealed to 0.1× them" in err and "from now on" not in err  # the checkpoint's anneal, unchanged
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "4", "--anneal", "1", "--out", run_copy])
    assert code == 0, err
    assert "annealed" not in err and "anneal: 0.1 in the checkpoint, None from now on" in err


def test_a_new_mlp_run_alternates_and_a_resumed_one_keeps_its_update_unless_given(trained, run_copy):
    run, _out, err = trained
    assert ", alternating updates" in err and state(run / "ckpt-00001")["config"]["update"] == "alternating"
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "2", "--update", "simultaneous",
                                "--out", run_copy])
    assert code == 0, err
    assert ", simultaneous updates" in err and "update: alternating in the checkpoint, simultaneous from now on" in err
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "3", "--out", run_copy])
    assert code == 0, err
    assert ", simultaneous updates" in err and "from now on" not in err  # the checkpoint's update, unchanged
    assert state(run_copy / "ckpt-00003")["config"]["update"] == "simultaneous"


def test_a_checkpoint_that_names_no_update_resumes_simultaneous(monkeypatch):
    for config, expected in (({}, "simultaneous"), ({"update": "alternating"}, "alternating"),
                             ({"update": "sideways"}, "simultaneous"), ({"update": 1}, "simultaneous")):
        monkeypatch.setattr(cli, "saved_config", lambda _ckpt, c=config: c)
        assert cli.saved_update(Path("ckpt-00001")) == expected, config


def test_a_resumed_run_keeps_its_average_unless_another_is_given(run_copy):
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "2", "--ema", "0.99", "--out", run_copy])
    assert code == 0, err
    assert ", ema 0.99" in err and ", ema 0.9999" not in err
    assert "ema: 0.9999 in the checkpoint, 0.99 from now on" in err
    code, _out, err = run_main(["train-gan", *TINY_TRAIN, "--epochs", "3", "--out", run_copy])
    assert code == 0, err
    assert ", ema 0.99" in err and ", ema 0.9999" not in err and "from now on" not in err  # the checkpoint's
    assert state(run_copy / "ckpt-00003")["config"]["ema"] == 0.99
