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
