"""Drive classic Jupyter Notebook (< 7) with ipywidgets 7 in headless Chromium: the front end Colab's learners get.

Colab draws widgets with ipywidgets 7's JavaScript (``@jupyter-widgets/controls`` 1.5), as classic
Notebook 6 does through the ``widgetsnbextension`` 3 nbextension. This module starts
``jupyter notebook`` from the current Python over a temporary copy of ``notebooks/``, runs a
notebook through the ``Jupyter.notebook`` JavaScript API, and moves ipywidgets 7's jQuery-UI
sliders, clicks buttons and reads the figure an explorer shows. What it shares with the JupyterLab
driver (a free port, which notebooks store widgets, cutting them after the last one, starting and stopping
the server: :func:`lab.serve`) comes from
:mod:`helpers.browser`; the tests get Chromium and a page from it through ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from helpers.browser import (
    NOTEBOOKS,
    ROOT,
    WIDGET_MIME,
    LabServer,
    free_port,
    notebooks_with_widgets,
    serve,
    truncate_after_last_widget,
)

#: a code cell that builds one of helpers' widgets and displays it (found even where no output is stored)
WIDGET_SOURCE = re.compile(r"\b(?:\w+_explorer|playground_widget)\s*\(")
#: what a front end shows instead of a widget it could not draw
WIDGET_ERRORS = ("Error displaying widget", "Error rendering Jupyter widget", "widget could not be displayed",
                 "Cannot find model module", "Jupyter Widgets model not found", "Loading widget...")
#: the plain-text repr a notebook shows when no widget front end draws the view
TEXT_REPRS = re.compile(r"\b(?:VBox|HBox|Explorer|LrExplorer)\(children=")


def classic_environment() -> str | None:
    """None if this Python has classic Notebook (< 7) and ipywidgets 7; else why not, in words."""
    found = {}
    for name in ("notebook", "ipywidgets", "widgetsnbextension"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    wrong = []
    if found["notebook"] is None or _major(found["notebook"]) >= 7:
        wrong.append(f"classic Notebook < 7 (found notebook {found['notebook'] or 'not installed'})")
    if found["ipywidgets"] is None or _major(found["ipywidgets"]) != 7:
        wrong.append(f"ipywidgets 7 (found {found['ipywidgets'] or 'not installed'})")
    if found["widgetsnbextension"] is None or _major(found["widgetsnbextension"]) != 3:
        wrong.append(f"widgetsnbextension 3 (found {found['widgetsnbextension'] or 'not installed'})")
    if wrong:
        return "needs " + " and ".join(wrong) + " in this Python, as in Colab's package set (.ci/colab-constraints.txt)"
    return None


def _major(version: str) -> int:
    return int(re.match(r"\d+", version).group(0))


def widget_cells(nb: dict) -> list[int]:
    """Indices of the code cells that store a widget view or build and display one of helpers' widgets."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        stored = any(WIDGET_MIME in o.get("data", {}) for o in cell.get("outputs", []))
        if stored or (WIDGET_SOURCE.search(source) and "display(" in source):
            found.append(i)
    return found


def widget_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The notebooks with a widget: those whose stored outputs hold a widget view (:func:`lab.notebooks_with_widgets`)
    and those with a cell that displays one of helpers' widgets, stored outputs or not."""
    found = set(notebooks_with_widgets(folder))
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        if widget_cells(json.loads(path.read_text(encoding="utf-8"))):
            found.add(path)
    return sorted(found)


def truncate_after_widgets(path: Path) -> int:
    """Drop the cells after the last widget cell (:func:`widget_cells`); return how many were dropped.

    :func:`lab.truncate_after_last_widget` when the last widget cell stores its view; else the same
    cut at the last cell that builds and displays a widget.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    last = max(widget_cells(nb))
    stored = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
              and any(WIDGET_MIME in o.get("data", {}) for o in c.get("outputs", []))]
    if stored and max(stored) == last:
        return truncate_after_last_widget(path)
    dropped = len(nb["cells"]) - last - 1
    nb["cells"] = nb["cells"][:last + 1]
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return dropped


class NotebookServer(LabServer):
    """A running classic Notebook server: where it is, its token, and the folder it serves."""

    def notebook_url(self, name: str) -> str:
        """The address that opens notebook ``name`` in the classic interface."""
        return f"{self.url}/notebooks/{name}?token={self.token}"


@contextmanager
def jupyter_notebook(notebooks: Path = NOTEBOOKS, env: dict | None = None, timeout: float = 90.0):
    """Start classic ``jupyter notebook`` on 127.0.0.1 over a temporary copy of ``notebooks``; stop it whatever happens.

    The kernel imports ``helpers`` from this checkout (its root first on ``PYTHONPATH``), whatever
    copy is installed; user-level Jupyter settings and kernels are kept out (temporary config and data
    folders: the environment's own kernel and the widgets nbextension are found under ``sys.prefix``).
    """
    work = Path(tempfile.mkdtemp(prefix="classic-"))
    root = work / "notebooks"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in widget_notebooks(root):
        truncate_after_widgets(path)
    port, token = free_port(), secrets.token_hex(16)
    notebook_env = {
        "JUPYTER_DATA_DIR": str(work / "data"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        **(env or {}),
    }
    log = work / "notebook.log"
    cmd = [
        sys.executable, "-m", "notebook", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--NotebookApp.token={token}", f"--NotebookApp.notebook_dir={root}", "--allow-root",
    ]
    url = f"http://127.0.0.1:{port}"
    with serve("jupyter notebook", cmd, notebook_env, work, root, log, f"{url}/api/status?token={token}",
               timeout) as proc:
        yield NotebookServer(url, token, root, proc, log)


def shut_down_kernels(server: NotebookServer) -> int:
    """Stop every kernel the server runs (each notebook opened starts one, TensorFlow and all); return how many."""
    def call(method: str, path: str):
        request = urllib.request.Request(f"{server.url}{path}?token={server.token}", method=method)
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read() or b"null")

    sessions = call("GET", "/api/sessions")
    for session in sessions:
        call("DELETE", f"/api/sessions/{session['id']}")
    return len(sessions)


_STATE = """() => {
    const nb = Jupyter.notebook;
    const cells = nb.get_cells().filter(c => c.cell_type === 'code');
    const icon = document.querySelector('#kernel_indicator_icon');
    return {
        prompts: cells.map(c => c.input_prompt_number === undefined ? null : c.input_prompt_number),
        idle: !!icon && icon.classList.contains('kernel_idle_icon'),
        errors: cells.flatMap((c, i) => /NBVAL_RAISES_EXCEPTION/.test(c.get_text()) ? [] :
            c.output_area.outputs.filter(o => o.output_type === 'error')
                .map(o => `code cell ${i}: ${o.ename}: ${o.evalue}`)),
    };
}"""


def open_and_run_all(page, server: NotebookServer, name: str, timeout: float = 600.0) -> float:
    """Open notebook ``name``, run all cells with ``Jupyter.notebook.execute_all_cells()``, wait until every code
    cell has run and the kernel is idle; return the seconds taken. Raises at the first unexpected error output."""
    page.goto(server.notebook_url(name))
    page.wait_for_function(
        "() => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded && Jupyter.notebook.kernel"
        " && Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel.widget_manager !== undefined"
        " && document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null",
        timeout=90_000, polling=250,
    )
    start = time.monotonic()
    page.evaluate("() => Jupyter.notebook.execute_all_cells()")
    deadline = start + timeout
    done_since = None
    while True:
        state = page.evaluate(_STATE)
        if state["errors"]:
            raise AssertionError(f"{name}: a cell failed: {state['errors']}")
        done = state["idle"] and state["prompts"] and all(isinstance(p, int) for p in state["prompts"])
        if done:
            done_since = done_since or time.monotonic()
            if time.monotonic() - done_since >= 1.0:  # idle for a second: every reply and output has arrived
                return time.monotonic() - start
        else:
            done_since = None
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: the cells did not finish within {timeout:.0f} s; prompts: {state['prompts']}")
        page.wait_for_timeout(500)


def output_texts(page) -> list[str]:
    """The text of every output area of the open notebook."""
    return page.locator("#notebook .output_area").all_inner_texts()


def widget_problems(page) -> list[str]:
    """Outputs that show a widget error or a widget's plain-text repr instead of the widget."""
    problems = []
    for text in output_texts(page):
        problems += [f"{e!r} in {text[:200]!r}" for e in WIDGET_ERRORS if e in text]
        if TEXT_REPRS.search(text):
            problems.append(f"a widget shown as its text repr: {text[:200]!r}")
    return problems


def stderr_tracebacks(page) -> list[str]:
    """Tracebacks printed to stderr by cells not tagged to raise (a widget callback's error lands there)."""
    return page.evaluate(
        """() => Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code')
            .filter(c => !/NBVAL_RAISES_EXCEPTION/.test(c.get_text()))
            .flatMap(c => c.output_area.outputs)
            .filter(o => o.output_type === 'stream' && o.name === 'stderr' && /Traceback|Error:/.test(o.text))
            .map(o => o.text)"""
    )


def widget_areas(page):
    """Locators of every rendered explorer (helpers' widgets carry the CSS class ``helpers-explorer``)."""
    return page.locator("#notebook .helpers-explorer")


def widget_image(area) -> str:
    """The ``src`` of the figure an explorer currently shows ('' if none)."""
    img = area.locator("img.widget-image")
    return (img.first.get_attribute("src") or "") if img.count() else ""


def widget_state(area) -> str:
    """What an explorer shows: its figure's ``src`` and its text (caption, readouts)."""
    return widget_image(area) + "\n" + area.inner_text()


def slider_handles(area):
    """The jQuery-UI handles of an explorer's sliders (ipywidgets 7 draws its sliders with jQuery UI), one per
    slider."""
    return area.locator(".widget-slider .ui-slider-handle")


def action_buttons(area):
    """The push buttons of an explorer (Step D, Reset, …): not toggle buttons and not a Play widget's controls."""
    return area.locator("button.jupyter-button:not(.widget-toggle-button):not(.widget-play button)")


def toggle_button(area, label: str):
    """The toggle button of ``area`` whose text is ``label`` (the playground's Train)."""
    return area.locator("button.widget-toggle-button", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def move_slider(page, area, index: int, timeout: float = 30.0) -> float:
    """Focus slider ``index``, press → (← if its readout does not move: a slider at its maximum), wait for a new figure.

    jQuery UI moves the value one step on keydown (the readout follows at once) and reports the release
    on keyup, which is when a slider with ``continuous_update=False`` sends its value. Returns the seconds
    from the key press to the new figure; raises TimeoutError if it never changes.
    """
    slider = area.locator(".widget-slider").nth(index)
    handle, readout = slider.locator(".ui-slider-handle"), slider.locator(".widget-readout")
    handle.scroll_into_view_if_needed()
    before, value = widget_image(area), readout.inner_text()
    for key in ("ArrowRight", "ArrowLeft"):
        handle.focus()
        start = time.perf_counter()
        handle.press(key)
        if readout.inner_text() != value:
            return wait_for_change(page, area, before, start, timeout, f"pressing {key} on slider {index}")
    raise AssertionError(f"slider {index} did not move with the arrow keys (readout stays {value!r})")


def menus(area):
    """The drop-down menus of an explorer (ipywidgets 7 draws a ``Dropdown`` as a ``<select>``)."""
    return area.locator(".widget-dropdown select")


def choose_next_option(page, area, index: int, timeout: float = 30.0) -> tuple[str, float]:
    """Choose the option after the current one (the first after the last) in menu ``index``; wait for a new figure.

    Returns the option chosen and the seconds until the figure changed; raises TimeoutError if it never does.
    """
    select = menus(area).nth(index)
    select.scroll_into_view_if_needed()
    count, current = select.evaluate("s => [s.options.length, s.selectedIndex]")
    before = widget_image(area)
    start = time.perf_counter()
    select.select_option(index=(current + 1) % count)
    label = select.evaluate("s => s.options[s.selectedIndex].text")
    return label, wait_for_change(page, area, before, start, timeout, f"choosing {label!r} in menu {index}")


def click_button(page, area, index: int, timeout: float = 30.0) -> tuple[str, float]:
    """Click push button ``index`` of ``area``, wait for the figure or the caption to change; return its label
    and the seconds."""
    button = action_buttons(area).nth(index)
    button.scroll_into_view_if_needed()
    label = button.inner_text().strip()
    before = widget_state(area)
    start = time.perf_counter()
    button.click()
    return label, wait_for_change(page, area, before, start, timeout, f"clicking {label!r}", widget_state)


def wait_for_change(page, area, before: str, start: float, timeout: float, what: str, shown=widget_image) -> float:
    """Seconds until ``shown(area)`` differs from ``before`` (and is not empty); TimeoutError after ``timeout``."""
    deadline = start + timeout
    while time.perf_counter() < deadline:
        now = shown(area)
        if now and now != before:
            return time.perf_counter() - start
        page.wait_for_timeout(10)
    raise TimeoutError(f"the figure did not change within {timeout:.0f} s after {what}")


def watch_frames(page, area, seconds: float) -> list[str]:
    """The distinct figures ``area`` shows over ``seconds`` (polled every 20 ms), in order of appearance."""
    frames: list[str] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        src = widget_image(area)
        if src and (not frames or frames[-1] != src):
            frames.append(src)
        page.wait_for_timeout(20)
    return frames
