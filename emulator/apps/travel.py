"""旅行 Travel (com.autoagent.travel): hotel search, dates, guests, rooms, guest form, payment."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from emulator import theme
from emulator.apps.base import App, Screen
from emulator.apps.common import action_bar, card, matches, success_block, tab_bar
from emulator.models import Payment, money
from emulator.widgets import UI, Node

TODAY = dt.date(2025, 6, 11)
CITIES = [("Shanghai", "上海"), ("Beijing", "北京"), ("Hangzhou", "杭州"), ("Chengdu", "成都"),
          ("Guangzhou", "广州"), ("Shenzhen", "深圳"), ("Xi'an", "西安"), ("Tokyo", "东京"),
          ("Singapore", "新加坡"), ("Paris", "巴黎")]
_HOTELS = [("Grand Hotel", "大酒店", 1.6), ("Riverside Inn", "江畔客栈", 0.8), ("Central Suites", "中心套房酒店", 1.3),
           ("Garden Hotel", "花园酒店", 1.0), ("Business Hotel", "商务酒店", 0.9), ("Boutique Hotel", "精品酒店", 1.2),
           ("Youth Hostel", "青年旅舍", 0.35), ("Airport Hotel", "机场酒店", 0.75), ("Lakeview Resort", "湖景度假酒店", 1.8)]
ROOMS = [("standard", "Standard Room 标准间", 1.0), ("deluxe", "Deluxe King 豪华大床房", 1.4),
         ("suite", "Family Suite 家庭套房", 2.1)]


class Hotel(BaseModel):
    id: str
    name: str
    city: str
    stars: int
    rating: float
    price_cents: int  # standard room, per night

    def room_price(self, room: str) -> int:
        factor = next(f for key, _, f in ROOMS if key == room)
        return int(round(self.price_cents * factor / 100)) * 100


class Guest(BaseModel):
    name: str = ""
    phone: str = ""
    email: str = ""


class Booking(BaseModel):
    id: str
    hotel_id: str
    hotel: str
    city: str
    room: str
    room_name: str
    check_in: dt.date
    check_out: dt.date
    nights: int
    adults: int
    rooms: int
    guest: Guest
    total_cents: int
    payment_id: str
    status: str = "confirmed"


class TravelState(BaseModel):
    hotels: list[Hotel]
    destination: str = ""  # English city name once chosen
    destination_query: str = ""
    check_in: dt.date | None = None
    check_out: dt.date | None = None
    adults: int = 2
    rooms: int = 1
    guest: Guest = Field(default_factory=Guest)
    bookings: list[Booking] = Field(default_factory=list)
    searches: list[str] = Field(default_factory=list)

    def city_hotels(self, city: str) -> list[Hotel]:
        return [h for h in self.hotels if h.city == city]

    def hotel(self, hotel_id: str) -> Hotel:
        return next(h for h in self.hotels if h.id == hotel_id)


def _city_zh(city: str) -> str:
    return dict(CITIES).get(city, "")


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%b %d") + f" {day.month}月{day.day}日" if day else "—"


class Travel(App):
    package = "com.autoagent.travel"
    label = "Travel"
    label_zh = "旅行"
    letter = "旅"
    aliases = ("hotel", "hotels", "booking", "酒店", "旅游")
    permission = "access this device's location"
    shows_ads = True

    def make_state(self) -> TravelState:
        hotels = []
        for city, city_zh in CITIES:
            base = self.rng.randrange(300, 700)
            for en, zh, factor in _HOTELS:
                hotels.append(Hotel(id=f"{city.lower().replace(chr(39), '')}-{en.split()[0].lower()}",
                                    name=f"{city} {en} {city_zh}{zh}", city=city,
                                    stars=max(2, min(5, round(2 + factor * 2))),
                                    rating=round(self.rng.uniform(3.8, 4.9), 1),
                                    price_cents=int(base * factor * self.rng.uniform(0.85, 1.15)) * 100))
        self.rng.shuffle(hotels)
        return TravelState(hotels=hotels, adults=self.usual_party())

    @property
    def travel(self) -> TravelState:
        return self.state  # type: ignore[return-value]

    def screen_title(self, screen: Screen) -> str:
        return {"home": "Travel 旅行", "results": "Hotels 酒店", "hotel": "Hotel 酒店详情",
                "guest_form": "Guest details 入住信息", "dates": "Dates 选择日期",
                "destination": "Destination 目的地", "trips": "My trips 我的行程"}.get(screen.name, "Travel 旅行")

    def _tabs(self, ui: UI, current: str) -> None:
        tab_bar(ui, [("tab_search", "Search 搜索", lambda: self.reset_to("home")),
                     ("tab_trips", "Trips 行程", lambda: self.reset_to("trips"))], current)

    def screen_home(self, ui: UI) -> None:
        s = self.travel
        self.app_bar(ui, "Travel 旅行")
        self._tabs(ui, "tab_search")
        ui.gap(30)
        ui.text("Find a hotel 预订酒店", size=52, bold=True)
        ui.gap(20)
        dest = f"{s.destination} {_city_zh(s.destination)}" if s.destination else ""
        ui.row("Destination 目的地", self._open_destination, subtitle=dest or "Where to? 去哪里？",
               rid="destination_field")
        ui.row("Dates 日期", lambda: self.open("dates"), rid="dates_field",
               subtitle=f"{_fmt(s.check_in)} → {_fmt(s.check_out)}" if s.check_in and s.check_out
               else "Check-in → Check-out 入住 → 离店")
        ui.stepper("Adults 成人", s.adults, self._step("adults", -1, 1, 8), self._step("adults", 1, 1, 8), "adults")
        ui.stepper("Rooms 房间", s.rooms, self._step("rooms", -1, 1, 4), self._step("rooms", 1, 1, 4), "rooms")
        ui.gap(40)
        ui.button("Search hotels 搜索酒店", self._search, rid="search_hotels_button")

    def _step(self, attr: str, delta: int, low: int, high: int):
        value = getattr(self.travel, attr) + delta
        if not low <= value <= high:
            return None
        return lambda: setattr(self.travel, attr, value)

    def _open_destination(self) -> None:
        screen = self.open("destination")
        screen.focus = "destination_input"

    def _search(self) -> None:
        s = self.travel
        if not s.destination:
            self.toast("Choose a destination 请选择目的地")
            return
        if not (s.check_in and s.check_out):
            self.toast("Choose your dates 请选择日期")
            return
        s.searches.append(s.destination)
        self.open("results", load="search", city=s.destination)

    def screen_destination(self, ui: UI) -> None:
        s = self.travel
        self.app_bar(ui, "Destination 目的地")
        ui.gap(30)
        ui.edit("destination_input", s.destination_query, lambda v: setattr(s, "destination_query", v),
                hint="City 城市", submit=self._pick_first_city)
        ui.gap(20)
        with ui.scroll("cities", rid="city_list"):
            for city, zh in self._cities():
                ui.row(f"{city} {zh}", lambda c=city: self._pick_city(c), rid="city_item", chevron=False)

    def _cities(self) -> list[tuple[str, str]]:
        query = self.travel.destination_query.strip()
        return [c for c in CITIES if not query or matches(query, *c)]

    def _pick_first_city(self) -> None:
        cities = self._cities()
        if cities:
            self._pick_city(cities[0][0])

    def _pick_city(self, city: str) -> None:
        self.travel.destination = city
        self.travel.destination_query = ""
        self.set_focus(None)
        self.pop()

    def screen_dates(self, ui: UI) -> None:
        s = self.travel
        self.app_bar(ui, "Dates 选择日期")
        ready = bool(s.check_in and s.check_out)
        action_bar(ui, f"{(s.check_out - s.check_in).days} nights 晚" if ready else "Pick 2 dates 选择两天",
                   "Done 完成", self.pop, rid="dates_done_button", enabled=ready, summary_rid="nights")
        with ui.scroll("calendar", rid="calendar"):
            for month in (6, 7):
                first = dt.date(2025, month, 1)
                ui.text(first.strftime("%B %Y") + f" {month}月", size=44, bold=True, rid="month_title")
                cell = theme.WIDTH // 7
                heads = Node((0, ui.y, theme.WIDTH, ui.y + 70))
                for i, name in enumerate(["Mo 一", "Tu 二", "We 三", "Th 四", "Fr 五", "Sa 六", "Su 日"]):
                    heads.add(Node((i * cell, ui.y, (i + 1) * cell, ui.y + 70), cls="android.widget.TextView",
                                   text=name, size=30, fg=theme.TEXT_2, align="center"))
                ui.put(heads)
                day = first
                row_top = ui.y
                while day.month == month:
                    col = day.weekday()
                    in_range = s.check_in and s.check_out and s.check_in <= day <= s.check_out
                    chosen = day in (s.check_in, s.check_out)
                    ok = day >= TODAY
                    ui.put(Node((col * cell + 4, row_top + 4, (col + 1) * cell - 4, row_top + 120),
                                cls="android.widget.TextView", text=str(day.day), rid=f"day_{day.isoformat()}",
                                desc=day.isoformat(), clickable=ok, enabled=ok, selected=bool(chosen), size=40,
                                align="center", radius=20,
                                bg=theme.PRIMARY if chosen else (theme.PRIMARY_SOFT if in_range else None),
                                fg="#FFFFFF" if chosen else (theme.TEXT if ok else theme.DISABLED_TEXT),
                                on_tap=(lambda d=day: self._pick_day(d)) if ok else None), advance=False)
                    if col == 6:
                        row_top += 124
                    day += dt.timedelta(days=1)
                ui.y = row_top + 140

    def _pick_day(self, day: dt.date) -> None:
        s = self.travel
        if s.check_in is None or s.check_out is not None or day <= s.check_in:
            s.check_in, s.check_out = day, None
        else:
            s.check_out = day

    def screen_results(self, ui: UI, city: str) -> None:
        s = self.travel
        self.app_bar(ui, f"{city} {_city_zh(city)}")
        ui.text(f"{_fmt(s.check_in)} → {_fmt(s.check_out)} · {s.adults} adults 成人 · {s.rooms} room 间",
                size=34, color=theme.TEXT_2, rid="search_summary")
        with ui.scroll("hotels", rid="hotel_list"):
            for hotel in s.city_hotels(city):
                card(ui, hotel.name, [f"{'★' * hotel.stars}  {hotel.rating}/5",
                                      "Free cancellation 免费取消"],
                     lambda h=hotel: self.open("hotel", load="hotel", hotel_id=h.id), rid="hotel_item",
                     letter=hotel.name.split()[-1][2] if len(hotel.name.split()[-1]) > 2 else "H",
                     color="#1A73E8", height=320, trailing=f"{money(hotel.price_cents)} /night 晚",
                     title_rid="hotel_name", trailing_rid="hotel_price")

    def screen_hotel(self, ui: UI, hotel_id: str) -> None:
        hotel = self.travel.hotel(hotel_id)
        self.app_bar(ui, "Hotel 酒店详情")
        with ui.scroll("hotel", rid="hotel_detail"):
            ui.put(Node(ui.box(420, 0, theme.WIDTH), cls="android.widget.ImageView", desc=hotel.name, bg="#1A73E8",
                        icon="letter:" + hotel.name.split()[-1][:2]))
            ui.gap(20)
            ui.text(hotel.name, size=48, bold=True, wrap=True, rid="hotel_title")
            ui.text(f"{'★' * hotel.stars}  {hotel.rating}/5 · Free Wi-Fi 免费无线网络 · Breakfast 含早餐", size=34,
                    color=theme.TEXT_2, wrap=True)
            ui.divider("Choose a room 选择房型")
            for key, name, _ in ROOMS:
                price = hotel.room_price(key)
                row = Node((0, ui.y, theme.WIDTH, ui.y + 200), cls="android.widget.LinearLayout", rid="room_item",
                           bg=theme.SURFACE, border=theme.DIVIDER)
                with ui.group(row):
                    top = ui.y
                    row.add(Node((40, top + 20, 700, top + 90), cls="android.widget.TextView", text=name, size=42,
                                 bold=True, rid="room_name"))
                    row.add(Node((40, top + 100, 700, top + 170), cls="android.widget.TextView",
                                 text=f"{money(price)} /night 晚", size=38, fg=theme.PRIMARY, rid="room_price"))
                    row.add(Node((760, top + 45, 1040, top + 155), cls="android.widget.Button", text="Choose 选择",
                                 rid=f"choose_{key}", clickable=True, focusable=True, bg=theme.PRIMARY,
                                 fg="#FFFFFF", radius=55, size=38, align="center",
                                 on_tap=lambda k=key: self.open("guest_form", hotel_id=hotel.id, room=k)))
                ui.gap(16)

    def _nights(self) -> int:
        s = self.travel
        return (s.check_out - s.check_in).days if s.check_in and s.check_out else 0

    def screen_guest_form(self, ui: UI, hotel_id: str, room: str) -> None:
        s = self.travel
        hotel = s.hotel(hotel_id)
        nights = self._nights()
        total = hotel.room_price(room) * nights * s.rooms
        self.app_bar(ui, "Guest details 入住信息")
        action_bar(ui, f"Total 合计 {money(total)}", "Book now 立即预订", lambda: self._book(hotel, room, total),
                   rid="book_button", summary_rid="booking_total")
        room_name = next(n for k, n, _ in ROOMS if k == room)
        with ui.scroll("guest", rid="guest_form"):
            ui.row(hotel.name, subtitle=room_name, chevron=False, rid="booking_hotel")
            ui.row(f"{_fmt(s.check_in)} → {_fmt(s.check_out)}",
                   subtitle=f"{nights} nights 晚 · {s.adults} adults 成人 · {s.rooms} room 间", chevron=False,
                   rid="booking_dates")
            ui.divider("Guest 入住人")
            g = s.guest
            ui.edit("guest_name", g.name, lambda v: setattr(g, "name", v), hint="Full name 姓名")
            ui.gap(16)
            ui.edit("guest_phone", g.phone, lambda v: setattr(g, "phone", v), hint="Phone 手机号")
            ui.gap(16)
            ui.edit("guest_email", g.email, lambda v: setattr(g, "email", v), hint="Email 邮箱 (optional 选填)")

    def _book(self, hotel: Hotel, room: str, total: int) -> None:
        s = self.travel
        if not s.guest.name.strip() or not s.guest.phone.strip():
            self.toast("Please enter the guest's name and phone 请填写入住人姓名和手机号")
            return
        self.set_focus(None)
        booking_id = f"HB{self.rng.randrange(100000, 999999)}"
        room_name = next(n for k, n, _ in ROOMS if k == room)
        nights = self._nights()

        def paid(payment: Payment) -> None:
            s.bookings.append(Booking(id=booking_id, hotel_id=hotel.id, hotel=hotel.name, city=hotel.city, room=room,
                                      room_name=room_name, check_in=s.check_in, check_out=s.check_out, nights=nights,
                                      adults=s.adults, rooms=s.rooms, guest=s.guest.model_copy(), total_cents=total,
                                      payment_id=payment.id))
            self.reset_to("confirmation", load="pay", booking_id=booking_id)

        item = f"{hotel.name}, {room_name}, {nights} nights 晚"
        self.request_payment(total, item, booking_id, paid)

    def screen_confirmation(self, ui: UI, booking_id: str) -> None:
        booking = next(b for b in self.travel.bookings if b.id == booking_id)
        self.app_bar(ui, "Booked 预订成功")
        success_block(ui, "Booking confirmed 预订成功", f"Booking 订单号 {booking.id}", money(booking.total_cents))
        ui.text(booking.hotel, size=40, align="center", wrap=True)
        ui.gap(30)
        ui.button("My trips 我的行程", lambda: self.reset_to("trips"), rid="my_trips_button")

    def screen_trips(self, ui: UI) -> None:
        self.app_bar(ui, "My trips 我的行程")
        self._tabs(ui, "tab_trips")
        if not self.travel.bookings:
            ui.gap(300)
            ui.text("No trips yet 暂无行程", size=44, align="center", rid="empty")
            return
        with ui.scroll("trips", rid="trip_list"):
            for b in reversed(self.travel.bookings):
                card(ui, b.hotel, [b.room_name, f"{_fmt(b.check_in)} → {_fmt(b.check_out)}"], None,
                     rid="trip_item", letter="旅", color="#1A73E8", height=330, trailing=money(b.total_cents))
