import json
from pathlib import Path

import pytest

from helpers import project

ROOT = Path(__file__).resolve().parent.parent


def test_readme_badges_use_the_project_constant():
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert project.colab_url(nb.name) in readme, f"README has no Colab badge for {nb.name}"


def test_every_notebook_setup_cell_uses_the_project_constant():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        first_code = next(c for c in cells if c["cell_type"] == "code")
        assert project.GITHUB_REPO in "".join(first_code["source"]), nb.name


def test_set_repo_rewrites_every_copy(tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "helpers" / "project.py").write_text(f'GITHUB_REPO = "{project.GITHUB_REPO}"\n')
    (tmp_path / "README.md").write_text(project.colab_url("01_x.ipynb"))
    (tmp_path / "notebooks" / "01_x.ipynb").write_text(json.dumps({"src": project.pip_url()}))
    changed = project.set_repo("me/mine", root=tmp_path)
    assert len(changed) == 3
    assert "github/me/mine/blob/main/notebooks/01_x.ipynb" in (tmp_path / "README.md").read_text()
    assert "git+https://github.com/me/mine" in (tmp_path / "notebooks" / "01_x.ipynb").read_text()


@pytest.mark.parametrize("bad", ["nohyphen", "a/b/c", "a b/c", ""])
def test_set_repo_rejects_bad_names(bad, tmp_path):
    with pytest.raises(ValueError, match="must look like OWNER/NAME"):
        project.set_repo(bad, root=tmp_path)


def test_main_usage_and_errors(capsys):
    assert project.main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert project.main(["set-repo", "bad"]) == 2
    assert "OWNER/NAME" in capsys.readouterr().err


def _colab_branch(nb: Path) -> str:
    """The setup cell's lines that run only on Colab: the ``if "google.colab" …`` block."""
    cells = json.loads(nb.read_text())["cells"]
    lines = "".join(next(c for c in cells if c["cell_type"] == "code")["source"]).splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith('if "google.colab" in sys.modules:'))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines))
    return "".join(lines[start:end])


def test_every_setup_cell_has_the_same_colab_branch():
    branches = {nb.name: _colab_branch(nb) for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    assert len(set(branches.values())) == 1, "the setup cells' Colab branches differ"


def test_colab_branch_installs_this_package_alone_and_says_so(monkeypatch, capsys):
    """Run the Colab branch with a stand-in google.colab and pip: one ``pip install --no-deps`` of this
    repository, no custom widget manager, and a line saying what was installed."""
    import subprocess
    import sys
    import types

    branch = _colab_branch(ROOT / "notebooks" / "01_gradient_descent.ipynb")
    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    exec(branch, {"sys": sys, "subprocess": subprocess, "GITHUB_REPO": project.GITHUB_REPO})
    assert calls == [([sys.executable, "-m", "pip", "install", "-q", "--no-deps", project.pip_url()], {"check": True})]
    assert "enable_custom_widget_manager" not in branch
    out = capsys.readouterr().out
    assert out.startswith("installed helpers ") and project.GITHUB_REPO in out and "without dependencies" in out


def test_every_committed_notebook_is_stored_normalized():
    """Re-executing a notebook must not leave per-run noise in git: run ``python -m helpers.project normalize``."""
    assert project.normalize(check=True) == []


def test_normalize_strips_run_noise_and_keeps_what_matters(tmp_path, capsys):
    (tmp_path / "notebooks").mkdir()
    cell = {"cell_type": "code", "execution_count": 3, "source": ["print(1)\n"],
            "metadata": {"tags": ["keep"], "execution": {"iopub.status.idle": "2026-11-30T11:50Z"}, "scrolled": True},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]}
    nb = {"cells": [cell], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3"}, "language_info": {"name": "python", "version": "3.11.7"},
                       "widgets": {"state": {}}, "toc": {"x": 1}}}
    path = tmp_path / "notebooks" / "01_x.ipynb"
    path.write_text(json.dumps(nb))
    assert project.normalize(tmp_path, check=True) == [path] and json.loads(path.read_text()) == nb  # check: no write
    assert project.normalize(tmp_path) == [path]
    stored = json.loads(path.read_text())
    assert stored["cells"][0]["metadata"] == {"tags": ["keep"]}
    assert stored["cells"][0]["outputs"] == cell["outputs"] and stored["cells"][0]["execution_count"] == 3
    assert stored["metadata"] == {"kernelspec": project.KERNELSPEC, "language_info": {"name": "python"},
                                  "widgets": {"state": {}}}
    assert project.normalize(tmp_path) == []  # idempotent
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"01_x.ipynb is not valid JSON"):
        project.normalize(tmp_path)
    assert path.read_text() == "{not json"  # a broken file is reported, never overwritten


def test_main_normalize_check_exit_codes(monkeypatch, capsys):
    monkeypatch.setattr(project, "normalize", lambda check=False: [project.ROOT / "notebooks" / "01_x.ipynb"])
    assert project.main(["normalize", "--check"]) == 1
    assert "not normalized: notebooks/01_x.ipynb" in capsys.readouterr().out
    assert project.main(["normalize"]) == 0
    assert project.main(["normalize", "--bogus"]) == 2
    assert "normalize [--check]" in capsys.readouterr().err
