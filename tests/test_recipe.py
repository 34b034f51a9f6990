"""The CPU recipe (``recipes/cpu.sh``) run end to end at a trial's size, so that it keeps working as the
CLI it strings together changes: real demonstrations on the emulator, a real (tiny) Glm4v trained
from scratch, its goal heads fitted, and the result loaded by the local engine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "cpu.sh"


def test_the_cpu_recipe_writes_a_policy_with_its_goal_heads(tmp_path: Path) -> None:
    from autoagent.policy.local_engine import POLICY_FILE, LocalGLMPolicy

    env = os.environ | {"TRAIN_EPISODES": "3", "PHRASINGS": "1", "HELD_OUT_EPISODES": "2", "TRAIN_MINUTES": "0.2",
                        "ELEMENT_PASSES": "2", "EVAL_EVERY": "7", "MODEL_SIZE": "tiny", "PYTHON": sys.executable,
                        "DAGGER_EPISODES": "2", "DAGGER_MINUTES": "0.1", "LEARNING_RATE": "1.5e-3",
                        "FORK_MINUTES": "0.1", "FORK_REPEAT": "3"}
    run = subprocess.run(["bash", str(RECIPE), str(tmp_path / "run")], env=env, capture_output=True, text=True,
                         timeout=1200)  # compiles included
    assert run.returncode == 0, run.stderr[-3000:]
    stages = re.findall(r"^\[\d\d:\d\d:\d\d\] (\w+)", run.stdout, re.M)
    assert stages == ["demonstrations", "the", "DAgger", "the", "the", "its", "done"], run.stdout
    assert "3 training episodes, each goal in 2 wordings" in run.stdout, run.stdout
    manifest = json.loads((tmp_path / "run" / "data" / "manifest.json").read_text())
    assert manifest["train"]["episodes"] == 3 and manifest["eval"]["episodes"] == 2, manifest
    goals: dict[str, set[str]] = {}
    for line in (tmp_path / "run" / "data" / "train.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        goals.setdefault(row["task_id"], set()).add(row["goal"])
    assert max(len(wordings) for wordings in goals.values()) == 2, goals  # PHRASINGS=1 reached the demos
    policy = json.loads((tmp_path / "run" / "policy" / POLICY_FILE).read_text())
    assert policy["size"] == "tiny" and policy["training"]["steps"] > 0
    trained = json.loads((tmp_path / "run" / "model" / "training_log.json").read_text())["summary"]
    assert trained["config"]["eval_every"] == 7 and trained["config"]["lr"] == 1.5e-3  # EVAL_EVERY's, LEARNING_RATE's
    corrections = (tmp_path / "run" / "data" / "dagger.jsonl").read_text(encoding="utf-8").splitlines()
    assert corrections and {json.loads(line)["seed"] for line in corrections} <= {3, 4}  # seeds after the demos'
    continued = json.loads((tmp_path / "run" / "model-dagger" / POLICY_FILE).read_text())["training"]
    assert continued["training_rows"] > trained["training_rows"]
    forks = json.loads((tmp_path / "run" / "model-forks" / "training_log.json").read_text())["summary"]
    assert forks["config"]["fork_repeat"] == 3 and forks["config"]["init"] == str(tmp_path / "run" / "model-dagger")
    assert policy["training"] == json.loads((tmp_path / "run" / "model-forks" / POLICY_FILE).read_text())["training"]
    for head in ("span_head", "launch_head", "element_head"):
        assert policy[head]["rows"] > 0, head
    assert policy["element_head"]["passes"] == 2 and policy["launch_head"]["passes"] == 12  # ELEMENT_PASSES's
    assert LocalGLMPolicy(tmp_path / "run" / "policy", device="cpu")._heads.element is not None


def test_the_cpu_recipe_without_a_folder_says_how_to_run_it() -> None:
    run = subprocess.run(["bash", str(RECIPE)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and run.stderr.startswith("usage: bash recipes/cpu.sh OUT_FOLDER")
