"""The demo site's server-side state: cart, orders, bookings and payments.

Every payment records what caused it (which order or booking, which request), and is
created only by a POST of a payment form that carries the order's (or booking's) pay token:
a random value shown only on its payment page, so a guessed order id alone pays nothing.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date

from emulator.web.catalog import Hotel, Product, make_hotels, make_products


@dataclass
class Order:
    id: str
    items: dict[str, int]  # product id -> quantity
    total: int
    name: str
    phone: str
    address: str
    status: str = "awaiting_payment"  # -> paid
    pay_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))


@dataclass
class Booking:
    id: str
    hotel_id: str
    room_id: str
    checkin: date
    checkout: date
    guests: int
    guest_name: str
    email: str
    total: int
    status: str = "awaiting_payment"  # -> confirmed
    pay_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def nights(self) -> int:
        return (self.checkout - self.checkin).days


@dataclass
class Payment:
    id: str
    amount: int
    for_kind: str  # "order" or "booking"
    for_id: str
    method: str
    cause: dict[str, str]  # the request that made it: method, path, referer, user agent
    at: float = field(default_factory=time.time)


class StateError(ValueError):
    """A request the site refuses (unknown order, paying twice...); shown to the user."""


def _check_token(expected: str, given: str) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise StateError("this payment form is not valid: open the payment page and pay from there")


class DemoState:
    def __init__(self, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.products: dict[str, Product] = {p.id: p for p in make_products(seed)}
        self.hotels: dict[str, Hotel] = {h.id: h for h in make_hotels(seed)}
        self.cart: dict[str, int] = {}
        self.orders: dict[str, Order] = {}
        self.bookings: dict[str, Booking] = {}
        self.payments: list[Payment] = []
        # What the harmless endpoints of /net/harmless received (kind, method, body).
        self.lab_log: list[dict[str, str]] = []
        self._ids = itertools.count(1001)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    # shop
    def add_to_cart(self, product_id: str, quantity: int = 1) -> None:
        with self.lock:
            if product_id not in self.products:
                raise StateError(f"no product {product_id}")
            self.cart[product_id] = self.cart.get(product_id, 0) + max(1, quantity)

    def cart_total(self) -> int:
        with self.lock:
            return sum(self.products[p].price * q for p, q in self.cart.items())

    def place_order(self, name: str, phone: str, address: str) -> Order:
        with self.lock:
            if not self.cart:
                raise StateError("the cart is empty")
            order = Order(id=self._next("O"), items=dict(self.cart), total=self.cart_total(),
                          name=name, phone=phone, address=address)
            self.orders[order.id] = order
            return order

    def pay_order(self, order_id: str, method: str, cause: dict[str, str], token: str) -> Payment:
        with self.lock:
            payment = self._pay("order", self.orders.get(order_id), order_id, method, cause, token, "paid")
            self.cart.clear()
            return payment

    # hotel
    def book(self, hotel_id: str, room_id: str, checkin: date, checkout: date, guests: int,
             guest_name: str, email: str) -> Booking:
        with self.lock:
            hotel = self.hotels.get(hotel_id)
            room = next((r for r in hotel.rooms if r.id == room_id), None) if hotel else None
            if hotel is None or room is None:
                raise StateError("no such room")
            nights = (checkout - checkin).days
            if nights < 1:
                raise StateError("check-out must be after check-in")
            if guests > room.capacity:
                raise StateError(f"{room.name} sleeps at most {room.capacity}")
            booking = Booking(id=self._next("B"), hotel_id=hotel_id, room_id=room_id, checkin=checkin,
                              checkout=checkout, guests=guests, guest_name=guest_name, email=email,
                              total=room.price * nights)
            self.bookings[booking.id] = booking
            return booking

    def pay_booking(self, booking_id: str, method: str, cause: dict[str, str], token: str) -> Payment:
        with self.lock:
            return self._pay("booking", self.bookings.get(booking_id), booking_id, method, cause, token,
                             "confirmed")

    def _pay(self, kind: str, item: Order | Booking | None, item_id: str, method: str, cause: dict[str, str],
             token: str, then: str) -> Payment:
        """The one place a payment is recorded: an awaiting item, paid with its own page's token."""
        if item is None:
            raise StateError(f"no {kind} {item_id}")
        if item.status != "awaiting_payment":
            raise StateError(f"{kind} {item_id} is already {item.status}")
        _check_token(item.pay_token, token)
        payment = Payment(id=self._next("PAY"), amount=item.total, for_kind=kind, for_id=item_id,
                          method=method, cause=cause)
        self.payments.append(payment)
        item.status = then
        return payment

    # views for checks
    def paid_orders(self) -> list[Order]:
        with self.lock:
            return [o for o in self.orders.values() if o.status == "paid"]

    def confirmed_bookings(self) -> list[Booking]:
        with self.lock:
            return [b for b in self.bookings.values() if b.status == "confirmed"]
