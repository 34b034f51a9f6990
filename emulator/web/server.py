"""The demo site's HTTP server: stdlib http.server on loopback, one thread per request."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from emulator.web import netlab, pages
from emulator.web.state import DemoState, StateError

MAX_SLOW_MS = 30_000
MAX_FORM = 64 * 1024


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _content_length(value: str | None, limit: int) -> int:
    """The body's length; 400 for a non-integer or negative one (read(-1) would wait for EOF)."""
    try:
        length = int(value or 0)
    except ValueError:
        raise _BadRequest(400, "Content-Length must be a whole number") from None
    if length < 0:
        raise _BadRequest(400, "Content-Length must not be negative")
    if length > limit:
        raise _BadRequest(413, f"the form is larger than {limit} bytes")
    return length


@dataclass
class DemoSite:
    """A running demo site: its base URL and its live server-side state."""

    url: str
    state: DemoState
    server: ThreadingHTTPServer
    slow_ms: int = 0  # delay before every HTML page; change it at any time
    # A cookie banner over the bottom of every page until a visitor accepts or rejects cookies.
    cookie_banner: bool = False

    def page(self, path: str) -> str:
        return self.url + path

    @property
    def other_origin(self) -> str:
        """The same server under a second origin (``localhost`` for ``127.0.0.1``): what a page
        embeds from there is a cross-origin frame, as a hosted payment form is."""
        return self.url.replace("//127.0.0.1:", "//localhost:", 1)


def _params(query: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


class _Handler(BaseHTTPRequestHandler):
    site: DemoSite  # set on the subclass made per server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # tests read the state, not the log

    # ---- plumbing ----
    def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _html(self, body: str, status: int = 200) -> None:
        if self.site.cookie_banner and "consent=" not in self.headers.get("Cookie", ""):
            body = body.replace("</body>", pages.COOKIE_BANNER + "</body>", 1)
        self._send(status, body)

    def _attachment(self, name: str, body: str, content_type: str) -> None:
        """A file the browser saves rather than shows."""
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Disposition", f'attachment; filename="{name}"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _form(self) -> dict[str, str]:
        length = _content_length(self.headers.get("Content-Length"), MAX_FORM)
        raw = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        return _params(raw)

    def _cause(self, form: dict[str, str]) -> dict[str, str]:
        shown = {k: v for k, v in form.items() if k != "pay_token"}
        return {"method": self.command, "path": self.path, "referer": self.headers.get("Referer", ""),
                "origin": self.headers.get("Origin", ""), "user_agent": self.headers.get("User-Agent", ""),
                "form": json.dumps(shown, ensure_ascii=False)}

    def _same_origin(self) -> None:
        """Browsers name the page that sent a form; a payment from any other page is refused."""
        origin = self.headers.get("Origin")
        if origin is not None and origin.rstrip("/").lower() != f"http://{self.headers.get('Host', '')}".lower():
            raise StateError("payments are only taken from this site's own payment page")

    def _not_found(self) -> None:
        self._send(404, pages.error_page(f"Nothing at {self.path}"))

    # ---- routes ----
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, q = parts.path.rstrip("/") or "/", _params(parts.query)
        st = self.site.state
        if self.site.slow_ms > 0 and not path.startswith("/api/"):
            time.sleep(self.site.slow_ms / 1000)  # a slow server is the point here; outside the lock
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
                    return self._redirect(f"/shop/order/{order.id}")
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
                    return self._redirect(f"/hotel/booking/{booking.id}")
                return self._html(pages.booking_pay_page(st.hotels[booking.hotel_id], booking))
            if path.startswith("/net/"):
                return self._netlab_get(path, q)
            if m := re.fullmatch(r"/hotel/booking/(\w+)", path):
                booking = st.bookings.get(m[1])
                if booking is None or booking.status != "confirmed":
                    return self._not_found()
                return self._html(pages.booking_done_page(st.hotels[booking.hotel_id], booking))
        # Slow routes hold no lock while they wait.
        if path == "/slow":
            return self._html(pages.slow_page(_ms(q.get("ms"), 1500)))
        if path == "/api/hang":  # a request that never ends: a stuck image, a long poll
            return self._hang(_ms(q.get("ms"), MAX_SLOW_MS), q.get("headers") == "1")
        if path == "/api/slow-data":
            time.sleep(_ms(q.get("ms"), 1500) / 1000)
            items = [f"Loaded item {i + 1}" for i in range(5)] + ["数据加载完成"]
            return self._send(200, json.dumps({"items": items}, ensure_ascii=False), "application/json")
        return self._not_found()

    def _hang(self, ms: int, send_headers: bool) -> None:
        """Answer nothing for ``ms`` (or only the headers and a first chunk of a body that then
        stops), then close: what a long poll or a stuck image looks like from the browser."""
        self.close_connection = True
        if send_headers:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"first chunk ")
            self.wfile.flush()
        time.sleep(ms / 1000)

    def _netlab_get(self, path: str, q: dict[str, str]) -> None:
        """The network guard's pages (netlab.py): each pays an order the screen cannot show paying."""
        st = self.site.state
        if path == "/net/harmless":
            return self._html(netlab.harmless_page(st))
        if path == "/net/api/poll":
            st.lab_log.append({"kind": "poll", "method": "GET", "body": ""})
            polls = sum(1 for e in st.lab_log if e["kind"] == "poll")
            return self._send(200, json.dumps({"n": polls}), "application/json")
        if path == "/net/pay":  # a site that pays on a GET: the worst kind, and it exists
            try:
                payment = st.pay_order(q.get("order", ""), "link", self._cause(q), q.get("token", ""))
            except StateError as err:
                return self._send(409, pages.error_page(str(err)))
            return self._redirect(f"/shop/order/{payment.for_id}")
        m = re.fullmatch(r"/net/(icon|late|card|link)-pay/(\w+)", path)
        order = st.orders.get(m[2]) if m else None
        if order is None or order.status != "awaiting_payment":
            return self._not_found()
        if m[1] == "icon":
            return self._html(netlab.icon_pay_page(st, order))
        if m[1] == "late":
            return self._html(netlab.late_pay_page(st, order, _ms(q.get("ms"), 3000)))
        if m[1] == "card":
            return self._html(netlab.card_pay_page(st, order))
        return self._html(netlab.link_pay_page(st, order))

    def _hotel_results(self, q: dict[str, str]) -> None:
        dest = q.get("dest", "").strip()
        if not dest:
            return self._html(pages.hotel_search_page(q, "Enter a destination 请输入目的地"))
        if not _valid_stay(q):
            return self._html(pages.hotel_search_page(q, "Enter dates as YYYY-MM-DD, check-out after check-in"))
        key = dest.casefold()
        hotels = [h for h in self.site.state.hotels.values()
                  if key in h.city.casefold() or key in h.city_zh or key in h.name.casefold()]
        return self._html(pages.hotel_results_page(hotels, q))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if m := re.fullmatch(r"/net/api/(search|favourites|analytics)", path):
            return self._netlab_post(m[1])
        try:
            form = self._form()
        except _BadRequest as err:
            # The body's framing is unknown, so this connection cannot carry another request.
            self.close_connection = True
            return self._send(err.status, pages.error_page(str(err)))
        st = self.site.state
        try:
            with st.lock:
                if path == "/shop/cart":
                    st.add_to_cart(form.get("product_id", ""), int(form.get("quantity", "1") or 1))
                    return self._redirect("/shop/cart")
                if path == "/shop/cart/empty":
                    st.cart.clear()
                    return self._redirect("/shop/cart")
                if path == "/shop/shipping":
                    fields = {k: form.get(k, "").strip() for k in ("name", "phone", "address")}
                    missing = [k for k, v in fields.items() if not v]
                    if missing:
                        return self._html(pages.shipping_page(st, fields, f"Please fill in: {', '.join(missing)}"))
                    order = st.place_order(**fields)
                    return self._redirect(f"/shop/pay/{order.id}")
                if m := re.fullmatch(r"/shop/pay/(\w+)", path):
                    self._same_origin()
                    payment = st.pay_order(m[1], form.get("method", "card"), self._cause(form),
                                           form.get("pay_token", ""))
                    return self._redirect(f"/shop/order/{payment.for_id}")
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
                    return self._redirect(f"/hotel/booking/{payment.for_id}")
        except StateError as err:
            return self._send(409, pages.error_page(str(err)))
        except ValueError:
            return self._send(400, pages.error_page("malformed form"))
        return self._not_found()

    def _netlab_post(self, kind: str) -> None:
        """The harmless endpoints of /net/harmless: each call is logged, nothing is bought."""
        try:
            length = _content_length(self.headers.get("Content-Length"), MAX_FORM)
        except _BadRequest as err:
            self.close_connection = True
            return self._send(err.status, pages.error_page(str(err)))
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        st = self.site.state
        with st.lock:
            st.lab_log.append({"kind": kind, "method": "POST", "body": body})
        return self._send(200, json.dumps({"ok": True, "results": 3}), "application/json")

    def _book(self, form: dict[str, str]) -> None:
        st = self.site.state
        hotel = st.hotels.get(form.get("hotel", ""))
        if hotel is None or not _valid_stay(form):
            return self._send(400, pages.error_page("malformed booking"))
        name, email = form.get("guest_name", "").strip(), form.get("email", "").strip()
        if not name or "@" not in email:
            return self._html(pages.guest_form_page(hotel, form, "Enter your name and a valid email"))
        booking = st.book(hotel.id, form.get("room", ""), _date(form["arrive"]), _date(form["depart"]),  # type: ignore[arg-type]
                          int(form.get("guests", "1")), name, email)
        return self._redirect(f"/hotel/pay/{booking.id}")


def _valid_stay(q: dict[str, str]) -> bool:
    checkin, checkout = _date(q.get("arrive", "")), _date(q.get("depart", ""))
    guests = q.get("guests", "")
    return bool(checkin and checkout and checkout > checkin and guests.isdigit() and int(guests) >= 1)


def _ms(value: str | None, default: int) -> int:
    try:
        return max(0, min(MAX_SLOW_MS, int(value))) if value is not None else default
    except ValueError:
        return default


@contextmanager
def serve_demo_site(host: str = "127.0.0.1", port: int = 0, seed: int = 0, slow_ms: int = 0) -> Iterator[DemoSite]:
    """Run the demo shop and hotel site in a background thread; yields a :class:`DemoSite`."""
    state = DemoState(seed)
    handler = type("DemoHandler", (_Handler,), {})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    site = DemoSite(url=f"http://{bound_host}:{bound_port}", state=state, server=server, slow_ms=slow_ms)
    handler.site = site
    with serving(server, "demo-site"):
        yield site


@contextmanager
def serving(server: ThreadingHTTPServer, name: str) -> Iterator[None]:
    """Serve ``server`` from a background thread until the block ends, then close it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
