"""The MCP tools: list the devices, run a task, observe the screen, perform one action.

Every action runs through :class:`autoagent.engine.StepEngine` with the screen guard, exactly as
the agent's own. When the guard wants the person's yes, the question goes to the client as a
form elicitation, in the way the negotiated protocol carries it: a request sent during the call
(protocol 2025-11-25 and before) or an ``input_required`` result the client answers by calling
again (2026-07-28). A client that declared no elicitation gets a no. No tool takes an approval
as an argument, so the model driving the client cannot grant itself a payment: only an answer
to the elicitation, which the client shows its user, can.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import (CallToolResult, ElicitRequest, ElicitRequestFormParams, ElicitResult, ImageContent,
                       InputRequiredResult, TextContent)
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autoagent.agent import Agent
from autoagent.device import DeviceError
from autoagent.engine import Ending
from autoagent.grammar import UnparseableReply
from autoagent.mcp.devices import DeviceBusy, DevicePool, Slot
from autoagent.mcp.relay import ANSWER_TIMEOUT_S, ANSWERED_BY, Answer, Job, Progress, Question, Stopped
from autoagent.perception.hierarchy import render_compact
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision, Policy, PolicyError, StepInput, prepare_next
from autoagent.policy.factory import EMULATOR_ENGINE
from autoagent.policy.reply import decide_from_text
from autoagent.safety.human import is_emulator
from autoagent.trace import Status
from autoagent.web.policies import build_policy

# The first protocol revision that carries elicitation in an input_required result.
INPUT_REQUIRED_VERSION = "2026-07-28"
# Screens go to the client no larger than this on their long side: the model reads 0-999
# coordinates, so the scale does not matter, and a full 1080x2400 PNG costs a client's context dearly.
IMAGE_LONG_SIDE = 1280
ACT_TASK = "actions asked for by an MCP client"

INSTRUCTIONS = """\
autoagent drives phones, its built-in emulator and browsers. Call observe to see a device's screen \
(an image and its elements, each with its centre in 0-999 coordinates), act to perform one action \
in AutoGLM's grammar (do(action="Tap", element=[x,y]), do(action="Type", text="..."), \
do(action="Launch", app="Settings"), do(action="Back"), finish(message="...")), or run_task to let \
the agent carry out a whole task. Payments, purchases, messages, deletions and personal data wait \
for the user's yes, asked through an elicitation; without one the answer is no."""


class ServerConfig(BaseModel):
    """What the person chose when starting the server (the client cannot change any of it)."""

    model_config = ConfigDict(frozen=True)

    devices: list[str] = Field(default_factory=lambda: ["emulator"], min_length=1)
    engine: str | None = None  # None: the embedded policy on the emulator, no policy elsewhere
    engine_options: dict[str, str] = Field(default_factory=dict)  # base_url, model, api_key, model_path, lang
    max_steps: int = Field(default=30, ge=1)
    seed: int = 0
    mobile: bool = False
    traces: Path = Path("traces")


# ---------------------------------------------------------------------------- what the tools return


class DeviceInfo(BaseModel):
    spec: str
    opened: bool
    busy: bool
    name: str | None = None


class RunReport(BaseModel):
    status: Status
    message: str
    steps: int
    trace: str | None = None


class ActReport(BaseModel):
    outcome: str
    message: str = ""  # why the run ended, or what the model should know before its next action
    run_ended: Status | None = None  # the run these actions made up has ended (a new action begins another)
    verdict: str | None = None  # the guard's: allow, confirm, deny
    category: str | None = None
    reason: str = ""
    asked: bool = False  # the person was asked (through the client)
    approved: bool | None = None
    app: str | None = None
    elements: str = ""  # the screen after the action


class Screen(BaseModel):
    app: str | None
    width: int
    height: int
    elements: str


# ---------------------------------------------------------------------------- elicitation forms


class _Confirm(BaseModel):
    approve: bool = Field(description="true lets the agent do exactly this; anything else is no")


class _TakeOver(BaseModel):
    done: bool = Field(description="true once you have done it on the device yourself")


class _Reply(BaseModel):
    answer: str = Field(description="your answer to the agent")


FORMS: dict[str, type[BaseModel]] = {"confirm": _Confirm, "take_over": _TakeOver, "ask": _Reply}


def _interpret(question: Question, action: str, content: Any) -> Answer:
    """An elicitation's outcome as the engine's answer: only an accepted, valid form counts;
    a confirmation only with a JSON true (strict: the string "yes" is not a yes)."""
    if action == "decline" and question.kind != "ask":
        return False  # the person said no (a cancel or a dismissed form is no answer at all)
    if action != "accept" or content is None:
        return None
    try:
        form = FORMS[question.kind].model_validate(content, strict=True)
    except ValidationError:
        return None
    if isinstance(form, _Confirm):
        return form.approve is True
    if isinstance(form, _TakeOver):
        return form.done is True
    return form.answer if isinstance(form, _Reply) else None


def _can_elicit(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare `elicitation: {}` (before modes existed) means forms; url-only does not.
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _input_required(ctx: Context) -> bool:
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, INPUT_REQUIRED_VERSION)


def _result(report: BaseModel) -> CallToolResult:
    data = report.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(data, ensure_ascii=False, indent=1))],
                          structured_content=data)


def _error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def _elements(observation: Observation) -> str:
    try:
        tree = observation.tree
    except ValueError:
        tree = None
    return render_compact(tree.nodes, observation.size) if tree is not None and tree.nodes else ""


def _png(observation: Observation) -> bytes:
    image = observation.screenshot
    scale = IMAGE_LONG_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()


class _Stoppable:
    """The run's policy, which stops the run (as Ctrl-C does) once the client cancels the call."""

    def __init__(self, inner: Policy, job: Job[Any]) -> None:
        self.inner, self.job, self.name = inner, job, inner.name

    def decide(self, step: StepInput) -> Decision:
        if self.job.stopped.is_set():
            raise Stopped()
        return self.inner.decide(step)

    def prepare_next(self, upcoming: StepInput) -> None:
        prepare_next(self.inner, upcoming)

    def close(self) -> None:
        self.inner.close()


@dataclass(frozen=True)
class _Parked:
    """A job waiting for the answer a client will send when it calls the tool again."""

    tool: str
    job: Job[Any]
    question: Question
    finish: Callable[[Any], CallToolResult]
    total: int | None
    since: float


class AgentServer:
    """The tools over a :class:`DevicePool`; :meth:`app` is the MCP server."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.pool = DevicePool(list(config.devices), seed=config.seed, mobile=config.mobile,
                               trace_root=config.traces)
        self._parked: dict[str, _Parked] = {}

    def close(self) -> None:
        for parked in self._parked.values():
            parked.job.stop()
        self.pool.close()

    def app(self) -> MCPServer:
        server: MCPServer = MCPServer("autoagent", instructions=INSTRUCTIONS, log_level="WARNING")
        server.add_tool(self.list_devices, name="list_devices",
                        description="The devices this server may drive (chosen by the user when it started), "
                                    "whether each is open and whether it is busy.")
        server.add_tool(self.observe, name="observe",
                        description="The device's screen now: a screenshot and its elements, one per line: "
                                    "[x,y] centre in 0-999 coordinates, class (* clickable, ^ focused), label.")
        server.add_tool(self.act, name="act",
                        description="Perform one action on the device, in AutoGLM's grammar, e.g. "
                                    "do(action=\"Tap\", element=[500,820]), do(action=\"Type\", text=\"hello\"), "
                                    "do(action=\"Swipe\", start=[500,800], end=[500,300]), "
                                    "do(action=\"Launch\", app=\"Settings\"), do(action=\"Back\"), "
                                    "finish(message=\"done\"). The safety guard judges it first; a payment, "
                                    "purchase, message, deletion or personal data waits for the user's yes "
                                    "(asked through an elicitation; no answer is no). Actions with the same "
                                    "task are steps of one run, recorded in one trace.")
        server.add_tool(self.run_task, name="run_task",
                        description="Let the agent carry out a whole task on the device, reporting progress "
                                    "after each step. Its confirmation questions go to the user as "
                                    "elicitations; without an answer they are no and the run ends as "
                                    "needs_human.")
        return server

    # ---------------------------------------------------------------------------- tools

    async def list_devices(self) -> CallToolResult:
        infos = [DeviceInfo(spec=slot.spec, opened=slot.device is not None, busy=slot.claimed.locked(),
                            name=slot.device.name if slot.device is not None else None)
                 for slot in self.pool.slots()]
        data = {"devices": [info.model_dump(mode="json") for info in infos]}
        return CallToolResult(content=[TextContent(type="text", text=json.dumps(data, indent=1))],
                              structured_content=data)

    async def observe(self, device: str | None = None) -> CallToolResult:
        """device: one of list_devices' specs [default: the first]."""

        def work(job: Job[tuple[bytes, Screen]], slot: Slot) -> tuple[bytes, Screen]:
            observation = self.pool.device(slot).observe()
            width, height = observation.size
            return _png(observation), Screen(app=observation.app, width=width, height=height,
                                             elements=_elements(observation))

        def finish(value: tuple[bytes, Screen]) -> CallToolResult:
            png, screen = value
            data = screen.model_dump(mode="json")
            text = f"app: {screen.app or 'unknown'}, screen {screen.width}x{screen.height}\n{screen.elements}"
            return CallToolResult(content=[ImageContent(type="image", data=base64.b64encode(png).decode(),
                                                        mime_type="image/png"),
                                           TextContent(type="text", text=text)], structured_content=data)

        return await self._start("observe", device, work, finish, None)

    async def act(self, action: str, ctx: Context, device: str | None = None,
                  task: str = ACT_TASK) -> CallToolResult | InputRequiredResult:
        """action: one action in AutoGLM's grammar. device: one of list_devices' specs [default: the first].
        task: what these actions are for, in plain words (the guard reads it); a new task begins a new run."""
        if ctx.request_state:
            return await self._resume("act", ctx)
        try:
            decision = decide_from_text(action, {})
        except UnparseableReply as err:
            return _error(f"cannot read the action: {err.reason}. Write one action such as "
                          'do(action="Tap", element=[500,500]) or finish(message="done").')
        if not task.strip():
            return _error("the task is empty: say what the actions are for, or leave it out")

        def work(job: Job[ActReport], slot: Slot) -> ActReport:
            engine = self.pool.session(slot, task.strip())
            observation, stepped = engine.step(decision)
            ending: Ending | None = stepped.ending
            if ending is not None:
                self.pool.end_session(slot, ending)
                observation = self.pool.device(slot).observe()
            record = stepped.record
            guard = record.guard
            human = record.human
            asked = human is not None and getattr(human, "by", ANSWERED_BY) == ANSWERED_BY
            return ActReport(outcome=stepped.outcome.value, message=ending.message if ending else stepped.feedback,
                             run_ended=ending.status if ending else None,
                             verdict=guard.verdict.value if guard else None, category=guard.category if guard else None,
                             reason=guard.reason if guard else "", asked=asked,
                             approved=getattr(human, "approved", None) if asked else None,
                             app=observation.app, elements=_elements(observation))

        return await self._start("act", device, work, _result, ctx)

    async def run_task(self, task: str, ctx: Context, device: str | None = None,
                       max_steps: int | None = None) -> CallToolResult | InputRequiredResult:
        """task: what to do, in plain words. device: one of list_devices' specs [default: the first].
        max_steps: stop after this many steps [default: the server's]."""
        if ctx.request_state:
            return await self._resume("run_task", ctx)
        if not task.strip():
            return _error("the task is empty: say what the agent should do")
        steps = max_steps or self.config.max_steps
        if steps < 1:
            return _error("max_steps must be at least 1")

        def work(job: Job[RunReport], slot: Slot) -> RunReport:
            self.pool.end_session(slot, Ending(Status.INTERRUPTED, "a task run took the device"))
            device_ = self.pool.device(slot)
            policy = _Stoppable(self._policy(task, device_), job)
            agent = Agent(device=device_, policy=policy, human=slot.human, max_steps=steps,
                          trace_root=self.pool.trace_root,
                          on_step=lambda r: job.progress(r.step, f"{r.answer or r.error or ''} ({r.outcome})"))
            try:
                result = agent.run(task)
            finally:
                policy.close()
            return RunReport(status=result.status, message=result.message, steps=result.steps,
                             trace=str(result.trace_dir) if result.trace_dir else None)

        return await self._start("run_task", device, work, _result, ctx, total=steps)

    # ---------------------------------------------------------------------------- driving a job

    def _policy(self, task: str, device: Any) -> Policy:
        engine = self.config.engine
        if engine is None:
            if not is_emulator(device):
                raise ValueError("this server has no model for run_task on this device: start it with "
                                 "--engine openai --base-url URL (or --engine local)")
            engine = EMULATOR_ENGINE
        return build_policy(engine, task, device, dict(self.config.engine_options))

    async def _start(self, tool: str, device: str | None, work: Callable[[Job[Any], Slot], Any],
                     finish: Callable[[Any], CallToolResult], ctx: Context | None,
                     total: int | None = None) -> CallToolResult | InputRequiredResult:
        try:
            slot = self.pool.claim(device)
        except (ValueError, DeviceBusy) as err:
            return _error(str(err))

        def run(job: Job[Any]) -> Any:
            slot.human.job = job
            try:
                return work(job, slot)
            finally:
                slot.human.job = None

        job: Job[Any] = Job(run, slot.executor, after=lambda: self.pool.release(slot))
        return await self._drive(tool, job, finish, ctx, total)

    async def _drive(self, tool: str, job: Job[Any], finish: Callable[[Any], CallToolResult], ctx: Context | None,
                     total: int | None = None) -> CallToolResult | InputRequiredResult:
        try:
            while True:
                event = await anyio.to_thread.run_sync(job.events.get, abandon_on_cancel=True)
                if isinstance(event, Progress):
                    if ctx is not None:
                        await ctx.report_progress(event.step, total, event.text)
                    continue
                if isinstance(event, Question):
                    if ctx is None or not _can_elicit(ctx):
                        job.answer(event.key, None)  # nobody to ask: no
                    elif _input_required(ctx):
                        return self._park(_Parked(tool, job, event, finish, total, time.monotonic()))
                    else:
                        job.answer(event.key, await self._elicit(ctx, event))
                    continue
                if event.error is not None:
                    return _error(_describe(event.error))
                return finish(event.value)
        except anyio.get_cancelled_exc_class():
            job.stop()
            raise

    async def _elicit(self, ctx: Context, question: Question) -> Answer:
        """Ask during the call (protocol 2025-11-25 and before)."""
        try:
            result = await ctx.session.elicit_form(message=question.message,
                                                   requested_schema=render_elicitation_schema(FORMS[question.kind]),
                                                   related_request_id=ctx.request_id)
        except Exception:  # the client failed to ask: no
            return None
        return _interpret(question, result.action, result.content)

    def _park(self, parked: _Parked) -> InputRequiredResult:
        """Ask by returning (protocol 2026-07-28): the client calls the tool again with the answer,
        and the question's own unguessable key, echoed back, finds the waiting job."""
        self._forget_stale()
        question = parked.question
        self._parked[question.key] = parked
        request = ElicitRequest(params=ElicitRequestFormParams(
            message=question.message, requested_schema=render_elicitation_schema(FORMS[question.kind])))
        return InputRequiredResult(input_requests={question.key: request}, request_state=question.key)

    async def _resume(self, tool: str, ctx: Context) -> CallToolResult | InputRequiredResult:
        parked = self._parked.pop(ctx.request_state or "", None)
        if parked is None or parked.tool != tool:
            return _error("that question is no longer waiting (unanswered questions are a no after "
                          f"{ANSWER_TIMEOUT_S:.0f} s); call the tool again")
        response = (ctx.input_responses or {}).get(parked.question.key)
        answer = _interpret(parked.question, response.action, response.content) \
            if isinstance(response, ElicitResult) else None
        parked.job.answer(parked.question.key, answer)
        return await self._drive(tool, parked.job, parked.finish, ctx, parked.total)

    def _forget_stale(self) -> None:
        now = time.monotonic()
        for token in [t for t, p in self._parked.items() if now - p.since > ANSWER_TIMEOUT_S]:
            self._parked.pop(token)


def _describe(error: BaseException) -> str:
    """A failure as the client reads it: the message alone for the user's mistakes and the device's."""
    if isinstance(error, (ValueError, LookupError, OSError, DeviceError, PolicyError)):
        return str(error)
    return f"{type(error).__name__}: {error}"
