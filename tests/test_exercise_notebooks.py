"""Each notebook's exercise section matches the package's exercises, and runs with the solutions filled in.

nbval runs every notebook as committed, with every exercise blank ("not attempted yet"). Here each notebook's
exercise section is executed once more in a fresh kernel with the model solutions pasted into its answer cells
(a value after ``answer_NN_K =``, a function's source under the cell's own name), so a check cannot drift away
from the statement and the cells it sits in: every check must then say ✔ (an explanation: ✎).
"""

import json
from pathlib import Path

import pytest

from helpers.exercises import core
from tests.support import (
    CHECK_CALL,
    FUNCTION_CELL,
    VALUE_CELL,
    cell_source,
    checked_exercises,
    exercise_section,
    plain_outputs,
    run_cells,
    with_solutions,
)

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
core._load()


def registered(notebook: Path) -> list[str]:
    number = notebook.name[:2]
    return sorted((i for i in core.EXERCISES if i.startswith(number + ".")), key=lambda i: int(i.split(".")[1]))


def section(notebook: Path) -> list[dict]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    start, end = exercise_section(nb)
    return nb["cells"][start:end]


def test_at_least_forty_exercises_thirty_checked_by_the_package_four_to_six_per_notebook():
    per_notebook = {p.name[:2]: len(registered(p)) for p in NOTEBOOKS}
    assert all(4 <= n <= 6 for n in per_notebook.values()), per_notebook
    assert len(core.EXERCISES) >= 40
    assert sum(ex.automatic for ex in core.EXERCISES.values()) >= 30
    kinds = {ex.kind for ex in core.EXERCISES.values()}
    assert kinds == {"number", "function", "choice", "explain"}, kinds


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_section_checks_each_exercise_of_its_notebook_once_and_stores_it_blank(notebook):
    cells = section(notebook)
    assert checked_exercises(cells) == registered(notebook)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "from helpers.exercises import check, hint, solution" in cell_source(code[0])
    answers = {}
    for cell in code:
        text = cell_source(cell)
        found = CHECK_CALL.search(text)
        if found:
            assert text.startswith("# NBVAL_CHECK_OUTPUT"), f"check cell of {found.group(1)} is not compared by nbval"
            assert "not attempted yet" in plain_outputs(cell), f"{found.group(1)} is not stored blank"
            assert found.group(2) in answers, f"{found.group(1)} checks {found.group(2)}, which no cell above defines"
            assert answers.pop(found.group(2)) == found.group(1), f"{found.group(2)} belongs to another exercise"
            continue
        for match in (*VALUE_CELL.finditer(text), *FUNCTION_CELL.finditer(text)):
            answers[match.group(1)] = f"{match.group(2)}.{match.group(3)}"
        function = FUNCTION_CELL.search(text)
        if function:  # the learner's cell holds the function alone, its body still blank
            assert core.get(answers[function.group(1)]).kind == "function"
            assert text.count("def ") == 1 and text.rstrip().splitlines()[-1].strip().startswith("..."), text
    assert not answers, f"answer cells that no check cell checks: {sorted(answers)}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_section_with_the_solutions_filled_in_says_correct_to_every_check(notebook):
    pytest.importorskip("nbclient", reason="executing a section needs nbclient (installed with JupyterLab)")
    ran = run_cells(with_solutions(section(notebook)), notebook.parent)
    verdicts = {}
    for cell in ran.cells:
        found = cell.cell_type == "code" and CHECK_CALL.search(cell.source)
        if found:
            verdicts[found.group(1)] = plain_outputs(cell).strip()
    assert sorted(verdicts, key=lambda i: int(i.split(".")[1])) == registered(notebook)
    for exercise, said in verdicts.items():
        mark = "✔" if core.get(exercise).automatic else "✎"
        assert said.startswith(f"{mark} {exercise}: "), said


def test_filling_in_replaces_a_blank_value_and_a_blank_function_with_the_model_answers():
    cells = [{"cell_type": "code", "source": "answer_01_1 = ...  # a number", "metadata": {}, "outputs": []},
             {"cell_type": "code", "source": "def gradient_01_2(A, b, x):\n    ...  # the gradient", "metadata": {},
              "outputs": []}]
    value, function = (cell_source(c) for c in with_solutions(cells))
    assert value == "answer_01_1 = 0.2"
    assert function.startswith("def gradient_01_2(A, b, x):") and "return A @ x - b" in function
