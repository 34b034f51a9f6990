"""The live screen's changes, announced on the event stream so pages fetch a screen only when
there is a new one to show.

The device does not say when its screen changes (an app's own timer, a person's finger on a
real phone, the agent's step), so one watcher looks for every open page: it compares the
screen's pixels with the last ones every second while a run goes, and emits a ``screen`` event
when they differ. Pages then load ``/api/screen.png`` once per change instead of every second,
and the server encodes a PNG only for a screen that changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from autoagent.web.runs import EventLog

# How soon a change reaches the page: as soon as the page's own polling used to see it. Comparing
# pixels costs less than a hash of them (which reads them as bytes first) or a PNG.
WATCH_S = 1.0


class ScreenWatch:
    """A thread that emits ``screen`` (with a version number) when the screen of a going run
    changes. ``screen`` returns the image pages would be shown, or None; ``watching`` says
    whether a run is going, and so whether to look at all."""

    def __init__(self, events: EventLog, screen: Callable[[], Any], watching: Callable[[], bool],
                 every: float = WATCH_S) -> None:
        self._events = events
        self._screen = screen
        self._watching = watching
        self._every = every
        self._stop = threading.Event()
        self._last: np.ndarray | None = None
        self.version = 0
        self._thread = threading.Thread(target=self._main, name="autoagent-web-screen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _main(self) -> None:
        while not self._stop.wait(self._every):
            if not self._watching():
                continue
            try:
                image = self._screen()
            except Exception:  # a device going away mid-run: the run reports it, not the watcher
                continue
            if image is None:
                continue
            seen = np.asarray(image)
            if self._last is None or seen.shape != self._last.shape or not np.array_equal(seen, self._last):
                self._last = seen
                self.version += 1
                self._events.emit("screen", version=self.version)
