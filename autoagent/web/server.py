"""``autoagent serve``: a local web page to give a task (typed or spoken), watch the screen
and each step, answer the guard's questions, take over, and stop.

Standard library only: ThreadingHTTPServer, Server-Sent Events for the live stream, and one
static page. One run at a time; it happens in a background thread (:mod:`autoagent.web.runs`).

Security: binds to loopback unless told otherwise; on any other address a token is required
and every request without it gets 401. Requests whose Host is not this server's are refused
(DNS rebinding), and state-changing requests must be JSON or WAV, which a foreign page
cannot send without a CORS preflight this server never grants.
"""

from __future__ import annotations

import hmac
import io
import ipaddress
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from autoagent.device import Device
from autoagent.policy.base import Policy
from autoagent.web.phones import PhoneChoice, Phones
from autoagent.web.policies import build_policy, expert_available
from autoagent.web.runs import EventLog, Run

STATIC = Path(__file__).with_name("static")
MAX_UPLOAD = 20 * 1024 * 1024
MAX_JSON = 64 * 1024
DEVICE_KINDS = ("emulator", "android", "browser")

# (task, device, options from the page) -> Policy. Replaces the engines (tests, embedding apps).
PolicyFactory = Callable[[str, Device, dict[str, Any]], Policy]


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class WebApp:
    """The server's state. ``phone`` is the emulator phone of the newest emulator run."""

    token: str | None = None
    policy_factory: PolicyFactory | None = None
    device_factory: Callable[[str], Device] | None = None
    traces: Path = Path("traces")
    seed: int = 0
    max_steps: int = 30
    confirm_timeout: float = 600.0
    speech_model: str | None = None
    events: EventLog = field(default_factory=EventLog)
    run: Run | None = None
    phones: Phones = field(default_factory=Phones)
    # Which start of the server this is. A page open across a restart sees another one on the event
    # stream and reloads: its run ids, question ids and event numbers belong to the old server.
    instance: str = field(default_factory=lambda: secrets.token_hex(8))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 0

    # -- devices -------------------------------------------------------------------------------
    @property
    def phone(self) -> Any:
        return self.phones.current

    def _opener(self, spec: str, choice: PhoneChoice) -> tuple[Callable[[], Device], bool]:
        """How the run gets its device, and whether the run closes it afterwards."""
        kind = spec.partition(":")[0].strip().lower()
        if kind not in DEVICE_KINDS:
            raise HttpError(400, f"unknown device {spec!r}: choose emulator, android[:SERIAL] or browser[:URL]")
        if self.device_factory is not None:
            return (lambda: self.device_factory(spec)), kind != "emulator"
        if kind == "emulator":
            # The phone outlives the run: the page shows its screen, and the next run may continue on it.
            return (lambda: self.phones.for_run(choice)), False
        from autoagent.targets import open_device

        # Opened on the run's thread: Playwright's objects must stay on the thread that made them.
        return (lambda: open_device(spec, seed=self.seed)), True

    # -- runs ------------------------------------------------------------------------------------
    def start(self, body: dict[str, Any]) -> Run:
        task = str(body.get("task") or "").strip()
        if not task:
            raise HttpError(400, "the task is empty: say what the agent should do")
        spec = str(body.get("device") or "emulator").strip()
        engine = str(body.get("engine") or "").strip()
        options = {k: v for k, v in body.items() if k not in ("task", "device", "engine", "seed", "same_phone")}
        try:
            choice = PhoneChoice.from_body(body, self.seed)
        except ValueError as err:
            raise HttpError(400, str(err)) from None
        opener, close = self._opener(spec, choice)
        if self.policy_factory is not None:
            factory = self.policy_factory

            def make(device: Device) -> Policy:
                return factory(task, device, options)
        else:
            if not engine:
                raise HttpError(400, "choose an engine for the run")

            def make(device: Device) -> Policy:
                return build_policy(engine, task, device, options)
        with self._lock:
            if self.run is not None and self.run.running:
                raise HttpError(409, "a run is already going: stop it first")
            self._ids += 1
            run = Run(id=f"run{self._ids}", task=task, device_spec=spec, events=self.events, open_device=opener,
                      make_policy=make, trace_root=self.traces, max_steps=self.max_steps,
                      confirm_timeout=self.confirm_timeout, close_device=close)
            self.run = run
        run.start()
        return run

    def current(self) -> Run:
        if self.run is None:
            raise HttpError(409, "no run has been started")
        return self.run

    def state(self) -> dict[str, Any]:
        engines = (["expert"] if expert_available() else []) + ["openai", "local", "replay"]
        return {"run": self.run.summary() if self.run else None, "devices": list(DEVICE_KINDS), "seed": self.seed,
                "instance": self.instance,
                "engines": engines, "custom_policy": self.policy_factory is not None,
                "last_event": self.events.since(0, 0)[-1]["seq"] if self.events.since(0, 0) else 0}

    def screen_png(self) -> bytes | None:
        run = self.run
        image = None
        if run is not None and run.device_spec.split(":")[0] == "emulator" or run is None:
            if self.phone is not None:
                image = self.phone.screenshot()
        if image is None and run is not None:
            image = run.last_image
        if image is None:
            return None
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def transcribe(self, data: bytes) -> dict[str, Any]:
        from autoagent.voice import AudioError, SpeechError, UnsupportedLanguage, transcribe_bytes

        try:
            heard = transcribe_bytes(data, model=self.speech_model)
        except (AudioError, UnsupportedLanguage) as err:  # the person's audio, not the server, is at fault
            raise HttpError(400 if isinstance(err, AudioError) else 422, str(err)) from None
        except SpeechError as err:
            raise HttpError(503, str(err)) from None
        return heard.model_dump(mode="json")

    def close(self) -> None:
        if self.run is not None and self.run.running:
            self.run.stop()
            self.run.join(10)
        self.events.close()
        self.phones.close()


class Handler(BaseHTTPRequestHandler):
    app: WebApp  # set on the subclass made by make_server
    server_version = "autoagent"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the page shows what matters
        pass

    # -- plumbing ------------------------------------------------------------------------------
    def end_headers(self) -> None:
        # Every response, errors and the event stream included: no other page may frame this one
        # and trick a click onto Approve.
        self.send_header("X-Frame-Options", "DENY")
        super().end_headers()

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if self.close_connection:
            self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _check(self) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        bound = self.server.server_address[0]
        if host not in ("localhost", "127.0.0.1", "::1", str(bound).lower()) and not getattr(
                self.server, "any_host", False):
            raise HttpError(403, f"unexpected Host {host!r}")
        token = self.app.token
        if token:
            given = self.headers.get("X-Autoagent-Token") or self._query().get("token") or ""
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise HttpError(401, "a valid token is required (?token=... or the X-Autoagent-Token header)")

    def _body(self, kinds: tuple[str, ...], limit: int) -> bytes:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in kinds:
            raise HttpError(415, f"send {' or '.join(kinds)}")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            # read(-1) would wait for the client to close; a body of unknown framing also
            # leaves the connection unusable for another request.
            self.close_connection = True
            raise HttpError(400, "Content-Length must be a whole number, not negative")
        if length > limit:
            self.close_connection = True
            raise HttpError(413, f"the body is larger than {limit} bytes")
        return self.rfile.read(length)

    def _json_body(self) -> dict[str, Any]:
        try:
            data = json.loads(self._body(("application/json",), MAX_JSON) or b"{}")
        except json.JSONDecodeError as err:
            raise HttpError(400, f"bad JSON: {err}") from None
        if not isinstance(data, dict):
            raise HttpError(400, "send a JSON object")
        return data

    def _dispatch(self, routes: dict[str, Callable[[], None]]) -> None:
        try:
            self._check()
            route = routes.get(urlsplit(self.path).path)
            if route is None:
                raise HttpError(404, "not found")
            route()
        except HttpError as err:
            self._json(err.status, {"error": str(err)})
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- routes --------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch({"/": self._page, "/index.html": self._page, "/api/state": self._state,
                        "/api/events": self._events, "/api/screen.png": self._screen})

    do_HEAD = do_GET

    def do_POST(self) -> None:
        self._dispatch({"/api/run": self._run, "/api/answer": self._answer, "/api/stop": self._stop,
                        "/api/takeover": self._takeover, "/api/resume": self._resume,
                        "/api/transcribe": self._transcribe})

    def _page(self) -> None:
        self._send(200, (STATIC / "index.html").read_bytes(), "text/html; charset=utf-8",
                   {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' "
                                               "'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
                                               "frame-ancestors 'none'"})

    def _state(self) -> None:
        self._json(200, self.app.state())

    def _screen(self) -> None:
        png = self.app.screen_png()
        if png is None:
            raise HttpError(404, "no screen yet")
        self._send(200, png, "image/png")

    def _run(self) -> None:
        run = self.app.start(self._json_body())
        self._json(202, run.summary())

    def _answer(self) -> None:
        body = self._json_body()
        approved = body.get("approved")
        if not isinstance(approved, bool):
            raise HttpError(400, "approved must be true or false")
        text = body.get("text")
        if not self.app.current().answer(str(body.get("id", "")), approved, str(text) if text is not None else None):
            raise HttpError(409, "that question is no longer open")
        self._json(200, {"ok": True})

    def _stop(self) -> None:
        self._json_body()
        self.app.current().stop()
        self._json(200, {"ok": True})

    def _takeover(self) -> None:
        self._json_body()
        self.app.current().take_over()
        self._json(200, {"ok": True})

    def _resume(self) -> None:
        self._json_body()
        self.app.current().resume()
        self._json(200, {"ok": True})

    def _transcribe(self) -> None:
        data = self._body(("audio/wav", "audio/x-wav", "audio/wave", "application/octet-stream"), MAX_UPLOAD)
        self._json(200, self.app.transcribe(data))

    def _events(self) -> None:
        try:
            # A reconnecting EventSource repeats its first URL and sends the last id it saw: the
            # header wins, or the page would replay the whole run (old questions included).
            seq = int(self.headers.get("Last-Event-ID") or self._query().get("since") or 0)
        except ValueError:
            seq = 0
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.write(b"retry: 1000\n\n")
        # First on every connection, reconnections included, without an id (the page's last event
        # number stays as it was): which server this is.
        self.wfile.write(f"event: server\ndata: {json.dumps({'instance': self.app.instance})}\n\n".encode())
        self.wfile.flush()
        events = self.app.events
        while not events.closed and not getattr(self.server, "closing", False):
            batch = events.since(seq, timeout=10.0)
            if not batch:
                self.wfile.write(b": keep-alive\n\n")
            for event in batch:
                seq = event["seq"]
                data = json.dumps(event, ensure_ascii=False)
                self.wfile.write(f"id: {seq}\nevent: {event['type']}\ndata: {data}\n\n".encode())
            self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    closing = False
    any_host = False


@dataclass
class Served:
    server: Server
    app: WebApp
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        query = f"?token={self.app.token}" if self.app.token else ""
        return f"http://{host}:{port}/{query}"

    def close(self) -> None:
        self.server.closing = True
        self.app.close()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def make_app(*, host: str = "127.0.0.1", port: int = 0, token: str | None = None, allow_remote: bool = False,
             policy_factory: PolicyFactory | None = None, device_factory: Callable[[str], Device] | None = None,
             traces: Path | str = "traces", seed: int = 0, max_steps: int = 30, confirm_timeout: float = 600.0,
             speech_model: str | None = None) -> Served:
    """Start the web app in a background thread (``port=0`` picks a free port).

    Binding anywhere but loopback needs ``allow_remote=True`` and a token (one is made when
    none is given: read it from ``served.app.token`` or ``served.url``).
    """
    if not is_loopback(host):
        if not allow_remote:
            raise ValueError(f"{host} is not a loopback address: pass the explicit remote flag "
                             f"(--allow-remote) to serve other machines")
        token = token or secrets.token_urlsafe(18)
    if token is not None and len(token) < 8:
        raise ValueError("the token is too short: use at least 8 characters")
    app = WebApp(token=token, policy_factory=policy_factory, device_factory=device_factory, traces=Path(traces),
                 seed=seed, max_steps=max_steps, confirm_timeout=confirm_timeout, speech_model=speech_model)
    handler = type("BoundHandler", (Handler,), {"app": app})
    server = Server((host, port), handler)
    # Remote use means other host names are expected; the token guards it instead.
    server.any_host = not is_loopback(host)
    thread = threading.Thread(target=server.serve_forever, name="autoagent-web", daemon=True)
    thread.start()
    return Served(server, app, thread)
