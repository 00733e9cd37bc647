"""Shared helpers of the unit tests."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import MnistError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"


def real_mnist() -> Path:
    """The real MNIST file, wherever the loader finds it (CI points MNIST_PATH at ../shared); skip without one."""
    try:
        return data.find_mnist(download_if_missing=False)
    except MnistError:
        if SHARED.is_file():
            return SHARED
        pytest.skip("no local MNIST copy; set MNIST_PATH to run the real-data tests")


def targets_from(decoder, n=3, seed=5):
    """n latent codes (standard normal, seeded) and the images ``decoder`` makes of them, which it can reach exactly."""
    import keras  # here, not at the top: test_data.py imports this module and does not need Keras

    z = np.random.default_rng(seed).standard_normal((n, 4)).astype(np.float32)
    return z, keras.ops.convert_to_numpy(decoder(z))


def control(w, description):
    """The child widget of ``w`` (an explorer's control row) whose description is ``description``."""
    return next(c for c in w.children if getattr(c, "description", None) == description)


def same(a, b):
    """Whether two lists of arrays are equal, array by array."""
    return all(np.array_equal(x, y) for x, y in zip(a, b))


# ----------------------------------------------------------------------------- notebooks' exercise sections
#: an exercise section's heading ("## 7. Exercises", "## 8 · Exercises"); the next "## " heading ends it
EXERCISE_HEADING = re.compile(r"^## (?:\d+\s*[.·]\s*)?Exercises\s*$", re.M)
#: a value the learner fills in: ``answer_02_3 = ...``
VALUE_CELL = re.compile(r"^(answer_(\d\d)_(\d+)) = \.\.\.(?:[ \t]*#.*)?$", re.M)
#: a function the learner writes: ``def gradient_02_3(...):`` whose body is ``...``
FUNCTION_CELL = re.compile(r"^def (\w+_(\d\d)_(\d+))\(", re.M)
#: a check cell: ``check("02.3", answer)``
CHECK_CALL = re.compile(r"""^check\(["'](\d\d\.\d+)["'], (\w+)\)\s*$""", re.M)


def cell_source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def exercise_section(nb) -> tuple[int, int]:
    """The cell range ``[start, end)`` of ``nb``'s exercise section (heading to the next ``## `` heading)."""
    cells = nb["cells"]
    starts = [i for i, c in enumerate(cells)
              if c["cell_type"] == "markdown" and EXERCISE_HEADING.search(cell_source(c))]
    if len(starts) != 1:
        raise ValueError(f"expected one exercise section, found {len(starts)}")
    headings = [i for i in range(starts[0] + 1, len(cells))
                if cells[i]["cell_type"] == "markdown" and cell_source(cells[i]).lstrip().startswith("## ")]
    end = headings[0] if headings else len(cells)
    return starts[0], end


def checked_exercises(cells) -> list[str]:
    """The exercise ids the check cells among ``cells`` check, in order."""
    return [m.group(1) for c in cells if c["cell_type"] == "code" for m in CHECK_CALL.finditer(cell_source(c))]


def with_solutions(cells) -> list[dict]:
    """Copies of ``cells`` with every blank the learner fills in replaced by the package's model solution."""
    import inspect

    from helpers.exercises import core

    filled = []
    for cell in cells:
        cell = json.loads(json.dumps(cell))
        text = cell_source(cell)
        if cell["cell_type"] == "code":
            function = FUNCTION_CELL.search(text)
            if function:
                ex = core.get(f"{function.group(2)}.{function.group(3)}")
                source = inspect.getsource(ex.solution)
                text = re.sub(r"^def \w+\(", f"def {function.group(1)}(", source, count=1)
            else:
                text = VALUE_CELL.sub(lambda m: f"{m.group(1)} = {core.get(f'{m.group(2)}.{m.group(3)}').solution!r}",
                                      text)
        cell["source"] = text
        filled.append(cell)
    return filled


def run_cells(cells, cwd: Path, timeout: int = 120):
    """Execute ``cells`` (a notebook's cell dicts) in a fresh kernel of this Python, in ``cwd``; the executed
    notebook (nbformat) comes back."""
    import sys

    import nbformat
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3", language="python")

    nb = nbformat.v4.new_notebook()
    for cell in cells:
        made = (nbformat.v4.new_code_cell if cell["cell_type"] == "code" else nbformat.v4.new_markdown_cell)(
            cell_source(cell))
        made["metadata"] = dict(cell.get("metadata", {}))
        nb.cells.append(made)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())
    try:
        NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(cwd)}}).execute()
    finally:  # a client given its kernel manager leaves the kernel running
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb


def plain_outputs(cell) -> str:
    """A code cell's outputs as text (streams, results' text/plain, errors)."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append(cell_source({"source": out["text"]}))
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
        else:
            parts.append(cell_source({"source": out.get("data", {}).get("text/plain", "")}))
    return "".join(parts)
