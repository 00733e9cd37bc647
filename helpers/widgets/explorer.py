"""The one widget convention of the notebooks: an :class:`Explorer` is controls over a pure view function.

A *view* function takes plain numbers and returns a :class:`helpers.viz.scenes.View` (a figure and a
``summary`` dict). Tests call the views directly; an explorer wraps a view in sliders:

>>> from helpers.widgets.gradient_descent import gd_explorer
>>> w = gd_explorer()
>>> w.children[0].value = 0.05          # move the learning-rate slider
>>> w.result.summary["regime"]
'monotone'

Fast redraws: when the view has a scene (``gd_view.scene``, a :class:`helpers.viz.scenes.Scene`), an
explorer keeps its scenes and on a slider move only redraws what moves. Set the environment variable
``HELPERS_FAST_WIDGETS=0`` before importing to make explorers call their view afresh instead
(the benchmarks compare the two).
"""

from __future__ import annotations

import os

import ipywidgets as W

from ..checks import count
from ..viz.scenes import SceneCache, View

#: explorers redraw through their view's Scene (set HELPERS_FAST_WIDGETS=0 to call the view afresh each time)
FAST_WIDGETS = os.environ.get("HELPERS_FAST_WIDGETS", "1").strip().lower() not in ("0", "false", "no", "off")


class Explorer(W.VBox):
    """Controls over a view function, its figure shown as an image widget and its summary as a caption.

    Every change of a control calls ``view(**values)`` again (through the view's
    :class:`~helpers.viz.scenes.Scene`, when it has one, so that only what moves is redrawn). ``result`` holds
    the latest :class:`~helpers.viz.scenes.View`; ``children[i]`` are the controls in order, then the image and
    the caption.
    The figure is sent as PNG bytes to an ``Image`` widget (no ``Output`` widget capture),
    so it updates the same way in JupyterLab, Notebook 7, VS Code and Colab. Through a scene,
    successive results share one figure (it shows the latest values); each keeps its own PNG.
    """

    def __init__(self, view, controls: dict, fixed: dict | None = None):
        self.view = view
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
        self.scenes = SceneCache(view) if FAST_WIDGETS and getattr(view, "scene", None) is not None else None
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.caption = W.HTML()
        self.result: View | None = None
        super().__init__(children=[*self.controls.values(), self.image, self.caption])
        self.add_class("helpers-explorer")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def values(self) -> dict:
        """The arguments the view is called with: every control's value plus the fixed ones."""
        return {**{name: c.value for name, c in self.controls.items()}, **self.fixed}

    def update(self) -> View:
        """Call the view with the current values and show its figure and summary."""
        values = self.values()
        self.result = self.scenes.view(**values) if self.scenes is not None else self.view(**values)
        self.image.value = self.result._repr_png_()
        self.caption.value = caption(self.result.summary)
        return self.result

    def _on_change(self, change) -> None:
        try:
            self.update()
        except Exception as exc:  # show the problem where the learner looks, then re-raise for the log
            self.caption.value = f"<span style='color:#b00'>error: {type(exc).__name__}: {exc}</span>"
            raise


def caption(summary: dict) -> str:
    """A view's summary as one line of HTML: ``key: <b>value</b>`` pairs, floats to 4 significant digits."""
    parts = []
    for key, value in summary.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        parts.append(f"{key.replace('_', ' ')}: <b>{value}</b>")
    return "<span style='font-family:monospace'>" + " &nbsp;|&nbsp; ".join(parts) + "</span>"


def check_steps(steps: int, maximum: int = 100_000) -> int:
    """``steps`` as an int if it is an integer from 1 to ``maximum`` (a view's step count); else ``ValueError``."""
    steps = count("steps", steps)
    if steps > maximum:
        raise ValueError(f"steps must be at most {maximum}, got {steps}")
    return steps
