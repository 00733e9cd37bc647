"""Structural checks of the committed notebooks (nbval executes them; these check how they are kept)."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: TensorFlow's native start-up lines (glog-style prefixes, absl and CUDA probes): never stored
NATIVE_LOG = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|cudart_stub|cuda_platform|cpu_feature_guard", re.M
)
LOCAL_PATH = re.compile(r"(/(root|home|tmp|work|Users)/|[A-Z]:\\\\Users)")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


def test_notebooks_exist_and_are_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers, "no notebooks found"
    assert numbers == list(range(1, len(numbers) + 1)), f"notebook numbers have gaps: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_kept_as_the_conventions_say(path):
    nb = load(path)
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", "kernelspec python3 missing"
    cells = code_cells(nb)
    assert "config.setup(" in source(cells[0]), "first code cell must be the setup cell"
    assert all(c.get("outputs") for c in cells[:1]), "setup cell has no stored output: commit it executed"
    executed = [c for c in cells if c.get("execution_count") is not None]
    assert len(executed) == len(cells), f"{len(cells) - len(executed)} code cells were saved unexecuted"
    checked = [c for c in cells if "NBVAL_CHECK_OUTPUT" in source(c)]
    asserts = [c for c in cells if re.search(r"^\s*assert ", source(c), re.M)]
    assert len(checked) >= 5, f"only {len(checked)} NBVAL_CHECK_OUTPUT cells"
    assert len(asserts) >= 2, f"only {len(asserts)} assert cells"
    assert all(c["outputs"] for c in checked), "a checked cell has no stored output to compare with"
    for c in cells:
        for out in c.get("outputs", []):
            if out["output_type"] == "error":
                assert "NBVAL_RAISES_EXCEPTION" in source(c), (
                    f"stored error in a cell not marked to raise: {out['ename']}")
            text = (json.dumps({k: v for k, v in out.items() if k != "data"})
                    + json.dumps(out.get("data", {}).get("text/plain", "")))
            assert not LOCAL_PATH.search(text), f"local path in an output: {LOCAL_PATH.search(text).group(0)}"
            if out["output_type"] == "stream" and out["name"] == "stderr":
                assert "Warning" not in "".join(out["text"]), f"stray warning stored: {''.join(out['text'])[:200]}"
                assert not NATIVE_LOG.search("".join(out["text"])), (
                    f"TensorFlow start-up lines stored: {''.join(out['text'])[:200]}")
    assert path.stat().st_size < 5_000_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_pictures_and_names_its_profile(path):
    nb = load(path)
    pngs = sum("image/png" in o.get("data", {}) for c in code_cells(nb) for o in c.get("outputs", []))
    assert pngs >= 3, f"only {pngs} pictures"
    setup_output = json.dumps(code_cells(nb)[0]["outputs"])
    assert "profile 'full'" in setup_output, "stored outputs must come from the full profile"
