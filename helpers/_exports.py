"""A layer package's public names, imported from their modules on first use (PEP 562).

``from helpers import training`` is cheap: ``training.GANTrainer`` imports ``helpers.training.gan``
(and Keras) only when it is first read, so ``python -m helpers --help`` and the NumPy-only notebooks
never start TensorFlow. Each name is defined in exactly one module; the package lists where.
"""

from __future__ import annotations

import importlib
import importlib.util


def lazy_exports(package: str, where: dict[str, tuple[str, ...]]):
    """``(__getattr__, __dir__, __all__)`` for ``package``, whose ``where`` maps each module to the names it exports."""
    home = {name: module for module, names in where.items() for name in names}

    def __getattr__(name: str):
        if name not in home and importlib.util.find_spec(f"{package}.{name}") is not None:
            return importlib.import_module(f"{package}.{name}")  # a module of the package, e.g. ``training.inversion``
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home[name]}"), name)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # the next read is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(importlib.import_module(package).__dict__) | set(home))

    return __getattr__, __dir__, sorted(home)
