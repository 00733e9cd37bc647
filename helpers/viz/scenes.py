"""A figure and the numbers behind it (:class:`View`), and scenes that redraw only what moves (:class:`Scene`).

A *view* function takes plain numbers and returns a :class:`View`: a matplotlib figure (made
outside pyplot, so it is shown exactly once) plus a ``summary`` dict of the figures it drew.
In a notebook, showing a view (or its ``figure``) gives the static picture for readers
without a live kernel.

Fast redraws: a view function may be drawn by a :class:`Scene` (``gd_view.scene`` is its class).
A view call builds a fresh scene and returns its figure; an explorer
(:class:`helpers.widgets.explorer.Explorer`) keeps its scenes in a :class:`SceneCache` and on a slider
move only moves what moves (paths, curves, titles) over a cached rendering of what does not
(contours, arrows, axes), then encodes the PNG quickly (:func:`helpers.viz.images.encode_png`).
"""

from __future__ import annotations

import inspect
import io
from collections import OrderedDict
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .images import encode_png


@dataclass
class View:
    """A figure and the numbers behind it; displays as the figure."""

    figure: Figure
    summary: dict = field(default_factory=dict)
    #: the figure already rendered as PNG (a scene's fast path), or None to render on demand
    png: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        # minor ticks on log axes cost a third of a redraw; the major decades are enough on a slider's plot
        for ax in self.figure.axes:
            for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
                if scale == "log" and not isinstance(axis.get_minor_locator(), NullLocator):
                    axis.set_minor_locator(NullLocator())

    def _repr_png_(self) -> bytes:
        if self.png is not None:
            return self.png
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png")
        return buf.getvalue()


class Scene:
    """One view drawn on a figure kept for reuse: static parts rendered once, moving parts redrawn per call.

    A subclass draws the whole view for some values in ``draw(values)`` (the pure view function
    calls just that), lists in ``self.moving`` the artists that change with the values (a whole
    Axes, or artists inside one), sets them for new values in ``update(values)``, and names in
    ``key(values)`` the values the static parts depend on: a scene only takes values with its own
    key. ``scene.view(**values)`` returns the :class:`View` the view function would, with its PNG
    made by restoring the cached static layer and drawing only the moving artists (blitting).
    """

    #: static layers kept per scene, one per axes layout (each is the figure's size in RGBA, ~1 MB)
    backgrounds = 8

    def __init__(self, **values):
        self.values = dict(values)
        self.moving: list = []
        self.summary = self.draw(self.values)
        self.canvas = None  # made on the first render: a pure view's figure stays as drawn
        self._backgrounds: OrderedDict = OrderedDict()
        self._drawn: list = []

    @staticmethod
    def key(values: dict):
        """The values the static parts depend on (a hashable); a scene serves only its own key."""
        return ()

    def draw(self, values: dict) -> dict:
        """Make ``self.figure`` for ``values``, fill ``self.moving``; return the summary."""
        raise NotImplementedError

    def update(self, values: dict) -> dict:
        """Set the moving artists for ``values`` (same key); return the summary."""
        raise NotImplementedError

    def static_view(self) -> View:
        """The figure as drawn (no fast path): what the pure view function returns."""
        return View(self.figure, self.summary)

    def view(self, **values) -> View:
        """Move the artists to ``values`` and render them over the cached static layer: a View with its PNG."""
        if self.key(values) != self.key(self.values):
            raise ValueError(f"this scene draws key {self.key(self.values)!r}, "
                             f"got values with key {self.key(values)!r}")
        self.summary = self.update(values)
        self.values = dict(values)
        view = View(self.figure, self.summary)  # also drops minor ticks on log axes, as a view does
        view.png = encode_png(self.render())
        return view

    def layout(self) -> tuple:
        """What the static layer depends on beyond the key: every Axes' limits (ticks and labels follow them)."""
        return tuple((tuple(ax.get_xlim()), tuple(ax.get_ylim())) for ax in self.figure.axes)

    def render(self) -> np.ndarray:
        """The figure as an RGBA array: the static layer for the current layout, then the moving artists in drawing
        order.

        Static layers are kept per layout (a few), so a slider going back and forth across a
        change of axis limits (e.g. a new decade on a log axis) redraws everything only once.
        """
        if self.canvas is None:
            self.canvas = FigureCanvasAgg(self.figure)
            self._drawn = _drawing_order(self.figure, self.moving)
            for artist in self._drawn:
                artist.set_animated(True)  # left out of canvas.draw(), still drawn by savefig
            self._backgrounds = OrderedDict()
        layout = self.layout()
        background = self._backgrounds.pop(layout, None)
        if background is None:
            self.canvas.draw()
            background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(background)
        self._backgrounds[layout] = background
        while len(self._backgrounds) > self.backgrounds:
            self._backgrounds.popitem(last=False)
        renderer = self.canvas.get_renderer()
        for artist in self._drawn:
            artist.draw(renderer)
        return np.asarray(self.canvas.buffer_rgba())


def _drawing_order(figure: Figure, moving) -> list:
    """What to redraw, in matplotlib's drawing order: moving Axes whole; inside other Axes, from the first moving
    artist on.

    Axes draw their children sorted by zorder; everything an Axes draws after its first moving
    artist is redrawn too, so that the blitted image stacks exactly as a full draw does.
    """
    ids = {id(a) for a in moving}
    order = []
    for ax in sorted(figure.axes, key=attrgetter("zorder")):
        if id(ax) in ids:
            order.append(ax)
            continue
        children = [a for a in ax.get_children() if a is not ax.patch]
        if not (ax.axison and ax.get_frame_on()):
            children = [a for a in children if a not in ax.spines.values()]
        if not ax.axison:
            children = [a for a in children if a not in ax._axis_map.values()]
        children = sorted(children, key=attrgetter("zorder"))
        first = next((i for i, a in enumerate(children) if id(a) in ids), None)
        if first is not None:
            order += children[first:]
    return order


class SceneCache:
    """The scenes of one view function, by key (least recently used dropped beyond ``size``)."""

    def __init__(self, view_fn, size: int = 6):
        if getattr(view_fn, "scene", None) is None:
            raise ValueError(f"view_fn must have a .scene (a Scene subclass), got {view_fn!r}")
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.view_fn, self.scene_class, self.size = view_fn, view_fn.scene, size
        self.signature = inspect.signature(view_fn)
        self.scenes: OrderedDict = OrderedDict()

    def view(self, **values) -> View:
        """The view for ``values`` (the view function's defaults fill the rest), drawn on a kept scene."""
        bound = self.signature.bind(**values)
        bound.apply_defaults()
        values = dict(bound.arguments)
        key = self.scene_class.key(values)
        scene = self.scenes.pop(key, None)
        if scene is None:
            scene = self.scene_class(**values)
        self.scenes[key] = scene
        while len(self.scenes) > self.size:
            self.scenes.popitem(last=False)
        return scene.view(**values)
