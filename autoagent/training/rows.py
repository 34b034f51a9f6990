"""Training rows on disk: one JSON object a line, one file per split.

Whoever collects rows (a target's demonstrations) writes these files; training reads them.
"""

from __future__ import annotations

import json
from pathlib import Path

SPLIT_FILES = {"train": "train.jsonl", "eval": "heldout.jsonl"}
# Rows labelled by the expert on states a trained learner reached (DAgger corrections).
DAGGER_FILE = "dagger.jsonl"


def read_rows(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no demonstrations at {path}: run `autoagent demos --out {path.parent}` first")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
