"""HTML for the demo site. Server-rendered, small, responsive (phone and desktop)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from emulator.web.catalog import Hotel, Product, money
from emulator.web.state import Booking, DemoState, Order

_CSS = """
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; font-size: 16px; color: #222; }
header { background: #1e5bb8; color: #fff; padding: 10px 16px; display: flex; gap: 16px; align-items: center;
         position: sticky; top: 0; z-index: 5; }
header a { color: #fff; text-decoration: none; font-weight: 600; padding: 6px 4px; }
main { max-width: 900px; margin: 0 auto; padding: 12px 16px 48px; }
h1 { font-size: 22px; margin: 8px 0 12px; }
.card { display: flex; justify-content: space-between; align-items: center; border: 1px solid #ddd;
        border-radius: 8px; padding: 14px 16px; margin: 10px 0; color: inherit; text-decoration: none; min-height: 64px; }
.price { color: #c0392b; font-weight: 600; }
form.row { display: flex; gap: 8px; margin: 8px 0 12px; }
label { display: block; margin: 10px 0 4px; font-weight: 600; }
input[type=text], input[type=search], input[type=email], input[type=tel], input[type=date] {
  width: 100%; padding: 10px; font-size: 16px; border: 1px solid #aaa; border-radius: 6px; }
form.row input { flex: 1; }
button, .button { display: inline-block; background: #1e5bb8; color: #fff; border: 0; border-radius: 6px;
  padding: 12px 20px; font-size: 16px; cursor: pointer; text-decoration: none; margin: 8px 0; }
button[disabled] { background: #999; cursor: default; }
.pay { background: #0a8f3c; font-size: 18px; width: 100%; }
.error { color: #b00020; font-weight: 600; }
.stepper { display: flex; align-items: center; gap: 12px; }
.stepper button { width: 48px; padding: 10px 0; }
.spinner { width: 48px; height: 48px; border: 6px solid #ddd; border-top-color: #1e5bb8; border-radius: 50%;
           animation: spin 0.8s linear infinite; margin: 40px auto; }
@keyframes spin { to { transform: rotate(360deg); } }
"""


def layout(title: str, body: str, state: DemoState | None = None) -> str:
    count = sum(state.cart.values()) if state else 0
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        "<header><a href='/shop' id='nav-shop'>Shop</a>"
        f"<a href='/shop/cart' id='nav-cart'>Cart ({count})</a>"
        "<a href='/hotel' id='nav-hotel'>Hotels</a></header>"
        f"<main>{body}</main></body></html>"
    )


# Fixed over the bottom of the page, as on most shops: what lies under it cannot be tapped
# until it is answered (the answer is a cookie; nothing is sent).
COOKIE_BANNER = (
    "<div id='cookie-banner' role='dialog' aria-label='Cookie consent' style='position:fixed;left:0;right:0;"
    "bottom:0;z-index:50;background:#fff;border-top:1px solid #ccc;box-shadow:0 -2px 8px #0003;padding:12px 16px'>"
    "<p style='margin:0 0 8px'>We use cookies to run this shop. 我们使用 Cookie。</p>"
    "<button type='button' id='cookie-accept' onclick=\"document.cookie='consent=all;path=/';"
    "this.parentNode.remove()\">Accept all</button> "
    "<button type='button' id='cookie-reject' style='background:#666' onclick=\"document.cookie='consent=none;"
    "path=/';this.parentNode.remove()\">Reject</button></div>")


def index() -> str:
    return layout("Demo", "<h1>Demo site</h1><p><a class='button' href='/shop'>Shop</a> "
                          "<a class='button' href='/hotel'>Hotels</a> <a class='button' href='/slow'>Slow page</a></p>")


# ---- shop ----

def shop_list(state: DemoState, query: str) -> str:
    q = query.strip().casefold()
    items = [p for p in state.products.values() if not q or q in p.name.casefold()]
    cards = "".join(
        f"<a class='card' id='product-{p.id}' href='/shop/p/{p.id}'><span class='name'>{escape(p.name)}</span>"
        f"<span class='price'>{money(p.price)}</span></a>" for p in items)
    note = (f"<p id='result-count'>{len(items)} results for “{escape(query)}”</p>" if q else "")
    empty = "" if items else "<p id='no-results'>No products found 没有找到商品</p>"
    return layout("Shop", (
        "<h1>Shop 商店</h1>"
        "<form class='row' action='/shop' method='get' role='search'>"
        f"<input type='search' id='search' name='q' placeholder='Search products 搜索商品' value='{escape(query)}'>"
        "<button type='submit' id='search-button'>Search</button></form>"
        f"{note}{empty}<div id='products'>{cards}</div>"), state)


def catalogue_csv(state: DemoState) -> str:
    """The whole catalogue as a spreadsheet, served as a download."""
    return "id,name,price\n" + "".join(f"{p.id},{p.name},{money(p.price)}\n" for p in state.products.values())


def product_page(state: DemoState, p: Product) -> str:
    return layout(p.name, (
        f"<h1 id='product-name'>{escape(p.name)}</h1><p class='price' id='product-price'>{money(p.price)}</p>"
        f"<p>{escape(p.description)}</p>"
        f"<form action='/shop/cart' method='post'><input type='hidden' name='product_id' value='{p.id}'>"
        "<button type='submit' id='add-to-cart'>Add to cart</button></form>"
        "<p><a href='/shop'>Back to products</a></p>"), state)


def cart_page(state: DemoState) -> str:
    rows = "".join(
        f"<div class='card' id='cart-{pid}'><span>{escape(state.products[pid].name)} × {q}</span>"
        f"<span class='price'>{money(state.products[pid].price * q)}</span></div>" for pid, q in state.cart.items())
    if not rows:
        return layout("Cart", "<h1>Cart</h1><p id='cart-empty'>Your cart is empty.</p>"
                              "<a class='button' href='/shop'>Browse products</a>", state)
    return layout("Cart", (
        f"<h1>Cart</h1>{rows}<p>Total: <span class='price' id='cart-total'>{money(state.cart_total())}</span></p>"
        "<a class='button' id='to-shipping' href='/shop/shipping'>Proceed to shipping</a>"
        # A question asked the old way, in a browser dialog, before the cart is emptied.
        "<form action='/shop/cart/empty' method='post' onsubmit=\"return confirm('Remove every item from the cart?')\">"
        "<button type='submit' id='empty-cart' style='background:#666'>Empty cart</button></form>"), state)


def _field(fid: str, label: str, value: str = "", kind: str = "text", placeholder: str = "") -> str:
    return (f"<label for='{fid}'>{escape(label)}</label><input type='{kind}' id='{fid}' name='{fid}' "
            f"value='{escape(value)}' placeholder='{escape(placeholder)}'>")


def shipping_page(state: DemoState, form: dict[str, str], error: str = "") -> str:
    err = f"<p class='error' id='form-error'>{escape(error)}</p>" if error else ""
    return layout("Shipping", (
        f"<h1>Shipping address 收货地址</h1>{err}"
        "<form action='/shop/shipping' method='post'>"
        + _field("name", "Full name 姓名", form.get("name", ""))
        + _field("phone", "Phone 电话", form.get("phone", ""), "tel")
        + _field("address", "Address 地址", form.get("address", ""))
        + f"<p>Order total: <span class='price'>{money(state.cart_total())}</span></p>"
        "<button type='submit' id='continue'>Continue</button></form>"), state)


def order_pay_page(state: DemoState, order: Order) -> str:
    return layout("Payment", (
        f"<h1>Payment for order {order.id}</h1><p>Amount due: <span class='price' id='amount'>{money(order.total)}</span></p>"
        "<p>Card: saved Visa •••• 4242</p>"
        f"<form action='/shop/pay/{order.id}' method='post'><input type='hidden' name='method' value='visa-4242'>"
        f"<input type='hidden' name='pay_token' value='{escape(order.pay_token)}'>"
        "<button type='submit' class='pay' id='pay'>Pay now</button></form>"), state)


def hosted_checkout_page(order: Order, frame_origin: str) -> str:
    """The order's page with its payment form hosted by another origin in an untitled frame: the
    outer page names no payment, as on many shops whose card form a payment provider serves."""
    return layout(f"Order {order.id}", (
        f"<h1>Order {order.id}</h1><p>Ships to {escape(order.address)}</p>"
        f"<iframe id='hosted' src='{frame_origin}/paybox/{order.id}' "
        "style='width:100%;max-width:420px;height:220px;border:1px solid #ccc;border-radius:8px'></iframe>"
        "<p><a href='/shop'>Back to products</a></p>"))


def paybox_page(order: Order) -> str:
    """The hosted form itself: no title, only the amount on its button."""
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width'><style>{_CSS}</style></head><body style='padding:12px'>"
            "<p>Visa •••• 4242</p>"
            f"<form method='post' action='/paybox/{order.id}'>"
            f"<input type='hidden' name='pay_token' value='{escape(order.pay_token)}'>"
            f"<button type='submit' class='pay' id='paybox-submit'>Pay {money(order.total)}</button></form>"
            "</body></html>")


def paybox_done_page(order_id: str) -> str:
    return f"<!doctype html><meta charset='utf-8'><p id='paybox-done'>Paid: order {escape(order_id)}</p>"


def order_done_page(state: DemoState, order: Order) -> str:
    lines = "".join(f"<li>{escape(state.products[p].name)} × {q}</li>" for p, q in order.items.items())
    return layout("Order placed", (
        f"<h1 id='order-status'>Order placed 下单成功</h1><p>Order number <b id='order-id'>{order.id}</b>, "
        f"paid {money(order.total)}.</p><ul>{lines}</ul><p>Ships to {escape(order.address)}</p>"), state)


# ---- hotel ----

GUESTS_JS = """
function stepGuests(d) {
  const input = document.getElementById('guests');
  const n = Math.max(1, Math.min(6, parseInt(input.value, 10) + d));
  input.value = n; document.getElementById('guests-count').textContent = n;
}
"""


def hotel_search_page(params: dict[str, str], error: str = "") -> str:
    err = f"<p class='error' id='form-error'>{escape(error)}</p>" if error else ""
    guests = params.get("guests", "2")
    return layout("Hotels", (
        f"<h1>Find a hotel 酒店预订</h1>{err}<form action='/hotel/results' method='get'>"
        + _field("dest", "Destination 目的地", params.get("dest", ""), placeholder="City, e.g. Hangzhou 杭州")
        + _field("arrive", "Arrival date 入住日期", params.get("arrive", ""), "date")
        + _field("depart", "Departure date 离店日期", params.get("depart", ""), "date")
        + "<label>Guests 人数</label><div class='stepper'>"
        "<button type='button' id='guests-minus' aria-label='Fewer guests' onclick='stepGuests(-1)'>−</button>"
        f"<span id='guests-count'>{escape(guests)}</span>"
        "<button type='button' id='guests-plus' aria-label='More guests' onclick='stepGuests(1)'>+</button></div>"
        f"<input type='hidden' id='guests' name='guests' value='{escape(guests)}'>"
        f"<p><button type='submit' id='search-hotels'>Search hotels</button></p></form><script>{GUESTS_JS}</script>"))


def hotel_results_page(hotels: list[Hotel], params: dict[str, str]) -> str:
    qs = urlencode({k: params[k] for k in ("dest", "arrive", "depart", "guests")})
    cards = "".join(
        f"<a class='card' id='hotel-{h.id}' href='/hotel/h/{h.id}?{escape(qs)}'><span>{escape(h.name)} · {h.city_zh}</span>"
        f"<span class='price'>from {money(min(r.price for r in h.rooms))}</span></a>" for h in hotels)
    body = cards or f"<p id='no-results'>No hotels in {escape(params['dest'])}</p>"
    return layout("Hotel results", (
        f"<h1>Hotels in {escape(params['dest'])}</h1><p>{escape(params['arrive'])} → {escape(params['depart'])}, "
        f"{escape(params['guests'])} guests</p>{body}"))


def hotel_page(hotel: Hotel, params: dict[str, str]) -> str:
    guests = int(params.get("guests", "1"))
    rows = []
    for r in hotel.rooms:
        hidden = "".join(f"<input type='hidden' name='{k}' value='{escape(params[k])}'>"
                         for k in ("arrive", "depart", "guests"))
        fits = r.capacity >= guests
        rows.append(
            f"<form class='card' action='/hotel/guest' method='get' id='room-{r.id}'>"
            f"<input type='hidden' name='hotel' value='{hotel.id}'><input type='hidden' name='room' value='{r.id}'>{hidden}"
            f"<span>{escape(r.name)} (sleeps {r.capacity}) <span class='price'>{money(r.price)}/night</span></span>"
            f"<button type='submit' id='choose-{r.id}'{'' if fits else ' disabled'}>Choose room</button></form>")
    return layout(hotel.name, f"<h1 id='hotel-name'>{escape(hotel.name)}</h1>{''.join(rows)}")


def guest_form_page(hotel: Hotel, params: dict[str, str], error: str = "") -> str:
    err = f"<p class='error' id='form-error'>{escape(error)}</p>" if error else ""
    hidden = "".join(f"<input type='hidden' name='{k}' value='{escape(params.get(k, ''))}'>"
                     for k in ("hotel", "room", "arrive", "depart", "guests"))
    room = next(r for r in hotel.rooms if r.id == params.get("room"))
    return layout("Guest details", (
        f"<h1>Guest details 入住人信息</h1>{err}<p>{escape(hotel.name)}, {escape(room.name)}, "
        f"{escape(params.get('arrive', ''))} → {escape(params.get('depart', ''))}</p>"
        f"<form action='/hotel/booking' method='post'>{hidden}"
        + _field("guest_name", "Full name 姓名", params.get("guest_name", ""))
        + _field("email", "Email 邮箱", params.get("email", ""), "email")
        + "<button type='submit' id='continue'>Continue</button></form>"))


def booking_pay_page(hotel: Hotel, booking: Booking) -> str:
    return layout("Payment 支付", (
        f"<h1>支付 Payment</h1><p>{escape(hotel.name)}, {booking.nights} nights, {booking.guests} guests</p>"
        f"<p>Amount due 应付: <span class='price' id='amount'>{money(booking.total)}</span></p>"
        f"<form action='/hotel/pay/{booking.id}' method='post'><input type='hidden' name='method' value='alipay'>"
        f"<input type='hidden' name='pay_token' value='{escape(booking.pay_token)}'>"
        "<button type='submit' class='pay' id='pay'>确认支付</button></form>"))


def booking_done_page(hotel: Hotel, booking: Booking) -> str:
    return layout("Booking confirmed", (
        f"<h1 id='booking-status'>Booking confirmed 预订成功</h1><p>Booking <b id='booking-id'>{booking.id}</b>: "
        f"{escape(hotel.name)}, {booking.checkin} → {booking.checkout}, {booking.guests} guests, "
        f"{escape(booking.guest_name)}. Paid {money(booking.total)}.</p>"))


# ---- slow loading ----

SLOW_JS = """
fetch('/api/slow-data?ms=' + encodeURIComponent(window.SLOW_MS)).then(r => r.json()).then(data => {
  const box = document.getElementById('content');
  box.innerHTML = data.items.map(t => '<div class="card">' + t + '</div>').join('');
  box.removeAttribute('aria-busy');
});
"""


def slow_page(ms: int) -> str:
    return layout("Slow page", (
        "<h1>Slow page</h1><div id='content' aria-busy='true'><div class='spinner' role='progressbar' "
        f"aria-label='Loading'></div></div><script>window.SLOW_MS = {int(ms)};{SLOW_JS}</script>"))


def error_page(message: str) -> str:
    return layout("Error", f"<h1>Sorry</h1><p class='error' id='error'>{escape(message)}</p>")
