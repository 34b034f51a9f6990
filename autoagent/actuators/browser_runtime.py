"""Playwright's driver and the browsers it starts or reaches.

Playwright's sync API allows one running driver per thread, so devices opened in the
same thread share it (reference counted) instead of each starting their own.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Browser, Playwright, sync_playwright

from autoagent.device import DeviceError, DeviceLost

# Flags for a browser in a container or on CI: no sandbox (no user namespaces there),
# no GPU, and no background traffic that would keep the network from ever going idle.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
SYSTEM_CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

Protocol = Literal["auto", "cdp", "playwright"]


@dataclass
class _Driver:
    playwright: Playwright
    users: int


_local = threading.local()


def acquire_playwright() -> Playwright:
    """The thread's Playwright driver, started on first use."""
    driver: _Driver | None = getattr(_local, "driver", None)
    if driver is None:
        try:
            pw = sync_playwright().start()
        except Exception as err:  # the driver is a Node process; it can fail to start
            raise DeviceError(f"could not start Playwright: {err}") from None
        driver = _Driver(pw, 0)
        _local.driver = driver
    driver.users += 1
    return driver.playwright


def release_playwright() -> None:
    """Give back one :func:`acquire_playwright`; the last one stops the driver."""
    driver: _Driver | None = getattr(_local, "driver", None)
    if driver is None:
        return
    driver.users -= 1
    if driver.users <= 0:
        _local.driver = None
        try:
            driver.playwright.stop()
        except Exception:
            pass  # a driver that died with its browser has nothing left to stop


def find_chromium(executable: str | Path | None = None) -> str:
    """The browser binary to launch: ``executable`` if given, else a system Chromium."""
    if executable is not None:
        path = Path(executable)
        if not path.is_file():
            raise DeviceError(f"no browser at {path}: pass the path of a Chromium or Chrome binary")
        return str(path)
    for name in SYSTEM_CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise DeviceError("no Chromium found on PATH: install chromium or pass executable=/path/to/chrome")


def launch_chromium(pw: Playwright, *, headless: bool = True, executable: str | Path | None = None,
                    args: tuple[str, ...] = ()) -> Browser:
    binary = find_chromium(executable)
    try:
        return pw.chromium.launch(executable_path=binary, headless=headless,
                                  args=[*CHROMIUM_ARGS, *args])
    except Exception as err:
        raise DeviceError(f"could not launch {binary}: {first_line(err)}") from None


def guess_protocol(endpoint: str) -> Literal["cdp", "playwright"]:
    """CDP for http(s) endpoints and DevTools websocket URLs; Playwright's protocol otherwise."""
    if endpoint.startswith(("http://", "https://")) or "/devtools/browser" in endpoint:
        return "cdp"
    return "playwright"


def connect_browser(pw: Playwright, endpoint: str, protocol: Protocol = "auto",
                    timeout: float = 30.0) -> Browser:
    """Reach a running browser: Chrome's DevTools endpoint, or a Playwright browser server."""
    kind = guess_protocol(endpoint) if protocol == "auto" else protocol
    try:
        if kind == "cdp":
            return pw.chromium.connect_over_cdp(endpoint, timeout=timeout * 1000)
        return pw.chromium.connect(endpoint, timeout=timeout * 1000)
    except Exception as err:
        raise DeviceLost(f"could not connect to the browser at {endpoint} ({kind}): {first_line(err)}") from None


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def mobile_user_agent(browser_version: str) -> str:
    """A phone Chrome user agent, so sites serve the layout a phone would get."""
    major = browser_version.split(".")[0] or "120"
    return (f"Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.0.0 Mobile Safari/537.36")


def context_options(viewport: tuple[int, int], mobile: bool, scale: float | None,
                    browser_version: str, locale: str | None) -> dict[str, Any]:
    width, height = viewport
    if width <= 0 or height <= 0:
        raise ValueError(f"viewport must be positive, got {viewport}")
    options: dict[str, Any] = {"viewport": {"width": width, "height": height}}
    if mobile:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=scale or 2.0,
                       user_agent=mobile_user_agent(browser_version))
    elif scale:
        options["device_scale_factor"] = scale
    if locale:
        options["locale"] = locale
    return options
