"""The demo web site on its own, over real HTTP (no browser): routes and server-side state."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from emulator.web import DemoSite, serve_demo_site
from tests.rawhttp import raw_request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(site: DemoSite, path: str) -> tuple[int, str, str]:
    try:
        with _opener.open(site.url + path, timeout=10) as resp:
            return resp.status, resp.read().decode(), resp.headers.get("Location", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Location", "")


def post(site: DemoSite, path: str, form: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    data = urllib.parse.urlencode(form).encode()
    try:
        with _opener.open(urllib.request.Request(site.url + path, data=data, headers=headers or {}), timeout=10) as resp:
            return resp.status, resp.read().decode(), resp.headers.get("Location", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Location", "")


def pay_token(html: str) -> str:
    """The hidden pay token the payment page's form carries."""
    match = re.search(r"<input type='hidden' name='pay_token' value='([^']+)'>", html)
    assert match, "the payment page has no pay token"
    return match[1]


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=3) as s:
        yield s


def test_catalogue_is_long_and_searchable_in_chinese(site: DemoSite) -> None:
    status, html, _ = get(site, "/shop")
    assert status == 200 and html.count("class='card'") == len(site.state.products) >= 25
    status, html, _ = get(site, "/shop?q=" + urllib.parse.quote("耳机"))
    assert html.count("class='card'") == 1 and "无线蓝牙耳机" in html
    _, html, _ = get(site, "/shop?q=nothing-like-this")
    assert "no-results" in html


def test_order_is_paid_only_by_posting_the_pay_form(site: DemoSite) -> None:
    st = site.state
    assert post(site, "/shop/cart", {"product_id": "p02"})[2] == "/shop/cart"
    post(site, "/shop/cart", {"product_id": "p02"})
    assert st.cart == {"p02": 2}
    # Missing fields re-render the form with an error, and place nothing.
    status, html, _ = post(site, "/shop/shipping", {"name": "张三", "phone": "", "address": ""})
    assert status == 200 and "form-error" in html and not st.orders
    status, _, location = post(site, "/shop/shipping", {"name": "张三", "phone": "138", "address": "杭州"})
    assert status == 303 and location.startswith("/shop/pay/")
    (order,) = st.orders.values()
    assert order.total == 2 * st.products["p02"].price and order.status == "awaiting_payment"
    # Looking at the payment page pays nothing.
    status, html, _ = get(site, location)
    assert status == 200 and "Pay now" in html and st.payments == []
    assert get(site, f"/shop/order/{order.id}")[0] == 404
    token = pay_token(html)
    assert token == order.pay_token and len(token) >= 16
    status, _, done = post(site, location, {"method": "visa-4242", "pay_token": token})
    assert status == 303 and done == f"/shop/order/{order.id}"
    (payment,) = st.payments
    assert (payment.for_kind, payment.for_id, payment.amount) == ("order", order.id, order.total)
    # The cause keeps the posted form (what was chosen), not the token that authorised it.
    assert payment.cause["method"] == "POST" and json.loads(payment.cause["form"]) == {"method": "visa-4242"}
    assert order.status == "paid" and st.cart == {}
    assert "Order placed" in get(site, done)[1]
    # Paying twice is refused, even with the right token.
    assert post(site, location, {"method": "visa-4242", "pay_token": token})[0] == 409 and len(st.payments) == 1


def test_booking_validates_and_records_payment(site: DemoSite) -> None:
    st = site.state
    q = {"dest": "杭州", "arrive": "2025-05-01", "depart": "2025-05-03", "guests": "3"}
    _, html, _ = get(site, "/hotel/results?" + urllib.parse.urlencode(q))
    assert html.count("class='card'") == 3 and "Hangzhou" in html
    bad = dict(q, depart="2025-04-30")
    assert "form-error" in get(site, "/hotel/results?" + urllib.parse.urlencode(bad))[1]
    _, html, _ = get(site, "/hotel/h/h11?" + urllib.parse.urlencode(q))
    # Three guests do not fit a two-person room.
    assert "id='choose-r1' disabled" in html and "id='choose-r3'>" in html
    form = {"hotel": "h11", "room": "r3", "arrive": q["arrive"], "depart": q["depart"], "guests": "3",
            "guest_name": "李四", "email": "li@example.com"}
    status, _, location = post(site, "/hotel/booking", form)
    assert status == 303 and location.startswith("/hotel/pay/")
    (booking,) = st.bookings.values()
    assert booking.nights == 2 and booking.total == 2 * st.hotels["h11"].rooms[2].price
    _, html, _ = get(site, location)
    assert "确认支付" in html and st.payments == []
    assert post(site, location, {"method": "alipay"})[0] == 409  # no token: nothing paid
    assert booking.status == "awaiting_payment" and st.payments == []
    # A browser on this very site names it as the Origin: accepted.
    status, _, done = post(site, location, {"method": "alipay", "pay_token": pay_token(html)},
                           headers={"Origin": site.url})
    assert status == 303 and done == f"/hotel/booking/{booking.id}"
    assert booking.status == "confirmed" and [p.for_id for p in st.payments] == [booking.id]


def _order_awaiting_payment(site: DemoSite) -> tuple[str, str]:
    post(site, "/shop/cart", {"product_id": "p01"})
    _, _, location = post(site, "/shop/shipping", {"name": "王五", "phone": "139", "address": "北京"})
    return location, pay_token(get(site, location)[1])


@pytest.mark.parametrize("case", ["no token", "wrong token", "another order's token", "foreign origin",
                                  "opaque origin"])
def test_pay_post_without_the_pages_token_or_from_elsewhere_pays_nothing(site: DemoSite, case: str) -> None:
    location, token = _order_awaiting_payment(site)
    form, headers = {"method": "visa-4242", "pay_token": token}, {}
    if case == "no token":
        del form["pay_token"]
    elif case == "wrong token":
        form["pay_token"] = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif case == "another order's token":
        post(site, "/shop/cart", {"product_id": "p01"})
        post(site, "/shop/shipping", {"name": "赵六", "phone": "137", "address": "广州"})
        other = next(o for o in site.state.orders.values() if o.pay_token != token)
        form["pay_token"] = other.pay_token
    elif case == "foreign origin":
        headers["Origin"] = "http://evil.example"
    else:
        headers["Origin"] = "null"  # sandboxed frames and data: pages
    status, html, _ = post(site, location, form, headers)
    assert status == 409 and "class='error'" in html
    assert site.state.payments == [] and site.state.paid_orders() == []
    # The refusal leaves the order payable from its own page.
    assert post(site, location, {"method": "visa-4242", "pay_token": token})[0] == 303
    assert len(site.state.payments) == 1


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", str(10**9)])
def test_bad_content_length_is_refused_without_hanging(site: DemoSite, length: str) -> None:
    head = (f"POST /shop/cart HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {length}\r\n\r\nproduct_id=p01").encode()
    reply = raw_request(site.server_address, head)  # returns only because the server answers and closes
    expected = b"413" if length == str(10**9) else b"400"
    assert reply.startswith(b"HTTP/1.1 " + expected + b" ")
    assert site.state.cart == {}
    assert get(site, "/shop")[0] == 200  # the server still answers


def test_seed_changes_prices_deterministically() -> None:
    with serve_demo_site(seed=1) as a, serve_demo_site(seed=1) as b, serve_demo_site(seed=2) as c:
        prices = [[p.price for p in s.state.products.values()] for s in (a, b, c)]
    assert prices[0] == prices[1] != prices[2]


def test_slow_server_and_slow_api(site: DemoSite) -> None:
    site.slow_ms = 300
    started = time.monotonic()
    assert get(site, "/shop")[0] == 200
    assert time.monotonic() - started >= 0.3
    site.slow_ms = 0
    started = time.monotonic()
    status, body, _ = get(site, "/api/slow-data?ms=200")
    assert status == 200 and json.loads(body)["items"][-1] == "数据加载完成"
    assert time.monotonic() - started >= 0.2


def test_unknown_pages_are_404(site: DemoSite) -> None:
    assert get(site, "/shop/p/p999")[0] == 404
    assert get(site, "/shop/pay/O1")[0] == 404
    assert get(site, "/nowhere")[0] == 404
