"""The expert's strategy in Travel: destination, dates, guests and rooms, a hotel, the room
type, the guest form, then book and pay."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from autoagent.actions import Action, Back
from emulator.apps.travel import CITIES, ROOMS, Travel
from emulator.expertkit import Moves, Screen, Strategy


@dataclass(frozen=True)
class HotelBooking:
    city: str
    check_in: dt.date
    check_out: dt.date
    adults: int
    room: str = "standard"  # standard | deluxe | suite
    rooms: int = 1


def step(ex: Moves, s: Screen, app) -> tuple[str, Action]:
    spec = ex.spec
    assert isinstance(spec, HotelBooking)
    state = app.state
    screen = app.top
    city_zh = dict(CITIES)[spec.city]
    if screen.name == "home":
        if state.destination != spec.city:
            return ex.press(s, "destination_field", ("Destination", "目的地"))
        if (state.check_in, state.check_out) != (spec.check_in, spec.check_out):
            return ex.press(s, "dates_field", ("Dates", "日期"))
        for rid, attr, what in (("adults", "adults", ("Adults", "成人数")), ("rooms", "rooms", ("Rooms", "房间数"))):
            step = ex.stepper(s, rid, getattr(state, attr), getattr(spec, attr), what, None)
            if step is not None:
                return step
        return ex.press(s, "search_hotels_button", ("Search hotels", "搜索酒店"))
    if screen.name == "destination":
        row = s.row("city_item", f"{spec.city} {city_zh}")
        if row is not None:
            return ex.say(f"I pick {spec.city}.", f"选择{city_zh}。"), ex.tap(s, row)
        typed = ex.as_goal_writes(spec.city, city_zh)
        if not state.destination_query:
            step = ex.fill(s, "destination_input", "", typed, ("city", "城市"))
            if step is not None:
                return step
        return ex.seek(s, "city_list", (spec.city, city_zh))
    if screen.name == "dates":
        if (state.check_in, state.check_out) == (spec.check_in, spec.check_out):
            return ex.press(s, "dates_done_button", ("Done", "完成"))
        day = spec.check_out if state.check_in == spec.check_in and state.check_out is None else spec.check_in
        cell = s.id(f"day_{day.isoformat()}")
        if cell is None:
            return ex.seek(s, "calendar", (f"{day:%B} {day.day}", f"{day.month}月{day.day}日"),
                              down=day.month > 6)
        role = ("check-in", "入住") if day == spec.check_in else ("check-out", "离店")
        return ex.say(f"I tap {day:%B} {day.day} as the {role[0]} date.",
                        f"点击{day.month}月{day.day}日作为{role[1]}日期。"), ex.tap(s, cell)
    if screen.name == "results":
        if screen.params.get("city") != spec.city:
            return ex.say("These hotels are in another city; I go back.", "这是别的城市的酒店，返回。"), Back()
        hotel = s.id("hotel_name")
        if hotel is None:
            return ex.seek(s, "hotel_list", ("A hotel", "酒店"))
        return ex.say(f"I open {hotel.text.split(' ', 1)[-1]}.", "打开这家酒店。"), ex.tap(s, hotel)
    if screen.name == "hotel":
        room = next(n for k, n, _ in ROOMS if k == spec.room)
        en, zh = room.rsplit(" ", 1)
        return ex.press(s, f"choose_{spec.room}", (f"Choose for the {en}", f"{zh}的选择按钮"), "hotel_detail")
    if screen.name == "guest_form":
        if screen.params.get("room") != spec.room:
            return ex.say("That is the wrong room type; I go back.", "房型不对，返回。"), Back()
        guest = state.guest
        for rid, attr, what in (("guest_name", "name", ("guest name", "入住人姓名")),
                                ("guest_phone", "phone", ("phone number", "手机号"))):
            step = ex.fill(s, rid, getattr(guest, attr), getattr(ex.profile, attr), what, "guest_form")
            if step is not None:
                return step
        return ex.press(s, "book_button", ("Book now", "立即预订"), message=("Book and pay", "预订并付款"))
    return ex.home_tab(s, "tab_search")


def summary(ex: Moves) -> str:
    spec = ex.spec
    return ex.say(f"Booked a hotel in {spec.city}, {spec.check_in} to {spec.check_out}.",
                  f"已预订{spec.check_in}至{spec.check_out}的酒店。")


STRATEGIES = (Strategy(HotelBooking, step, summary, app=lambda ex: Travel.package, pays=lambda spec: True),)
