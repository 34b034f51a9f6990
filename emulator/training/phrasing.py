"""Goals as people say them: many wordings per task family and language.

A goal is built from a *core* (the request itself, with the task's slots filled in), an
optional opener ("could you", "帮我") and closer ("thanks", "谢谢"), then one of three
surface styles: written (as typed), spoken (lower case, no punctuation: what speech
recognition returns) or hurried (spoken, plus a typo in a word that is not a slot value).

Hold-out: the last :data:`HELDOUT_CORES` cores of every family and language, and the last
opener and closer of each language, appear only in the evaluation split. A model that scores
on them understood a wording it never saw.

Training draws its fillers from a wider pool than evaluation (:data:`TRAIN_OPENERS`,
:data:`TRAIN_CLOSERS`) and sometimes stacks two openers ("hey, could you "): a model that has
seen a hundred ways to open a request learns to read past an opener it has never seen, instead
of taking a new one for a word about the app. Evaluation goals are drawn exactly as before.
"""

from __future__ import annotations

import random
import re

HELDOUT_CORES = 2

CORES: dict[str, dict[str, list[str]]] = {
    "shop_buy": {
        "en": ["In the Shop app, buy {item}.", "Buy {item} from the Shop.", "Order {item} in the Shop app and pay.",
               "I need {item}. Purchase it in the Shop.", "Get me {item} from the Shop app.",
               "Shop app: buy {item}.", "Purchase {item} using the Shop.", "I want to buy {item}.",
               "Use the Shop to order {item} and pay for it.", "Pick up {item} for me in the Shop.",
               "Check out {item} in the Shop app.", "Go to the Shop and buy {item}.",
               "Buy me {item}.", "Order {item} for me and pay.",
               "I need {item}, please buy it.", "Purchase {item}, thanks.",
               "Get {item} for me and check out.", "Grab {item} from the Shop, I'll pay now.",
               "Can I get {item}? Order it in the Shop."],
        "zh": ["在商城里购买{item}。", "帮我在商城买{item}。", "打开商城，下单{item}并付款。", "我想要{item}，去商城买一下。",
               "去商城给我买{item}。", "商城下单：{item}。", "用商城买{item}，直接付款。", "我要买{item}。",
               "在商城找到{item}然后购买。", "从商城订购{item}。", "请在商城购买{item}并完成支付。",
               "买{item}，在商城里。", "给我买{item}。", "帮我下单{item}并付款。", "我需要{item}，帮我买了吧。",
               "下单买{item}。", "帮我拍一下{item}，直接付钱。", "商城里帮我拍下{item}。", "去商城把{item}买了吧。"],
    },
    "shop_cart": {
        "en": ["Add {item} to the Shop cart, but do not buy.", "Put {item} in my Shop cart without paying.",
               "Add {item} to my cart in the Shop.", "Just put {item} in the cart, no checkout.",
               "Shop app: add {item} to the cart only.", "Save {item} in the Shop cart for later.",
               "I want {item} in my cart, don't pay yet.", "Throw {item} into the Shop cart.",
               "Cart {item} in the Shop app, don't buy it.", "Place {item} in the shopping cart, no payment.",
               "Add {item} to my cart for now.", "Keep {item} in the cart, I'll pay later.",
               "Cart {item} for me, no payment yet.", "Stick {item} in my Shop basket but hold off on buying.",
               "In the Shop app, add {item} to the cart only; don't check out."],
        "zh": ["在商城把{item}加入购物车，不要付款。", "把{item}放进商城购物车，先不买。", "把{item}加到购物车。",
               "商城里把{item}加购物车就好。", "先把{item}放购物车，别付款。", "帮我把{item}加入购物车。",
               "在商城将{item}加入购物车，不结算。", "把{item}放到购物车里，暂时不买。",
               "{item}加进购物车，不用下单。", "去商城加购{item}。",
               "把{item}加进购物车吧。", "购物车里放{item}，先不付款。", "加购{item}，别下单。",
               "把{item}先收进购物车，晚点再说。", "商城里将{item}加到购物车就行，别结算。"],
    },
    "hotel": {
        "en": ["Book a {room} in {city} for {adults}, {check_in} to {check_out}.",
               "Reserve a hotel {room} in {city}: {adults}, checking in {check_in} and out {check_out}.",
               "I need a hotel in {city} from {check_in} to {check_out}, {room}, {adults}.",
               "Find me a {room} in {city}, {check_in} until {check_out}, {adults}.",
               "Book {city}, {room}, {adults}, check in {check_in}, check out {check_out}.",
               "Get a {room} in {city} for {adults} from {check_in} to {check_out}.",
               "Hotel in {city} please: {room}, {adults}, {check_in} to {check_out}.",
               "Travel app: {city}, {check_in} to {check_out}, {adults}, {room}.",
               "Book me a {room} in {city} for {adults}, arriving {check_in}, leaving {check_out}.",
               "I'm going to {city} {check_in} to {check_out}; book a {room} for {adults}.",
               "Make a hotel booking in {city}: {room}, {adults}, from {check_in} through {check_out}.",
               "Use the Travel app to book {city}, {room}, {adults}, from {check_in} until {check_out}."],
        "zh": ["在旅行App预订{city}的{room}，{adults}，{check_in}入住，{check_out}离店。",
               "帮我订{city}的酒店{room}，{adults}，{check_in}到{check_out}。",
               "订一间{city}的{room}，{adults}，{check_in}入住{check_out}退房。",
               "我要去{city}，{check_in}到{check_out}，订{room}，{adults}。",
               "{city}酒店，{room}，{adults}，{check_in}至{check_out}。",
               "帮我在{city}订个{room}，{check_in}到{check_out}，{adults}。",
               "旅行App订酒店：{city}，{room}，{adults}，{check_in}到{check_out}。",
               "预订{city}{room}，{check_in}入住，{check_out}离开，{adults}。",
               "我想订{city}的{room}，{adults}，时间{check_in}到{check_out}。",
               "给我订{check_in}到{check_out}{city}的{room}，{adults}。",
               "{check_in}去{city}住到{check_out}，订{room}，{adults}。",
               "用旅行App订一间{city}的{room}，{check_in}住到{check_out}，{adults}。"],
    },
    "reserve": {
        "en": ["Reserve a table for {party} at {place} {day} at {time}.", "Book {place} for {party} people, {day}, {time}.",
               "Table for {party} at {place} {day} at {time}, please.",
               "I'd like a table at {place} for {party}, {day} at {time}.",
               "Make a reservation at {place}: {party} people, {day}, {time}.",
               "Book a table at {place} {day} {time} for {party}.",
               "Get {party} seats at {place} {day} at {time}.",
               "Reserve {place} {day} at {time}, party of {party}.",
               "Can you book {place} for {party} {day} at {time}?",
               "Restaurant app: reserve {place}, {party} guests, {day} {time}.",
               "We are {party}; book us a table at {place} {day} at {time}.",
               "Get me a table at {place}: {party} guests, {day} at {time}."],
        "zh": ["在餐厅App预订{place}{day}{time}的{party}人餐位。", "帮我订{place}，{day}{time}，{party}位。",
               "订{place}的位子，{day}{time}，{party}个人。", "{day}{time}在{place}订{party}人的桌子。",
               "预约{place}，{party}人，{day}{time}。", "我们{party}个人，{day}{time}去{place}，帮忙订位。",
               "餐厅App：{place}，{day}{time}，{party}位。", "给我在{place}订个{party}人桌，{day}{time}。",
               "{place}订座，{day}{time}，{party}人。", "请预订{day}{time}{place}的{party}人座位。",
               "想{day}{time}去{place}吃饭，订{party}个位。", "在{place}订个位子，{day}{time}，一共{party}人。"],
    },
    "food": {
        "en": ["Order {qty} of {dish} from {place} for delivery and pay.", "Get {qty} of {dish} delivered from {place}.",
               "I want {qty} of {dish} from {place}, delivered.", "Deliver {qty} of {dish} from {place} to me.",
               "Food order: {place}, {dish}, {qty}.", "Order {dish} from {place}, {qty}, and pay.",
               "Can you get me {qty} of {dish} from {place}?", "Have {place} deliver {qty} of {dish}.",
               "Restaurant app: {qty} of {dish} from {place} for delivery.",
               "I'm hungry, order {qty} of {dish} from {place}.", "Bring me {qty} of {dish} from {place}.",
               "{place}, {qty} of {dish}, deliver it please.", "Send me {qty} of {dish} from {place}.",
               "From {place}, order {dish} x{qty} and pay for it."],
        "zh": ["在{place}点{qty}份{dish}外卖并付款。", "帮我从{place}叫{qty}份{dish}外卖。", "从{place}订{qty}份{dish}送过来。",
               "点外卖：{place}的{dish}，{qty}份。", "我要{qty}份{place}的{dish}外卖。", "帮我在{place}点{dish}，{qty}份，付款。",
               "叫个外卖，{place}，{dish}{qty}份。", "{place}外卖，{dish}要{qty}份。", "给我点{qty}份{dish}，{place}的。",
               "订{place}的{dish}外卖{qty}份。", "饿了，从{place}点{qty}份{dish}。", "{place}的{dish}来{qty}份，送到家，付款。"],
    },
    "setting": {
        "en": ["{change}.", "Please {change}.", "On this phone, {change}.", "Can you {change}?", "I want you to {change}.",
               "Go to settings and {change}.", "Quickly {change}.", "Phone settings: {change}.", "Help me {change}.",
               "Settings app, {change}.", "Would you {change} for me?", "{change} in the settings."],
        "zh": ["{change}。", "请帮我{change}。", "在手机设置里{change}。", "帮我{change}吧。", "去设置{change}。", "我想{change}。",
               "麻烦{change}。", "打开设置，{change}。", "手机上{change}。", "快点{change}。", "能不能{change}？", "设置里{change}一下。"],
    },
    "contact_add": {
        "en": ["Add a contact named {name} with phone number {number}.", "Save {name}, {number}, as a new contact.",
               "New contact: {name}, {number}.", "Add {name} to my contacts, number {number}.",
               "Put {name} in contacts with the number {number}.", "Create a contact for {name}: {number}.",
               "Save the number {number} as {name}.", "Store {name}'s number {number} in Contacts.",
               "Contacts app: add {name}, phone {number}.", "Please add {name} ({number}) to the address book.",
               "Remember {name}, phone {number}, as a contact.", "Create a contact: {name}, phone {number}."],
        "zh": ["新建联系人{name}，电话{number}。", "把{name}（{number}）存进通讯录。", "添加联系人{name}，号码{number}。",
               "帮我存一下{name}的电话{number}。", "通讯录里加上{name}，{number}。", "保存联系人：{name}，{number}。",
               "把号码{number}存为{name}。", "在联系人里新建{name}，手机号{number}。", "存个号码，{name}，{number}。",
               "联系人App添加{name}，电话是{number}。", "记一下{name}的手机{number}，存到联系人。",
               "添加一个联系人：{name}，号码{number}。"],
    },
    "message": {
        "en": ["Send {to} a message saying: {text}", "Text {to}: {text}", "Message {to} with the words: {text}",
               "Send a text to {to}: {text}", "Tell {to} by SMS: {text}", "Write to {to}: {text}",
               "SMS {to} saying {text}", "Shoot {to} a message: {text}", "Send {to} an SMS that says {text}",
               "Let {to} know by text: {text}", "Drop {to} a line: {text}", "Text {to} the following: {text}"],
        "zh": ["给{to}发短信：{text}", "发条短信给{to}，内容是：{text}", "给{to}发消息：{text}", "短信告诉{to}：{text}",
               "帮我给{to}发个短信，说{text}", "发短信给{to}：{text}", "跟{to}说一声：{text}", "给{to}发一条：{text}",
               "编辑短信发给{to}，{text}", "通知{to}：{text}", "短信{to}，内容{text}", "用短信告诉{to}：{text}"],
    },
    "contact_message": {
        "en": ["Find {to} in Contacts and send them a message: {text}", "Open {to}'s contact card and message them: {text}",
               "Go to Contacts, pick {to}, and text: {text}", "Look up {to} in my contacts and send: {text}",
               "Through Contacts, message {to}: {text}", "Open Contacts, find {to}, send a message: {text}",
               "In the Contacts app, text {to} saying {text}", "Search contacts for {to} and message {text}",
               "Contacts: {to}, send message {text}", "Use the contact list to text {to}: {text}",
               "Find {to} in the address book and text them: {text}",
               "From the Contacts app, text {to}: {text}"],
        "zh": ["在联系人里找到{to}，给他发短信：{text}", "打开{to}的联系人详情，发短信：{text}", "从通讯录找{to}，发消息：{text}",
               "联系人里找{to}，发短信说{text}", "打开联系人，找到{to}，发送：{text}", "在通讯录里给{to}发短信：{text}",
               "通过联系人给{to}发：{text}", "查找联系人{to}并发短信：{text}", "联系人App，{to}，短信内容{text}",
               "去通讯录找到{to}发个短信：{text}", "在联系人列表里点{to}，发消息{text}", "从联系人应用给{to}发消息：{text}"],
    },
}

# Fillers around the request. About a quarter of goals have no opener and a third no closer
# (the empty strings); the last of each list is held out. The pools are wide so that a model
# learns that fillers are never part of a value to type, instead of learning a few by heart.
OPENERS = {
    "en": [""] * 12 + [
        "please ", "could you ", "can you ", "hey, ", "i'd like you to ", "go ahead and ", "ok so ", "hi, ",
        "hello, ", "um, ", "so, ", "alright, ", "quick one: ", "i need you to ", "would you ", "will you ",
        "could you please ", "kindly ", "do me a favor and ", "if you can, ", "when you get a chance, ",
        "real quick, ", "okay, ", "hey there, ", "listen, ", "right, ", "i was hoping you could ", "just ",
        "yo, ", "uh, ", "can you please ", "be a dear and ", "morning! ", "hey assistant, ",
        "would you mind if you "],
    "zh": [""] * 12 + [
        "帮我", "请", "麻烦", "那个，", "你好，", "嗯，", "麻烦你", "请帮我", "帮忙", "你帮我", "劳驾", "小助手，", "喂，",
        "哎，", "我想让你", "可以帮我", "麻烦帮我", "请你", "帮个忙，", "拜托你", "快帮我", "好的，", "嗨，", "有空的话",
        "对了，", "辛苦你", "要不你", "那什么，", "你好呀，", "在吗，",
        "能不能帮忙"],
}
CLOSERS = {
    "en": [""] * 12 + [
        " please", " thanks", " thank you", " asap", " right now", " thx", " ty", " many thanks",
        " thanks a lot", " if you can", " when you can", " quickly", " please and thank you", " much appreciated",
        " appreciate it", " real quick", " thanks so much", " ok", " thank u", " as soon as you can",
        " cheers"],
    "zh": [""] * 12 + [
        "，谢谢", "，麻烦了", "，快点", "，谢啦", "，多谢", "，感谢", "，辛苦了", "，尽快", "，马上", "，好吗", "，行吗",
        "，可以吗", "，谢谢你", "，麻烦你了", "，谢谢啦", "，赶紧", "，越快越好", "，有劳了",
        "，拜托了"],
}
# Training's wider pools: none of these shares the held-out fillers' words ("能不能", "mind",
# "拜托了", "cheers"), so those stay unseen.
TRAIN_OPENERS = {
    "en": [
        "hey can you ", "could ya ", "can ya ", "pls ", "plz ", "hmm, ", "er, ", "hey buddy, ", "good morning, ",
        "good evening, ", "sorry to bother you, ", "one more thing: ", "next, ", "also, ", "now ", "first, ",
        "it'd be great if you could ", "you think you could ", "i'm busy, so ", "while you're at it, ",
        "quickly ", "i'd appreciate it if you'd ", "hey phone, ", "okay phone, ", "could you kindly ",
        "need a hand: ", "here's a task: ", "assistant, ", "ok assistant, ", "help me out and ", "for me, ",
        "yeah, ", "hey so ", "oh and ", "i'd like to ", "try to ", "make sure you ", "one thing: ",
        "when you're free, ", "i'm asking you to "],
    "zh": [
        "帮帮我", "你能帮我", "你可以", "请你帮我", "麻烦一下，", "哈喽，", "早上好，", "晚上好，", "打扰一下，", "问一下，",
        "小助手帮我", "助手，", "我说，", "听着，", "这样，", "另外，", "然后，", "顺便", "现在", "马上帮我", "赶紧帮我",
        "替我", "帮我个忙，", "有件事，", "不好意思，", "亲，", "喂喂，", "嘿，", "我需要你", "想请你", "劳烦你",
        "你去", "请帮忙", "给我", "我要你", "辛苦帮我", "哎呀，", "喂，小助手，", "有空帮我", "就是，"],
}
TRAIN_CLOSERS = {
    "en": [
        " pls", " plz", " now", " today if possible", " no rush", " when you have a sec", " for me", " ok thanks",
        " thanks buddy", " ta", " thanks in advance", " right away", " if possible", " appreciate you",
        " thank you so much", " okay", " that's all", " bye", " you're the best", " ok go", " thank you kindly",
        " great thanks", " much obliged", " asap please", " good job", " thanks again", " if you would",
        " whenever", " sound good", " got it"],
    "zh": [
        "，谢谢了", "，麻烦啦", "，快一点", "，急", "，辛苦啦", "，感谢感谢", "，就这样", "，好的", "，OK", "，行不行",
        "，谢了", "，靠你了", "，劳驾了", "，多谢啦", "，尽量快", "，现在就要", "，马上就要", "，谢谢亲", "，你最好了",
        "，辛苦你啦", "，快", "，谢谢哈", "，麻烦你啦", "，感谢你", "，等你消息", "，就这些", "，越早越好", "，好不好",
        "，谢谢谢谢", "，回头谢你"],
}
STACKED_OPENERS = 0.2  # training goals whose opener has another one before it
STYLES = ("written", "spoken", "hurried")

# What typing in a hurry does to a word: a letter dropped, doubled or swapped.
_TYPO_WORD = re.compile(r"\b[a-z]{5,}\b")
_SENTENCE_PUNCT = re.compile(r"(?<!\d)[.,!?;:](?!\d)|[，。！？；：、]")


def _pick(options: list[str], extra: list[str], rng: random.Random, split: str) -> str:
    """Training never sees the last option, and only training draws from ``extra``;
    evaluation uses the last option a third of the time."""
    if split == "eval":
        if rng.random() < 1 / 3:
            return options[-1]
        return options[rng.randrange(len(options) - 1)]
    pool = options[:-1] + extra
    return pool[rng.randrange(len(pool))]


def draw_opener(lang: str, rng: random.Random, split: str) -> str:
    """A goal's opener ("" for none); in training, now and then two in a row."""
    opener = _pick(OPENERS[lang], TRAIN_OPENERS[lang], rng, split)
    if split == "train" and opener and rng.random() < STACKED_OPENERS:
        opener = _pick(OPENERS[lang], TRAIN_OPENERS[lang], rng, split) + opener
    return opener


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _typo(text: str, protected: list[str], rng: random.Random) -> str:
    spans = [m for m in _TYPO_WORD.finditer(text) if not any(m.group() in p.lower() for p in protected)]
    if not spans:
        return text
    m = spans[rng.randrange(len(spans))]
    word = m.group()
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:i] + word[i + 1:]
    elif kind == 1:
        word = word[:i] + word[i] + word[i:]
    else:
        word = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
    return text[:m.start()] + word + text[m.end():]


def compose(family: str, lang: str, words: dict[str, object], rng: random.Random, split: str) -> tuple[str, int]:
    """A goal for the family's slots in ``lang``; returns (goal, core index).

    Slot values are inserted as given, so typed values (names, numbers, texts) can be copied
    from the goal; the spoken styles lower-case them like the rest.
    """
    cores = CORES[family][lang]
    usable = list(range(len(cores)))
    usable = usable[-HELDOUT_CORES:] if split == "eval" else usable[:-HELDOUT_CORES]
    if split == "eval" and rng.random() < 0.5:
        usable = list(range(len(cores)))  # half the evaluation goals may reuse a training wording
    core = usable[rng.randrange(len(usable))]
    text = cores[core].format(**words)
    opener = draw_opener(lang, rng, split)
    closer = _pick(CLOSERS[lang], TRAIN_CLOSERS[lang], rng, split)
    if opener and lang == "en":
        text = _lower_first(text)
    if closer:
        text = text.rstrip(".。!！") + closer
    style = STYLES[rng.randrange(len(STYLES))]
    goal = opener + text
    if style != "written":
        goal = spoken(goal)
        if style == "hurried" and lang == "en":
            goal = _typo(goal, [str(v) for v in words.values()], rng)
    elif lang == "en":
        goal = goal[:1].upper() + goal[1:]
    return goal, core


def spoken(text: str) -> str:
    """Text as speech recognition returns it: lower case, no sentence punctuation."""
    return " ".join(_SENTENCE_PUNCT.sub(" ", text).split()).lower()


def is_heldout_core(family: str, lang: str, core: int) -> bool:
    return core >= len(CORES[family][lang]) - HELDOUT_CORES
