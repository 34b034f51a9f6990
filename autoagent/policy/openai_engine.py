"""A GLM policy served behind an OpenAI-compatible chat-completions endpoint (vLLM, SGLang,
hosted APIs), spoken to with the standard library only.

Each step streams the reply (server-sent events) so the time to the first token and the
total model time are recorded; transient failures (429, 5xx, dropped connections, timeouts)
are retried with bounded exponential backoff, while a bad key, a wrong URL or model name
stop the run with a PolicyError that says what to fix.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from autoagent.policy.base import Decision, PolicyError, StepInput
from autoagent.policy.images import DEFAULT_MAX_PIXELS, encode_image, fit_image, image_tokens
from autoagent.policy.prompts import PromptOptions, build_messages
from autoagent.policy.reply import decide_from_text

API_KEY_ENV = ("AUTOAGENT_API_KEY", "OPENAI_API_KEY")
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_RETRY_ERRORS = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, ConnectionRefusedError,
                 http.client.RemoteDisconnected, http.client.IncompleteRead, socket.timeout, TimeoutError)


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def api_key_from_env() -> str | None:
    for name in API_KEY_ENV:
        value = os.environ.get(name)
        if value:
            return value
    return None


@dataclass
class OpenAIPolicy:
    """Policy over ``POST {base_url}/chat/completions``.

    ``base_url`` is the API root including its version, e.g. ``http://localhost:8000/v1``.
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
    connect_timeout: float = 10.0
    # Longest silence while waiting for bytes, and the longest a whole reply may take.
    read_timeout: float = 120.0
    total_timeout: float = 300.0
    max_retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_context_tokens: int = 20_000
    ui_text: bool = True
    extra_body: dict[str, Any] = field(default_factory=dict)
    name: str = "openai"
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must look like http://host:port/v1, got {self.base_url!r}")
        if not self.model:
            raise ValueError("a model name is required (the name the server serves it under)")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._path = parts.path.rstrip("/") + "/chat/completions"
        if self.api_key is None:
            self.api_key = api_key_from_env()
        self.name = f"openai:{self.model}"

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
        part = {"type": "image_url", "image_url": {"url": encode_image(image, self.image_format)}}
        options = PromptOptions(lang=self.lang, max_context_tokens=self.max_context_tokens, ui_text=self.ui_text)
        return build_messages(step, part, options, image_cost=image_tokens(*image.size))

    def _body(self, messages: list[dict[str, Any]]) -> bytes:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                                "temperature": self.temperature, "top_p": self.top_p, "stream": self.stream}
        body.update(self.extra_body)
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream" if self.stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    # ------------------------------------------------------------------ transport

    def complete(self, messages: list[dict[str, Any]]) -> tuple[str, dict[str, float]]:
        """Send one chat request (retrying transient failures); return (text, timings in ms)."""
        body = self._body(messages)
        attempt = 0
        while True:
            try:
                text, timings = self._once(body)
                timings["attempts"] = float(attempt + 1)
                return text, timings
            except _Retryable as err:
                attempt += 1
                if attempt > self.max_retries:
                    raise PolicyError(f"{self._where()} kept failing after {attempt} attempts: {err.reason}") from None
                delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                if err.retry_after is not None:
                    delay = min(self.max_backoff, max(delay, err.retry_after))
                self.sleep(delay)

    def _where(self) -> str:
        return f"the model server at {self.base_url}"

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.connect_timeout)

    def _once(self, body: bytes) -> tuple[str, dict[str, float]]:
        conn = self._connection()
        sent = time.perf_counter()
        try:
            try:
                conn.connect()
            except ConnectionRefusedError:
                raise _Retryable(f"nothing is listening on {self._host}:{self._port} (connection refused)") from None
            except socket.gaierror as err:
                raise PolicyError(f"cannot resolve the host of {self.base_url}: {err.strerror or err}") from None
            except (socket.timeout, TimeoutError):
                raise _Retryable(f"connecting to {self._host}:{self._port} timed out") from None
            except ssl.SSLError as err:
                raise PolicyError(f"TLS with {self._host}:{self._port} failed: {err.reason or err}") from None
            except OSError as err:
                raise _Retryable(f"cannot connect to {self._host}:{self._port}: {err.strerror or err}") from None
            assert conn.sock is not None
            conn.sock.settimeout(self.read_timeout)
            try:
                conn.request("POST", self._path, body=body, headers=self._headers())
                response = conn.getresponse()
                self._check_status(response)
                if self.stream and "text/event-stream" in (response.getheader("Content-Type") or ""):
                    return self._read_stream(response, sent)
                return self._read_whole(response, sent)
            except _RETRY_ERRORS as err:
                raise _Retryable(f"the connection failed mid-request ({type(err).__name__}: {err})") from None
        finally:
            conn.close()

    def _check_status(self, response: http.client.HTTPResponse) -> None:
        status = response.status
        if status == 200:
            return
        detail = _error_detail(response.read())
        if status in (401, 403):
            raise PolicyError(
                f"{self._where()} refused the API key (HTTP {status}{': ' + detail if detail else ''}). "
                f"Pass the right key, or set {API_KEY_ENV[0]} / {API_KEY_ENV[1]}.")
        if status == 404:
            raise PolicyError(
                f"{self._where()} has no model {self.model!r} or no {self._path} endpoint (HTTP 404"
                f"{': ' + detail if detail else ''}). Check the model name and that base_url ends in /v1.")
        if status in RETRY_STATUS:
            raise _Retryable(f"HTTP {status}{': ' + detail if detail else ''}",
                             _retry_after(response.getheader("Retry-After")))
        raise PolicyError(f"{self._where()} rejected the request (HTTP {status}{': ' + detail if detail else ''})")

    def _read_whole(self, response: http.client.HTTPResponse, sent: float) -> tuple[str, dict[str, float]]:
        data = response.read()
        done = time.perf_counter()
        try:
            payload = json.loads(data)
            message = payload["choices"][0]["message"]
            text = _join(_text_or_none(message.get("reasoning_content")), _text_or_none(message.get("content")))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise PolicyError(f"{self._where()} did not answer in chat-completions format: {data[:200]!r}") from None
        ms = (done - sent) * 1000
        return text, {"ttft": ms, "model": ms}

    def _read_stream(self, response: http.client.HTTPResponse, sent: float) -> tuple[str, dict[str, float]]:
        reasoning: list[str] = []
        content: list[str] = []
        first: float | None = None
        deadline = sent + self.total_timeout
        chunks = 0
        for event in _sse_events(response):
            if time.perf_counter() > deadline:
                raise _Retryable(f"the reply took longer than {self.total_timeout:g} s")
            if event == "[DONE]":
                break
            try:
                payload = json.loads(event)
            except ValueError:
                raise PolicyError(f"{self._where()} sent a stream event that is not JSON: {event[:200]!r}") from None
            if not isinstance(payload, dict):
                raise PolicyError(f"{self._where()} sent a stream event that is not an object: {event[:200]!r}")
            if payload.get("error"):
                raise _Retryable(f"the server failed mid-stream: {_error_detail(json.dumps(payload).encode())}")
            for choice in payload.get("choices") or []:
                delta = choice.get("delta") if isinstance(choice, dict) else None
                if not isinstance(delta, dict):
                    continue
                try:
                    piece_r = _text_or_none(delta.get("reasoning_content"))
                    piece_c = _text_or_none(delta.get("content"))
                except TypeError:
                    raise PolicyError(f"{self._where()} sent a stream delta whose text is not a string: "
                                      f"{event[:200]!r}") from None
                if piece_r:
                    reasoning.append(piece_r)
                if piece_c:
                    content.append(piece_c)
                if (piece_r or piece_c) and first is None:
                    first = time.perf_counter()
                chunks += 1
        done = time.perf_counter()
        text = _join("".join(reasoning) or None, "".join(content))
        return text, {"ttft": ((first or done) - sent) * 1000, "model": (done - sent) * 1000,
                      "chunks": float(chunks)}


def _sse_events(response: http.client.HTTPResponse) -> Iterator[str]:
    """The data fields of a server-sent event stream, one string per event."""
    data: list[str] = []
    while True:
        line = response.readline()
        if not line:
            break
        # A server that breaks UTF-8 mid-character still gets its reply read; the parser decides.
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if text.startswith(":"):
            continue  # a comment / keep-alive
        name, _, value = text.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def _text_or_none(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected text, got {type(value).__name__}")


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


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
