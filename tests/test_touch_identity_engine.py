"""The engine's step holds the touch to the node the guard judged (issue #16, item 3).

These pass once ``StepEngine._act`` passes ``expected_touch(reviewed)`` to ``execute`` and maps
:class:`ScreenChangedError` to ``Outcome.SCREEN_CHANGED`` (the engine change that goes with the
touch-identity branch). Before that change the swapped step pays and these fail.

The hostile app's timing is a guard that swaps the control right after its own re-check, the
last look the engine takes before the touch: the red team's race at its widest.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from autoagent.actions import Tap
from autoagent.actuators.android import AndroidDevice
from autoagent.engine import StepEngine
from autoagent.geometry import to_relative
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision
from autoagent.safety import ScreenGuard
from autoagent.safety.types import GuardDecision
from autoagent.trace import Outcome
from emulator import Phone
from emulator.late_swap import LATER_ID, LateSwap
from emulator.wire import serve

pytestmark = pytest.mark.usefixtures("no_adb_daemon")


@dataclass
class SwapAfterRecheck:
    """The real guard; the sheet swaps "Later" for Pay the moment its re-check is done."""

    swap: LateSwap | None
    guard: ScreenGuard

    def review(self, action, observation: Observation, *, task: str = "") -> GuardDecision:
        return self.guard.review(action, observation, task=task)

    def recheck(self, action, before: GuardDecision, observation: Observation, *,
                task: str = "") -> GuardDecision | None:
        later = self.guard.recheck(action, before, observation, task=task)
        if self.swap is not None:
            self.swap.arm(0.0)
        return later


def tap_later(observation: Observation) -> Decision:
    later = next(n for n in observation.tree.nodes if n.resource_id.endswith(f":id/{LATER_ID}"))
    action = Tap(element=to_relative(later.center, observation.size))
    return Decision(raw="", thought="close the sheet", action=action)


def step(device, phone: Phone, swapping: bool):
    swap = LateSwap.show(phone, delay=60.0 if swapping else None)
    engine = StepEngine(device=device, guard=SwapAfterRecheck(swap if swapping else None, ScreenGuard()),
                        trace_root=None, settle_timeout=1.0)
    observation = engine.reset("close the sheet")
    _, stepped = engine.step(tap_later(observation))
    return swap, stepped


@pytest.fixture(params=["phone", "wire"])
def target(request):
    if request.param == "phone":
        phone = Phone(seed=5)
        phone.launch("Shop")
        yield phone, phone
        return
    with serve(Phone(seed=5)) as srv:
        device = AndroidDevice.connect(srv.serial, adb_host="127.0.0.1", adb_port=srv.adb_port)
        srv.phone.launch("Shop")
        yield device, srv.phone
        device.close()


def test_a_control_swapped_after_the_recheck_gets_no_touch(target) -> None:
    device, phone = target
    swap, stepped = step(device, phone, swapping=True)
    assert phone.payments == [], "the swapped-in Pay button was touched"
    assert stepped.outcome is Outcome.SCREEN_CHANGED and "decide again" in stepped.feedback
    assert "Pay" in (stepped.record.error or stepped.feedback)
    assert not swap.dismissed


def test_with_nothing_swapped_the_step_taps_as_before(target) -> None:
    device, phone = target
    swap, stepped = step(device, phone, swapping=False)
    assert stepped.outcome is Outcome.DONE and swap.dismissed and phone.payments == []
