"""Which policy a run from the page uses: an engine the person configured (``local`` with no
folder is the embedded policy), or the emulator's expert for goals that match one of the
emulator's known tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoagent.device import Device
from autoagent.plugins import TargetTask, target
from autoagent.policy.base import Policy

ENGINES = ("expert", "openai", "local", "replay")


def expert_task(goal: str) -> TargetTask | None:
    """The emulator task whose goal (English or Chinese) or id is ``goal``, if the expert exists."""
    emulator = target("emulator")
    if emulator is None or emulator.expert is None or emulator.tasks is None:
        return None
    wanted = " ".join(goal.split()).strip().rstrip(".").lower()
    for task in emulator.tasks():
        if wanted in (task.id.lower(), task.goal.strip().rstrip(".").lower(), task.goal_zh.strip().rstrip("。")):
            return task
    return None


def expert_available() -> bool:
    emulator = target("emulator")
    return emulator is not None and emulator.expert is not None


def build_policy(engine: str, task: str, device: Device, options: dict[str, Any]) -> Policy:
    """Raises ValueError for choices that do not fit (shown to the person as is)."""
    if engine == "expert":
        known = expert_task(task)
        if known is None:
            raise ValueError("the expert policy only knows the emulator's own tasks; type one of their goals "
                             "exactly, or choose a model engine")
        from autoagent.safety.human import is_emulator

        if not is_emulator(device):
            raise ValueError("the expert policy plays only the built-in emulator")

        return target("emulator").expert(device, known, None)  # type: ignore[union-attr,misc]
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    from autoagent.policy.factory import make_policy

    def text(key: str) -> str | None:
        value = options.get(key)
        return str(value).strip() or None if value is not None else None

    return make_policy(engine, base_url=text("base_url") if engine == "openai" else None,
                       model=text("model") if engine == "openai" else None,
                       api_key=text("api_key") if engine == "openai" else None,
                       model_path=Path(text("model_path")) if engine == "local" and text("model_path") else None,
                       trace=Path(text("trace")) if engine == "replay" and text("trace") else None,
                       lang=text("lang") or "en")
