"""The OpenAI-compatible engine against a real HTTP server on loopback speaking chat-completions."""

from __future__ import annotations

import base64
import io
import socket

import pytest
from PIL import Image

from autoagent.actions import Finish, Tap, Type
from autoagent.grammar import UnparseableReply
from autoagent.perception.observation import Observation
from autoagent.policy.base import PolicyError, StepInput, Turn
from autoagent.policy.images import target_size
from autoagent.policy.openai_engine import OpenAIPolicy

from tests.chat_server import GOOD, ChatServer, Reply


@pytest.fixture
def server():
    chat = ChatServer()
    yield chat
    chat.close()


def screen(width: int = 1080, height: int = 2400) -> Image.Image:
    image = Image.new("RGB", (width, height), (240, 240, 240))
    image.paste((30, 120, 200), (100, 200, 980, 400))
    return image


def step_input(history: tuple[Turn, ...] = (), task: str = "Open Wi-Fi settings") -> StepInput:
    return StepInput(task=task, step=len(history) + 1,
                     observation=Observation(screen(), app="com.android.settings"), history=history)


def policy(server: ChatServer, **kwargs: object) -> OpenAIPolicy:
    options = {"base_url": server.base_url, "model": "autoglm-phone-9b", "api_key": "k-test",
               "backoff": 0.01, "max_backoff": 0.05, "sleep": lambda s: None}
    options.update(kwargs)
    return OpenAIPolicy(**options)  # type: ignore[arg-type]


def decoded_image(request: dict) -> Image.Image:
    parts = [p for m in request["messages"] if isinstance(m["content"], list) for p in m["content"]
             if p["type"] == "image_url"]
    assert len(parts) == 1
    url = parts[0]["image_url"]["url"]
    header, data = url.split(",", 1)
    assert header in ("data:image/jpeg;base64", "data:image/png;base64")
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_streamed_reply_is_parsed_and_timed(server: ChatServer) -> None:
    decision = policy(server).decide(step_input())
    assert decision.action == Tap(element=[500, 120])
    assert decision.thought == "The settings icon is at the top."
    assert decision.raw == GOOD
    assert 0 < decision.timings["ttft"] <= decision.timings["model"]
    assert decision.timings["chunks"] > 1
    request = server.requests[0]
    assert request["stream"] is True and request["model"] == "autoglm-phone-9b"
    assert server.headers[0]["Authorization"] == "Bearer k-test"


def test_non_streaming_reply(server: ChatServer) -> None:
    server.replies.append(Reply(text='<answer>finish(message="done")</answer>'))
    decision = policy(server, stream=False).decide(step_input())
    assert decision.action == Finish(message="done")
    assert server.requests[0]["stream"] is False
    assert decision.timings["model"] > 0


def test_server_that_ignores_stream_flag_still_works(server: ChatServer) -> None:
    server.replies.append(Reply(stream=False, text='do(action="Type", text="wifi")'))
    assert policy(server).decide(step_input()).action == Type(text="wifi")


def test_reasoning_channel_becomes_the_thought(server: ChatServer) -> None:
    server.replies.append(Reply(reasoning="Search box first.", text='<answer>do(action="Tap", element=[10,20])</answer>'))
    decision = policy(server).decide(step_input())
    assert decision.thought == "Search box first."
    assert decision.raw.startswith("<think>Search box first.</think>")


def test_429_is_retried_with_backoff(server: ChatServer) -> None:
    server.replies.extend([Reply(status=429, headers={"Retry-After": "0.02"}), Reply(status=503), Reply()])
    delays: list[float] = []
    decision = policy(server, sleep=delays.append).decide(step_input())
    assert decision.action == Tap(element=[500, 120])
    assert len(server.requests) == 3
    assert decision.timings["attempts"] == 3
    # Exponential, and a Retry-After above the computed delay is honoured (within the cap).
    assert delays == [pytest.approx(0.02), pytest.approx(0.02)]


def test_backoff_grows_and_is_capped(server: ChatServer) -> None:
    server.replies.extend([Reply(status=500)] * 6)
    delays: list[float] = []
    with pytest.raises(PolicyError, match=r"kept failing after 5 attempts: HTTP 500"):
        policy(server, sleep=delays.append, backoff=0.1, max_backoff=0.3, max_retries=4).decide(step_input())
    assert delays == [pytest.approx(0.1), pytest.approx(0.2), pytest.approx(0.3), pytest.approx(0.3)]
    assert len(server.requests) == 5


def test_dropped_connection_is_retried(server: ChatServer) -> None:
    server.replies.extend([Reply(drop=True), Reply()])
    assert policy(server).decide(step_input()).action == Tap(element=[500, 120])
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_bad_key_is_a_clear_policy_error(server: ChatServer, status: int) -> None:
    server.replies.append(Reply(status=status, body=b'{"error": {"message": "invalid api key"}}'))
    with pytest.raises(PolicyError, match=rf"refused the API key \(HTTP {status}: invalid api key\).*AUTOAGENT_API_KEY"):
        policy(server).decide(step_input())
    assert len(server.requests) == 1  # never retried


def test_unknown_model_404(server: ChatServer) -> None:
    server.replies.append(Reply(status=404, body=b'{"error": {"message": "The model `x` does not exist."}}'))
    with pytest.raises(PolicyError, match=r"no model 'x'.*does not exist.*ends in /v1"):
        policy(server, model="x").decide(step_input())


def test_wrong_base_path_404(server: ChatServer) -> None:
    with pytest.raises(PolicyError, match=r"HTTP 404: no route /api/chat/completions"):
        policy(server, base_url=server.base_url.replace("/v1", "/api")).decide(step_input())


def test_400_is_not_retried(server: ChatServer) -> None:
    server.replies.append(Reply(status=400, body=b'{"error": {"message": "context too long"}}'))
    with pytest.raises(PolicyError, match="HTTP 400: context too long"):
        policy(server).decide(step_input())
    assert len(server.requests) == 1


def test_unreachable_port_is_a_policy_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Bound then closed: nothing listens there.
    engine = OpenAIPolicy(base_url=f"http://127.0.0.1:{port}/v1", model="m", backoff=0.0, max_retries=2,
                          sleep=lambda s: None)
    with pytest.raises(PolicyError, match=rf"127.0.0.1:{port}/v1 kept failing after 3 attempts: nothing is listening"):
        engine.decide(step_input())


def test_unresolvable_host_is_a_policy_error() -> None:
    engine = OpenAIPolicy(base_url="http://no-such-host.invalid:8000/v1", model="m", sleep=lambda s: None)
    with pytest.raises(PolicyError, match="cannot resolve"):
        engine.decide(step_input())


@pytest.mark.parametrize("text", ["", "I am not sure what to do here.", "<think>hmm</think><answer></answer>",
                                  '<answer>do(action="Fly", element=[1,2])</answer>'])
def test_garbage_is_unparseable_never_finished(server: ChatServer, text: str) -> None:
    server.replies.append(Reply(text=text))
    with pytest.raises(UnparseableReply) as caught:
        policy(server).decide(step_input())
    assert caught.value.raw == text


def test_reply_without_tags_still_parses(server: ChatServer) -> None:
    server.replies.append(Reply(text='Tap the Wi-Fi row.\ndo(action="Tap", element=[300,410])'))
    decision = policy(server).decide(step_input())
    assert decision.action == Tap(element=[300, 410])
    assert decision.thought == "Tap the Wi-Fi row."


def test_image_is_resized_to_the_budget(server: ChatServer) -> None:
    policy(server, max_pixels=1_000_000).decide(step_input())
    image = decoded_image(server.requests[0])
    assert image.size == target_size(1080, 2400, 1_000_000)
    assert 2 * image.width * image.height <= 1_000_000
    assert image.width % 28 == 0 and image.height % 28 == 0
    # The aspect ratio survives the resize.
    assert image.height / image.width == pytest.approx(2400 / 1080, rel=0.05)


def test_png_encoding_option(server: ChatServer) -> None:
    policy(server, image_format="png").decide(step_input())
    assert decoded_image(server.requests[0]).format == "PNG"


def test_only_latest_screenshot_is_sent_with_history(server: ChatServer) -> None:
    history = tuple(Turn(thought=f"thought {i}", answer=f'do(action="Tap", element=[{i},{i}])') for i in range(1, 4))
    policy(server).decide(step_input(history))
    messages = server.requests[0]["messages"]
    assert messages[0]["role"] == "system"
    assert [m["role"] for m in messages[1:]] == ["user", "assistant", "user", "assistant", "user", "assistant", "user"]
    images = [i for i, m in enumerate(messages) if isinstance(m["content"], list)
              and any(p["type"] == "image_url" for p in m["content"])]
    assert images == [len(messages) - 1]
    assert "thought 1" in messages[2]["content"] and 'element=[3,3]' in messages[6]["content"]


def test_extra_body_reaches_the_server(server: ChatServer) -> None:
    policy(server, extra_body={"skip_special_tokens": False}, max_tokens=77).decide(step_input())
    assert server.requests[0]["skip_special_tokens"] is False
    assert server.requests[0]["max_tokens"] == 77


def test_api_key_from_environment(server: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOAGENT_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "from-openai-env")
    policy(server, api_key=None).decide(step_input())
    monkeypatch.setenv("AUTOAGENT_API_KEY", "from-autoagent-env")
    policy(server, api_key=None).decide(step_input())
    assert [h["Authorization"] for h in server.headers] == ["Bearer from-openai-env", "Bearer from-autoagent-env"]


def test_bad_base_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="base_url must look like"):
        OpenAIPolicy(base_url="localhost:8000", model="m")


@pytest.mark.parametrize("body", [b'[1, 2]', b'{"choices": [{"message": "hi"}]}',
                                  b'{"choices": [{"message": {"content": 5}}]}', b'{"choices": []}'])
def test_replies_in_the_wrong_shape_are_policy_errors(server: ChatServer, body: bytes) -> None:
    server.replies.append(Reply(body=body))
    with pytest.raises(PolicyError, match="chat-completions format"):
        policy(server, stream=False).decide(step_input())


def test_stream_events_in_the_wrong_shape_are_policy_errors(server: ChatServer) -> None:
    server.replies.append(Reply(body=b'data: [1, 2]\n\ndata: [DONE]\n\n',
                                headers={"Content-Type": "text/event-stream"}))
    with pytest.raises(PolicyError, match="not an object"):
        policy(server).decide(step_input())
