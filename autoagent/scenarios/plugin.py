"""pytest plugin: every ``*.scenario.yaml`` file is a test item.

``pytest scenarios/`` runs the suite; ``-k`` selects by scenario id or tag; ``--junitxml``
writes CI reports; with pytest-xdist each worker process opens its own emulator phones and
its own Chromium. ``--shard i/n`` keeps the i-th of n stable slices of the collected items.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from autoagent.scenarios.loader import ScenarioError, is_scenario_file, load_scenario
from autoagent.scenarios.runner import Resources, ScenarioResult, run_scenario, write_result
from autoagent.trace import Status

_RESOURCES = pytest.StashKey[Resources]()
_SHARD = re.compile(r"^(\d+)/(\d+)$")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autoagent scenarios")
    group.addoption("--scenario-output", metavar="DIR", default=None,
                    help="where scenario traces and results go [default: pytest's temporary directory]")
    group.addoption("--shard", metavar="I/N", default=None,
                    help="run only the I-th of N slices of the collected tests (stable across machines)")
    group.addoption("--android-serial", action="append", default=[], metavar="SERIAL",
                    help="a phone for android scenarios with serial: auto; give several for parallel workers")
    group.addoption("--headed", action="store_true", help="browser scenarios: show the browser window")


def parse_shard(value: str) -> tuple[int, int]:
    m = _SHARD.match(value.strip())
    if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
        raise pytest.UsageError(f"--shard must look like 2/5 (the 2nd of 5 slices), got {value!r}")
    return int(m.group(1)), int(m.group(2))


def shard_of(key: str, total: int) -> int:
    """1-based slice for ``key``: a hash that is the same on every machine and Python run."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % total + 1


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a YAML scenario run by autoagent")
    config.addinivalue_line("markers", "replay(trace): replay a recorded trace (see the replay_trace fixture)")
    if config.getoption("--shard"):
        parse_shard(config.getoption("--shard"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    config.stash[_RESOURCES] = Resources(android_serials=list(config.getoption("--android-serial")),
                                         worker_index=index, headless=not config.getoption("--headed"))


def pytest_unconfigure(config: pytest.Config) -> None:
    resources = config.stash.get(_RESOURCES, None)
    if resources is not None:
        resources.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_scenario_file(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    value = config.getoption("--shard")
    if not value:
        return
    index, total = parse_shard(value)
    keep, drop = [], []
    for item in items:
        key = item.scenario_id if isinstance(item, ScenarioItem) else item.nodeid
        (keep if shard_of(key, total) == index else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class ScenarioFile(pytest.File):
    def collect(self) -> list[pytest.Item]:
        try:
            loaded = load_scenario(self.path)
        except ScenarioError as err:
            self._record_load_error(str(err))
            raise self.CollectError(str(err)) from None
        item = ScenarioItem.from_parent(self, name=loaded.id, loaded=loaded)
        item.add_marker("scenario")
        # `-k shop` selects by tag as well as by id.
        item.extra_keyword_matches.update(loaded.scenario.tags)
        return [item]

    def _record_load_error(self, error: str) -> None:
        """A file that does not load is a failed scenario in the HTML report too, not only in pytest's output."""
        root = self.config.getoption("--scenario-output")
        if not root:
            return
        scenario_id = self.path.name.split(".scenario.")[0]
        write_result(ScenarioResult(id=scenario_id, file=str(self.path), passed=False, status=Status.ERROR,
                                    message=error, failures=[f"the file did not load: {error}"]),
                     Path(root) / f"{scenario_id}.load-error")

    def repr_failure(self, excinfo: Any) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, self.CollectError):
            return str(excinfo.value.args[0])
        return super().repr_failure(excinfo)  # type: ignore[return-value]


class ScenarioFailed(Exception):
    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.explain())
        self.result = result


class ScenarioItem(pytest.Item):
    def __init__(self, *, loaded: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.result: ScenarioResult | None = None

    @property
    def scenario_id(self) -> str:
        return self.loaded.id

    def _out_dir(self) -> Path:
        root = self.config.getoption("--scenario-output")
        if root:
            return Path(root) / self.scenario_id
        factory = getattr(self.config, "_tmp_path_factory", None)
        if factory is not None:
            return factory.mktemp(f"scenario-{self.scenario_id}", numbered=True)
        import tempfile

        return Path(tempfile.mkdtemp(prefix=f"scenario-{self.scenario_id}-"))

    def runtest(self) -> None:
        resources = self.config.stash[_RESOURCES]
        self.result = run_scenario(self.loaded, self._out_dir(), resources)
        for key, value in (("status", self.result.status.value), ("seconds", self.result.seconds),
                           ("trace", self.result.trace_dir or ""),
                           ("worker", os.environ.get("PYTEST_XDIST_WORKER", "main"))):
            self.user_properties.append((key, value))
        if not self.result.passed:
            raise ScenarioFailed(self.result)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.scenario_id}"


@pytest.fixture
def replay_trace(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Replay a recorded trace on a device, verified step by step, with no model.

        @pytest.mark.replay("traces/buy-mug")
        def test_buy_mug(replay_trace):
            phone = Phone(seed=3)
            replay_trace(phone)                      # or replay_trace(phone, "other/trace")

    A mismatch fails the test; the message names the expected-vs-actual picture, written in
    the test's tmp_path. ``fallback=`` hands over to a live policy instead.
    """
    from autoagent.trace import Status
    from autoagent.verified_replay import replay

    marker = request.node.get_closest_marker("replay")

    def run(device: Any, trace: str | Path | None = None, *, fallback: Any = None, human: Any = None) -> Any:
        path = trace if trace is not None else (marker.args[0] if marker and marker.args else None)
        if path is None:
            raise pytest.UsageError("replay_trace needs a trace: @pytest.mark.replay('path') or replay_trace(device, path)")
        path = Path(path)
        if not path.is_absolute() and not path.exists():
            path = Path(request.node.path).parent / path  # relative to the test file
        result = replay(device, path, artifacts_dir=tmp_path, fallback=fallback, human=human)
        if result.status is not Status.SUCCESS:
            pytest.fail(f"replay of {path} ended {result.status.value}: {result.message}", pytrace=False)
        return result

    return run
