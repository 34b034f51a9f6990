"""Seeded emulator tasks beyond the fixed fourteen: other products, sizes, cities, dates,
party sizes, settings, contacts and messages, phrased from English and Chinese templates.

A seed fixes everything: the task's parameters, the goal's language and wording, the phone's
catalogue order and its hazards. Two kinds of hold-out keep evaluation honest: seeds from
:data:`EVAL_SEEDS` are never used for training, and each family has goal templates that only
the evaluation split uses (:func:`is_heldout_template`).

    case = generate(seed=7, split="train")
    case.task        # an emulator.tasks.Task (goal, goal_zh, check), registered with the expert
    case.goal        # the goal in the case's language
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache

from emulator import tasks as fixed
from emulator.apps.common import matches
from emulator.apps.contacts import NAMES
from emulator.apps.restaurant import TIMES
from emulator.apps.shop import COLOURS
from emulator.apps.travel import CITIES, ROOMS, TODAY
from emulator.expert import (
    AddContact,
    FoodDelivery,
    HotelBooking,
    SendMessage,
    SettingChange,
    ShopPurchase,
    Spec,
    TableReservation,
    register_spec,
)
from emulator.phone import Phone
from emulator.tasks import Task

# Seeds at or above this are evaluation seeds: collection for training refuses them.
EVAL_SEED_START = 1_000_000
TRAIN_SEEDS = range(EVAL_SEED_START)
EVAL_SEEDS = range(EVAL_SEED_START, EVAL_SEED_START + 100_000)
SPLITS = ("train", "eval")

FAMILIES = ("shop_buy", "shop_cart", "hotel", "reserve", "food", "setting", "contact_add", "message",
            "contact_message")

# Templates per family and language. The last one in each list is held out of training.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "shop_buy": {
        "en": ["In the Shop app, buy {item}.", "Buy {item} from the Shop.", "Please order {item} in the Shop app and pay.",
               "I need {item}. Purchase it in the Shop."],
        "zh": ["在商城里购买{item}。", "帮我在商城买{item}。", "打开商城，下单{item}并付款。", "我想要{item}，去商城买一下。"],
    },
    "shop_cart": {
        "en": ["Add {item} to the Shop cart, but do not buy.", "Put {item} in my Shop cart without paying.",
               "In the Shop app, add {item} to the cart only; don't check out."],
        "zh": ["在商城把{item}加入购物车，不要付款。", "把{item}放进商城购物车，先不买。", "商城里将{item}加到购物车就行，别结算。"],
    },
    "hotel": {
        "en": ["Book a {room} in {city} for {adults}, {check_in} to {check_out}.",
               "Reserve a hotel {room} in {city}: {adults}, checking in {check_in} and out {check_out}.",
               "Use the Travel app to book {city}, {room}, {adults}, from {check_in} until {check_out}."],
        "zh": ["在旅行App预订{city}的{room}，{adults}，{check_in}入住，{check_out}离店。",
               "帮我订{city}的酒店{room}，{adults}，{check_in}到{check_out}。",
               "用旅行App订一间{city}的{room}，{check_in}住到{check_out}，{adults}。"],
    },
    "reserve": {
        "en": ["Reserve a table for {party} at {place} {day} at {time}.",
               "Book {place} for {party} people, {day}, {time}.",
               "Get me a table at {place}: {party} guests, {day} at {time}."],
        "zh": ["在餐厅App预订{place}{day}{time}的{party}人餐位。", "帮我订{place}，{day}{time}，{party}位。",
               "在{place}订个位子，{day}{time}，一共{party}人。"],
    },
    "food": {
        "en": ["Order {qty} of {dish} from {place} for delivery and pay.",
               "Get {qty} of {dish} delivered from {place}.",
               "From {place}, order {dish} x{qty} and pay for it."],
        "zh": ["在{place}点{qty}份{dish}外卖并付款。", "帮我从{place}叫{qty}份{dish}外卖。", "{place}的{dish}来{qty}份，送到家，付款。"],
    },
    "setting": {
        "en": ["{change_en}.", "Please {change_lower}.", "On this phone, {change_lower}."],
        "zh": ["{change_zh}。", "请帮我{change_zh}。", "在手机设置里{change_zh}。"],
    },
    "contact_add": {
        "en": ["Add a contact named {name} with phone number {number}.", "Save {name}, {number}, as a new contact.",
               "Create a contact: {name}, phone {number}."],
        "zh": ["新建联系人{name}，电话{number}。", "把{name}（{number}）存进通讯录。", "添加一个联系人：{name}，号码{number}。"],
    },
    "message": {
        "en": ["Send {to} a message saying: {text}", "Text {to}: {text}", "Message {to} with the words: {text}"],
        "zh": ["给{to_zh}发短信：{text}", "发条短信给{to_zh}，内容是：{text}", "用短信告诉{to_zh}：{text}"],
    },
    "contact_message": {
        "en": ["Find {to} in Contacts and send them a message: {text}",
               "Open {to}'s contact card and message them: {text}",
               "From the Contacts app, text {to}: {text}"],
        "zh": ["在联系人里找到{to_zh}，给他发短信：{text}", "打开{to_zh}的联系人详情，发短信：{text}",
               "从联系人应用给{to_zh}发消息：{text}"],
    },
}

NEW_PEOPLE = [("Chen Jie", "陈杰"), ("Lin Hui", "林慧"), ("Guo Ming", "郭明"), ("Ma Lin", "马琳"), ("Xu Bo", "徐波"),
              ("Tang Yu", "唐宇"), ("Olivia Zhang", "张奥莉"), ("Daniel He", "何丹"), ("Ye Qing", "叶青"),
              ("Fang Hao", "方浩")]
MESSAGES = ["I will be late 我会晚到", "Meeting at 3pm 下午三点开会", "Dinner at 7 晚上七点吃饭",
            "Call me back 请回电话", "Happy birthday 生日快乐", "See you at the station 车站见",
            "The report is ready 报告好了", "On my way 我在路上"]
SETTINGS = [("wifi", False, "Turn off Wi-Fi", "关闭无线网络（Wi-Fi）"),
            ("bluetooth", True, "Turn on Bluetooth", "打开蓝牙"),
            ("airplane_mode", True, "Turn on airplane mode", "开启飞行模式"),
            ("notifications", False, "Turn off notifications", "关闭通知"),
            ("dark_mode", True, "Turn on dark mode", "打开深色模式"),
            ("language", "zh", "Change the phone's language to Chinese", "把手机语言改成简体中文"),
            ("font_size", "large", "Make the font size large", "把字体大小调成大"),
            ("font_size", "small", "Set the font size to small", "把字体调小")]
_NUMBERS_EN = {1: "one", 2: "two", 3: "three", 4: "four"}
_NUMBERS_ZH = {1: "一", 2: "两", 3: "三", 4: "四"}
_ROOM_EN = {"standard": "Standard Room", "deluxe": "Deluxe King room", "suite": "Family Suite"}
_ROOM_ZH = {"standard": "标准间", "deluxe": "豪华大床房", "suite": "家庭套房"}
_HAZARDS: list[bool | frozenset[str]] = [False, True, frozenset({"ads"}), frozenset({"slow", "errors"}),
                                         frozenset({"permissions", "ads"}), True]


@dataclass(frozen=True)
class TaskCase:
    task: Task
    spec: Spec
    family: str
    lang: str
    template: int  # index of the template in TEMPLATES[family][lang]
    split: str

    @property
    def goal(self) -> str:
        return self.task.goal_in(self.lang)

    @property
    def heldout_template(self) -> bool:
        return is_heldout_template(self.family, self.lang, self.template)


def is_heldout_template(family: str, lang: str, index: int) -> bool:
    return index == len(TEMPLATES[family][lang]) - 1


@lru_cache(maxsize=1)
def _catalogue() -> tuple[list, list, list]:
    """Products, restaurants and contacts as the apps define them (names do not depend on the seed)."""
    phone = Phone(seed=0)
    products = sorted(phone.app_state("shop").catalogue, key=lambda p: p.id)  # type: ignore[attr-defined]
    places = sorted(phone.app_state("restaurant").restaurants, key=lambda p: p.id)  # type: ignore[attr-defined]
    return products, places, list(NAMES)


def _date_en(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def generate(seed: int, split: str = "train", family: str | None = None) -> TaskCase:
    """The task for one seed. ``split`` decides which seeds and templates are allowed."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    allowed = TRAIN_SEEDS if split == "train" else EVAL_SEEDS
    if seed not in allowed:
        raise ValueError(f"seed {seed} is not a {split} seed ({allowed.start}..{allowed.stop - 1})")
    rng = random.Random(f"taskgen:{seed}")
    family = family or FAMILIES[rng.randrange(len(FAMILIES))]
    if family not in FAMILIES:
        raise ValueError(f"unknown task family {family!r}: use one of {', '.join(FAMILIES)}")
    lang = rng.choice(("en", "zh"))
    templates = {l: TEMPLATES[family][l] for l in ("en", "zh")}
    picks = {}
    for l, options in templates.items():
        usable = len(options) if split == "eval" else len(options) - 1
        picks[l] = rng.randrange(usable)
    spec, words, check, app, payment = _BUILDERS[family](rng)
    goal_en = templates["en"][picks["en"]].format(**words["en"])
    goal_zh = templates["zh"][picks["zh"]].format(**words["zh"])
    hazards = _HAZARDS[rng.randrange(len(_HAZARDS))]
    task = Task(f"gen-{split}-{family}-{seed}", app, goal_en, goal_zh, check, seed=seed, hazards=hazards,
                payment=payment)
    register_spec(task.id, spec)
    return TaskCase(task=task, spec=spec, family=family, lang=lang, template=picks[lang], split=split)


def cases(split: str, count: int, start: int | None = None) -> list[TaskCase]:
    """``count`` consecutive cases of a split (evaluation starts at its first seed)."""
    first = (TRAIN_SEEDS.start if split == "train" else EVAL_SEEDS.start) if start is None else start
    return [generate(seed, split) for seed in range(first, first + count)]


# ---------------------------------------------------------------------------- builders
# Each returns (spec, template words per language, check, start app, needs payment).


def _shop(rng: random.Random, buy: bool):
    products, _, _ = _catalogue()
    product = products[rng.randrange(len(products))]
    size = rng.choice(product.sizes) if product.sizes else None
    colour = rng.choice(product.colours) if product.colours else None
    if not buy and len(product.colours) > 1 and rng.random() < 0.3:
        colour = None  # "any colour"
    qty = rng.choice((1, 1, 1, 2, 3)) if buy else rng.choice((1, 2, 2, 3))
    # Sometimes search for the kind of thing, not the name: the list then needs scrolling.
    broad = product.name_en.split()[-1]
    query = broad if rng.random() < 0.4 and matches(broad, product.name_en, product.name_zh, product.keywords) else None
    spec = ShopPurchase(product.id, size=size, colour=colour, qty=qty, buy=buy, query=query)
    colour_en = f"{colour.lower()} " if colour and colour.lower() not in product.name_en.lower() else ""
    colour_zh = COLOURS[colour] if colour and COLOURS[colour] not in product.name_zh else ""
    any_en = " (any colour)" if product.colours and colour is None else ""
    any_zh = "（任意颜色）" if product.colours and colour is None else ""
    count_en = "a" if qty == 1 else _NUMBERS_EN[qty]
    name_en = product.name_en + ("s" if qty > 1 and not product.name_en.endswith("s") else "")
    item_en = f"{count_en} {colour_en}{name_en}{any_en}" + (f" in size {size}" if size else "")
    item_zh = f"{_NUMBERS_ZH[qty]}件" + (f"{size}码的" if size else "") + f"{colour_zh}{product.name_zh}{any_zh}"
    if buy:
        check = fixed._shop_order(product.id, size=size, colour=colour, qty=qty)
    else:
        check = fixed._cart_has(product.id, qty)
    return spec, {"en": {"item": item_en}, "zh": {"item": item_zh}}, check, fixed.SHOP, buy


def _hotel(rng: random.Random):
    city, city_zh = CITIES[rng.randrange(len(CITIES))]
    check_in = TODAY + dt.timedelta(days=rng.randrange(1, 40))
    check_out = check_in + dt.timedelta(days=rng.randrange(1, 5))
    if check_out > dt.date(2025, 7, 31):
        check_in, check_out = dt.date(2025, 7, 28), dt.date(2025, 7, 30)
    adults = rng.randrange(1, 5)
    room = ROOMS[rng.randrange(len(ROOMS))][0]
    spec = HotelBooking(city, check_in, check_out, adults, room=room)
    words = {"en": {"city": city, "room": _ROOM_EN[room], "adults": f"{adults} adult{'s' if adults > 1 else ''}",
                    "check_in": _date_en(check_in), "check_out": _date_en(check_out)},
             "zh": {"city": city_zh, "room": _ROOM_ZH[room], "adults": f"{adults}位成人",
                    "check_in": _date_zh(check_in), "check_out": _date_zh(check_out)}}
    return spec, words, fixed._booking(city, check_in, check_out, adults, room=room), fixed.TRAVEL, True


def _day_words(offset: int, day: dt.date) -> tuple[str, str]:
    if offset == 0:
        return "today", "今天"
    if offset == 1:
        return "tomorrow", "明天"
    return f"on {day:%A}, {day:%B} {day.day}", f"{day.month}月{day.day}日"


def _reserve(rng: random.Random):
    _, places, _ = _catalogue()
    place = places[rng.randrange(len(places))]
    offset = rng.randrange(7)
    day = TODAY + dt.timedelta(days=offset)
    time = rng.choice(TIMES)
    party = rng.randrange(1, 9)
    en, zh = place.name.rsplit(" ", 1)
    day_en, day_zh = _day_words(offset, day)
    spec = TableReservation(place.id, day, time, party)
    words = {"en": {"place": en, "day": day_en, "time": time, "party": party},
             "zh": {"place": zh, "day": day_zh, "time": time, "party": party}}
    return spec, words, fixed._reservation(place.id, day, time, party), fixed.FOOD, False


def _food(rng: random.Random):
    _, places, _ = _catalogue()
    place = places[rng.randrange(len(places))]
    dish = place.menu[rng.randrange(len(place.menu))]
    dish_en, dish_zh = dish.name.rsplit(" ", 1)
    qty = rng.randrange(1, 4)
    en, zh = place.name.rsplit(" ", 1)
    spec = FoodDelivery(place.id, dish_en, qty)
    words = {"en": {"place": en, "dish": dish_en, "qty": f"{qty} portion{'s' if qty > 1 else ''}"},
             "zh": {"place": zh, "dish": dish_zh, "qty": qty}}
    return spec, words, fixed._food_order(place.id, dish_en, qty), fixed.FOOD, True


def _setting(rng: random.Random):
    attr, value, en, zh = SETTINGS[rng.randrange(len(SETTINGS))]
    words = {"en": {"change_en": en, "change_lower": en[0].lower() + en[1:]}, "zh": {"change_zh": zh}}
    return SettingChange(attr, value), words, fixed._setting(attr, value), fixed.SETTINGS, False


def _contact_add(rng: random.Random):
    en, zh = NEW_PEOPLE[rng.randrange(len(NEW_PEOPLE))]
    number = f"139{rng.randrange(10_000_000, 100_000_000)}"
    words = {"en": {"name": en, "number": number}, "zh": {"name": f"{zh}（{en}）", "number": number}}
    return AddContact(en, number), words, fixed._contact(en, number), fixed.CONTACTS, False


def _message(rng: random.Random, via_contacts: bool):
    _, _, names = _catalogue()
    en, zh = names[rng.randrange(len(names))]
    text = MESSAGES[rng.randrange(len(MESSAGES))]
    key = text.split()[-2] if len(text.split()) > 2 else text.split()[0]
    words = {"en": {"to": en, "text": text}, "zh": {"to_zh": zh, "text": text}}
    app = fixed.CONTACTS if via_contacts else fixed.MESSAGES
    return SendMessage(en, text, via_contacts=via_contacts), words, fixed._sent(en, key), app, False


_BUILDERS = {
    "shop_buy": lambda rng: _shop(rng, True),
    "shop_cart": lambda rng: _shop(rng, False),
    "hotel": _hotel,
    "reserve": _reserve,
    "food": _food,
    "setting": _setting,
    "contact_add": _contact_add,
    "message": lambda rng: _message(rng, False),
    "contact_message": lambda rng: _message(rng, True),
}
