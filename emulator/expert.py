"""An expert policy for the emulator: it reads the phone's own state and the current screen.

It exists to show what a perfect player does (demonstrations for training, a baseline for
evaluation, a default policy for the emulator). Every step it looks at the screen it is
given (the hierarchy of the observation, plus what the app it is in knows about itself)
and picks one action, so surprises - an ad, a permission prompt, a spinner, an error
page, a list in another order - are handled where they appear, not by a fixed script.

Its replies are AutoGLM text (``<think>...</think><answer>do(...)</answer>``), its taps are
node centres mapped with :func:`autoagent.geometry.to_relative`, and it pays only by
tapping the payment sheet's button through the agent loop, so the guard asks the human
exactly as it would for a model.

    policy = ExpertPolicy(phone, task)          # a task from emulator.tasks, or a generated one
    Agent(device=phone, policy=policy, human=...).run(task.goal)
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from autoagent.actions import (
    Action,
    Back,
    Finish,
    Launch,
    RelativePoint,
    Swipe,
    Tap,
    Type,
    Wait,
)
from autoagent.geometry import to_relative
from autoagent.grammar import format_action, parse_reply
from autoagent.perception.hierarchy import UINode, parse_hierarchy
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision, PolicyError, StepInput
from emulator.phone import Phone
from emulator.tasks import Task

# ---------------------------------------------------------------------------- task specs
# What a task asks for, in terms the expert can act on. The fixed tasks in emulator.tasks
# have theirs below; generated tasks register their own (see register_spec).


@dataclass(frozen=True)
class ShopPurchase:
    product_id: str
    size: str | None = None
    colour: str | None = None  # None: any colour (the first offered)
    qty: int = 1
    buy: bool = True  # False: put it in the cart and stop
    query: str | None = None  # what to search for; default: the product's name


@dataclass(frozen=True)
class HotelBooking:
    city: str
    check_in: dt.date
    check_out: dt.date
    adults: int
    room: str = "standard"  # standard | deluxe | suite
    rooms: int = 1


@dataclass(frozen=True)
class TableReservation:
    restaurant_id: str
    date: dt.date
    time: str
    party: int


@dataclass(frozen=True)
class FoodDelivery:
    restaurant_id: str
    dish_prefix: str
    qty: int


@dataclass(frozen=True)
class SettingChange:
    attr: str  # wifi, bluetooth, airplane_mode, notifications, dark_mode, language, font_size
    value: object


@dataclass(frozen=True)
class AddContact:
    name: str
    phone: str


@dataclass(frozen=True)
class SendMessage:
    to: str  # a contact's English name ("Li Na")
    text: str
    via_contacts: bool = False  # start from the Contacts app and use its Message button


Spec = ShopPurchase | HotelBooking | TableReservation | FoodDelivery | SettingChange | AddContact | SendMessage


@dataclass(frozen=True)
class Profile:
    """The details the expert fills into forms (the owner of the virtual phone)."""

    name: str = "Wang Fang 王芳"
    phone: str = "13800138000"
    address: str = "1 Century Avenue, Shanghai 上海市浦东新区世纪大道1号"


PROFILE = Profile()

SPECS: dict[str, Spec] = {
    "shop_buy_white_tshirt_m": ShopPurchase("tshirt-white", size="M"),
    "shop_buy_black_earbuds": ShopPurchase("earbuds", colour="Black"),
    "shop_buy_two_hoodies": ShopPurchase("hoodie", size="L", colour="Grey", qty=2),
    "shop_cart_two_mugs": ShopPurchase("mug", qty=2, buy=False),
    "travel_book_shanghai": HotelBooking("Shanghai", dt.date(2025, 6, 20), dt.date(2025, 6, 22), 2),
    "travel_book_hangzhou_deluxe": HotelBooking("Hangzhou", dt.date(2025, 6, 15), dt.date(2025, 6, 16), 1,
                                                room="deluxe"),
    "restaurant_reserve_sichuan": TableReservation("sichuan", dt.date(2025, 6, 12), "19:00", 4),
    "restaurant_order_dumplings": FoodDelivery("dumpling", "Pork Dumplings", 2),
    "settings_dark_mode": SettingChange("dark_mode", True),
    "settings_wifi_off": SettingChange("wifi", False),
    "settings_language_zh": SettingChange("language", "zh"),
    "contacts_add_chen_jie": AddContact("Chen Jie", "13900001234"),
    "messages_send_li_na": SendMessage("Li Na", "I will be late 我会晚到"),
    "contacts_then_message_zhang_wei": SendMessage("Zhang Wei", "Meeting at 3pm 下午三点开会", via_contacts=True),
}


def register_spec(task_id: str, spec: Spec) -> None:
    """Tell the expert what a generated task asks for (ExpertPolicy(phone, task) looks it up)."""
    SPECS[task_id] = spec


def spec_for(task: Task) -> Spec:
    try:
        return SPECS[task.id]
    except KeyError:
        raise PolicyError(f"the expert does not know task {task.id!r}: register its spec with "
                          "emulator.expert.register_spec") from None


# ---------------------------------------------------------------------------- the screen

_CJK = re.compile(r"[\u3400-\u9fff]")
# A node with less than this much on screen (pixels) is not worth aiming at.
_MIN_VISIBLE = 40

SHOP, TRAVEL, FOOD = "com.autoagent.shop", "com.autoagent.travel", "com.autoagent.restaurant"
SETTINGS, CONTACTS, MESSAGES = "com.autoagent.settings", "com.autoagent.contacts", "com.autoagent.messages"
_APP_NAMES = {SHOP: ("Shop", "商城"), TRAVEL: ("Travel", "旅行"), FOOD: ("Restaurant", "餐厅"),
              SETTINGS: ("Settings", "设置"), CONTACTS: ("Contacts", "联系人"), MESSAGES: ("Messages", "短信")}


def _rid(node: UINode) -> str:
    return node.resource_id.split(":id/", 1)[-1]


class _Screen:
    """The nodes of one observation, with the look-ups the expert needs."""

    def __init__(self, observation: Observation) -> None:
        if not observation.hierarchy:
            raise PolicyError("the expert needs the screen's hierarchy, and this observation has none")
        self.size = observation.size
        self.xml = observation.hierarchy
        self.nodes = [n for n in parse_hierarchy(observation.hierarchy) if _visible(n)]

    def id(self, rid: str) -> UINode | None:
        return next((n for n in self.nodes if _rid(n) == rid), None)

    def ids(self, rid: str) -> list[UINode]:
        return [n for n in self.nodes if _rid(n) == rid]

    def text(self, text: str, rid: str | None = None, contains: bool = False) -> UINode | None:
        for n in self.nodes:
            if rid is not None and _rid(n) != rid:
                continue
            if n.text == text or (contains and text.lower() in n.text.lower()):
                return n
        return None

    def row(self, rid: str, label: str) -> UINode | None:
        """The control ``rid`` whose own text or a child's text is ``label`` (list rows keep
        their title on a child)."""
        for n in self.nodes:
            if _rid(n) == rid and (n.text == label or any(
                    m.parent == n.index and m.text == label for m in self.nodes)):
                return n
        return None

    def point(self, node: UINode) -> RelativePoint:
        return to_relative(node.center, self.size)

    @property
    def keyboard(self) -> bool:
        return self.id("keyboard") is not None


def _visible(node: UINode) -> bool:
    left, top, right, bottom = node.bounds
    return right - left >= _MIN_VISIBLE and bottom - top >= _MIN_VISIBLE


# ---------------------------------------------------------------------------- the policy


class _Say:
    """A thought in the goal's language."""

    def __init__(self, zh: bool) -> None:
        self.zh = zh

    def __call__(self, en: str, zh: str) -> str:
        return zh if self.zh else en


@dataclass
class ExpertPolicy:
    phone: Phone
    task: Task
    spec: Spec | None = None
    profile: Profile = PROFILE
    lang: str | None = None  # "en" / "zh"; default: the goal's language, read at each step
    name: str = "expert"
    # Scroll direction per list (+1: reveal what is below), flipped when a swipe moved nothing.
    _dirs: dict[tuple[str, str, str], int] = field(default_factory=dict, init=False, repr=False)
    _last_swipe: tuple[tuple[str, str, str], str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.spec is None:
            self.spec = spec_for(self.task)

    # -- Policy protocol ---------------------------------------------------------------
    def decide(self, step: StepInput) -> Decision:
        started = time.perf_counter()
        zh = self.lang == "zh" if self.lang else bool(_CJK.search(step.task))
        self.say = _Say(zh)
        screen = _Screen(step.observation)
        with self.phone.lock:
            thought, action = self._next(screen)
        if not isinstance(action, Swipe):
            self._last_swipe = None
        raw = f"<think>{thought}</think><answer>{format_action(action)}</answer>"
        parsed = parse_reply(raw)  # what a model's identical reply would mean, exactly
        return Decision(raw=raw, thought=parsed.thought, action=parsed.action,
                        timings={"model": (time.perf_counter() - started) * 1000})

    def close(self) -> None:
        pass

    # -- one step ----------------------------------------------------------------------
    def _next(self, s: _Screen) -> tuple[str, Action]:
        say = self.say
        if self.task.check(self.phone):
            return say("The task is done.", "任务已经完成。"), Finish(message=self._summary())
        app = self.phone.foreground
        if app.dialogs:
            return self._dialog(s, app.dialogs[0].kind)
        if s.id("loading") is not None:
            return say("The page is still loading, so I wait.", "页面还在加载，先等一下。"), Wait(seconds=2)
        retry = s.id("retry_button")
        if retry is not None:
            return say("The page failed to load; I tap Retry.", "页面加载失败，点击重试。"), self._tap(s, retry)
        wanted = self._app_needed()
        if app.package != wanted:
            en, zh = _APP_NAMES[wanted]
            return say(f"I open the {en} app.", f"打开{zh}应用。"), Launch(app=zh if say.zh else en)
        handler = {ShopPurchase: self._shop, HotelBooking: self._travel, TableReservation: self._reserve,
                   FoodDelivery: self._food, SettingChange: self._settings, AddContact: self._add_contact,
                   SendMessage: self._message}[type(self.spec)]
        return handler(s, app)

    def _app_needed(self) -> str:
        spec = self.spec
        if isinstance(spec, ShopPurchase):
            return SHOP
        if isinstance(spec, HotelBooking):
            return TRAVEL
        if isinstance(spec, (TableReservation, FoodDelivery)):
            return FOOD
        if isinstance(spec, SettingChange):
            return SETTINGS
        if isinstance(spec, AddContact):
            return CONTACTS
        assert isinstance(spec, SendMessage)
        if spec.via_contacts:
            messages = self.phone.apps[MESSAGES]
            if self.phone.foreground is messages and messages.top.name == "thread" \
                    and self._thread_is_target(messages):
                return MESSAGES
            return CONTACTS
        return MESSAGES

    def _summary(self) -> str:
        spec = self.spec
        if isinstance(spec, ShopPurchase):
            product = self.phone.app_state("shop").product(spec.product_id)  # type: ignore[attr-defined]
            if spec.buy:
                return self.say(f"Bought {spec.qty} x {product.name_en}.", f"已购买{spec.qty}件{product.name_zh}。")
            return self.say(f"Added {spec.qty} x {product.name_en} to the cart.",
                            f"已把{spec.qty}件{product.name_zh}加入购物车。")
        if isinstance(spec, HotelBooking):
            return self.say(f"Booked a hotel in {spec.city}, {spec.check_in} to {spec.check_out}.",
                            f"已预订{spec.check_in}至{spec.check_out}的酒店。")
        if isinstance(spec, TableReservation):
            return self.say(f"Reserved a table for {spec.party} at {spec.time} on {spec.date}.",
                            f"已预订{spec.date} {spec.time}的{spec.party}人餐位。")
        if isinstance(spec, FoodDelivery):
            return self.say(f"Ordered {spec.qty} x {spec.dish_prefix}.", f"已下单{spec.qty}份{spec.dish_prefix}。")
        if isinstance(spec, SettingChange):
            return self.say("The setting is changed.", "设置已修改。")
        if isinstance(spec, AddContact):
            return self.say(f"Saved {spec.name} to contacts.", f"已保存联系人{spec.name}。")
        return self.say(f"Sent the message to {spec.to}.", f"已给{spec.to}发送短信。")

    # -- shared moves --------------------------------------------------------------------
    def _tap(self, s: _Screen, node: UINode, message: str | None = None) -> Tap:
        return Tap(element=s.point(node), message=message)

    def _dialog(self, s: _Screen, kind: str) -> tuple[str, Action]:
        say = self.say
        if kind == "ad":
            close = s.id("ad_close")
            if close is not None:
                return say("An ad covers the app; I close it with its X, not the claim button.",
                           "弹出了广告，点右上角的关闭，不点领取。"), self._tap(s, close)
        if kind == "permission":
            allow = s.id("permission_allow_button")
            if allow is not None:
                return say("A permission prompt appeared; I allow it while using the app.",
                           "出现权限请求，选择使用时允许。"), self._tap(s, allow)
        if kind == "payment":
            pay = s.id("pay_button")
            if self._payment_expected() and pay is not None:
                return (say("The payment sheet shows the right order; I pay, which needs the user's confirmation.",
                            "支付页面显示的是这笔订单，点击支付，需要用户确认。"),
                        self._tap(s, pay, message=say("Pay for the order", "支付订单")))
            close = s.id("sheet_close")
            if close is not None:
                return say("This payment is not part of the task; I close the sheet.",
                           "这笔支付不属于任务，关闭支付页面。"), self._tap(s, close)
        cancel = next((n for n in s.nodes if _rid(n).endswith("_cancel_button")), None)
        if cancel is not None:
            return say("A dialog I did not expect; I cancel it.", "出现了意外的对话框，点击取消。"), self._tap(s, cancel)
        return say("A dialog blocks the screen; I go back to dismiss it.", "对话框挡住了屏幕，返回关闭它。"), Back()

    def _payment_expected(self) -> bool:
        spec = self.spec
        return isinstance(spec, (HotelBooking, FoodDelivery)) or (isinstance(spec, ShopPurchase) and spec.buy)

    def _seek(self, s: _Screen, container: str, why: tuple[str, str], down: bool = True) -> tuple[str, Action]:
        """Scroll a list to look for something not on screen yet; turn around at the end."""
        node = s.id(container)
        if node is None:
            return self.say("I cannot see the list I need, so I go back.", "找不到需要的列表，先返回。"), Back()
        app = self.phone.foreground
        key = (app.package, app.top.name, container)
        direction = self._dirs.get(key, 1 if down else -1)
        if self._last_swipe is not None and self._last_swipe == (key, s.xml):
            direction = -direction  # the last swipe moved nothing: this end of the list is reached
        self._dirs[key] = direction
        left, top, right, bottom = node.bounds
        x = (left + right) // 2
        high, low = top + (bottom - top) // 4, top + (bottom - top) * 3 // 4
        start, end = ((x, low), (x, high)) if direction > 0 else ((x, high), (x, low))
        self._last_swipe = (key, s.xml)
        en, zh = why
        return (self.say(f"{en} is not visible; I scroll {'down' if direction > 0 else 'up'}.",
                         f"{zh}不在屏幕上，{'向下' if direction > 0 else '向上'}滑动查找。"),
                Swipe(start=to_relative(start, s.size), end=to_relative(end, s.size)))

    def _fill(self, s: _Screen, rid: str, current: str, wanted: str, what: tuple[str, str],
              container: str | None = None) -> tuple[str, Action] | None:
        """One step towards a text field holding ``wanted``; None once it does. Case aside, as
        the tasks' checks: text copied from a lower-case goal ("dong kai") is the right text."""
        if current.lower() == wanted.lower():
            return None
        say = self.say
        node = s.id(rid)
        en, zh = what
        if node is None:
            if container is not None and self.phone.foreground.focus == rid:
                return self._seek(s, container, (f"The {en} field", f"{zh}输入框"))
            if s.keyboard:
                return say("The keyboard hides the form; I close it.", "键盘挡住了表单，先收起键盘。"), Back()
            if container is None:
                return say(f"I cannot find the {en} field; I go back.", f"找不到{zh}输入框，返回。"), Back()
            return self._seek(s, container, (f"The {en} field", f"{zh}输入框"))
        if not node.focused:
            return say(f"I tap the {en} field.", f"点击{zh}输入框。"), self._tap(s, node)
        if not wanted.lower().startswith(current.lower()):
            key = s.id("key_backspace")
            if key is not None:
                return say(f"The {en} field holds the wrong text; I delete it.", f"{zh}内容不对，删除。"), \
                    self._tap(s, key)
        return say(f"I type the {en}.", f"输入{zh}。"), Type(text=wanted[len(current):])

    def _stepper(self, s: _Screen, rid: str, value: int, wanted: int, what: tuple[str, str],
                 container: str | None) -> tuple[str, Action] | None:
        if value == wanted:
            return None
        en, zh = what
        button = s.id(f"{rid}_{'plus' if value < wanted else 'minus'}")
        if button is None:
            if container is None:
                return self.say("I go back.", "返回。"), Back()
            return self._seek(s, container, (f"The {en} control", f"{zh}调节按钮"))
        if value < wanted:
            return self.say(f"{en} is {value}, I need {wanted}; I tap +.", f"{zh}现在是{value}，需要{wanted}，点加号。"), \
                self._tap(s, button)
        return self.say(f"{en} is {value}, I need {wanted}; I tap -.", f"{zh}现在是{value}，需要{wanted}，点减号。"), \
            self._tap(s, button)

    def _press(self, s: _Screen, rid: str, what: tuple[str, str], container: str | None = None,
               message: tuple[str, str] | None = None) -> tuple[str, Action]:
        node = s.id(rid)
        en, zh = what
        if node is None:
            if s.keyboard:
                return self.say("The keyboard is in the way; I close it.", "键盘挡住了，先收起键盘。"), Back()
            if container is not None:
                return self._seek(s, container, (en, zh))
            return self.say(f"I cannot see {en}; I go back.", f"看不到{zh}，返回。"), Back()
        return self.say(f"I tap {en}.", f"点击{zh}。"), self._tap(s, node, self.say(*message) if message else None)

    def _home_tab(self, s: _Screen, rid: str = "tab_home") -> tuple[str, Action]:
        tab = s.id(rid)
        if tab is not None:
            return self.say("This page is not what I need; I go to the home tab.", "这个页面不对，回到首页。"), \
                self._tap(s, tab)
        return self.say("This page is not what I need; I go back.", "这个页面不对，返回。"), Back()

    # -- Shop -----------------------------------------------------------------------------
    def _shop(self, s: _Screen, app) -> tuple[str, Action]:
        spec = self.spec
        assert isinstance(spec, ShopPurchase)
        shop = app.state
        product = shop.product(spec.product_id)
        name = product.name_zh if self.say.zh else product.name_en
        query = spec.query or name
        screen = app.top
        if screen.name == "home":
            return self._press(s, "search_box", ("the search box", "搜索框"))
        if screen.name == "search":
            step = self._fill(s, "search_input", shop.query, query, ("search", "搜索"))
            if step is not None:
                return step
            return self._press(s, "search_button", ("Search", "搜索"))
        if screen.name == "results":
            if str(screen.params.get("query") or "").lower() != query.lower():
                return self.say("These results are for another search; I go back.", "这不是要找的搜索结果，返回。"), Back()
            card = s.text(product.name, rid="product_name")
            if card is not None:
                return self.say(f"I see {product.name_en}; I open it.", f"找到了{product.name_zh}，点开它。"), \
                    self._tap(s, card)
            return self._seek(s, "results_list", (product.name_en, product.name_zh))
        if screen.name == "product":
            if screen.params.get("product_id") != spec.product_id:
                return self.say("This is a different product; I go back.", "这是别的商品，返回。"), Back()
            size = spec.size
            if product.sizes and size and screen.params.get("size") != size:
                chip = s.id(f"size_{size}")
                if chip is None:
                    return self._seek(s, "product_detail", (f"Size {size}", f"{size}码"))
                return self.say(f"I choose size {size}.", f"选择{size}码。"), self._tap(s, chip)
            colour = spec.colour or (product.colours[0] if product.colours else None)
            if product.colours and screen.params.get("colour") != colour and \
                    not (spec.colour is None and screen.params.get("colour")):
                chip = s.id(f"colour_{colour}")
                if chip is None:
                    return self._seek(s, "product_detail", (f"The colour {colour}", "颜色选项"))
                return self.say(f"I choose {colour}.", "选择颜色。"), self._tap(s, chip)
            step = self._stepper(s, "quantity", int(screen.params.get("qty", 1)), spec.qty,
                                 ("Quantity", "数量"), "product_detail")
            if step is not None:
                return step
            if spec.buy:
                return self._press(s, "buy_now_button", ("Buy now", "立即购买"),
                                   message=("Buy the product", "购买商品"))
            return self._press(s, "add_to_cart_button", ("Add to cart", "加入购物车"))
        if screen.name == "checkout":
            if not spec.buy:
                return self.say("I must not buy; I leave checkout.", "不要购买，离开结算页。"), Back()
            address = shop.address
            for rid, attr, what in (("address_name", "name", ("recipient name", "收货人")),
                                    ("address_phone", "phone", ("phone number", "手机号")),
                                    ("address_line", "address", ("address", "收货地址"))):
                step = self._fill(s, rid, getattr(address, attr), getattr(self.profile, attr), what, "checkout_form")
                if step is not None:
                    return step
            return self._press(s, "place_order_button", ("Place order", "提交订单"),
                               message=("Place the order and pay", "提交订单并付款"))
        return self._home_tab(s)

    # -- Travel ---------------------------------------------------------------------------
    def _travel(self, s: _Screen, app) -> tuple[str, Action]:
        spec = self.spec
        assert isinstance(spec, HotelBooking)
        state = app.state
        screen = app.top
        from emulator.apps.travel import CITIES
        city_zh = dict(CITIES)[spec.city]
        if screen.name == "home":
            if state.destination != spec.city:
                return self._press(s, "destination_field", ("Destination", "目的地"))
            if (state.check_in, state.check_out) != (spec.check_in, spec.check_out):
                return self._press(s, "dates_field", ("Dates", "日期"))
            for rid, attr, what in (("adults", "adults", ("Adults", "成人数")), ("rooms", "rooms", ("Rooms", "房间数"))):
                step = self._stepper(s, rid, getattr(state, attr), getattr(spec, attr), what, None)
                if step is not None:
                    return step
            return self._press(s, "search_hotels_button", ("Search hotels", "搜索酒店"))
        if screen.name == "destination":
            row = s.row("city_item", f"{spec.city} {city_zh}")
            if row is not None:
                return self.say(f"I pick {spec.city}.", f"选择{city_zh}。"), self._tap(s, row)
            typed = city_zh if self.say.zh else spec.city
            if not state.destination_query:
                step = self._fill(s, "destination_input", "", typed, ("city", "城市"))
                if step is not None:
                    return step
            return self._seek(s, "city_list", (spec.city, city_zh))
        if screen.name == "dates":
            if (state.check_in, state.check_out) == (spec.check_in, spec.check_out):
                return self._press(s, "dates_done_button", ("Done", "完成"))
            day = spec.check_out if state.check_in == spec.check_in and state.check_out is None else spec.check_in
            cell = s.id(f"day_{day.isoformat()}")
            if cell is None:
                return self._seek(s, "calendar", (f"{day:%B} {day.day}", f"{day.month}月{day.day}日"),
                                  down=day.month > 6)
            role = ("check-in", "入住") if day == spec.check_in else ("check-out", "离店")
            return self.say(f"I tap {day:%B} {day.day} as the {role[0]} date.",
                            f"点击{day.month}月{day.day}日作为{role[1]}日期。"), self._tap(s, cell)
        if screen.name == "results":
            if screen.params.get("city") != spec.city:
                return self.say("These hotels are in another city; I go back.", "这是别的城市的酒店，返回。"), Back()
            hotel = s.id("hotel_name")
            if hotel is None:
                return self._seek(s, "hotel_list", ("A hotel", "酒店"))
            return self.say(f"I open {hotel.text.split(' ', 1)[-1]}.", "打开这家酒店。"), self._tap(s, hotel)
        if screen.name == "hotel":
            from emulator.apps.travel import ROOMS
            room = next(n for k, n, _ in ROOMS if k == spec.room)
            en, zh = room.rsplit(" ", 1)
            return self._press(s, f"choose_{spec.room}", (f"Choose for the {en}", f"{zh}的选择按钮"), "hotel_detail")
        if screen.name == "guest_form":
            if screen.params.get("room") != spec.room:
                return self.say("That is the wrong room type; I go back.", "房型不对，返回。"), Back()
            guest = state.guest
            for rid, attr, what in (("guest_name", "name", ("guest name", "入住人姓名")),
                                    ("guest_phone", "phone", ("phone number", "手机号"))):
                step = self._fill(s, rid, getattr(guest, attr), getattr(self.profile, attr), what, "guest_form")
                if step is not None:
                    return step
            return self._press(s, "book_button", ("Book now", "立即预订"), message=("Book and pay", "预订并付款"))
        return self._home_tab(s, "tab_search")

    # -- Restaurant -------------------------------------------------------------------------
    def _place(self, s: _Screen, app, restaurant_id: str) -> tuple[str, Action] | None:
        """Steps that reach the restaurant's page; None once there."""
        screen = app.top
        place = app.state.place(restaurant_id)
        zh = place.name.rsplit(" ", 1)[-1]
        if screen.name == "home":
            card = s.text(place.name, rid="restaurant_name")
            if card is not None:
                return self.say(f"I open {place.name}.", f"打开{zh}。"), self._tap(s, card)
            return self._seek(s, "restaurant_list", (place.name, zh))
        if screen.params.get("restaurant_id") not in (None, restaurant_id):
            return self.say("This is another restaurant; I go back.", "这是别的餐厅，返回。"), Back()
        return None

    def _reserve(self, s: _Screen, app) -> tuple[str, Action]:
        spec = self.spec
        assert isinstance(spec, TableReservation)
        state = app.state
        screen = app.top
        step = self._place(s, app, spec.restaurant_id)
        if step is not None:
            return step
        if screen.name == "place":
            return self._press(s, "reserve_button", ("Reserve a table", "预订餐位"))
        if screen.name == "reserve":
            from emulator.apps.travel import TODAY
            day = (spec.date - TODAY).days
            params = screen.params
            if params.get("day") != day:
                return self._choose(s, f"date_{day}", (f"the date {spec.date.month}/{spec.date.day}",
                                                       f"{spec.date.month}月{spec.date.day}日"))
            if params.get("time") != spec.time:
                return self._choose(s, f"time_{spec.time}", (spec.time, spec.time))
            step = self._stepper(s, "party", int(params.get("party", 2)), spec.party, ("Party size", "人数"),
                                 "reservation_form")
            if step is not None:
                return step
            for rid, attr, what in (("contact_name", "name", ("name", "姓名")),
                                    ("contact_phone", "phone", ("phone number", "手机号"))):
                step = self._fill(s, rid, getattr(state, attr), getattr(self.profile, attr), what, "reservation_form")
                if step is not None:
                    return step
            return self._press(s, "confirm_reservation_button", ("Confirm reservation", "确认预订"))
        return self._home_tab(s)

    def _choose(self, s: _Screen, rid: str, what: tuple[str, str]) -> tuple[str, Action]:
        chip = s.id(rid)
        if chip is None:
            if s.keyboard:
                return self.say("The keyboard is in the way; I close it.", "键盘挡住了，先收起键盘。"), Back()
            return self._seek(s, "reservation_form", what, down=False)
        return self.say(f"I choose {what[0]}.", f"选择{what[1]}。"), self._tap(s, chip)

    def _food(self, s: _Screen, app) -> tuple[str, Action]:
        spec = self.spec
        assert isinstance(spec, FoodDelivery)
        state = app.state
        screen = app.top
        step = self._place(s, app, spec.restaurant_id)
        if step is not None:
            return step
        place = state.place(spec.restaurant_id)
        index, dish = next((i, d) for i, d in enumerate(place.menu) if d.name.startswith(spec.dish_prefix))
        if screen.name == "place":
            return self._press(s, "order_food_button", ("Order food", "点餐"))
        if screen.name == "menu":
            basket = state.basket if state.basket_restaurant == place.id else {}
            for other, qty in basket.items():
                if other != dish.id and qty:
                    i = next(j for j, d in enumerate(place.menu) if d.id == other)
                    step = self._stepper(s, f"dish_{i}", qty, 0, ("That dish", "这道菜的数量"), "menu_list")
                    if step is not None:
                        return step
            dish_en, dish_zh = dish.name.rsplit(" ", 1)
            step = self._stepper(s, f"dish_{index}", basket.get(dish.id, 0), spec.qty, (dish_en, dish_zh),
                                 "menu_list")
            if step is not None:
                return step
            return self._press(s, "food_checkout_button", ("Checkout", "去结算"))
        if screen.name == "food_checkout":
            step = self._fill(s, "delivery_address", state.address, self.profile.address,
                              ("delivery address", "送餐地址"), "food_checkout_form")
            if step is not None:
                return step
            return self._press(s, "place_order_button", ("Place order", "提交订单"),
                               message=("Place the order and pay", "提交订单并付款"))
        return self._home_tab(s)

    # -- Settings -------------------------------------------------------------------------------
    def _settings(self, s: _Screen, app) -> tuple[str, Action]:
        spec = self.spec
        assert isinstance(spec, SettingChange)
        screen = app.top
        page = {"dark_mode": "display", "font_size": "display", "language": "language"}.get(spec.attr, "home")
        if screen.name != page:
            if screen.name != "home":
                return self.say("This settings page is not the one I need; I go back.", "不是需要的设置页面，返回。"), Back()
            row = {"display": ("display_row", ("Display", "显示")), "language": ("language_row", ("Language", "语言"))}
            rid, what = row[page]
            return self._press(s, rid, what, "settings_list")
        if spec.attr == "language":
            return self._press(s, f"language_{spec.value}", ("the language", "语言"))
        if spec.attr == "font_size":
            return self._press(s, f"font_{spec.value}", ("the font size", "字体大小"))
        switch = {"wifi": "wifi_switch", "bluetooth": "bluetooth_switch", "airplane_mode": "airplane_switch",
                  "notifications": "notifications_switch", "dark_mode": "dark_mode_switch"}[spec.attr]
        names = {"wifi": ("Wi-Fi", "无线网络"), "bluetooth": ("Bluetooth", "蓝牙"),
                 "airplane_mode": ("Airplane mode", "飞行模式"), "notifications": ("Notifications", "通知"),
                 "dark_mode": ("Dark mode", "深色模式")}[spec.attr]
        node = s.id(switch)
        if node is None:
            return self._seek(s, "settings_list", names)
        on = bool(spec.value)
        return self.say(f"I switch {names[0]} {'on' if on else 'off'}.", f"{'打开' if on else '关闭'}{names[1]}。"), \
            self._tap(s, node)

    # -- Contacts and Messages ----------------------------------------------------------------
    def _contact(self, name: str):
        return self.phone.app_state("contacts").by_name(name)  # type: ignore[attr-defined]

    def _add_contact(self, s: _Screen, app) -> tuple[str, Action]:
        spec = self.spec
        assert isinstance(spec, AddContact)
        state = app.state
        screen = app.top
        if screen.name == "home":
            return self._press(s, "add_contact_button", ("+ Add", "新建"))
        if screen.name == "add":
            for rid, attr, wanted, what in (("new_contact_name", "new_name", spec.name, ("name", "姓名")),
                                            ("new_contact_phone", "new_phone", spec.phone, ("phone number", "电话"))):
                step = self._fill(s, rid, getattr(state, attr), wanted, what)
                if step is not None:
                    return step
            return self._press(s, "save_contact_button", ("Save", "保存"))
        return self.say("I go back to the contact list.", "返回联系人列表。"), Back()

    def _thread_is_target(self, messages) -> bool:
        contact = self._contact(self.spec.to)  # type: ignore[union-attr]
        return contact is not None and messages.top.params.get("phone") == contact.phone

    def _message(self, s: _Screen, app) -> tuple[str, Action]:
        spec = self.spec
        assert isinstance(spec, SendMessage)
        contact = self._contact(spec.to)
        if contact is None:
            raise PolicyError(f"the phone has no contact called {spec.to!r}")
        en, zh = contact.name.rsplit(" ", 1)
        who = zh if self.say.zh else en
        screen = app.top
        if app.package == CONTACTS:
            if screen.name == "home":
                row = s.row("contact_item", contact.name)
                if row is not None:
                    return self.say(f"I open {en}'s contact card.", f"打开{zh}的联系人详情。"), self._tap(s, row)
                return self._seek(s, "contact_list", (en, zh))
            if screen.name == "contact":
                if screen.params.get("phone") != contact.phone:
                    return self.say("This is someone else; I go back.", "这是别人，返回。"), Back()
                return self._press(s, "message_button", ("Message", "发消息"))
            return self.say("I go back to the contact list.", "返回联系人列表。"), Back()
        if screen.name == "home":
            thread = s.row("thread_item", contact.name)
            if thread is not None:
                return self.say(f"I open the conversation with {en}.", f"打开和{zh}的对话。"), self._tap(s, thread)
            return self._press(s, "new_message_button", ("New message", "新消息"))
        if screen.name == "compose":
            state = app.state
            row = s.row("suggestion_item", contact.name)
            if row is not None and state.compose_to:
                return self.say(f"I pick {en} from the suggestions.", f"在建议中选择{zh}。"), self._tap(s, row)
            step = self._fill(s, "recipient_input", state.compose_to, who, ("recipient", "收件人"))
            if step is not None:
                return step
            return self._seek(s, "contact_suggestions", (en, zh))
        if screen.name == "thread":
            if not self._thread_is_target(app):
                return self.say("This conversation is with someone else; I go back.", "这是和别人的对话，返回。"), Back()
            thread = app.state.thread(contact.phone)
            step = self._fill(s, "message_input", thread.draft, spec.text, ("message", "短信内容"))
            if step is not None:
                return step
            return self._press(s, "send_button", ("Send", "发送"), message=("Send the message", "发送短信"))
        return self.say("I go back.", "返回。"), Back()
