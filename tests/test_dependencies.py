import re
from pathlib import Path

import pytest

from helpers import dependencies

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"numpy": "2.1.3", "matplotlib": "3.10.0", "ipywidgets": "7.7.1", "keras": "3.13.2", "tensorflow": "2.20.0"}


def test_colab_package_set_and_this_environment_are_accepted():
    assert dependencies.problems(GOOD.get) == []
    assert dependencies.problems() == []  # the environment running the tests


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("ipywidgets", None, "ipywidgets is not installed (needs ipywidgets>=7.7,<9)"),
        ("ipywidgets", "7.6.5", "ipywidgets 7.6.5 is installed, but helpers needs ipywidgets>=7.7,<9"),
        ("ipywidgets", "9.0.0", "ipywidgets 9.0.0 is installed, but helpers needs ipywidgets>=7.7,<9"),
        ("keras", "2.15.0", "keras 2.15.0 is installed, but helpers needs keras>=3.3"),
        ("numpy", "1.25.2", "numpy 1.25.2 is installed, but helpers needs numpy>=1.26"),
    ],
)
def test_a_missing_or_unsuitable_package_is_named(name, version, expected):
    versions = {**GOOD, name: version}
    assert dependencies.problems(versions.get) == [expected]
    with pytest.raises(ImportError, match=re.escape(expected)) as info:
        dependencies.check(versions.get)
    assert f'pip install "{dependencies.accepted(name)}"' in str(info.value)


def test_versions_in_the_range_are_accepted_at_both_ends():
    assert dependencies.problems({**GOOD, "ipywidgets": "8.1.9"}.get) == []
    assert dependencies.problems({**GOOD, "ipywidgets": "7.7.0"}.get) == []
    assert dependencies.problems({**GOOD, "tensorflow": "2.16.0rc0"}.get) == []


def test_version_tuple_reads_release_parts_and_refuses_nonsense():
    assert dependencies.version_tuple("2.20.0rc1") == (2, 20, 0)
    assert dependencies.version_tuple("3.10.0.post1") == (3, 10, 0)
    with pytest.raises(ValueError, match="not a version number: 'dev'"):
        dependencies.version_tuple("dev")


def test_pyproject_lists_the_same_ranges():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(listed) == sorted(dependencies.accepted(name) for name in dependencies.REQUIRED)
