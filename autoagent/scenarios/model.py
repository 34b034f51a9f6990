"""The scenario file format, as pydantic models.

A scenario names a target, optional set-up steps, the steps themselves (explicit taps and
typing, waits, and natural-language goal steps for a policy), what it pre-approves, limits,
and what must be true afterwards. See ``scenarios/README.md`` for the YAML form.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, model_validator

from autoagent.trace import Status

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------------------- targets


class EmulatorTarget(BaseModel):
    model_config = _STRICT
    seed: int = 0
    hazards: bool | list[Literal["ads", "permissions", "slow", "errors"]] = False
    app: str | None = None  # opened before the first step


class AndroidTarget(BaseModel):
    model_config = _STRICT
    # A serial, or "auto": the n-th of --android-serial for the n-th parallel worker.
    serial: str = "auto"
    app: str | None = None


class BrowserTarget(BaseModel):
    model_config = _STRICT
    # "demo:/shop" serves the built-in demo site for this scenario and opens /shop on it.
    url: str
    mobile: bool = False
    seed: int = 0  # demo site seed
    sites: dict[str, str] = Field(default_factory=dict)  # extra names for Launch; "demo:" allowed


class Target(BaseModel):
    model_config = _STRICT
    emulator: EmulatorTarget | None = None
    android: AndroidTarget | None = None
    browser: BrowserTarget | None = None

    @model_validator(mode="after")
    def _one(self) -> "Target":
        given = [k for k in ("emulator", "android", "browser") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("name exactly one target: emulator, android or browser"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("emulator", "android", "browser") if getattr(self, k) is not None)


# ---------------------------------------------------------------------------- steps


class Selector(BaseModel):
    """An element on screen: by text, part of its label, resource-id, description or class."""

    model_config = _STRICT
    text: str | None = None
    contains: str | None = None
    id: str | None = Field(default=None, alias="id")
    desc: str | None = None
    cls: str | None = Field(default=None, alias="class")
    nth: int = Field(default=0, ge=0)  # which match, in document order
    point: tuple[int, int] | None = None  # 0-999; no lookup
    scroll: bool = True  # swipe up to find an element below the fold

    @model_validator(mode="after")
    def _something(self) -> "Selector":
        keys = [self.text, self.contains, self.id, self.desc, self.cls]
        if self.point is None and all(k is None for k in keys):
            raise ValueError("say which element: text, contains, id, desc, class or point")
        if self.point is not None and any(k is not None for k in keys):
            raise ValueError("point is a fixed spot; do not combine it with text/id/desc/class")
        if self.point is not None and not all(0 <= v <= 999 for v in self.point):
            raise ValueError(f"point {list(self.point)} is outside 0-999")
        return self

    def describe(self) -> str:
        if self.point is not None:
            return f"point {list(self.point)}"
        parts = [f"{k}={v!r}" for k, v in (("text", self.text), ("contains", self.contains), ("id", self.id),
                                            ("desc", self.desc), ("class", self.cls)) if v is not None]
        if self.nth:
            parts.append(f"nth={self.nth}")
        return " ".join(parts)


def _selector(value: Any) -> Any:
    # `tap: "Search"` is `tap: {text: "Search"}`; `tap: [500, 300]` is a point.
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, (list, tuple)):
        return {"point": value}
    return value


class _Step(BaseModel):
    model_config = _STRICT


class TapStep(_Step):
    tap: Selector

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if isinstance(data, dict) and "tap" in data:
            return {**data, "tap": _selector(data["tap"])}
        return data


class LongPressStep(_Step):
    long_press: Selector

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if isinstance(data, dict) and "long_press" in data:
            return {**data, "long_press": _selector(data["long_press"])}
        return data


class TypeStep(_Step):
    type: str  # a trailing "\n" presses Enter


class SwipeSpec(BaseModel):
    model_config = _STRICT
    start: tuple[int, int] = Field(alias="from")
    end: tuple[int, int] = Field(alias="to")


SWIPES = {"up": ((500, 750), (500, 300)), "down": ((500, 300), (500, 750)),
          "left": ((850, 500), (150, 500)), "right": ((150, 500), (850, 500))}


class SwipeStep(_Step):
    # "up" moves the content up (the finger goes up), showing what is below.
    swipe: Literal["up", "down", "left", "right"] | SwipeSpec


class LaunchStep(_Step):
    launch: str = Field(min_length=1)


class KeyStep(_Step):
    key: Literal["back", "home"]


class WaitFor(BaseModel):
    model_config = _STRICT
    text: str | None = None
    contains: str | None = None
    id: str | None = None
    gone: bool = False  # wait until it is no longer there
    timeout: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _something(self) -> "WaitFor":
        if self.text is None and self.contains is None and self.id is None:
            raise ValueError("wait_for needs text, contains or id")
        return self


class WaitForStep(_Step):
    wait_for: WaitFor

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("wait_for"), str):
            return {**data, "wait_for": {"contains": data["wait_for"]}}
        return data


class GoalStep(_Step):
    goal: str = Field(min_length=1)
    max_steps: int = Field(default=20, ge=1, le=200)


STEP_KINDS: dict[str, type[_Step]] = {
    "tap": TapStep, "long_press": LongPressStep, "type": TypeStep, "swipe": SwipeStep, "launch": LaunchStep,
    "key": KeyStep, "wait_for": WaitForStep, "goal": GoalStep,
}
# Bare words in a step list: `- back`, `- home`.
BARE_STEPS = {"back": {"key": "back"}, "home": {"key": "home"}}


def _bare(value: Any) -> Any:
    return BARE_STEPS.get(value, value) if isinstance(value, str) else value


def _step_kind(value: Any) -> str | None:
    if isinstance(value, _Step):
        return next(k for k, c in STEP_KINDS.items() if isinstance(value, c))
    if isinstance(value, dict):
        kinds = [k for k in value if k in STEP_KINDS]
        return kinds[0] if len(kinds) == 1 else None
    return None


Step = Annotated[
    Union[tuple(Annotated[cls, Tag(kind)] for kind, cls in STEP_KINDS.items())],  # type: ignore[misc]
    Discriminator(_step_kind, custom_error_type="step_kind",
                  custom_error_message="a step needs exactly one of: " + ", ".join(STEP_KINDS)
                  + " (or the bare words back, home)"),
    BeforeValidator(_bare),
]


# ---------------------------------------------------------------------------- policy, limits


class EngineSpec(BaseModel):
    """The policy for goal steps (``autoagent.policy.factory.make_policy`` options)."""

    model_config = _STRICT
    name: Literal["openai", "local", "replay"]
    base_url: str | None = None
    model: str | None = None
    model_path: str | None = None
    trace: str | None = None  # replay: relative to the scenario file
    lang: Literal["en", "zh"] = "en"
    # replay only: check each screen against the recording and re-find tapped elements.
    verify: bool = True


class Limits(BaseModel):
    model_config = _STRICT
    max_steps: int = Field(default=60, ge=1, le=1000)
    timeout: float = Field(default=120.0, gt=0)  # seconds for the whole run


# ---------------------------------------------------------------------------- expectations


class StateExpect(BaseModel):
    """Records in an app's state (emulator) or the demo site's state (browser)."""

    model_config = _STRICT
    app: str | None = None  # emulator app ("shop", "travel"...); omit for phone payments / the web site
    # orders, bookings, reservations, payments, paid_orders...; omitted: the app's state itself
    # (settings: {app: settings, where: {wifi: false}}).
    of: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)  # dotted paths; lists match any element
    count: int | None = Field(default=None, ge=0)  # exact; default: at least one


class ElementExpect(BaseModel):
    model_config = _STRICT
    text: str | None = None
    contains: str | None = None
    id: str | None = None
    desc: str | None = None
    cls: str | None = Field(default=None, alias="class")


class Expectation(BaseModel):
    """One check after the run; exactly one field is set."""

    model_config = _STRICT
    status: Status | None = None  # the older "needs_confirmation" reads as needs_human
    state: StateExpect | None = None
    screen_has: str | None = None
    screen_lacks: str | None = None
    element: ElementExpect | None = None
    no_element: ElementExpect | None = None
    task: str | None = None  # an emulator.tasks id whose check must pass

    @model_validator(mode="after")
    def _one(self) -> "Expectation":
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("each expectation has exactly one of: " + ", ".join(type(self).model_fields))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)


# ---------------------------------------------------------------------------- scenario


class Scenario(BaseModel):
    model_config = _STRICT
    id: str = Field(default="", pattern=r"^[A-Za-z0-9_.\-]*$")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    target: Target
    setup: list[Step] = Field(default_factory=list)
    goal: str | None = None  # shorthand for a single goal step
    steps: list[Step] = Field(default_factory=list)
    engine: EngineSpec | None = None
    # What the scenario pre-approves: {payment: approve}. Honoured only on the emulator.
    confirm: dict[str, Literal["approve", "deny"]] = Field(default_factory=dict)
    answers: list[str] = Field(default_factory=list)  # replies to the policy's questions
    limits: Limits = Field(default_factory=Limits)
    expect: list[Expectation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> "Scenario":
        if self.goal is not None and self.steps:
            raise ValueError("give either goal or steps (a goal can be a step: `- goal: ...`)")
        if self.goal is None and not self.steps:
            raise ValueError("the scenario does nothing: give steps or a goal")
        has_goal = self.goal is not None or any(isinstance(s, GoalStep) for s in self.steps)
        if has_goal and self.engine is None and self.target.emulator is None:
            raise ValueError("goal steps on a phone or a browser need a policy: add engine: "
                             "{name: openai|local|replay, ...} (on the emulator, the embedded policy is the default)")
        return self

    def goal_engine(self) -> EngineSpec | None:
        """The policy of goal steps: the scenario's own, else the emulator's default."""
        if self.engine is not None or self.target.emulator is None:
            return self.engine
        from autoagent.policy.factory import EMULATOR_ENGINE

        return EngineSpec(name=EMULATOR_ENGINE)

    def all_steps(self) -> list[Step]:
        main: list[Step] = [GoalStep(goal=self.goal, max_steps=self.limits.max_steps)] if self.goal else list(self.steps)
        return [*self.setup, *main]

    def task_text(self) -> str:
        if self.goal:
            return self.goal
        goals = [s.goal for s in self.steps if isinstance(s, GoalStep)]
        return self.description or (goals[0] if goals else f"scenario {self.id}")

    def approved_categories(self) -> set[str]:
        return {k for k, v in self.confirm.items() if v == "approve"}
