"""Drive a real JupyterLab in headless Chromium: start the server, run a notebook, move its sliders.

The maintainers' harness, shared by the browser tests (``tests/browser``) and
``benchmarks/widget_latency.py``; it works from a checkout of the repository (it serves its
``notebooks/``) and no notebook imports it. Chromium comes from the system (Debian's ``chromium``
package), driven by the Python ``playwright`` package (``requirements-dev.txt``, imported only when a
page is opened); nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helpers.project import ROOT

NOTEBOOKS = ROOT / "notebooks"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
HOW_TO_ENABLE = (
    "install Chromium and the Python driver to run them: `apt-get install -y chromium` and "
    "`pip install -r requirements-dev.txt` (or set CHROMIUM_PATH to a Chromium/Chrome binary)"
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``CHROMIUM_PATH`` or a system install; None if there is none."""
    env = os.environ.get("CHROMIUM_PATH")
    if env:
        return env if os.access(env, os.X_OK) else None
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def notebooks_with_widgets(folder: Path = NOTEBOOKS) -> list[Path]:
    """The committed notebooks whose stored outputs include an ipywidgets view."""
    found = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        outputs = (o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []))
        if any(WIDGET_MIME in o.get("data", {}) for o in outputs):
            found.append(path)
    return found


def truncate_after_last_widget(path: Path) -> int:
    """Drop the cells after the last one that shows a widget (they cannot feed it); return how many were dropped.

    Run All then stops where the widgets are, instead of re-running the rest of the notebook,
    which nbval executes anyway.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    last = max(i for i, c in enumerate(cells) if c["cell_type"] == "code"
               and any(WIDGET_MIME in o.get("data", {}) for o in c.get("outputs", [])))
    dropped = len(cells) - last - 1
    nb["cells"] = cells[:last + 1]
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return dropped


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: where it is, its token, and the folder it serves."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def notebook_url(self, name: str) -> str:
        """The address that opens notebook ``name`` in the lab."""
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"


@contextmanager
def serve(name: str, cmd: list[str], env: dict, work: Path, root: Path, log: Path, status_url: str,
          timeout: float):
    """Run the Jupyter server ``cmd`` until the block ends; yield its process once ``status_url`` answers.

    The server runs in ``root``, in a session of its own (its process group), its output in ``log``. Its
    environment is this one with ``HELPERS_PROFILE`` (``fast`` unless set) and Jupyter's config and runtime
    folders in ``work``, then ``env`` on top. Raises RuntimeError, with the log's tail, if it exits first or
    does not answer within ``timeout`` s (``name``, e.g. "jupyter lab", names it). Whatever happens, the
    process group gets SIGTERM (SIGKILL after 15 s) and ``work`` is removed.
    """
    server_env = dict(os.environ)
    server_env.update({
        "HELPERS_PROFILE": os.environ.get("HELPERS_PROFILE", "fast"),
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
    })
    server_env.update(env)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=server_env, cwd=root,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(status_url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def jupyter_lab(notebooks: Path = NOTEBOOKS, env: dict | None = None, timeout: float = 90.0):
    """Start ``jupyter lab`` on 127.0.0.1 over a temporary copy of ``notebooks``; stop it whatever happens."""
    work = Path(tempfile.mkdtemp(prefix="lab-"))
    root = work / "notebooks"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in notebooks_with_widgets(root):
        truncate_after_last_widget(path)
    port, token = free_port(), secrets.token_hex(16)
    lab_env = {
        "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
        **(env or {}),
    }
    # no "would you like news?" pop-up over the notebook
    notification = work / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # render every cell (no virtual scrolling), so that every output and widget is in the page
    tracker = work / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    log = work / "lab.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    url = f"http://127.0.0.1:{port}"
    with serve("jupyter lab", cmd, lab_env, work, root, log, f"{url}/api/status?token={token}", timeout) as proc:
        yield LabServer(url, token, root, proc, log)


@contextmanager
def chromium_page(executable: str, viewport=(1400, 1000)):
    """A Playwright page in headless Chromium (the system binary, no download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()


def open_and_run_all(page, server: LabServer, name: str, timeout: float = 600.0) -> float:
    """Open notebook ``name``, run all cells, and wait until every code cell has run; return seconds taken."""
    page.goto(server.notebook_url(name))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # wait for the kernel to be ready before running
    page.wait_for_function(
        "() => [...document.querySelectorAll("
        "'.jp-Toolbar-kernelStatus, .jp-KernelStatus, .jp-Notebook-ExecutionIndicator')]"
        ".some(e => /idle/i.test(e.getAttribute('data-status') || e.getAttribute('title') || e.textContent))",
        timeout=60_000,
    )
    start = time.monotonic()
    for _attempt in range(5):  # the lab may still be settling: retry until the cells are queued
        page.locator(".jp-Notebook").first.click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        # the open menu's label (the command palette holds a hidden item of the same text)
        page.locator(".lm-Menu-itemLabel:visible", has_text=re.compile(r"^Run All Cells$")).first.click()
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]"
                ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))",
                timeout=5_000,
            )
            break
        except Exception:
            page.keyboard.press("Escape")
    done = """() => {
        const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
            .map(p => p.textContent.trim());
        const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
        const idle = !status || status.getAttribute('data-status') === 'idle';
        return idle && prompts.length > 0 && !prompts.some(p => p.includes('*')) && prompts.some(p => /\\d/.test(p));
    }"""
    try:
        for _ in range(2):  # idle twice, a second apart: Run All has finished (or stopped at an error)
            page.wait_for_function(done, timeout=timeout * 1000, polling=500)
            page.wait_for_timeout(1000)
        page.wait_for_function(done, timeout=timeout * 1000, polling=500)
    except Exception as exc:
        prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        raise TimeoutError(f"{name}: the cells did not finish within {timeout:.0f} s; prompts: {prompts}") from exc
    unrun = [i for i, p in enumerate(page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_inner_texts())
             if not any(ch.isdigit() for ch in p)]
    if unrun:
        raise AssertionError(f"{name}: Run All stopped early; code cells {unrun} never ran. "
                             f"Errors shown: {error_outputs(page)}")
    return time.monotonic() - start


def output_texts(page) -> list[str]:
    """The text of every output area of the open notebook."""
    return page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts()


def error_outputs(page) -> list[str]:
    """Tracebacks shown in cells that are not tagged to raise."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
            .filter(c => !/NBVAL_RAISES_EXCEPTION/.test(c.querySelector('.jp-InputArea-editor')?.textContent || ''))
            .flatMap(c => [...c.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')])
            .map(o => o.textContent)
            .filter(t => /Traceback|Error:/.test(t))"""
    )


def widget_areas(page):
    """Locators of every rendered explorer widget (``helpers.widgets.Explorer``: controls, figure, caption)."""
    return page.locator(".jp-Notebook .helpers-explorer")


def widget_image(area) -> str:
    """The ``src`` of the figure an explorer currently shows ('' if none)."""
    img = area.locator("img.widget-image")
    return (img.first.get_attribute("src") or "") if img.count() else ""


def move_slider(page, area, index: int = 0, presses: int = 1, key: str = "ArrowRight", timeout: float = 10.0) -> float:
    """Focus slider ``index`` in ``area``, press ``key`` ``presses`` times, wait for the figure to change.

    Returns the seconds from the last key press to the new figure; raises TimeoutError if it never changes.
    """
    before = widget_image(area)
    handle = area.locator(".widget-slider .noUi-handle").nth(index)
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(presses - 1):
        handle.press(key)
    start = time.perf_counter()
    handle.press(key)
    return _wait_for_new_figure(page, area, before, start, timeout, f"moving slider {index}")


def action_buttons(area):
    """The push buttons of an explorer (Train, Step D, Reset, …), not toggles and not a Play widget's controls."""
    return area.locator("button.jupyter-button:not(.widget-toggle-button):not(.widget-play button)")


def widget_state(area) -> str:
    """What an explorer shows: its figure's ``src`` and its text (caption, progress, figures)."""
    return widget_image(area) + "\n" + area.inner_text()


def click_button(page, area, index: int, timeout: float = 10.0) -> float:
    """Click push button ``index`` of ``area`` and wait for the figure or the caption to change; return the seconds.

    A button may redraw the same picture (a deterministic rerun), so its caption counts as output too.
    """
    before = widget_state(area)
    button = action_buttons(area).nth(index)
    button.scroll_into_view_if_needed()
    start = time.perf_counter()
    button.click()
    return _wait_for_new_figure(page, area, before, start, timeout, f"clicking {button.inner_text()!r}", widget_state)


def _wait_for_new_figure(page, area, before: str, start: float, timeout: float, what: str, shown=widget_image) -> float:
    deadline = start + timeout
    while time.perf_counter() < deadline:
        now = shown(area)
        if now and now != before:
            return time.perf_counter() - start
        page.wait_for_timeout(10)
    raise TimeoutError(f"the figure did not change within {timeout:.0f} s after {what}")
