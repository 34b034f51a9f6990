"""The demo site's HTTP server: a Starlette app on uvicorn, on loopback, in a background thread.

Routes that read or change the state run on a worker thread (the state's lock blocks); the
slow and hanging routes wait on the event loop, so a stuck request holds no thread.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from autoagent.web.guard import HttpError, is_loopback, read_limited
from autoagent.web.serving import listen, serving
from emulator.web import netlab, pages
from emulator.web.state import DemoState, StateError

MAX_SLOW_MS = 30_000
MAX_FORM = 64 * 1024
HTML = "text/html; charset=utf-8"


@dataclass
class DemoSite:
    """A running demo site: its base URL and its live server-side state."""

    url: str
    state: DemoState
    server_address: tuple[str, int]
    slow_ms: int = 0  # delay before every HTML page; change it at any time
    # A cookie banner over the bottom of every page until a visitor accepts or rejects cookies.
    cookie_banner: bool = False
    # Set as the site closes: what still waits (a slow page, a hang) ends instead of holding the shutdown.
    closing: threading.Event = field(default_factory=threading.Event, repr=False)

    def page(self, path: str) -> str:
        return self.url + path

    @property
    def other_origin(self) -> str:
        """The same server under a second origin (``localhost`` for ``127.0.0.1``): what a page
        embeds from there is a cross-origin frame, as a hosted payment form is."""
        return self.url.replace("//127.0.0.1:", "//localhost:", 1)


def loopback_only(host: str, what: str) -> None:
    """A test site serves this machine only: its forms take payments without a person."""
    if not is_loopback(host):
        raise ValueError(f"{host} is not a loopback address: the {what} serves this machine only")


def request_target(request: Request) -> str:
    """The path and query as the request line gave them (percent-encoded), as a log shows them."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    query = request.scope.get("query_string", b"")
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


async def wait(seconds: float, closing: threading.Event) -> None:
    """Sleep ``seconds`` on the event loop, or less if the site closes meanwhile."""
    end = time.monotonic() + seconds
    while not closing.is_set() and (left := end - time.monotonic()) > 0:
        await anyio.sleep(min(left, 0.05))


def _params(query: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _send(status: int, body: str, content_type: str = HTML, close: bool = False) -> Response:
    headers = {"Cache-Control": "no-store"}
    if close:  # the body's framing is unknown, so this connection cannot carry another request
        headers["Connection"] = "close"
    return Response(body, status, headers=headers, media_type=content_type)


def _redirect(location: str) -> Response:
    return Response(status_code=303, headers={"Location": location})


class _Hang(Response):
    """Answer nothing for a while (or only the headers and a first chunk of a body that then
    stops), then give up: what a long poll or a stuck image looks like from the browser."""

    def __init__(self, seconds: float, headers_first: bool, closing: threading.Event) -> None:
        self.seconds, self.headers_first, self.closing = seconds, headers_first, closing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.headers_first:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", b"1000000")]})
            await send({"type": "http.response.body", "body": b"first chunk ", "more_body": True})
        await wait(self.seconds, self.closing)
        if not self.headers_first:
            # An ASGI app cannot close a connection without an answer: the nearest is a gateway's.
            await _send(504, "", "text/plain", close=True)(scope, receive, send)
        # Returning mid-body makes the server cut the connection: the rest never comes.


class _Exchange:
    """One request's routes that read or change the state; runs on a worker thread."""

    def __init__(self, site: DemoSite, request: Request, path: str) -> None:
        self.site, self.request, self.path = site, request, path
        self.headers = request.headers

    def _html(self, body: str, status: int = 200) -> Response:
        if self.site.cookie_banner and "consent=" not in self.headers.get("cookie", ""):
            body = body.replace("</body>", pages.COOKIE_BANNER + "</body>", 1)
        return _send(status, body)

    def _attachment(self, name: str, body: str, content_type: str) -> Response:
        """A file the browser saves rather than shows."""
        return Response(body, 200, headers={"Content-Disposition": f'attachment; filename="{name}"'},
                        media_type=content_type)

    def _cause(self, form: dict[str, str]) -> dict[str, str]:
        shown = {k: v for k, v in form.items() if k != "pay_token"}
        return {"method": self.request.method, "path": request_target(self.request),
                "referer": self.headers.get("referer", ""), "origin": self.headers.get("origin", ""),
                "user_agent": self.headers.get("user-agent", ""), "form": json.dumps(shown, ensure_ascii=False)}

    def _same_origin(self) -> None:
        """Browsers name the page that sent a form; a payment from any other page is refused."""
        origin = self.headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() != f"http://{self.headers.get('host', '')}".lower():
            raise StateError("payments are only taken from this site's own payment page")

    def _not_found(self) -> Response:
        return _send(404, pages.error_page(f"Nothing at {request_target(self.request)}"))

    # ---- GET ----
    def get(self, q: dict[str, str]) -> Response:
        path, st = self.path, self.site.state
        with st.lock:
            if path == "/":
                return self._html(pages.index())
            if path == "/shop":
                return self._html(pages.shop_list(st, q.get("q", "")))
            if m := re.fullmatch(r"/shop/p/(\w+)", path):
                product = st.products.get(m[1])
                return self._html(pages.product_page(st, product)) if product else self._not_found()
            if path == "/shop/cart":
                return self._html(pages.cart_page(st))
            if path == "/shop/catalogue.csv":
                return self._attachment("catalogue.csv", pages.catalogue_csv(st), "text/csv; charset=utf-8")
            if path == "/shop/shipping":
                return self._html(pages.shipping_page(st, {}))
            if m := re.fullmatch(r"/shop/pay/(\w+)", path):
                order = st.orders.get(m[1])
                if order is None:
                    return self._not_found()
                if order.status != "awaiting_payment":
                    return _redirect(f"/shop/order/{order.id}")
                return self._html(pages.order_pay_page(st, order))
            if m := re.fullmatch(r"/shop/checkout/(\w+)", path):
                order = st.orders.get(m[1])
                if order is None or order.status != "awaiting_payment":
                    return self._not_found()
                return self._html(pages.hosted_checkout_page(order, self.site.other_origin))
            if m := re.fullmatch(r"/paybox/(\w+)", path):
                order = st.orders.get(m[1])
                if order is None or order.status != "awaiting_payment":
                    return self._not_found()
                return self._html(pages.paybox_page(order))
            if m := re.fullmatch(r"/shop/order/(\w+)", path):
                order = st.orders.get(m[1])
                if order is None or order.status != "paid":
                    return self._not_found()
                return self._html(pages.order_done_page(st, order))
            if path == "/hotel":
                return self._html(pages.hotel_search_page(q))
            if path == "/hotel/results":
                return self._hotel_results(q)
            if m := re.fullmatch(r"/hotel/h/(\w+)", path):
                hotel = st.hotels.get(m[1])
                if hotel is None or not _valid_stay(q):
                    return self._not_found()
                return self._html(pages.hotel_page(hotel, q))
            if path == "/hotel/guest":
                hotel = st.hotels.get(q.get("hotel", ""))
                if hotel is None or not any(r.id == q.get("room") for r in hotel.rooms) or not _valid_stay(q):
                    return self._not_found()
                return self._html(pages.guest_form_page(hotel, q))
            if m := re.fullmatch(r"/hotel/pay/(\w+)", path):
                booking = st.bookings.get(m[1])
                if booking is None:
                    return self._not_found()
                if booking.status != "awaiting_payment":
                    return _redirect(f"/hotel/booking/{booking.id}")
                return self._html(pages.booking_pay_page(st.hotels[booking.hotel_id], booking))
            if path.startswith("/net/"):
                return self._netlab_get(q)
            if m := re.fullmatch(r"/hotel/booking/(\w+)", path):
                booking = st.bookings.get(m[1])
                if booking is None or booking.status != "confirmed":
                    return self._not_found()
                return self._html(pages.booking_done_page(st.hotels[booking.hotel_id], booking))
        return self._not_found()

    def _netlab_get(self, q: dict[str, str]) -> Response:
        """The network guard's pages (netlab.py): each pays an order the screen cannot show paying."""
        path, st = self.path, self.site.state
        if path == "/net/harmless":
            return self._html(netlab.harmless_page(st))
        if path == "/net/api/poll":
            st.lab_log.append({"kind": "poll", "method": "GET", "body": ""})
            polls = sum(1 for e in st.lab_log if e["kind"] == "poll")
            return _send(200, json.dumps({"n": polls}), "application/json")
        if path == "/net/pay":  # a site that pays on a GET: the worst kind, and it exists
            try:
                payment = st.pay_order(q.get("order", ""), "link", self._cause(q), q.get("token", ""))
            except StateError as err:
                return _send(409, pages.error_page(str(err)))
            return _redirect(f"/shop/order/{payment.for_id}")
        m = re.fullmatch(r"/net/(icon|popup|late|card|link)-pay/(\w+)", path)
        order = st.orders.get(m[2]) if m else None
        if m is None or order is None or order.status != "awaiting_payment":
            return self._not_found()
        if m[1] == "icon":
            return self._html(netlab.icon_pay_page(st, order))
        if m[1] == "popup":
            return self._html(netlab.popup_pay_page(st, order))
        if m[1] == "late":
            return self._html(netlab.late_pay_page(st, order, _ms(q.get("ms"), 3000)))
        if m[1] == "card":
            return self._html(netlab.card_pay_page(st, order))
        return self._html(netlab.link_pay_page(st, order))

    def _hotel_results(self, q: dict[str, str]) -> Response:
        dest = q.get("dest", "").strip()
        if not dest:
            return self._html(pages.hotel_search_page(q, "Enter a destination 请输入目的地"))
        if not _valid_stay(q):
            return self._html(pages.hotel_search_page(q, "Enter dates as YYYY-MM-DD, check-out after check-in"))
        key = dest.casefold()
        hotels = [h for h in self.site.state.hotels.values()
                  if key in h.city.casefold() or key in h.city_zh or key in h.name.casefold()]
        return self._html(pages.hotel_results_page(hotels, q))

    # ---- POST ----
    def post(self, form: dict[str, str]) -> Response:
        path, st = self.path, self.site.state
        try:
            with st.lock:
                if path == "/shop/cart":
                    st.add_to_cart(form.get("product_id", ""), int(form.get("quantity", "1") or 1))
                    return _redirect("/shop/cart")
                if path == "/shop/cart/empty":
                    st.cart.clear()
                    return _redirect("/shop/cart")
                if path == "/shop/shipping":
                    fields = {k: form.get(k, "").strip() for k in ("name", "phone", "address")}
                    missing = [k for k, v in fields.items() if not v]
                    if missing:
                        return self._html(pages.shipping_page(st, fields, f"Please fill in: {', '.join(missing)}"))
                    order = st.place_order(**fields)
                    return _redirect(f"/shop/pay/{order.id}")
                if m := re.fullmatch(r"/shop/pay/(\w+)", path):
                    self._same_origin()
                    payment = st.pay_order(m[1], form.get("method", "card"), self._cause(form),
                                           form.get("pay_token", ""))
                    return _redirect(f"/shop/order/{payment.for_id}")
                if m := re.fullmatch(r"/paybox/(\w+)", path):
                    self._same_origin()
                    payment = st.pay_order(m[1], "hosted-card", self._cause(form), form.get("pay_token", ""))
                    return self._html(pages.paybox_done_page(payment.for_id))
                if path == "/hotel/booking":
                    return self._book(form)
                if m := re.fullmatch(r"/hotel/pay/(\w+)", path):
                    self._same_origin()
                    payment = st.pay_booking(m[1], form.get("method", "card"), self._cause(form),
                                             form.get("pay_token", ""))
                    return _redirect(f"/hotel/booking/{payment.for_id}")
        except StateError as err:
            return _send(409, pages.error_page(str(err)))
        except ValueError:
            return _send(400, pages.error_page("malformed form"))
        return self._not_found()

    def netlab_post(self, kind: str, body: str) -> Response:
        """The harmless endpoints of /net/harmless: each call is logged, nothing is bought."""
        with self.site.state.lock:
            self.site.state.lab_log.append({"kind": kind, "method": "POST", "body": body})
        return _send(200, json.dumps({"ok": True, "results": 3}), "application/json")

    def _book(self, form: dict[str, str]) -> Response:
        st = self.site.state
        hotel = st.hotels.get(form.get("hotel", ""))
        if hotel is None or not _valid_stay(form):
            return _send(400, pages.error_page("malformed booking"))
        name, email = form.get("guest_name", "").strip(), form.get("email", "").strip()
        if not name or "@" not in email:
            return self._html(pages.guest_form_page(hotel, form, "Enter your name and a valid email"))
        booking = st.book(hotel.id, form.get("room", ""), _date(form["arrive"]), _date(form["depart"]),  # type: ignore[arg-type]
                          int(form.get("guests", "1")), name, email)
        return _redirect(f"/hotel/pay/{booking.id}")


async def _endpoint(request: Request) -> Response:
    site: DemoSite = request.app.state.site
    path = request.scope["path"].rstrip("/")
    if request.method == "POST":
        return await _post(site, request, path)
    path, q = path or "/", _params(request.url.query)
    if site.slow_ms > 0 and not path.startswith("/api/"):
        await wait(site.slow_ms / 1000, site.closing)  # a slow server is the point here
    if path == "/slow":
        return _Exchange(site, request, path)._html(pages.slow_page(_ms(q.get("ms"), 1500)))
    if path == "/api/hang":  # a request that never ends: a stuck image, a long poll
        return _Hang(_ms(q.get("ms"), MAX_SLOW_MS) / 1000, q.get("headers") == "1", site.closing)
    if path == "/api/slow-data":
        await wait(_ms(q.get("ms"), 1500) / 1000, site.closing)
        items = [f"Loaded item {i + 1}" for i in range(5)] + ["数据加载完成"]
        return _send(200, json.dumps({"items": items}, ensure_ascii=False), "application/json")
    return await run_in_threadpool(_Exchange(site, request, path).get, q)


async def _post(site: DemoSite, request: Request, path: str) -> Response:
    try:
        body = (await read_limited(request, MAX_FORM)).decode("utf-8", errors="replace")
    except HttpError as err:
        return _send(err.status, pages.error_page(str(err)), close=True)
    exchange = _Exchange(site, request, path)
    if m := re.fullmatch(r"/net/api/(search|favourites|analytics)", path):
        return await run_in_threadpool(exchange.netlab_post, m[1], body)
    return await run_in_threadpool(exchange.post, _params(body))


def _valid_stay(q: dict[str, str]) -> bool:
    checkin, checkout = _date(q.get("arrive", "")), _date(q.get("depart", ""))
    guests = q.get("guests", "")
    return bool(checkin and checkout and checkout > checkin and guests.isdigit() and int(guests) >= 1)


def _ms(value: str | None, default: int) -> int:
    try:
        return max(0, min(MAX_SLOW_MS, int(value))) if value is not None else default
    except ValueError:
        return default


def site_app(endpoint: Callable[[Request], Awaitable[Response]], site: object) -> Starlette:
    """A Starlette app that answers every path's GET and POST with ``endpoint``, which finds
    ``site`` in ``request.app.state.site``: a test site routes as the page it imitates does."""
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])
    app.state.site = site
    return app


@contextmanager
def serve_site(app: Starlette, sock: socket.socket, name: str,
               closing: threading.Event | None = None) -> Iterator[None]:
    """Serve a test site until the block ends; what still waits is told to stop first (``closing``)."""
    with serving(app, sock, name=name):
        try:
            yield
        finally:
            if closing is not None:
                closing.set()


@contextmanager
def serve_demo_site(host: str = "127.0.0.1", port: int = 0, seed: int = 0, slow_ms: int = 0) -> Iterator[DemoSite]:
    """Run the demo shop and hotel site in a background thread; yields a :class:`DemoSite`."""
    loopback_only(host, "demo site")
    sock = listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    site = DemoSite(url=f"http://{bound_host}:{bound_port}", state=DemoState(seed),
                    server_address=(bound_host, bound_port), slow_ms=slow_ms)
    with serve_site(site_app(_endpoint, site), sock, "demo-site", site.closing):
        yield site
