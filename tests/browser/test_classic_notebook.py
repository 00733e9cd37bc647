"""Every notebook with a widget, run in classic Notebook 6 with ipywidgets 7: the widget front end of Colab.

Colab's learners get ipywidgets 7.7.1 and a front end that draws ipywidgets 7 (.ci/colab-constraints.txt).
This test opens each widget notebook in classic Notebook (< 7) in headless Chromium, runs it, and
checks that the widgets render (no widget error, no plain-text repr), that every slider of every
explorer moves and the figure changes, as does choosing another option in every menu, that every
push button changes the figure or the caption, and that the GAN playground's Train animates (the
frame advances several times, then stops when Train is pressed again). Screenshots land in
tests/browser/screenshots/classic-*.png.

It runs only in an environment with classic Notebook < 7 and ipywidgets 7 (CI's Colab-pinned one)
and skips elsewhere (JupyterLab 4 with ipywidgets 8 is tested by test_widgets_in_browser.py). There,
a missing Chromium or playwright fails under CI=true, as in the other browser tests.
"""

import json
import re

import pytest

from . import classic

WHY_NOT = classic.classic_environment()
needs_classic = pytest.mark.skipif(WHY_NOT is not None, reason=f"classic-notebook browser test: {WHY_NOT}")
WIDGET_NOTEBOOKS = classic.widget_notebooks()
#: how helpers' explorers report an exception raised by their callback
CAPTION_ERROR = re.compile(r"\berror: [A-Za-z_][\w.]*: ")
#: how long a slider move or a click may take to change the figure (a training widget trains on release)
MAX_SECONDS_PER_MOVE = 30.0
#: how long Train runs while the frames are counted, and how many new frames it must show in that time
TRAIN_SECONDS, MIN_NEW_FRAMES = 8.0, 3
PLAYGROUND_STEP = re.compile(r"\bstep (\d+) \| modes covered")


@pytest.fixture(scope="module")
def classic_server(chromium):
    with classic.jupyter_notebook() as server:
        yield server


def test_some_notebooks_have_widgets():
    assert WIDGET_NOTEBOOKS, "no notebook shows a widget: nothing for the browser to test"
    assert any("playground_widget(" in p.read_text(encoding="utf-8") for p in WIDGET_NOTEBOOKS), \
        "the GAN playground is in no widget notebook"


def test_widget_cells_are_found_with_or_without_stored_outputs(tmp_path):
    source = next(p for p in WIDGET_NOTEBOOKS if p.stem.startswith("01"))
    nb = json.loads(source.read_text(encoding="utf-8"))
    cells = classic.widget_cells(nb)
    assert cells, "notebook 01's explorer cell is not found"
    for cell in nb["cells"]:
        cell.pop("outputs", None) if cell["cell_type"] == "code" else None
    assert classic.widget_cells(nb) == cells   # found by its source alone
    copy = tmp_path / source.name
    copy.write_text(json.dumps(nb), encoding="utf-8")
    assert classic.widget_notebooks(tmp_path) == [copy]
    dropped = classic.truncate_after_widgets(copy)
    kept = json.loads(copy.read_text(encoding="utf-8"))["cells"]
    assert len(kept) == cells[-1] + 1 and len(kept) + dropped == len(nb["cells"])
    assert kept == nb["cells"][:len(kept)]
    assert classic.truncate_after_widgets(copy) == 0


@pytest.mark.parametrize("versions, expected", [
    ({"notebook": "6.5.7", "ipywidgets": "7.7.1", "widgetsnbextension": "3.6.10"}, None),  # Colab's
    ({"notebook": None, "ipywidgets": "8.1.9", "widgetsnbextension": "4.0.16"},            # JupyterLab 4's
     ("needs classic Notebook < 7 (found notebook not installed) and ipywidgets 7 (found 8.1.9) and "
      "widgetsnbextension 3 (found 4.0.16)")),
    ({"notebook": "7.4.0", "ipywidgets": "7.7.1", "widgetsnbextension": "3.6.10"},
     "needs classic Notebook < 7 (found notebook 7.4.0)"),
])
def test_the_environment_check_names_what_is_missing(monkeypatch, versions, expected):
    def version(name):
        if versions[name] is None:
            raise classic.metadata.PackageNotFoundError(name)
        return versions[name]

    monkeypatch.setattr(classic.metadata, "version", version)
    why = classic.classic_environment()
    assert why == expected if expected is None else why.startswith(expected)


@needs_classic
@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS, ids=lambda p: p.stem)
def test_widgets_render_and_respond_in_classic_notebook(notebook, classic_server, page, screenshots):
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    try:
        _exercise(notebook, classic_server, page, screenshots)
    except BaseException:
        page.screenshot(path=str(screenshots / f"classic-{notebook.stem}-failure.png"), full_page=True)
        print(f"{notebook.name}: browser console errors: {console[-10:]}")
        raise
    finally:
        page.close()
        classic.shut_down_kernels(classic_server)


def _exercise(notebook, server, page, screenshots):
    seconds = classic.open_and_run_all(page, server, notebook.name)
    print(f"{notebook.name}: all cells ran in {seconds:.1f} s")
    assert classic.widget_problems(page) == []
    assert classic.stderr_tracebacks(page) == []

    areas = classic.widget_areas(page)
    assert areas.count() == len(classic.widget_cells(json.loads(
        (server.root / notebook.name).read_text(encoding="utf-8")))), "not every widget cell shows an explorer"
    for i in range(areas.count()):
        area = areas.nth(i)
        area.scroll_into_view_if_needed()
        handles = classic.slider_handles(area)
        assert handles.count() >= 1, f"explorer {i} has no slider"
        for k in range(handles.count()):
            assert handles.nth(k).is_visible(), f"slider {k} of explorer {i} is not visible"
        assert classic.widget_image(area), f"explorer {i} shows no figure"
        area.screenshot(path=str(screenshots / f"classic-{notebook.stem}-widget{i}-before.png"))
        for k in range(handles.count()):
            latency = classic.move_slider(page, area, k, timeout=MAX_SECONDS_PER_MOVE)
            print(f"{notebook.name}: explorer {i}, slider {k}: figure changed after {latency * 1000:.0f} ms")
        for k in range(classic.menus(area).count()):
            label, latency = classic.choose_next_option(page, area, k, timeout=MAX_SECONDS_PER_MOVE)
            print(f"{notebook.name}: explorer {i}, menu {k} -> {label!r}: figure changed after {latency * 1000:.0f} ms")
        buttons = classic.action_buttons(area)
        for k in range(buttons.count()):
            label, latency = classic.click_button(page, area, k, timeout=MAX_SECONDS_PER_MOVE)
            print(f"{notebook.name}: explorer {i}, button {label!r}: figure changed after {latency * 1000:.0f} ms")
        train = classic.toggle_button(area, "Train")
        if train.count():
            _train_and_pause(page, area, train, f"{notebook.name}: explorer {i}",
                             screenshots / f"classic-{notebook.stem}-widget{i}-training.png")
        area.screenshot(path=str(screenshots / f"classic-{notebook.stem}-widget{i}-after.png"))
        assert not CAPTION_ERROR.search(area.inner_text()), f"explorer {i} reports an error: {area.inner_text()[-300:]}"
    assert classic.widget_problems(page) == []
    assert classic.stderr_tracebacks(page) == []


def _step(area) -> int:
    match = PLAYGROUND_STEP.search(area.inner_text())
    assert match, f"no 'step N | modes covered' caption in {area.inner_text()[-300:]!r}"
    return int(match.group(1))


def _train_and_pause(page, area, train, where: str, screenshot) -> None:
    """Press Train: the frame must advance at least MIN_NEW_FRAMES times; press it again: the frames must
    stop."""
    step0 = _step(area)
    train.scroll_into_view_if_needed()
    train.click()
    frames = classic.watch_frames(page, area, TRAIN_SECONDS)
    area.screenshot(path=str(screenshot))
    step1 = _step(area)
    new = len(frames) - 1
    print(f"{where}: Train: {new} new frames in {TRAIN_SECONDS:.0f} s, step {step0} -> {step1}")
    assert new >= MIN_NEW_FRAMES and step1 > step0, (
        f"{where}: Train pressed, but the frame advanced {new} times in {TRAIN_SECONDS:.0f} s "
        f"(step {step0} -> {step1})")
    train.click()
    page.wait_for_timeout(1500)  # a frame already being drawn may still land
    still = classic.watch_frames(page, area, 2.0)
    assert len(still) == 1, f"{where}: the frames went on changing after Train was pressed again ({len(still) - 1} new)"
