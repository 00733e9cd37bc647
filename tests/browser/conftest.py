"""Fixtures for the browser tests: a JupyterLab server over a copy of notebooks/ and a headless Chromium page.

Without Chromium or the ``playwright`` package the tests skip with a message saying how to enable
them; under ``CI=true`` a missing browser fails instead.
"""

import os
from pathlib import Path

import pytest

from helpers import browser as lab

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {reason}; {lab.HOW_TO_ENABLE}", pytrace=False)
    pytest.skip(f"{reason}; {lab.HOW_TO_ENABLE}")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = lab.find_chromium()
    if path is None:
        _missing("no Chromium found")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the Python package 'playwright' is not installed")
    return path


@pytest.fixture(scope="session")
def lab_server(chromium):
    with lab.jupyter_lab() as server:
        yield server


@pytest.fixture
def page(chromium):
    with lab.chromium_page(chromium) as p:
        yield p


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
