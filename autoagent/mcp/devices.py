"""The devices an MCP server may drive: only those the person named when starting it.

Each device has a thread of its own, and everything done to it runs there: opening it,
observing, acting, whole runs. A browser's Playwright objects work only on the thread that
made them, and one device does one thing at a time. A call while the device is busy is refused
at once rather than queued behind a run that may take minutes. A device stays claimed until
its work ends, which may be after the call that began it returned (a question the client
answers in a later call).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autoagent.device import Device
from autoagent.engine import Ending, StepEngine
from autoagent.mcp.relay import RelayHuman
from autoagent.safety.guard import ScreenGuard
from autoagent.targets import open_device
from autoagent.trace import Status


class DeviceBusy(RuntimeError):
    """Another call is using the device."""


@dataclass
class Slot:
    """One configured device: its thread, its user, and the run its single actions belong to."""

    spec: str
    executor: ThreadPoolExecutor
    human: RelayHuman = field(default_factory=RelayHuman)
    device: Device | None = None
    # Single actions asked for by the client are steps of one run (one trace, one set of yeses),
    # begun by the first action and ended by a finish, a refusal, another task, or a whole task run.
    session: StepEngine | None = None
    claimed: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class DevicePool:
    specs: list[str]
    seed: int = 0
    mobile: bool = False
    trace_root: Path = Path("traces")
    _slots: dict[str, Slot] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not self.specs:
            raise ValueError("give at least one --device")
        for spec in self.specs:
            if spec in self._slots:
                raise ValueError(f"--device {spec} is given twice")
            self._slots[spec] = Slot(spec, ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"device:{spec}"))

    def slot(self, spec: str | None) -> Slot:
        """The slot of ``spec`` (None: the first device given)."""
        if spec is None or not spec.strip():
            return self._slots[self.specs[0]]
        try:
            return self._slots[spec.strip()]
        except KeyError:
            raise ValueError(f"unknown device {spec!r}: this server drives {', '.join(self.specs)} "
                             "(start it with --device SPEC to add one)") from None

    def slots(self) -> list[Slot]:
        return [self._slots[spec] for spec in self.specs]

    def claim(self, spec: str | None) -> Slot:
        """The slot, for one piece of work; DeviceBusy while another holds it. :meth:`release` it."""
        slot = self.slot(spec)
        if not slot.claimed.acquire(blocking=False):
            raise DeviceBusy(f"device {slot.spec} is busy (a task run, an action or a question waiting for "
                             "an answer); try again when it has finished")
        return slot

    @staticmethod
    def release(slot: Slot) -> None:
        slot.claimed.release()  # a plain Lock: the device's thread may release the caller's claim

    # ------------------------------------------------------------------ on the slot's thread

    def device(self, slot: Slot) -> Device:
        """The slot's device, opened on first use."""
        if slot.device is None:
            slot.device = open_device(slot.spec, seed=self.seed, mobile=self.mobile)
        return slot.device

    def session(self, slot: Slot, task: str) -> StepEngine:
        """The run single actions on ``slot`` are steps of; a new one for a new task."""
        if slot.session is not None and slot.session.task != task:
            self.end_session(slot, Ending(Status.INTERRUPTED, "the client began another task"))
        if slot.session is None:
            engine = StepEngine(device=self.device(slot), guard=ScreenGuard(), human=slot.human,
                                trace_root=self.trace_root)
            engine.reset(task, policy="mcp client")
            slot.session = engine
        return slot.session

    @staticmethod
    def end_session(slot: Slot, ending: Ending) -> None:
        if slot.session is not None:
            session, slot.session = slot.session, None
            session.close(ending)

    def close(self) -> None:
        for slot in self._slots.values():
            def shut(slot: Slot = slot) -> None:
                self.end_session(slot, Ending(Status.INTERRUPTED, "the MCP server stopped"))
                if slot.device is not None:
                    slot.device.close()
            try:
                slot.executor.submit(shut).result(timeout=30)
            except Exception:  # a device that will not close must not keep the others open
                pass
            slot.executor.shutdown(wait=False, cancel_futures=True)
