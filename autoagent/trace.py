"""Traces: one directory per run, written step by step so a crash loses nothing.

Layout::

    TRACE/meta.json        task, device, policy, start time
    TRACE/steps.jsonl      one StepRecord per line, flushed and fsynced after each step
    TRACE/screens/0001.png the screenshot the step decided on (and 0001.xml, its hierarchy)
    TRACE/result.json      how the run ended; absent if the process died
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from autoagent.perception.observation import Observation

STEPS_FILE = "steps.jsonl"
META_FILE = "meta.json"
RESULT_FILE = "result.json"
SCREENS_DIR = "screens"


class TraceMeta(BaseModel):
    task: str
    device: str
    policy: str
    started: float = Field(default_factory=time.time)
    screen_size: tuple[int, int] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class StepRecord(BaseModel):
    step: int
    screenshot: str | None = None  # path relative to the trace directory
    hierarchy: str | None = None
    app: str | None = None
    screen_size: tuple[int, int] | None = None
    raw: str = ""  # the model's reply, verbatim
    thought: str = ""
    answer: str = ""  # the action in AutoGLM text
    action: dict[str, Any] | None = None
    pixels: list[tuple[int, int]] = Field(default_factory=list)
    guard: dict[str, Any] | None = None
    human: dict[str, Any] | None = None
    outcome: str = "done"  # done, unparseable, denied, blocked, finished, error...
    error: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # milliseconds


class RunResult(BaseModel):
    status: str
    message: str = ""
    steps: int = 0
    finished: float = Field(default_factory=time.time)


class Trace(BaseModel):
    path: Path
    meta: TraceMeta
    steps: list[StepRecord]
    result: RunResult | None  # None: the run did not end cleanly (crash, kill)
    damaged_lines: int = 0  # lines that could not be read (a write cut short by a crash)


def _slug(text: str) -> str:
    ascii_words = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return ascii_words[:40] or "run"


class TraceWriter:
    """Appends steps to a trace directory as they happen."""

    def __init__(self, path: Path, meta: TraceMeta) -> None:
        self.path = path
        (path / SCREENS_DIR).mkdir(parents=True, exist_ok=True)
        _write_json_atomic(path / META_FILE, meta.model_dump(mode="json"))
        self._steps = open(path / STEPS_FILE, "a", encoding="utf-8")

    @classmethod
    def create(cls, root: Path, meta: TraceMeta) -> "TraceWriter":
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = root / f"{stamp}-{_slug(meta.task)}"
        path = base
        n = 1
        while path.exists():
            n += 1
            path = Path(f"{base}-{n}")
        return cls(path, meta)

    def save_observation(self, step: int, observation: Observation) -> tuple[str, str | None]:
        """Write the step's screenshot (and hierarchy); return their relative paths."""
        shot = f"{SCREENS_DIR}/{step:04d}.png"
        # Level 1: a 1080x2400 screen compresses in a few ms and stays lossless for replay checks.
        observation.screenshot.save(self.path / shot, format="PNG", compress_level=1)
        xml_rel = None
        if observation.hierarchy:
            xml_rel = f"{SCREENS_DIR}/{step:04d}.xml"
            (self.path / xml_rel).write_text(observation.hierarchy, encoding="utf-8")
        return shot, xml_rel

    def append(self, record: StepRecord) -> None:
        self._steps.write(record.model_dump_json() + "\n")
        self._steps.flush()
        os.fsync(self._steps.fileno())

    def finish(self, result: RunResult) -> None:
        _write_json_atomic(self.path / RESULT_FILE, result.model_dump(mode="json"))
        self.close()

    def close(self) -> None:
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
        meta = TraceMeta.model_validate_json(meta_file.read_text(encoding="utf-8"))
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
