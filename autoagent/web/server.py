"""``autoagent serve``: a local web page to give a task (typed or spoken), watch the screen
and each step, answer the guard's questions, take over, and stop.

A Starlette app on uvicorn, in a background thread: one static page, a JSON API, and one
Server-Sent Events stream that pushes steps, questions, run states and screen changes to the
page (:mod:`autoagent.web.screens`), which never polls. One run at a time; it happens in a
background thread (:mod:`autoagent.web.runs`).

Security (:mod:`autoagent.web.guard`): binds to loopback unless told otherwise; on any other
address a token is required and every request without it gets 401. Requests whose Host is not
this server's are refused (DNS rebinding), and so are requests a page of another origin sends
(its browser names it in Origin). State-changing requests must be JSON or WAV, within a size
limit. No response may be framed.
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from autoagent.device import Device, DeviceError
from autoagent.policy.base import Policy
from autoagent.web.phones import PhoneChoice, Phones
from autoagent.web.guard import Guard, HttpError, error_response, is_loopback, read_body
from autoagent.web.policies import build_policy, expert_available
from autoagent.web.runs import EventLog, Run
from autoagent.web.screens import ScreenWatch
from autoagent.web.serving import Running, listen, start
from autoagent.web.takeover import NotTakingOver, parse_input

STATIC = Path(__file__).with_name("static")
MAX_UPLOAD = 20 * 1024 * 1024
MAX_JSON = 64 * 1024
DEVICE_KINDS = ("emulator", "android", "browser")

# (task, device, options from the page) -> Policy. Replaces the engines (tests, embedding apps).
PolicyFactory = Callable[[str, Device, dict[str, Any]], Policy]


KEEP_ALIVE_S = 10.0  # a comment line on a quiet stream, so a dropped page is noticed
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
               "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'")


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
        # The page selects the first: the embedded policy ("local" with no folder) reads everyday words.
        engines = ["local", "openai", "replay"] + (["expert"] if expert_available() else [])
        return {"run": self.run.summary() if self.run else None, "devices": list(DEVICE_KINDS), "seed": self.seed,
                "instance": self.instance,
                "engines": engines, "custom_policy": self.policy_factory is not None,
                "last_event": self.events.since(0, 0)[-1]["seq"] if self.events.since(0, 0) else 0}

    def screen_image(self) -> Any:
        """The live screen (a PIL image), or None before there is one."""
        run = self.run
        image = None
        if run is not None and run.device_spec.split(":")[0] == "emulator" or run is None:
            if self.phone is not None:
                image = self.phone.screenshot()
        if image is None and run is not None:
            image = run.last_image
        return image

    def observed(self) -> Any:
        """The going run's newest observed screen (a new object for each observation), or None."""
        run = self.run
        return run.last_image if run is not None and run.running else None

    def waiting(self) -> bool:
        """Whether a going run waits for the person (a take-over or a question): the screen is
        theirs, or changes only from outside."""
        run = self.run
        return run is not None and run.running and (run.hands.held_by_person or bool(run.pending.pending()))

    def screen_png(self) -> bytes | None:
        image = self.screen_image()
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



# -- the HTTP side: routes over a WebApp ------------------------------------------------------------
def _web(request: Request) -> WebApp:
    return request.app.state.web


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await read_body(request, ("application/json",), MAX_JSON)
    try:
        data = json.loads(raw or b"{}")
    except ValueError as err:  # bad JSON, or bytes that are not text at all
        raise HttpError(400, f"bad JSON: {err}") from None
    if not isinstance(data, dict):
        raise HttpError(400, "send a JSON object")
    return data


def _ok() -> JSONResponse:
    return JSONResponse({"ok": True})


async def page(request: Request) -> Response:
    return Response((STATIC / "index.html").read_bytes(), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": PAGE_POLICY})


async def state(request: Request) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(_web(request).state))


async def screen(request: Request) -> Response:
    png = await run_in_threadpool(_web(request).screen_png)
    if png is None:
        raise HttpError(404, "no screen yet")
    return Response(png, media_type="image/png")


async def start_run(request: Request) -> JSONResponse:
    body = await _json_body(request)
    run = await run_in_threadpool(_web(request).start, body)
    return JSONResponse(run.summary(), status_code=202)


async def answer(request: Request) -> JSONResponse:
    body = await _json_body(request)
    approved = body.get("approved")
    if not isinstance(approved, bool):
        raise HttpError(400, "approved must be true or false")
    text = body.get("text")
    run = _web(request).current()
    if not await run_in_threadpool(run.answer, str(body.get("id", "")), approved,
                                   str(text) if text is not None else None):
        raise HttpError(409, "that question is no longer open")
    return _ok()


def _control(act: Callable[[Run], None]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> JSONResponse:
        await _json_body(request)
        await run_in_threadpool(act, _web(request).current())
        return _ok()
    return endpoint


async def screen_input(request: Request) -> JSONResponse:
    try:
        given = parse_input(await _json_body(request))
    except ValueError as err:
        raise HttpError(400, str(err)) from None
    run = _web(request).current()
    try:
        await run_in_threadpool(run.drive, given)
    except NotTakingOver as err:
        raise HttpError(409, str(err)) from None
    except DeviceError as err:
        raise HttpError(502, f"the device: {err}") from None
    return _ok()


async def transcribe(request: Request) -> JSONResponse:
    data = await read_body(request, ("audio/wav", "audio/x-wav", "audio/wave", "application/octet-stream"),
                           MAX_UPLOAD)
    return JSONResponse(await run_in_threadpool(_web(request).transcribe, data))


async def events(request: Request) -> StreamingResponse:
    try:
        # A reconnecting EventSource repeats its first URL and sends the last id it saw: the
        # header wins, or the page would replay the whole run (old questions included).
        seq = int(request.headers.get("last-event-id") or request.query_params.get("since") or 0)
    except ValueError:
        seq = 0
    return StreamingResponse(_stream(_web(request), seq), media_type="text/event-stream")


async def _stream(web: WebApp, seq: int) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake() -> None:  # on the emitting thread: hand over to this stream's loop
        try:
            loop.call_soon_threadsafe(woken.set)
        except RuntimeError:  # the server has stopped
            pass

    unlisten = web.events.listen(wake)
    try:
        yield "retry: 1000\n\n"
        # First on every connection, reconnections included, without an id (the page's last event
        # number stays as it was): which server this is.
        yield f"event: server\ndata: {json.dumps({'instance': web.instance})}\n\n"
        while not web.events.closed:
            woken.clear()  # before reading, so an event emitted after the read wakes the wait
            batch = web.events.since(seq, timeout=0)
            if not batch:
                with anyio.move_on_after(KEEP_ALIVE_S) as quiet:
                    await woken.wait()
                if quiet.cancelled_caught:
                    yield ": keep-alive\n\n"
                continue
            seq = batch[-1]["seq"]
            yield "".join(f"id: {e['seq']}\nevent: {e['type']}\ndata: {json.dumps(e, ensure_ascii=False)}\n\n"
                          for e in batch)
    finally:
        unlisten()


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, HttpError):
        return error_response(exc.status, str(exc))
    assert isinstance(exc, HTTPException)  # Starlette's own: no such route, or not that method
    response = error_response(exc.status_code, exc.detail)
    response.headers.update(exc.headers or {})
    return response


def asgi_app(web: WebApp) -> Starlette:
    """The web app's routes over ``web``, without the guard (:func:`make_app` puts it in front)."""
    app = Starlette(routes=[
        Route("/", page), Route("/index.html", page), Route("/api/state", state), Route("/api/events", events),
        Route("/api/screen.png", screen),
        Route("/api/run", start_run, methods=["POST"]), Route("/api/answer", answer, methods=["POST"]),
        Route("/api/stop", _control(Run.stop), methods=["POST"]),
        Route("/api/takeover", _control(Run.take_over), methods=["POST"]),
        Route("/api/resume", _control(Run.resume), methods=["POST"]),
        Route("/api/input", screen_input, methods=["POST"]),
        Route("/api/transcribe", transcribe, methods=["POST"]),
    ], exception_handlers={HttpError: _refused, HTTPException: _refused})
    app.state.web = web
    return app


# -- serving -----------------------------------------------------------------------------------------
@dataclass
class Served:
    running: Running
    app: WebApp
    watch: ScreenWatch

    @property
    def server_address(self) -> tuple[str, int]:
        return self.running.address

    @property
    def url(self) -> str:
        host, port = self.server_address
        host = f"[{host}]" if ":" in host else host
        query = f"?token={self.app.token}" if self.app.token else ""
        return f"http://{host}:{port}/{query}"

    def close(self) -> None:
        self.watch.close()
        self.app.close()  # ends the event streams, which would otherwise hold the shutdown
        self.running.stop()


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
    sock = listen(host, port)
    # Remote use means other host names are expected; the token guards it instead.
    guarded = Guard(asgi_app(app), bound=str(sock.getsockname()[0]), token=token, any_host=not is_loopback(host))
    running = start(guarded, sock, name="autoagent-web")
    watch = ScreenWatch(app.events, app.observed, app.waiting, app.screen_image)
    watch.start()
    return Served(running, app, watch)
