"""Traces: one directory per run, written step by step so a crash loses nothing.

Layout::

    TRACE/meta.json        task, device, policy, start time, schema version
    TRACE/steps.jsonl      one StepRecord per line, flushed and fsynced after each step
    TRACE/screens/0001.png the screenshot the step decided on (and 0001.xml, its hierarchy)
    TRACE/result.json      how the run ended; absent if the process died

A step's ``raw`` reply and ``thought`` are stored up to ``MAX_RAW_CHARS`` and
``MAX_THOUGHT_CHARS``: a longer one keeps its beginning and its end (where the action and
the conclusion of the thought are) around a note saying how much was cut. The parsed
action is stored whole in ``answer`` and ``action``.

``TraceMeta.schema_version`` says which layout a trace was written in: 2 since the step's
action, guard verdict and human answer are typed and the run's status is :class:`Status`;
a trace with no version is 1, and still reads (the same fields, held in plain dicts, and
the status "needs_confirmation" for what is now ``Status.NEEDS_HUMAN``).

Encoding a 1080x2400 PNG takes longer than the rest of a step's bookkeeping together, so
files are written by one background thread, in the order they were handed over: the line
of step N reaches steps.jsonl only after its screenshot file exists, and before the policy
is asked about step N + 1 every earlier step is on disk. A kill while the model thinks loses
at most the step in flight; :meth:`TraceWriter.finish` (also on Ctrl-C) drains the queue.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_serializer

from autoagent.actions import Action, action_to_json
from autoagent.perception.observation import Observation
from autoagent.safety.network import NetworkEvent
from autoagent.safety.types import Approval, GuardDecision

STEPS_FILE = "steps.jsonl"
META_FILE = "meta.json"
RESULT_FILE = "result.json"
SCREENS_DIR = "screens"
# A whole AutoGLM reply is a few thousand characters (max_tokens 3000); these keep every
# normal one whole and stop a runaway one from costing megabytes per step, twice.
MAX_RAW_CHARS = 20_000
MAX_THOUGHT_CHARS = 8_000
# A temporary file this old is not being written: its writer was killed (SIGKILL, power).
STALE_TEMP_SECONDS = 60.0


# 1: no version field; action, guard and human were dicts. 2: typed, see the module docstring.
SCHEMA_VERSION = 2


class _TextEnum(str, Enum):
    """A str enum that prints as its value (f-strings, HTML, progress lines), as the plain strings did."""

    def __str__(self) -> str:
        return self.value


class Status(_TextEnum):
    """How a run ended."""

    SUCCESS = "success"
    FAILED = "failed"
    # Stopped for a person: a confirmation refused, a question unanswered, a take-over not done.
    NEEDS_HUMAN = "needs_human"
    STEP_LIMIT = "step_limit"
    # The agent kept repeating an action that changed nothing (autoagent.loops), after being told.
    LOOP = "loop"
    ERROR = "error"
    INTERRUPTED = "interrupted"

    @classmethod
    def _missing_(cls, value: object) -> "Status | None":
        # Version 1 traces, and scenarios written for them, call NEEDS_HUMAN by its old name.
        return cls.NEEDS_HUMAN if value == "needs_confirmation" else None


class Outcome(_TextEnum):
    """What became of one step."""

    DONE = "done"  # the action ran
    UNPARSEABLE = "unparseable"  # the reply held no valid action; the model is asked again
    TRUNCATED = "truncated"  # the reply was cut off; the model is asked again
    ERROR = "error"  # the policy failed, or the action did (an unknown app)
    FINISHED = "finished"
    NOTED = "noted"
    ANSWERED = "answered"  # the user answered the model's question
    TAKEN_OVER = "taken_over"  # a person did the step on the device
    NEEDS_HUMAN = "needs_human"  # a question or a take-over nobody took
    DENIED = "denied"  # the guard asked for a confirmation, and it was refused
    BLOCKED = "blocked"  # the guard refused the action outright
    SCREEN_CHANGED = "screen_changed"  # the screen changed before the action ran; decided again


class GuardRecord(GuardDecision):
    """The guard's decision on a step; ``recheck``, the one on the screen just before acting,
    when that differed and the action did not run."""

    recheck: GuardDecision | None = None


class Reply(BaseModel):
    """The model's question to the user (AutoGLM's Interact) and the reply; None: nobody answered."""

    question: str
    answer: str | None = None


class TraceMeta(BaseModel):
    task: str
    device: str
    policy: str
    started: float = Field(default_factory=time.time)
    screen_size: tuple[int, int] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION


class StepRecord(BaseModel):
    step: int
    screenshot: str | None = None  # path relative to the trace directory
    hierarchy: str | None = None
    app: str | None = None
    screen_size: tuple[int, int] | None = None
    raw: str = ""  # the model's reply, verbatim
    thought: str = ""
    answer: str = ""  # the action in AutoGLM text
    action: Action | None = None
    pixels: list[tuple[int, int]] = Field(default_factory=list)
    guard: GuardRecord | None = None
    # A confirmation or take-over answered (or refused), or the model's question and its reply.
    human: Approval | Reply | None = None
    outcome: Outcome = Outcome.DONE
    error: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # milliseconds
    # Requests the network guard held and asked about, or let go on this step's yes, since the
    # previous record (a browser's late side effects land on the next step's record).
    network: list[NetworkEvent] = Field(default_factory=list)
    # The loop this step made (autoagent.loops): the warning the model was given, or why the run ended.
    loop: str | None = None

    @property
    def waited_ms(self) -> float:
        """Time this step spent waiting for the person's answers (``timings["human"]``)."""
        return self.timings.get("human", 0.0)

    @property
    def own_ms(self) -> float:
        """The step's own time: its whole ``total`` less the wait for the person."""
        return max(0.0, self.timings.get("total", 0.0) - self.waited_ms)

    @field_serializer("action")
    def _action_json(self, action: Action | None) -> dict[str, object] | None:
        # As every other place writes an action: unset options left out.
        return None if action is None else action_to_json(action)


class RunResult(BaseModel):
    status: Status
    message: str = ""
    steps: int = 0
    finished: float = Field(default_factory=time.time)


class Trace(BaseModel):
    path: Path
    meta: TraceMeta
    steps: list[StepRecord]
    result: RunResult | None  # None: the run did not end cleanly (crash, kill)
    damaged_lines: int = 0  # lines that could not be read (a write cut short by a crash)


def clip_middle(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters; else its head and tail around a note of the cut."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - 80)  # room for the note
    head = keep // 2
    tail = keep - head
    cut = len(text) - head - tail
    return (f"{text[:head]}\n[... {cut:,} characters cut: the text was too long to keep whole ...]\n"
            f"{text[len(text) - tail:]}")


def clip_record(record: StepRecord) -> StepRecord:
    """The record with its reply and thought clipped to what a trace keeps."""
    raw = clip_middle(record.raw, MAX_RAW_CHARS)
    thought = clip_middle(record.thought, MAX_THOUGHT_CHARS)
    if raw is record.raw and thought is record.thought:
        return record
    return record.model_copy(update={"raw": raw, "thought": thought})


def remove_stale_temp(path: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Delete the ``*.tmp`` files a killed run left in trace ``path``; return them.

    Only files untouched for ``older_than`` seconds go: a run still writing its trace
    replaces its temporary files within a second.
    """
    now = time.time()
    removed = []
    for tmp in [*path.glob("*.tmp"), *(path / SCREENS_DIR).glob("*.tmp")]:
        try:
            if now - tmp.stat().st_mtime >= older_than:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:
            pass  # its writer finished it meanwhile
    return removed


def _slug(text: str) -> str:
    # Letters and digits of any script, so that "关掉无线网络" names its trace as "turn off wifi" does.
    words = re.sub(r"[\W_]+", "-", text).strip("-").lower()
    return words[:40].rstrip("-") or "run"


class TraceWriter:
    """Appends steps to a trace directory as they happen.

    ``background=False`` writes every file before the call returns (simpler to reason
    about, and what a caller with no model time to hide the encoding behind may prefer).
    """

    def __init__(self, path: Path, meta: TraceMeta, background: bool = True, screenshots: bool = True) -> None:
        self.path = path
        # False: hierarchies only (text-only training data needs no pixels, and PNGs are
        # most of a trace's time and size).
        self.screenshots = screenshots
        (path / SCREENS_DIR).mkdir(parents=True, exist_ok=True)
        _write_json_atomic(path / META_FILE, meta.model_dump(mode="json"))
        self._steps = open(path / STEPS_FILE, "a", encoding="utf-8")
        self._queue: queue.Queue[tuple[int, Callable[[], None]] | None] | None = None
        self._lock = threading.Condition()
        self._queued = 0  # jobs handed over so far
        self._written = 0  # jobs finished (in order: one worker)
        self._failure: BaseException | None = None
        if background:
            self._queue = queue.Queue()
            self._worker = threading.Thread(target=self._work, name=f"trace-writer:{path.name}", daemon=True)
            self._worker.start()

    @classmethod
    def create(cls, root: Path, meta: TraceMeta, background: bool = True, screenshots: bool = True) -> "TraceWriter":
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = root / f"{stamp}-{_slug(meta.task)}"
        path = base
        n = 1
        while True:
            # Claimed by creating it: runs on several devices that start the same task in the same
            # second, in threads or in processes, each get a folder of their own.
            try:
                path.mkdir(parents=True)
                break
            except FileExistsError:
                n += 1
                path = Path(f"{base}-{n}")
        return cls(path, meta, background=background, screenshots=screenshots)

    # ------------------------------------------------------------------ the writer thread

    def _work(self) -> None:
        assert self._queue is not None
        while True:
            item = self._queue.get()
            if item is None:
                return
            _, job = item
            try:
                if self._failure is None:
                    job()
            except BaseException as err:  # disk full, permissions: reported to the caller's next call
                self._failure = err
            with self._lock:
                self._written += 1
                self._lock.notify_all()

    def _submit(self, job: Callable[[], None]) -> int:
        """Run ``job`` after every job handed over before it; return its sequence number."""
        self._raise_failure()
        if self._queue is None:
            job()
            return 0
        with self._lock:
            self._queued += 1
            seq = self._queued
        self._queue.put((seq, job))
        return seq

    def _wait(self, seq: int) -> None:
        """Block until jobs 1..seq are on disk."""
        if self._queue is None:
            return
        with self._lock:
            while self._written < seq and self._worker.is_alive():
                self._lock.wait(timeout=1.0)
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            err, self._failure = self._failure, None
            raise OSError(f"cannot write the trace in {self.path}: {err}") from err

    def flush(self) -> None:
        """Return once everything handed over is on disk."""
        self._wait(self._queued)

    # ------------------------------------------------------------------ public API

    def save_observation(self, step: int, observation: Observation) -> tuple[str | None, str | None]:
        """Hand over the step's screenshot (and hierarchy); return their relative paths.

        Returns once every earlier step is on disk; this step's files are written while the
        policy decides.
        """
        shot = f"{SCREENS_DIR}/{step:04d}.png" if self.screenshots else None
        xml_rel = f"{SCREENS_DIR}/{step:04d}.xml" if observation.hierarchy else None
        image, hierarchy = observation.screenshot, observation.hierarchy

        def write() -> None:
            # Level 1: lossless for replay checks at a fraction of the default level's time.
            # Written under a temporary name so a file that exists is a whole file.
            if shot:
                target = self.path / shot
                tmp = target.with_name(target.name + ".tmp")
                image.save(tmp, format="PNG", compress_level=1)
                os.replace(tmp, target)
            if xml_rel and hierarchy:
                (self.path / xml_rel).write_text(hierarchy, encoding="utf-8")

        seq = self._submit(write)
        self._wait(seq - 1)
        return shot, xml_rel

    def append(self, record: StepRecord) -> None:
        """Queue the step's line; it is written (flushed, fsynced) after its screenshot."""
        line = clip_record(record).model_dump_json() + "\n"

        def write() -> None:
            self._steps.write(line)
            self._steps.flush()
            os.fsync(self._steps.fileno())

        self._submit(write)

    def finish(self, result: RunResult) -> None:
        try:
            self.flush()
        finally:
            _write_json_atomic(self.path / RESULT_FILE, result.model_dump(mode="json"))
            self.close()

    def close(self) -> None:
        if self._queue is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join()
        if not self._steps.closed:
            self._steps.close()


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


class TraceError(ValueError):
    """A directory that is not a readable trace."""


def read_trace(path: str | Path) -> Trace:
    """Read a trace back, keeping every complete step even if the run crashed."""
    path = Path(path)
    meta_file = path / META_FILE
    if not meta_file.is_file():
        raise TraceError(f"{path} is not a trace: {META_FILE} is missing")
    try:
        data = json.loads(meta_file.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data.setdefault("schema_version", 1)  # written before traces had a version
        meta = TraceMeta.model_validate(data)
    except json.JSONDecodeError as err:
        raise TraceError(f"{meta_file} is damaged: {err.msg}") from None
    except ValidationError as err:
        raise TraceError(f"{meta_file} is damaged: {err.errors()[0]['msg']}") from None
    steps: list[StepRecord] = []
    damaged = 0
    steps_file = path / STEPS_FILE
    if steps_file.is_file():
        for line in steps_file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                steps.append(StepRecord.model_validate_json(line))
            except ValidationError:
                damaged += 1
    result = None
    result_file = path / RESULT_FILE
    if result_file.is_file():
        try:
            result = RunResult.model_validate_json(result_file.read_text(encoding="utf-8"))
        except ValidationError:
            result = None
    return Trace(path=path, meta=meta, steps=steps, result=result, damaged_lines=damaged)
