"""A GLM policy served behind an OpenAI-compatible chat-completions endpoint (vLLM, SGLang,
hosted APIs), spoken to through the official ``openai`` SDK.

The SDK owns the wire: connections, TLS, per-read timeouts, server-sent events, error
statuses. On top of it this module keeps the agent's own rules:

* Never act on a cut-off reply. A stream that ends before any chunk carries a
  ``finish_reason`` was cut (a proxy or server dropped it) and is retried like a dropped
  connection; a reply stopped by ``max_tokens`` (``finish_reason: "length"``) raises
  :class:`TruncatedReply`, and the agent asks again for a shorter one.
* What to retry: 408/409/425/429/5xx, refused or dropped connections, cut-off streams and
  replies that are not UTF-8, with exponential backoff; ``Retry-After`` is honoured up to
  ``max_retry_after`` seconds, and a server that asks for longer stops the run at once. A
  bad key, a wrong URL or model name stop the run with a PolicyError that says what to fix.
* Bounded waits. The SDK's timeouts bound each read, so a server that trickles a byte or a
  keep-alive comment every few seconds would never trip them; each attempt therefore runs
  in an event loop of its own and is cancelled when ``timeout`` seconds have passed in all.
  An attempt that timed out is retried once only: a server silent that long twice is down.
* Progress: ``on_wait`` hears every ``progress_every`` seconds of waiting and every retry.
* Size: a reply longer than any ``max_tokens`` could make (``MAX_REPLY_CHARS``) is refused.

The SDK's own retries are off (``max_retries=0``): its loop does not cover a stream cut
mid-reply, and each attempt must show in the progress line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import email.utils
import json
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx2  # the SDK's HTTP layer: only its TLS defaults are used here
import openai
from pydantic import BaseModel, Field, ValidationError

from autoagent.policy.base import Decision, PolicyError, StepInput, TruncatedReply
from autoagent.policy.images import DEFAULT_MAX_PIXELS, encode_image, fit_image, image_tokens
from autoagent.policy.prompts import PromptOptions, build_messages
from autoagent.policy.reply import decide_from_text

API_KEY_ENV = ("AUTOAGENT_API_KEY", "OPENAI_API_KEY")
TIMEOUT_ENV = "AUTOAGENT_TIMEOUT"
RETRIES_ENV = "AUTOAGENT_RETRIES"
DEFAULT_TIMEOUT = 120.0
DEFAULT_RETRIES = 4
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# A server silent for a whole timeout twice in a row is down or swamped; waiting a third
# time only makes the user wait longer for the same error.
MAX_TIMED_OUT_ATTEMPTS = 2
# 3,000 tokens are about 12,000 characters; a reply a thousand times that is a broken
# server, and reading on would only fill memory.
MAX_REPLY_CHARS = 16_000_000
# Servers that need no key still get a bearer token: the SDK always sends one.
NO_KEY = "EMPTY"


def api_key_from_env() -> str | None:
    for name in API_KEY_ENV:
        value = os.environ.get(name)
        if value:
            return value
    return None


@dataclass(frozen=True)
class ModelWait:
    """What the engine tells ``on_wait`` while the user waits on the model server."""

    seconds: float  # waited so far on this attempt
    attempt: int  # 1-based
    attempts: int  # the most this step will make
    retry_in: float | None = None  # set when an attempt failed: the pause before the next
    reason: str = ""  # why that attempt failed

    def __str__(self) -> str:
        if self.retry_in is not None:
            return (f"model server: {self.reason}; retrying in {self.retry_in:.1f} s "
                    f"(attempt {self.attempt + 1}/{self.attempts})")
        return f"waiting for the model... {self.seconds:.0f} s, attempt {self.attempt}/{self.attempts}"


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, *, truncated: bool = False,
                 timed_out: bool = False, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.truncated = truncated
        self.timed_out = timed_out
        self.detail = detail


# ---------------------------------------------------------------------- the reply's shape

class _TextPart(BaseModel):
    type: str = "text"
    text: str = ""


class _Message(BaseModel):
    """A non-streamed ``message`` or a streamed ``delta``: only the fields the agent reads."""

    # OpenAI-compatible servers may send content as a list of parts; only text parts count.
    content: str | list[_TextPart] | None = None
    # vLLM and SGLang with a reasoning parser split the thinking off; newer servers call it
    # ``reasoning``, and some hosted ones use that name for an object of their own, which
    # is no reason to refuse the reply: only text is taken.
    reasoning_content: str | None = None
    reasoning: Any = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content if part.type == "text")

    def thinking(self) -> str:
        return self.reasoning_content or (self.reasoning if isinstance(self.reasoning, str) else "")


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _Completion(BaseModel):
    choices: list[_Choice] = Field(min_length=1)


class _StreamChoice(BaseModel):
    delta: _Message | None = None
    finish_reason: str | None = None


class _Chunk(BaseModel):
    choices: list[_StreamChoice] = Field(default_factory=list)  # usage chunks carry none


@dataclass
class _Reply:
    reasoning: str
    content: str
    finish_reason: str | None
    timings: dict[str, float]

    @property
    def text(self) -> str:
        return _join(self.reasoning or None, self.content)


@dataclass
class OpenAIPolicy:
    """Policy over ``POST {base_url}/chat/completions``.

    ``base_url`` is the API root including its version, e.g. ``http://localhost:8000/v1``.
    ``timeout`` and ``max_retries`` default to ``$AUTOAGENT_TIMEOUT`` and
    ``$AUTOAGENT_RETRIES``, then to 120 s and 4.
    """

    base_url: str
    model: str
    api_key: str | None = None
    lang: str = "en"
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_tokens: int = 3000
    temperature: float = 0.0
    top_p: float = 0.85
    stream: bool = True
    image_format: str = "jpeg"
    # The longest one attempt may take in all, from sending the request to the reply's end.
    timeout: float | None = None
    max_retries: int | None = None
    connect_timeout: float = 10.0
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    progress_every: float = 10.0
    max_context_tokens: int = 20_000
    ui_text: bool = True
    extra_body: dict[str, Any] = field(default_factory=dict)
    extra_headers: dict[str, str] = field(default_factory=dict)
    on_wait: Callable[[ModelWait], None] | None = None
    name: str = "openai"
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must look like http://host:port/v1, got {self.base_url!r}")
        if not self.model:
            raise ValueError("a model name is required (the name the server serves it under)")
        self._endpoint = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self._path = parts.path.rstrip("/") + "/chat/completions"
        if self.api_key is None:
            self.api_key = api_key_from_env()
        if self.timeout is None:
            self.timeout = _env_number(TIMEOUT_ENV, float, DEFAULT_TIMEOUT)
        if self.max_retries is None:
            self.max_retries = _env_number(RETRIES_ENV, int, DEFAULT_RETRIES)
        if not self.timeout > 0:
            raise ValueError(f"the model timeout must be more than 0 seconds, got {self.timeout:g}")
        if self.max_retries < 0:
            raise ValueError(f"the model retries must be 0 or more, got {self.max_retries}")
        self.name = f"openai:{self.model}"
        self._tls: ssl.SSLContext | None = None

    # ------------------------------------------------------------------ policy protocol

    def decide(self, step: StepInput) -> Decision:
        started = time.perf_counter()
        messages = self.messages_for(step)
        prepared = time.perf_counter()
        text, timings = self.complete(messages)
        timings["prepare"] = (prepared - started) * 1000
        return decide_from_text(text, timings)

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ request building

    def messages_for(self, step: StepInput) -> list[dict[str, Any]]:
        image = fit_image(step.observation.screenshot, self.max_pixels)
        if image is step.observation.screenshot:
            # The trace writer saves this very image in its own thread, and Pillow's save()
            # keeps each call's encoder settings on the image object: two saves at once mix
            # them up (a PNG written with JPEG settings fails). Encode a copy.
            image = image.copy()
        part = {"type": "image_url", "image_url": {"url": encode_image(image, self.image_format)}}
        options = PromptOptions(lang=self.lang, max_context_tokens=self.max_context_tokens, ui_text=self.ui_text)
        return build_messages(step, part, options, image_cost=image_tokens(*image.size))

    def _request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                                   "temperature": self.temperature, "top_p": self.top_p, "stream": self.stream}
        if self.extra_body:
            request["extra_body"] = dict(self.extra_body)
        return request

    # ------------------------------------------------------------------ attempts and retries

    def complete(self, messages: list[dict[str, Any]]) -> tuple[str, dict[str, float]]:
        """Send one chat request, retrying by the rules above; return (text, timings in ms).

        Raises TruncatedReply for a reply stopped by ``max_tokens``, PolicyError when the
        server cannot give a whole reply.
        """
        assert self.max_retries is not None
        request = self._request(messages)
        attempts = self.max_retries + 1
        cut = timed_out = 0
        attempt = 1
        while True:
            try:
                reply = _run(self._attempt(request, attempt, attempts))
                break
            except _Retryable as err:
                cut += err.truncated
                timed_out += err.timed_out
                if attempt >= attempts or timed_out >= MAX_TIMED_OUT_ATTEMPTS:
                    times = ("twice" if timed_out >= MAX_TIMED_OUT_ATTEMPTS
                             else f"after {attempt} attempt{'s' if attempt > 1 else ''}")
                    raise PolicyError(f"{self._where()} kept failing {times}: {err.reason}{err.detail}") from None
                delay = self._delay(attempt, err)
                self._tell(ModelWait(0.0, attempt, attempts, retry_in=delay, reason=err.reason))
                self.sleep(delay)
                attempt += 1
        timings = dict(reply.timings, attempts=float(attempt))
        if cut:
            timings["truncated"] = float(cut)  # cut-off replies that were retried, never acted on
        if reply.finish_reason == "length":
            raise TruncatedReply(f"the reply was cut off at max_tokens ({self.max_tokens}) before it ended",
                                 reply.text)
        return reply.text, timings

    def _delay(self, attempt: int, err: _Retryable) -> float:
        delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        if err.retry_after is None:
            return delay
        if err.retry_after > self.max_retry_after:
            raise PolicyError(f"{self._where()} asks to wait {err.retry_after:g} s before the next try "
                              f"({err.reason}), longer than the {self.max_retry_after:g} s this agent waits; "
                              "try again later") from None
        return max(delay, err.retry_after)

    def _tell(self, event: ModelWait) -> None:
        if self.on_wait is not None:
            self.on_wait(event)

    def _where(self) -> str:
        return f"the model server at {self.base_url}"

    async def _attempt(self, request: dict[str, Any], attempt: int, attempts: int) -> _Reply:
        """One request, cancelled once ``timeout`` seconds have passed whatever the server sends."""
        assert self.timeout is not None
        sent = time.perf_counter()
        task = asyncio.ensure_future(self._exchange(request, sent))
        next_tick = self.progress_every
        try:
            while True:
                waited = time.perf_counter() - sent
                left = self.timeout - waited
                if left <= 0:
                    raise _Retryable(f"no whole reply within {self.timeout:g} s", timed_out=True,
                                     detail=f" (raise --timeout or ${TIMEOUT_ENV} if the model is just slow)")
                done, _ = await asyncio.wait({task}, timeout=max(0.0, min(left, next_tick - waited)))
                if done:
                    return task.result()
                waited = time.perf_counter() - sent
                if next_tick <= waited < self.timeout:  # at the deadline the failure itself is told
                    self._tell(ModelWait(next_tick, attempt, attempts))
                    next_tick += self.progress_every
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _client(self) -> openai.AsyncOpenAI:
        """A client for one attempt: its connections belong to that attempt's event loop.

        Loading the trusted certificates costs more than the rest of a client together, so
        the TLS context (the SDK's own defaults) is made once and shared.
        """
        assert self.timeout is not None
        if self._tls is None:
            self._tls = httpx2.create_ssl_context()
        return openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self.api_key or NO_KEY, max_retries=0,
            timeout=openai.Timeout(self.timeout, connect=min(self.connect_timeout, self.timeout)),
            default_headers=self.extra_headers or None,
            http_client=openai.DefaultAsyncHttpxClient(verify=self._tls))

    async def _exchange(self, request: dict[str, Any], sent: float) -> _Reply:
        client = self._client()
        try:
            async with client, client.chat.completions.with_streaming_response.create(**request) as response:
                if "text/event-stream" in response.headers.get("content-type", ""):
                    # Raw events, checked by this module's own models (the SDK's would let a
                    # wrong shape through as a half-built object).
                    return await self._read_stream(await response.parse(to=openai.AsyncStream[object]), sent)
                return self._read_whole(await _read_capped(response.iter_bytes()), sent)
        except openai.APIStatusError as err:
            raise self._status_error(err) from None
        except openai.APITimeoutError:
            raise _Retryable(f"the server went silent for {self.timeout:g} s", timed_out=True) from None
        except openai.APIConnectionError as err:
            raise self._connection_error(err) from None
        except openai.APIError as err:  # an error event in the middle of a stream
            raise _Retryable(f"the server failed mid-stream: {err.message}") from None
        except UnicodeDecodeError:
            # Replaced characters could end up typed into a field: a damaged reply is retried.
            raise _Retryable("the reply is not valid UTF-8") from None

    def _status_error(self, err: openai.APIStatusError) -> Exception:
        status = err.status_code
        detail = _error_detail(err.response.content if err.response.is_closed else b"")
        said = f"HTTP {status}{': ' + detail if detail else ''}"
        if status in (401, 403):
            return PolicyError(f"{self._where()} refused the API key ({said}). "
                               f"Pass the right key, or set {API_KEY_ENV[0]} / {API_KEY_ENV[1]}.")
        if status == 404:
            return PolicyError(f"{self._where()} has no model {self.model!r} or no {self._path} endpoint ({said}). "
                               "Check the model name and that base_url ends in /v1.")
        if status in RETRY_STATUS:
            return _Retryable(said, _retry_after(err.response.headers))
        return PolicyError(f"{self._where()} rejected the request ({said})")

    def _connection_error(self, err: openai.APIConnectionError) -> Exception:
        cause = _cause(err, (socket.gaierror, ssl.SSLError, ConnectionRefusedError))
        if isinstance(cause, socket.gaierror):
            return PolicyError(f"cannot resolve the host of {self.base_url}: {cause.strerror or cause}")
        if isinstance(cause, ssl.SSLError):
            return PolicyError(f"TLS with {self._endpoint} failed: {cause.reason or cause}")
        if isinstance(cause, ConnectionRefusedError):
            return _Retryable(f"nothing is listening on {self._endpoint} (connection refused)")
        inner = err.__cause__
        return _Retryable(f"the connection failed ({type(inner).__name__ if inner else 'error'}: {inner or err})")

    # ------------------------------------------------------------------ reading replies

    def _read_whole(self, data: bytes, sent: float) -> _Reply:
        done = time.perf_counter()
        text = data.decode("utf-8")  # strict, as in a stream: a damaged reply is retried
        try:
            choice = _Completion.model_validate_json(text).choices[0]
        except ValidationError:
            raise PolicyError(f"{self._where()} did not answer in chat-completions format: {data[:200]!r}") from None
        ms = (done - sent) * 1000
        return _Reply(choice.message.thinking(), choice.message.text(), choice.finish_reason or "stop",
                      {"ttft": ms, "model": ms})

    async def _read_stream(self, events: AsyncIterator[object], sent: float) -> _Reply:
        reasoning: list[str] = []
        content: list[str] = []
        size = chunks = 0
        first: float | None = None
        finish: str | None = None
        async for event in events:
            for choice in self._chunk(event).choices:
                piece_r = choice.delta.thinking() if choice.delta else ""
                piece_c = choice.delta.text() if choice.delta else ""
                if piece_r or piece_c:
                    reasoning.append(piece_r)
                    content.append(piece_c)
                    size += len(piece_r) + len(piece_c)
                    first = first or time.perf_counter()
                    if size > MAX_REPLY_CHARS:
                        raise self._too_long()
                finish = choice.finish_reason or finish
                chunks += 1
        done = time.perf_counter()
        if finish is None:
            # Every chat-completions stream ends with a chunk that says why it stopped; one
            # that ends without it was cut off, however whole its text may look.
            raise _Retryable("the stream ended before the reply did (no finish_reason): a cut-off reply",
                             truncated=True)
        return _Reply("".join(reasoning), "".join(content), finish,
                      {"ttft": ((first or done) - sent) * 1000, "model": (done - sent) * 1000,
                       "chunks": float(chunks)})

    def _chunk(self, event: object) -> _Chunk:
        if not isinstance(event, dict):
            raise PolicyError(f"{self._where()} sent a stream event that is not an object: "
                              f"{json.dumps(event)[:200]!r}")
        try:
            return _Chunk.model_validate(event)
        except ValidationError:
            raise PolicyError(f"{self._where()} sent a stream event not in chat-completions format: "
                              f"{json.dumps(event, ensure_ascii=False)[:200]!r}") from None

    def _too_long(self) -> PolicyError:
        return PolicyError(f"{self._where()} sent a reply longer than {MAX_REPLY_CHARS:,} characters "
                           f"(max_tokens is {self.max_tokens}): refused")


def _run(attempt: Coroutine[Any, Any, _Reply]) -> _Reply:
    """Run one attempt in an event loop of its own (cancelled as a whole when it is over time)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(attempt)
    # Called from code that runs an event loop itself (a notebook, an async app): that loop
    # cannot be entered again, so the attempt gets a thread with a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="autoagent-model") as pool:
        return pool.submit(asyncio.run, attempt).result()


async def _read_capped(chunks: AsyncIterator[bytes]) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        # UTF-8 takes at most 4 bytes a character; JSON escapes at most 6.
        if len(body) > 6 * MAX_REPLY_CHARS:
            raise PolicyError(f"the model server sent a body larger than {6 * MAX_REPLY_CHARS:,} bytes: refused")
    return bytes(body)


def _env_number(name: str, kind: type[float] | type[int], default: float | int) -> Any:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"${name} must be {'a whole number' if kind is int else 'a number of seconds'}, "
                         f"got {value!r}") from None


def _cause(err: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of ``kinds`` in the chain under ``err`` (the SDK wraps the socket's)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _join(reasoning: str | None, content: str | None) -> str:
    # Servers running a reasoning parser split the thinking off; put it back where the
    # grammar expects it.
    content = content or ""
    if reasoning and "<think>" not in content:
        return f"<think>{reasoning}</think>{content}"
    return content


def _error_detail(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(payload, dict):
        error = payload.get("error", payload)
        if isinstance(error, dict):
            return str(error.get("message") or error)[:300]
        return str(error)[:300]
    return text[:300]


def _retry_after(headers: Any) -> float | None:
    """Seconds the server asks to wait: ``retry-after-ms``, or ``Retry-After`` in seconds or as a date."""
    millis = headers.get("retry-after-ms")
    if millis:
        with contextlib.suppress(ValueError):
            return max(0.0, float(millis) / 1000)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
