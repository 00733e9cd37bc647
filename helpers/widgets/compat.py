"""Where ipywidgets 7 and 8 differ for ``helpers``' widgets, in one place: a toggle button that plays a ``Play``.

Colab ships ipywidgets 7.7.1 and draws widgets with ipywidgets 7's front end; JupyterLab 4, Notebook 7
and VS Code run ipywidgets 8. Everything else the widgets use (sliders, menus, buttons, ``Image``,
``HTML``, boxes, ``Layout``, ``style={"description_width": ...}``, ``add_class``) is the same on both.
The ``Play`` widget is not:

* its "is playing" trait is ``playing`` in ipywidgets 8 and ``_playing`` in 7 (:data:`PLAYING`);
* ipywidgets 8's front end starts its timer whenever ``playing`` becomes true, so a ``jslink`` from a
  toggle button to ``playing`` animates in the browser. ipywidgets 7's front end starts it only from the
  Play's own ▶ button: ``_playing`` set by a ``jslink`` or from the kernel only lights the button.

:func:`play_toggle` hides the difference: on 8 it is that ``jslink``; on 7 the kernel ticks the Play
(:class:`KernelTicker`).
"""

from __future__ import annotations

import asyncio

import ipywidgets as W

#: the installed ipywidgets' major version
MAJOR = int(W.__version__.split(".")[0])
#: the names of Play's "is playing" and "repeat" traits: public from ipywidgets 8 on, private before
PLAYING, REPEAT = ("playing", "repeat") if MAJOR >= 8 else ("_playing", "_repeat")


def play_toggle(toggle: W.ToggleButton, play: W.Play):
    """Make ``toggle`` start and pause ``play``'s animation and show whether it runs, on ipywidgets 7 and 8.

    ipywidgets 8: ``jslink((toggle, "value"), (play, "playing"))``; the browser ticks ``play.value``
    every ``play.interval`` ms. ipywidgets 7: a :class:`KernelTicker`; the kernel does. Either way
    ``play.value`` observers run once per tick, the Play's own ▶/⏸/⏹ buttons stay in step with the
    toggle, and setting ``toggle.value`` from Python starts or stops the animation. Returns the link or
    the ticker.
    """
    if not isinstance(toggle, W.ToggleButton):
        raise TypeError(f"toggle must be an ipywidgets.ToggleButton, got {type(toggle).__name__}")
    if not isinstance(play, W.Play):
        raise TypeError(f"play must be an ipywidgets.Play, got {type(play).__name__}")
    if MAJOR >= 8:
        return W.jslink((toggle, "value"), (play, PLAYING))
    return KernelTicker(toggle, play)


class KernelTicker:
    """While ``toggle`` is on, advance ``play.value`` by ``play.step`` every ``play.interval`` ms from the kernel's
    event loop.

    The next tick is scheduled when the previous one's observers have returned, so ticks never queue
    up behind a slow frame and switching the toggle off acts at once. ``play``'s playing trait follows
    the toggle (its ▶ lights up), and the Play's own ⏸/⏹ switch the toggle off. (Its ▶ starts ipywidgets
    7's own browser timer: the toggle turns on and the kernel leaves the ticking to the browser.) At
    ``play.max`` the animation stops, or starts again at ``play.min`` when the Play repeats.
    Without a running event loop (a script, a test) nothing ticks by itself: call :meth:`tick`.
    """

    def __init__(self, toggle: W.ToggleButton, play: W.Play):
        self.toggle, self.play = toggle, play
        self._handle: asyncio.TimerHandle | None = None
        self._from_play = False  # the toggle is being set because the Play's own buttons changed its state
        toggle.observe(self._on_toggle, names="value")
        play.observe(self._on_playing, names=PLAYING)
        if toggle.value:
            self._on_toggle({"new": True})

    @property
    def running(self) -> bool:
        """Whether a kernel tick is scheduled."""
        return self._handle is not None

    def tick(self) -> None:
        """One step of the animation: ``play.value += play.step`` (wrapping or stopping at ``play.max``)."""
        value = self.play.value + self.play.step
        if value > self.play.max:
            if not getattr(self.play, REPEAT):
                self.toggle.value = False
                return
            value = self.play.min
        self.play.value = value

    def stop(self) -> None:
        """Cancel the scheduled tick, if any."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _on_toggle(self, change) -> None:
        on = bool(change["new"])
        if not self._from_play:
            setattr(self.play, PLAYING, on)
        if on and not self._from_play:
            self._schedule()
        elif not on:
            self.stop()

    def _on_playing(self, change) -> None:
        self._from_play = True
        try:
            self.toggle.value = bool(change["new"])
        finally:
            self._from_play = False

    def _schedule(self) -> None:
        if self._handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop runs this code: nothing can tick by itself
        self._handle = loop.call_later(self.play.interval / 1000, self._on_timer)

    def _on_timer(self) -> None:
        self._handle = None
        if not self.toggle.value:
            return
        try:
            self.tick()
        except Exception:
            self.toggle.value = False  # a failing frame stops the animation instead of failing every interval
            raise
        if self.toggle.value:
            self._schedule()
