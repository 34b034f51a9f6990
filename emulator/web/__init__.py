"""A small demo web shop and hotel booking site, served on loopback for browser tests.

    with serve_demo_site() as site:
        site.url          # http://127.0.0.1:PORT
        site.state        # cart, orders, bookings, payments (with what caused each)

Payments are created only by POSTing a payment form ("Pay now" / "确认支付").
"""

from emulator.web.server import DemoSite, serve_demo_site
from emulator.web.state import Booking, DemoState, Order, Payment

__all__ = ["Booking", "DemoSite", "DemoState", "Order", "Payment", "serve_demo_site"]
