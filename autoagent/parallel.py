"""Several agents at once: one per device, each on a thread of its own.

A run shares nothing with another: each has its own device, policy, guard, engine, yeses and
trace (autoagent keeps no device or run in module state; ``tests/test_parallel_devices.py`` holds
it to that). A failure on one device ends that run alone. In processes the same holds without
this module: start one ``autoagent run --device SPEC`` per device.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autoagent.agent import Result


@dataclass(frozen=True)
class DeviceRun:
    """One device's run: its result, or the error that stopped it."""

    label: str
    result: Result | None = None
    error: BaseException | None = None


def run_each(runs: Sequence[tuple[str, Callable[[], Result]]]) -> list[DeviceRun]:
    """Start every ``(label, run)`` on a thread of its own; wait for all; results in the order given."""
    labels = [label for label, _ in runs]
    if len(set(labels)) != len(labels):
        raise ValueError("each run needs a label of its own")
    done: dict[str, DeviceRun] = {}

    def one(label: str, run: Callable[[], Result]) -> None:
        try:
            done[label] = DeviceRun(label, result=run())
        except BaseException as err:  # reported with the device it happened on; the others go on
            done[label] = DeviceRun(label, error=err)

    threads = [threading.Thread(target=one, args=(label, run), name=f"agent:{label}", daemon=True)
               for label, run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [done[label] for label in labels]
