"""The OpenAI-compatible engine against a real HTTP server on loopback speaking chat-completions."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import io
import json
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from autoagent.actions import Finish, Tap, Type
from autoagent.grammar import UnparseableReply
from autoagent.perception.observation import Observation
from autoagent.policy import openai_engine
from autoagent.policy.base import Decision, PolicyError, StepInput, TruncatedReply, Turn
from autoagent.policy.images import DEFAULT_MAX_PIXELS, fit_image, target_size
from autoagent.policy.openai_engine import ModelWait, OpenAIPolicy

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


# ---------------------------------------------------------------------------- faults on purpose

TYPE_WHITE = '<think>Type the product name.</think><answer>do(action="Type", text="White T-shirt")</answer>'
CUT = TYPE_WHITE.index("irt")  # the reply ends in ... text="White T-sh


def test_a_stream_cut_off_mid_call_is_retried_and_never_acted_on(server: ChatServer) -> None:
    server.replies.extend([Reply(text=TYPE_WHITE, cut_at=CUT), Reply(text=TYPE_WHITE)])
    decision = policy(server).decide(step_input())
    assert decision.action == Type(text="White T-shirt")
    assert decision.timings["attempts"] == 2 and decision.timings["truncated"] == 1
    assert len(server.requests) == 2


def test_a_server_that_keeps_cutting_is_a_policy_error(server: ChatServer) -> None:
    server.replies.extend([Reply(text=TYPE_WHITE, cut_at=CUT)] * 3)
    with pytest.raises(PolicyError, match=r"kept failing after 3 attempts: the stream ended before the reply did"):
        policy(server, max_retries=2).decide(step_input())
    assert len(server.requests) == 3


def test_a_whole_looking_stream_without_finish_reason_is_still_cut(server: ChatServer) -> None:
    # Every chat-completions stream says why it stopped; without that the text may be a prefix.
    server.replies.extend([Reply(finish_reason=None, done=False), Reply()])
    assert policy(server).decide(step_input()).timings["truncated"] == 1


def test_finish_reason_without_done_is_a_whole_reply(server: ChatServer) -> None:
    server.replies.append(Reply(done=False))
    decision = policy(server).decide(step_input())
    assert decision.action == Tap(element=[500, 120]) and "truncated" not in decision.timings


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("text", [TYPE_WHITE[:CUT], GOOD])
def test_a_reply_stopped_by_max_tokens_is_truncated_not_acted_on(server: ChatServer, stream: bool, text: str) -> None:
    server.replies.append(Reply(text=text, finish_reason="length"))
    with pytest.raises(TruncatedReply, match=r"cut off at max_tokens \(3000\)") as caught:
        policy(server, stream=stream).decide(step_input())
    assert caught.value.raw == text
    assert len(server.requests) == 1  # the agent asks again, with a note to be brief


def test_keepalive_comments_do_not_extend_the_time_limit(server: ChatServer) -> None:
    server.replies.extend([Reply(keepalive=0.1)] * 3)
    started = time.perf_counter()
    with pytest.raises(PolicyError, match=r"kept failing twice: no whole reply within 0.6 s.*--timeout"):
        policy(server, timeout=0.6).decide(step_input())
    assert time.perf_counter() - started < 3.0
    assert len(server.requests) == 2  # a timed-out attempt is retried once only


def test_a_json_body_that_trickles_in_is_bounded(server: ChatServer) -> None:
    server.replies.extend([Reply(stream=False, trickle=0.05)] * 2)
    started = time.perf_counter()
    with pytest.raises(PolicyError, match="no whole reply within 0.5 s"):
        policy(server, stream=False, timeout=0.5).decide(step_input())
    assert time.perf_counter() - started < 3.0


def test_a_timed_out_attempt_gets_one_more_try(server: ChatServer) -> None:
    server.replies.extend([Reply(delay=30), Reply()])
    decision = policy(server, timeout=0.5).decide(step_input())
    assert decision.action == Tap(element=[500, 120]) and decision.timings["attempts"] == 2


def test_waiting_and_retrying_are_told(server: ChatServer) -> None:
    server.replies.extend([Reply(delay=30), Reply(delay=0.3)])
    heard: list[ModelWait] = []
    policy(server, timeout=0.5, progress_every=0.2, max_retries=3, on_wait=heard.append).decide(step_input())
    lines = [str(event) for event in heard]
    assert lines[:2] == ["waiting for the model... 0 s, attempt 1/4", "waiting for the model... 0 s, attempt 1/4"]
    assert any(line.startswith("model server: no whole reply within 0.5 s; retrying in 0.0 s (attempt 2/4)")
               for line in lines)
    assert any(event.attempt == 2 and event.retry_in is None for event in heard)


def test_timeout_and_retries_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOAGENT_TIMEOUT", "7.5")
    monkeypatch.setenv("AUTOAGENT_RETRIES", "1")
    engine = OpenAIPolicy(base_url="http://127.0.0.1:8000/v1", model="m")
    assert (engine.timeout, engine.max_retries) == (7.5, 1)
    # Explicit options win over the environment.
    assert OpenAIPolicy(base_url="http://127.0.0.1:8000/v1", model="m", timeout=3, max_retries=0).timeout == 3
    monkeypatch.setenv("AUTOAGENT_RETRIES", "two")
    with pytest.raises(ValueError, match=r"\$AUTOAGENT_RETRIES must be a whole number, got 'two'"):
        OpenAIPolicy(base_url="http://127.0.0.1:8000/v1", model="m")


@pytest.mark.parametrize("stream_body", [False, True])
def test_invalid_utf8_is_a_damaged_reply_in_either_shape(server: ChatServer, stream_body: bool) -> None:
    text = '<answer>do(action=\\"Type\\", text=\\"caf\xe9\\")</answer>'.encode("latin-1")
    if stream_body:
        bad = Reply(body=b'data: {"choices":[{"index":0,"delta":{"content":"' + text + b'"},"finish_reason":"stop"}]}'
                    b'\n\ndata: [DONE]\n\n', headers={"Content-Type": "text/event-stream"})
    else:
        bad = Reply(body=b'{"choices":[{"index":0,"message":{"content":"' + text + b'"},"finish_reason":"stop"}]}')
    server.replies.extend([bad, Reply()])
    # Retried like a cut-off reply: replacement characters must not be typed into a field.
    assert policy(server).decide(step_input()).action == Tap(element=[500, 120])
    server.replies.extend([bad] * 2)
    with pytest.raises(PolicyError, match="after 2 attempts: the reply is not valid UTF-8"):
        policy(server, max_retries=1).decide(step_input())


@pytest.mark.parametrize("stream", [True, False])
def test_content_as_a_list_of_text_parts(server: ChatServer, stream: bool) -> None:
    server.replies.append(Reply(text=TYPE_WHITE, parts=True))
    decision = policy(server, stream=stream).decide(step_input())
    assert decision.action == Type(text="White T-shirt") and decision.thought == "Type the product name."


def test_reasoning_under_its_newer_name(server: ChatServer) -> None:
    body = {"choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"reasoning": "Search first.", "content": 'do(action="Back")'}}]}
    server.replies.append(Reply(body=json.dumps(body).encode()))
    assert policy(server, stream=False).decide(step_input()).thought == "Search first."


def test_a_reply_longer_than_any_max_tokens_is_refused(server: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai_engine, "MAX_REPLY_CHARS", 10_000)
    server.replies.append(Reply(reasoning="x" * 20_000))
    with pytest.raises(PolicyError, match="longer than 10,000 characters"):
        policy(server).decide(step_input())


def test_retry_after_is_honoured_up_to_its_bound(server: ChatServer) -> None:
    server.replies.extend([Reply(status=429, headers={"Retry-After": "20"}), Reply()])
    delays: list[float] = []
    policy(server, sleep=delays.append, max_backoff=8.0).decide(step_input())
    assert delays == [20.0]  # above the 8 s backoff cap, within the 60 s bound


def test_retry_after_as_a_date_and_in_milliseconds(server: ChatServer) -> None:
    soon = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    server.replies.extend([Reply(status=503, headers={"Retry-After": soon}),
                           Reply(status=429, headers={"retry-after-ms": "1500"}), Reply()])
    delays: list[float] = []
    policy(server, sleep=delays.append).decide(step_input())
    assert 25 < delays[0] <= 30 and delays[1] == pytest.approx(1.5)


def test_retry_after_beyond_the_bound_stops_at_once(server: ChatServer) -> None:
    server.replies.append(Reply(status=429, headers={"Retry-After": "600"}))
    delays: list[float] = []
    with pytest.raises(PolicyError, match=r"asks to wait 600 s .*longer than the 60 s this agent waits"):
        policy(server, sleep=delays.append).decide(step_input())
    assert delays == [] and len(server.requests) == 1


def test_extra_headers_reach_the_server(server: ChatServer) -> None:
    policy(server, extra_headers={"X-Tenant": "shop-qa"}).decide(step_input())
    assert server.headers[0]["X-Tenant"] == "shop-qa"


def test_works_when_called_inside_an_event_loop(server: ChatServer) -> None:
    # A notebook or an async app calls the (blocking) policy from inside its own loop.
    async def inside() -> Decision:
        return policy(server).decide(step_input())

    assert asyncio.run(inside()).action == Tap(element=[500, 120])


def test_the_shared_screenshot_is_never_encoded_in_place(server: ChatServer) -> None:
    # The trace writer saves the same image object in its own thread; Pillow's save() keeps
    # its encoder settings on the object, so two saves of one object at once can mix them.
    step = step_input()
    assert fit_image(step.observation.screenshot, DEFAULT_MAX_PIXELS) is step.observation.screenshot
    policy(server).decide(step)
    assert "encoderconfig" not in vars(step.observation.screenshot)
