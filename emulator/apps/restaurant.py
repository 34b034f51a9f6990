"""餐厅 Restaurant (com.autoagent.restaurant): reserve a table, or order food and pay."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from emulator import theme
from emulator.apps.base import App, Screen
from emulator.apps.common import action_bar, card, success_block, tab_bar, two_buttons
from emulator.apps.travel import TODAY
from emulator.models import Payment, money
from emulator.widgets import UI

_PLACES = [
    ("dumpling", "Golden Dumpling House", "金饺子馆", "Dumplings 饺子",
     [("Pork Dumplings 猪肉饺子", 32), ("Shrimp Dumplings 虾饺", 38), ("Hot and Sour Soup 酸辣汤", 18),
      ("Cucumber Salad 拍黄瓜", 12), ("Fried Rice 炒饭", 22)]),
    ("hotpot", "Spicy Hot Pot", "麻辣火锅", "Hot pot 火锅",
     [("Beef Slices 肥牛", 58), ("Tofu 豆腐", 12), ("Mushroom Platter 菌菇拼盘", 28), ("Noodles 手工面", 10),
      ("Lamb Slices 羊肉片", 52)]),
    ("sichuan", "Sichuan Kitchen", "川菜馆", "Sichuan 川菜",
     [("Kung Pao Chicken 宫保鸡丁", 42), ("Mapo Tofu 麻婆豆腐", 28), ("Twice-cooked Pork 回锅肉", 46),
      ("Dan Dan Noodles 担担面", 22), ("Steamed Rice 米饭", 3)]),
    ("sushi", "Sakura Sushi", "樱花寿司", "Japanese 日料",
     [("Salmon Sushi 三文鱼寿司", 48), ("Tuna Roll 金枪鱼卷", 36), ("Miso Soup 味噌汤", 15), ("Edamame 毛豆", 12),
      ("Tempura 天妇罗", 39)]),
    ("pizza", "Pizza House", "披萨屋", "Italian 意餐",
     [("Margherita Pizza 玛格丽特披萨", 68), ("Pepperoni Pizza 意式香肠披萨", 78), ("Caesar Salad 凯撒沙拉", 36),
      ("Garlic Bread 蒜香面包", 18), ("Tiramisu 提拉米苏", 32)]),
    ("noodle", "Lanzhou Noodles", "兰州拉面", "Noodles 面食",
     [("Beef Noodle Soup 牛肉拉面", 26), ("Fried Noodles 炒面", 24), ("Lamb Skewers 羊肉串", 30),
      ("Cold Noodles 凉面", 18), ("Braised Egg 卤蛋", 4)]),
    ("duck", "Peking Duck Palace", "北京烤鸭店", "Beijing 京菜",
     [("Roast Duck (half) 烤鸭半只", 98), ("Pancakes 荷叶饼", 10), ("Duck Soup 鸭架汤", 20),
      ("Stir-fried Greens 清炒时蔬", 26), ("Zhajiang Noodles 炸酱面", 28)]),
    ("salad", "Green Bowl", "轻食沙拉", "Healthy 轻食",
     [("Chicken Salad 鸡胸肉沙拉", 42), ("Quinoa Bowl 藜麦碗", 45), ("Fruit Cup 水果杯", 22), ("Smoothie 奶昔", 25),
      ("Avocado Toast 牛油果吐司", 35)]),
]
TIMES = ["17:00", "17:30", "18:00", "18:30", "19:00", "19:30", "20:00", "20:30", "21:00"]


class Dish(BaseModel):
    id: str
    name: str
    price_cents: int


class Place(BaseModel):
    id: str
    name: str
    cuisine: str
    rating: float
    menu: list[Dish]

    def dish(self, dish_id: str) -> Dish:
        return next(d for d in self.menu if d.id == dish_id)


class Reservation(BaseModel):
    id: str
    restaurant_id: str
    restaurant: str
    date: dt.date
    time: str
    party: int
    name: str
    phone: str
    status: str = "confirmed"


class FoodLine(BaseModel):
    dish_id: str
    name: str
    qty: int
    unit_cents: int


class FoodOrder(BaseModel):
    id: str
    restaurant_id: str
    restaurant: str
    lines: list[FoodLine]
    address: str
    total_cents: int
    payment_id: str
    status: str = "paid"


class RestaurantState(BaseModel):
    restaurants: list[Place]
    reservations: list[Reservation] = Field(default_factory=list)
    orders: list[FoodOrder] = Field(default_factory=list)
    basket: dict[str, int] = Field(default_factory=dict)  # dish id -> quantity, for basket_restaurant
    basket_restaurant: str | None = None
    name: str = ""
    phone: str = ""
    address: str = ""

    def place(self, restaurant_id: str) -> Place:
        return next(p for p in self.restaurants if p.id == restaurant_id)


DELIVERY_FEE = 500


class Restaurant(App):
    package = "com.autoagent.restaurant"
    label = "Restaurant"
    label_zh = "餐厅"
    letter = "餐"
    aliases = ("food", "dining", "美食", "外卖", "订餐")
    permission = "access this device's location"
    shows_ads = True

    def make_state(self) -> RestaurantState:
        places = []
        for pid, en, zh, cuisine, menu in _PLACES:
            dishes = [Dish(id=f"{pid}-{i}", name=name, price_cents=int(price * self.rng.uniform(0.9, 1.2)) * 100)
                      for i, (name, price) in enumerate(menu)]
            places.append(Place(id=pid, name=f"{en} {zh}", cuisine=cuisine,
                                rating=round(self.rng.uniform(3.9, 4.9), 1), menu=dishes))
        self.rng.shuffle(places)
        return RestaurantState(restaurants=places)

    @property
    def food(self) -> RestaurantState:
        return self.state  # type: ignore[return-value]

    def screen_title(self, screen: Screen) -> str:
        return {"home": "Restaurant 餐厅", "place": "Restaurant 餐厅详情", "reserve": "Reserve 预订餐位",
                "menu": "Menu 菜单", "food_checkout": "Checkout 确认订单", "mine": "Mine 我的"}.get(
            screen.name, "Restaurant 餐厅")

    def _tabs(self, ui: UI, current: str) -> None:
        tab_bar(ui, [("tab_home", "Restaurants 餐厅", lambda: self.reset_to("home")),
                     ("tab_mine", "Bookings & orders 我的", lambda: self.reset_to("mine"))], current)

    def screen_home(self, ui: UI) -> None:
        self.app_bar(ui, "Restaurant 餐厅")
        self._tabs(ui, "tab_home")
        ui.text("Nearby 附近餐厅", size=40, bold=True)
        with ui.scroll("places", rid="restaurant_list"):
            for place in self.food.restaurants:
                card(ui, place.name, [f"{place.cuisine} · ★ {place.rating}", "Open 营业中 · 1.2 km"],
                     lambda p=place: self.open("place", load="place", restaurant_id=p.id), rid="restaurant_item",
                     letter=place.name.split()[-1][0], color="#E8A317", title_rid="restaurant_name")

    def screen_place(self, ui: UI, restaurant_id: str) -> None:
        place = self.food.place(restaurant_id)
        self.app_bar(ui, "Restaurant 餐厅详情")
        two_buttons(ui, ("Reserve a table 预订餐位", lambda: self.open("reserve", restaurant_id=place.id,
                                                                      day=0, time=None, party=self.usual_party()),
                     "reserve_button"),
                    ("Order food 点餐", lambda: self.open("menu", restaurant_id=place.id), "order_food_button"))
        ui.gap(30)
        ui.text(place.name, size=52, bold=True, wrap=True, rid="restaurant_title")
        ui.text(f"{place.cuisine} · ★ {place.rating} · ¥{place.menu[0].price_cents // 100 + 40} per person 人均",
                size=36, color=theme.TEXT_2)
        ui.divider("Popular 招牌菜")
        for dish in place.menu[:3]:
            ui.row(dish.name, trailing=money(dish.price_cents), chevron=False, rid="popular_dish")

    def screen_reserve(self, ui: UI, restaurant_id: str, day: int, time: str | None, party: int) -> None:
        place = self.food.place(restaurant_id)
        params = self.top.params
        self.app_bar(ui, "Reserve 预订餐位")
        action_bar(ui, f"{party} people 位", "Confirm reservation 确认预订", lambda: self._reserve(place),
                   rid="confirm_reservation_button")
        with ui.scroll("reserve", rid="reservation_form"):
            ui.text(place.name, size=44, bold=True, rid="restaurant_title")
            ui.divider("Date 日期")
            days = []
            for i in range(7):
                d = TODAY + dt.timedelta(days=i)
                tag = "Today 今天" if i == 0 else ("Tomorrow 明天" if i == 1 else d.strftime("%a"))
                days.append((str(i), f"{tag} {d.month}/{d.day}"))
            ui.chips(days, str(day), lambda v: params.__setitem__("day", int(v)), "date_")
            ui.divider("Time 时间")
            ui.chips([(t, t) for t in TIMES], time, lambda v: params.__setitem__("time", v), "time_")
            ui.divider("Party size 人数")
            ui.stepper("Guests 人数", party, (lambda: params.__setitem__("party", party - 1)) if party > 1 else None,
                       (lambda: params.__setitem__("party", party + 1)) if party < 12 else None, rid="party")
            ui.divider("Contact 联系人")
            s = self.food
            ui.edit("contact_name", s.name, lambda v: setattr(s, "name", v), hint="Name 姓名")
            ui.gap(16)
            ui.edit("contact_phone", s.phone, lambda v: setattr(s, "phone", v), hint="Phone 手机号")

    def _reserve(self, place: Place) -> None:
        params = self.top.params
        s = self.food
        if not params.get("time"):
            self.toast("Choose a time 请选择时间")
            return
        if not s.name.strip() or not s.phone.strip():
            self.toast("Enter your name and phone 请填写姓名和手机号")
            return
        self.set_focus(None)
        reservation = Reservation(id=f"R{self.rng.randrange(10000, 99999)}", restaurant_id=place.id,
                                  restaurant=place.name, date=TODAY + dt.timedelta(days=params["day"]),
                                  time=params["time"], party=params["party"], name=s.name, phone=s.phone)
        s.reservations.append(reservation)
        self.replace("reserved", load="reserve", reservation_id=reservation.id)

    def screen_reserved(self, ui: UI, reservation_id: str) -> None:
        r = next(r for r in self.food.reservations if r.id == reservation_id)
        self.app_bar(ui, "Reserved 预订成功")
        success_block(ui, "Table reserved 预订成功", f"{r.restaurant}",
                      f"{r.date.month}/{r.date.day} {r.time} · {r.party} 位")
        ui.button("Done 完成", lambda: self.reset_to("mine"), rid="done_button")

    def screen_menu(self, ui: UI, restaurant_id: str) -> None:
        place = self.food.place(restaurant_id)
        s = self.food
        if s.basket_restaurant != restaurant_id:
            basket: dict[str, int] = {}
        else:
            basket = s.basket
        self.app_bar(ui, "Menu 菜单")
        total = sum(place.dish(d).price_cents * q for d, q in basket.items())
        count = sum(basket.values())
        action_bar(ui, f"{count} items 件 {money(total)}", "Checkout 去结算",
                   lambda: self.open("food_checkout", restaurant_id=restaurant_id), rid="food_checkout_button",
                   summary_rid="basket_total", enabled=count > 0)
        with ui.scroll("menu", rid="menu_list"):
            ui.text(place.name, size=44, bold=True)
            for i, dish in enumerate(place.menu):
                qty = basket.get(dish.id, 0)
                ui.text(f"{dish.name}  {money(dish.price_cents)}", size=40, rid="dish_name")
                ui.stepper("Quantity 数量", qty, (lambda d=dish: self._basket(place, d, -1)) if qty else None,
                           lambda d=dish: self._basket(place, d, 1), rid=f"dish_{i}")
                ui.gap(20)

    def _basket(self, place: Place, dish: Dish, delta: int) -> None:
        s = self.food
        if s.basket_restaurant != place.id:
            s.basket_restaurant, s.basket = place.id, {}
        qty = s.basket.get(dish.id, 0) + delta
        if qty <= 0:
            s.basket.pop(dish.id, None)
        else:
            s.basket[dish.id] = qty

    def screen_food_checkout(self, ui: UI, restaurant_id: str) -> None:
        place = self.food.place(restaurant_id)
        s = self.food
        lines = [FoodLine(dish_id=d, name=place.dish(d).name, qty=q, unit_cents=place.dish(d).price_cents)
                 for d, q in s.basket.items()] if s.basket_restaurant == restaurant_id else []
        total = sum(l.unit_cents * l.qty for l in lines) + DELIVERY_FEE
        self.app_bar(ui, "Checkout 确认订单")
        action_bar(ui, f"Total 合计 {money(total)}", "Place order 提交订单",
                   lambda: self._order(place, lines, total), rid="place_order_button", summary_rid="order_total",
                   enabled=bool(lines))
        with ui.scroll("food_checkout", rid="food_checkout_form"):
            ui.divider("Deliver to 送餐地址")
            ui.edit("delivery_address", s.address, lambda v: setattr(s, "address", v),
                    hint="Delivery address 送餐地址")
            ui.divider(place.name)
            for line in lines:
                ui.row(line.name, subtitle=f"x{line.qty}", trailing=money(line.unit_cents * line.qty), chevron=False,
                       rid="food_line")
            ui.row("Delivery fee 配送费", trailing=money(DELIVERY_FEE), chevron=False)

    def _order(self, place: Place, lines: list[FoodLine], total: int) -> None:
        s = self.food
        if not s.address.strip():
            self.toast("Enter a delivery address 请填写送餐地址")
            return
        self.set_focus(None)
        order_id = f"FO{self.rng.randrange(100000, 999999)}"

        def paid(payment: Payment) -> None:
            s.orders.append(FoodOrder(id=order_id, restaurant_id=place.id, restaurant=place.name, lines=lines,
                                      address=s.address, total_cents=total, payment_id=payment.id))
            s.basket, s.basket_restaurant = {}, None
            self.reset_to("food_done", load="pay", order_id=order_id)

        item = f"{place.name}: " + "; ".join(f"{l.name} x{l.qty}" for l in lines)
        self.request_payment(total, item, order_id, paid)

    def screen_food_done(self, ui: UI, order_id: str) -> None:
        order = next(o for o in self.food.orders if o.id == order_id)
        self.app_bar(ui, "Order placed 下单成功")
        success_block(ui, "Payment successful 支付成功", f"Order 订单号 {order.id}", money(order.total_cents))
        ui.button("Done 完成", lambda: self.reset_to("mine"), rid="done_button")

    def screen_mine(self, ui: UI) -> None:
        self.app_bar(ui, "Mine 我的")
        self._tabs(ui, "tab_mine")
        s = self.food
        if not s.reservations and not s.orders:
            ui.gap(300)
            ui.text("No bookings or orders yet 暂无预订和订单", size=42, align="center", rid="empty")
            return
        with ui.scroll("mine", rid="mine_list"):
            for r in reversed(s.reservations):
                ui.row(f"Table 餐位 · {r.restaurant}", subtitle=f"{r.date.isoformat()} {r.time} · {r.party} people 位",
                       chevron=False, rid="reservation_item", height=180)
            for o in reversed(s.orders):
                ui.row(f"Order 订单 · {o.restaurant}", subtitle=", ".join(f"{l.name} x{l.qty}" for l in o.lines),
                       trailing=money(o.total_cents), chevron=False, rid="food_order_item", height=180)
