"""`pip install autoagent` without extras: the CLI runs in a subprocess where every installed
package outside the core dependencies (pyproject.toml, followed through their own requirements)
cannot be imported, as on a machine that installed the core alone. There it drives a phone over
adb (the served emulator, the real uiautomator2 client) with a model behind a loopback
chat-completions server, and each feature of an extra stops with one line naming its install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import wave
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autoagent.extras import EXTRAS
from autoagent.trace import read_trace
from emulator import Phone
from emulator.wire import serve
from tests.chat_server import ChatServer, Reply

pytestmark = pytest.mark.usefixtures("no_adb_daemon")

PROJECT = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
CORE = PROJECT["dependencies"]
OPTIONAL = PROJECT["optional-dependencies"]
FEATURE_EXTRAS = sorted(set(OPTIONAL) - {"all", "dev"})
LAUNCH = 'do(action="Launch", app="Settings")'
FINISH = 'finish(message="Settings is open")'

# Marks every blocked module as absent (`import x` then raises ImportError), then runs the CLI.
RUNNER = """
import json, os, sys
for name in json.loads(os.environ["AUTOAGENT_TEST_BLOCKED"]):
    sys.modules[name] = None
from autoagent.cli import main
sys.exit(main(sys.argv[1:]))
"""


def closure(requirements: list[str]) -> set[str]:
    """The distributions these requirements install: themselves and what they require in turn."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        if name == "autoagent":  # the `all` extra names the project's own extras
            todo += [Requirement(r) for extra in req.extras for r in OPTIONAL[extra]]
            continue
        for line in metadata.requires(name) or []:
            dep = Requirement(line)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in ("", *req.extras)):
                todo.append(dep)
    return seen


@pytest.fixture(scope="module")
def blocked() -> list[str]:
    """Top-level modules that only distributions outside the core provide."""
    core = closure(CORE) | {"autoagent"}
    return sorted(module for module, dists in metadata.packages_distributions().items()
                  if not any(canonicalize_name(d) in core for d in dists))


def core_only(blocked: list[str], *args: str, cwd: Path, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {}), "AUTOAGENT_TEST_BLOCKED": json.dumps(blocked)}
    return subprocess.run([sys.executable, "-c", RUNNER, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, env=full_env)


def test_the_extras_are_outside_the_core() -> None:
    core = closure(CORE)
    for extra in FEATURE_EXTRAS:
        assert not {canonicalize_name(Requirement(r).name) for r in OPTIONAL[extra]} & core, extra
    assert Requirement(OPTIONAL["all"][0]).extras == set(FEATURE_EXTRAS)
    # What autoagent.extras checks for is what each extra installs.
    assert sorted(EXTRAS) == FEATURE_EXTRAS
    providers = metadata.packages_distributions()
    for extra, modules in EXTRAS.items():
        for module in modules:
            assert {canonicalize_name(d) for d in providers[module]} & closure(OPTIONAL[extra]), (extra, module)


def test_the_simulated_core_install_lacks_every_extra(blocked: list[str]) -> None:
    for modules in EXTRAS.values():
        assert set(modules) <= set(blocked)
    for module in ("PIL", "pydantic", "uiautomator2", "openai"):
        assert module not in blocked


def test_help_needs_no_extra(blocked: list[str], tmp_path: Path) -> None:
    for args in (["--help"], ["run", "--help"], ["train", "--help"], ["mcp", "--help"]):
        out = core_only(blocked, *args, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("usage: autoagent")


def test_a_phone_is_driven_through_a_model_server(blocked: list[str], tmp_path: Path) -> None:
    chat = ChatServer()
    chat.replies.extend([Reply(text=f"<think>Open it.</think><answer>{LAUNCH}</answer>"), Reply(text=FINISH)])
    phone = Phone(seed=0)
    try:
        with serve(phone) as server:
            env = {"ANDROID_ADB_SERVER_PORT": str(server.adb_port), "ADBUTILS_ADB_PATH": "/bin/false"}
            out = core_only(blocked, "run", "Open the Settings app", "--device", f"android:{server.serial}",
                            "--engine", "openai", "--base-url", chat.base_url, "--model", "m", "-q",
                            cwd=tmp_path, env=env)
    finally:
        chat.close()
    assert out.returncode == 0, out.stderr
    assert "success: Settings is open" in out.stdout
    assert phone.current_package() == "com.autoagent.settings"
    (trace_dir,) = (tmp_path / "traces").iterdir()
    assert [s.answer for s in read_trace(trace_dir).steps] == [LAUNCH, FINISH]


def silent_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(bytes(32000))
    return path


@pytest.mark.parametrize("args,feature,extra", [
    (["run", "Open the Settings app"], "the embedded policy (the local engine)", "local"),
    (["run", "Open the Settings app", "--engine", "local", "--model-path", "ckpt"], "the local engine", "local"),
    (["run", "Open example.com", "--device", "browser:https://example.com", "--engine", "openai",
      "--base-url", "http://127.0.0.1:9/v1"], "the browser target", "browser"),
    (["run", "--voice", "{wav}", "--engine", "openai", "--base-url", "http://127.0.0.1:9/v1"],
     "speech recognition", "voice"),
    (["train", "--data", "data", "--out", "model"], "training", "local"),
    (["eval", "--tasks", "1"], "evaluation", "local"),
    (["mcp"], "the MCP server", "mcp"),
], ids=["emulator-default", "local-engine", "browser", "voice", "train", "eval", "mcp"])
def test_a_missing_extra_is_one_line_naming_its_install(blocked: list[str], tmp_path: Path, args: list[str],
                                                        feature: str, extra: str) -> None:
    wav = silent_wav(tmp_path / "task.wav")
    out = core_only(blocked, *[a.format(wav=wav) for a in args], cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr == (f"autoagent: error: {feature} needs the [{extra}] extra: "
                          f"pip install 'autoagent[{extra}]'\n")
