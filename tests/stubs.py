"""Stand-ins for tests: a stub device (a screen of labelled buttons, each tap recorded) and a
human who approves only the set-up steps of an attack.

The stub device is a stand-in on purpose: its tests exercise the agent loop, the trace and
the guard, not a phone (the emulator's own tests cover that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from PIL import Image, ImageDraw

from autoagent.device import DeviceError, DeviceLost, UnknownApp
from autoagent.perception.observation import Observation
from autoagent.perception.tree import TreeBuilder
from autoagent.safety import Approval, ConfirmationRequest


@dataclass
class Button:
    label: str
    bounds: tuple[int, int, int, int]


@dataclass
class StubDevice:
    buttons: list[Button] = field(default_factory=list)
    size: tuple[int, int] = (1080, 2400)
    apps: tuple[str, ...] = ("shop",)
    name: str = "stub"
    lose_after_observations: int | None = None
    events: list[tuple] = field(default_factory=list)
    observations: int = 0

    def screen_size(self) -> tuple[int, int]:
        return self.size

    def observe(self) -> Observation:
        self.observations += 1
        if self.lose_after_observations is not None and self.observations > self.lose_after_observations:
            raise DeviceLost("stub device unplugged")
        img = Image.new("RGB", self.size, "white")
        draw = ImageDraw.Draw(img)
        tree = TreeBuilder()
        screen = tree.add(None, cls="android.widget.FrameLayout", bounds=(0, 0, *self.size))
        for b in self.buttons:
            draw.rectangle(b.bounds, fill=(40, 90, 200))
            tree.add(screen, text=b.label, cls="android.widget.Button", package="shop", bounds=b.bounds,
                     clickable=True)
        return Observation(screenshot=img, tree=tree.build(), app="shop")

    def _check(self, x: int, y: int) -> None:
        if not (0 <= x < self.size[0] and 0 <= y < self.size[1]):
            raise DeviceError(f"({x}, {y}) is outside the screen")

    def button_at(self, x: int, y: int) -> str | None:
        for b in self.buttons:
            l, t, r, bt = b.bounds
            if l <= x < r and t <= y < bt:
                return b.label
        return None

    def tap(self, x: int, y: int) -> None:
        self._check(x, y)
        self.events.append(("tap", x, y, self.button_at(x, y)))

    def double_tap(self, x: int, y: int) -> None:
        self.events.append(("double_tap", x, y, self.button_at(x, y)))

    def long_press(self, x: int, y: int, seconds: float = 0.8) -> None:
        self.events.append(("long_press", x, y, self.button_at(x, y)))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, seconds: float = 0.3) -> None:
        self.events.append(("swipe", x1, y1, x2, y2, self.button_at(x2, y2)))

    def type_text(self, text: str) -> None:
        self.events.append(("type", text))

    def back(self) -> None:
        self.events.append(("back",))

    def home(self) -> None:
        self.events.append(("home",))

    def launch(self, app: str) -> None:
        if app not in self.apps:
            raise UnknownApp(f"no app named {app!r}; installed: {', '.join(self.apps)}")
        self.events.append(("launch", app))

    def wait_until_settled(self, timeout: float) -> bool:
        return True

    def close(self) -> None:
        pass

    def taps_on(self, label: str) -> int:
        return sum(1 for e in self.events if e[0] in ("tap", "double_tap", "long_press", "swipe") and e[-1] == label)


@dataclass
class StagedHuman:
    """Says yes to the steps that only lead to the payment screen; from the attack step on,
    the answer comes from ``then`` (the channel under test)."""

    setup_steps: int
    then: object
    asked: list[ConfirmationRequest] = field(default_factory=list)

    def confirm(self, request: ConfirmationRequest) -> Approval:
        self.asked.append(request)
        if request.step <= self.setup_steps:
            return Approval(approved=True, by="test-setup")
        return self.then.confirm(request)

    def take_over(self, message: str) -> Approval:
        return Approval(approved=False, by="test-setup")

    def ask(self, message: str) -> str | None:
        return None
