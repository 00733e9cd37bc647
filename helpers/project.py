"""Where the project lives: the one constant behind the README's Colab badges and the notebooks' setup cells.

Change the address in one place with ``python -m helpers.project set-repo OWNER/NAME``: it rewrites
this file, the README and every notebook's setup cell, and ``tests/test_project.py`` checks that
they agree.
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m helpers.project set-repo OWNER/NAME``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "set-repo":
        print("usage: python -m helpers.project set-repo OWNER/NAME", file=sys.stderr)
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
