"""Seeded emulator tasks beyond the fixed fourteen: other products, sizes, cities, dates,
party sizes, settings, contacts and messages, phrased from English and Chinese templates.

A seed fixes everything: the task's parameters, the goal's language and wording, the phone's
catalogue order and its hazards. Two kinds of hold-out keep evaluation honest: seeds from
:data:`EVAL_SEEDS` are never used for training, and each family has goal templates that only
the evaluation split uses (:func:`is_heldout_template`).

    case = generate(seed=7, split="train")
    case.task        # an emulator.tasks.Task (goal, goal_zh, is_successful), registered with the expert
    case.goal        # the goal in the case's language
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from dataclasses import dataclass
from functools import lru_cache

from emulator import tasks as fixed
from emulator.apps.contacts import NAMES
from emulator.apps.contacts_expert import AddContact
from emulator.apps.messages_expert import SendMessage
from emulator.apps.restaurant import TIMES
from emulator.apps.restaurant_expert import FoodDelivery, TableReservation
from emulator.apps.settings_expert import SettingChange
from emulator.apps.shop import COLOURS
from emulator.apps.shop_expert import ShopPurchase
from emulator.apps.travel import CITIES, ROOMS, TODAY
from emulator.apps.travel_expert import HotelBooking
from emulator.expert import Spec, register_spec
from emulator.phone import Phone
from emulator.tasks import Task
from emulator.training.phrasing import compose, is_heldout_core, spoken

# Seeds at or above this are evaluation seeds: collection for training refuses them.
EVAL_SEED_START = 1_000_000
TRAIN_SEEDS = range(EVAL_SEED_START)
EVAL_SEEDS = range(EVAL_SEED_START, EVAL_SEED_START + 100_000)
SPLITS = ("train", "eval")

FAMILIES = ("shop_buy", "shop_cart", "hotel", "reserve", "food", "setting", "contact_add", "message",
            "contact_message")

SURNAMES = [("Chen", "陈"), ("Lin", "林"), ("Guo", "郭"), ("Ma", "马"), ("Xu", "徐"), ("Tang", "唐"), ("He", "何"),
            ("Ye", "叶"), ("Fang", "方"), ("Zhou", "周"), ("Wu", "吴"), ("Zheng", "郑"), ("Sun", "孙"), ("Hu", "胡"),
            ("Zhu", "朱"), ("Gao", "高"), ("Luo", "罗"), ("Liang", "梁"), ("Song", "宋"), ("Xie", "谢"), ("Han", "韩"),
            ("Feng", "冯"), ("Deng", "邓"), ("Cao", "曹"), ("Peng", "彭"), ("Zeng", "曾"), ("Xiao", "肖"), ("Tian", "田"),
            ("Dong", "董"), ("Pan", "潘"), ("Yuan", "袁"), ("Cai", "蔡"), ("Jiang", "蒋"), ("Yu", "余"), ("Du", "杜")]
GIVEN_NAMES = [("Jie", "杰"), ("Hui", "慧"), ("Ming", "明"), ("Lin", "琳"), ("Bo", "波"), ("Yu", "宇"), ("Qing", "青"),
               ("Hao", "浩"), ("Xin", "欣"), ("Lei", "磊"), ("Yan", "燕"), ("Tao", "涛"), ("Ping", "平"), ("Jun", "军"),
               ("Li", "丽"), ("Fei", "飞"), ("Ning", "宁"), ("Kai", "凯"), ("Rui", "瑞"), ("Xue", "雪"), ("Yue", "悦"),
               ("Chen", "晨"), ("Hong", "红"), ("Peng", "鹏"), ("Wen", "文"), ("Hua", "华"), ("Mei", "梅"), ("Long", "龙"),
               ("Jia", "佳"), ("Shan", "珊"), ("Tong", "彤"), ("Zhen", "振"), ("Ying", "英"), ("Yi", "怡"), ("Bin", "斌")]
WESTERN_NAMES = [("Olivia Zhang", "张奥莉"), ("Daniel He", "何丹"), ("Emma Li", "李艾玛"), ("Lucas Wang", "王卢卡"),
                 ("Sophie Chen", "陈苏菲"), ("Max Liu", "刘麦克斯"), ("Anna Zhou", "周安娜"), ("Leo Sun", "孙里奥")]
MESSAGE_PARTS = [("I will be late", "我会晚到"), ("Meeting at 3pm", "下午三点开会"), ("Dinner at 7", "晚上七点吃饭"),
                 ("Call me back", "请回电话"), ("Happy birthday", "生日快乐"), ("See you at the station", "车站见"),
                 ("The report is ready", "报告好了"), ("On my way", "我在路上"), ("Running ten minutes behind", "晚十分钟"),
                 ("Lunch tomorrow?", "明天一起吃午饭？"), ("Got your package", "收到你的包裹了"),
                 ("Please bring the keys", "请带上钥匙"), ("The train is delayed", "火车晚点了"),
                 ("Thanks for the gift", "谢谢你的礼物"), ("Pick up milk on the way home", "回家路上买牛奶"),
                 ("Movie starts at 8", "电影八点开始"), ("I left my umbrella at your place", "我把伞落在你家了"),
                 ("Good luck with the interview", "面试顺利"), ("Let's meet at the gate", "门口见"),
                 ("Can you send me the photos", "把照片发给我"), ("Parking is full, I'm outside", "停车场满了，我在外面"),
                 ("The meeting moved to Friday", "会议改到周五"), ("Don't forget the tickets", "别忘了带票"),
                 ("Welcome home", "欢迎回家"), ("Miss you", "想你了"), ("Coffee at 10?", "十点喝咖啡？"),
                 ("Flight lands at 6", "航班六点落地"), ("I finished the slides", "幻灯片做完了"),
                 ("Call the doctor today", "今天给医生打电话"), ("Your order has arrived", "你的订单到了")]
SETTINGS = [("wifi", False, ["Turn off Wi-Fi", "switch off the Wi-Fi", "disable Wi-Fi", "turn the wifi off"],
             ["关闭无线网络（Wi-Fi）", "关掉WiFi", "把无线网络关了", "关闭Wi-Fi"]),
            ("bluetooth", True, ["Turn on Bluetooth", "switch Bluetooth on", "enable Bluetooth", "turn the bluetooth on"],
             ["打开蓝牙", "开启蓝牙", "把蓝牙打开", "蓝牙开一下"]),
            ("airplane_mode", True, ["Turn on airplane mode", "switch to flight mode", "enable airplane mode",
                                     "put the phone in airplane mode"],
             ["开启飞行模式", "打开飞行模式", "切换到飞行模式", "把手机调成飞行模式"]),
            ("notifications", False, ["Turn off notifications", "disable notifications", "mute all notifications",
                                      "switch notifications off"],
             ["关闭通知", "把通知关掉", "关掉消息通知", "禁用通知"]),
            ("dark_mode", True, ["Turn on dark mode", "switch to dark mode", "enable the dark theme",
                                 "make the screen dark mode"],
             ["打开深色模式", "开启深色模式", "切换成深色主题", "把手机换成暗黑模式"]),
            ("language", "zh", ["Change the phone's language to Chinese", "set the language to Chinese",
                                "switch the system language to Chinese", "make the phone use Chinese"],
             ["把手机语言改成简体中文", "语言设置成中文", "把系统语言换成中文", "手机改用中文"]),
            ("font_size", "large", ["Make the font size large", "set a large font", "make the text bigger",
                                    "increase the font size to large"],
             ["把字体大小调成大", "字体调大", "把文字放大", "字号设置为大"]),
            ("font_size", "small", ["Set the font size to small", "make the font small", "make the text smaller",
                                    "shrink the font to small"],
             ["把字体调小", "字体设为小", "把文字缩小", "字号调成小"])]
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
    template: int  # index of the goal's core wording in phrasing.CORES[family][lang]
    split: str

    @property
    def goal(self) -> str:
        return self.task.goal_in(self.lang)

    @property
    def heldout_template(self) -> bool:
        return is_heldout_template(self.family, self.lang, self.template)


def is_heldout_template(family: str, lang: str, index: int) -> bool:
    return is_heldout_core(family, lang, index)


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
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown task family {family!r}: use one of {', '.join(FAMILIES)}")
    rng, drawn, lang = _draws(seed)
    family = family or drawn
    spec, words, check, app, payment = _BUILDERS[family](rng)
    goal_en, core_en = compose(family, "en", words["en"], rng, split)
    goal_zh, core_zh = compose(family, "zh", words["zh"], rng, split)
    goal = goal_en if lang == "en" else goal_zh
    if isinstance(spec, SendMessage) and spec.text.lower() not in goal.lower():
        # A spoken goal lost the message's punctuation: type what the user said.
        said = spoken(spec.text)
        spec = dataclasses.replace(spec, text=said)
        check = fixed.message_sent(spec.to, _message_key(said))
    hazards = _HAZARDS[rng.randrange(len(_HAZARDS))]
    task = Task(f"gen-{split}-{family}-{seed}", app, goal_en, goal_zh, check, seed=seed, hazards=hazards,
                payment=payment)
    register_spec(task.id, spec)
    return TaskCase(task=task, spec=spec, family=family, lang=lang, template=core_en if lang == "en" else core_zh,
                    split=split)


def rephrasings(case: TaskCase, count: int) -> list[str]:
    """Other wordings of the same request in the case's language (same slots, same split rules)."""
    rng, _, _ = _draws(case.task.seed)
    _, words, _, _, _ = _BUILDERS[case.family](rng)
    goals = []
    for k in range(count):
        goal, _ = compose(case.family, case.lang, words[case.lang], random.Random(f"rephrase:{case.task.id}:{k}"),
                          case.split)
        goals.append(goal)
    return goals


def _draws(seed: int) -> tuple[random.Random, str, str]:
    """A seed's first draws, its family and language, and the generator that goes on to its slots.
    The family is drawn even where a caller names one, so that a case and its rephrasings read the same slots."""
    rng = random.Random(f"taskgen:{seed}")
    family = FAMILIES[rng.randrange(len(FAMILIES))]
    return rng, family, rng.choice(("en", "zh"))


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
    # The expert searches for the product as the goal names it. It once searched for the name's
    # last English word ("Umbrella", "500g") on 40% of seeds, which no goal's words told apart;
    # the draw stays so that every seed's later draws, and so its task, are unchanged.
    rng.random()
    spec = ShopPurchase(product.id, size=size, colour=colour, qty=qty, buy=buy)
    colour_en = f"{colour.lower()} " if colour and colour.lower() not in product.name_en.lower() else ""
    colour_zh = COLOURS[colour] if colour and COLOURS[colour] not in product.name_zh else ""
    any_en = " (any colour)" if product.colours and colour is None else ""
    any_zh = "（任意颜色）" if product.colours and colour is None else ""
    count_en = "a" if qty == 1 else _NUMBERS_EN[qty]
    name_en = product.name_en + ("s" if qty > 1 and not product.name_en.endswith("s") else "")
    item_en, item_zh = _item_words(rng.randrange(4), count_en, colour_en, name_en, any_en, size,
                                   _NUMBERS_ZH[qty], colour_zh, product.name_zh + any_zh)
    if buy:
        check = fixed.shop_order(product.id, size=size, colour=colour, qty=qty)
    else:
        check = fixed.cart_has(product.id, qty)
    return spec, {"en": {"item": item_en}, "zh": {"item": item_zh}}, check, fixed.SHOP, buy


def _item_words(form: int, count_en: str, colour_en: str, name_en: str, any_en: str, size: str | None,
                count_zh: str, colour_zh: str, name_zh: str) -> tuple[str, str]:
    """A product as people name it, in one of four orders: "a white t-shirt in size m", "...,
    size m", "... size m" or "a t-shirt in white, size m" ("一件M码的白色T恤", "白色T恤一件，M码"...).
    The product's name always stays whole: the expert searches for it as the goal writes it."""
    en_sizes = (f" in size {size}", f", size {size}", f" size {size}", f", size {size}")
    if form == 3 and colour_en:
        en = f"{count_en} {name_en}{any_en} in {colour_en.strip()}"
    else:
        en = f"{count_en} {colour_en}{name_en}{any_en}"
    en += en_sizes[form] if size else ""
    if form == 0 or not size:
        zh = f"{count_zh}件" + (f"{size}码的" if size else "") + f"{colour_zh}{name_zh}"
    elif form == 1:
        zh = f"{colour_zh}{name_zh}{count_zh}件，{size}码"
    else:
        zh = f"{count_zh}件{colour_zh}{name_zh}，{size}码"
    return en, zh


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
    return spec, words, fixed.booking(city, check_in, check_out, adults, room=room), fixed.TRAVEL, True


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
    return spec, words, fixed.reservation(place.id, day, time, party), fixed.FOOD, False


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
    return spec, words, fixed.food_order(place.id, dish_en, qty), fixed.FOOD, True


def _setting(rng: random.Random):
    attr, value, en, zh = SETTINGS[rng.randrange(len(SETTINGS))]
    words = {"en": {"change": rng.choice(en)}, "zh": {"change": rng.choice(zh)}}
    return SettingChange(attr, value), words, fixed.setting_is(attr, value), fixed.SETTINGS, False


def _contact_add(rng: random.Random):
    en, zh = _new_person(rng)
    number = f"139{rng.randrange(10_000_000, 100_000_000)}"
    words = {"en": {"name": en, "number": number}, "zh": {"name": f"{zh}（{en}）", "number": number}}
    return AddContact(en, number), words, fixed.contact_saved(en, number), fixed.CONTACTS, False


def _message(rng: random.Random, via_contacts: bool):
    _, _, names = _catalogue()
    en, zh = names[rng.randrange(len(names))]
    text = _message_text(rng)
    words = {"en": {"to": en, "text": text}, "zh": {"to": zh, "text": text}}
    app = fixed.CONTACTS if via_contacts else fixed.MESSAGES
    return SendMessage(en, text, via_contacts=via_contacts), words, fixed.message_sent(en, _message_key(text)), app, False


def _message_key(text: str) -> str:
    """The longest word of a message: what the check looks for in the sent text."""
    return max(re.findall(r"[A-Za-z0-9]+|[\u4e00-\u9fff]+", text), key=len)


def _new_person(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.15:
        return WESTERN_NAMES[rng.randrange(len(WESTERN_NAMES))]
    (sur_en, sur_zh), (given_en, given_zh) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    return f"{sur_en} {given_en}", sur_zh + given_zh


def _message_text(rng: random.Random) -> str:
    """One or two short messages, in English, Chinese or both (numbers appear in several)."""
    en, zh = MESSAGE_PARTS[rng.randrange(len(MESSAGE_PARTS))]
    form = rng.randrange(4)
    text = f"{en} {zh}" if form < 2 else en if form == 2 else zh
    if rng.random() < 0.2:
        more_en, _ = MESSAGE_PARTS[rng.randrange(len(MESSAGE_PARTS))]
        text = f"{more_en}, {text}"
    return text


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
