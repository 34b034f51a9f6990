"""Open a device from a short spec: ``emulator``, ``android[:SERIAL]``, ``browser[:URL]``, or the
name of another installed target (autoagent.plugins)."""

from __future__ import annotations

from autoagent.device import Device
from autoagent.extras import require
from autoagent.plugins import target

DEVICE_HELP = (
    "emulator (the built-in virtual phone), android[:SERIAL] (a phone over adb/uiautomator2), "
    "browser[:URL] (system Chromium; URL is the home page)"
)


def open_device(spec: str, *, seed: int = 0, mobile: bool = False, headless: bool = True) -> Device:
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "android":
        from autoagent.actuators.android import AndroidDevice

        return AndroidDevice.connect(arg or None)
    if kind == "browser":
        require("browser", "the browser target")
        from autoagent.actuators.browser import BrowserDevice

        return BrowserDevice.start(arg or "about:blank", mobile=mobile, headless=headless)
    plugged = target(kind)
    if plugged is not None and plugged.open_device is not None:
        return plugged.open_device(seed=seed)
    raise ValueError(f"unknown device {spec!r}; use one of: {DEVICE_HELP}")
