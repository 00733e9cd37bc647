"""Browser latency of every explorer widget, old path against new: from a slider key press to the new figure.

    python benchmarks/widget_latency.py [--moves 6] [--paths old,new] [notebook ...]

Starts one JupyterLab per path over a copy of notebooks/ (fast profile): ``old`` with
``HELPERS_FAST_WIDGETS=0`` (every move calls the view afresh: new figure, full draw, PNG),
``new`` with the default scenes (kept figure, blitted, quick PNG). Opens each notebook with a
widget in headless Chromium (the system's), runs it, then moves every slider of every explorer
``--moves`` times (one key press each, alternating right and left). Each path has its own page
(tab) with the notebook open, and the pages take turns move by move (old, new, old, new, ...), so
that load on the machine hits both alike. Last, the floor: a notebook of two bare
slider → image boxes whose callback only swaps two precomputed PNGs (a 2x2 one, then a
figure-sized one), i.e. what JupyterLab, the server, the kernel and ipywidgets cost without any
drawing. Needs what the browser tests need
(see requirements-dev.txt).

Times are taken inside the page (``performance.now()``), not by polling from Python:
``key→img`` the key press to the ``<img>`` getting its new ``src``, ``key→load`` to the new image
decoded; and the parts of ``key→img``: ``key→send`` the front end handling the key until the
comm message leaves on the websocket, ``send→recv`` the kernel round trip (server, kernel,
the redraw, back to the browser) until the message carrying the PNG arrives, and ``recv→img`` the
front end unpacking it into the image. ``poll`` is the older measure of the browser tests
(``helpers.browser.move_slider``: Python polls the ``src`` every ~10 ms), for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers import browser as lab  # noqa: E402

PATH_ENV = {"old": {"HELPERS_FAST_WIDGETS": "0"}, "new": {"HELPERS_FAST_WIDGETS": "1"}}
COLUMNS = ("key→img", "key→load", "key→send", "send→recv", "recv→img", "poll")

#: installed before the lab's own scripts: timestamps of key presses, websocket frames, image src changes and loads
PROBE = """
(() => {
  const events = [];
  window.__latency = events;
  const now = () => performance.now();
  const size = d => (d && (d.byteLength ?? d.size ?? d.length)) || 0;
  const Native = window.WebSocket;
  const send = Native.prototype.send;
  Native.prototype.send = function (data) { events.push(["send", now(), size(data)]); return send.call(this, data); };
  function Probed(...args) {
    const ws = new Native(...args);
    ws.addEventListener("message", e => events.push(["recv", now(), size(e.data)]));
    return ws;
  }
  Probed.prototype = Native.prototype;
  for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Probed[k] = Native[k];
  window.WebSocket = Probed;
  document.addEventListener("keydown", () => events.push(["key", now(), 0]), true);
  document.addEventListener("load", e => { if (e.target.tagName === "IMG") events.push(["load", now(), 0]); }, true);
  new MutationObserver(ms => { for (const m of ms) if (m.target.tagName === "IMG") events.push(["src", now(), 0]); })
    .observe(document, {subtree: true, attributes: true, attributeFilter: ["src"]});
})();
"""


#: a notebook of two bare slider → image boxes whose callback only swaps precomputed PNGs: the floor under any redraw
FLOOR_NOTEBOOK = "00_latency_floor.ipynb"
FLOOR_CODE = """\
import ipywidgets as W
import numpy as np
from IPython.display import display
from helpers.viz.images import encode_png
from helpers.widgets.gradient_descent import gd_view

def bare_box(pngs):
    slider, image = W.FloatSlider(value=0.5, min=0, max=1, step=0.01), W.Image(value=pngs[0], format="png")
    box = W.VBox([slider, image])
    box.add_class("helpers-explorer")
    slider.observe(lambda change: setattr(image, "value", pngs[round(change["new"] * 100) % 2]), names="value")
    return box

tiny = [encode_png(np.full((2, 2, 4), c, np.uint8)) for c in (0, 255)]
figure = [gd_view(lr)._repr_png_() for lr in (0.05, 0.06)]
display(bare_box(tiny))
display(bare_box(figure))
"""


def write_floor_notebook(folder: Path) -> None:
    """Write :data:`FLOOR_NOTEBOOK` (unexecuted) into ``folder``, a lab server's root."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_CODE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, str(folder / FLOOR_NOTEBOOK))


def parts(events: list, poll_ms: float) -> dict | None:
    """Split one move's page events into the timings of COLUMNS (ms); None if the move left no trace."""
    keys = [t for kind, t, _ in events if kind == "key"]
    if not keys:
        return None
    key = keys[-1]
    after = [(kind, t, n) for kind, t, n in events if t >= key]
    src = next((t for kind, t, _ in after if kind == "src"), None)
    send = next((t for kind, t, _ in after if kind == "send"), None)
    if src is None or send is None:
        return None
    big = [t for kind, t, n in after if kind == "recv" and n > 4000 and t <= src]
    load = next((t for kind, t, _ in after if kind == "load" and t >= src), None)
    recv = big[-1] if big else src
    return {"key→img": src - key, "key→load": (load - key) if load else float("nan"), "key→send": send - key,
            "send→recv": recv - send, "recv→img": src - recv, "poll": poll_ms}


def measure_notebook(pages: dict, servers: dict, name: str, moves: int) -> dict[str, dict[str, list[dict]]]:
    """Open and run notebook ``name`` on every path's page; per path and slider label ("explorer.slider"),
    each move's timings.

    The paths' pages take turns move by move (old, new, old, new, ...), so both see the same machine load.
    """
    areas = {}
    for p, page in pages.items():
        page.bring_to_front()
        lab.open_and_run_all(page, servers[p], name)
        areas[p] = lab.widget_areas(page)
    found: dict[str, dict[str, list[dict]]] = {p: {} for p in pages}
    first = next(iter(pages))
    for i in range(areas[first].count()):
        for k in range(areas[first].nth(i).locator(".widget-slider .noUi-handle").count()):
            for m in range(moves):
                for p, page in pages.items():
                    page.bring_to_front()
                    area = areas[p].nth(i)
                    area.scroll_into_view_if_needed()
                    page.evaluate("() => { window.__latency.length = 0; }")
                    poll = lab.move_slider(page, area, k, key="ArrowRight" if m % 2 == 0 else "ArrowLeft") * 1000
                    page.wait_for_timeout(150)  # the decoded image's load event, the caption, the kernel's idle
                    row = parts(page.evaluate("() => window.__latency"), poll)
                    if row:
                        found[p].setdefault(f"{i}.{k}", []).append(row)
    return found


def stop_kernels(server) -> None:
    """Shut down every kernel of ``server`` (one notebook at a time keeps the machine's load even)."""
    url = f"{server.url}/api/kernels?token={server.token}"
    with urllib.request.urlopen(url, timeout=10) as r:
        kernels = json.load(r)
    for kernel in kernels:
        req = urllib.request.Request(f"{server.url}/api/kernels/{kernel['id']}?token={server.token}", method="DELETE")
        urllib.request.urlopen(req, timeout=30).close()


def fmt(rows: list[dict]) -> str:
    return " ".join(f"{statistics.median([r[c] for r in rows]):>9.0f}" for c in COLUMNS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=6, help="key presses per slider (default 6)")
    parser.add_argument("--paths", default="old,new", help="comma-separated, of: old, new (default both)")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the floor: bare slider → image boxes (0.x a 2x2 PNG, 1.x a figure-sized one), "
                             "no redraw")
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: every one with a widget)")
    args = parser.parse_args()
    paths = [p for p in args.paths.split(",") if p]
    if not paths or any(p not in PATH_ENV for p in paths):
        sys.exit(f"--paths must name some of {sorted(PATH_ENV)}, got {args.paths!r}")
    chromium = lab.find_chromium()
    if chromium is None:
        sys.exit(f"no Chromium found; {lab.HOW_TO_ENABLE}")
    names = args.notebooks or [p.name for p in lab.notebooks_with_widgets()]
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Chromium at {chromium}; {args.moves} moves per slider; "
          f"medians in ms, timed in the page")
    print(f"{'notebook':<34} {'slider':>6} {'path':>4} " + " ".join(f"{c:>9}" for c in COLUMNS), flush=True)
    everything: dict[str, list[dict]] = {p: [] for p in paths}
    with contextlib.ExitStack() as stack:
        first_page = stack.enter_context(lab.chromium_page(chromium))
        servers = {p: stack.enter_context(lab.jupyter_lab(env=PATH_ENV[p])) for p in paths}
        pages = {p: first_page if j == 0 else first_page.context.browser.new_page(viewport=first_page.viewport_size)
                 for j, p in enumerate(paths)}
        for page in pages.values():
            page.add_init_script(PROBE)
        for server in servers.values():
            write_floor_notebook(server.root)
        for name in names + ([FLOOR_NOTEBOOK] if args.floor else []):
            use = paths[:1] if name == FLOOR_NOTEBOOK else paths
            results = measure_notebook({p: pages[p] for p in use}, servers, name, args.moves)
            for p in use:
                stop_kernels(servers[p])
            for label in results[use[0]]:
                for p in use:
                    rows = results[p].get(label, [])
                    if name != FLOOR_NOTEBOOK:
                        everything[p] += rows
                    if rows:
                        print(f"{name:<34} {label:>6} {p:>4} {fmt(rows)}", flush=True)
    for p in paths:
        if everything[p]:
            print(f"{'all sliders':<34} {'':>6} {p:>4} {fmt(everything[p])}")


if __name__ == "__main__":
    main()
