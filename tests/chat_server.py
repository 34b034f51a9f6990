"""A real chat-completions endpoint on loopback whose replies are queued by the test."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
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


class ChatServer:
    """A chat-completions endpoint whose replies are queued by the test."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length))
                server.requests.append(payload)
                server.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}).encode())
                    return
                reply = server.replies.popleft() if server.replies else Reply()
                if reply.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if reply.status != 200 or reply.body is not None:
                    body = reply.body if reply.body is not None else json.dumps(
                        {"error": {"message": f"status {reply.status}"}}).encode()
                    self._send(reply.status, body, reply.headers)
                    return
                stream = payload.get("stream", False) if reply.stream is None else reply.stream
                if stream:
                    self._stream(reply)
                else:
                    message = {"role": "assistant", "content": reply.text}
                    if reply.reasoning:
                        message["reasoning_content"] = reply.reasoning
                    self._send(200, json.dumps({"choices": [{"index": 0, "message": message,
                                                             "finish_reason": "stop"}]}).encode())

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _stream(self, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                self.wfile.write(b": keep-alive\n\n")
                pieces = [("reasoning_content", reply.reasoning)] if reply.reasoning else []
                text = reply.text
                pieces += [("content", text[i:i + 7]) for i in range(0, len(text), 7)]
                for key, piece in pieces:
                    event = {"choices": [{"index": 0, "delta": {key: piece}}]}
                    self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
