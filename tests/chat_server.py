"""A real chat-completions endpoint on loopback whose replies are queued by the test.

Besides good replies it misbehaves on purpose, the ways real servers and proxies do: a
stream cut off mid-reply, a reply stopped by ``max_tokens``, keep-alive comments and
nothing else, a body that trickles in a byte at a time, silence, bytes that are not UTF-8,
``content`` as a list of text parts. Every wait inside a handler ends when the server is
closed, so no test leaves a thread behind.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = '<think>The settings icon is at the top.</think><answer>do(action="Tap", element=[500,120])</answer>'


@dataclass
class Reply:
    status: int = 200
    text: str = GOOD
    stream: bool | None = None  # None: as the client asked
    reasoning: str | None = None
    body: bytes | None = None  # raw body instead of a completion
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the socket without answering
    finish_reason: str | None = "stop"  # None: no chunk or choice carries one
    done: bool = True  # a stream ends with ``data: [DONE]``
    cut_at: int | None = None  # stream only this many characters of text, then close
    parts: bool = False  # content as a list of text parts
    delay: float = 0.0  # seconds of silence before the status line
    keepalive: float | None = None  # stream nothing but a comment every this many seconds
    trickle: float | None = None  # send the body one byte every this many seconds
    chunk_size: int = 7  # characters of text per stream event


class ChatServer:
    """A chat-completions endpoint whose replies are queued by the test."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        # Each request's headers, looked up without regard to case (clients differ in it).
        self.headers: list[Message] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a reply on purpose (a timeout under test)

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length))
                server.requests.append(payload)
                server.headers.append(self.headers)
                if self.path != "/v1/chat/completions":
                    self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}).encode())
                    return
                reply = server.replies.popleft() if server.replies else Reply()
                if reply.delay and server.stopping.wait(reply.delay):
                    return
                if reply.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if reply.status != 200 or reply.body is not None:
                    body = reply.body if reply.body is not None else json.dumps(
                        {"error": {"message": f"status {reply.status}"}}).encode()
                    self._send(reply.status, body, reply.headers, reply.trickle)
                    return
                stream = payload.get("stream", False) if reply.stream is None else reply.stream
                if stream:
                    self._stream(reply)
                    return
                content: object = [{"type": "text", "text": reply.text}] if reply.parts else reply.text
                message: dict[str, object] = {"role": "assistant", "content": content}
                if reply.reasoning:
                    message["reasoning_content"] = reply.reasoning
                choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
                self._send(200, json.dumps({"choices": [choice]}, ensure_ascii=False).encode(), reply.headers,
                           reply.trickle)

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                      trickle: float | None = None) -> None:
                headers = dict(headers or {})
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if trickle is None:
                    self.wfile.write(body)
                    return
                for i in range(len(body)):
                    if server.stopping.wait(trickle):
                        return
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()

            def _event(self, delta: dict[str, object], finish_reason: str | None = None) -> None:
                event = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
                self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()

            def _stream(self, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                self.wfile.write(b": keep-alive\n\n")
                if reply.keepalive is not None:
                    while not server.stopping.wait(reply.keepalive):
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                    return
                text = reply.text if reply.cut_at is None else reply.text[:reply.cut_at]
                if reply.reasoning:
                    self._event({"reasoning_content": reply.reasoning})
                for i in range(0, len(text), reply.chunk_size):
                    piece = text[i:i + reply.chunk_size]
                    self._event({"content": [{"type": "text", "text": piece}] if reply.parts else piece})
                if reply.cut_at is not None:
                    return  # the connection closes: no finish_reason, no [DONE]
                if reply.finish_reason is not None:
                    self._event({}, reply.finish_reason)
                if reply.done:
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
