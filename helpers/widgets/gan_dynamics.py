"""Notebook 06 (GAN dynamics lab): the Dirac-GAN's slider view and the 2-D GAN playground's widget.

* :func:`dirac_view` draws one training method of the Dirac-GAN (:mod:`helpers.maths.dirac_gan`): its
  trajectory over its vector field, and the distance to the equilibrium on a log scale;
  :func:`dirac_explorer` puts sliders and menus over it.
* :func:`playground_widget` puts sliders, menus and buttons over a :class:`helpers.maths.playground.Playground`,
  drawn on a :class:`helpers.viz.playground.PlaygroundCanvas`; :func:`frames_per_second` measures its loop.
"""

from __future__ import annotations

import time

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from ..checks import count, number, positive
from ..maths.dirac_gan import LABELS, METHODS, MODES, converged, r1_max_step, spectral_radius, train
from ..maths.playground import LOSSES, UPDATES, Playground
from ..viz import plotting
from ..viz.dirac_gan import plot_method
from ..viz.playground import PlaygroundCanvas
from ..viz.scenes import View
from .compat import play_toggle
from .explorer import Explorer, check_steps

# --------------------------------------------------------------------------- the Dirac-GAN


def dirac_view(method: str = "r1", h: float = 0.5, gamma: float = 0.3, mode: str = "simultaneous", steps: int = 300,
               sigma: float = 1.0, z0=(1.0, 1.0)):
    """The slider view: one method's trajectory over its field, and ‖(θ_t, ψ_t)‖ against t on a log scale."""
    steps = check_steps(steps, 5000)
    traj = train(method, z0, h, steps, mode, gamma=gamma, sigma=sigma)
    rho = spectral_radius(method, h, mode, n_d=traj.n_d, gamma=gamma, sigma=sigma)
    fig, (ax1, ax2) = plotting.new_figure(2, size=(4.0, 3.5), pyplot=False)
    r = float(np.clip(np.nanmax(np.abs(traj.zs)) * 1.1, 1.5, 10.0))
    rho_text = "ρ n/a" if np.isnan(rho) else f"ρ = {rho:.4f}"
    plot_method(traj, ax=ax1, bounds=(-r, r, -r, r), n=13, gamma=gamma, sigma=sigma,
                title=f"{LABELS[method]}, {mode}, η = {h:.3g}")
    d = traj.distances
    ax2.plot(np.where(d > 0, d, np.nan), lw=1.4)
    finite = d[np.isfinite(d) & (d > 0)]
    finite = finite if finite.size else np.ones(1)  # started at the equilibrium: nothing to scale by
    ax2.set(yscale="log", xlabel="generator step t", ylabel="‖(θ, ψ)‖",
            ylim=(min(float(finite.min()), 0.1) / 2, max(float(finite.max()), 10.0) * 2))
    ax2.set_title(rho_text, fontsize=10)
    # few ticks in plain text: tick labels (mathtext above all) are most of a redraw's time
    ax2.yaxis.set_major_locator(LogLocator(numticks=4))
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.0e}"))
    for axis in (ax1.xaxis, ax1.yaxis, ax2.xaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax2.grid(alpha=0.3)
    summary = {"method": method, "spectral_radius": rho, "final_distance": float(d[-1]),
               "converges": converged(traj), "diverged": traj.diverged}
    if method in ("r1", "r2") and gamma > 0:
        summary["η_max"] = r1_max_step(gamma, mode)
    return View(fig, summary)


def dirac_explorer():
    """Sliders for the step η (``h``) and γ, and menus for the method and how the players take turns,
    over :func:`dirac_view`."""
    return Explorer(dirac_view, dict(
        h=W.FloatLogSlider(value=0.5, base=10, min=-2, max=np.log10(3.0), step=0.02, description="η",
                           readout_format=".3f"),
        gamma=W.FloatLogSlider(value=0.3, base=10, min=-2, max=1, step=0.02, description="γ", readout_format=".3f"),
        method=W.Dropdown(options=[(LABELS[m], m) for m in METHODS], value="r1", description="method"),
        mode=W.Dropdown(options=list(MODES), value="simultaneous", description="turns"),
    ), fixed=dict(steps=300, sigma=1.0, z0=(1.0, 1.0)))


# --------------------------------------------------------------------------- the 2-D playground


def playground_widget(steps_per_frame: int = 10, interval_ms: int = 100, **settings):
    """The playground with sliders (η_D, η_G, R1 γ), loss and update menus and Train / Step D / Step G / Reset buttons.

    Train toggles an ``ipywidgets.Play`` that ticks every ``interval_ms``; each tick trains
    ``steps_per_frame`` rounds (alternating unless the update menu says simultaneous) and redraws.
    The box's ``playground`` attribute is the :class:`Playground`; ``controls`` maps names to the widgets.
    """
    steps_per_frame = count("steps_per_frame", steps_per_frame, 1, 1000)
    interval_ms = count("interval_ms", interval_ms, 10, 10_000)
    pg = Playground(**settings)
    s = pg.settings
    style = {"description_width": "initial"}
    c = {
        "lr_d": W.FloatLogSlider(value=s.lr_d, base=10, min=-4.5, max=-1, step=0.25, description="η_D (discriminator)",
                                 readout_format=".1e", style=style),
        "lr_g": W.FloatLogSlider(value=s.lr_g, base=10, min=-4.5, max=-1, step=0.25, description="η_G (generator)",
                                 readout_format=".1e", style=style),
        "gamma": W.FloatSlider(value=s.gamma, min=0.0, max=2.0, step=0.05, description="R1 γ", style=style),
        "loss": W.Dropdown(options=list(LOSSES), value=s.loss, description="loss"),
        "update": W.Dropdown(options=list(UPDATES), value=s.update, description="update"),
        "train": W.ToggleButton(value=False, description="Train", icon="play", tooltip="train and animate"),
        "play": W.Play(value=0, min=0, max=10**9, step=1, interval=interval_ms, show_repeat=False),
        "step_d": W.Button(description="Step D", tooltip="one discriminator step"),
        "step_g": W.Button(description="Step G", tooltip="one generator step"),
        "reset": W.Button(description="Reset", tooltip="new networks from the seed"),
    }
    canvas = PlaygroundCanvas(pg.data.extent)
    image = W.Image(format="png", value=canvas.render(pg), layout=W.Layout(max_width="100%", height="auto"))
    caption = W.HTML()
    last = {"end": 0.0}

    def redraw() -> None:
        image.value = canvas.render(pg)
        m = pg.metrics()
        caption.value = (f"<span style='font-family:monospace'>step <b>{m['step']}</b> | modes covered "
                         f"<b>{m['modes_covered']}/{m['modes']}</b> | "
                         f"high quality <b>{100 * m['hq_fraction']:.1f}%</b></span>")

    def on_tick(change) -> None:
        if time.perf_counter() - last["end"] < 0.25 * interval_ms / 1000:
            return  # a tick that queued up while the last frame was drawn: drop it so that Pause acts at once
        pg.train(steps_per_frame)
        redraw()
        last["end"] = time.perf_counter()

    def setter(fn):
        return lambda change: (fn(change["new"]), redraw())

    c["lr_d"].observe(setter(pg.set_lr_d), names="value")
    c["lr_g"].observe(setter(pg.set_lr_g), names="value")
    c["gamma"].observe(setter(pg.set_gamma), names="value")
    c["loss"].observe(setter(pg.set_loss), names="value")
    c["update"].observe(setter(pg.set_update), names="value")
    c["play"].observe(on_tick, names="value")
    play_toggle(c["train"], c["play"])  # Train starts and pauses the Play, on ipywidgets 7 and 8
    c["step_d"].on_click(lambda _: (pg.step_d(), redraw()))
    c["step_g"].on_click(lambda _: (pg.step_g(), redraw()))

    def on_reset(_) -> None:
        c["train"].value = False
        pg.reset()
        redraw()

    c["reset"].on_click(on_reset)
    redraw()
    box = W.VBox([
        W.HBox([c["lr_d"], c["lr_g"]]),
        W.HBox([c["gamma"], c["loss"], c["update"]]),
        W.HBox([c["train"], c["play"], c["step_d"], c["step_g"], c["reset"]]),
        image, caption,
    ])
    box.add_class("helpers-explorer")
    box.playground, box.controls, box.image, box.caption, box.redraw = pg, c, image, caption, redraw
    box.tick = lambda: on_tick(None)
    return box


def frames_per_second(seconds: float = 3.0, steps_per_frame: int = 10, warmup: int = 2, **settings) -> dict:
    """Frames per second of the widget's loop (``steps_per_frame`` training rounds + a PNG redraw).

    Returns ``fps`` (wall clock), ``cpu_fps`` (frames per CPU-second of this process: what an idle
    machine would give, since the loop is single-threaded), ``ms_per_frame``, ``ms_train`` and
    ``ms_draw`` (means over the frames) and ``frames``.
    """
    number("seconds", seconds)  # a non-number, NaN or inf is named "a finite number" first
    seconds = positive("seconds", seconds)
    steps_per_frame = count("steps_per_frame", steps_per_frame, 1, 10_000)
    warmup = count("warmup", warmup, 0, 100)
    pg = Playground(**settings)
    canvas = PlaygroundCanvas(pg.data.extent)
    for _ in range(warmup):
        pg.train(steps_per_frame)
        canvas.render(pg)
    t_train = t_draw = 0.0
    frames = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        pg.train(steps_per_frame)
        t1 = time.perf_counter()
        canvas.render(pg)
        t2 = time.perf_counter()
        t_train += t1 - t0
        t_draw += t2 - t1
        frames += 1
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {"fps": frames / total, "cpu_fps": frames / max(cpu, 1e-9), "ms_per_frame": 1000 * total / frames,
            "ms_train": 1000 * t_train / frames, "ms_draw": 1000 * t_draw / frames, "frames": frames,
            "steps_per_frame": steps_per_frame}
