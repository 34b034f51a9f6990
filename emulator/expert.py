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

Each app plays its own tasks (a strategy beside the app, ``emulator/apps/*_expert.py``); this
module picks the strategy for the task and handles what any app may show.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from autoagent.actions import Action, Back, Finish, Launch, Swipe, Wait
from autoagent.grammar import format_action, parse_reply
from autoagent.policy.base import Decision, PolicyError, StepInput
from emulator.apps import contacts_expert, messages_expert, restaurant_expert, settings_expert, shop_expert, travel_expert
from emulator.apps.contacts_expert import AddContact
from emulator.apps.messages_expert import SendMessage
from emulator.apps.restaurant_expert import FoodDelivery, TableReservation
from emulator.apps.settings_expert import SettingChange
from emulator.apps.shop_expert import ShopPurchase
from emulator.apps.travel_expert import HotelBooking
from emulator.expertkit import PROFILE, Moves, Profile, Say, Screen, Strategy, short_id
from emulator.phone import Phone
from emulator.tasks import Task

# ---------------------------------------------------------------------------- task specs
# What a task asks for, in terms the expert can act on. The fixed tasks in emulator.tasks
# have theirs below; generated tasks register their own (see register_spec).

Spec = ShopPurchase | HotelBooking | TableReservation | FoodDelivery | SettingChange | AddContact | SendMessage

STRATEGIES: dict[type, Strategy] = {
    strategy.spec: strategy
    for module in (shop_expert, travel_expert, restaurant_expert, settings_expert, contacts_expert, messages_expert)
    for strategy in module.STRATEGIES
}

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


_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class ExpertPolicy(Moves):
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
        self.strategy = STRATEGIES[type(self.spec)]

    # -- Policy protocol ---------------------------------------------------------------
    def decide(self, step: StepInput) -> Decision:
        started = time.perf_counter()
        zh = self.lang == "zh" if self.lang else bool(_CJK.search(step.task))
        self.say = Say(zh)
        self.goal = step.task
        screen = Screen(step.observation)
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
    def _next(self, s: Screen) -> tuple[str, Action]:
        say = self.say
        if self.task.is_successful(self.phone):
            return say("The task is done.", "任务已经完成。"), Finish(message=self.strategy.summary(self))
        app = self.phone.foreground
        if app.dialogs:
            return self._dialog(s, app.dialogs[0].kind)
        if s.id("loading") is not None:
            return say("The page is still loading, so I wait.", "页面还在加载，先等一下。"), Wait(seconds=2)
        retry = s.id("retry_button")
        if retry is not None:
            return say("The page failed to load; I tap Retry.", "页面加载失败，点击重试。"), self.tap(s, retry)
        wanted = self.strategy.app(self)
        if app.package != wanted:
            # The app's own names, as a person reading the launcher would say them.
            en, zh = self.phone.apps[wanted].label, self.phone.apps[wanted].label_zh
            return say(f"I open the {en} app.", f"打开{zh}应用。"), Launch(app=zh if say.zh else en)
        return self.strategy.step(self, s, app)

    def _dialog(self, s: Screen, kind: str) -> tuple[str, Action]:
        say = self.say
        if kind == "ad":
            close = s.id("ad_close")
            if close is not None:
                return say("An ad covers the app; I close it with its X, not the claim button.",
                           "弹出了广告，点右上角的关闭，不点领取。"), self.tap(s, close)
        if kind == "permission":
            allow = s.id("permission_allow_button")
            if allow is not None:
                return say("A permission prompt appeared; I allow it while using the app.",
                           "出现权限请求，选择使用时允许。"), self.tap(s, allow)
        if kind == "payment":
            pay = s.id("pay_button")
            if self.strategy.pays(self.spec) and pay is not None:
                return (say("The payment sheet shows the right order; I pay, which needs the user's confirmation.",
                            "支付页面显示的是这笔订单，点击支付，需要用户确认。"),
                        self.tap(s, pay, message=say("Pay for the order", "支付订单")))
            close = s.id("sheet_close")
            if close is not None:
                return say("This payment is not part of the task; I close the sheet.",
                           "这笔支付不属于任务，关闭支付页面。"), self.tap(s, close)
        cancel = next((n for n in s.nodes if short_id(n).endswith("_cancel_button")), None)
        if cancel is not None:
            return say("A dialog I did not expect; I cancel it.", "出现了意外的对话框，点击取消。"), self.tap(s, cancel)
        return say("A dialog blocks the screen; I go back to dismiss it.", "对话框挡住了屏幕，返回关闭它。"), Back()
