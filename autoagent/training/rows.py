"""Training rows on disk: one JSON object a line, one file per split.

Whoever collects rows (a target's demonstrations) writes these files; training reads them.
"""

from __future__ import annotations

import json
from pathlib import Path

from autoagent.policy.compact import element_lines

SPLIT_FILES = {"train": "train.jsonl", "eval": "heldout.jsonl"}
# Rows labelled by the expert on states a trained learner reached (DAgger corrections).
DAGGER_FILE = "dagger.jsonl"


def check_layout(data: str | Path, layout: str) -> None:
    """Refuse rows written in another prompt layout than the one being trained: a checkpoint
    names one layout and reads only that at inference. A folder without a manifest is not checked."""
    manifest = Path(data) / "manifest.json"
    if not manifest.is_file():
        return
    try:
        written = json.loads(manifest.read_text(encoding="utf-8")).get("format")
    except ValueError as err:
        raise ValueError(f"{manifest} is damaged: {err}") from None
    if written is not None and written != layout:
        raise ValueError(f"{data} holds rows in prompt layout {written!r}, this training needs {layout!r}: "
                         f"collect them again with `autoagent demos --out {data}` (or `--remark {data}` into a "
                         "new folder)")


def read_rows(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no demonstrations at {path}: run `autoagent demos --out {path.parent}` first")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def goal_decided(rows: list[dict]) -> list[dict]:
    """The rows whose screen other rows answered otherwise: there the goal alone decides (a
    stepper's "−" or "+", "Order food" or "Reserve a table", "Add to cart" or "Buy now").
    A screen is its element lines as the prompt shows them, match marks included."""
    screens = ["\n".join(element_lines(row["prompt"])) for row in rows]
    answers: dict[str, set[str]] = {}
    for screen, row in zip(screens, rows):
        answers.setdefault(screen, set()).add(row["target"])
    return [row for screen, row in zip(screens, rows) if len(answers[screen]) > 1]


