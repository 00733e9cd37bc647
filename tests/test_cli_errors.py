"""A table of bad inputs through the command line: each is refused with exit code 2 (a bad command line) or 1 (a
runtime failure), exactly one stderr line ``error: …`` naming the value and what is accepted, nothing on stdout
and never a traceback.

Most cases are refused before TensorFlow starts or anything trains; the crafted run directories (damaged
``state.json`` variants, truncated ``.h5`` files) are made in ``tmp_path``. :data:`CASES` is grouped by command.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import cli

REPO = Path(__file__).resolve().parents[1]
GAN_CONFIG = {"kind": "gan", "generator": "mlp_generator", "discriminator": "mlp_discriminator", "latent_dim": 100}
AE_CONFIG = {"kind": "autoencoder", "arch": "dense", "latent_dim": 4, "variational": False, "loss": "l2"}


# ----------------------------------------------------------------------------- crafted files


def _state(run: Path, text: str, name: str = "ckpt-00001") -> None:
    """A checkpoint folder ``run/name`` whose ``state.json`` holds ``text``."""
    (run / name).mkdir(parents=True, exist_ok=True)
    (run / name / "state.json").write_text(text)


def state_json(value, name: str = "ckpt-00001"):
    """Setup: a run whose one checkpoint's ``state.json`` is ``value`` (a string is written as it is)."""

    def setup(tmp: Path) -> None:
        _state(tmp / "run", value if isinstance(value, str) else json.dumps(value), name)

    return setup


def gan_state(**changes):
    """Setup: a run whose checkpoint has a well-formed state with these ``config`` entries changed."""
    return state_json({"epoch": 1, "step": 4, "config": {**GAN_CONFIG, **changes}})


def ae_state(**changes):
    """Setup: an autoencoder run whose checkpoint has these ``config`` entries changed."""
    return state_json({"epoch": 1, "step": 4, "config": {**AE_CONFIG, **changes}})


def two_damaged(tmp: Path) -> None:
    _state(tmp / "run", "[]", "ckpt-00001")
    _state(tmp / "run", '{"epoch": 2}', "ckpt-00002")


def binary_state(tmp: Path) -> None:
    (tmp / "run" / "ckpt-00001").mkdir(parents=True)
    (tmp / "run" / "ckpt-00001" / "state.json").write_bytes(b"\xff\xfe{\x00")


def empty_run(tmp: Path) -> None:
    (tmp / "run").mkdir(exist_ok=True)


def a_file(name: str):
    def setup(tmp: Path) -> None:
        (tmp / name).write_text("not a directory")

    return setup


def npy(array):
    def setup(tmp: Path) -> None:
        np.save(tmp / "x.npy", array)

    return setup


def raw(content: bytes, name: str = "x.npy"):
    def setup(tmp: Path) -> None:
        (tmp / name).write_bytes(content)

    return setup


def npz(tmp: Path) -> None:
    np.savez(tmp / "x.npy", a=np.zeros((3, 28, 28), np.uint8))  # an archive under a .npy name
    (tmp / "x.npy.npz").rename(tmp / "x.npy")


def in_dir(tmp: Path) -> None:
    (tmp / "x.npy").mkdir()


@pytest.fixture(scope="module")
def gan_checkpoint(tmp_path_factory):
    """A real (untrained) MLP GAN checkpoint, written by the one checkpoint store."""
    import keras

    from helpers.models.gan import build_gan
    from helpers.training.gan import GANTrainer

    g, d = build_gan("mlp", 100)
    ckpt = GANTrainer(g, d, ema=0.999).save_checkpoint(tmp_path_factory.mktemp("gan") / "run")
    keras.backend.clear_session()
    return ckpt


@pytest.fixture(scope="module")
def ae_checkpoint(tmp_path_factory):
    """A real (untrained) dense autoencoder checkpoint."""
    import keras

    from helpers.models.autoencoder import build_autoencoder
    from helpers.training.autoencoder import AutoencoderTrainer

    encoder, decoder = build_autoencoder("dense", 4, False)
    ckpt = AutoencoderTrainer(encoder, decoder, arch="dense").save_checkpoint(tmp_path_factory.mktemp("ae") / "run")
    keras.backend.clear_session()
    return ckpt


def damaged_weights(which: str, file: str, listed: bool, how: str = "truncate"):
    """Setup: a copy of the real checkpoint ``which`` ("gan"/"ae") with ``file`` cut to a third (or removed), with
    its ``state.json`` still listing every file's checksum (``listed``) or not (a run saved before checksums)."""

    def setup(tmp: Path, request) -> None:
        src = request.getfixturevalue(f"{which}_checkpoint")
        dest = tmp / "run" / src.name
        shutil.copytree(src, dest)
        target = dest / file
        if how == "truncate":
            target.write_bytes(target.read_bytes()[: target.stat().st_size // 3])
        else:
            target.unlink()
        if not listed:
            state = json.loads((dest / "state.json").read_text())
            state.pop("files", None)
            (dest / "state.json").write_text(json.dumps(state))

    setup.needs_request = True
    return setup


def unwritable(name: str):
    """Setup: ``tmp/name`` exists as a directory that ``os.access`` reports read-only (root ignores chmod)."""

    def setup(tmp: Path, monkeypatch) -> None:
        target = tmp / name
        target.mkdir()
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == target else real(p, mode, **kw))

    setup.needs_monkeypatch = True
    return setup


def env(**values):
    def setup(tmp: Path, monkeypatch) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value.format(tmp=tmp))

    setup.needs_monkeypatch = True
    return setup


# ----------------------------------------------------------------------------- the table

G = ["train-gan", "--arch", "mlp", "--epochs", "1", "--out", "{tmp}/g"]  # append a flag to make it bad
A = ["train-autoencoder", "--latent", "4", "--epochs", "1", "--out", "{tmp}/a"]
S = ["sample", "--run", "{tmp}/run", "--n", "2", "--out", "{tmp}/s.npy"]
R = ["evaluate-reconstruction", "--run", "{tmp}/run"]
F = ["train-diffusion", "--epochs", "1", "--out", "{tmp}/f"]


def case(id_, argv, code, *words, setup=None):
    return pytest.param(argv, code, words, setup, id=id_)


CASES = [
    # ------------------------------------------------------------------ no command, or an unknown one
    case("no-command", [], 2, "required", "<command>"),
    case("unknown-command", ["fly"], 2, "invalid choice: 'fly'", "train-gan"),
    case("unknown-flag", [*G, "--learning-rate", "1e-3"], 2, "unrecognized arguments: --learning-rate 1e-3"),
    case("unknown-ambiguous-flag", [*G, "--lr", "1e-3"], 2, "ambiguous option: --lr", "--lr-g, --lr-d"),
    # ------------------------------------------------------------------ train-gan, bad command line (exit 2)
    case("gan-arch", ["train-gan", "--arch", "vae", "--epochs", "1", "--out", "d"], 2, "--arch", "'vae'", "mlp"),
    case("gan-update", [*G, "--update", "sideways"], 2, "--update", "'sideways'", "alternating"),
    case("gan-no-out", ["train-gan", "--arch", "mlp", "--epochs", "1"], 2, "required", "--out"),
    case("gan-out-empty", ["train-gan", "--arch", "mlp", "--epochs", "1", "--out", ""], 2, "--out", "non-empty path",
         "''"),
    case("gan-out-blank", ["train-gan", "--arch", "mlp", "--epochs", "1", "--out", "  "], 2, "--out", "non-empty"),
    case("gan-epochs-0", ["train-gan", "--arch", "mlp", "--epochs", "0", "--out", "d"], 2, "--epochs", "got 0",
         "up to 100000"),
    case("gan-epochs-huge", ["train-gan", "--arch", "mlp", "--epochs", "100001", "--out", "d"], 2, "--epochs",
         "100001", "up to 100000"),
    case("gan-epochs-word", ["train-gan", "--arch", "mlp", "--epochs", "two", "--out", "d"], 2, "--epochs", "'two'"),
    case("gan-epochs-float", ["train-gan", "--arch", "mlp", "--epochs", "1.5", "--out", "d"], 2, "--epochs", "'1.5'"),
    case("gan-batch-0", [*G, "--batch-size", "0"], 2, "--batch-size", "got 0", "up to 60000"),
    case("gan-batch-huge", [*G, "--batch-size", "60001"], 2, "--batch-size", "60001", "up to 60000"),
    case("gan-batch-over-subset", [*G, "--subset", "100", "--batch-size", "101"], 2, "--batch-size", "101",
         "at most the 100 images", "--subset 100"),
    case("gan-lr-g-nan", [*G, "--lr-g", "nan"], 2, "--lr-g", "nan", "> 0"),
    case("gan-lr-g-negative", [*G, "--lr-g", "-1e-4"], 2, "--lr-g", "-1e-4", "> 0"),
    case("gan-lr-g-negative-inf", [*G, "--lr-g=-inf"], 2, "--lr-g", "-inf", "> 0"),
    case("gan-lr-g-inf", [*G, "--lr-g", "inf"], 2, "--lr-g", "inf", "float32"),
    case("gan-lr-d-float32-inf", [*G, "--lr-d", "1e39"], 2, "--lr-d", "1e39", "float32's largest"),
    case("gan-ema-1", [*G, "--ema", "1"], 2, "--ema", "got 1", "not including 1"),
    case("gan-ema-nan", [*G, "--ema", "nan"], 2, "--ema", "nan"),
    case("gan-anneal-over-1", [*G, "--anneal", "1.5"], 2, "--anneal", "got 1.5", "from 0 to 1"),
    case("gan-anneal-negative", [*G, "--anneal", "-0.1"], 2, "--anneal", "-0.1", "1: constant rates"),
    case("gan-budget-0", [*G, "--time-budget", "0"], 2, "--time-budget", "got 0", "> 0"),
    case("gan-budget-negative", [*G, "--time-budget", "-2"], 2, "--time-budget", "-2"),
    case("gan-budget-inf", [*G, "--time-budget", "inf"], 2, "--time-budget", "inf", "525600"),
    case("gan-budget-over-a-year", [*G, "--time-budget", "525601"], 2, "--time-budget", "525601", "a year"),
    case("gan-subset-0", [*G, "--subset", "0"], 2, "--subset", "got 0", "1 to 60000"),
    case("gan-subset-huge", [*G, "--subset", "60001"], 2, "--subset", "60001", "1 to 60000"),
    case("gan-checkpoint-every-0", [*G, "--checkpoint-every", "0"], 2, "--checkpoint-every", "got 0"),
    case("gan-checkpoint-every-huge", [*G, "--checkpoint-every", "100001"], 2, "--checkpoint-every", "100001"),
    case("gan-seed-negative", [*G, "--seed", "-1"], 2, "--seed", "got -1", "4294967295"),
    case("gan-seed-2**32", [*G, "--seed", "4294967296"], 2, "--seed", "4294967296", "up to 4294967295", "32-bit"),
    # ------------------------------------------------------------------ train-gan, runtime (exit 1, before training)
    case("gan-out-is-file", ["train-gan", "--arch", "mlp", "--epochs", "1", "--out", "{tmp}/f"], 1, "{tmp}/f",
         "is not a directory", setup=a_file("f")),
    case("gan-out-parent-is-file", ["train-gan", "--arch", "mlp", "--epochs", "1", "--out", "{tmp}/f/run"], 1,
         "{tmp}/f/run", "{tmp}/f is a file", setup=a_file("f")),
    case("gan-out-unwritable", ["train-gan", "--arch", "mlp", "--epochs", "1", "--out", "{tmp}/ro"], 1,
         "{tmp}/ro", "not writable", setup=unwritable("ro")),
    case("gan-keras-backend-misspelt", G, 1, "KERAS_BACKEND='tensorflw'", "tensorflow, jax",
         setup=env(KERAS_BACKEND="tensorflw")),
    case("gan-keras-backend-torch", G, 1, "KERAS_BACKEND='torch'", "tensorflow, jax", setup=env(KERAS_BACKEND="torch")),
    case("gan-mnist-missing", G, 1, "{tmp}/nowhere.npz", setup=env(MNIST_PATH="{tmp}/nowhere.npz")),
    # ------------------------------------------------------------------ sample, bad command line (exit 2)
    case("sample-no-run", ["sample", "--n", "2", "--out", "x.npy"], 2, "required", "--run"),
    case("sample-run-empty", ["sample", "--run", "", "--n", "2", "--out", "x.npy"], 2, "--run", "non-empty path"),
    case("sample-out-empty", ["sample", "--run", "r", "--n", "2", "--out", ""], 2, "--out", "non-empty path"),
    case("sample-n-0", ["sample", "--run", "r", "--n", "0", "--out", "x.npy"], 2, "--n", "got 0", "up to 1000000"),
    case("sample-n-huge", ["sample", "--run", "r", "--n", "1000001", "--out", "x.npy"], 2, "--n", "1000001",
         "784 MB"),
    case("sample-n-word", ["sample", "--run", "r", "--n", "many", "--out", "x.npy"], 2, "--n", "'many'"),
    case("sample-seed-2**32", [*S, "--seed", "4294967296"], 2, "--seed", "4294967296", "32-bit"),
    case("sample-seed-negative", [*S, "--seed", "-5"], 2, "--seed", "got -5"),
    # ------------------------------------------------------------------ sample, the run (exit 1)
    case("sample-run-missing", S, 1, "{tmp}/run", "does not exist", "train-gan"),
    case("sample-run-is-file", S, 1, "{tmp}/run", "is a file, not a directory", setup=a_file("run")),
    case("sample-run-empty-dir", S, 1, "{tmp}/run", "holds no checkpoint", setup=empty_run),
    case("sample-state-list", S, 1, "no intact checkpoint", "ckpt-00001", "state.json", "list", setup=state_json([])),
    case("sample-state-string", S, 1, "ckpt-00001", "state.json", "str", setup=state_json('"just text"')),
    case("sample-state-not-json", S, 1, "ckpt-00001", "state.json", "unreadable", setup=state_json("{not json")),
    case("sample-state-empty", S, 1, "ckpt-00001", "state.json", "unreadable", setup=state_json("")),
    case("sample-state-binary", S, 1, "ckpt-00001", "state.json", "unreadable", setup=binary_state),
    case("sample-state-step-word", S, 1, "ckpt-00001", "step", "'five'",
         setup=state_json({"epoch": 1, "step": "five", "config": GAN_CONFIG})),
    case("sample-state-step-string", S, 1, "ckpt-00001", "step", "'4'",
         setup=state_json({"epoch": 1, "step": "4", "config": GAN_CONFIG})),
    case("sample-state-step-negative", S, 1, "ckpt-00001", "step", "-4",
         setup=state_json({"epoch": 1, "step": -4, "config": GAN_CONFIG})),
    case("sample-state-no-epoch", S, 1, "ckpt-00001", "epoch", "KeyError",
         setup=state_json({"step": 4, "config": GAN_CONFIG})),
    case("sample-state-epoch-infinity", S, 1, "ckpt-00001", "state.json", "Infinity",
         setup=state_json('{"epoch": Infinity, "step": 4, "config": {}}')),
    case("sample-state-epoch-nan", S, 1, "ckpt-00001", "state.json", "NaN",
         setup=state_json('{"epoch": NaN, "step": 4, "config": {}}')),
    case("sample-state-config-list", S, 1, "ckpt-00001", "config",
         setup=state_json({"epoch": 1, "step": 4, "config": ["mlp"]})),
    case("sample-state-missing", S, 1, "ckpt-00001", "no state.json",
         setup=lambda tmp: (tmp / "run" / "ckpt-00001").mkdir(parents=True)),
    case("sample-two-damaged", S, 1, "ckpt-00001, ckpt-00002 damaged", "kept", setup=two_damaged),
    case("sample-config-generator", S, 1, "generator 'vae_generator'", "mlp_generator, dcgan_generator",
         setup=gan_state(generator="vae_generator")),
    case("sample-config-no-generator", S, 1, "generator None", "mlp_generator", setup=gan_state(generator=None)),
    case("sample-config-latent-huge", S, 1, "latent_dim", "1 to 4096", "1000000000",
         setup=gan_state(latent_dim=10**9)),
    case("sample-config-latent-word", S, 1, "latent_dim", "'abc'", setup=gan_state(latent_dim="abc")),
    case("sample-an-autoencoder-run", S, 1, "holds an autoencoder, not a GAN", "evaluate-reconstruction",
         setup=ae_state()),
    case("sample-h5-truncated", S, 1, "damaged", "generator.weights.h5",
         setup=damaged_weights("gan", "generator.weights.h5", listed=True)),
    case("sample-h5-truncated-unlisted", S, 1, "is damaged", "generator.weights.h5", "cannot be read",
         setup=damaged_weights("gan", "generator.weights.h5", listed=False)),
    case("sample-ema-h5-truncated-unlisted", S, 1, "is damaged", "generator_ema.weights.h5",
         setup=damaged_weights("gan", "generator_ema.weights.h5", listed=False)),
    case("sample-h5-missing-unlisted", S, 1, "is damaged", "discriminator.weights.h5",
         setup=damaged_weights("gan", "discriminator.weights.h5", listed=False, how="remove")),
    # ------------------------------------------------------------------ sample, the output file (exit 1)
    case("sample-out-is-dir", ["sample", "--run", "{tmp}/run", "--n", "2", "--out", "{tmp}/x.npy"], 1,
         "{tmp}/x.npy is a directory", "file name", setup=lambda tmp: (empty_run(tmp), in_dir(tmp))),
    case("sample-out-parent-is-file", ["sample", "--run", "{tmp}/run", "--n", "2", "--out", "{tmp}/f/x.npy"], 1,
         "{tmp}/f/x.npy", "{tmp}/f is a file", setup=lambda tmp: (empty_run(tmp), a_file("f")(tmp))),
    case("sample-out-unwritable", ["sample", "--run", "{tmp}/run", "--n", "2", "--out", "{tmp}/ro/x.npy"], 1,
         "{tmp}/ro/x.npy", "not writable", setup=lambda tmp, monkeypatch: (
             empty_run(tmp), unwritable("ro")(tmp, monkeypatch))),
    case("sample-keras-backend-misspelt", S, 1, "KERAS_BACKEND='Tensorflow'", "accepted: tensorflow, jax",
         setup=env(KERAS_BACKEND="Tensorflow")),
    # ------------------------------------------------------------------ evaluate
    case("evaluate-no-file", ["evaluate"], 2, "required", "FILE.npy"),
    case("evaluate-file-empty", ["evaluate", ""], 2, "FILE.npy", "non-empty path"),
    case("evaluate-reference", ["evaluate", "x.npy", "--reference", "train"], 2, "--reference", "'train'", "test"),
    case("evaluate-missing", ["evaluate", "{tmp}/x.npy"], 1, "{tmp}/x.npy does not exist", "sample"),
    case("evaluate-a-directory", ["evaluate", "{tmp}/x.npy"], 1, "{tmp}/x.npy is a directory", setup=in_dir),
    case("evaluate-not-npy", ["evaluate", "{tmp}/x.npy"], 1, "not a readable .npy", setup=raw(b"not an array")),
    case("evaluate-truncated-npy", ["evaluate", "{tmp}/x.npy"], 1, "not a readable .npy",
         setup=raw(b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (5, 28, 28), }")),
    case("evaluate-pickled-objects", ["evaluate", "{tmp}/x.npy"], 1, "not a readable .npy", "allow_pickle",
         setup=npy(np.array([{"a": 1}, None], dtype=object))),
    case("evaluate-archive", ["evaluate", "{tmp}/x.npy"], 1, "several arrays", setup=npz),
    case("evaluate-shape", ["evaluate", "{tmp}/x.npy"], 1, "shape (5, 28, 27)", "N×28×28",
         setup=npy(np.zeros((5, 28, 27), np.uint8))),
    case("evaluate-rgb", ["evaluate", "{tmp}/x.npy"], 1, "shape (5, 28, 28, 3)",
         setup=npy(np.zeros((5, 28, 28, 3), np.uint8))),
    case("evaluate-float", ["evaluate", "{tmp}/x.npy"], 1, "float32", "uint8",
         setup=npy(np.zeros((5, 28, 28), np.float32))),
    case("evaluate-one-image", ["evaluate", "{tmp}/x.npy"], 1, "N >= 2", setup=npy(np.zeros((1, 28, 28), np.uint8))),
    # ------------------------------------------------------------------ train-autoencoder, bad command line (exit 2)
    case("ae-no-latent", ["train-autoencoder", "--epochs", "1", "--out", "d"], 2, "required", "--latent"),
    case("ae-latent-0", ["train-autoencoder", "--latent", "0", "--epochs", "1", "--out", "d"], 2, "--latent",
         "got 0", "up to 4096"),
    case("ae-latent-huge", ["train-autoencoder", "--latent", "4097", "--epochs", "1", "--out", "d"], 2, "--latent",
         "4097", "exhaust memory"),
    case("ae-epochs-huge", ["train-autoencoder", "--latent", "4", "--epochs", "1e6", "--out", "d"], 2, "--epochs",
         "'1e6'"),
    case("ae-arch", [*A, "--arch", "mlp"], 2, "--arch", "'mlp'", "conv"),
    case("ae-loss", [*A, "--loss", "l3"], 2, "--loss", "'l3'", "bce"),
    case("ae-noise-negative", [*A, "--noise", "-1"], 2, "--noise", "got -1", "from 0 to 1"),
    case("ae-noise-above-1", [*A, "--noise", "1.5"], 2, "--noise", "1.5", "images are in [0, 1]"),
    case("ae-noise-nan", [*A, "--noise", "nan"], 2, "--noise", "nan"),
    case("ae-lr-0", [*A, "--lr", "0"], 2, "--lr", "got 0", "float32's largest"),
    case("ae-batch-0", [*A, "--batch-size", "0"], 2, "--batch-size", "got 0"),
    case("ae-batch-over-subset", [*A, "--subset", "64", "--batch-size", "128"], 2, "--batch-size", "128",
         "at most the 64 images"),
    case("ae-budget-nan", [*A, "--time-budget", "nan"], 2, "--time-budget", "nan"),
    case("ae-seed-2**32", [*A, "--seed", "4294967296"], 2, "--seed", "4294967296"),
    case("ae-out-empty", ["train-autoencoder", "--latent", "4", "--epochs", "1", "--out", ""], 2, "--out", "non-empty"),
    # ------------------------------------------------------------------ train-autoencoder, runtime (exit 1)
    case("ae-out-is-file", ["train-autoencoder", "--latent", "4", "--epochs", "1", "--out", "{tmp}/f"], 1,
         "{tmp}/f", "is not a directory", setup=a_file("f")),
    case("ae-out-parent-is-file", ["train-autoencoder", "--latent", "4", "--epochs", "1", "--out", "{tmp}/f/a/b"],
         1, "{tmp}/f/a/b", "{tmp}/f is a file", setup=a_file("f")),
    case("ae-out-unwritable", ["train-autoencoder", "--latent", "4", "--epochs", "1", "--out", "{tmp}/ro"], 1,
         "{tmp}/ro", "not writable", setup=unwritable("ro")),
    # ------------------------------------------------------------------ train-diffusion
    case("diff-no-epochs", ["train-diffusion", "--out", "d"], 2, "needs --epochs, --time-budget or both"),
    case("diff-space", [*F, "--space", "voxels"], 2, "--space", "'voxels'", "latent", "pixels"),
    case("diff-depth-0", [*F, "--depth", "0"], 2, "--depth", "got 0", "up to 64"),
    case("diff-latent-0", [*F, "--latent", "0"], 2, "--latent", "got 0"),
    case("diff-width-0", [*F, "--width", "0"], 2, "--width", "got 0", "up to 256"),
    case("diff-width-huge", [*F, "--width", "257"], 2, "--width", "257", "exhaust memory"),
    case("diff-schedule", [*F, "--schedule", "sigmoid"], 2, "--schedule", "'sigmoid'", "cosine"),
    case("diff-steps-0", [*F, "--steps", "0"], 2, "--steps", "got 0", "noise levels"),
    case("diff-lr-nan", [*F, "--lr", "nan"], 2, "--lr", "nan"),
    case("diff-ema-1", [*F, "--ema", "1"], 2, "--ema", "got 1"),
    case("diff-batch-over-subset", [*F, "--subset", "64", "--batch-size", "128"], 2, "--batch-size", "128",
         "at most the 64 images"),
    case("diff-out-is-file", ["train-diffusion", "--epochs", "1", "--out", "{tmp}/f"], 1, "{tmp}/f",
         "is not a directory", setup=a_file("f")),
    case("diff-a-gan-run", ["train-diffusion", "--epochs", "1", "--subset", "64", "--out", "{tmp}/run"], 1,
         "holds another kind of run", "not a diffusion model", setup=gan_state()),
    case("diff-another-width", ["train-diffusion", "--epochs", "1", "--space", "pixels", "--width", "32", "--subset",
                                "64", "--out", "{tmp}/run"], 1,
         "width 16 (asked 32)", "--space/--width/--depth/--latent/--schedule/--steps",
         setup=state_json('{"epoch": 1, "step": 1, "config": {"kind": "diffusion", "model": "unet", "width": 16, '
                          '"schedule": "cosine", "steps": 1000}}')),
    case("diff-pixels-on-a-latent-run", ["train-diffusion", "--epochs", "1", "--space", "pixels", "--subset", "64",
                                         "--out", "{tmp}/run"], 1,
         "model 'latent_denoiser' (asked 'unet')", "width 512 (asked 8)",
         setup=state_json('{"epoch": 1, "step": 1, "config": {"kind": "diffusion", "model": "latent_denoiser", '
                          '"width": 512, "depth": 3, "data_shape": [16], "schedule": "cosine", "steps": 1000}}')),
    case("sample-ddim-steps-0", [*S, "--ddim-steps", "0"], 2, "--ddim-steps", "got 0"),
    case("gan-on-a-diffusion-run", ["train-gan", "--arch", "mlp", "--epochs", "1", "--out", "{tmp}/run"], 1,
         "holds a diffusion model, not a GAN", "train-diffusion",
         setup=state_json('{"epoch": 1, "step": 1, "config": {"kind": "diffusion", "width": 16, '
                          '"schedule": "cosine", "steps": 1000}}')),
    # ------------------------------------------------------------------ evaluate-reconstruction
    case("rec-no-run", ["evaluate-reconstruction"], 2, "required", "--run"),
    case("rec-subset-0", [*R, "--subset", "0"], 2, "--subset", "got 0", "1 to 10000"),
    case("rec-subset-huge", [*R, "--subset", "10001"], 2, "--subset", "10001", "1 to 10000"),
    case("rec-run-missing", R, 1, "{tmp}/run", "does not exist", "train-autoencoder"),
    case("rec-run-is-file", R, 1, "{tmp}/run", "is a file, not a directory", setup=a_file("run")),
    case("rec-run-empty", R, 1, "holds no checkpoint", setup=empty_run),
    case("rec-state-epoch-infinity", R, 1, "ckpt-00001", "no intact checkpoint", "Infinity",
         setup=state_json('{"epoch": Infinity, "step": 1, "config": {"kind": "autoencoder"}}')),
    case("rec-a-gan-run", R, 1, "holds a GAN run", "'mlp_generator'", setup=gan_state()),
    case("rec-config-arch", R, 1, "arch must be one of conv, dense, article", "'mlp'", setup=ae_state(arch="mlp")),
    case("rec-config-variational", R, 1, "variational must be true or false", "'yes'",
         setup=ae_state(variational="yes")),
    case("rec-config-latent-0", R, 1, "latent_dim", "1 to 4096", "got 0", setup=ae_state(latent_dim=0)),
    case("rec-h5-truncated-unlisted", R, 1, "is damaged", "decoder.weights.h5",
         setup=damaged_weights("ae", "decoder.weights.h5", listed=False)),
]


@pytest.mark.parametrize("argv, code, words, setup", CASES)
def test_bad_input_is_one_error_line(argv, code, words, setup, tmp_path, monkeypatch, capsys, request):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(cli, "load_judge", lambda: pytest.fail("the judge must not load for a bad input"))
    if setup is not None:
        kwargs = {}
        if getattr(setup, "needs_monkeypatch", False) or "monkeypatch" in setup.__code__.co_varnames:
            kwargs["monkeypatch"] = monkeypatch
        if getattr(setup, "needs_request", False):
            kwargs["request"] = request
        setup(tmp_path, **kwargs)
    fill = lambda text: text.replace("{tmp}", str(tmp_path))  # noqa: E731
    got = cli.main([fill(a) for a in argv])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert (got, out) == (code, ""), err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for word in words:
        assert fill(word) in lines[0], (word, lines[0])
    if code == 2:  # a bad command line points at the command's help
        assert lines[0].endswith("--help'")


def test_the_table_has_60_distinct_cases_in_every_group():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) >= 60
    groups = {}
    for c in CASES:
        groups[c.id.split("-")[0]] = groups.get(c.id.split("-")[0], 0) + 1
    assert {"gan", "sample", "evaluate", "ae", "rec", "diff"} <= set(groups)
    assert all(n >= 3 for name, n in groups.items() if name not in ("no", "unknown"))


def test_the_readme_counts_the_table():
    readme = (REPO / "README.md").read_text()
    counts = {}
    for c in CASES:
        counts[c.id.split("-")[0]] = counts.get(c.id.split("-")[0], 0) + 1
    words = {"gan": "`train-gan`", "sample": "`sample`", "evaluate": "`evaluate`", "ae": "`train-autoencoder`",
             "rec": "`evaluate-reconstruction`", "diff": "`train-diffusion`"}
    text = " ".join(readme.split())
    assert f"table of {len(CASES)} bad inputs" in text
    assert f"{counts['no'] + counts['unknown']} with no or an unknown command" in text
    for group, word in words.items():
        assert f"{counts[group]} for {word}" in text, word


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path):
    """Through ``python -m helpers``: a misspelt KERAS_BACKEND (before Keras is imported) and a usage error."""
    base = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), base.get("PYTHONPATH")]))
    runs = [
        ({**base, "KERAS_BACKEND": "tensorflw"}, ["sample", "--run", str(tmp_path), "--n", "2", "--out", "x.npy"], 1,
         "KERAS_BACKEND='tensorflw'"),
        (base, ["train-gan", "--arch", "mlp", "--epochs", "1", "--seed", "99999999999", "--out", "d"], 2,
         "--seed"),
    ]
    for environ, argv, code, word in runs:
        proc = subprocess.run([sys.executable, "-m", "helpers", *argv], cwd=tmp_path, env=environ,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == code, proc.stderr
        assert proc.stdout == "" and "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and word in lines[0], proc.stderr
