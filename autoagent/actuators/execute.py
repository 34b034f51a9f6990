"""Carry out an action on a device: the only place relative points become pixels."""

from __future__ import annotations

import time

from autoagent.actions import Action, Back, DoubleTap, Home, Launch, LongPress, Swipe, Tap, Type, Wait
from autoagent.device import Device, Pauses, ScreenChangedError, TouchesIfUnchanged
from autoagent.geometry import to_pixels
from autoagent.touch import ExpectedTouch, Gesture

# The Device protocol's default durations; a gesture sent with a check uses the same.
LONG_PRESS_S = 0.8
SWIPE_S = 0.3


def replaces_text(text: str) -> bool:
    """Whether ``Type(text)`` replaces the focused field's text: AutoGLM's meaning of Type, which
    its reference client carries out by clearing the field first, and models are trained on.
    Only a Type of newlines alone is a key press (Enter) that leaves the field's text as it is."""
    return text == "" or text.strip("\r\n") != ""


def pixel_points(action: Action, size: tuple[int, int]) -> list[tuple[int, int]]:
    """The device pixels an action touches, in order (one for taps, two for swipes)."""
    if isinstance(action, (Tap, DoubleTap, LongPress)):
        return [to_pixels(action.element, size)]
    if isinstance(action, Swipe):
        return [to_pixels(action.start, size), to_pixels(action.end, size)]
    return []


def gesture(action: Action, points: list[tuple[int, int]]) -> Gesture | None:
    """The touch a pointer action sends, for a device that checks before it touches."""
    if not points:
        return None
    (x, y), *rest = points
    if isinstance(action, Tap):
        return Gesture(kind="tap", x=x, y=y)
    if isinstance(action, DoubleTap):
        return Gesture(kind="double_tap", x=x, y=y)
    if isinstance(action, LongPress):
        return Gesture(kind="long_press", x=x, y=y, seconds=LONG_PRESS_S)
    if isinstance(action, Swipe):
        return Gesture(kind="swipe", x=x, y=y, to=rest[0], seconds=SWIPE_S)
    return None


def execute(action: Action, device: Device, expected: ExpectedTouch | None = None) -> list[tuple[int, int]]:
    """Perform a device-level action and return the pixels it touched.

    With ``expected`` (the node the guard judged under the finger, see
    :func:`autoagent.touch.expected_touch`) a device that offers :class:`TouchesIfUnchanged`
    sends the touch only onto that node; otherwise it raises :class:`ScreenChangedError` and
    touches nothing. A device without that ability touches as it always does.

    Actions that are for the agent itself (Finish, Note, TakeOver, Interact) are not
    device operations; passing one is a programming error.
    """
    points = pixel_points(action, device.screen_size())
    touch = gesture(action, points)
    if expected is not None and touch is not None and isinstance(device, TouchesIfUnchanged):
        check = device.touch_if_unchanged(touch, expected.node)
        if not check.touched:
            raise ScreenChangedError(f"the screen changed under the finger, so nothing was touched: {check.reason}",
                                     check)
        return points
    if isinstance(action, Tap):
        device.tap(*points[0])
    elif isinstance(action, DoubleTap):
        device.double_tap(*points[0])
    elif isinstance(action, LongPress):
        device.long_press(*points[0])
    elif isinstance(action, Swipe):
        (x1, y1), (x2, y2) = points
        device.swipe(x1, y1, x2, y2)
    elif isinstance(action, Type):
        device.type_text(action.text)
    elif isinstance(action, Launch):
        device.launch(action.app)
    elif isinstance(action, Back):
        device.back()
    elif isinstance(action, Home):
        device.home()
    elif isinstance(action, Wait):
        # The whole duration: a model asks to wait because it expects something (a debounced
        # list, a slow search) that a still screen does not yet show. Settling follows.
        if isinstance(device, Pauses):
            device.pause(action.seconds)
        else:
            time.sleep(max(0.0, action.seconds))
    else:
        raise TypeError(f"{action.kind} is not a device action")
    return points
