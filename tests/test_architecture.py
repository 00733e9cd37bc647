"""The package's shape (DESIGN.md, "Layout"), as far as a test can hold it.

The layers themselves are checked by import-linter (`lint-imports`, contracts in pyproject.toml; CI runs it).
This file checks the other rule of the layout: no module imports a private name (``_x``) of another module.
The known exceptions are listed below; each one removed from the code must be removed from the list too.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "helpers"

#: private names still shared, module -> (imported module, name): the autoencoder trainer reuses the GAN trainer's
#: plumbing; both move onto one public fit loop and checkpoint store when training/ becomes a subpackage.
KNOWN = {
    ("autoencoder", "models", "_expect"),
    *(("autoencoder", "training", name) for name in (
        "_check_split", "_check_strategy", "_compile", "_prune", "_replicated", "_say", "_scope", "_values_and_grads")),
}


def private_imports(package: Path = PACKAGE) -> set[tuple[str, str, str]]:
    """``(importer, imported module, name)`` for every ``from .m import _name`` / ``from helpers.m import _name``
    whose module is not the importer itself. Private *modules* of the package (``helpers._keras``) are allowed."""
    found = set()
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if node.level == 1:
                source = module
            elif module == "helpers" or module.startswith("helpers."):
                source = module.removeprefix("helpers").lstrip(".")
            else:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__") and source != path.stem:
                    if source == "" and (package / f"{alias.name}.py").exists():
                        continue  # `from . import _keras`: a private module of the package, not a private name
                    found.add((path.stem, source, alias.name))
    return found


def test_no_module_imports_another_modules_private_names():
    found = private_imports()
    new = found - KNOWN
    assert not new, f"private names imported across modules (make them public or keep them home): {sorted(new)}"
    gone = KNOWN - found
    assert not gone, f"no longer imported, remove from KNOWN in {Path(__file__).name}: {sorted(gone)}"


def test_the_scan_finds_a_private_import(tmp_path):
    (tmp_path / "a.py").write_text("def _hidden():\n    pass\n")
    (tmp_path / "b.py").write_text(
        "from .a import _hidden\nfrom helpers.a import public, _also\nfrom . import _keras\n")
    (tmp_path / "_keras.py").write_text("")
    assert private_imports(tmp_path) == {("b", "a", "_hidden"), ("b", "a", "_also")}
