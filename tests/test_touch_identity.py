"""Dispatch-time identity (issue #16, item 3): a touch goes out only onto the node the guard judged.

Judged by the phone itself: ``phone.payments``, ``phone.events`` and whether the late-swap
sheet's "Later" was tapped. The wire tests drive the phone with the stock uiautomator2 client
over loopback sockets, both against the emulator's server (which checks and touches in one
call) and against the same server answering as a phone's own uiautomator (no extension).
"""

from __future__ import annotations

import adbutils
import pytest
import uiautomator2 as u2

from autoagent.actions import DoubleTap, LongPress, Swipe, Tap, Type
from autoagent.actuators.android import AndroidDevice
from autoagent.actuators.execute import execute
from autoagent.device import ScreenChangedError, TouchesIfUnchanged
from autoagent.geometry import to_relative
from autoagent.perception.observation import Observation
from autoagent.perception.tree import ScreenTree, TreeBuilder
from autoagent.safety import ScreenGuard, Verdict
from autoagent.touch import ExpectedTouch, Gesture, NodeIdentity, check_touch, expected_touch
from emulator import Phone
from emulator.late_swap import LATER_ID, LATER_TEXT, PAY_ID, LateSwap
from emulator.race import race_once
from emulator.wire import serve

pytestmark = pytest.mark.usefixtures("no_adb_daemon")


# -- helpers ------------------------------------------------------------------------------------

def sheet_phone(delay: float | None = None, keep_id: bool = False, clock=None) -> tuple[Phone, LateSwap]:
    phone = Phone(seed=5, **({"clock": clock} if clock else {}))
    phone.launch("Shop")
    return phone, LateSwap.show(phone, delay, keep_id=keep_id)


def later_tap(phone: Phone, kind: type = Tap) -> tuple[object, ExpectedTouch]:
    """The action on "Later" and what the real guard judged under it."""
    observation = phone.observe()
    later = phone.find(resource_id=LATER_ID)
    assert later is not None and later.text == LATER_TEXT
    x, y = later.center
    if kind is Swipe:  # shorter than the touch slop: a tap where it starts
        action = Swipe(start=to_relative((x - 10, y), observation.size), end=to_relative((x, y), observation.size))
    else:
        action = kind(element=to_relative((x, y), observation.size))
    decision = ScreenGuard().review(action, observation)
    assert decision.verdict is Verdict.ALLOW, decision.reason
    expected = expected_touch(decision)
    assert expected is not None and expected.node is not None and expected.node.resource_id == LATER_ID
    return action, expected


class StepClock:
    """A phone clock that moves 1 ms at every read: where in an operation a swap comes due is
    decided by how many times the clock has been read, the same on every run."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        self.t += 0.001
        return self.t


def tree_of(*nodes: dict) -> ScreenTree:
    builder = TreeBuilder()
    root = builder.add(None, cls="android.widget.FrameLayout", bounds=(0, 0, 1080, 2400))
    for node in nodes:
        builder.add(root, **{"cls": "android.widget.Button", "clickable": True, **node})
    return builder.build()


# -- identity, as the guard records it ----------------------------------------------------------

def test_the_identity_of_a_node_is_what_the_guards_evidence_records_of_it() -> None:
    # A label longer than the evidence keeps: identity must compare what the evidence has.
    long = "Subscribe to the annual premium plan with every feature unlocked for the whole family " * 2
    tree = tree_of({"text": long, "resource_id": "com.x:id/subscribe", "bounds": (100, 1000, 980, 1140)})
    observation = Observation(screenshot=Phone().screenshot(), hierarchy=tree.to_xml(), app="com.x")
    decision = ScreenGuard().review(Tap(element=to_relative((540, 1070), (1080, 2400))), observation)
    expected = expected_touch(decision)
    assert expected is not None and expected.node == NodeIdentity.of(observation.tree.nodes[1])
    assert check_touch(observation.tree, 540, 1070, expected.node).touched


@pytest.mark.parametrize("change, touched", [
    ({}, True),
    ({"text": "Pay ¥5900.00"}, False),
    ({"resource_id": "com.x:id/pay"}, False),
    ({"cls": "android.widget.ImageButton"}, False),
    ({"desc": "Pay"}, False),
    ({"bounds": (100, 1000, 980, 1141)}, False),
])
def test_a_touch_reaches_the_judged_node_only_if_nothing_about_it_changed(change: dict, touched: bool) -> None:
    judged = {"text": "Later", "resource_id": "com.x:id/later", "bounds": (100, 1000, 980, 1140)}
    expected = NodeIdentity.of(tree_of(judged).nodes[1])
    check = check_touch(tree_of({**judged, **change}), 540, 1070, expected)
    assert check.touched is touched
    if not touched:
        assert check.found is not None and "Later" in check.reason


def test_a_control_laid_over_the_judged_one_is_a_change() -> None:
    later = {"text": "Later", "resource_id": "com.x:id/later", "bounds": (100, 1000, 980, 1140)}
    expected = NodeIdentity.of(tree_of(later).nodes[1])
    # Drawn after it, at the same depth: the touch reaches the newcomer (as the guard would judge).
    covered = tree_of(later, {"text": "", "resource_id": "com.x:id/overlay", "bounds": (0, 900, 1080, 1300)})
    assert not check_touch(covered, 540, 1070, expected).touched


def test_with_nothing_judged_a_control_that_arrives_is_a_change_and_a_label_is_not() -> None:
    empty = tree_of()
    assert check_touch(empty, 540, 1070, None).touched
    assert not check_touch(tree_of({"text": "Pay", "bounds": (100, 1000, 980, 1140)}), 540, 1070, None).touched
    label = {"cls": "android.widget.TextView", "clickable": False, "text": "Total ¥59",
             "bounds": (100, 1000, 980, 1140)}
    judged = NodeIdentity.of(tree_of(label).nodes[1])
    assert check_touch(tree_of(label), 540, 1070, judged).touched
    assert not check_touch(tree_of({**label, "text": "Total ¥5900"}), 540, 1070, judged).touched
    assert not check_touch(tree_of(label, {"text": "Pay", "bounds": (100, 1000, 980, 1140)}), 540, 1070, judged).touched


def test_only_touches_that_click_carry_an_expected_node() -> None:
    phone, _ = sheet_phone()
    observation = phone.observe()
    guard = ScreenGuard()
    later = phone.find(resource_id=LATER_ID).center
    far = (later[0], 600)
    for action in (Tap(element=to_relative(later, observation.size)),
                   DoubleTap(element=to_relative(later, observation.size)),
                   LongPress(element=to_relative(later, observation.size))):
        expected = expected_touch(guard.review(action, observation))
        assert expected is not None and expected.node.resource_id == LATER_ID, action
    scroll = Swipe(start=to_relative(later, observation.size), end=to_relative(far, observation.size))
    assert expected_touch(guard.review(scroll, observation)) is None
    assert expected_touch(guard.review(Type(text="hi"), observation)) is None
    no_tree = Observation(screenshot=observation.screenshot, app=observation.app)
    assert expected_touch(guard.review(Tap(element=to_relative(later, observation.size)), no_tree)) is None


# -- the emulator: check and touch are one operation ---------------------------------------------

def test_the_phone_offers_the_ability_and_a_matching_tap_goes_through() -> None:
    phone, swap = sheet_phone()
    assert isinstance(phone, TouchesIfUnchanged)
    action, expected = later_tap(phone)
    execute(action, phone, expected=expected)
    assert swap.dismissed and phone.payments == [] and phone.events[-1].kind == "tap"


@pytest.mark.parametrize("kind", [Tap, DoubleTap, LongPress, Swipe])
@pytest.mark.parametrize("keep_id", [False, True])
def test_a_swapped_control_gets_no_touch(kind: type, keep_id: bool) -> None:
    phone, swap = sheet_phone(delay=60.0, keep_id=keep_id)
    action, expected = later_tap(phone, kind)
    swap.arm(0.0)  # the swap lands after the guard's look, before the touch
    events = len(phone.events)
    with pytest.raises(ScreenChangedError, match="Pay ¥5900.00") as raised:
        execute(action, phone, expected=expected)
    assert raised.value.check is not None and raised.value.check.atomic
    assert phone.payments == [] and len(phone.events) == events and not swap.dismissed
    # Without the identity the same touch pays (a long press clicks nothing on this phone's
    # buttons, so there the control is a tap): the test above can fail.
    execute(Tap(element=action.element) if kind is LongPress else action, phone)
    assert len(phone.payments) == 1


@pytest.mark.parametrize("kind", [DoubleTap, LongPress, Swipe])
def test_matching_gestures_other_than_taps_go_through(kind: type) -> None:
    phone, swap = sheet_phone()
    action, expected = later_tap(phone, kind)
    execute(action, phone, expected=expected)
    assert phone.events[-1].kind == {DoubleTap: "double_tap", LongPress: "long_press", Swipe: "swipe"}[kind]
    assert phone.payments == []
    if kind is not LongPress:  # a long press on a button clicks nothing
        assert swap.dismissed


def test_check_and_touch_read_one_frame_whatever_the_clock_does() -> None:
    """The swap comes due at every possible clock read inside the operation, one run each: the
    phone never taps a control other than the one it checked. The same check made as two calls
    (read the tree, then tap) pays in some of those runs."""
    atomic, split = [], []
    for reads in range(1, 25):
        for together in (True, False):
            phone, swap = sheet_phone(clock=StepClock())
            _, expected = later_tap(phone)
            x, y = phone.find(resource_id=LATER_ID).center
            swap.arm(reads * 0.001 - 0.0005)
            if together:
                check = phone.touch_if_unchanged(Gesture(kind="tap", x=x, y=y), expected.node)
                outcome = "paid" if phone.payments else "later" if swap.dismissed else "withheld"
                assert check.touched == (outcome == "later"), (reads, check, outcome)
                atomic.append(outcome)
            else:
                if check_touch(phone.screen_tree(), x, y, expected.node).touched:
                    phone.tap(x, y)
                split.append("paid" if phone.payments else "later" if swap.dismissed else "withheld")
    assert "paid" not in atomic and {"later", "withheld"} <= set(atomic), atomic
    assert "paid" in split, split


def test_bad_gestures_are_refused_before_anything_is_read() -> None:
    phone, _ = sheet_phone()
    from autoagent.device import DeviceError
    with pytest.raises(DeviceError, match="outside"):
        phone.touch_if_unchanged(Gesture(kind="tap", x=5000, y=10), None)


# -- the wire: the stock uiautomator2 client ----------------------------------------------------

@pytest.fixture(params=[True, False], ids=["clickIfMatches", "stock-server"])
def wired(request):
    """An AndroidDevice over real sockets to the emulator's server, with and without autoagent's
    extension (without it the server answers as a phone's own uiautomator)."""
    with serve(Phone(seed=5), extensions=request.param) as srv:
        device = AndroidDevice.connect(srv.serial, adb_host="127.0.0.1", adb_port=srv.adb_port)
        srv.phone.launch("Shop")
        yield device, srv.phone, request.param
        device.close()


def wire_later_tap(device: AndroidDevice, kind: type = Tap) -> tuple[object, ExpectedTouch]:
    observation = device.observe()
    later = next(n for n in observation.tree.nodes if n.resource_id.endswith(f":id/{LATER_ID}"))
    action = kind(element=to_relative(later.center, observation.size))
    decision = ScreenGuard().review(action, observation)
    assert decision.verdict is Verdict.ALLOW
    return action, expected_touch(decision)


def test_over_the_wire_a_swapped_control_gets_no_touch_and_an_unchanged_one_does(wired) -> None:
    device, phone, extension = wired
    swap = LateSwap.show(phone, delay=60.0)
    action, expected = wire_later_tap(device)
    swap.arm(0.0)
    events = len(phone.events)
    with pytest.raises(ScreenChangedError, match="pay_button"):
        execute(action, device, expected=expected)
    assert phone.payments == [] and len(phone.events) == events
    assert device.atomic_touch is extension  # found out on the first touch, kept after
    LateSwap.close_all(phone)
    swap = LateSwap.show(phone, delay=None)
    action, expected = wire_later_tap(device, DoubleTap)
    execute(action, device, expected=expected)
    assert swap.dismissed and phone.payments == [] and device.atomic_touch is extension


def test_a_phones_own_server_says_method_not_found_and_ours_answers(wired) -> None:
    device, phone, extension = wired
    LateSwap.show(phone, delay=None)
    x, y = phone.find(resource_id=LATER_ID).center
    gesture = {"kind": "tap", "x": x, "y": y}
    if not extension:
        with pytest.raises(u2.RPCError, match="-32601"):
            device.u2.jsonrpc.clickIfMatches(gesture, None)
        return
    answer = device.u2.jsonrpc.clickIfMatches(gesture, None)  # nothing judged there, a Button is: no touch
    assert answer["touched"] is False and answer["atomic"] is True and answer["found"]["resource_id"] == LATER_ID
    with pytest.raises(u2.RPCError, match="-32602"):
        device.u2.jsonrpc.clickIfMatches({"kind": "poke", "x": x, "y": y}, None)


def test_the_stock_client_alone_can_use_the_extension(wire_server) -> None:
    phone = wire_server.phone
    phone.launch("Shop")
    swap = LateSwap.show(phone, delay=None)
    d = u2.connect(adbutils.AdbClient(host="127.0.0.1", port=wire_server.adb_port).device(wire_server.serial))
    try:
        later = phone.find(resource_id=LATER_ID)
        answer = d.jsonrpc.clickIfMatches({"kind": "tap", "x": later.center[0], "y": later.center[1]},
                                          NodeIdentity.of(later).model_dump(mode="json"))
    finally:
        d.stop_uiautomator(wait=False)
    assert answer["touched"] and swap.dismissed


# -- the race: a sweep of swap moments --------------------------------------------------------------

LAGS = (0.007, 0.017, 0.027)  # what the red team measured between the re-check and the touch


def sweep(device, phone: Phone, runs: int, identity: bool) -> list:
    """Swap moments spread from right after the re-check to past the touch, and some with no swap."""
    out = []
    for i in range(runs):
        lag = LAGS[i % len(LAGS)]
        slot = (i // len(LAGS)) % 8
        swap_after = None if slot == 7 else lag * slot / 5  # 0 .. 1.2 x lag; slot 7: no swap
        out.append(race_once(device, phone, lag=lag, swap_after=swap_after, identity=identity))
    return out


def test_race_sweep_in_process_pays_nothing_with_identity() -> None:
    phone = Phone(seed=5)
    phone.launch("Shop")
    runs = sweep(phone, phone, 36, identity=True)
    outcomes = [r.outcome for r in runs]
    assert phone.payments == [] and "paid" not in outcomes, outcomes
    for r in runs:
        if r.swap_after_s is None:
            assert r.outcome == "later", r  # nothing swapped: the harmless tap goes through
        elif r.swap_after_s < r.lag_s:
            assert r.outcome == "withheld", r  # swapped before the touch: no touch


def test_race_sweep_over_the_wire_pays_nothing_with_identity() -> None:
    with serve(Phone(seed=5)) as srv:
        device = AndroidDevice.connect(srv.serial, adb_host="127.0.0.1", adb_port=srv.adb_port)
        try:
            srv.phone.launch("Shop")
            runs = sweep(device, srv.phone, 36, identity=True)
            assert device.atomic_touch is True
        finally:
            device.close()
        outcomes = [r.outcome for r in runs]
        assert srv.phone.payments == [] and "paid" not in outcomes, outcomes
        assert all(r.outcome == "later" for r in runs if r.swap_after_s is None), outcomes
        assert all(r.outcome == "withheld" for r in runs if r.swap_after_s is not None and r.swap_after_s < r.lag_s)


def test_race_sweep_without_identity_pays_so_the_sweep_can_fail() -> None:
    phone = Phone(seed=5)
    phone.launch("Shop")
    runs = sweep(phone, phone, 24, identity=False)
    for r in runs:
        if r.swap_after_s is None:
            assert r.outcome == "later", r
        elif r.swap_after_s < r.lag_s:
            assert r.outcome == "paid", r  # the swap came before the touch, and nothing held the touch to "Later"
    assert len(phone.payments) == sum(r.outcome == "paid" for r in runs) > 0
