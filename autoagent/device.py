"""The Device protocol: what every target (emulator, phone, browser) offers the agent.

Methods take device pixels. Relative 0-999 coordinates are converted before they get
here, by :func:`autoagent.actuators.execute`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from autoagent.perception.observation import Observation
from autoagent.perception.tree import ScreenTree
from autoagent.touch import Gesture, NodeIdentity, TouchCheck

if TYPE_CHECKING:
    from autoagent.perception.request import OutgoingRequest


class DeviceError(RuntimeError):
    """The device refused or failed an operation. The message is meant for the user."""


class DeviceLost(DeviceError):
    """The connection to the device is gone (phone unplugged, browser closed, socket reset)."""


class UnknownApp(DeviceError):
    """``launch`` was given an app the device does not have."""


class ScreenChangedError(DeviceError):
    """The node under the finger was not the one the guard judged; nothing was touched."""

    def __init__(self, message: str, check: TouchCheck | None = None):
        super().__init__(message)
        self.check = check


@runtime_checkable
class Device(Protocol):
    name: str

    def screen_size(self) -> tuple[int, int]: ...

    def observe(self) -> Observation: ...

    def tap(self, x: int, y: int) -> None: ...

    def double_tap(self, x: int, y: int) -> None: ...

    def long_press(self, x: int, y: int, seconds: float = 0.8) -> None: ...

    def swipe(self, x1: int, y1: int, x2: int, y2: int, seconds: float = 0.3) -> None: ...

    def type_text(self, text: str) -> None:
        """Type into the focused field. A trailing newline presses Enter."""
        ...

    def back(self) -> None: ...

    def home(self) -> None: ...

    def launch(self, app: str) -> None:
        """Open an app by its name or package. Raises :class:`UnknownApp`."""
        ...

    def wait_until_settled(self, timeout: float) -> bool:
        """Return once the screen has stopped changing (True) or ``timeout`` passed (False)."""
        ...

    def close(self) -> None: ...


# Optional abilities: a device offers them when it can do better than the Device protocol's way.

@runtime_checkable
class ReadsTree(Protocol):
    """Reads the current screen's nodes alone, far cheaper than a whole observation (the
    guard's re-check right before acting uses it)."""

    def screen_tree(self) -> ScreenTree: ...


@runtime_checkable
class SettlesToObservation(Protocol):
    """Watches the screen until it is still and returns what it saw then, so the next step's
    observation is not captured a second time (a screenshot and a dump over the wire)."""

    def settle(self, timeout: float) -> Observation: ...


@runtime_checkable
class Pauses(Protocol):
    """Lets time pass on the device's own clock (the emulator's may be simulated), for Wait."""

    def pause(self, seconds: float) -> None: ...


@runtime_checkable
class TouchesIfUnchanged(Protocol):
    """Sends a touch only if the node under the finger, read as late as the device can, is the
    node the guard judged (``expected``; None: no control was there). The emulator checks and
    touches in one operation; a phone reads its hierarchy right before the touch."""

    def touch_if_unchanged(self, gesture: Gesture, expected: NodeIdentity | None) -> TouchCheck: ...


@runtime_checkable
class GuardsRequests(Protocol):
    """Holds every request the device's pages send until ``judge`` says whether it may leave
    (True: it goes; False: it is aborted), so side effects are judged by what actually leaves
    (:mod:`autoagent.safety.network`). ``judge`` may block while a person answers. None stops
    judging."""

    def guard_requests(self, judge: Callable[[OutgoingRequest], bool] | None) -> None: ...
