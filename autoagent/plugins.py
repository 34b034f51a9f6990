"""Targets that plug into autoagent: a virtual phone, a demo site, anything with its own apps.

A target is found through the ``autoagent.targets`` entry point group, so autoagent never
imports one by name and dependencies run one way: the target uses autoagent's public device,
perception and policy interfaces, and autoagent reads what the target supplies here::

    [project.entry-points."autoagent.targets"]
    emulator = "emulator.target:TARGET"      # an autoagent.plugins.Target

Everything but the name is optional; a target fills in what it has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

GROUP = "autoagent.targets"


@runtime_checkable
class TargetTask(Protocol):
    """A task with AndroidWorld's shape; ``device`` is the target's own device."""

    id: str
    goal: str
    goal_zh: str
    payment: bool  # finishing it needs a payment (so a human's yes)

    def initialize_task(self, device: Any) -> None: ...

    def is_successful(self, device: Any) -> bool: ...

    def tear_down(self, device: Any) -> None: ...


class Command(BaseModel):
    """A subcommand of ``autoagent`` that the target owns, parser included."""

    model_config = ConfigDict(frozen=True)

    help: str
    main: Callable[[list[str]], int]


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str  # also the device spec that opens it (``--device emulator``)
    # Human app names (lower case) -> the target's packages; a phone that reaches the target
    # over adb tries these before a real phone's own packages.
    apps: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # Packages of the target's apps that take payments (added to the guard's payment apps).
    payment_apps: tuple[str, ...] = ()
    # open_device(seed=0, hazards=False) -> autoagent.device.Device
    open_device: Callable[..., Any] | None = None
    # tasks() -> the target's own tasks, each a TargetTask
    tasks: Callable[[], Sequence[TargetTask]] | None = None
    # expert(device, task, lang) -> autoagent.policy.base.Policy that solves one of tasks()
    expert: Callable[[Any, TargetTask, str | None], Any] | None = None
    # vocabulary() -> autoagent.voice.domain.Domain: the names speech recognition should know
    vocabulary: Callable[[], Any] | None = None
    # demo_site(seed) -> a context manager yielding a site with .url and .state (browser scenarios)
    demo_site: Callable[[int], AbstractContextManager[Any]] | None = None
    commands: dict[str, Command] = Field(default_factory=dict)

    def task(self, task_id: str) -> TargetTask:
        tasks = self.tasks() if self.tasks is not None else ()
        for task in tasks:
            if task.id == task_id:
                return task
        raise KeyError(f"no task {task_id!r}; tasks: {', '.join(t.id for t in tasks)}")


@lru_cache(maxsize=1)
def targets() -> Mapping[str, Target]:
    """Every installed target by name (loaded once)."""
    found: dict[str, Target] = {}
    for point in entry_points(group=GROUP):
        target = point.load()
        if not isinstance(target, Target):
            raise TypeError(f"entry point {point.name} = {point.value} in {GROUP} is not an autoagent.plugins.Target")
        found[target.name] = target
    return found


def target(name: str) -> Target | None:
    return targets().get(name)


def app_aliases(own: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """``own`` names with every target's packages in front (first installed one wins)."""
    merged = {name: tuple(packages) for name, packages in own.items()}
    for plugged in targets().values():
        for name, packages in plugged.apps.items():
            merged[name] = tuple(dict.fromkeys((*packages, *merged.get(name, ()))))
    return merged


def payment_apps(own: Sequence[str]) -> tuple[str, ...]:
    """``own`` payment apps and every target's."""
    return tuple(dict.fromkeys((*own, *(app for t in targets().values() for app in t.payment_apps))))
