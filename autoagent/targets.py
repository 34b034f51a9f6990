"""Open a device from a short spec: ``emulator[:NAME]``, ``android[:SERIAL]``, ``browser[:URL]``, or
the name of another installed target (autoagent.plugins).

Each call opens a device of its own and keeps nothing: two agents on two specs share no state,
in threads or in processes (``tests/test_parallel_devices.py``)."""

from __future__ import annotations

from autoagent.device import Device
from autoagent.extras import require
from autoagent.plugins import target

DEVICE_HELP = (
    "emulator[:NAME] (the built-in virtual phone; each NAME is a phone of its own), android[:SERIAL] "
    "(a phone over adb/uiautomator2), browser[:URL] (system Chromium; URL is the home page)"
)


def check_spec(spec: str) -> None:
    """ValueError unless ``spec`` names a kind of device that can be opened (without opening it)."""
    kind = spec.partition(":")[0].strip().lower()
    if kind in ("android", "browser"):
        return
    plugged = target(kind)
    if plugged is None or plugged.open_device is None:
        raise ValueError(f"unknown device {spec!r}; use one of: {DEVICE_HELP}")


def open_device(spec: str, *, seed: int = 0, mobile: bool = False, headless: bool = True) -> Device:
    check_spec(spec)
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
    assert plugged is not None and plugged.open_device is not None  # check_spec said so
    device = plugged.open_device(seed=seed)
    if arg.strip():
        # Every call opens a phone of its own; the name tells its traces and questions apart.
        device.name = f"{kind}:{arg.strip()}"
    return device
