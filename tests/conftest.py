"""Fixtures shared by the tests: the emulator's adb/uiautomator2 wire server with a guard that
no real adb daemon gets started while a test talks to it (modules opt in with
``pytestmark = pytest.mark.usefixtures("no_adb_daemon")``), and a real Chromium per module."""

from __future__ import annotations

import os

import adbutils._adb
import adbutils._device_base
import adbutils._utils
import pytest

from autoagent.actuators.browser_runtime import acquire_playwright, launch_chromium, release_playwright
from emulator import Phone
from emulator.wire import serve



def _adb_pids() -> set[int]:
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "adb":
                        pids.add(int(entry))
            except OSError:
                pass
    return pids


@pytest.fixture()
def no_adb_daemon(monkeypatch):
    """adbutils starts `adb start-server` when it cannot connect; make that fail loudly."""

    def refuse() -> str:
        raise AssertionError("the client tried to locate an adb binary")

    for module in (adbutils._utils, adbutils._adb, adbutils._device_base):
        monkeypatch.setattr(module, "adb_path", refuse)
    before = _adb_pids()
    yield
    assert _adb_pids() <= before, "an adb process appeared during the test"


@pytest.fixture()
def wire_server():
    with serve(Phone(seed=0)) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    """One headless system Chromium per test module; tests open their own contexts on it."""
    playwright = acquire_playwright()
    try:
        chromium = launch_chromium(playwright)
    except BaseException:
        release_playwright()
        raise
    yield chromium
    chromium.close()
    release_playwright()
