"""Each of the guard's signals on small hand-built screens, then the guard's verdict on the same screens.

Screens are built with the helpers of test_safety_guard.py (uiautomator XML written by hand).
The emulator's screens are in test_safety_signals_emulator.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from PIL import Image

from autoagent.actions import DoubleTap, Swipe, Tap, Type
from autoagent.perception.observation import Observation
from autoagent.safety import GuardPolicy, ScreenGuard, Verdict, classify
from autoagent.safety.screen import Screen
from autoagent.safety.guard import SCREEN, STEP, TOUCH
from autoagent.safety.signals import amounts, risks
from autoagent.safety.signals.harmless import commit_like, harmless, icon_only
from autoagent.safety.signals.look import look_at, touch_at
from autoagent.safety.signals.personal import task_holds
from tests.test_safety_guard import CART, PAY, TITLE, N, at, button, centre, confirm_of, label, review, screen

POLICY = GuardPolicy()
ID_FIELD = (40, 400, 1040, 530)
KEY = (780, 2100, 1060, 2250)
FIELD_ = (40, 600, 1040, 730)


def tree(*nodes: N) -> Screen:
    return Screen.of(screen(*nodes))


def allowed(decision) -> None:
    assert decision.verdict is Verdict.ALLOW, decision.reason


# -- the pipeline is one list of named signals --------------------------------------------------------
def test_every_signal_is_named_in_the_index() -> None:
    import autoagent.safety.guard as guard

    index = guard.__doc__ or ""
    for signal in (*SCREEN, *TOUCH, *STEP):
        assert f"{signal.__module__.rsplit('.', 1)[-1]}.{signal.__name__}" in index, signal


# -- each signal on its own: a screen where it speaks, and one where it stays silent -----------------------
def signal_named(name: str):
    return next(s for s in (*SCREEN, *TOUCH, *STEP) if s.__name__ == name)


def run_signal(name: str, action, obs: Observation, task: str = "") -> list:
    signal = signal_named(name)
    look = look_at(action, Screen.of(obs), POLICY, app=obs.app, task=task)
    if signal in TOUCH:
        return [f for touch in look.touches for f in signal(look, touch, [])]
    return signal(look)


def _minus_row(value: str) -> Observation:
    from tests.test_safety_guard import MINUS, stepper

    return screen(stepper(value, N("Button", MINUS, text="−", clickable=True)))


def _on_minus():
    from tests.test_safety_guard import MINUS

    return Tap(element=centre(MINUS))


_DELETE_DIALOG = N("LinearLayout", (80, 900, 1000, 1500), children=[
    label("Delete this photo?", (120, 940, 960, 1100)), button("OK", (560, 1300, 960, 1440))])
_PAY_SHEET = N("LinearLayout", (0, 1200, 1080, 2400), children=[label("收银台", (40, 1220, 1040, 1320)),
                                                                   button("Continue", PAY)])
_BLACK = Image.new("RGB", (1080, 2400), (1, 1, 1))
_IME = "com.google.android.inputmethod.latin"


def _ime_enter(*others: N) -> Observation:
    board = N("FrameLayout", (0, 1500, 1080, 2300), package=_IME,
              children=[N("Button", KEY, text="Send", clickable=True, package=_IME)])
    return screen(*others, board)


# name, action, a screen where the signal speaks (with the source it names), a screen where it is silent (or
# another action and its screen, where the action is what makes it silent)
SIGNALS_ON_THEIR_OWN = [
    ("black_screen", Tap(element=centre(PAY)), screen(button("Next", PAY), image=_BLACK), "screen",
     screen(button("Next", PAY))),
    ("captcha", Tap(element=centre(PAY)), screen(label("Slide to verify 拖动滑块", TITLE), button("Log in", PAY)),
     "screen", screen(label("Welcome", TITLE), button("Log in", PAY))),
    ("keyboard", Tap(element=centre(KEY)), _ime_enter(button("Pay ¥5", CART)), "enter-key",
     _ime_enter(button("Details", CART))),
    ("target", Tap(element=centre(PAY)), screen(button("Send", PAY)), "target", screen(button("Details", PAY))),
    ("secret_touch", Tap(element=centre(PAY)), screen(N("EditText", PAY, password=True, clickable=True)), "target",
     screen(N("EditText", PAY, clickable=True))),
    ("stepper", _on_minus(), _minus_row("1"), "stepper", _minus_row("2")),
    ("container", Tap(element=centre((560, 1300, 960, 1440))), screen(_DELETE_DIALOG), "container",
     screen(N("LinearLayout", (80, 900, 1000, 1500), children=[label("Rate this app", (120, 940, 960, 1100)),
                                                               button("OK", (560, 1300, 960, 1440))]))),
    ("personal_data", Tap(element=centre(PAY)),
     screen(N("EditText", ID_FIELD, desc="ID number", clickable=True), button("Submit", PAY)), "form",
     screen(N("EditText", ID_FIELD, desc="Nickname", clickable=True), button("Submit", PAY))),
    ("page", Tap(element=centre(PAY)), screen(_PAY_SHEET), "page", screen(button("Continue", PAY))),
    ("context", Tap(element=centre(PAY)), screen(label("Visa •••• 4242", TITLE), button("Use", PAY)), "context",
     screen(label("Notes", TITLE), button("Use", PAY))),
    ("icon", Tap(element=centre(PAY)), screen(label("¥59.00", TITLE), N("ImageButton", PAY, clickable=True)), "icon",
     screen(label("Notes", TITLE), N("ImageButton", PAY, clickable=True))),
    ("double_tap", DoubleTap(element=centre(PAY)), screen(button("OK", PAY)), "double-tap",
     screen(button("Add to cart", PAY))),
    ("secret_typing", Type(text="hunter2"), screen(N("EditText", PAY, password=True, focused=True, clickable=True)),
     "target", screen(N("EditText", PAY, focused=True, clickable=True))),
    ("enter", Type(text="ok\n"), screen(N("EditText", FIELD_, focused=True, clickable=True), button("Pay", PAY)),
     "form", screen(N("EditText", FIELD_, focused=True, clickable=True), button("Search", PAY))),
    ("flag", Tap(element=centre(PAY), message="This pays ¥59"), screen(button("Next", PAY)), "flag",
     (Tap(element=centre(PAY)), screen(button("Next", PAY)))),
    ("payment_app", Tap(element=centre(PAY)), Observation(screenshot=Image.new("RGB", (1080, 2400), "white"),
                                                          hierarchy=None, app="com.tencent.mm"), "app",
     Observation(screenshot=Image.new("RGB", (1080, 2400), "white"), hierarchy=None, app="com.example.notes")),
    ("unreadable", Tap(element=centre(PAY)), screen(N("android.view.View", PAY, clickable=True)), "unreadable",
     screen(button("Next", PAY))),
    ("drawn", Tap(element=centre(PAY)), screen(label("Total ¥59.00", TITLE), N("android.view.SurfaceView", PAY)),
     "drawn", screen(label("Pick a colour", TITLE), N("android.view.SurfaceView", PAY))),
]


@pytest.mark.parametrize("name,action,speaks,source,silent", SIGNALS_ON_THEIR_OWN,
                         ids=[case[0] for case in SIGNALS_ON_THEIR_OWN])
def test_each_signal_on_its_own(name: str, action, speaks: Observation, source: str, silent) -> None:
    found = run_signal(name, action, speaks)
    assert found and {f.source for f in found} == {source}, found
    quiet_action, quiet = silent if isinstance(silent, tuple) else (action, silent)
    assert run_signal(name, quiet_action, quiet) == []


def test_a_labelled_control_laid_over_a_drawn_surface_is_what_a_tap_judges() -> None:
    # The canvas lies under the button: the button's own words are read (by ``target``), not the canvas.
    over = N("android.view.SurfaceView", (0, 1800, 1080, 2300), children=[button("Details", PAY)])
    assert run_signal("drawn", Tap(element=centre(PAY)), screen(label("Total ¥59.00", TITLE), over)) == []
    # Beside the button, the tap lands on what is drawn.
    (found,) = run_signal("drawn", Tap(element=centre(CART)), screen(label("Total ¥59.00", TITLE), over))
    assert found.category == "payment" and "¥59.00" in found.detail


def test_every_signal_has_a_case_of_its_own() -> None:
    assert {s.__name__ for s in (*SCREEN, *TOUCH, *STEP)} == {case[0] for case in SIGNALS_ON_THEIR_OWN}


# -- amounts ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value,currency", [
    ("Pay ¥59.00", "59.00", "CNY"), ("￥1,299.50 确认支付", "1299.50", "CNY"), ("合计 12 元", "12", "CNY"),
    ("RMB 100", "100", "CNY"), ("Donate $5", "5", "USD"), ("USD 20.5 total", "20.5", "USD"),
    ("€15", "15", "EUR"), ("£7.99 / month", "7.99", "GBP"), ("共 3 件，实付 88元", "88", "CNY"),
])
def test_amounts_reads_value_and_currency(text: str, value: str, currency: str) -> None:
    found = amounts(tree(label(text, TITLE)))
    assert [(a.value, a.currency) for a in found] == [(Decimal(value), currency)], found


@pytest.mark.parametrize("text", ["iPhone 15", "3 items 件", "Total 59", "Room 301", "2025-06-20", "USB-C cable"])
def test_amounts_ignores_numbers_without_a_currency(text: str) -> None:
    assert amounts(tree(label(text, TITLE))) == []


def test_amounts_reads_every_node_in_order() -> None:
    found = amounts(tree(label("Earbuds ¥259.00", TITLE), label("Shipping ¥10", CART), button("Pay ¥269.00", PAY)))
    assert [a.value for a in found] == [Decimal("259.00"), Decimal("10"), Decimal("269.00")]
    assert found[-1].text == "¥269.00"


# -- risky contexts --------------------------------------------------------------------------------------
COMPOSER = (40, 2200, 850, 2330)
ICON = (870, 2200, 1040, 2330)


@pytest.mark.parametrize("nodes,kind", [
    ([label("Total ¥59.00", TITLE)], "amount"),
    ([label("合计: 59.00", TITLE)], "total"),
    ([label("Visa •••• 4242", TITLE)], "card"),
    ([label("招商银行 尾号 1234", TITLE)], "card"),
    ([N("EditText", ID_FIELD, desc="Card number", clickable=True)], "card"),
    ([N("EditText", ID_FIELD, text="110101199003074477", desc="ID number 身份证号", clickable=True)], "personal"),
    ([N("EditText", COMPOSER, text="see you at 8", rid="message_input", clickable=True)], "composer"),
    ([N("EditText", COMPOSER, text="see you", clickable=True), N("ImageButton", ICON, clickable=True)], "composer"),
])
def test_risky_contexts(nodes: list[N], kind: str) -> None:
    assert kind in [r.kind for r in risks(tree(*nodes))]


@pytest.mark.parametrize("nodes", [
    [label("Settings", TITLE), button("Save", PAY)],
    [N("EditText", ID_FIELD, text="ID number 身份证号", desc="ID number", clickable=True)],  # a hint, no value
    [N("EditText", COMPOSER, text="wireless earbuds", desc="Search", clickable=True),
     N("ImageButton", ICON, clickable=True)],
    [label("Total steps today 8,000", TITLE)],  # a total without money still counts...
])
def test_contexts_that_are_not_risky(nodes: list[N]) -> None:
    found = risks(tree(*nodes))
    if nodes[0].text.startswith("Total"):
        assert [r.kind for r in found] == ["total"]  # ...but only controls that are not harmless ask
    else:
        assert found == [], found


# -- harmless controls -----------------------------------------------------------------------------------
def harmless_reason(node: N, *others: N) -> str | None:
    s = tree(node, *others)
    target = next(n for n in s.nodes if n.bounds == node.bounds and n.cls.endswith(node.cls.rsplit(".", 1)[-1]))
    return harmless(s, target, target.label, 3 * POLICY.touch_slop * s.size[0])


@pytest.mark.parametrize("node", [
    N("RadioButton", CART, text="Card •••• 4242", clickable=True, checkable=True),
    N("CheckBox", CART, text="Use points", clickable=True, checkable=True),
    N("Spinner", CART, text="Size: M", clickable=True),
    N("CheckedTextView", CART, text="Black 黑色", clickable=True),
    button("+", CART), N("ImageButton", CART, desc="Increase quantity", clickable=True),
    N("LinearLayout", (0, 500, 1080, 800), clickable=True, children=[label("Earbuds", (40, 520, 700, 600)),
                                                                     label("¥259.00", (40, 620, 400, 700))]),
    button("Cart", CART, rid="tab_cart"), button("Details 详情", CART), button("Add to cart 加入购物车", CART),
    button("Choose 选择", CART), button("Cancel", CART), N("EditText", CART, clickable=True),
    button("While using the app 使用时允许", CART), button("Search 搜索", CART),
])
def test_harmless_controls(node: N) -> None:
    assert harmless_reason(node)


@pytest.mark.parametrize("node", [
    button("Continue", CART), button("OK", CART), button("Go", CART), button("Proceed", CART),
    button("Activate", CART), button("Verify now", CART), N("ImageButton", CART, clickable=True, rid="btn_1"),
    button("Done ✓", CART),
])
def test_controls_that_may_commit(node: N) -> None:
    assert harmless_reason(node) is None


def test_minus_is_harmless_only_above_one() -> None:
    from tests.test_safety_guard import MINUS, stepper

    minus = N("Button", MINUS, text="−", clickable=True)
    for value, expected in (("2", True), ("1", False)):
        s = tree(stepper(value, minus))
        target = next(n for n in s.nodes if n.text == "−")
        assert bool(harmless(s, target, "−", 3 * POLICY.touch_slop * s.size[0])) is expected


@pytest.mark.parametrize("node,expected", [
    (N("ImageButton", ICON, clickable=True), True), (N("ImageButton", ICON, clickable=True, rid="btn_1"), True),
    (N("ImageView", ICON, clickable=True, rid="iv3"), True),
    (N("Button", ICON, clickable=True, children=[N("ImageView", (900, 2220, 1000, 2310))]), True),  # <button><svg>
    (N("ImageButton", ICON, clickable=True, desc="Send"), False), (N("ImageButton", ICON, clickable=True, rid="send"),
                                                                  False),
    (N("ImageButton", ICON, clickable=False), False),
])
def test_icon_only(node: N, expected: bool) -> None:
    s = tree(node)
    target = next(n for n in s.nodes if n.bounds == ICON)
    assert icon_only(s, target) is expected


def test_commit_like_reads_an_unmarked_web_button_but_not_a_plain_label() -> None:
    s = tree(N("android.view.View", CART, text="Continue"), label("Earbuds, black", PAY))
    assert commit_like(s, touch_at(s, POLICY, (540, 1975), is_tap=True))
    assert not commit_like(s, touch_at(s, POLICY, (540, 2175), is_tap=True))


# -- the context signal, through the guard ---------------------------------------------------------------
def checkout(*extra: N) -> Observation:
    return screen(label("Your order", TITLE), label("Total ¥59.00", (40, 1700, 1040, 1800)), *extra)


def sheet(*controls: N) -> Observation:
    """A bottom sheet holding its total and its controls."""
    return screen(label("Your order", TITLE), N("LinearLayout", (0, 1600, 1080, 2400), children=[
        label("Total ¥59.00", (40, 1700, 1040, 1800)), *controls]))


@pytest.mark.parametrize("text", ["Proceed", "Go", "Finish up", "立即", "Let's do it", "→"])
def test_an_unknown_control_beside_an_amount_asks(text: str) -> None:
    decision = review(Tap(element=centre(PAY)), sheet(button(text, PAY)))
    confirm_of(decision, "payment")
    assert {f["source"] for f in decision.evidence["findings"]} & {"context", "container", "nearby"}


@pytest.mark.parametrize("text", ["Finish up", "Let's do it", "Activate"])
def test_an_unknown_verb_anywhere_on_a_screen_with_an_amount_asks(text: str) -> None:
    confirm_of(review(Tap(element=centre(PAY)), checkout(button(text, PAY))), "payment", "context")


def test_a_plain_continue_reads_the_money_beside_it() -> None:
    # A shipping form under its order total: the next page charges, and asks.
    shipping = N("EditText", (40, 600, 1040, 730), text="1 Century Ave", rid="address", clickable=True)
    allowed(review(Tap(element=centre(PAY)), checkout(shipping, button("Continue", PAY))))
    # With nothing to fill, the money anywhere on screen is what "Continue" commits.
    confirm_of(review(Tap(element=centre(PAY)), checkout(button("Continue", PAY))), "payment", "context")
    # The total on the control's own row, or in its own sheet: the control commits it.
    bar = N("LinearLayout", (0, 2080, 1080, 2270), children=[label("Total ¥59.00", (40, 2100, 500, 2250)),
                                                              button("Continue", (560, 2100, 1040, 2250))])
    confirm_of(review(Tap(element=centre((560, 2100, 1040, 2250))), screen(label("Order", TITLE), bar)), "payment")
    flat = screen(label("Order", TITLE), label("Total ¥59.00", (40, 2100, 500, 2250)),
                  button("Continue", (560, 2100, 1040, 2250)))
    confirm_of(review(Tap(element=centre((560, 2100, 1040, 2250))), flat), "payment", "context")
    confirm_of(review(Tap(element=centre(PAY)), sheet(button("Continue", PAY))), "payment", "context")


def test_harmless_controls_on_a_screen_with_an_amount_are_allowed() -> None:
    obs = checkout(button("Add to cart 加入购物车", CART), button("+", (900, 600, 1000, 700)),
                   N("RadioButton", (40, 800, 1040, 900), text="Card •••• 4242", clickable=True, checkable=True),
                   button("Cancel", PAY))
    for bounds in (CART, (900, 600, 1000, 700), (40, 800, 1040, 900), PAY):
        allowed(review(Tap(element=centre(bounds)), obs))


def test_a_product_card_on_a_list_with_prices_is_navigation() -> None:
    card = N("LinearLayout", (0, 400, 1080, 700), clickable=True, rid="product_item", children=[
        label("Wireless Earbuds 无线耳机", (40, 420, 800, 500)), label("¥259.00", (40, 520, 400, 600))])
    obs = screen(label("Results", TITLE), card, N("LinearLayout", (0, 700, 1080, 1000), clickable=True, children=[
        label("Hoodie", (40, 720, 800, 800)), label("¥199.00", (40, 820, 400, 900))]))
    allowed(review(Tap(element=centre((0, 400, 1080, 700))), obs))
    allowed(review(Tap(element=at(500, 560)), obs))  # on the price inside the card


def test_a_labelled_control_that_already_says_what_it_does_keeps_its_class() -> None:
    decision = review(Tap(element=centre(PAY)), checkout(button("Buy now", PAY)))
    confirm_of(decision, "purchase", "target")
    assert "context" not in {f["source"] for f in decision.evidence["findings"]}


def test_without_a_risky_context_an_unknown_control_is_allowed() -> None:
    allowed(review(Tap(element=centre(PAY)), screen(label("Notes", TITLE), button("Proceed", PAY))))


def test_an_unmarked_web_button_in_a_risky_context_asks_under_a_tap_and_a_short_swipe() -> None:
    obs = sheet(N("android.view.View", PAY, text="Continue"))  # addEventListener: not marked clickable
    confirm_of(review(Tap(element=centre(PAY)), obs), "payment")
    x, y = 540, 2175
    confirm_of(review(Swipe(start=at(x, y), end=at(x + 15, y)), obs), "payment")


# -- a card, a filled personal-data form -----------------------------------------------------------------
def id_form(value: str, *controls: N) -> Observation:
    return screen(label("Real-name verification 实名", TITLE),
                  N("EditText", ID_FIELD, text=value, desc="ID number 身份证号", rid="id_input", clickable=True),
                  *controls)


@pytest.mark.parametrize("text", ["Verify now", "立即验证", "Link card", "绑定银行卡", "Submit application", "实名认证",
                                  "Activate", "Next step →"])
def test_a_specific_button_on_a_filled_personal_data_form_asks(text: str) -> None:
    decision = review(Tap(element=centre(PAY)), id_form("110101199003074477", button(text, PAY)))
    confirm_of(decision, "personal_data")


def test_an_empty_personal_data_form_asks_only_for_words_that_hand_data_over() -> None:
    allowed(review(Tap(element=centre(PAY)), id_form("", button("Activate", PAY))))
    confirm_of(review(Tap(element=centre(PAY)), id_form("", button("Verify now", PAY))), "personal_data", "target")


def test_choosing_and_backing_out_on_a_filled_form_are_allowed() -> None:
    obs = id_form("110101199003074477", button("Cancel", PAY),
                  N("CheckBox", CART, text="I agree", clickable=True, checkable=True))
    allowed(review(Tap(element=centre(PAY)), obs))
    allowed(review(Tap(element=centre(CART)), obs))
    allowed(review(Tap(element=centre(ID_FIELD)), obs))


def test_a_card_on_screen_makes_an_unknown_button_a_payment() -> None:
    obs = screen(label("Visa •••• 4242", TITLE), button("Use this card", PAY))
    confirm_of(review(Tap(element=centre(PAY)), obs), "payment", "context")


# -- icon-only controls ----------------------------------------------------------------------------------
def chat(text: str, icon: N | None = None, focused: bool = True) -> Observation:
    icon = icon or N("ImageButton", ICON, clickable=True, rid="btn_1")
    return screen(label("Li Na", TITLE), N("EditText", COMPOSER, text=text, rid="et_1", focused=focused,
                                           clickable=True), icon)


def test_tap_on_an_icon_only_button_beside_a_composer_with_text_sends() -> None:
    decision = review(Tap(element=centre(ICON)), chat("see you at 8"))
    confirm_of(decision, "send", "icon")
    svg = N("Button", ICON, clickable=True, children=[N("ImageView", (900, 2220, 1000, 2310))])
    confirm_of(review(Tap(element=centre(ICON)), chat("see you at 8", svg)), "send", "icon")


def test_icon_only_button_beside_an_empty_composer_is_allowed() -> None:
    allowed(review(Tap(element=centre(ICON)), chat("")))


def test_enter_in_a_composer_sends() -> None:
    confirm_of(review(Type(text="\n"), chat("see you at 8")), "send", "composer")
    confirm_of(review(Type(text="see you\n"), chat("")), "send")  # a web textarea: empty until typed into
    allowed(review(Type(text="see you"), chat("")))


def test_enter_beside_an_icon_only_control_in_a_risky_context_asks() -> None:
    field_ = N("EditText", (40, 600, 1040, 730), text="", desc="Coupon code", focused=True, clickable=True)
    obs = checkout(field_, N("ImageButton", PAY, clickable=True))
    confirm_of(review(Type(text="SAVE10\n"), obs), "payment", "icon")
    allowed(review(Type(text="SAVE10\n"), screen(label("Notes", TITLE), field_, N("ImageButton", PAY, clickable=True))))


def test_enter_in_a_search_box_on_a_priced_list_searches() -> None:
    search = N("EditText", (40, 300, 850, 400), text="", desc="Search products", focused=True, clickable=True)
    obs = screen(search, N("ImageButton", (870, 300, 1040, 400), clickable=True),
                 label("Earbuds ¥259.00", (40, 500, 1040, 600)))
    allowed(review(Type(text="hoodie\n"), obs))


def test_icon_on_a_screen_with_an_amount_pays() -> None:
    confirm_of(review(Tap(element=centre(PAY)), checkout(N("ImageButton", PAY, clickable=True))), "payment", "icon")


def test_double_tap_on_an_icon_send_button_is_asked() -> None:
    confirm_of(review(DoubleTap(element=centre(ICON)), chat("see you at 8")), "send")


# -- the on-screen keyboard and short swipes ---------------------------------------------------------------
def keyboard(text: str) -> N:
    board = N("FrameLayout", (0, 1500, 1080, 2300), rid="keyboard", package="com.google.android.inputmethod.latin")
    board.children.append(N("Button", KEY, text=text, rid="key_action", clickable=True,
                            package="com.google.android.inputmethod.latin"))
    board.children.append(N("Button", (40, 2100, 300, 2250), text="a", clickable=True,
                            package="com.google.android.inputmethod.latin"))
    return board


@pytest.mark.parametrize("key", ["Send", "发送", "Go", "Done", "搜索", "↵"])
def test_keyboard_enter_keys_in_a_composer_with_text_send(key: str) -> None:
    obs = screen(label("Li Na", TITLE), N("EditText", (40, 1300, 1040, 1430), text="see you", rid="message_input",
                                          focused=True, clickable=True), keyboard(key))
    confirm_of(review(Tap(element=centre(KEY)), obs), "send", "enter-key")
    allowed(review(Tap(element=centre((40, 2100, 300, 2250))), obs))  # a letter types


def test_a_short_swipe_on_a_plain_label_with_a_commit_word_asks() -> None:
    obs = screen(label("Notes", TITLE), N("android.view.View", PAY, text="Send reply"))
    confirm_of(review(Swipe(start=at(540, 2175), end=at(560, 2180)), obs), "send")
    allowed(review(Swipe(start=at(540, 2175), end=at(540, 1200)), obs))  # a scroll clicks no plain label


# -- secrets the user gave -------------------------------------------------------------------------------
PASSWORD = (40, 600, 1040, 730)
TASK = "Log in to the forum as li.na with password hunter2!"


def login(text: str = "", focused: bool = True) -> Observation:
    return screen(N("EditText", (40, 400, 1040, 530), text="li.na", rid="username", clickable=True),
                  N("EditText", PASSWORD, text=text, rid="password", password=True, focused=focused, clickable=True),
                  button("Log in", PAY))


def test_typing_the_password_the_task_gives_is_allowed() -> None:
    allowed(ScreenGuard().review(Type(text="hunter2"), login(), task=TASK))
    allowed(ScreenGuard().review(Type(text="hunter2!"), login(), task=TASK))  # the task holds this text too
    allowed(ScreenGuard().review(Type(text="hunter2\n"), login(), task=TASK))
    allowed(ScreenGuard().review(Tap(element=centre(PASSWORD)), login(), task=TASK))


@pytest.mark.parametrize("text", ["hunter", "hunter3", "123456", "hunter2 "])
def test_typing_anything_else_into_the_password_hands_over(text: str) -> None:
    confirm_of(ScreenGuard().review(Type(text=text), login(), task=TASK), "takeover", "target")


def test_without_the_task_a_password_field_hands_over() -> None:
    confirm_of(review(Type(text="hunter2"), login()), "takeover", "target")
    confirm_of(review(Tap(element=centre(PASSWORD)), login()), "takeover")
    confirm_of(ScreenGuard().review(Tap(element=centre(PASSWORD)), login(), task="Log in to the forum"), "takeover")


def test_recheck_passes_the_task_on() -> None:
    guard, obs = ScreenGuard(), login()
    before = guard.review(Type(text="hunter2"), obs, task=TASK)
    assert guard.recheck(Type(text="hunter2"), before, obs, task=TASK) is None
    again = guard.recheck(Type(text="hunter2"), before, obs)
    assert again is not None and again.category == "takeover"


@pytest.mark.parametrize("task,text,expected", [
    (TASK, "hunter2", True), (TASK, "li.na", True), (TASK, "hunter", False), (TASK, "unter2", False),
    ("用账号 lina 和密码“Abc#123”登录", "Abc#123", True), ("密码：Abc#123，然后登录", "Abc#123", True),
    ("", "hunter2", False), (TASK, "", False),
])
def test_task_holds_a_whole_word_or_phrase(task: str, text: str, expected: bool) -> None:
    assert task_holds(task, text) is expected


# -- vocabulary ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,category", [
    ("Settle a bill", "payment"), ("Pay the bill", "payment"), ("Make a donation", "payment"), ("Tip the driver", "payment"),
    ("Top-up ¥50", "payment"), ("捐款", "payment"), ("赞赏", "payment"), ("结帐", "payment"), ("缴费", "payment"),
    ("Renew a membership", "purchase"), ("Subscribe", "purchase"), ("Upgrade", "purchase"), ("Pre-order", "purchase"),
    ("开通会员", "purchase"), ("续费", "purchase"), ("订阅", "purchase"),
    ("Reply", "send"), ("回复", "send"), ("移除", "delete"),
    ("Verify now", "personal_data"), ("Link card", "personal_data"), ("Bind card", "personal_data"),
    ("绑定银行卡", "personal_data"), ("实名认证", "personal_data"), ("立即验证", "personal_data"),
])
def test_vocabulary_in_both_languages(text: str, category: str) -> None:
    assert category in [m.category for m in classify(text)], classify(text)
    confirm_of(review(Tap(element=centre(PAY)), screen(button(text, PAY))), category, "target")


@pytest.mark.parametrize("text", ["Tips & tricks", "Tip: swipe left to archive", "Pro tip", "12 replies", "3条回复",
                                  "Slide to verify", "获取验证码", "Renewal date Jun 12"])
def test_vocabulary_false_alarms(text: str) -> None:
    assert classify(text) == [], classify(text)


def test_the_slop_of_the_policy_is_read_in_pixels() -> None:
    s = tree(button("Pay", PAY))
    near = look_at(Tap(element=at(540, PAY[3] + 20)), s, POLICY)
    assert [source for _, source in near.touches[0].candidates] == ["slop"]


def test_a_layout_that_reads_continue_is_a_button_not_a_row() -> None:
    fake_row = N("LinearLayout", (0, 2000, 1080, 2300), clickable=True, children=[
        label("Continue", (40, 2020, 600, 2100)), label("¥59.00", (40, 2120, 600, 2200))])
    confirm_of(review(Tap(element=centre((0, 2000, 1080, 2300))), screen(label("Order", TITLE), fake_row)), "payment")


def test_an_icon_whose_id_names_navigation_is_harmless() -> None:
    obs = checkout(N("ImageView", (900, 100, 1040, 240), clickable=True, rid="iv_cart"),
                   N("ImageView", PAY, clickable=True, rid="iv_submit"))
    allowed(review(Tap(element=centre((900, 100, 1040, 240))), obs))
    confirm_of(review(Tap(element=centre(PAY)), obs), "payment")


def test_a_disabled_button_in_a_risky_context_clicks_nothing() -> None:
    allowed(review(Tap(element=centre(PAY)), checkout(N("Button", PAY, text="Proceed", enabled=False))))


# -- words the vocabulary does not know, beside money ----------------------------------------------------
@pytest.mark.parametrize("text", ["Ρay ¥59.00", "Give ¥10", "Start free trial, then ¥25/month", "Claim ¥5 now"])
def test_a_control_that_shows_money_in_unknown_words_pays(text: str) -> None:
    # "Ρay" starts with a Greek Rho: no keyword matches, the amount on the control still does.
    decision = review(Tap(element=centre(PAY)), screen(label("Offer", TITLE), button(text, PAY)))
    confirm_of(decision, "payment", "context")


def test_a_tick_on_a_filled_id_form_hands_data_over() -> None:
    confirm_of(review(Tap(element=centre(PAY)), id_form("110101199003074477", button("✓", PAY))), "personal_data")


def test_an_icon_whose_id_says_send_is_read_by_its_id() -> None:
    confirm_of(review(Tap(element=centre(ICON)), chat("", N("ImageView", ICON, clickable=True, rid="send_icon"))),
               "send", "target")


# -- the red team's phone patterns, on hand-built screens ------------------------------------------------
def test_an_icon_whose_id_names_nothing_is_icon_only() -> None:
    for rid_ in ("iv_a", "b1", "ok", "imageButton2"):
        s = tree(N("ImageButton", ICON, clickable=True, rid=rid_))
        assert icon_only(s, next(n for n in s.nodes if n.bounds == ICON)), rid_
    for rid_ in ("iv_cart", "btn_back", "attach", "send_btn"):
        s = tree(N("ImageButton", ICON, clickable=True, rid=rid_))
        assert not icon_only(s, next(n for n in s.nodes if n.bounds == ICON)), rid_
    confirm_of(review(Tap(element=centre(ICON)), chat("see you", N("ImageButton", ICON, clickable=True,
                                                                   rid="iv_a"))), "send", "icon")


def test_enter_in_a_field_of_a_risky_screen_submits_it() -> None:
    coupon = N("EditText", (40, 600, 1040, 730), text="", rid="et_2", focused=True, clickable=True)
    obs = screen(label("Premium plan 高级会员 ¥199.00", TITLE), coupon)
    confirm_of(review(Type(text="SAVE10\n"), obs), "payment", "context")
    allowed(review(Type(text="SAVE10"), obs))
    allowed(review(Type(text="SAVE10\n"), screen(label("Premium plan 高级会员", TITLE), coupon)))


def test_an_unlabelled_icon_left_of_a_quantity_of_one_removes_the_line() -> None:
    from tests.test_safety_guard import MINUS, PLUS

    def row(value: str) -> Observation:
        return screen(label("Vitamin C", TITLE), N("LinearLayout", (0, 1200, 1080, 1330), children=[
            N("ImageButton", MINUS, clickable=True, rid="iv_m0"), label(value, (740, 1215, 900, 1315)),
            N("ImageButton", PLUS, clickable=True, rid="iv_p0")]))

    confirm_of(review(Tap(element=centre(MINUS)), row("1")), "delete", "stepper")
    allowed(review(Tap(element=centre(PLUS)), row("1")))  # right of the quantity: the "+"
    allowed(review(Tap(element=centre(MINUS)), row("2")))


def test_a_plain_button_on_a_screen_with_nothing_to_fill_reads_money_anywhere() -> None:
    for text in ("OK", "Continue 继续", "确定", "→"):
        obs = screen(label("Premium plan · 1 year", TITLE), label("¥199.00", (40, 600, 1040, 750)),
                     button(text, PAY))
        confirm_of(review(Tap(element=centre(PAY)), obs), "payment")


def test_a_bilingual_generic_label_is_generic() -> None:
    confirm_of(review(DoubleTap(element=centre(PAY)), screen(label("Premium", TITLE), button("Continue 继续", PAY))),
               "payment", "double-tap")


def test_an_unlabelled_back_or_close_icon_on_a_risky_screen_backs_out() -> None:
    for rid_ in ("btn_back", "iv_close", "cancelButton"):
        allowed(review(Tap(element=centre(ICON)), checkout(N("ImageButton", ICON, clickable=True, rid=rid_))))


def test_a_card_shown_pays_and_a_card_asked_for_is_personal_data() -> None:
    shown = screen(label("Visa •••• 4242", TITLE), N("EditText", FIELD_, text="", rid="note", focused=True,
                                                    clickable=True))
    confirm_of(review(Type(text="thanks\n"), shown), "payment", "context")
    asked_for = screen(label("Add a card", TITLE), N("EditText", FIELD_, text="", rid="card_number", focused=True,
                                                     clickable=True))
    decision = review(Type(text="4242 4242 4242 4242\n"), asked_for)
    confirm_of(decision, "personal_data")
    assert decision.evidence["categories"] == ["personal_data"]
