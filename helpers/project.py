"""Where the project lives, and how its notebooks are stored.

* The one constant behind the README's Colab badges and the notebooks' setup cells. Change the address in
  one place with ``python -m helpers.project set-repo OWNER/NAME``: it rewrites this file, the README and
  every notebook's setup cell, and ``tests/test_project.py`` checks that they agree.
* The stored form of a notebook: ``python -m helpers.project normalize`` removes what changes from one run
  or one machine to the next and says nothing to a reader (execution timestamps in cell metadata, the
  Python patch version), so that a diff of a re-executed notebook shows only what changed in it;
  ``tests/test_project.py`` checks that every committed notebook is stored so.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

GITHUB_REPO = "gradient-image-synthesis/gradient-image-synthesis"
BRANCH = "main"

REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
ROOT = Path(__file__).resolve().parent.parent


def colab_url(notebook: str, repo: str = GITHUB_REPO, branch: str = BRANCH) -> str:
    """The Colab address that opens ``notebooks/<notebook>`` from GitHub."""
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook}"


def pip_url(repo: str = GITHUB_REPO) -> str:
    """What ``pip install`` takes to install this package from GitHub."""
    return f"git+https://github.com/{repo}"


def set_repo(new: str, root: Path = ROOT) -> list[Path]:
    """Replace the GitHub address in this module, the README and the notebooks; return the files changed."""
    if not REPO_PATTERN.match(new):
        raise ValueError(f"repository must look like OWNER/NAME, got {new!r}")
    changed = []
    files = [root / "helpers" / "project.py", root / "README.md", *sorted((root / "notebooks").glob("*.ipynb"))]
    for path in files:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        updated = text.replace(GITHUB_REPO, new)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


#: cell metadata worth keeping: nbval and the tests read tags; the rest (execution times, scroll and collapse
#: state) differs from one run or one front end to the next
CELL_METADATA_KEPT = ("tags",)
#: the kernel every notebook runs on
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: notebook-level keys kept: the kernel, the language, and the widgets' saved state (drawn by static viewers)
NOTEBOOK_METADATA_KEPT = ("kernelspec", "language_info", "widgets")


def normalize_notebook(nb: dict) -> dict:
    """``nb`` in its stored form: cell metadata reduced to :data:`CELL_METADATA_KEPT`, the standard
    kernelspec, ``language_info`` without the Python version, no other notebook-level metadata.
    Sources, outputs and execution counts are left as they are. Returns a new dict."""
    out = json.loads(json.dumps(nb))
    for cell in out.get("cells", []):
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k in CELL_METADATA_KEPT}
    meta = {k: v for k, v in out.get("metadata", {}).items() if k in NOTEBOOK_METADATA_KEPT}
    meta["kernelspec"] = dict(KERNELSPEC)
    meta["language_info"] = {k: v for k, v in meta.get("language_info", {"name": "python"}).items() if k != "version"}
    out["metadata"] = {k: meta[k] for k in NOTEBOOK_METADATA_KEPT if k in meta}
    return out


def dump_notebook(nb: dict) -> str:
    """The text a notebook is stored as: JSON indented by one space, UTF-8 kept as is, a final newline."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def normalize(root: Path = ROOT, check: bool = False) -> list[Path]:
    """Rewrite every ``notebooks/*.ipynb`` under ``root`` in its stored form; return the files that were not.

    With ``check=True`` nothing is written: the list says which notebooks need ``normalize``.
    """
    changed = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}); fix or restore it first") from exc
        stored = dump_notebook(normalize_notebook(nb))
        if stored != text:
            changed.append(path)
            if not check:
                tmp = path.with_suffix(".ipynb.tmp")
                tmp.write_text(stored, encoding="utf-8")
                tmp.replace(path)  # atomic: a notebook is never left half-written
    return changed


USAGE = "usage: python -m helpers.project set-repo OWNER/NAME | normalize [--check]"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m helpers.project set-repo OWNER/NAME`` or ``normalize [--check]``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["normalize"] and argv[1:] in ([], ["--check"]):
        check = argv[1:] == ["--check"]
        try:
            changed = normalize(check=check)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for path in changed:
            print(f"{'not normalized' if check else 'normalized'}: {path.relative_to(ROOT)}")
        return 1 if check and changed else 0
    if len(argv) != 2 or argv[0] != "set-repo":
        print(USAGE, file=sys.stderr)
        return 2
    try:
        for path in set_repo(argv[1]):
            print(f"updated {path.relative_to(ROOT)}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
