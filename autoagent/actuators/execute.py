"""Carry out an action on a device: the only place relative points become pixels."""

from __future__ import annotations

import time

from autoagent.actions import Action, Back, DoubleTap, Home, Launch, LongPress, Swipe, Tap, Type, Wait
from autoagent.device import Device, Pauses
from autoagent.geometry import to_pixels


def pixel_points(action: Action, size: tuple[int, int]) -> list[tuple[int, int]]:
    """The device pixels an action touches, in order (one for taps, two for swipes)."""
    if isinstance(action, (Tap, DoubleTap, LongPress)):
        return [to_pixels(action.element, size)]
    if isinstance(action, Swipe):
        return [to_pixels(action.start, size), to_pixels(action.end, size)]
    return []


def execute(action: Action, device: Device) -> list[tuple[int, int]]:
    """Perform a device-level action and return the pixels it touched.

    Actions that are for the agent itself (Finish, Note, TakeOver, Interact) are not
    device operations; passing one is a programming error.
    """
    points = pixel_points(action, device.screen_size())
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
