"""An exercise answered in a real JupyterLab: a wrong answer gets its specific hint, the right one is confirmed.

The notebook is notebook 01's exercise 01.3 as committed (the imports cell, the statement, the blank answer cell,
the check cell), opened in JupyterLab in headless Chromium. The answer cell is typed into as a learner would.
"""

import json
from pathlib import Path

from helpers import browser as lab
from tests.support import CHECK_CALL, cell_source, exercise_section

NOTEBOOK_01 = Path(__file__).resolve().parents[2] / "notebooks" / "01_gradient_descent.ipynb"


def exercise_notebook(exercise: str) -> dict:
    """Notebook 01's imports cell of its exercise section and the cells of ``exercise``, outputs as committed."""
    nb = json.loads(NOTEBOOK_01.read_text(encoding="utf-8"))
    start, end = exercise_section(nb)
    cells = nb["cells"][start:end]
    check_at = next(i for i, c in enumerate(cells) if c["cell_type"] == "code"
                    and (m := CHECK_CALL.search(cell_source(c))) and m.group(1) == exercise)
    imports = next(c for c in cells if c["cell_type"] == "code")
    nb["cells"] = [imports, *cells[check_at - 2:check_at + 1]]  # imports, statement, answer, check
    return nb


def no_dialog(page) -> None:
    """Fail naming JupyterLab's dialog when one is open (it would swallow every click until a timeout)."""
    page.wait_for_timeout(100)
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.first.is_visible():
        raise AssertionError(f"JupyterLab shows a dialog: {' '.join(dialog.first.inner_text().split())[:300]!r}")


def type_into(page, cell, text: str) -> None:
    """Replace the source of code cell ``cell`` by typing ``text`` (lines typed one by one: the editor indents)."""
    no_dialog(page)
    editor = cell.locator(".jp-InputArea-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    for i, line in enumerate(text.splitlines()):
        if i:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


def run_and_read(page, cells, answer: int, check: int, before: str) -> str:
    """Run the answer cell and the check cell (Shift+Enter each); return the check's new output text."""
    for index in (answer, check):
        no_dialog(page)
        cells.nth(index).locator(".jp-InputArea-editor .cm-content").click()
        page.keyboard.press("Shift+Enter")
    output = cells.nth(check).locator(".jp-OutputArea-output")
    page.wait_for_function(
        "([cell, before]) => { const o = cell.querySelector('.jp-OutputArea-output');"
        " return o && o.innerText.trim() && o.innerText.trim() !== before; }",
        arg=[cells.nth(check).element_handle(), before], timeout=30_000)
    return output.inner_text().strip()


def test_a_wrong_answer_gets_its_hint_and_the_right_one_is_confirmed(lab_server, page, screenshots):
    (lab_server.root / "exercise_01_3.ipynb").write_text(json.dumps(exercise_notebook("01.3")), encoding="utf-8")
    lab.open_and_run_all(page, lab_server, "exercise_01_3.ipynb", timeout=120)
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    assert cells.count() == 3
    blank = cells.nth(2).locator(".jp-OutputArea-output").inner_text().strip()
    assert "01.3: not attempted yet" in blank

    type_into(page, cells.nth(1), "def step_01_3(x, g, lr):\nreturn x + lr * g")
    wrong = run_and_read(page, cells, 1, 2, blank)
    assert wrong.startswith("✘ 01.3:") and "this step climbs" in wrong, wrong
    page.screenshot(path=str(screenshots / "exercise-01.3-wrong.png"))

    type_into(page, cells.nth(1), "def step_01_3(x, g, lr):\nreturn x - lr * g")
    right = run_and_read(page, cells, 1, 2, wrong)
    assert right.startswith("✔ 01.3: correct"), right
    page.screenshot(path=str(screenshots / "exercise-01.3-right.png"))
    assert lab.error_outputs(page) == []
