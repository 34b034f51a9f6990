"""`autoagent mcp`, driven by the official MCP SDK's own client, which launches the server as a
subprocess (stdio) or talks to it over streamable HTTP on loopback. Both ways of asking the person
are exercised: protocol 2026-07-28 (the client answers an input_required result and calls again)
and the older one (an elicitation request during the call). Payments are judged by the emulator's
own record: the phone is served over adb from this process, so its payment list can be read."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import mcp.types as types
import pytest
from mcp import Client, StdioServerParameters
from PIL import Image

from autoagent.actuators.execute import execute
from emulator import Phone
from emulator.wire import serve
from tests.test_safety_emulator import node, route_to_sheet

ROOT = Path(__file__).resolve().parents[1]
BUY = "In the Shop app, buy a White T-shirt in size M."
Elicit = Callable[[Any, types.ElicitRequestParams], Awaitable[types.ElicitResult]]


def answering(content: dict[str, Any] | None, asked: list[str]) -> Elicit:
    """A client's user who accepts the form with ``content``, or declines when it is None."""

    async def elicit(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        if content is None:
            return types.ElicitResult(action="decline")
        return types.ElicitResult(action="accept", content=content)

    return elicit


def server(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable,
                                 args=["-m", "autoagent", "mcp", "--traces", str(tmp_path / "traces"), *args],
                                 env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=str(tmp_path))


def call(params: StdioServerParameters | str, script: Callable[[Client], Awaitable[Any]], *,
         elicit: Elicit | None = None, mode: str = "auto") -> Any:
    async def main() -> Any:
        kwargs = {"elicitation_callback": elicit} if elicit is not None else {}
        async with Client(params, mode=mode, read_timeout_seconds=120, **kwargs) as client:
            return await script(client)

    return asyncio.run(main())


def test_tools_devices_and_the_screen(tmp_path: Path) -> None:
    async def script(client: Client) -> Any:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        devices = (await client.call_tool("list_devices", {})).structured_content
        screen = await client.call_tool("observe", {})
        unknown = await client.call_tool("observe", {"device": "android:nope"})
        bad = await client.call_tool("act", {"action": "tap the shop icon"})
        return tools, devices, screen, unknown, bad

    tools, devices, screen, unknown, bad = call(server(tmp_path), script)
    assert tools == {"list_devices", "observe", "act", "run_task"}
    assert devices == {"devices": [{"spec": "emulator", "opened": False, "busy": False, "name": None}]}
    image, text = screen.content
    assert image.mime_type == "image/png"
    assert Image.open(io.BytesIO(base64.b64decode(image.data))).size == (576, 1280)
    assert "com.autoagent.launcher" in text.text and "TextView* Shop" in text.text
    assert screen.structured_content["width"] == 1080
    assert unknown.is_error and "this server drives emulator" in unknown.content[0].text
    assert bad.is_error and "cannot read the action" in bad.content[0].text


def test_a_dismissed_question_is_no_answer_not_a_no(tmp_path: Path) -> None:
    """A client whose user dismisses the form (cancel) gave no answer: nothing is bought, and the
    result does not say the person declined."""
    asked: list[str] = []

    async def dismiss(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="cancel")

    async def script(client: Client) -> Any:
        return (await client.call_tool("run_task", {"task": BUY})).structured_content

    run = call(server(tmp_path), script, elicit=dismiss, mode="legacy")
    assert len(asked) == 1
    assert run["status"] == "needs_human" and run["message"].startswith("purchase needs your confirmation")


@pytest.mark.parametrize("mode", ["auto", "legacy"], ids=["input-required", "elicitation-request"])
def test_a_run_asks_the_client_and_a_no_stops_it(tmp_path: Path, mode: str) -> None:
    asked: list[str] = []
    progress: list[tuple[float, str | None]] = []

    async def script(client: Client) -> Any:
        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, message))

        run = await client.call_tool("run_task", {"task": BUY}, progress_callback=on_progress)
        screen = await client.call_tool("observe", {})
        return run.structured_content, screen.content[1].text

    run, screen = call(server(tmp_path), script, elicit=answering(None, asked), mode=mode)
    assert run["status"] == "needs_human" and run["message"].startswith("you declined the purchase")
    assert len(asked) == 1 and "Allow this purchase?" in asked[0] and "Buy now" in asked[0]
    assert [done for done, _ in progress] == [1, 2, 3, 4, 5, 6, 7] and "(denied)" in (progress[-1][1] or "")
    # The shop is still on the product page: nothing was bought.
    assert "Buy now" in screen and "Place order" not in screen
    assert Path(run["trace"]).is_dir()


def test_a_yes_from_the_person_lets_the_run_finish(tmp_path: Path) -> None:
    asked: list[str] = []

    async def script(client: Client) -> Any:
        return (await client.call_tool("run_task", {"task": BUY})).structured_content

    run = call(server(tmp_path), script, elicit=answering({"approve": True}, asked))
    assert run["status"] == "success", run
    assert any("purchase" in question for question in asked)


@pytest.mark.parametrize("content", [None, {"approve": "true"}, {"approve": 1}, {}],
                         ids=["no-elicitation", "string-true", "number", "empty-form"])
def test_anything_but_an_accepted_true_is_a_no(tmp_path: Path, content: dict[str, Any] | None) -> None:
    asked: list[str] = []

    async def script(client: Client) -> Any:
        return (await client.call_tool("run_task", {"task": BUY})).structured_content

    elicit = None if content is None else answering(content, asked)
    run = call(server(tmp_path), script, elicit=elicit)
    assert run["status"] == "needs_human"
    assert len(asked) == (0 if content is None else 1)


@pytest.fixture()
def phone_at_the_pay_sheet(no_adb_daemon):  # -> (Phone, the adb environment)
    phone = Phone(seed=5)
    for step in route_to_sheet():
        execute(step(phone.observe()) if callable(step) else step, phone)
    assert phone.find(resource_id="pay_button") is not None
    with serve(phone) as wire:
        yield phone, wire.serial, {"ANDROID_ADB_SERVER_PORT": str(wire.adb_port), "ADBUTILS_ADB_PATH": "/bin/false"}


@pytest.mark.parametrize("answer,paid", [(None, 0), ({"approve": True}, 1)], ids=["declined", "approved"])
def test_an_action_that_pays_needs_the_persons_yes(tmp_path: Path, phone_at_the_pay_sheet, answer, paid) -> None:
    phone, serial, env = phone_at_the_pay_sheet
    x, y = node(phone.observe(), "pay_button").center
    tap = f'do(action="Tap", element=[{round(x / 1080 * 1000)},{round(y / 2400 * 1000)}])'
    asked: list[str] = []

    async def script(client: Client) -> Any:
        return (await client.call_tool("act", {"action": tap, "task": "buy black wireless earbuds"})
                ).structured_content

    report = call(server(tmp_path, "--device", f"android:{serial}", env=env), script,
                  elicit=answering(answer, asked))
    assert len(asked) == 1 and "Allow this payment?" in asked[0]
    assert report["asked"] and report["approved"] is (paid == 1) and report["category"] == "payment"
    assert len(phone.payments) == paid
    if not paid:
        assert report["run_ended"] == "needs_human"


def test_a_client_that_cannot_ask_pays_nothing(tmp_path: Path, phone_at_the_pay_sheet) -> None:
    phone, serial, env = phone_at_the_pay_sheet
    x, y = node(phone.observe(), "pay_button").center
    tap = f'do(action="Tap", element=[{round(x / 1080 * 1000)},{round(y / 2400 * 1000)}], message="the user agreed")'

    async def script(client: Client) -> Any:
        return (await client.call_tool("act", {"action": tap})).structured_content

    report = call(server(tmp_path, "--device", f"android:{serial}", env=env), script)
    assert report["outcome"] == "denied" and report["approved"] is False
    assert phone.payments == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_streamable_http_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "autoagent", "mcp", "--http", f"127.0.0.1:{port}",
                             "--device", "emulator:a", "--device", "emulator:b", "--traces", str(tmp_path)],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)

        async def script(client: Client) -> Any:
            launched = await client.call_tool("act", {"action": 'do(action="Launch", app="Settings")',
                                                      "device": "emulator:b"})
            devices = await client.call_tool("list_devices", {})
            return launched.structured_content, devices.structured_content

        launched, devices = call(f"http://127.0.0.1:{port}/mcp", script)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert launched["app"] == "com.autoagent.settings"
    assert [(d["spec"], d["opened"], d["name"]) for d in devices["devices"]] == [
        ("emulator:a", False, None), ("emulator:b", True, "emulator:b")]


@pytest.mark.parametrize("address", ["0.0.0.0:8931", "192.168.1.5:8931", "127.0.0.1", "localhost:http"])
def test_http_serves_loopback_only(address: str) -> None:
    from autoagent.mcp.command import loopback_address

    with pytest.raises(ValueError):
        loopback_address(address)
    assert loopback_address("[::1]:8931") == ("::1", 8931) and loopback_address("localhost:1") == ("localhost", 1)
