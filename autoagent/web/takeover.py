"""A take-over from the web page: the person's taps, drags and text on the live screen.

While the run waits in a take-over (the model's ``Take_over``, the guard's, or the person's own
press of Take over), the run's thread is parked and the person has the device: :class:`Hands`
says so, and :func:`drive` forwards each input from the page. At any other time the agent is
driving, and input from the page is refused.

The page sends points in AutoGLM's 0-999 space of the image it shows, so the same conversion
to device pixels as the agent's own actions applies (:func:`autoagent.actuators.execute`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, TypeAdapter, ValidationError

from autoagent.actions import RELATIVE_MAX, Action, Swipe, Tap, Type
from autoagent.actuators.execute import execute
from autoagent.device import Device
from autoagent.perception.observation import Observation

MAX_TEXT = 1000  # characters typed in one go; a field's text, not a document
SETTLE_S = 2.0  # the screen the page shows next is the one the input led to
AGENT_DRIVES = "the agent is driving: press Take over and wait until the screen is yours"

Coordinate = Annotated[StrictInt, Field(ge=0, le=RELATIVE_MAX)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TapInput(_Input):
    kind: Literal["tap"]
    x: Coordinate
    y: Coordinate

    def action(self) -> Action:
        return Tap(element=(self.x, self.y))


class SwipeInput(_Input):
    kind: Literal["swipe"]
    x1: Coordinate
    y1: Coordinate
    x2: Coordinate
    y2: Coordinate

    def action(self) -> Action:
        return Swipe(start=(self.x1, self.y1), end=(self.x2, self.y2))


class TypeInput(_Input):
    kind: Literal["type"]
    text: Annotated[StrictStr, Field(min_length=1, max_length=MAX_TEXT)]

    def action(self) -> Action:
        return Type(text=self.text)


ScreenInput = Annotated[Union[TapInput, SwipeInput, TypeInput], Field(discriminator="kind")]
_ADAPTER: TypeAdapter[ScreenInput] = TypeAdapter(ScreenInput)


def parse_input(body: dict[str, Any]) -> TapInput | SwipeInput | TypeInput:
    """The page's input, or ValueError with one line the page can show as is."""
    try:
        return _ADAPTER.validate_python(body)
    except ValidationError as err:
        first = err.errors()[0]
        loc = [str(part) for part in first["loc"]]
        field = loc[-1] if loc else "kind"
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            raise ValueError(f"kind must be tap, swipe or type (got {body.get('kind')!r})") from None
        if first["type"] == "missing":
            raise ValueError(f"{field} is missing for a {body.get('kind')}") from None
        if first["type"] == "extra_forbidden":
            raise ValueError(f"unexpected field {field!r} for a {body.get('kind')}") from None
        if field == "text":
            text = body.get("text")
            size = f"{len(text)} characters" if isinstance(text, str) else repr(text)
            raise ValueError(f"text must be 1 to {MAX_TEXT} characters of text (got {size})") from None
        raise ValueError(f"{field} must be a whole number from 0 to {RELATIVE_MAX}, a point on the screen "
                         f"(got {body.get(field)!r})") from None


class NotTakingOver(Exception):
    """Input from the page while the agent drives."""


class Hands:
    """Who drives the device: the agent, or the person while the agent waits in a take-over.

    The run's thread holds the person's turn (:meth:`person`) for as long as it waits; an input
    in flight when the turn ends finishes before the agent moves again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._person = False

    @property
    def held_by_person(self) -> bool:
        return self._person

    @contextmanager
    def person(self) -> Iterator[None]:
        with self._lock:
            self._person = True
        try:
            yield
        finally:
            with self._lock:
                self._person = False

    def drive(self, device: Device, given: TapInput | SwipeInput | TypeInput) -> Observation:
        """Carry out the person's input and return the screen it settled on; NotTakingOver
        outside a take-over."""
        with self._lock:
            if not self._person:
                raise NotTakingOver(AGENT_DRIVES)
            execute(given.action(), device)
            device.wait_until_settled(SETTLE_S)
            return device.observe()
