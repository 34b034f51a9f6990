"""Playwright calls that a page's dialog interrupts.

While a page shows an alert, confirm or prompt, its renderer waits for the answer, and so does
every Playwright call that needs it: the click that opened the dialog, a screenshot, an
evaluation. Playwright's sync API would wait inside that call for ever, and the answer (the
model's tap on OK or Cancel) could never be given.

Playwright's sync API runs on greenlets: a call switches to the driver's dispatcher until its
reply comes. :meth:`Interrupter.run` makes the call from a greenlet of its own (a worker), so
that when the dialog handler calls :meth:`Interrupter.interrupt`, the caller wakes up and goes
on, and the worker, still waiting on the page, is ended there. The call's late reply (once the
dialog is answered) is dropped by Playwright, as it drops the reply of any cancelled call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from greenlet import GreenletExit, getcurrent, greenlet

T = TypeVar("T")


class Interrupter:
    """Runs one Playwright call sequence at a time so that a dialog can end it early."""

    def __init__(self) -> None:
        self._waiter: greenlet | None = None  # the caller, while a run is in progress
        self._interrupted = False

    def run(self, sync_object: Any, fn: Callable[[], T]) -> tuple[bool, T | None]:
        """``(True, fn())``; or ``(False, None)`` when :meth:`interrupt` was called before ``fn``
        returned. ``sync_object`` is any object of Playwright's sync API (its dispatcher is used).
        An error ``fn`` raises is raised here."""
        if self._waiter is not None:
            return True, fn()  # already inside a run: the outer run is the one to interrupt
        box: dict[str, Any] = {}

        def body() -> None:
            try:
                box["value"] = fn()
            except GreenletExit:
                raise
            except BaseException as err:  # handed to the caller: a worker's error must not surface elsewhere
                box["error"] = err

        caller = getcurrent()
        worker = greenlet(body, parent=caller)
        self._waiter, self._interrupted = caller, False
        try:
            worker.switch()
            # The caller also wakes when an earlier, ended worker's call completes (its reply
            # switches to the worker's parent): those wake-ups are not this run's end.
            while not worker.dead and not self._interrupted:
                sync_object._dispatcher_fiber.switch()
        finally:
            self._waiter = None
            ended_early = not worker.dead
            if ended_early:
                # Ends it where it waits, also when the wait itself failed (Ctrl-C): a live worker's
                # late reply would switch into whatever the caller runs then. The reply is dropped.
                worker.throw()
        if ended_early:
            return False, None
        if "error" in box:
            raise box["error"]
        return True, box.get("value")

    def interrupt(self, sync_object: Any) -> None:
        """End the run in progress, if any (called from a Playwright event handler)."""
        if self._waiter is None:
            return
        self._interrupted = True
        # The handler runs on the dispatcher's side; the caller is woken once it has returned.
        sync_object._loop.call_soon(self._wake, self._waiter)

    def _wake(self, waiter: greenlet) -> None:
        if self._waiter is waiter and not waiter.dead:
            waiter.switch()

    @property
    def running(self) -> bool:
        return self._waiter is not None
