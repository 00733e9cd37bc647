"""The command line, ``python -m helpers <command>``: train a GAN, sample from it, judge the samples.

* ``train-gan``: train the MLP or DCGAN GAN on MNIST (in ``[-1, 1]``) with :class:`helpers.training.gan.GANTrainer`,
  checkpointing into ``--out`` and resuming from it; ``--epochs`` is the total to reach, counting resumed ones.
* ``sample``: restore the latest checkpoint of a run and save ``N`` images as a uint8 ``N×28×28`` ``.npy``.
* ``evaluate``: score such a file with the MNIST judge (:func:`helpers.evaluation.judge.load_judge`).
* ``train-autoencoder``: train a dense, conv or the articles' autoencoder (or a VAE) on MNIST in ``[0, 1]``
  with :class:`helpers.training.autoencoder.AutoencoderTrainer`, checkpointing into ``--out`` and resuming from it.
* ``evaluate-reconstruction``: restore such a run and print the test-set MSE, its PSNR, the mean per-image PSNR
  and SSIM.

Exit codes: 0 success, 1 a runtime failure (missing run or file, bad array, divergence, MNIST not found),
2 a bad command line. Failures print one ``error: …`` line on stderr, never a traceback.
TensorFlow is imported only by the commands that need it, so ``--help`` is instant.
(About 450 lines: the parser and its argument types, then one function per command.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpers.data import MnistError, load_mnist
from helpers.evaluation.judge import JudgeCacheError, JudgeConfig, judge_dir, load_judge

PROG = "python -m helpers"
ARCHS = ("mlp", "dcgan")  # as helpers.models.gan.ARCHS (not imported: that would load Keras for --help)
AE_ARCHS = ("conv", "dense", "article")  # as helpers.models.autoencoder.ARCHS
AE_LOSSES = ("l2", "l1", "bce")  # as helpers.training.autoencoder.LOSSES
#: images per step when --batch-size is not given: the MLP learns more per second from smaller batches
DEFAULT_BATCH = {"mlp": 64, "dcgan": 128}
MNIST_TRAIN = 60_000
MNIST_TEST = 10_000
JUDGE_MINUTES = 2


class CLIError(Exception):
    """A runtime failure the user can fix; its message is printed as one line and the exit code is 1."""


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
#: the largest number float32 holds: a larger learning rate becomes inf in the float32 optimizer
FLOAT32_MAX = float(np.finfo(np.float32).max)
learning_rate = _argument_type(float, lambda v: bool(np.isfinite(v)) and 0 < v <= FLOAT32_MAX,
                               f"a number > 0 and at most {FLOAT32_MAX:.4g} (float32's largest)",
                               "Argparse type: a learning rate, greater than 0 and finite in float32.")
subset_size = _argument_type(int, lambda v: 1 <= v <= MNIST_TRAIN, f"an integer from 1 to {MNIST_TRAIN}",
                             "Argparse type: a number of MNIST training examples, 1 to 60000.")
test_subset_size = _argument_type(int, lambda v: 1 <= v <= MNIST_TEST, f"an integer from 1 to {MNIST_TEST}",
                                  "Argparse type: a number of MNIST test examples, 1 to 10000.")
ema_decay = _argument_type(float, lambda v: 0 <= v < 1, "a decay from 0 (no average) up to but not including 1",
                           "Argparse type: a moving-average decay in [0, 1); 0 turns the average off.")
non_negative_float = _argument_type(float, lambda v: bool(np.isfinite(v)) and v >= 0, "a number >= 0",
                                    "Argparse type: a finite number of 0 or more.")


# --------------------------------------------------------------------------- the parser


class _Formatter(argparse.HelpFormatter):
    """Help layout that keeps each command and its one-line help on one line."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=29, width=100)
        self._action_max_length = 27  # argparse measures sub-commands one indent short


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its sub-commands."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=_Formatter,
        description="Train, sample and judge MNIST GANs and autoencoders without a notebook.",
        epilog="Exit codes: 0 ok, 1 runtime failure, 2 bad command line. "
        f"'{PROG} <command> --help' describes a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", title="commands")
    sub.required = True

    t = sub.add_parser("train-gan", help="train a GAN on MNIST, checkpointing (and resuming) in --out",
                       description="Train a GAN on MNIST in [-1, 1]. --epochs is the total to reach: a rerun "
                       "on the same --out resumes from its latest checkpoint and trains the remaining epochs.")
    t.add_argument("--arch", choices=ARCHS, required=True, help="the models (helpers.models.build_gan)")
    t.add_argument("--epochs", type=positive_int, required=True, help="total epochs to reach (resumed ones count)")
    t.add_argument("--batch-size", type=positive_int, default=None,
                   help="images per step (default: " + ", ".join(f"{a} {b}" for a, b in DEFAULT_BATCH.items()) + ")")
    t.add_argument("--lr-g", type=learning_rate, default=2e-4, help="generator Adam learning rate (default 2e-4)")
    t.add_argument("--lr-d", type=learning_rate, default=2e-4, help="discriminator Adam learning rate (default 2e-4)")
    t.add_argument("--ema", type=ema_decay, default=0.999, metavar="DECAY",
                   help="moving average of the generator's weights, used for samples (default 0.999; 0: none)")
    t.add_argument("--time-budget", type=positive_float, default=None, metavar="MINUTES",
                   help="stop after the epoch that crosses this many minutes (and save)")
    t.add_argument("--subset", type=subset_size, default=None, metavar="N",
                   help=f"use the first N MNIST training images (1 to {MNIST_TRAIN}; default all)")
    t.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="K",
                   help="also save every K epochs (the last epoch is always saved)")
    t.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    t.add_argument("--out", type=Path, required=True, metavar="DIR", help="run directory for checkpoints")
    t.set_defaults(func=cmd_train_gan)

    s = sub.add_parser("sample", help="draw N images from a run's latest checkpoint into a .npy file",
                       description="Restore the latest checkpoint in --run and save N generated images "
                       "as a uint8 array of shape N×28×28.")
    s.add_argument("--run", type=Path, required=True, metavar="DIR", help="a train-gan output directory")
    s.add_argument("--n", type=positive_int, required=True, help="how many images (1 or more)")
    s.add_argument("--out", type=Path, required=True, metavar="FILE.npy", help="where to write the array")
    s.add_argument("--seed", type=non_negative_int, default=0, help="noise seed (default 0)")
    s.set_defaults(func=cmd_sample)

    e = sub.add_parser("evaluate", help="score a .npy of generated digits with the MNIST judge (FID, IS, ...)",
                       description="Print the judge's figures (FID, Inception Score, class coverage, "
                       "confidence, n) for a uint8 array of shape N×28×28 or N×28×28×1.")
    e.add_argument("file", type=Path, metavar="FILE.npy", help="images written by 'sample' (N >= 2)")
    e.add_argument("--reference", choices=("test",), default="test",
                   help="the FID reference set (default: the MNIST test set)")
    e.set_defaults(func=cmd_evaluate)

    a = sub.add_parser("train-autoencoder", help="train an autoencoder or VAE on MNIST, checkpointing in --out",
                       description="Train an autoencoder (or a VAE with --vae) on MNIST in [0, 1]. --epochs is the "
                       "total to reach: a rerun on the same --out resumes from its latest checkpoint.")
    a.add_argument("--latent", type=positive_int, required=True, metavar="K", help="latent size (1 or more)")
    a.add_argument("--epochs", type=positive_int, required=True, help="total epochs to reach (resumed ones count)")
    a.add_argument("--arch", choices=AE_ARCHS, default="conv",
                   help="conv, dense, or the articles' dense 128-128 decoder (default conv)")
    a.add_argument("--loss", choices=AE_LOSSES, default="l2", help="reconstruction loss (default l2)")
    a.add_argument("--vae", action="store_true", help="train a variational autoencoder (adds the KL term)")
    a.add_argument("--noise", type=non_negative_float, default=0.0, metavar="STD",
                   help="denoising: Gaussian input noise of this standard deviation (default 0)")
    a.add_argument("--batch-size", type=positive_int, default=128, help="images per step (default 128)")
    a.add_argument("--lr", type=learning_rate, default=1e-3, help="Adam learning rate (default 1e-3)")
    a.add_argument("--time-budget", type=positive_float, default=None, metavar="MINUTES",
                   help="stop after the epoch that crosses this many minutes (and save)")
    a.add_argument("--subset", type=subset_size, default=None, metavar="N",
                   help=f"use the first N MNIST training images (1 to {MNIST_TRAIN}; default all)")
    a.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    a.add_argument("--out", type=Path, required=True, metavar="DIR", help="run directory for checkpoints")
    a.set_defaults(func=cmd_train_autoencoder)

    r = sub.add_parser("evaluate-reconstruction", help="print a trained autoencoder's test-set MSE, PSNR and SSIM",
                       description="Restore the latest checkpoint in --run, reconstruct MNIST test digits "
                       "(in [0, 1]) and print their mean squared error, its PSNR (dB), the mean of the "
                       "per-image PSNRs and SSIM.")
    r.add_argument("--run", type=Path, required=True, metavar="DIR", help="a train-autoencoder output directory")
    r.add_argument("--subset", type=test_subset_size, default=None, metavar="N",
                   help=f"use the first N MNIST test images (1 to {MNIST_TEST}; default all)")
    r.set_defaults(func=cmd_evaluate_reconstruction)
    return parser


# --------------------------------------------------------------------------- helpers


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _keras():
    """Import Keras with TensorFlow's start-up noise silenced (only the commands that train or sample need it)."""
    from helpers.config import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def saved_config(checkpoint: Path) -> dict:
    """The ``config`` a checkpoint's ``state.json`` holds; :class:`CLIError` says what is wrong."""
    from helpers.training.checkpoints import STATE_FILE, read_state

    try:
        config = read_state(checkpoint)["config"]
        if not isinstance(config, dict):
            raise TypeError(f"config is a {type(config).__name__}, not a mapping")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"checkpoint {checkpoint} has an unreadable {STATE_FILE} ({type(exc).__name__}: {exc})") from exc
    return config


def checkpoint_arch(checkpoint: Path) -> tuple[str, int]:
    """The architecture (``mlp``/``dcgan``) and latent size saved in a checkpoint's ``state.json``."""
    from helpers.training.checkpoints import STATE_FILE

    config = saved_config(checkpoint)
    try:
        if config.get("kind") == "autoencoder":
            raise CLIError(
                f"checkpoint {checkpoint} holds an autoencoder, not a GAN (see '{PROG} evaluate-reconstruction')"
            )
        name, latent = str(config["generator"]), int(config.get("latent_dim", 100))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"checkpoint {checkpoint} has an unreadable {STATE_FILE} ({type(exc).__name__}: {exc})") from exc
    arch = name.removesuffix("_generator")
    if arch not in ARCHS:
        known = ", ".join(a + "_generator" for a in ARCHS)
        raise CLIError(f"checkpoint {checkpoint} holds generator {name!r}, not one of {known}")
    return arch, latent


def checkpoint_ema(checkpoint: Path) -> float | None:
    """The generator-averaging decay a checkpoint was trained with (``None``: no average, or an older run)."""
    from helpers.training.gan import EMA_FILE

    ema = saved_config(checkpoint).get("ema")
    return float(ema) if ema and (checkpoint / EMA_FILE).is_file() else None


def save_grid_png(images: np.ndarray, path: Path) -> Path:
    """Save uint8 images ``N×28×28`` as one grey PNG grid, 8 wide, edge to edge (blank cells black), atomically."""
    from helpers.viz.images import save_png, tile

    return save_png(tile(images, 8, shrink=False), path)


def load_images(path: Path) -> np.ndarray:
    """Read a ``.npy`` of uint8 images ``N×28×28`` or ``N×28×28×1`` (N >= 2); :class:`CLIError` says what is wrong."""
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


# --------------------------------------------------------------------------- commands


def _seconds(minutes: float | None) -> float | None:
    return None if minutes is None else minutes * 60.0


def _fit(fit, what: str, advice: str):
    """Run a trainer's ``fit``; a divergence becomes one :class:`CLIError` line naming the last good checkpoint."""
    from helpers.training.loop import DivergenceError

    try:
        return fit()
    except DivergenceError as exc:
        last = exc.checkpoint if exc.checkpoint is not None else "none (nothing was saved)"
        raise CLIError(f"training diverged at step {exc.step} (epoch {exc.epoch}): {what} NaN or inf; "
                       f"last good checkpoint: {last}. {advice}") from exc


def _summary(name: str, result, epochs: int, extra: str = "") -> None:
    """The one line a training command prints when it ends."""
    this_run = len(result.history["epoch"])
    print(f"{name}: epoch {result.epochs_done}/{epochs} ({this_run} this run), steps {result.steps}, "
          f"{result.seconds:.1f} s, {result.images_per_s:.0f} images/s, stopped: {result.stopped}, "
          f"checkpoint {result.checkpoint}{extra}", flush=True)


def cmd_train_gan(args: argparse.Namespace) -> int:
    """``train-gan``: train (or resume) a GAN, save checkpoints and a sample grid, print a summary line."""
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} exists and is not a directory")
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
    keras.utils.set_random_seed(args.seed)
    g, d = build_gan(args.arch, latent)
    batch_size = args.batch_size or DEFAULT_BATCH[args.arch]
    trainer = GANTrainer(g, d, g_learning_rate=args.lr_g, d_learning_rate=args.lr_d, ema=args.ema or None,
                         seed=args.seed)
    _err(f"training {args.arch} GAN on {len(x)} MNIST images to epoch {args.epochs}, batch {batch_size}, "
         f"lr_g {args.lr_g:g}, lr_d {args.lr_d:g}, ema {args.ema or 'none'}"
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
    run: Path = args.run
    if not run.is_dir():
        raise CLIError(f"run directory {run} does not exist (train one with '{PROG} train-gan --out {run}')")
    _keras()  # before helpers.training imports Keras, so TensorFlow starts quietly
    from helpers.training.checkpoints import latest_checkpoint

    ckpt = latest_checkpoint(run)
    if ckpt is None:
        raise CLIError(f"run directory {run} holds no checkpoint (no complete ckpt-* folder)")
    arch, latent = checkpoint_arch(ckpt)
    from helpers.models.gan import build_gan
    from helpers.training.gan import GANTrainer
    from helpers.training.sampling import sample

    g, d = build_gan(arch, latent)
    trainer = GANTrainer(g, d, ema=checkpoint_ema(ckpt))
    trainer.restore(ckpt)
    images = sample(trainer.sampler, args.n, seed=args.seed)  # the moving average, where the run kept one
    out = args.out if args.out.suffix == ".npy" else args.out.with_name(args.out.name + ".npy")
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, images)
    print(f"wrote {out}: {images.dtype} {images.shape} from {arch} {ckpt}", flush=True)
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


def _autoencoder_checkpoint(run: Path):
    """The latest checkpoint of an autoencoder run and its saved config; :class:`CLIError` says what is wrong."""
    from helpers.training.checkpoints import latest_checkpoint

    ckpt = latest_checkpoint(run)
    if ckpt is None:
        return None, None
    config = saved_config(ckpt)
    if not isinstance(config, dict) or config.get("kind") != "autoencoder":
        name = config.get("generator", "?") if isinstance(config, dict) else "?"
        raise CLIError(f"{run} holds a GAN run ({ckpt.name}, generator {name!r}), not an autoencoder; "
                       f"use another --out/--run")
    return ckpt, config


def cmd_train_autoencoder(args: argparse.Namespace) -> int:
    """``train-autoencoder``: train (or resume) an autoencoder, save a checkpoint, print a summary line."""
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} exists and is not a directory")
    (x, _), _ = load_mnist(scale="0-1", subset=args.subset)
    keras = _keras()
    from helpers.models.autoencoder import build_autoencoder
    from helpers.training.autoencoder import AutoencoderTrainer

    ckpt, saved = _autoencoder_checkpoint(out) if out.is_dir() else (None, None)
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
         f"{args.epochs}, batch {args.batch_size}, lr {args.lr:g}"
         + (f", noise {args.noise:g}" if args.noise else "")
         + (f", budget {args.time_budget:g} min" if args.time_budget else ""))
    result = _fit(lambda: trainer.fit(x, args.epochs, batch_size=args.batch_size, out_dir=out, resume=True,
                                      time_budget_s=_seconds(args.time_budget), verbose=True),
                  "the loss became", "Try a lower --lr.")
    _summary(f"{args.arch} {kind}", result, args.epochs)
    return 0


def cmd_evaluate_reconstruction(args: argparse.Namespace) -> int:
    """``evaluate-reconstruction``: restore a run, reconstruct test digits, print MSE, PSNR and SSIM."""
    run: Path = args.run
    if not run.is_dir():
        raise CLIError(f"run directory {run} does not exist (train one with '{PROG} train-autoencoder --out {run}')")
    _keras()
    ckpt, config = _autoencoder_checkpoint(run)
    if ckpt is None:
        raise CLIError(f"run directory {run} holds no checkpoint (no complete ckpt-* folder)")
    _, (xt, _) = load_mnist(scale="0-1", test_subset=args.subset)
    from helpers.evaluation.image_metrics import reconstruction_report
    from helpers.training.autoencoder import load_autoencoder

    try:
        trainer = load_autoencoder(ckpt)
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot restore {ckpt}: {exc}") from exc
    report = reconstruction_report(xt, trainer.reconstruct(xt), data_range=1.0)
    kind = "VAE" if config.get("variational") else "autoencoder"
    print(f"MSE {report['mse']:.5f} | PSNR of that MSE {report['pooled_psnr']:.2f} dB | "
          f"mean per-image PSNR {report['psnr']:.2f} dB | SSIM {report['ssim']:.4f} | n {report['n']}", flush=True)
    print(f"{config.get('arch')} {kind}, latent {config.get('latent_dim')}, loss {config.get('loss')}, "
          f"{ckpt.name} (epoch {trainer.epoch}); MNIST test digits in [0, 1]", flush=True)
    return 0


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2, message already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except (CLIError, MnistError, JudgeCacheError) as exc:
        _err(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        _err("error: interrupted")
        return 130
