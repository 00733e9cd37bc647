"""Every notebook with a widget, opened in a real JupyterLab in headless Chromium: run it, move its sliders.

Checks what kernel-side tests cannot see: the widget front end renders (no "Error displaying
widget", no plain-text repr), every slider is visible, a slider move changes the figure, and no
output area shows a traceback. Screenshots before and after land in tests/browser/screenshots/.
"""

import json
import re

import pytest

from helpers import browser as lab

WIDGET_NOTEBOOKS = lab.notebooks_with_widgets()
#: how helpers' explorers report an exception raised by their callback
CAPTION_ERROR = re.compile(r"\berror: [A-Za-z_][\w.]*: ")
#: how long a slider move or a click may take to change the figure before the test fails (a training
#: widget runs a short training on release; the maths widgets' latency is measured by benchmarks/widget_latency.py)
MAX_SECONDS_PER_MOVE = 30.0


def test_some_notebooks_have_widgets():
    assert WIDGET_NOTEBOOKS, "no committed notebook stores a widget view: nothing for the browser to test"


@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS, ids=lambda p: p.stem)
def test_widgets_render_and_respond(notebook, lab_server, page, screenshots):
    seconds = lab.open_and_run_all(page, lab_server, notebook.name)
    print(f"{notebook.name}: all cells ran in {seconds:.1f} s")
    texts = "\n".join(lab.output_texts(page))
    assert "Error displaying widget" not in texts
    assert "Explorer(children=" not in texts and "VBox(children=" not in texts, "a widget is shown as its text repr"
    assert lab.error_outputs(page) == []

    areas = lab.widget_areas(page)
    assert areas.count() >= 1, "no explorer widget rendered"
    for i in range(areas.count()):
        area = areas.nth(i)
        area.scroll_into_view_if_needed()
        sliders = area.locator(".widget-slider")
        assert sliders.count() >= 1, f"explorer {i} has no slider"
        for k in range(sliders.count()):
            assert sliders.nth(k).is_visible(), f"slider {k} of explorer {i} is not visible"
        assert lab.widget_image(area), f"explorer {i} shows no figure"
        area.screenshot(path=str(screenshots / f"{notebook.stem}-widget{i}-before.png"))
        for k in range(area.locator(".widget-slider .noUi-handle").count()):
            latency = lab.move_slider(page, area, k, timeout=MAX_SECONDS_PER_MOVE)
            print(f"{notebook.name}: explorer {i}, slider {k}: figure changed after {latency * 1000:.0f} ms")
        buttons = lab.action_buttons(area)
        for k in range(buttons.count()):
            label = buttons.nth(k).inner_text()
            latency = lab.click_button(page, area, k, timeout=MAX_SECONDS_PER_MOVE)
            print(f"{notebook.name}: explorer {i}, button {label!r}: figure changed after {latency * 1000:.0f} ms")
        area.screenshot(path=str(screenshots / f"{notebook.stem}-widget{i}-after.png"))
        # an explorer shows a failing callback as "error: ExceptionName: message" in its caption
        assert not CAPTION_ERROR.search(area.inner_text()), f"explorer {i} reports an error: {area.inner_text()[-300:]}"
    assert lab.error_outputs(page) == []


def test_truncation_keeps_every_cell_up_to_the_last_widget(tmp_path):
    source = next(p for p in WIDGET_NOTEBOOKS if p.stem.startswith("09"))
    copy = tmp_path / source.name
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    original = json.loads(source.read_text(encoding="utf-8"))["cells"]
    dropped = lab.truncate_after_last_widget(copy)
    kept = json.loads(copy.read_text(encoding="utf-8"))["cells"]
    assert dropped > 0 and len(kept) + dropped == len(original)
    assert kept == original[:len(kept)]                      # nothing before it changes
    assert lab.notebooks_with_widgets(tmp_path) == [copy]    # and the widget itself is still there
    assert lab.truncate_after_last_widget(copy) == 0         # the last cell now shows the widget
