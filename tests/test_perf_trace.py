"""The trace's background writer: step order, durability before the next decision, errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image

from autoagent.perception.observation import Observation
from autoagent.trace import RunResult, StepRecord, TraceMeta, TraceWriter, read_trace


def observation(shade: int) -> Observation:
    return Observation(screenshot=Image.new("RGB", (1080, 2400), (shade, 10, 10)), hierarchy="<hierarchy/>")


def test_line_is_written_only_after_its_screenshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = TraceWriter(tmp_path / "t", TraceMeta(task="x", device="d", policy="p"))
    seen: list[tuple[int, int]] = []  # (lines already in steps.jsonl, step being saved)
    gate = threading.Event()
    original = Image.Image.save

    def slow_save(self: Image.Image, fp, *args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(5)  # hold the writer until the main thread has queued the line
        lines = (writer.path / "steps.jsonl").read_text().count("\n")
        seen.append((lines, int(Path(fp).name[:4])))
        return original(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", slow_save)
    for step in (1, 2, 3):
        shot, xml = writer.save_observation(step, observation(step))
        # Every earlier step is complete before the policy is asked about this one.
        assert (writer.path / "steps.jsonl").read_text().count("\n") == step - 1
        writer.append(StepRecord(step=step, screenshot=shot, hierarchy=xml))
        gate.set()
    writer.finish(RunResult(status="success", steps=3))
    assert seen == [(0, 1), (1, 2), (2, 3)]
    trace = read_trace(writer.path)
    assert [s.step for s in trace.steps] == [1, 2, 3] and trace.result.status == "success"
    for s in trace.steps:
        with Image.open(trace.path / s.screenshot) as image:
            assert image.getpixel((0, 0)) == (s.step, 10, 10)
        assert (trace.path / s.hierarchy).read_text() == "<hierarchy/>"
    assert not list((trace.path / "screens").glob("*.tmp"))


def test_write_failure_is_reported_to_the_caller(tmp_path: Path) -> None:
    class Broken:
        size = (10, 10)

        def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise OSError("No space left on device")

    writer = TraceWriter(tmp_path / "t", TraceMeta(task="x", device="d", policy="p"))
    writer.save_observation(1, Observation(screenshot=Broken()))  # type: ignore[arg-type]
    with pytest.raises(OSError, match="cannot write the trace .*No space left"):
        writer.save_observation(2, observation(2))
    writer.close()


def test_synchronous_mode_writes_before_returning(tmp_path: Path) -> None:
    writer = TraceWriter(tmp_path / "t", TraceMeta(task="x", device="d", policy="p"), background=False)
    shot, _ = writer.save_observation(1, observation(1))
    assert (writer.path / shot).is_file()
    writer.append(StepRecord(step=1, screenshot=shot))
    assert (writer.path / "steps.jsonl").read_text().count("\n") == 1
    writer.finish(RunResult(status="success", steps=1))
