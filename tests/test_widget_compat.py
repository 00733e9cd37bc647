"""helpers.widgets.compat on the installed ipywidgets (7 in the Colab-pinned run, 8 elsewhere)."""

import asyncio

import ipywidgets as W
import pytest
from ipywidgets.widgets.widget_link import Link

from helpers.widgets import compat as wc


def _pair(**play):
    play = {"value": 0, "min": 0, "max": 10**9, "step": 1, **play}
    return W.ToggleButton(value=False, description="Train"), W.Play(**play)


def test_the_trait_names_are_the_installed_plays():
    assert wc.MAJOR == int(W.__version__.split(".")[0]) and wc.MAJOR in (7, 8)
    traits = W.Play().traits()
    assert wc.PLAYING in traits and wc.REPEAT in traits
    assert wc.PLAYING == ("playing" if wc.MAJOR >= 8 else "_playing")


def test_play_toggle_links_in_the_browser_on_8_and_ticks_from_the_kernel_on_7():
    toggle, play = _pair()
    link = wc.play_toggle(toggle, play)
    if wc.MAJOR >= 8:
        assert isinstance(link, Link)  # jslink: the browser starts the Play when `playing` becomes true
        assert link.source == (toggle, "value") and link.target == (play, "playing")
    else:
        assert isinstance(link, wc.KernelTicker)  # ipywidgets 7's browser would not start the Play
        toggle.value = True
        assert getattr(play, wc.PLAYING) is True  # the Play's ▶ lights up
        toggle.value = False
        assert getattr(play, wc.PLAYING) is False


def test_play_toggle_checks_its_arguments():
    toggle, play = _pair()
    with pytest.raises(TypeError, match="ToggleButton"):
        wc.play_toggle(W.Button(), play)
    with pytest.raises(TypeError, match="Play"):
        wc.play_toggle(toggle, W.IntSlider())


def test_the_kernel_ticker_animates_while_the_toggle_is_on_and_stops_at_once():
    toggle, play = _pair(interval=10)
    ticker = wc.KernelTicker(toggle, play)
    seen = []
    play.observe(lambda c: seen.append(c["new"]), names="value")

    async def scenario():
        toggle.value = True  # as the front end's click arrives: inside the kernel's running event loop
        assert ticker.running
        await asyncio.sleep(0.3)
        ticking = len(seen)
        toggle.value = False
        assert not ticker.running
        await asyncio.sleep(0.1)
        return ticking

    ticking = asyncio.run(scenario())
    assert ticking >= 5, f"only {ticking} ticks in 0.3 s at a 10 ms interval"
    assert seen == list(range(1, len(seen) + 1))  # one step at a time, never two ticks at once
    assert len(seen) == ticking  # none after the toggle went off


def test_the_plays_own_pause_switches_the_toggle_off_and_its_play_leaves_the_ticking_to_the_browser():
    toggle, play = _pair(interval=10)
    ticker = wc.KernelTicker(toggle, play)

    async def scenario():
        toggle.value = True
        setattr(play, wc.PLAYING, False)  # the Play's ⏸, as its front end reports it
        paused = (toggle.value, ticker.running)
        setattr(play, wc.PLAYING, True)  # the Play's ▶: ipywidgets 7's browser runs its own timer
        return paused, (toggle.value, ticker.running)

    assert asyncio.run(scenario()) == ((False, False), (True, False))


def test_without_an_event_loop_nothing_ticks_by_itself_and_tick_advances_by_hand():
    toggle, play = _pair(step=3)
    ticker = wc.KernelTicker(toggle, play)
    toggle.value = True
    assert not ticker.running and play.value == 0
    ticker.tick()
    assert play.value == 3


def test_the_ticker_stops_at_max_or_starts_again_when_the_play_repeats():
    toggle, play = _pair(step=2)
    play.max = 4
    ticker = wc.KernelTicker(toggle, play)
    toggle.value = True
    ticker.tick(), ticker.tick()
    assert play.value == 4
    ticker.tick()
    assert play.value == 4 and toggle.value is False
    setattr(play, wc.REPEAT, True)
    toggle.value = True
    ticker.tick()
    assert play.value == 0 and toggle.value is True


def test_a_failing_frame_switches_the_toggle_off():
    toggle, play = _pair(interval=10)
    wc.KernelTicker(toggle, play)

    def fail(change):
        raise RuntimeError("frame failed")

    play.observe(fail, names="value")
    errors = []

    async def scenario():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context["exception"]))
        toggle.value = True
        await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert toggle.value is False and play.value == 1
    assert [str(e) for e in errors] == ["frame failed"]
