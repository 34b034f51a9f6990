"""The action space shared by every policy and every device.

Coordinates are always AutoGLM's relative 0-999 space here. They become device
pixels only in :func:`autoagent.geometry.to_pixels`, called by the executor.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

RELATIVE_MAX = 999


class RelativePoint(BaseModel):
    """A point in AutoGLM's 0-999 screen space (0,0 top-left, 999,999 bottom-right)."""

    model_config = ConfigDict(frozen=True)

    x: int = Field(ge=0, le=RELATIVE_MAX)
    y: int = Field(ge=0, le=RELATIVE_MAX)

    @classmethod
    def of(cls, value: "RelativePoint | tuple[int, int] | list[int]") -> "RelativePoint":
        if isinstance(value, RelativePoint):
            return value
        x, y = value
        return cls(x=x, y=y)

    def as_list(self) -> list[int]:
        return [self.x, self.y]


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("element", "start", "end", mode="before", check_fields=False)
    @classmethod
    def _coerce_point(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError(f"a point needs exactly two numbers, got {list(value)!r}")
            return {"x": value[0], "y": value[1]}
        return value


class Tap(_Action):
    kind: Literal["Tap"] = "Tap"
    element: RelativePoint
    # AutoGLM marks sensitive taps (payments, sending) with a message.
    message: str | None = None


class DoubleTap(_Action):
    kind: Literal["DoubleTap"] = "DoubleTap"
    element: RelativePoint


class LongPress(_Action):
    kind: Literal["LongPress"] = "LongPress"
    element: RelativePoint


class Swipe(_Action):
    kind: Literal["Swipe"] = "Swipe"
    start: RelativePoint
    end: RelativePoint


class Type(_Action):
    kind: Literal["Type"] = "Type"
    text: str


class Launch(_Action):
    kind: Literal["Launch"] = "Launch"
    app: str = Field(min_length=1)


class Back(_Action):
    kind: Literal["Back"] = "Back"


class Home(_Action):
    kind: Literal["Home"] = "Home"


class Wait(_Action):
    kind: Literal["Wait"] = "Wait"
    seconds: float = Field(default=1.0, ge=0.0, le=60.0)


class TakeOver(_Action):
    kind: Literal["TakeOver"] = "TakeOver"
    message: str = ""


class Note(_Action):
    kind: Literal["Note"] = "Note"
    message: str = ""


class Interact(_Action):
    kind: Literal["Interact"] = "Interact"
    message: str = ""


class Finish(_Action):
    kind: Literal["Finish"] = "Finish"
    message: str = ""


Action = Annotated[
    Union[Tap, DoubleTap, LongPress, Swipe, Type, Launch, Back, Home, Wait, TakeOver, Note, Interact, Finish],
    Field(discriminator="kind"),
]

ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)

# Actions that touch a point on the screen, and so can hit a payment button.
POINTER_ACTIONS = (Tap, DoubleTap, LongPress, Swipe)


def action_from_json(data: dict[str, object]) -> Action:
    return ACTION_ADAPTER.validate_python(data)


def action_to_json(action: Action) -> dict[str, object]:
    return action.model_dump(mode="json", exclude_none=True)
