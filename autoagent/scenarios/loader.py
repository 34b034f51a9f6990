"""Read scenario YAML files; every error names the file, the line and the field.

The YAML is composed (not just loaded) so each value keeps its source position; pydantic's
error locations are then walked down that node tree to the line that holds the bad value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from autoagent.scenarios.model import Scenario

SUFFIXES = (".scenario.yaml", ".scenario.yml")


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based
    field: str  # dotted path, e.g. steps[3].tap.text
    message: str


class ScenarioError(ValueError):
    """A scenario file that cannot be used; ``str()`` is one line per problem, file:line: field: message."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p.line}: {p.field + ': ' if p.field else ''}{p.message}"
                                   for p in problems))


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    path: Path

    @property
    def id(self) -> str:
        return self.scenario.id

    def resolve(self, relative: str) -> Path:
        """A path written in the scenario, relative to the scenario file."""
        p = Path(relative)
        return p if p.is_absolute() else (self.path.parent / p)


def scenario_id_from_path(path: Path) -> str:
    name = path.name
    for suffix in (*SUFFIXES, ".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _field(loc: tuple[Any, ...], node: yaml.Node | None) -> tuple[str, yaml.Node | None]:
    """Follow a pydantic location through the YAML nodes; return the readable path and the deepest node."""
    parts: list[str] = []
    for key in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            match = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if match is not None:
                parts.append(key)
                node = match
            # Otherwise a union tag or an alias-only key: it names no YAML node.
            continue
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if 0 <= key < len(node.value):
                parts.append(f"[{key}]")
                node = node.value[key]
            continue
    text = ""
    for part in parts:
        text += part if part.startswith("[") or not text else "." + part
    return text, node


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def parse_scenario(text: str, path: Path) -> Scenario:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError(path, [Problem(line, "", f"not valid YAML: {getattr(err, 'problem', err)}")]) from None
    if root is None:
        raise ScenarioError(path, [Problem(1, "", "the file is empty")])
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ScenarioError(path, [Problem(_line(root), "", "a scenario is a mapping (target:, steps:, expect: ...)")])
    data.setdefault("id", scenario_id_from_path(path))
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            field, node = _field(tuple(e["loc"]), root)
            message = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                message = f"unknown field {str(e['loc'][-1])!r}"
            problems.append(Problem(_line(node), field, message))
        # Pydantic reports each union branch; one line per field is enough.
        seen: set[tuple[int, str]] = set()
        unique = [p for p in problems if (p.line, p.field) not in seen and not seen.add((p.line, p.field))]
        raise ScenarioError(path, unique) from None


def load_scenario(path: str | Path) -> LoadedScenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(path, [Problem(1, "", f"cannot read: {err.strerror or err}")]) from None
    return LoadedScenario(parse_scenario(text, path), path)


def is_scenario_file(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def discover(paths: list[str | Path]) -> list[Path]:
    """Scenario files under the given files/folders, sorted."""
    found: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            found.update(f for f in p.rglob("*") if f.is_file() and is_scenario_file(f))
        elif p.is_file():
            found.add(p)
    return sorted(found)
