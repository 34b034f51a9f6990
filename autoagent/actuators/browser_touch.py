"""A browser's touches as a finger makes them: taps kept apart, swipes that fling.

Chromium's touch emulation merges two taps into a double tap.

Chromium's gesture detector calls a second tap a double tap when it comes down less than its
double-tap timeout (400 ms on Linux) after the first one lifted, within a few tens of
pixels of it. The page then sees ``dblclick`` (text selected under the finger, a handler run
twice) and, on pages without ``<meta name="viewport">``, the second tap can be taken as a
zoom instead of a tap. An agent is quick enough to do that by accident: tap a field, type,
tap the next field. So a tap that would merge with the previous one waits until it cannot;
taps farther apart, or later, cost nothing.

A finger that swipes is still moving when it lifts, and the page goes on scrolling (a fling)
at the speed the gesture detector measured over the last touch samples. The samples carry the
times the finger was there (not when DevTools delivered them), so a busy machine's round trips
do not change the speed the page sees.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

# Chromium's double-tap timeout is 400 ms (measured 380 ms merged, 420 ms did not); the
# margin covers the time between our clock and the touch reaching the browser.
DOUBLE_TAP_WINDOW_S = 0.45
# Taps up to 20 px apart merged and 21 px apart did not (window pixels, the same on pages laid
# out wider and zoomed out); half as much again for margin. Each pixel more makes more taps wait.
DOUBLE_TAP_SLOP_PX = 30.0


class TapSpacer:
    """Remembers where and when the last single tap lifted, and waits out the double-tap
    window before a tap that would merge with it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: tuple[float, float, float] | None = None  # x, y (viewport px), lift time

    def wait_needed(self, x: float, y: float) -> float:
        """Seconds to wait before a tap at (x, y) so that it stays a single tap."""
        if self._last is None:
            return 0.0
        lx, ly, lifted = self._last
        if math.hypot(x - lx, y - ly) > DOUBLE_TAP_SLOP_PX:
            return 0.0
        return max(0.0, DOUBLE_TAP_WINDOW_S - (self._clock() - lifted))

    def lifted(self, x: float, y: float) -> None:
        """A tap at (x, y) has just lifted."""
        self._last = (x, y, self._clock())

    def forget(self) -> None:
        """The last touch was no tap (a double tap, a press, a swipe): nothing to merge with."""
        self._last = None


def swipe_path(a: tuple[float, float], b: tuple[float, float], steps: int,
               seconds: float) -> list[tuple[float, float, float]]:
    """Where a swiping finger is at each of ``steps`` touch samples after it went down at ``a``:
    (seconds since it went down, x, y), the last at ``b`` when ``seconds`` are up.

    The finger speeds up at a constant rate until it lifts, as in a flick: it covers (t/T)^2 of
    the way by time t and lifts at twice its mean speed. A finger moving at a steady speed lifts
    at only its mean speed; on a short swipe (inside a small text area) that is too slow to
    start more than a token fling, and the page stops about where the finger did.
    """
    (ax, ay), (bx, by) = a, b
    path = []
    for i in range(1, steps + 1):
        t = i / steps
        path.append((seconds * t, ax + (bx - ax) * t * t, ay + (by - ay) * t * t))
    return path
