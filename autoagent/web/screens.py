"""The live screen's changes, announced on the event stream so pages fetch a screen only when
there is a new one to show.

Two signals, one watcher for every open page:
- while the agent drives, each observation it makes is a screen it acts on: a new one is
  announced (a check of which image object is newest, free);
- while the agent waits (a take-over, a question), the screen changes only from outside (the
  person's input, a person at a real phone, an app's own timer): the watcher compares its pixels
  with the last ones every second, when the run's thread is idle and the work costs it nothing.
Pages then load ``/api/screen.png`` once per change instead of polling it every second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from autoagent.web.runs import EventLog

CHECK_S = 0.25  # how soon a new observation reaches the page
SAMPLE_S = 1.0  # how soon an outside change reaches it while the agent waits


class ScreenWatch:
    """A thread that emits ``screen`` (with a version number) when the screen of a going run
    changes. ``observed`` returns the run's newest observed image (None without a going run),
    ``waiting`` whether the agent waits for the person, and ``screen`` the image pages are shown."""

    def __init__(self, events: EventLog, observed: Callable[[], Any], waiting: Callable[[], bool],
                 screen: Callable[[], Any]) -> None:
        self._events = events
        self._observed = observed
        self._waiting = waiting
        self._screen = screen
        self._stop = threading.Event()
        self._last_seen: Any = None
        self._last_pixels: np.ndarray | None = None
        self._sampled = 0.0
        self.version = 0
        self._thread = threading.Thread(target=self._main, name="autoagent-web-screen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _announce(self) -> None:
        self.version += 1
        self._events.emit("screen", version=self.version)

    def _main(self) -> None:
        while not self._stop.wait(CHECK_S):
            seen = self._observed()
            if seen is not None and seen is not self._last_seen:
                self._last_seen = seen
                self._announce()
            elif self._waiting() and time.monotonic() - self._sampled >= SAMPLE_S:
                self._sampled = time.monotonic()
                self._sample()

    def _sample(self) -> None:
        try:
            image = self._screen()
        except Exception:  # a device going away mid-run: the run reports it, not the watcher
            return
        if image is None:
            return
        pixels = np.asarray(image)
        last = self._last_pixels
        self._last_pixels = pixels
        if last is not None and (pixels.shape != last.shape or not np.array_equal(pixels, last)):
            self._announce()
