"""autoglm-gui, a published AutoGLM client, driving the served emulator through its own adb layer.

What runs is the client's code: ``AutoGLM_GUI.devices.ADBDevice`` (screenshots with
``adb exec-out screencap`` after ``dumpsys display``/``SurfaceFlinger``, the current app from
``dumpsys window``, taps and swipes with ``input``, launches with ``monkey``, typing through the
ADB Keyboard's broadcasts), its ``ActionHandler`` (coordinates, sensitive-tap confirmations) and
its ``GLMParser``, with the ADB Keyboard installed by its own ``ADBKeyboardInstaller``. Only its
model is replaced: recorded AutoGLM replies are played back in order, one per step, the way its
agent takes the ``<answer>`` of each model reply.

The client talks to the emulator through the real ``adb`` binary; the caller points it there
with ANDROID_ADB_SERVER_PORT (see :func:`client_env`).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from emulator.phone import Phone
from emulator.tasks import Task


def expert_replies(task: Task, trace_root: str) -> list[str]:
    """The emulator's expert plays ``task`` in-process through our agent; its replies, in order."""
    from autoagent.agent import Agent
    from autoagent.safety import CallbackHuman
    from autoagent.trace import read_trace
    from emulator.expert import ExpertPolicy

    phone = task.make_phone()
    result = Agent(device=phone, policy=ExpertPolicy(phone, task), human=CallbackHuman(on_confirm=lambda r: True),
                   trace_root=trace_root, max_steps=60).run(task.goal)
    if not result.ok or not task.is_successful(phone):
        raise RuntimeError(f"the expert could not record {task.id}: {result.status} {result.message}")
    return [step.raw for step in read_trace(result.trace_dir).steps if step.raw]


def client_env(adb_port: int) -> dict[str, str]:
    """Environment for the client's adb calls: our server, and no trace files in the working folder."""
    return {"ANDROID_ADB_SERVER_PORT": str(adb_port), "AUTOGLM_TRACE_ENABLED": "0"}


@contextlib.contextmanager
def emulator_apps(phone: Phone) -> Iterator[None]:
    """Teach the client this phone's apps: launcher names -> packages (English and Chinese).

    autoglm-gui resolves ``Launch(app=...)`` and names the current app from this one table, as a
    user edits it; names it already has for other phones' apps ("Contacts" is com.android.contacts
    there) are pointed at this phone's. The table is put back afterwards.
    """
    from AutoGLM_GUI.adb.apps import APP_PACKAGES

    saved = dict(APP_PACKAGES)
    for app in phone.apps.values():
        if app is phone.launcher:
            continue  # the client calls whatever is not in its table "System Home"
        for name in (app.label, app.label_zh):
            APP_PACKAGES[name] = app.package
    try:
        yield
    finally:
        APP_PACKAGES.clear()
        APP_PACKAGES.update(saved)


@contextlib.contextmanager
def client_delays(seconds: float | None) -> Iterator[None]:
    """Set the fixed waits the client sleeps after each action (None keeps its defaults, 1 s each)."""
    from AutoGLM_GUI.adb.timing import TIMING_CONFIG

    saved = [(group, dict(vars(group))) for group in (TIMING_CONFIG.device, TIMING_CONFIG.action)]
    if seconds is not None:
        for group, values in saved:
            for name in values:
                if name.endswith("_delay"):
                    setattr(group, name, seconds)
    try:
        yield
    finally:
        for group, values in saved:
            for name, value in values.items():
                setattr(group, name, value)


def answer_of(reply: str) -> str:
    """The action text of a model reply: what is inside <answer>...</answer>."""
    found = re.search(r"<answer>(.*?)(?:</answer>|$)", reply, flags=re.S)
    return (found.group(1) if found else reply).strip()


@dataclass
class PeerStep:
    reply: str
    action: dict[str, Any]
    success: bool
    message: str | None
    current_app: str
    timings_ms: dict[str, float]


@dataclass
class PeerRun:
    steps: list[PeerStep] = field(default_factory=list)
    confirmations: list[str] = field(default_factory=list)  # sensitive taps the client asked about
    finished: bool = False
    keyboard_setup: str = ""
    wall_s: float = 0.0


def run_replies(serial: str, replies: list[str], confirm: Callable[[str], bool] | None = None) -> PeerRun:
    """Play ``replies`` through the client's device, parser and action handler, one per step.

    ``confirm`` answers the client's question before a sensitive tap (a Tap with ``message``);
    by default it says yes, as the client's web mode does (its confirmation callback there
    returns True and leaves any asking to the front end).
    """
    from AutoGLM_GUI.actions import ActionHandler
    from AutoGLM_GUI.adb_plus.keyboard_installer import ADBKeyboardInstaller
    from AutoGLM_GUI.agents.glm.parser import GLMParser
    from AutoGLM_GUI.devices import ADBDevice

    run = PeerRun()
    started = time.perf_counter()
    ok, message = ADBKeyboardInstaller(serial).auto_setup()
    if not ok:
        raise RuntimeError(f"autoglm-gui could not set up the ADB Keyboard: {message}")
    run.keyboard_setup = message

    def confirmation(text: str) -> bool:
        run.confirmations.append(text)
        return True if confirm is None else confirm(text)

    device = ADBDevice(serial)
    handler = ActionHandler(device, confirmation_callback=confirmation, takeover_callback=lambda text: None)
    parser = GLMParser()
    for reply in replies:
        step = _step(device, handler, parser, reply)
        run.steps.append(step)
        if step.action.get("_metadata") == "finish" or not step.success:
            run.finished = step.action.get("_metadata") == "finish"
            break
    run.wall_s = time.perf_counter() - started
    return run


def _step(device: Any, handler: Any, parser: Any, reply: str) -> PeerStep:
    """One step as the client's agent takes it: screenshot, current app, parse, execute."""
    t0 = time.perf_counter()
    shot = device.get_screenshot()
    t1 = time.perf_counter()
    current_app = device.get_current_app()
    t2 = time.perf_counter()
    action = parser.parse(answer_of(reply))
    result = handler.execute(action, shot.width, shot.height)
    t3 = time.perf_counter()
    timings = {"screenshot": (t1 - t0) * 1000, "current_app": (t2 - t1) * 1000, "act": (t3 - t2) * 1000,
               "total": (t3 - t0) * 1000}
    return PeerStep(reply, action, result.success, result.message, current_app, timings)
