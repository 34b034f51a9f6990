"""A human at a prompt as the policy: each typed line becomes one action, recorded as a trace.

Commands (one per step)::

    tap "Search 搜索"      tap id=search_box      tap contains=T恤     tap 500,300
    long_press "Photo"     type 白色T恤\\n         swipe up|down|left|right
    launch Shop            back                   home                 done [message]
    screen                 help

Targets are looked up in the current hierarchy and aimed at with geometry.to_relative, exactly
as scenario steps are, so a recording holds the same actions a scenario would send.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass, field
from typing import TextIO

from pydantic import ValidationError

from autoagent.actions import Finish
from autoagent.device import Device, UnknownApp
from autoagent.geometry import to_relative
from autoagent.grammar import format_reply
from autoagent.perception.hierarchy import render_compact
from autoagent.policy.base import Decision, StepInput
from autoagent.scenarios.model import KeyStep, LaunchStep, LongPressStep, Selector, Step, SwipeStep, TapStep, TypeStep
from autoagent.scenarios.steps import StepFailed, StepPolicy, find_nodes, selector_query

HELP = __doc__.split("Commands (one per step)::", 1)[1].split("Targets", 1)[0].rstrip() if __doc__ else ""
# Any pair of whole numbers: one outside 0-999 is refused by Selector, not read as a label.
_POINT = re.compile(r"^\s*(-?\d+)\s*[, ]\s*(-?\d+)\s*$")


class CommandError(ValueError):
    """A line the prompt does not understand; the message says what would work."""


def _selector(arg: str) -> Selector:
    arg = arg.strip()
    if not arg:
        raise CommandError("say what to tap: tap \"Label\", tap id=RESOURCE_ID, tap contains=TEXT or tap X,Y")
    m = _POINT.match(arg)
    if m:
        return Selector(point=(int(m.group(1)), int(m.group(2))))
    try:
        words = shlex.split(arg)
    except ValueError as err:
        raise CommandError(f"cannot read {arg!r}: {err}") from None
    if len(words) == 1 and "=" in words[0] and words[0].split("=", 1)[0] in ("id", "text", "contains", "desc", "class"):
        key, value = words[0].split("=", 1)
        return Selector.model_validate({key: value, "scroll": False})
    return Selector(text=" ".join(words), scroll=False)


def parse_command(line: str) -> Step | str:
    """A step, or one of the words "done", "screen", "help" (with "done:" + message)."""
    line = line.strip()
    verb, _, rest = line.partition(" ")
    verb = verb.lower()
    try:
        if verb in ("tap", "long_press"):
            sel = _selector(rest)
            return TapStep(tap=sel) if verb == "tap" else LongPressStep(long_press=sel)
        if verb == "type":
            if not rest:
                raise CommandError("type what? e.g. type 白色T恤\\n (\\n presses Enter)")
            return TypeStep(type=rest.replace("\\n", "\n"))
        if verb == "swipe":
            return SwipeStep(swipe=rest.strip().lower())  # type: ignore[arg-type]
        if verb == "launch":
            return LaunchStep(launch=rest.strip())
        if verb in ("back", "home") and not rest:
            return KeyStep(key=verb)  # type: ignore[arg-type]
    except ValidationError as err:
        raise CommandError(f"{verb}: {err.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    if verb == "done":
        return "done:" + rest.strip()
    if verb in ("screen", "help", "?"):
        return "help" if verb in ("help", "?") else "screen"
    raise CommandError(f"unknown command {line!r}; type help")


@dataclass
class PromptPolicy:
    """Asks a person for each action; ``done`` (or the end of input) finishes the recording."""

    device: Device
    stdin: TextIO = sys.stdin
    out: TextIO = sys.stderr
    name: str = "human"
    actions: int = field(default=0, init=False)

    def _show(self, step: StepInput) -> None:
        obs = step.observation
        screen = render_compact(obs.tree.nodes, obs.size) if obs.tree else "(no hierarchy)"
        self.out.write(f"\n--- step {step.step} · {obs.app or '?'} ---\n{screen}\n")

    def decide(self, step: StepInput) -> Decision:
        self._show(step)
        while True:
            self.out.write("record> ")
            self.out.flush()
            line = self.stdin.readline()
            if not line:
                return self._finish("input ended")
            if not line.strip():
                continue
            try:
                parsed = parse_command(line)
            except CommandError as err:
                self.out.write(f"  {err}\n")
                continue
            if parsed == "help":
                self.out.write(HELP + "\n")
                continue
            if parsed == "screen":
                self._show(step)
                continue
            if isinstance(parsed, str):
                return self._finish(parsed.removeprefix("done:") or "recording done")
            problem = self._refusal(parsed, step)
            if problem:
                self.out.write(f"  {problem}\n")
                continue
            try:
                decision = StepPolicy([parsed], self.device).decide(step)
            except StepFailed as err:
                self.out.write(f"  {str(err).split(': ', 1)[-1]}\n")
                continue
            self.actions += 1
            return Decision(raw=format_reply(line.strip(), decision.action), thought=line.strip(),
                            action=decision.action)

    def _refusal(self, parsed: Step, step: StepInput) -> str | None:
        """Why a command must not be recorded as it stands: an app the device does not have (the
        trace would replay a launch that fails), or a label that names several elements (the
        recording would hold whichever came first)."""
        if isinstance(parsed, LaunchStep):
            resolve = getattr(self.device, "resolve_app", None)
            if resolve is not None:
                try:
                    resolve(parsed.launch)
                except UnknownApp as err:
                    return str(err)
            return None
        sel = parsed.tap if isinstance(parsed, TapStep) else parsed.long_press if isinstance(parsed, LongPressStep) \
            else None
        tree = step.observation.tree
        if sel is None or sel.point is not None or tree is None:
            return None
        matches = find_nodes(tree.nodes, **selector_query(sel))
        if len(matches) < 2:
            return None
        size = step.observation.size
        choices = "; ".join(
            f"tap {to_relative(n.center, size).x},{to_relative(n.center, size).y}"
            + (f" or tap id={n.resource_id.split(':id/', 1)[-1]}" if n.resource_id else "")
            + f" ({n.cls.rsplit('.', 1)[-1]})" for n in matches)
        return f"{len(matches)} elements match {sel.describe()}; say which: {choices}"

    def _finish(self, message: str) -> Decision:
        action = Finish(message=message)
        return Decision(raw=format_reply("recording finished", action), thought="recording finished", action=action)

    def close(self) -> None:
        pass
