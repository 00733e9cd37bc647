"""The package's shape (DESIGN.md, "Layout"), as far as a test can hold it.

The layers themselves are checked by import-linter (`lint-imports`, contracts in pyproject.toml; CI runs it).
This file checks the other rules of the layout: no module imports a private name (``_x``) of another module,
and every name a layer package exports (``training.GANTrainer``) is found where the package says it lives.
"""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "helpers"

#: private names still shared across modules, (importer, imported module, name); each one removed from the code
#: must be removed from the list too.
KNOWN: set[tuple[str, str, str]] = set()


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports(package: Path = PACKAGE) -> set[tuple[str, str, str]]:
    """``(importer, imported module, name)`` for every ``from m import _name`` of a module of the package whose
    module is not the importer itself. Private *modules* of the package (``helpers._keras``) are allowed."""
    found = set()
    root = package.name
    for path in sorted(package.rglob("*.py")):
        importer = _module_name(path, package)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = importer.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "") == root or (node.module or "").startswith(root + "."):
                source = node.module
            else:
                continue
            for alias in node.names:
                if not alias.name.startswith("_") or alias.name.startswith("__") or source == importer:
                    continue
                submodule = Path(package.parent, *source.split("."), alias.name + ".py")
                if submodule.exists():
                    continue  # `from helpers import _keras`: a private module of the package, not a private name
                found.add((importer, source, alias.name))
    return found


def test_no_module_imports_another_modules_private_names():
    found = private_imports()
    new = found - KNOWN
    assert not new, f"private names imported across modules (make them public or keep them home): {sorted(new)}"
    gone = KNOWN - found
    assert not gone, f"no longer imported, remove from KNOWN in {Path(__file__).name}: {sorted(gone)}"


def test_the_scan_finds_a_private_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def _hidden():\n    pass\n")
    (package / "_keras.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text(
        "from ..a import _hidden\nfrom pkg.a import public, _also\nfrom pkg import _keras\nfrom .b import _mine\n")
    assert private_imports(package) == {("pkg.sub.b", "pkg.a", "_hidden"), ("pkg.sub.b", "pkg.a", "_also")}


@pytest.mark.parametrize("layer", ["models", "training", "evaluation", "exercises"])
def test_every_exported_name_lives_in_the_module_the_package_names(layer):
    package = importlib.import_module(f"helpers.{layer}")
    assert package.__all__, f"helpers.{layer} exports nothing"
    for name in package.__all__:
        value = getattr(package, name)
        home = getattr(value, "__module__", None)
        if home is not None and callable(value):
            assert home.startswith(f"helpers.{layer}."), f"helpers.{layer}.{name} is defined in {home}"
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = package.no_such_name


@pytest.mark.parametrize("layer", ["maths", "viz", "widgets"])
def test_module_layers_export_nothing_from_their_package(layer):
    """maths/, viz/ and widgets/ are imported module by module (``from helpers.maths import optim``)."""
    source = (PACKAGE / layer / "__init__.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert all(isinstance(node, ast.Expr) for node in tree.body), f"helpers/{layer}/__init__.py holds code"


def test_the_readme_layout_names_every_module():
    """README's layout is the map a contributor reads: every module of the package appears in it."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Layout"):]
    block = block[:block.index("```", block.index("```") + 3)]
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.startswith("_"):
            continue
        folder = path.parent.name
        if path.parent == PACKAGE:
            if f"{path.name} " not in block:
                missing.append(path.name)
        elif f"{folder}/" not in block or path.stem not in block:
            missing.append(f"{folder}/{path.name}")
    assert not missing, f"README's layout does not mention {missing}"


def test_the_installed_package_includes_every_layer():
    """``pip install .`` (Colab's setup cell) ships the subpackages too: pyproject's package list covers each."""
    import fnmatch

    import tomllib

    setuptools = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = setuptools.get("packages", [])
    patterns = listed["find"]["include"] if isinstance(listed, dict) else listed
    subpackages = [f"helpers.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")]
    assert subpackages, "no subpackage found"
    missing = [name for name in ["helpers", *subpackages] if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert not missing, f"pyproject.toml's [tool.setuptools] would not install {missing}"
