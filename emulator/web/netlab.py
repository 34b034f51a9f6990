"""Pages whose side effects the screen does not show, for the network guard's tests.

Each pays an existing order through the site's real payment endpoint (so ``state.payments``
judges the outcome), in a way a screenshot and a DOM dump cannot reveal:

* ``/net/icon-pay/ID``  an icon-only button (an SVG, no text, no label, no title) whose click
  handler, attached with ``addEventListener``, pays with ``fetch()``;
* ``/net/popup-pay/ID`` the same icon, whose handler opens a blank window and writes the paying
  script into it, so the payment leaves from a window nobody has attached to yet;
* ``/net/late-pay/ID``  a harmless "Show delivery times" button that pays from a timer
  ``ms`` milliseconds later (default 3000), after the step has settled;
* ``/net/card-pay/ID``  a card form that submits (and pays) on Enter;
* ``/net/link-pay/ID``  a "See details" link that pays with a GET (``/net/pay?order=...``);
* ``/net/harmless``     search, add-to-favourites, analytics beacons and background polling,
  none of which pays, sends or deletes anything (they land in ``state.lab_log``).
"""

from __future__ import annotations

import json
from html import escape

from emulator.web.pages import layout
from emulator.web.state import DemoState, Order

# A padlock-free, text-free glyph: a right arrow in a circle.
_ICON = ("<svg width='48' height='48' viewBox='0 0 24 24' aria-hidden='true'><circle cx='12' cy='12' r='11' "
         "fill='#0a8f3c'/><path d='M7 12h8m-3-4 4 4-4 4' stroke='#fff' stroke-width='2' fill='none'/></svg>")
# The button in the middle of the window, where a scripted tap at [500,500] lands.
_CENTRED_ICON = ("<button id='go' style='position: fixed; left: 50%; top: 50%; transform: translate(-50%, -50%); "
                 f"width: 160px; height: 80px; margin: 0; padding: 0; background: #fff; border: 0'>{_ICON}</button>")


def _pay_js(order: Order) -> str:
    """A function that pays ``order`` by fetch and then says so in the heading."""
    body = json.dumps({"method": "visa-4242", "pay_token": order.pay_token})
    return (f"function payNow() {{ fetch('/shop/pay/{order.id}', {{method: 'POST', headers: "
            f"{{'Content-Type': 'application/x-www-form-urlencoded'}}, body: new URLSearchParams({body})}})"
            f".then(r => r.text().then(() => {{ document.querySelector('h1').textContent = "
            f"r.ok ? 'Thank you' : 'Not paid'; }})); }}")


def icon_pay_page(state: DemoState, order: Order) -> str:
    return layout("Your basket", (
        "<h1>Your basket</h1><p id='note'>Everything is reserved for you.</p>"
        f"{_CENTRED_ICON}<script>{_pay_js(order)}\ndocument.getElementById('go').addEventListener('click', payNow);</script>"),
        state)


def popup_pay_page(state: DemoState, order: Order) -> str:
    # The window's script is written by the page itself: no address, no load to wait for.
    window = json.dumps(f"<h1>Paying</h1><script>{_pay_js(order)}\npayNow();</script>").replace("</", "<\\/")
    return layout("Your basket", (
        "<h1>Your basket</h1><p id='note'>Everything is reserved for you.</p>"
        f"{_CENTRED_ICON}"
        "<script>document.getElementById('go').addEventListener('click', () => {"
        f"const w = window.open(''); w.document.write({window}); w.document.close(); }});</script>"), state)


def late_pay_page(state: DemoState, order: Order, ms: int) -> str:
    return layout("Delivery", (
        "<h1>Delivery</h1><p id='times'></p>"
        "<button id='delivery' type='button'>Show delivery times</button>"
        f"<script>{_pay_js(order)}\ndocument.getElementById('delivery').addEventListener('click', () => {{"
        "document.getElementById('times').textContent = 'Tomorrow 9:00-12:00';"
        f"setTimeout(payNow, {int(ms)}); }});</script>"), state)


def card_pay_page(state: DemoState, order: Order) -> str:
    return layout("Card", (
        "<h1>Add a card</h1>"
        f"<form action='/shop/pay/{order.id}' method='post'>"
        "<label for='card_number'>Card number</label>"
        "<input type='text' id='card_number' name='card_number' inputmode='numeric'>"
        f"<input type='hidden' name='pay_token' value='{escape(order.pay_token)}'>"
        "<input type='hidden' name='method' value='card'></form>"), state)


def link_pay_page(state: DemoState, order: Order) -> str:
    return layout("Order", (
        "<h1>Your basket</h1>"
        f"<p><a id='details' href='/net/pay?order={order.id}&token={escape(order.pay_token)}'>See details</a></p>"),
        state)


HARMLESS_JS = """
const beacon = (event) => navigator.sendBeacon('/net/api/analytics',
  JSON.stringify({event: event, page: location.pathname, ts: Date.now()}));
beacon('view');
setInterval(() => fetch('/net/api/poll').then(r => r.json()).then(d => {
  document.getElementById('polls').textContent = 'Updates: ' + d.n; }), 500);
document.getElementById('search-form').addEventListener('submit', (e) => {
  e.preventDefault(); beacon('search');
  fetch('/net/api/search', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({q: document.getElementById('q').value})}).then(r => r.json()).then(d => {
      document.getElementById('results').textContent = d.results + ' results'; });
});
document.getElementById('fav').addEventListener('click', () => {
  beacon('favourite');
  fetch('/net/api/favourites', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({product: 'p01'})}).then(r => r.json()).then(() => {
      document.getElementById('fav-state').textContent = 'Saved to favourites'; });
});
"""


def harmless_page(state: DemoState) -> str:
    return layout("Browse", (
        "<h1>Browse</h1><form id='search-form' class='row'><input type='search' id='q' name='q' "
        "placeholder='Search products'><button type='submit' id='search-button'>Search</button></form>"
        "<p id='results'></p><button type='button' id='fav' aria-label='Add to favourites'>♡</button>"
        "<p id='fav-state'></p><p id='polls'></p>"
        f"<script>{HARMLESS_JS}</script>"), state)
