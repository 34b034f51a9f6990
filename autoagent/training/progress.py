"""A one-line progress bar for long collection, evaluation and training runs."""

from __future__ import annotations

import sys
import time


class Progress:
    """A one-line progress bar with rate and time left on stderr."""

    def __init__(self, total: int, label: str, enabled: bool = True, width: int = 30) -> None:
        self.total, self.label, self.enabled, self.width = max(1, total), label, enabled, width
        self.done = 0
        self.started = time.monotonic()

    def update(self, note: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        sys.stderr.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {clock(elapsed)} elapsed, "
                         f"{clock(left)} left {note}  ")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def clock(seconds: float) -> str:
    """h:mm:ss, for progress lines."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
