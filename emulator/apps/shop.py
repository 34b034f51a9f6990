"""商城 Shop (com.autoagent.shop): search, product page, cart, checkout, payment, orders."""

from __future__ import annotations

from pydantic import BaseModel, Field

from emulator import theme
from emulator.apps.base import App, Screen
from emulator.apps.common import action_bar, card, matches, success_block, tab_bar, two_buttons
from emulator.models import Payment, money
from emulator.widgets import UI, Node
from emulator.widgets import Field as TextField

CLOTHES = ["S", "M", "L", "XL"]
SHOES = ["38", "39", "40", "41", "42", "43", "44"]
COLOURS = {"White": "白色", "Black": "黑色", "Blue": "蓝色", "Grey": "灰色", "Red": "红色", "Green": "绿色"}

# (id, English, Chinese, base price in yuan, sizes, colours, keywords)
_CATALOGUE: list[tuple[str, str, str, float, list[str], list[str], str]] = [
    ("tshirt-white", "White T-shirt", "白色T恤", 59, CLOTHES, ["White"], "tee cotton 短袖 上衣"),
    ("tshirt-black", "Black T-shirt", "黑色T恤", 59, CLOTHES, ["Black"], "tee cotton 短袖 上衣"),
    ("tshirt-striped", "Striped T-shirt", "条纹T恤", 79, CLOTHES, ["Blue", "Red"], "tee 短袖 上衣"),
    ("tshirt-graphic", "Graphic T-shirt", "印花T恤", 89, CLOTHES, ["White", "Black", "Grey"], "tee print 短袖"),
    ("tshirt-kids", "Kids T-shirt", "儿童T恤", 45, ["110", "120", "130", "140"], ["White", "Blue"], "tee child 童装"),
    ("tshirt-2pack", "White T-shirt 2-pack", "白色T恤两件装", 99, CLOTHES, ["White"], "tee 短袖 套装"),
    ("tshirt-sport", "Sport T-shirt", "运动T恤", 109, CLOTHES, ["Black", "Blue", "Green"], "tee dry 速干"),
    ("polo", "Polo Shirt", "Polo衫", 129, CLOTHES, ["White", "Blue", "Black"], "shirt 上衣"),
    ("linen-shirt", "Linen Shirt", "亚麻衬衫", 159, CLOTHES, ["White", "Blue"], "shirt 衬衫"),
    ("hoodie", "Hoodie", "连帽卫衣", 199, CLOTHES, ["Grey", "Black"], "sweater 卫衣"),
    ("jeans", "Blue Jeans", "蓝色牛仔裤", 239, ["28", "30", "32", "34", "36"], ["Blue"], "denim pants 裤子"),
    ("shoes-run", "Running Shoes", "跑步鞋", 399, SHOES, ["White", "Black", "Red"], "sneakers 运动鞋"),
    ("socks", "Cotton Socks 3 pairs", "棉袜三双装", 29, ["M", "L"], ["White", "Black", "Grey"], "袜子"),
    ("earbuds", "Wireless Earbuds", "无线耳机", 299, [], ["White", "Black"], "headphones bluetooth 蓝牙 耳机"),
    ("phone-case", "Phone Case", "手机壳", 39, [], ["Black", "Blue", "Red"], "cover 保护壳"),
    ("usb-cable", "USB-C Cable", "USB-C数据线", 25, [], ["White"], "charger 充电线"),
    ("coffee", "Coffee Beans 500g", "咖啡豆500克", 88, [], [], "咖啡"),
    ("green-tea", "Green Tea", "绿茶", 68, [], [], "tea 茶叶"),
    ("mug", "Coffee Mug", "马克杯", 35, [], ["White", "Black", "Blue"], "cup 杯子"),
    ("bottle", "Water Bottle", "保温水杯", 79, [], ["Grey", "Green", "Blue"], "thermos cup 杯子"),
    ("umbrella", "Umbrella", "雨伞", 49, [], ["Black", "Blue"], "rain 伞"),
    ("backpack", "Backpack", "双肩包", 189, [], ["Black", "Grey"], "bag 背包"),
    ("notebook", "Notebook", "笔记本", 15, [], [], "paper 本子"),
    ("lamp", "Desk Lamp", "台灯", 129, [], ["White", "Black"], "light 灯"),
    ("yoga-mat", "Yoga Mat", "瑜伽垫", 99, [], ["Green", "Blue", "Grey"], "sport 运动"),
    ("scarf", "Wool Scarf", "羊毛围巾", 139, [], ["Red", "Grey"], "winter 冬季"),
]

_PALETTE = ["#FF7A45", "#36CFC9", "#597EF7", "#9254DE", "#F759AB", "#73D13D", "#FFC53D", "#40A9FF"]


class Product(BaseModel):
    id: str
    name: str  # "White T-shirt 白色T恤"
    name_en: str
    name_zh: str
    price_cents: int
    sizes: list[str]
    colours: list[str]
    keywords: str
    sold: int
    rating: float


class CartLine(BaseModel):
    product_id: str
    name: str
    size: str | None = None
    colour: str | None = None
    qty: int = 1
    unit_cents: int

    @property
    def total_cents(self) -> int:
        return self.unit_cents * self.qty

    def options(self) -> str:
        parts = []
        if self.size:
            parts.append(f"Size 尺码 {self.size}")
        if self.colour:
            parts.append(f"{self.colour} {COLOURS.get(self.colour, '')}".strip())
        return " · ".join(parts)


class Address(BaseModel):
    name: str = ""
    phone: str = ""
    address: str = ""


class Order(BaseModel):
    id: str
    lines: list[CartLine]
    address: Address
    delivery: str
    total_cents: int
    status: str = "paid"
    payment_id: str


class ShopState(BaseModel):
    catalogue: list[Product]  # in the order the home page lists them
    cart: list[CartLine] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    address: Address = Field(default_factory=Address)
    searches: list[str] = Field(default_factory=list)
    query: str = ""  # the search box
    delivery: str = "standard"

    def product(self, product_id: str) -> Product:
        return next(p for p in self.catalogue if p.id == product_id)

    def search(self, query: str) -> list[Product]:
        return [p for p in self.catalogue if matches(query, p.name_en, p.name_zh, p.keywords, shop=True)]


DELIVERY = {"standard": ("Standard 标准配送", 0), "express": ("Express 加急配送", 1200)}


class Shop(App):
    package = "com.autoagent.shop"
    label = "Shop"
    label_zh = "商城"
    letter = "商"
    aliases = ("mall", "store", "购物", "商店")
    permission = "send you notifications"
    shows_ads = True

    def make_state(self) -> ShopState:
        products = []
        for i, (pid, en, zh, base, sizes, colours, keywords) in enumerate(_CATALOGUE):
            # Seeds move prices a little (always ending in .00 or .90) and reorder the list.
            price = int(base * self.rng.uniform(0.85, 1.15))
            cents = price * 100 + (90 if self.rng.random() < 0.5 else 0)
            products.append(Product(id=pid, name=f"{en} {zh}", name_en=en, name_zh=zh, price_cents=cents,
                                    sizes=list(sizes), colours=list(colours), keywords=keywords,
                                    sold=self.rng.randrange(50, 20000), rating=round(self.rng.uniform(4.0, 5.0), 1)))
        self.rng.shuffle(products)
        return ShopState(catalogue=products)

    @property
    def shop(self) -> ShopState:
        return self.state  # type: ignore[return-value]

    def screen_title(self, screen: Screen) -> str:
        return {"home": "Shop 商城", "search": "Search 搜索", "results": "Results 搜索结果",
                "product": "Product 商品详情", "cart": "Cart 购物车", "checkout": "Checkout 确认订单",
                "confirmation": "Order placed 下单成功", "orders": "My orders 我的订单",
                "order": "Order 订单详情"}.get(screen.name, self.label)

    # -- screens ------------------------------------------------------------------------
    def _tabs(self, ui: UI, current: str) -> None:
        count = sum(line.qty for line in self.shop.cart)
        tab_bar(ui, [("tab_home", "Home 首页", lambda: self.reset_to("home")),
                     ("tab_cart", f"Cart 购物车 ({count})" if count else "Cart 购物车",
                      lambda: self.reset_to("cart")),
                     ("tab_orders", "Orders 订单", lambda: self.reset_to("orders"))], current)

    def _open_search(self) -> None:
        screen = self.open("search")
        screen.focus = "search_input"

    def screen_home(self, ui: UI) -> None:
        self.app_bar(ui, "Shop 商城")
        self._tabs(ui, "tab_home")
        ui.gap(24)
        box = ui.put(ui_search_box(ui, self._open_search))
        self._home_box_field(ui, box)
        ui.gap(24)
        ui.text("Recommended 为你推荐", size=40, bold=True, rid="section_title")
        with ui.scroll("home_list", rid="product_list"):
            for product in self.shop.catalogue:
                self._product_card(ui, product)

    # The home search bar is an EditText: tapping it opens the search page, but text set on the
    # node itself (accessibility ACTION_SET_TEXT, which uiautomator's setText uses) stays in it,
    # and Enter then searches for that text.
    home_box: str = ""

    def _home_box_field(self, ui: UI, box: Node) -> None:
        ui.fields["search_box"] = TextField("search_box", lambda: self.home_box, self._set_home_box,
                                            submit=self._search_home_box)
        if self.home_box:
            box.text, box.fg = self.home_box, theme.TEXT
        box.focused = self.focus == "search_box"

    def _set_home_box(self, value: str) -> None:
        self.home_box = value

    def _search_home_box(self) -> None:
        self.shop.query = self.home_box
        self._do_search()

    def _product_card(self, ui: UI, product: Product) -> None:
        color = _PALETTE[sum(map(ord, product.id)) % len(_PALETTE)]
        card(ui, product.name, [f"★ {product.rating}  ·  {product.sold} sold 已售"],
             lambda: self.open("product", load="product", product_id=product.id), rid="product_item",
             letter=product.name_zh[0], color=color, trailing=money(product.price_cents),
             title_rid="product_name", trailing_rid="product_price")

    def screen_search(self, ui: UI) -> None:
        self.app_bar(ui, "Search 搜索")
        ui.gap(30)
        ui.edit("search_input", self.shop.query, self._set_query, hint="Search products 搜索商品",
                submit=self._do_search, right=800)
        ui.y -= 130
        ui.button("Search 搜索", self._do_search, rid="search_button", left=820, height=130, size=38)
        ui.gap(30)
        if self.shop.searches:
            ui.text("Recent searches 最近搜索", size=36, color=theme.TEXT_2)
            recent = list(dict.fromkeys(reversed(self.shop.searches)))[:6]
            ui.chips([(q, q) for q in recent], None, self._search_for, "recent_")

    def _set_query(self, value: str) -> None:
        self.shop.query = value

    def _search_for(self, query: str) -> None:
        self.shop.query = query
        self._do_search()

    def _do_search(self) -> None:
        query = self.shop.query.strip()
        if not query:
            self.toast("Type something to search 请输入搜索内容")
            return
        self.shop.searches.append(query)
        self.set_focus(None)
        self.open("results", load="search", query=query)

    def screen_results(self, ui: UI, query: str) -> None:
        self.app_bar(ui, f"“{query}”")
        found = self.shop.search(query)
        ui.gap(10)
        ui.text(f"{len(found)} results 共{len(found)}件商品", size=36, color=theme.TEXT_2, rid="result_count")
        if not found:
            ui.gap(200)
            ui.text("No products found 没有找到相关商品", size=42, align="center", rid="empty")
            return
        with ui.scroll("results", rid="results_list"):
            for product in found:
                self._product_card(ui, product)

    def screen_product(self, ui: UI, product_id: str, size: str | None = None, colour: str | None = None,
                       qty: int = 1) -> None:
        product = self.shop.product(product_id)
        params = self.top.params
        if colour is None and len(product.colours) == 1:
            params["colour"] = colour = product.colours[0]
        self.app_bar(ui, "Product 商品详情", [("Cart 购物车", lambda: self.open("cart"), "cart_button")])
        two_buttons(ui, ("Add to cart 加入购物车", lambda: self._add(product, False), "add_to_cart_button"),
                    ("Buy now 立即购买", lambda: self._add(product, True), "buy_now_button"))
        with ui.scroll("product", rid="product_detail"):
            color = _PALETTE[sum(map(ord, product.id)) % len(_PALETTE)]
            from emulator.widgets import Node
            ui.put(Node(ui.box(500, 0, theme.WIDTH), cls="android.widget.ImageView", rid="product_image",
                        desc=product.name, bg=color, icon="letter:" + product.name_zh[0]))
            ui.gap(20)
            ui.text(money(product.price_cents), size=64, bold=True, color=theme.PRIMARY, rid="price")
            ui.text(product.name, size=48, bold=True, rid="product_title", wrap=True)
            ui.text(f"★ {product.rating}  ·  {product.sold} sold 已售  ·  Free returns 七天无理由退货", size=34,
                    color=theme.TEXT_2, wrap=True)
            if product.sizes:
                ui.divider("Size 尺码")
                ui.chips([(s, s) for s in product.sizes], size, lambda v: self._choose("size", v), "size_")
            if product.colours:
                ui.divider("Colour 颜色")
                ui.chips([(c, f"{c} {COLOURS[c]}") for c in product.colours], colour,
                         lambda v: self._choose("colour", v), "colour_")
            ui.divider("Quantity 数量")
            ui.stepper("Quantity 数量", qty, (lambda: self._choose("qty", qty - 1)) if qty > 1 else None,
                       (lambda: self._choose("qty", qty + 1)) if qty < 10 else None, rid="quantity")
            ui.divider("Details 商品详情")
            ui.text(f"{product.name_en}: comfortable, durable and easy to care for. {product.name_zh}，品质保证，"
                    "全国包邮，48小时内发货。", size=36, wrap=True, color=theme.TEXT_2)

    def _choose(self, key: str, value: object) -> None:
        self.top.params[key] = value

    def _add(self, product: Product, buy_now: bool) -> None:
        params = self.top.params
        size, colour, qty = params.get("size"), params.get("colour"), params.get("qty", 1)
        if product.sizes and not size:
            self.toast("Please choose a size 请选择尺码")
            return
        if product.colours and not colour:
            self.toast("Please choose a colour 请选择颜色")
            return
        line = CartLine(product_id=product.id, name=product.name, size=size, colour=colour, qty=qty,
                        unit_cents=product.price_cents)
        if buy_now:
            self.open("checkout", lines=[line.model_dump()], from_cart=False)
            return
        for existing in self.shop.cart:
            if (existing.product_id, existing.size, existing.colour) == (line.product_id, line.size, line.colour):
                existing.qty += qty
                break
        else:
            self.shop.cart.append(line)
        self.toast("Added to cart 已加入购物车")

    def screen_cart(self, ui: UI) -> None:
        self.app_bar(ui, "Cart 购物车")
        self._tabs(ui, "tab_cart")
        cart = self.shop.cart
        if not cart:
            ui.gap(300)
            ui.text("Your cart is empty 购物车是空的", size=44, align="center", rid="empty")
            ui.gap(40)
            ui.button("Go shopping 去逛逛", lambda: self.reset_to("home"), rid="go_shopping_button",
                      left=240, right=840)
            return
        total = sum(line.total_cents for line in cart)
        action_bar(ui, f"Total 合计 {money(total)}", "Checkout 去结算",
                   lambda: self.open("checkout", lines=None, from_cart=True), rid="checkout_button",
                   summary_rid="cart_total")
        with ui.scroll("cart", rid="cart_list"):
            for i, line in enumerate(cart):
                from emulator.widgets import Node
                row = Node((0, ui.y, theme.WIDTH, ui.y + 330), cls="android.widget.LinearLayout", rid="cart_item",
                           bg=theme.SURFACE, border=theme.DIVIDER)
                with ui.group(row):
                    top = ui.y
                    row.add(Node((40, top + 20, 1040, top + 90), cls="android.widget.TextView", text=line.name,
                                 rid="cart_item_name", size=42, bold=True))
                    row.add(Node((40, top + 90, 1040, top + 145), cls="android.widget.TextView",
                                 text=line.options() or "—", rid="cart_item_options", size=34, fg=theme.TEXT_2))
                    row.add(Node((40, top + 150, 400, top + 220), cls="android.widget.TextView",
                                 text=money(line.unit_cents), size=40, fg=theme.PRIMARY, bold=True))
                    ui.y = top + 230
                    ui.stepper("Quantity 数量", line.qty,
                               (lambda l=line: self._set_qty(l, l.qty - 1)),
                               (lambda l=line: self._set_qty(l, l.qty + 1)) if line.qty < 10 else None,
                               rid=f"cart_qty_{i}", height=100)
                    row.add(Node((800, top + 150, 1040, top + 220), cls="android.widget.Button",
                                 text="Remove 删除", rid=f"cart_remove_{i}", clickable=True, size=34, fg=theme.DANGER,
                                 align="right", on_tap=lambda l=line: self._remove(l)))
                ui.gap(16)

    def _set_qty(self, line: CartLine, qty: int) -> None:
        if qty <= 0:
            self._remove(line)
        else:
            line.qty = qty

    def _remove(self, line: CartLine) -> None:
        self.shop.cart = [l for l in self.shop.cart if l is not line]
        self.toast("Removed 已删除")

    def _checkout_lines(self, lines: list[dict] | None) -> list[CartLine]:
        if lines is None:
            return self.shop.cart
        return [CartLine(**line) for line in lines]

    def screen_checkout(self, ui: UI, lines: list[dict] | None, from_cart: bool) -> None:
        items = self._checkout_lines(lines)
        self.app_bar(ui, "Checkout 确认订单")
        fee = DELIVERY[self.shop.delivery][1]
        total = sum(line.total_cents for line in items) + fee
        action_bar(ui, f"Total 合计 {money(total)}", "Place order 提交订单",
                   lambda: self._place_order(items, total, from_cart), rid="place_order_button",
                   summary_rid="order_total", enabled=bool(items))
        address = self.shop.address
        with ui.scroll("checkout", rid="checkout_form"):
            ui.divider("Delivery address 收货地址")
            ui.edit("address_name", address.name, lambda v: setattr(address, "name", v),
                    hint="Recipient name 收货人")
            ui.gap(16)
            ui.edit("address_phone", address.phone, lambda v: setattr(address, "phone", v),
                    hint="Phone number 手机号")
            ui.gap(16)
            ui.edit("address_line", address.address, lambda v: setattr(address, "address", v),
                    hint="Street address 详细地址")
            ui.divider("Delivery 配送方式")
            ui.chips([(k, f"{label} {money(fee_) if fee_ else 'Free 免费'}") for k, (label, fee_) in DELIVERY.items()],
                     self.shop.delivery, lambda v: setattr(self.shop, "delivery", v), "delivery_")
            ui.divider("Items 商品")
            for line in items:
                ui.row(line.name, subtitle=f"{line.options()}  x{line.qty}".strip(), trailing=money(line.total_cents),
                       rid="checkout_item", chevron=False)

    def _place_order(self, items: list[CartLine], total: int, from_cart: bool) -> None:
        address = self.shop.address
        missing = [label for label, value in (("name 收货人", address.name), ("phone 手机号", address.phone),
                                             ("address 地址", address.address)) if not value.strip()]
        if missing:
            self.toast("Please fill in " + ", ".join(missing) + " 请填写收货信息")
            return
        self.set_focus(None)
        order_id = f"SO{self.rng.randrange(100000, 999999)}"
        description = "; ".join(f"{l.name} {l.options()} x{l.qty}".replace("  ", " ") for l in items)
        snapshot = [l.model_copy() for l in items]

        def paid(payment: Payment) -> None:
            order = Order(id=order_id, lines=snapshot, address=address.model_copy(), delivery=self.shop.delivery,
                          total_cents=total, payment_id=payment.id)
            self.shop.orders.append(order)
            if from_cart:
                self.shop.cart = []
            self.reset_to("confirmation", load="pay", order_id=order_id)

        self.request_payment(total, description, order_id, paid)

    def screen_confirmation(self, ui: UI, order_id: str) -> None:
        self.app_bar(ui, "Order placed 下单成功")
        order = next(o for o in self.shop.orders if o.id == order_id)
        success_block(ui, "Payment successful 支付成功", f"Order 订单号 {order.id}", money(order.total_cents))
        ui.button("View orders 查看订单", lambda: self.reset_to("orders"), rid="view_orders_button")
        ui.gap(20)
        ui.button("Continue shopping 继续购物", lambda: self.reset_to("home"), rid="continue_button",
                  style="secondary")

    def screen_orders(self, ui: UI) -> None:
        self.app_bar(ui, "My orders 我的订单")
        self._tabs(ui, "tab_orders")
        if not self.shop.orders:
            ui.gap(300)
            ui.text("No orders yet 暂无订单", size=44, align="center", rid="empty")
            return
        with ui.scroll("orders", rid="order_list"):
            for order in reversed(self.shop.orders):
                first = order.lines[0]
                more = f" +{len(order.lines) - 1}" if len(order.lines) > 1 else ""
                card(ui, f"{first.name}{more}", [f"{first.options()} x{first.qty}", f"Order 订单 {order.id} · Paid 已支付"],
                     lambda o=order: self.open("order", order_id=o.id), rid="order_item", letter=first.name.split()[-1][0],
                     color=theme.PRIMARY, height=330, trailing=money(order.total_cents), title_rid="order_title")

    def screen_order(self, ui: UI, order_id: str) -> None:
        order = next(o for o in self.shop.orders if o.id == order_id)
        self.app_bar(ui, "Order 订单详情")
        with ui.scroll("order"):
            ui.row(f"Order 订单号 {order.id}", subtitle="Paid 已支付", chevron=False, rid="order_id")
            for line in order.lines:
                ui.row(line.name, subtitle=f"{line.options()} x{line.qty}", trailing=money(line.total_cents),
                       chevron=False, rid="order_line")
            ui.row("Deliver to 收货地址", subtitle=f"{order.address.name} {order.address.phone} {order.address.address}",
                   chevron=False)
            ui.row("Total 合计", trailing=money(order.total_cents), chevron=False, rid="order_total")


def ui_search_box(ui: UI, on_tap) -> "Node":  # noqa: F821
    from emulator.widgets import Node
    box = Node(ui.box(120), cls="android.widget.EditText", rid="search_box", text="Search products 搜索商品",
               clickable=True, focusable=True, bg=theme.SURFACE, border=theme.BORDER, radius=60, pad=90,
               fg=theme.HINT, size=38, icon="search", icon_color=theme.HINT, on_tap=on_tap)
    return box
