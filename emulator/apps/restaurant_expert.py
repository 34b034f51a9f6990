"""The expert's strategies in Restaurant: reserve a table (date, time, party, contact), or
order dishes for delivery and pay."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from autoagent.actions import Action, Back
from emulator.apps.restaurant import Restaurant
from emulator.apps.travel import TODAY
from emulator.expertkit import Moves, Screen, Strategy


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


def _place(ex: Moves, s: Screen, app, restaurant_id: str) -> tuple[str, Action] | None:
    """Steps that reach the restaurant's page; None once there."""
    screen = app.top
    place = app.state.place(restaurant_id)
    zh = place.name.rsplit(" ", 1)[-1]
    if screen.name == "home":
        card = s.text(place.name, rid="restaurant_name")
        if card is not None:
            return ex.say(f"I open {place.name}.", f"打开{zh}。"), ex.tap(s, card)
        return ex.seek(s, "restaurant_list", (place.name, zh))
    if screen.params.get("restaurant_id") not in (None, restaurant_id):
        return ex.say("This is another restaurant; I go back.", "这是别的餐厅，返回。"), Back()
    return None


def reserve(ex: Moves, s: Screen, app) -> tuple[str, Action]:
    spec = ex.spec
    assert isinstance(spec, TableReservation)
    state = app.state
    screen = app.top
    step = _place(ex, s, app, spec.restaurant_id)
    if step is not None:
        return step
    if screen.name == "place":
        return ex.press(s, "reserve_button", ("Reserve a table", "预订餐位"))
    if screen.name == "reserve":
        day = (spec.date - TODAY).days
        params = screen.params
        if params.get("day") != day:
            return _choose(ex, s, f"date_{day}", (f"the date {spec.date.month}/{spec.date.day}",
                                                   f"{spec.date.month}月{spec.date.day}日"))
        if params.get("time") != spec.time:
            return _choose(ex, s, f"time_{spec.time}", (spec.time, spec.time))
        step = ex.stepper(s, "party", int(params.get("party", 2)), spec.party, ("Party size", "人数"),
                             "reservation_form")
        if step is not None:
            return step
        for rid, attr, what in (("contact_name", "name", ("name", "姓名")),
                                ("contact_phone", "phone", ("phone number", "手机号"))):
            step = ex.fill(s, rid, getattr(state, attr), getattr(ex.profile, attr), what, "reservation_form")
            if step is not None:
                return step
        return ex.press(s, "confirm_reservation_button", ("Confirm reservation", "确认预订"))
    return ex.home_tab(s)


def _choose(ex: Moves, s: Screen, rid: str, what: tuple[str, str]) -> tuple[str, Action]:
    chip = s.id(rid)
    if chip is None:
        if s.keyboard:
            return ex.say("The keyboard is in the way; I close it.", "键盘挡住了，先收起键盘。"), Back()
        return ex.seek(s, "reservation_form", what, down=False)
    return ex.say(f"I choose {what[0]}.", f"选择{what[1]}。"), ex.tap(s, chip)


def order(ex: Moves, s: Screen, app) -> tuple[str, Action]:
    spec = ex.spec
    assert isinstance(spec, FoodDelivery)
    state = app.state
    screen = app.top
    step = _place(ex, s, app, spec.restaurant_id)
    if step is not None:
        return step
    place = state.place(spec.restaurant_id)
    index, dish = next((i, d) for i, d in enumerate(place.menu) if d.name.startswith(spec.dish_prefix))
    if screen.name == "place":
        return ex.press(s, "order_food_button", ("Order food", "点餐"))
    if screen.name == "menu":
        basket = state.basket if state.basket_restaurant == place.id else {}
        for other, qty in basket.items():
            if other != dish.id and qty:
                i = next(j for j, d in enumerate(place.menu) if d.id == other)
                step = ex.stepper(s, f"dish_{i}", qty, 0, ("That dish", "这道菜的数量"), "menu_list")
                if step is not None:
                    return step
        dish_en, dish_zh = dish.name.rsplit(" ", 1)
        step = ex.stepper(s, f"dish_{index}", basket.get(dish.id, 0), spec.qty, (dish_en, dish_zh),
                             "menu_list")
        if step is not None:
            return step
        return ex.press(s, "food_checkout_button", ("Checkout", "去结算"))
    if screen.name == "food_checkout":
        step = ex.fill(s, "delivery_address", state.address, ex.profile.address,
                          ("delivery address", "送餐地址"), "food_checkout_form")
        if step is not None:
            return step
        return ex.press(s, "place_order_button", ("Place order", "提交订单"),
                           message=("Place the order and pay", "提交订单并付款"))
    return ex.home_tab(s)


def reserved(ex: Moves) -> str:
    spec = ex.spec
    return ex.say(f"Reserved a table for {spec.party} at {spec.time} on {spec.date}.",
                  f"已预订{spec.date} {spec.time}的{spec.party}人餐位。")


def ordered(ex: Moves) -> str:
    spec = ex.spec
    return ex.say(f"Ordered {spec.qty} x {spec.dish_prefix}.", f"已下单{spec.qty}份{spec.dish_prefix}。")


STRATEGIES = (Strategy(TableReservation, reserve, reserved, app=lambda ex: Restaurant.package),
              Strategy(FoodDelivery, order, ordered, app=lambda ex: Restaurant.package, pays=lambda spec: True))
