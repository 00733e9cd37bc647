"""The command line, ``python -m helpers <command>``: train a GAN, sample from it, judge the samples.

* ``train-gan``: train the MLP or DCGAN GAN on MNIST (in ``[-1, 1]``) with :class:`helpers.training.gan.GANTrainer`,
  checkpointing into ``--out`` and resuming from it; ``--epochs`` is the total to reach, counting resumed ones.
* ``sample``: restore the latest checkpoint of a run and save ``N`` images as a uint8 ``N×28×28`` ``.npy``.
* ``evaluate``: score such a file with the MNIST judge (:func:`helpers.evaluation.judge.load_judge`).
* ``train-autoencoder``: train a dense, conv or the articles' autoencoder (or a VAE) on MNIST in ``[0, 1]``
  with :class:`helpers.training.autoencoder.AutoencoderTrainer`, checkpointing into ``--out`` and resuming from it.
* ``evaluate-reconstruction``: restore such a run and print the test-set MSE, its PSNR, the mean per-image PSNR
  and SSIM.
* ``train-diffusion``: train a diffusion model, by default on a conv autoencoder's latents
  (:mod:`helpers.training.latent_diffusion`), or with ``--space pixels`` a U-Net on the images
  (:mod:`helpers.training.diffusion`); ``sample`` draws from either with DDIM.

Exit codes: 0 success, 1 a runtime failure (missing, damaged or locked run, bad file, unwritable ``--out``,
divergence, MNIST not found, a misspelt ``KERAS_BACKEND``), 2 a bad command line (a value out of its bounds,
an unknown flag), 130 / 143 training stopped by SIGINT / SIGTERM after saving a checkpoint. Every failure
prints one ``error: …`` line on stderr naming the value and what is accepted, never a traceback. Paths
(``--out``, ``--run``) are checked before TensorFlow starts; TensorFlow is imported only by the commands that
need it, so ``--help`` is instant.
(About 700 lines: the parser and its argument types, the checks of paths and checkpoints, one function per
command, the entry point.)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpers.checks import FLOAT32_MAX
from helpers.data import MnistError, load_mnist
from helpers.evaluation.judge import JudgeCacheError, JudgeConfig, judge_dir, load_judge

PROG = "python -m helpers"
ARCHS = ("mlp", "dcgan")  # as helpers.models.gan.ARCHS (not imported: that would load Keras for --help)
GAN_UPDATES = ("simultaneous", "alternating")  # as helpers.training.gan.UPDATES
AE_ARCHS = ("conv", "dense", "article")  # as helpers.models.autoencoder.ARCHS
AE_LOSSES = ("l2", "l1", "bce")  # as helpers.training.autoencoder.LOSSES
DIFFUSION_SCHEDULES = ("linear", "cosine")  # as helpers.maths.diffusion.SCHEDULES
MAX_UNET_WIDTH = 256  # channels at 28×28 (twice as many below); wider only exhausts memory
MAX_DIFFUSION_STEPS = 10_000
#: images per step and Adam learning rates (generator, discriminator) when --batch-size / --lr-g / --lr-d are not
#: given: for the MLP the recipe that learned most in ten minutes on 2 CPU cores, compared by the clock
#: (benchmarks/README.md, "By the clock"); a resumed run keeps the rates in its checkpoint unless --lr-g / --lr-d
#: are given
DEFAULT_BATCH = {"mlp": 128, "dcgan": 128}
DEFAULT_LR = {"mlp": (4e-4, 2e-4), "dcgan": (2e-4, 2e-4)}
#: train-gan --ema: the moving average of the generator's weights (benchmarks/README.md, "By the clock")
DEFAULT_EMA = {"mlp": 0.9999, "dcgan": 0.999}
#: train-gan --update: for the MLP, alternating steps (D first, then G through the updated D) learned most in ten
#: minutes on 2 CPU cores (benchmarks/README.md, "By the clock"); older checkpoints without one resume simultaneous
DEFAULT_UPDATE = {"mlp": "alternating", "dcgan": "simultaneous"}
#: train-gan --anneal: the last learning rate as a fraction of the first (1: constant rates)
DEFAULT_ANNEAL = {"mlp": 1.0, "dcgan": 1.0}
DIFFUSION_WIDTH = 8  # train-diffusion's U-Net: twice the images per second of width 16 (benchmarks/README.md)
DIFFUSION_SPACES = ("latent", "pixels")
#: train-diffusion --space latent: the autoencoder's latent size, the MLP denoiser's width and residual blocks
LATENT_DIFFUSION_DIM, LATENT_WIDTH, LATENT_DEPTH = 16, 512, 3
MAX_MLP_DEPTH = 64
DDIM_STEPS = 25  # as helpers.training.diffusion.SAMPLE_STEPS
MNIST_TRAIN = 60_000
MNIST_TEST = 10_000
JUDGE_MINUTES = 2
#: the Keras backends helpers.training.engine runs on (Keras itself also knows torch, numpy, openvino)
BACKENDS = ("tensorflow", "jax")
#: bounds of the numeric flags (each flag's help and error say why)
SEED_MAX = 2**32 - 1  # NumPy's and Keras' global seeds are 32-bit
MAX_EPOCHS = 100_000
MAX_LATENT = 4096  # the models' first layer is latent × 256 or wider: larger sizes only exhaust memory
MAX_SAMPLES = 1_000_000  # a million 28×28 uint8 images are 784 MB (and 3.1 GB of float32 on the way)
MAX_MINUTES = 525_600  # a year


class CLIError(Exception):
    """A runtime failure the user can fix; its message is printed as one line, the exit code is ``code`` (1)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class UsageError(Exception):
    """A bad command line found after parsing (flags that contradict each other): one line, exit code 2."""


# --------------------------------------------------------------------------- argument types


def _argument_type(convert, accept, accepted: str, doc: str):
    """An argparse type: ``convert(text)``, then ``accept(value)``; the error names the value and ``accepted``."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {accepted}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {accepted}, got {text}")
        return value

    parse.__doc__ = doc
    return parse


positive_int = _argument_type(int, lambda v: v >= 1, "a positive integer (1 or more)",
                              "Argparse type: an integer of 1 or more.")
non_negative_int = _argument_type(int, lambda v: v >= 0, "a non-negative integer (0 or more)",
                                  "Argparse type: an integer of 0 or more.")
positive_float = _argument_type(float, lambda v: bool(np.isfinite(v)) and v > 0, "a number > 0",
                                "Argparse type: a finite number greater than 0.")


def bounded_int(low: int, high: int, why: str):
    """An argparse type: an integer from ``low`` to ``high``; the error says why ``high`` is the limit."""
    lower = "a positive integer (1 or more)" if low == 1 else "a non-negative integer (0 or more)"
    return _argument_type(int, lambda v: low <= v <= high, f"{lower} up to {high} ({why})",
                          f"Argparse type: an integer from {low} to {high} ({why}).")


seed = bounded_int(0, SEED_MAX, "a 32-bit seed")
epoch_count = bounded_int(1, MAX_EPOCHS, "epochs in total")
batch_size = bounded_int(1, MNIST_TRAIN, "MNIST's training images, and at most --subset")
latent_size = bounded_int(1, MAX_LATENT, "larger latent sizes only exhaust memory")
sample_count = bounded_int(1, MAX_SAMPLES, "a million images are 784 MB; 10000 is the usual FID sample")
checkpoint_every = bounded_int(1, MAX_EPOCHS, "epochs between saves")
unet_width = bounded_int(1, MAX_UNET_WIDTH, "wider networks only exhaust memory")
diffusion_steps = bounded_int(1, MAX_DIFFUSION_STEPS, "noise levels T")
mlp_depth = bounded_int(1, MAX_MLP_DEPTH, "deeper MLPs only train slower")
minutes = _argument_type(float, lambda v: bool(np.isfinite(v)) and 0 < v <= MAX_MINUTES,
                         f"a number > 0 (minutes) up to {MAX_MINUTES} (a year)",
                         "Argparse type: a number of minutes greater than 0, at most a year.")
noise_std = _argument_type(float, lambda v: bool(np.isfinite(v)) and 0 <= v <= 1,
                           "a standard deviation from 0 to 1 (the images are in [0, 1])",
                           "Argparse type: a Gaussian noise standard deviation in [0, 1].")
learning_rate = _argument_type(float, lambda v: bool(np.isfinite(v)) and 0 < v <= FLOAT32_MAX,
                               f"a number > 0 and at most {FLOAT32_MAX:.4g} (float32's largest)",
                               "Argparse type: a learning rate, greater than 0 and finite in float32.")
subset_size = _argument_type(int, lambda v: 1 <= v <= MNIST_TRAIN, f"an integer from 1 to {MNIST_TRAIN}",
                             "Argparse type: a number of MNIST training examples, 1 to 60000.")
test_subset_size = _argument_type(int, lambda v: 1 <= v <= MNIST_TEST, f"an integer from 1 to {MNIST_TEST}",
                                  "Argparse type: a number of MNIST test examples, 1 to 10000.")
ema_decay = _argument_type(float, lambda v: 0 <= v < 1, "a decay from 0 (no average) up to but not including 1",
                           "Argparse type: a moving-average decay in [0, 1); 0 turns the average off.")
anneal_fraction = _argument_type(float, lambda v: 0 <= v <= 1, "a fraction from 0 to 1 (1: constant rates)",
                                 "Argparse type: the last learning rate as a fraction of the first, in [0, 1].")
non_negative_float = _argument_type(float, lambda v: bool(np.isfinite(v)) and v >= 0, "a number >= 0",
                                    "Argparse type: a finite number of 0 or more.")


def path(text: str) -> Path:
    """Argparse type: a non-empty path (``Path("")`` would silently mean the current directory)."""
    if not text.strip() or "\0" in text:
        raise argparse.ArgumentTypeError(f"must be a non-empty path, got {text!r}")
    return Path(text)


# --------------------------------------------------------------------------- the parser


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, ``error: … ; see '<prog> --help'``, exit code 2.

    Negative numbers in any notation (``-1e-4``, ``-inf``) are read as values, so that ``--lr-g -1e-4`` is refused
    for its value rather than as a missing one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|nan)$", re.I)

    def error(self, message: str):
        self.exit(2, _one_line(f"error: {message}; see '{self.prog} --help'") + "\n")


class _Formatter(argparse.HelpFormatter):
    """Help layout that keeps each command and its one-line help on one line."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=29, width=100)
        self._action_max_length = 27  # argparse measures sub-commands one indent short


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its sub-commands."""
    parser = _Parser(
        prog=PROG,
        formatter_class=_Formatter,
        description="Train, sample and judge MNIST GANs, diffusion models and autoencoders without a notebook.",
        epilog="Exit codes: 0 ok, 1 runtime failure, 2 bad command line, 130/143 stopped by SIGINT/SIGTERM "
        "(a checkpoint saved). "
        f"'{PROG} <command> --help' describes a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", title="commands")
    sub.required = True

    t = sub.add_parser("train-gan", help="train a GAN on MNIST, checkpointing (and resuming) in --out",
                       description="Train a GAN on MNIST in [-1, 1]. --epochs is the total to reach: a rerun "
                       "on the same --out resumes from its latest checkpoint and trains the remaining epochs.")
    t.add_argument("--arch", choices=ARCHS, required=True, help="the models (helpers.models.build_gan)")
    t.add_argument("--epochs", type=epoch_count, required=True,
                   help=f"total epochs to reach (resumed ones count; 1 to {MAX_EPOCHS})")
    t.add_argument("--batch-size", type=batch_size, default=None,
                   help="images per step, at most --subset (default: "
                   + ", ".join(f"{a} {b}" for a, b in DEFAULT_BATCH.items()) + ", or --subset if smaller)")
    for player, name in enumerate(("generator", "discriminator")):
        rates = ", ".join(f"{a} {r[player]:g}" for a, r in DEFAULT_LR.items())
        t.add_argument(f"--lr-{name[0]}", type=learning_rate, default=None,
                       help=f"{name} Adam learning rate (default: {rates}; on resume, the checkpoint's)")
    averages = ", ".join(f"{a} {e:g}" for a, e in DEFAULT_EMA.items())
    t.add_argument("--ema", type=ema_decay, default=None, metavar="DECAY",
                   help=f"moving average of the generator's weights, used for samples (default: {averages}; "
                   "0: none; on resume, the checkpoint's)")
    updates = ", ".join(f"{a} {u}" for a, u in DEFAULT_UPDATE.items())
    t.add_argument("--update", choices=GAN_UPDATES, default=None,
                   help="simultaneous: both players step from the same weights; alternating: the discriminator "
                   f"steps first and the generator's gradient goes through the updated one (default: {updates}; "
                   "on resume, the checkpoint's)")
    annealed = ", ".join(f"{a} {f:g}" for a, f in DEFAULT_ANNEAL.items())
    t.add_argument("--anneal", type=anneal_fraction, default=None, metavar="FRACTION",
                   help="both learning rates fall on a half cosine to this fraction of themselves by the end of "
                   f"the run (--epochs or --time-budget, whichever ends it first; 1: constant; default: {annealed}; "
                   "on resume, the checkpoint's)")
    t.add_argument("--time-budget", type=minutes, default=None, metavar="MINUTES",
                   help="stop after the epoch that crosses this many minutes (and save)")
    t.add_argument("--subset", type=subset_size, default=None, metavar="N",
                   help=f"use the first N MNIST training images (1 to {MNIST_TRAIN}; default all)")
    t.add_argument("--checkpoint-every", type=checkpoint_every, default=None, metavar="K",
                   help="also save every K epochs (the last epoch is always saved)")
    t.add_argument("--seed", type=seed, default=0, help=f"random seed (0 to {SEED_MAX}; default 0)")
    t.add_argument("--out", type=path, required=True, metavar="DIR",
                   help="run directory for checkpoints (created; checked before training starts)")
    t.set_defaults(func=cmd_train_gan)

    f = sub.add_parser("train-diffusion", help="train a denoising diffusion model on MNIST, checkpointing in --out",
                       description="Train a diffusion model on MNIST (Ho et al. 2020's simple loss); 'sample' draws "
                       "from it with DDIM. --space latent (the default) trains a conv autoencoder for a quarter of "
                       "the time budget (10 epochs without one), then an MLP denoiser on its 16-number latents "
                       "(Rombach et al. 2022); "
                       "--space pixels a small U-Net on the digits in [-1, 1]. A rerun on the same --out resumes "
                       "from its latest checkpoints.")
    f.add_argument("--epochs", type=epoch_count, default=None,
                   help=f"the denoiser's total epochs to reach (resumed ones count; 1 to {MAX_EPOCHS}); "
                   "optional with --time-budget, which then decides")
    f.add_argument("--space", choices=DIFFUSION_SPACES, default="latent",
                   help="latent: diffuse an autoencoder's latents (default); pixels: diffuse the images")
    f.add_argument("--width", type=unet_width, default=None,
                   help=f"pixels: U-Net channels at 28×28, twice as many at 14×14 and 7×7 (default "
                   f"{DIFFUSION_WIDTH}); latent: the MLP's width (default {LATENT_WIDTH})")
    f.add_argument("--depth", type=mlp_depth, default=LATENT_DEPTH,
                   help=f"latent only: the MLP's residual blocks (default {LATENT_DEPTH})")
    f.add_argument("--latent", type=latent_size, default=LATENT_DIFFUSION_DIM,
                   help=f"latent only: numbers per digit in the autoencoder's latent (default {LATENT_DIFFUSION_DIM})")
    f.add_argument("--schedule", choices=DIFFUSION_SCHEDULES, default="cosine",
                   help="the noise schedule (default cosine)")
    f.add_argument("--steps", type=diffusion_steps, default=1000, metavar="T",
                   help="noise levels of the forward process (default 1000)")
    f.add_argument("--batch-size", type=batch_size, default=None,
                   help="examples per step, at most --subset (default 128 images, 256 latents, or --subset if "
                   "smaller)")
    f.add_argument("--lr", type=learning_rate, default=None,
                   help="the denoiser's Adam learning rate (default 1e-3; on resume, the checkpoint's)")
    f.add_argument("--ema", type=ema_decay, default=0.999, metavar="DECAY",
                   help="moving average of the weights, used for samples (default 0.999; 0: none)")
    f.add_argument("--time-budget", type=minutes, default=None, metavar="MINUTES",
                   help="stop after the epoch that crosses this many minutes (and save)")
    f.add_argument("--subset", type=subset_size, default=None, metavar="N",
                   help=f"use the first N MNIST training images (1 to {MNIST_TRAIN}; default all)")
    f.add_argument("--checkpoint-every", type=checkpoint_every, default=None, metavar="K",
                   help="also save every K epochs (the last epoch is always saved)")
    f.add_argument("--seed", type=seed, default=0, help=f"random seed (0 to {SEED_MAX}; default 0)")
    f.add_argument("--out", type=path, required=True, metavar="DIR",
                   help="run directory for checkpoints (created; checked before training starts)")
    f.set_defaults(func=cmd_train_diffusion)

    s = sub.add_parser("sample", help="draw N images from a run's latest checkpoint into a .npy file",
                       description="Restore the latest checkpoint in --run (a GAN or a diffusion model) and save "
                       "N generated images as a uint8 array of shape N×28×28.")
    s.add_argument("--run", type=path, required=True, metavar="DIR",
                   help="a train-gan or train-diffusion output directory")
    s.add_argument("--n", type=sample_count, required=True, help=f"how many images (1 to {MAX_SAMPLES})")
    s.add_argument("--out", type=path, required=True, metavar="FILE.npy",
                   help="where to write the array (missing folders are created)")
    s.add_argument("--seed", type=seed, default=0, help=f"noise seed (0 to {SEED_MAX}; default 0)")
    s.add_argument("--ddim-steps", type=diffusion_steps, default=DDIM_STEPS, metavar="K",
                   help=f"diffusion runs only: DDIM's deterministic steps, at most the run's T (default {DDIM_STEPS})")
    s.set_defaults(func=cmd_sample)

    e = sub.add_parser("evaluate", help="score a .npy of generated digits with the MNIST judge (FID, IS, ...)",
                       description="Print the judge's figures (FID, Inception Score, class coverage, "
                       "confidence, n) for a uint8 array of shape N×28×28 or N×28×28×1.")
    e.add_argument("file", type=path, metavar="FILE.npy", help="images written by 'sample' (N >= 2)")
    e.add_argument("--reference", choices=("test",), default="test",
                   help="the FID reference set (default: the MNIST test set)")
    e.set_defaults(func=cmd_evaluate)

    a = sub.add_parser("train-autoencoder", help="train an autoencoder or VAE on MNIST, checkpointing in --out",
                       description="Train an autoencoder (or a VAE with --vae) on MNIST in [0, 1]. --epochs is the "
                       "total to reach: a rerun on the same --out resumes from its latest checkpoint.")
    a.add_argument("--latent", type=latent_size, required=True, metavar="K", help=f"latent size (1 to {MAX_LATENT})")
    a.add_argument("--epochs", type=epoch_count, required=True,
                   help=f"total epochs to reach (resumed ones count; 1 to {MAX_EPOCHS})")
    a.add_argument("--arch", choices=AE_ARCHS, default="conv",
                   help="conv, dense, or the articles' dense 128-128 decoder (default conv)")
    a.add_argument("--loss", choices=AE_LOSSES, default="l2", help="reconstruction loss (default l2)")
    a.add_argument("--vae", action="store_true", help="train a variational autoencoder (adds the KL term)")
    a.add_argument("--noise", type=noise_std, default=0.0, metavar="STD",
                   help="denoising: Gaussian input noise of this standard deviation (0 to 1; default 0)")
    a.add_argument("--batch-size", type=batch_size, default=None,
                   help="images per step, at most --subset (default 128, or --subset if smaller)")
    a.add_argument("--lr", type=learning_rate, default=1e-3, help="Adam learning rate (default 1e-3)")
    a.add_argument("--time-budget", type=minutes, default=None, metavar="MINUTES",
                   help="stop after the epoch that crosses this many minutes (and save)")
    a.add_argument("--subset", type=subset_size, default=None, metavar="N",
                   help=f"use the first N MNIST training images (1 to {MNIST_TRAIN}; default all)")
    a.add_argument("--seed", type=seed, default=0, help=f"random seed (0 to {SEED_MAX}; default 0)")
    a.add_argument("--out", type=path, required=True, metavar="DIR",
                   help="run directory for checkpoints (created; checked before training starts)")
    a.set_defaults(func=cmd_train_autoencoder)

    r = sub.add_parser("evaluate-reconstruction", help="print a trained autoencoder's test-set MSE, PSNR and SSIM",
                       description="Restore the latest checkpoint in --run, reconstruct MNIST test digits "
                       "(in [0, 1]) and print their mean squared error, its PSNR (dB), the mean of the "
                       "per-image PSNRs and SSIM.")
    r.add_argument("--run", type=path, required=True, metavar="DIR", help="a train-autoencoder output directory")
    r.add_argument("--subset", type=test_subset_size, default=None, metavar="N",
                   help=f"use the first N MNIST test images (1 to {MNIST_TEST}; default all)")
    r.set_defaults(func=cmd_evaluate_reconstruction)
    return parser


# --------------------------------------------------------------------------- helpers


def _one_line(text: str) -> str:
    """``text`` on one line (an exception's message may hold several)."""
    return " ".join(str(text).split())


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def check_backend() -> str:
    """The Keras backend ``KERAS_BACKEND`` names (default tensorflow); :class:`CLIError` when it is not one of
    :data:`BACKENDS` or not installed. Checked before Keras is imported (Keras would fail with a traceback)."""
    name = os.environ.get("KERAS_BACKEND", "")
    if not name:  # unset or empty: Keras uses its default, tensorflow
        return "tensorflow"
    if name not in BACKENDS:
        raise CLIError(f"KERAS_BACKEND={name!r} is not a backend this project runs on; "
                       f"accepted: {', '.join(BACKENDS)} (or unset for tensorflow)")
    if importlib.util.find_spec(name) is None:
        raise CLIError(f"KERAS_BACKEND={name!r} but {name} is not installed; install it or unset KERAS_BACKEND")
    return name


def _keras():
    """Import Keras with TensorFlow's start-up noise silenced (only the commands that train or sample need it)."""
    from helpers.config import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (the current directory at worst)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _writable_dir(directory: Path) -> bool:
    """Whether files can be created in ``directory``: the permission bits, then a real probe (root ignores the bits,
    a read-only file system does not)."""
    if not os.access(directory, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def prepare_out_dir(out: Path, flag: str = "--out") -> Path:
    """Check and create a training run directory before anything trains (and before TensorFlow starts).

    :class:`CLIError` when ``out`` is a file, an ancestor is a file, it cannot be created, or it is not writable."""
    if out.exists() and not out.is_dir():
        raise CLIError(f"{flag} {out} exists and is not a directory; give a directory for the checkpoints")
    ancestor = _first_existing(out)
    if not ancestor.is_dir():
        raise CLIError(f"{flag} {out} cannot be created: {ancestor} is a file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"{flag} {out} cannot be created ({exc.strerror or exc})") from exc
    if not _writable_dir(out):
        raise CLIError(f"{flag} {out} is not writable (permission denied); give a directory you can write to")
    return out


def check_out_file(out: Path, flag: str = "--out") -> Path:
    """Check that a file can be written at ``out`` (missing folders will be created); :class:`CLIError` if not."""
    if out.is_dir():
        raise CLIError(f"{flag} {out} is a directory; give a file name, e.g. {out / 'samples.npy'}")
    ancestor = _first_existing(out.parent)
    if not ancestor.is_dir():
        raise CLIError(f"{flag} {out} cannot be written: {ancestor} is a file, not a directory")
    if not _writable_dir(ancestor) or (out.exists() and not os.access(out, os.W_OK)):
        where = out if out.exists() else ancestor
        raise CLIError(f"{flag} {out} cannot be written: {where} is not writable (permission denied)")
    return out


def check_run_dir(run: Path, command: str) -> Path:
    """A run directory given to ``--run``: it must exist and be a directory; :class:`CLIError` says which is wrong."""
    if not run.exists():
        raise CLIError(f"run directory {run} does not exist (train one with '{PROG} {command} --out {run}')")
    if not run.is_dir():
        raise CLIError(f"run directory {run} is a file, not a directory (give the folder '{PROG} {command} --out' "
                       f"wrote)")
    return run


def find_checkpoint(run: Path) -> Path:
    """The newest intact checkpoint of a run directory; :class:`CLIError` when there is none, naming any damaged
    ``ckpt-*`` folder (damaged newer ones are named on stderr, and the newest intact one is used)."""
    from helpers.training.checkpoints import scan

    try:
        intact, damaged = scan(run)
    except OSError as exc:
        raise CLIError(f"run directory {run} cannot be read ({exc.strerror or exc})") from exc
    if not intact:
        if damaged:
            names = ", ".join(p.name for p, _ in damaged)
            first, why = damaged[-1]
            why = _one_line(why) if str(first) in str(why) else f"{first}: {_one_line(why)}"
            raise CLIError(f"run directory {run} holds no intact checkpoint: {names} damaged ({why}); "
                           f"the folders are kept, nothing was changed")
        raise CLIError(f"run directory {run} holds no checkpoint (no complete ckpt-* folder)")
    ckpt = intact[-1]
    for p, why in damaged:
        if p.name > ckpt.name:
            _err(f"warning: checkpoint {p} is damaged ({_one_line(why)}); using {ckpt.name}")
    return ckpt


def saved_config(checkpoint: Path) -> dict:
    """The ``config`` a checkpoint's ``state.json`` holds; :class:`CLIError` says what is wrong."""
    from helpers.training.checkpoints import STATE_FILE, read_state

    try:
        config = read_state(checkpoint)["config"]
        if not isinstance(config, dict):
            raise TypeError(f"config is a {type(config).__name__}, not a mapping")
    except (OSError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise CLIError(f"checkpoint {checkpoint} has an unreadable {STATE_FILE} ({type(exc).__name__}: {exc})") from exc
    return config


def _saved_latent(checkpoint: Path, value) -> int:
    """A latent size read from ``state.json``: an integer from 1 to :data:`MAX_LATENT`, else :class:`CLIError`."""
    from helpers.training.checkpoints import STATE_FILE

    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LATENT:
        raise CLIError(f"checkpoint {checkpoint} has an unreadable {STATE_FILE}: latent_dim must be an integer "
                       f"from 1 to {MAX_LATENT}, got {value!r}")
    return value


def checkpoint_arch(checkpoint: Path) -> tuple[str, int]:
    """The architecture (``mlp``/``dcgan``) and latent size saved in a checkpoint's ``state.json``."""
    config = saved_config(checkpoint)
    if config.get("kind") == "autoencoder":
        raise CLIError(
            f"checkpoint {checkpoint} holds an autoencoder, not a GAN (see '{PROG} evaluate-reconstruction')"
        )
    if config.get("kind") == "diffusion":
        raise CLIError(f"checkpoint {checkpoint} holds a diffusion model, not a GAN (see '{PROG} train-diffusion')")
    name = config.get("generator")
    arch = name.removesuffix("_generator") if isinstance(name, str) else None
    if arch not in ARCHS:
        known = ", ".join(a + "_generator" for a in ARCHS)
        raise CLIError(f"checkpoint {checkpoint} holds generator {name!r}, not one of {known}")
    return arch, _saved_latent(checkpoint, config.get("latent_dim", 100))


def saved_rate(checkpoint: Path | None, key: str, default: float) -> float:
    """The constant learning rate ``key`` a checkpoint was trained with; ``default`` without a checkpoint or one."""
    if checkpoint is None:
        return default
    rate = saved_config(checkpoint).get(key)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= FLOAT32_MAX:
        return default
    return float(rate)


def saved_anneal(checkpoint: Path) -> float:
    """The ``anneal`` a checkpoint was trained with; 1 (constant rates) for a run without one."""
    anneal = saved_config(checkpoint).get("anneal")
    if isinstance(anneal, bool) or not isinstance(anneal, (int, float)) or not 0 <= anneal <= 1:
        return 1.0
    return float(anneal)


def saved_update(checkpoint: Path) -> str:
    """The ``update`` a checkpoint was trained with; simultaneous (the only one once) where it names none."""
    update = saved_config(checkpoint).get("update")
    return update if update in GAN_UPDATES else GAN_UPDATES[0]


def checkpoint_ema(checkpoint: Path) -> float | None:
    """The generator-averaging decay a checkpoint was trained with (``None``: no average, or an older run)."""
    from helpers.training.gan import EMA_FILE

    ema = saved_config(checkpoint).get("ema")
    if isinstance(ema, bool) or not isinstance(ema, (int, float)) or not 0 < ema < 1:
        return None
    return float(ema) if (checkpoint / EMA_FILE).is_file() else None


def _damaged_file(checkpoint: Path) -> str:
    """Which file of a checkpoint folder does not read (an ``.h5`` that h5py cannot open), else the folder."""
    import h5py

    for f in sorted(checkpoint.glob("*.h5")):
        try:
            with h5py.File(f, "r"):
                pass
        except Exception:  # any failure to open: the file is damaged
            return str(f)
    return str(checkpoint)


def restore(load, checkpoint: Path):
    """``load()`` (a trainer's restore); any failure becomes one :class:`CLIError` naming the damaged file."""
    try:
        return load()
    except CLIError:
        raise
    except FileNotFoundError as exc:
        named = re.search(r"name = '([^']+)'", str(exc))  # h5py's wording; NumPy and Python set .filename
        missing = named.group(1) if named else exc.filename or _one_line(exc)
        raise CLIError(f"checkpoint {checkpoint} is damaged: {missing} is missing") from exc
    except Exception as exc:  # h5py, NumPy, Keras: many types for one damaged file
        raise CLIError(f"checkpoint {checkpoint} is damaged: {_damaged_file(checkpoint)} cannot be read "
                       f"({type(exc).__name__}: {_one_line(exc)})") from exc


def save_grid_png(images: np.ndarray, path: Path) -> Path:
    """Save uint8 images ``N×28×28`` as one grey PNG grid, 8 wide, edge to edge (blank cells black), atomically."""
    from helpers.viz.images import save_png, tile

    return save_png(tile(images, 8, shrink=False), path)


def load_images(path: Path) -> np.ndarray:
    """Read a ``.npy`` of uint8 images ``N×28×28`` or ``N×28×28×1`` (N >= 2); :class:`CLIError` says what is wrong."""
    if path.is_dir():
        raise CLIError(f"{path} is a directory, not a .npy file (write one with '{PROG} sample')")
    if not path.is_file():
        raise CLIError(f"{path} does not exist (write one with '{PROG} sample')")
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise CLIError(f"{path} is not a readable .npy array ({type(exc).__name__}: {exc})") from exc
    if not isinstance(x, np.ndarray):
        raise CLIError(f"{path} holds an archive of several arrays, expected one uint8 array N×28×28")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8 or len(x) < 2:
        raise CLIError(f"{path} holds a {x.dtype} array of shape {x.shape}; expected uint8 of shape "
                       f"N×28×28 or N×28×28×1 with N >= 2")
    return x


def save_array(images: np.ndarray, out: Path) -> Path:
    """Write ``images`` to ``out`` (a ``.npy``) atomically, creating missing folders; :class:`CLIError` on failure."""
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + out.name + "-", suffix=".tmp", dir=out.parent)
        with os.fdopen(fd, "wb") as f:
            np.save(f, images)
        os.replace(tmp, out)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise CLIError(f"--out {out} cannot be written ({exc.strerror or exc})") from exc
    return out


def check_batch(args: argparse.Namespace, default: int) -> int:
    """The batch size to train with: ``--batch-size`` (at most the images trained on: :class:`UsageError`
    otherwise), or ``default`` capped at ``--subset``."""
    images = args.subset or MNIST_TRAIN
    if args.batch_size is None:
        return min(default, images)
    if args.batch_size > images:
        raise UsageError(f"argument --batch-size: must be at most the {images} images trained on "
                         f"(--subset {images}), got {args.batch_size}")
    return args.batch_size


# --------------------------------------------------------------------------- commands


def _seconds(minutes: float | None) -> float | None:
    return None if minutes is None else minutes * 60.0


def _fit(fit, what: str, advice: str):
    """Run a trainer's ``fit``; a divergence, an interruption (SIGINT/SIGTERM, after saving) or a locked run becomes
    one :class:`CLIError` line (exit 1, or 130 / 143 for SIGINT / SIGTERM)."""
    from helpers.training.loop import DivergenceError, TrainingInterrupted
    from helpers.training.runlock import RunLockedError

    try:
        return fit()
    except DivergenceError as exc:
        last = exc.checkpoint if exc.checkpoint is not None else "none (nothing was saved)"
        raise CLIError(f"training diverged at step {exc.step} (epoch {exc.epoch}): {what} NaN or inf; "
                       f"last good checkpoint: {last}. {advice}") from exc
    except TrainingInterrupted as exc:
        name = exc.signal_name or "SIGINT"
        code = 143 if name == "SIGTERM" else 130
        saved = f"saved {exc.checkpoint}" if exc.checkpoint is not None else "nothing saved"
        raise CLIError(f"interrupted by {name} at step {exc.step}: {saved}; "
                       f"rerun the same command to resume", code=code) from exc
    except RunLockedError as exc:
        raise CLIError(_one_line(exc)) from exc
    except ValueError as exc:  # e.g. the run directory refused by the trainer's own check
        raise CLIError(_one_line(exc)) from exc


def _summary(name: str, result, epochs: int, extra: str = "") -> None:
    """The one line a training command prints when it ends."""
    this_run = len(result.history["epoch"])
    print(f"{name}: epoch {result.epochs_done}/{epochs} ({this_run} this run), steps {result.steps}, "
          f"{result.seconds:.1f} s, {result.images_per_s:.0f} images/s, stopped: {result.stopped}, "
          f"checkpoint {result.checkpoint}{extra}", flush=True)


def cmd_train_gan(args: argparse.Namespace) -> int:
    """``train-gan``: train (or resume) a GAN, save checkpoints and a sample grid, print a summary line."""
    batch_size = check_batch(args, DEFAULT_BATCH[args.arch])
    out = prepare_out_dir(args.out)
    (x, _), _ = load_mnist(scale="-1-1", subset=args.subset)
    keras = _keras()
    from helpers.models.gan import build_gan
    from helpers.training.checkpoints import latest_checkpoint
    from helpers.training.gan import GANTrainer

    latent = 100
    ckpt = latest_checkpoint(out)
    if ckpt is not None:
        arch, latent = checkpoint_arch(ckpt)
        if arch != args.arch:
            raise CLIError(f"{out} holds a {arch} run ({ckpt.name}), not {args.arch}; "
                           f"use --arch {arch} to resume it or another --out for a new run")
        # GANTrainer.fit restores it and says "resumed from <ckpt> (epoch, step)" on stderr.
    keys = ("g_learning_rate", "d_learning_rate")
    args.lr_g, args.lr_d = (given if given is not None else saved_rate(ckpt, key, default)
                            for given, key, default in zip((args.lr_g, args.lr_d), keys, DEFAULT_LR[args.arch]))
    if args.anneal is None:
        args.anneal = DEFAULT_ANNEAL[args.arch] if ckpt is None else saved_anneal(ckpt)
    if args.ema is None:
        args.ema = DEFAULT_EMA[args.arch] if ckpt is None else (checkpoint_ema(ckpt) or 0.0)
    if args.update is None:
        args.update = DEFAULT_UPDATE[args.arch] if ckpt is None else saved_update(ckpt)
    keras.utils.set_random_seed(args.seed)
    g, d = build_gan(args.arch, latent)
    trainer = GANTrainer(g, d, g_learning_rate=args.lr_g, d_learning_rate=args.lr_d, ema=args.ema or None,
                         anneal=None if args.anneal == 1 else args.anneal, update=args.update, seed=args.seed)
    _err(f"training {args.arch} GAN on {len(x)} MNIST images to epoch {args.epochs}, batch {batch_size}, "
         f"lr_g {args.lr_g:g}, lr_d {args.lr_d:g}"
         + ("" if args.anneal == 1 else f" annealed to {args.anneal:g}× them")
         + f", ema {args.ema or 'none'}, {args.update} updates"
         + (f", budget {args.time_budget:g} min" if args.time_budget else ""))
    result = _fit(lambda: trainer.fit(x, args.epochs, batch_size=batch_size, out_dir=out,
                                      checkpoint_every=args.checkpoint_every, resume=True,
                                      time_budget_s=_seconds(args.time_budget), verbose=True),
                  "a loss became", "Try lower --lr-g/--lr-d.")
    grid = save_grid_png(trainer.sample_grid(), out / f"samples-epoch-{trainer.epoch:05d}.png")
    _summary(args.arch, result, args.epochs, f", grid {grid}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """``sample``: restore a run's latest checkpoint and write ``n`` uint8 images to a ``.npy``."""
    run = check_run_dir(args.run, "train-gan")
    out = args.out if args.out.suffix == ".npy" else args.out.with_name(args.out.name + ".npy")
    check_out_file(out)  # before TensorFlow starts and the generator is built
    _keras()  # before helpers.training imports Keras, so TensorFlow starts quietly
    ckpt = find_checkpoint(run)
    if saved_config(ckpt).get("kind") == "diffusion":
        return _sample_diffusion(args, ckpt, out)
    arch, latent = checkpoint_arch(ckpt)
    from helpers.models.gan import build_gan
    from helpers.training.gan import GANTrainer
    from helpers.training.sampling import sample

    g, d = build_gan(arch, latent)
    trainer = GANTrainer(g, d, ema=checkpoint_ema(ckpt))
    restore(lambda: trainer.restore(ckpt), ckpt)
    images = sample(trainer.sampler, args.n, seed=args.seed)  # the moving average, where the run kept one
    save_array(images, out)
    print(f"wrote {out}: {images.dtype} {images.shape} from {arch} {ckpt}", flush=True)
    return 0


def _sample_diffusion(args: argparse.Namespace, ckpt: Path, out: Path) -> int:
    """``sample`` on a diffusion run: DDIM from seeded noise with the moving average (where kept)."""
    from helpers.training.diffusion import load_diffusion
    from helpers.training.latent_diffusion import is_latent_run, load_latent_diffusion

    if is_latent_run(saved_config(ckpt)):
        trainer = restore(lambda: load_latent_diffusion(ckpt), ckpt)
        steps = trainer.diffusion.schedule.steps
    else:
        trainer = restore(lambda: load_diffusion(ckpt), ckpt)
        steps = trainer.schedule.steps
    if args.ddim_steps > steps:
        raise UsageError(f"argument --ddim-steps: at most the run's {steps} noise levels, "
                         f"got {args.ddim_steps}")
    _err(f"sampling {args.n} images in {args.ddim_steps} DDIM steps")
    images = trainer.sample(args.n, seed=args.seed, steps=args.ddim_steps)
    save_array(images, out)
    print(f"wrote {out}: {images.dtype} {images.shape} from diffusion {ckpt} ({args.ddim_steps} DDIM steps)",
          flush=True)
    return 0


def cmd_train_diffusion(args: argparse.Namespace) -> int:
    """``train-diffusion``: train (or resume) a diffusion model, save checkpoints and a sample grid."""
    if args.epochs is None and args.time_budget is None:
        raise UsageError("train-diffusion needs --epochs, --time-budget or both (e.g. --time-budget 20)")
    epochs = args.epochs or MAX_EPOCHS
    latent = args.space == "latent"
    batch_size = check_batch(args, 256 if latent else 128)
    width = args.width or (LATENT_WIDTH if latent else DIFFUSION_WIDTH)
    out = prepare_out_dir(args.out)
    (x, _), _ = load_mnist(scale="0-1" if latent else "-1-1", subset=args.subset)
    _keras()
    from helpers.training.checkpoints import latest_checkpoint

    ckpt = latest_checkpoint(out)
    if ckpt is not None:
        saved = saved_config(ckpt)
        if saved.get("kind") != "diffusion":
            raise CLIError(f"{out} holds another kind of run ({ckpt.name}: {saved.get('kind') or 'a GAN'}), not a "
                           f"diffusion model; use another --out for a new run")
        want = {"model": "latent_denoiser" if latent else "unet", "width": width, "schedule": args.schedule,
                "steps": args.steps}
        if latent:
            want.update(depth=args.depth, data_shape=[args.latent])
        diff = [f"{k} {saved.get(k)!r} (asked {v!r})" for k, v in want.items() if saved.get(k) != v]
        if diff:
            raise CLIError(f"{out} holds another diffusion model ({ckpt.name}: {', '.join(diff)}); use the same "
                           f"--space/--width/--depth/--latent/--schedule/--steps to resume it or another --out for "
                           f"a new run")
    lr = args.lr if args.lr is not None else saved_rate(ckpt, "learning_rate", 1e-3)
    budget = f", budget {args.time_budget:g} min" if args.time_budget else ""
    if latent:
        return _train_latent_diffusion(args, x, out, epochs, batch_size, width, lr, budget)
    from helpers.training.diffusion import build_trainer

    trainer = build_trainer(width, args.schedule, args.steps, learning_rate=lr, ema=args.ema or None,
                            seed=args.seed)
    _err(f"training a diffusion U-Net (width {width}, {trainer.model.count_params():,} weights; {args.schedule} "
         f"schedule, T {args.steps}) on {len(x)} MNIST images to epoch {epochs}, batch {batch_size}, lr {lr:g}, "
         f"ema {args.ema or 'none'}{budget}")
    result = _fit(lambda: trainer.fit(x, epochs, batch_size=batch_size, out_dir=out,
                                      checkpoint_every=args.checkpoint_every, resume=True,
                                      time_budget_s=_seconds(args.time_budget), verbose=True),
                  "the loss became", "Try a lower --lr.")
    grid = save_grid_png(trainer.sample(64, seed=0), out / f"samples-epoch-{trainer.epoch:05d}.png")
    _summary("diffusion", result, epochs, f", grid {grid}")
    return 0


def _train_latent_diffusion(args: argparse.Namespace, x, out: Path, epochs: int, batch_size: int, width: int,
                            lr: float, budget: str) -> int:
    """``train-diffusion --space latent``: the autoencoder (unless trained), then the latent denoiser."""
    from helpers.training.latent_diffusion import AE_SHARE, train_latent_diffusion

    _err(f"training a latent diffusion model on {len(x)} MNIST images: a conv autoencoder (latent {args.latent}"
         + (f", {AE_SHARE:.0%} of the budget" if args.time_budget else "") + f"), then an MLP denoiser (width "
         f"{width}, depth {args.depth}; {args.schedule} schedule, T {args.steps}) to epoch {epochs}, batch "
         f"{batch_size}, lr {lr:g}, ema {args.ema or 'none'}{budget}")
    model, result = _fit(lambda: train_latent_diffusion(
        x, epochs, out_dir=out, time_budget_s=_seconds(args.time_budget), latent_dim=args.latent, width=width,
        depth=args.depth, schedule=args.schedule, steps=args.steps, learning_rate=lr, ema=args.ema or None,
        batch_size=batch_size, seed=args.seed, checkpoint_every=args.checkpoint_every, verbose=True),
        "the loss became", "Try a lower --lr.")
    grid = save_grid_png(model.sample(64, seed=0), out / f"samples-epoch-{model.diffusion.epoch:05d}.png")
    _summary("latent diffusion", result, epochs, f", grid {grid}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``evaluate``: load the images and the judge, print FID, IS, coverage, confidence and n."""
    images = load_images(args.file)
    _keras()  # TensorFlow starts quietly before the judge loads it
    cache = judge_dir() / f"{JudgeConfig().key()}.npz"
    if not cache.exists():
        _err(f"training the MNIST judge on first use (about {JUDGE_MINUTES} minutes on a CPU); "
             f"it is cached in {cache.parent}")
    judge = load_judge()
    report = judge.evaluate(images, reference=args.reference)
    print(f"FID {report.fid:.2f} | IS {report.inception_score:.2f} | coverage {report.coverage:.2f} | "
          f"confidence {report.confidence:.3f} | n {report.n}", flush=True)
    print("class counts 0-9: " + " ".join(str(c) for c in report.class_counts), flush=True)
    return 0


def autoencoder_config(checkpoint: Path, run: Path) -> dict:
    """The saved config of an autoencoder checkpoint, checked (kind, arch, latent size, VAE flag, loss)."""
    from helpers.training.checkpoints import STATE_FILE

    config = saved_config(checkpoint)
    if config.get("kind") == "diffusion":
        raise CLIError(f"{run} holds a diffusion run ({checkpoint.name}), not an autoencoder; use another --out/--run")
    if config.get("kind") != "autoencoder":
        name = config.get("generator", "?")
        raise CLIError(f"{run} holds a GAN run ({checkpoint.name}, generator {name!r}), not an autoencoder; "
                       f"use another --out/--run")
    problems = []
    if config.get("arch") not in AE_ARCHS:
        problems.append(f"arch must be one of {', '.join(AE_ARCHS)}, got {config.get('arch')!r}")
    if not isinstance(config.get("variational"), bool):
        problems.append(f"variational must be true or false, got {config.get('variational')!r}")
    if config.get("loss", "l2") not in AE_LOSSES:
        problems.append(f"loss must be one of {', '.join(AE_LOSSES)}, got {config.get('loss')!r}")
    if problems:
        raise CLIError(f"checkpoint {checkpoint} has an unreadable {STATE_FILE}: {'; '.join(problems)}")
    _saved_latent(checkpoint, config.get("latent_dim"))
    return config


def _autoencoder_checkpoint(run: Path):
    """The latest checkpoint of an autoencoder run and its saved config (``None, None`` when it holds none)."""
    from helpers.training.checkpoints import latest_checkpoint

    ckpt = latest_checkpoint(run)
    if ckpt is None:
        return None, None
    return ckpt, autoencoder_config(ckpt, run)


def cmd_train_autoencoder(args: argparse.Namespace) -> int:
    """``train-autoencoder``: train (or resume) an autoencoder, save a checkpoint, print a summary line."""
    batch_size = check_batch(args, 128)
    out = prepare_out_dir(args.out)
    (x, _), _ = load_mnist(scale="0-1", subset=args.subset)
    keras = _keras()
    from helpers.models.autoencoder import build_autoencoder
    from helpers.training.autoencoder import AutoencoderTrainer

    ckpt, saved = _autoencoder_checkpoint(out)
    if saved is not None:
        want = {"arch": args.arch, "latent_dim": args.latent, "variational": args.vae}
        diff = [f"{k} {saved.get(k)!r} (asked {v!r})" for k, v in want.items() if saved.get(k) != v]
        if diff:
            raise CLIError(f"{out} holds another autoencoder ({ckpt.name}: {', '.join(diff)}); "
                           f"use the same --arch/--latent/--vae to resume it or another --out for a new run")
    keras.utils.set_random_seed(args.seed)
    encoder, decoder = build_autoencoder(args.arch, args.latent, args.vae)
    trainer = AutoencoderTrainer(encoder, decoder, loss=args.loss, learning_rate=args.lr, noise_std=args.noise,
                                 arch=args.arch, seed=args.seed)
    kind = "VAE" if args.vae else "autoencoder"
    _err(f"training {args.arch} {kind} (latent {args.latent}, loss {args.loss}) on {len(x)} MNIST images to epoch "
         f"{args.epochs}, batch {batch_size}, lr {args.lr:g}"
         + (f", noise {args.noise:g}" if args.noise else "")
         + (f", budget {args.time_budget:g} min" if args.time_budget else ""))
    result = _fit(lambda: trainer.fit(x, args.epochs, batch_size=batch_size, out_dir=out, resume=True,
                                      time_budget_s=_seconds(args.time_budget), verbose=True),
                  "the loss became", "Try a lower --lr.")
    _summary(f"{args.arch} {kind}", result, args.epochs)
    return 0


def cmd_evaluate_reconstruction(args: argparse.Namespace) -> int:
    """``evaluate-reconstruction``: restore a run, reconstruct test digits, print MSE, PSNR and SSIM."""
    run = check_run_dir(args.run, "train-autoencoder")
    _keras()
    ckpt = find_checkpoint(run)
    config = autoencoder_config(ckpt, run)
    _, (xt, _) = load_mnist(scale="0-1", test_subset=args.subset)
    from helpers.evaluation.image_metrics import reconstruction_report
    from helpers.training.autoencoder import load_autoencoder

    trainer = restore(lambda: load_autoencoder(ckpt), ckpt)
    report = reconstruction_report(xt, trainer.reconstruct(xt), data_range=1.0)
    kind = "VAE" if config.get("variational") else "autoencoder"
    print(f"MSE {report['mse']:.5f} | PSNR of that MSE {report['pooled_psnr']:.2f} dB | "
          f"mean per-image PSNR {report['psnr']:.2f} dB | SSIM {report['ssim']:.4f} | n {report['n']}", flush=True)
    print(f"{config.get('arch')} {kind}, latent {config.get('latent_dim')}, loss {config.get('loss')}, "
          f"{ckpt.name} (epoch {trainer.epoch}); MNIST test digits in [0, 1]", flush=True)
    return 0


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Set ``HELPERS_TRACEBACK=1`` to see the traceback of an unexpected error instead of its one line."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2, its one line already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        check_backend()
        return args.func(args)
    except UsageError as exc:
        _err(_one_line(f"error: {exc}; see '{PROG} {args.command} --help'"))
        return 2
    except CLIError as exc:
        _err(_one_line(f"error: {exc}"))
        return exc.code
    except (MnistError, JudgeCacheError) as exc:
        _err(_one_line(f"error: {exc}"))
        return 1
    except KeyboardInterrupt:
        _err("error: interrupted")
        return 130
    except Exception as exc:  # never a traceback from the command line, unless asked for
        if os.environ.get("HELPERS_TRACEBACK"):
            raise
        _err(_one_line(f"error: {type(exc).__name__}: {exc} (an unexpected failure; "
                       f"HELPERS_TRACEBACK=1 shows where)"))
        return 1
