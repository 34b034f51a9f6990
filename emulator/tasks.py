"""AndroidWorld-style tasks: a goal in English and Chinese, and a check that reads real app state.

Each task has AndroidWorld's shape: ``initialize_task(phone)`` before a run,
``is_successful(phone)`` after it, ``tear_down(phone)`` at the end. A check never looks at the
screen: it asks the apps what happened (orders, bookings, messages, payments), so a task only
passes if it really was done. The check builders below (``shop_order``, ``booking``, ...) are
public so that generated tasks check the same way as the fixed ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from emulator.phone import Phone


@dataclass(frozen=True)
class Task:
    id: str
    app: str  # package of the app the task starts in (the goal may need others)
    goal: str
    goal_zh: str
    success: Callable[[Phone], bool]  # one of the check builders below
    seed: int = 0
    hazards: bool | frozenset[str] = False
    payment: bool = False  # completing it needs a payment (so a human's yes)

    def make_phone(self, seed: int | None = None, hazards: bool | frozenset[str] | None = None, **kwargs) -> Phone:
        return Phone(seed=self.seed if seed is None else seed,
                     hazards=self.hazards if hazards is None else hazards, **kwargs)

    def goal_in(self, language: str) -> str:
        return self.goal_zh if language.startswith("zh") else self.goal

    def initialize_task(self, phone: Phone) -> None:
        """The seed the phone was made with sets the whole scene, so there is nothing to add;
        a task that needs more (a draft, a cart) sets it here."""

    def is_successful(self, phone: Phone) -> bool:
        return self.success(phone)

    def tear_down(self, phone: Phone) -> None:
        """Nothing outlives the phone, which its owner closes."""


def paid(phone: Phone, payment_id: str) -> bool:
    return any(p.id == payment_id for p in phone.payments)


def shop_order(product_id: str, size: str | None = None, colour: str | None = None, qty: int | None = None):
    def check(phone: Phone) -> bool:
        for order in phone.app_state("shop").orders:  # type: ignore[attr-defined]
            for line in order.lines:
                if line.product_id != product_id:
                    continue
                if size and line.size != size or colour and line.colour != colour or qty and line.qty != qty:
                    continue
                if paid(phone, order.payment_id):
                    return True
        return False
    return check


def cart_has(product_id: str, qty: int):
    def check(phone: Phone) -> bool:
        cart = phone.app_state("shop").cart  # type: ignore[attr-defined]
        return sum(l.qty for l in cart if l.product_id == product_id) == qty and not phone.payments
    return check


def booking(city: str, check_in: dt.date, check_out: dt.date, adults: int, room: str | None = None):
    def check(phone: Phone) -> bool:
        return any(b.city == city and b.check_in == check_in and b.check_out == check_out and b.adults == adults
                   and (room is None or b.room == room) and paid(phone, b.payment_id)
                   for b in phone.app_state("travel").bookings)  # type: ignore[attr-defined]
    return check


def reservation(restaurant_id: str, date: dt.date, time: str, party: int):
    def check(phone: Phone) -> bool:
        return any(r.restaurant_id == restaurant_id and r.date == date and r.time == time and r.party == party
                   for r in phone.app_state("restaurant").reservations)  # type: ignore[attr-defined]
    return check


def food_order(restaurant_id: str, dish_prefix: str, qty: int):
    def check(phone: Phone) -> bool:
        for order in phone.app_state("restaurant").orders:  # type: ignore[attr-defined]
            if order.restaurant_id == restaurant_id and paid(phone, order.payment_id) and any(
                    l.name.startswith(dish_prefix) and l.qty == qty for l in order.lines):
                return True
        return False
    return check


def setting_is(attr: str, value: object):
    return lambda phone: getattr(phone.app_state("settings"), attr) == value


def contact_saved(name: str, number: str):
    return lambda phone: any(name.lower() in c.name.lower() and c.phone.replace(" ", "") == number
                             for c in phone.app_state("contacts").contacts)  # type: ignore[attr-defined]


def message_sent(to: str, *words: str):
    def check(phone: Phone) -> bool:
        return any(to.lower() in m.to_name.lower() and all(w.lower() in m.text.lower() for w in words)
                   for m in phone.app_state("messages").sent)  # type: ignore[attr-defined]
    return check


SHOP, TRAVEL, FOOD = "com.autoagent.shop", "com.autoagent.travel", "com.autoagent.restaurant"
SETTINGS, CONTACTS, MESSAGES = "com.autoagent.settings", "com.autoagent.contacts", "com.autoagent.messages"

TASKS: list[Task] = [
    Task("shop_buy_white_tshirt_m", SHOP, "In the Shop app, buy a White T-shirt in size M.",
         "在商城里购买一件M码的白色T恤。", shop_order("tshirt-white", size="M"), payment=True),
    Task("shop_buy_black_earbuds", SHOP, "Buy the black Wireless Earbuds in the Shop app.",
         "在商城购买黑色的无线耳机。", shop_order("earbuds", colour="Black"), payment=True),
    Task("shop_buy_two_hoodies", SHOP, "Buy two grey hoodies in size L from the Shop.",
         "在商城买两件L码的灰色连帽卫衣。", shop_order("hoodie", size="L", colour="Grey", qty=2), payment=True),
    Task("shop_cart_two_mugs", SHOP, "Add two coffee mugs (any colour) to the Shop cart, but do not buy them.",
         "在商城把两个马克杯（任意颜色）加入购物车，不要付款。", cart_has("mug", 2)),
    Task("travel_book_shanghai", TRAVEL,
         "Book a hotel in Shanghai for 2 adults, checking in on June 20 and out on June 22, 2025.",
         "在旅行App预订上海的酒店，2位成人，2025年6月20日入住，6月22日离店。",
         booking("Shanghai", dt.date(2025, 6, 20), dt.date(2025, 6, 22), 2), payment=True),
    Task("travel_book_hangzhou_deluxe", TRAVEL,
         "Book a Deluxe King room in Hangzhou for 1 adult, June 15 to June 16, 2025.",
         "在旅行App预订杭州的豪华大床房，1位成人，2025年6月15日至16日。",
         booking("Hangzhou", dt.date(2025, 6, 15), dt.date(2025, 6, 16), 1, room="deluxe"), payment=True),
    Task("restaurant_reserve_sichuan", FOOD,
         "Reserve a table for 4 at Sichuan Kitchen tomorrow at 19:00.",
         "在餐厅App预订川菜馆明天19:00的4人餐位。",
         reservation("sichuan", dt.date(2025, 6, 12), "19:00", 4)),
    Task("restaurant_order_dumplings", FOOD,
         "Order 2 portions of Pork Dumplings from Golden Dumpling House for delivery and pay.",
         "在金饺子馆点两份猪肉饺子外卖并付款。", food_order("dumpling", "Pork Dumplings", 2), payment=True),
    Task("settings_dark_mode", SETTINGS, "Turn on dark mode.", "打开深色模式。", setting_is("dark_mode", True)),
    Task("settings_wifi_off", SETTINGS, "Turn off Wi-Fi.", "关闭无线网络（Wi-Fi）。", setting_is("wifi", False)),
    Task("settings_language_zh", SETTINGS, "Change the phone's language to Chinese.", "把手机语言改成简体中文。",
         setting_is("language", "zh")),
    Task("contacts_add_chen_jie", CONTACTS, "Add a contact named Chen Jie with phone number 13900001234.",
         "新建联系人陈杰（Chen Jie），电话13900001234。", contact_saved("Chen Jie", "13900001234")),
    Task("messages_send_li_na", MESSAGES, "Send Li Na a message saying: I will be late 我会晚到",
         "给李娜发短信：I will be late 我会晚到", message_sent("Li Na", "late")),
    Task("contacts_then_message_zhang_wei", CONTACTS,
         "Find Zhang Wei in Contacts and send him a message: Meeting at 3pm 下午三点开会",
         "在联系人里找到张伟，给他发短信：Meeting at 3pm 下午三点开会", message_sent("Zhang Wei", "3pm")),
]

BY_ID = {task.id: task for task in TASKS}


def get(task_id: str) -> Task:
    try:
        return BY_ID[task_id]
    except KeyError:
        raise KeyError(f"no task {task_id!r}; tasks: {', '.join(BY_ID)}") from None
