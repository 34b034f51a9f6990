"""Check a scenario's expectations after its run: app state, screen text, hierarchy elements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from autoagent.perception.observation import Observation
from autoagent.scenarios.model import ElementExpect, Expectation, StateExpect
from autoagent.scenarios.steps import find_nodes, visible_labels
from autoagent.trace import Status

# Reads the state of the target: app name (or None for the device/site itself) -> object.
StateReader = Callable[[str | None], Any]


def _items(container: Any, name: str) -> list[Any]:
    value = container.get(name) if isinstance(container, dict) else getattr(container, name, _MISSING)
    if value is _MISSING:
        public = sorted(k for k in (container if isinstance(container, dict) else vars(container)) if not k.startswith("_"))
        raise LookupError(f"the state has no {name!r}; it has: {', '.join(public)}")
    if callable(value):
        value = value()
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


_MISSING = object()


def _values(obj: Any, path: list[str]) -> list[Any]:
    """Every value at a dotted path; a list on the way matches through any of its elements."""
    if isinstance(obj, (list, tuple)):
        return [v for item in obj for v in _values(item, path)]
    if not path:
        return [obj]
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        if head not in obj:
            return []
        nxt = obj[head]
    else:
        nxt = getattr(obj, head, _MISSING)
        if nxt is _MISSING:
            return []
    if callable(nxt) and not isinstance(nxt, type):
        try:
            nxt = nxt()
        except TypeError:
            return []
    return _values(nxt, rest)


def _equal(actual: Any, expected: Any) -> bool:
    if actual == expected:
        return True
    if isinstance(actual, (dt.date, dt.datetime)) or isinstance(expected, (dt.date, dt.datetime)):
        return str(actual) == str(expected)
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        return abs(actual - expected) < 1e-9
    # Enums and the like: compare by their text.
    return str(getattr(actual, "value", actual)) == str(expected)


def _record_matches(item: Any, where: dict[str, Any]) -> bool:
    return all(any(_equal(v, want) for v in _values(item, key.split("."))) for key, want in where.items())


def check_state(spec: StateExpect, read: StateReader) -> str | None:
    try:
        container = read(spec.app)
        items = [container] if spec.of is None else _items(container, spec.of)
    except LookupError as err:
        return f"state of {spec.app or 'the target'}: {err}"
    hits = [i for i in items if _record_matches(i, spec.where)]
    what = f"{spec.of or 'the state'}{' of ' + spec.app if spec.app else ''}" + (f" where {spec.where}" if spec.where else "")
    if spec.count is None and not hits:
        return f"expected at least one of {what}; found none among {len(items)}: {_brief(items)}"
    if spec.count is not None and len(hits) != spec.count:
        return f"expected {spec.count} of {what}; found {len(hits)} among {len(items)}: {_brief(items)}"
    return None


def _brief(items: list[Any], limit: int = 3) -> str:
    def one(item: Any) -> str:
        dump = getattr(item, "model_dump", None)
        data = dump(mode="json") if dump else (vars(item) if hasattr(item, "__dict__") else item)
        text = str(data)
        return text if len(text) < 300 else text[:300] + "..."
    shown = "; ".join(one(i) for i in items[:limit])
    return (shown or "-") + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _element_query(spec: ElementExpect) -> dict[str, str | None]:
    return {"text": spec.text, "contains": spec.contains, "id": spec.id, "desc": spec.desc, "cls": spec.cls}


def _describe(spec: ElementExpect) -> str:
    return " ".join(f"{k}={v!r}" for k, v in _element_query(spec).items() if v is not None)


def check(expectations: list[Expectation], *, status: Status, message: str, final: Observation | None,
          read_state: StateReader | None, run_task: Callable[[str], bool] | None) -> list[str]:
    """Every failed expectation as a sentence; empty when all hold. No status expectation means success."""
    failures: list[str] = []
    if not any(e.status is not None for e in expectations) and status is not Status.SUCCESS:
        failures.append(f"the run ended {status}: {message}".rstrip(": "))
    tree = final.tree if final is not None else None
    nodes = tree.nodes if tree else []
    screen_text = "\n".join(f"{n.text}\n{n.desc}" for n in nodes).lower()
    for e in expectations:
        kind = e.kind
        if kind == "status" and status is not e.status:
            failures.append(f"expected the run to end {e.status}, it ended {status}: {message}".rstrip(": "))
        elif kind == "state":
            if read_state is None:
                failures.append("state expectations need the emulator or the demo site as target")
            else:
                problem = check_state(e.state, read_state)  # type: ignore[arg-type]
                if problem:
                    failures.append(problem)
        elif kind in ("screen_has", "screen_lacks"):
            text = e.screen_has if kind == "screen_has" else e.screen_lacks
            present = text.lower() in screen_text  # type: ignore[union-attr]
            if final is None:
                failures.append(f"{kind}: no final screen to look at")
            elif kind == "screen_has" and not present:
                failures.append(f"expected {text!r} on the final screen; it shows: {visible_labels(nodes)}")
            elif kind == "screen_lacks" and present:
                failures.append(f"expected no {text!r} on the final screen, but it is there")
        elif kind in ("element", "no_element"):
            spec = e.element if kind == "element" else e.no_element
            found = find_nodes(nodes, **_element_query(spec))  # type: ignore[arg-type]
            if kind == "element" and not found:
                failures.append(f"expected an element {_describe(spec)} on the final screen; "  # type: ignore[arg-type]
                                f"it shows: {visible_labels(nodes)}")
            elif kind == "no_element" and found:
                failures.append(f"expected no element {_describe(spec)} on the final screen; "  # type: ignore[arg-type]
                                f"found {len(found)}")
        elif kind == "task":
            if run_task is None:
                failures.append(f"task {e.task!r}: task checks need the emulator as target")
            else:
                try:
                    ok = run_task(e.task)  # type: ignore[arg-type]
                except KeyError as err:
                    failures.append(str(err.args[0]))
                    continue
                if not ok:
                    failures.append(f"the emulator task {e.task!r} is not done (its check reads the app state)")
    return failures
