"""What the agent sees at one step, whatever the target (phone, emulator, browser)."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class Observation:
    screenshot: Image.Image
    # uiautomator's window_dump XML for phones; browsers render their DOM into the same
    # format so one parser and one guard serve both.
    hierarchy: str | None = None
    app: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.screenshot.size
