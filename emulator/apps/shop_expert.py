"""The expert's strategy in the Shop: search, open the product, pick size, colour and
quantity, then buy (fill the address, place the order) or only add to the cart."""

from __future__ import annotations

from dataclasses import dataclass

from autoagent.actions import Action, Back
from emulator.apps.shop import Shop
from emulator.expertkit import Moves, Screen, Strategy


@dataclass(frozen=True)
class ShopPurchase:
    product_id: str
    size: str | None = None
    colour: str | None = None  # None: any colour (the first offered)
    qty: int = 1
    buy: bool = True  # False: put it in the cart and stop


def step(ex: Moves, s: Screen, app) -> tuple[str, Action]:
    spec = ex.spec
    assert isinstance(spec, ShopPurchase)
    shop = app.state
    product = shop.product(spec.product_id)
    query = ex.as_goal_writes(product.name_en, product.name_zh, plural=True)
    screen = app.top
    if screen.name == "home":
        return ex.press(s, "search_box", ("the search box", "搜索框"))
    if screen.name == "search":
        step = ex.fill(s, "search_input", shop.query, query, ("search", "搜索"))
        if step is not None:
            return step
        return ex.press(s, "search_button", ("Search", "搜索"))
    if screen.name == "results":
        if str(screen.params.get("query") or "").lower() != query.lower():
            return ex.say("These results are for another search; I go back.", "这不是要找的搜索结果，返回。"), Back()
        card = s.text(product.name, rid="product_name")
        if card is not None:
            return ex.say(f"I see {product.name_en}; I open it.", f"找到了{product.name_zh}，点开它。"), \
                ex.tap(s, card)
        return ex.seek(s, "results_list", (product.name_en, product.name_zh))
    if screen.name == "product":
        if screen.params.get("product_id") != spec.product_id:
            return ex.say("This is a different product; I go back.", "这是别的商品，返回。"), Back()
        size = spec.size
        if product.sizes and size and screen.params.get("size") != size:
            chip = s.id(f"size_{size}")
            if chip is None:
                return ex.seek(s, "product_detail", (f"Size {size}", f"{size}码"))
            return ex.say(f"I choose size {size}.", f"选择{size}码。"), ex.tap(s, chip)
        colour = spec.colour or (product.colours[0] if product.colours else None)
        if product.colours and screen.params.get("colour") != colour and \
                not (spec.colour is None and screen.params.get("colour")):
            chip = s.id(f"colour_{colour}")
            if chip is None:
                return ex.seek(s, "product_detail", (f"The colour {colour}", "颜色选项"))
            return ex.say(f"I choose {colour}.", "选择颜色。"), ex.tap(s, chip)
        step = ex.stepper(s, "quantity", int(screen.params.get("qty", 1)), spec.qty,
                             ("Quantity", "数量"), "product_detail")
        if step is not None:
            return step
        if spec.buy:
            return ex.press(s, "buy_now_button", ("Buy now", "立即购买"),
                               message=("Buy the product", "购买商品"))
        return ex.press(s, "add_to_cart_button", ("Add to cart", "加入购物车"))
    if screen.name == "checkout":
        if not spec.buy:
            return ex.say("I must not buy; I leave checkout.", "不要购买，离开结算页。"), Back()
        address = shop.address
        for rid, attr, what in (("address_name", "name", ("recipient name", "收货人")),
                                ("address_phone", "phone", ("phone number", "手机号")),
                                ("address_line", "address", ("address", "收货地址"))):
            step = ex.fill(s, rid, getattr(address, attr), getattr(ex.profile, attr), what, "checkout_form")
            if step is not None:
                return step
        return ex.press(s, "place_order_button", ("Place order", "提交订单"),
                           message=("Place the order and pay", "提交订单并付款"))
    return ex.home_tab(s)


def summary(ex: Moves) -> str:
    spec = ex.spec
    product = ex.phone.app_state("shop").product(spec.product_id)  # type: ignore[attr-defined]
    if spec.buy:
        return ex.say(f"Bought {spec.qty} x {product.name_en}.", f"已购买{spec.qty}件{product.name_zh}。")
    return ex.say(f"Added {spec.qty} x {product.name_en} to the cart.",
                  f"已把{spec.qty}件{product.name_zh}加入购物车。")


STRATEGIES = (Strategy(ShopPurchase, step, summary, app=lambda ex: Shop.package, pays=lambda spec: spec.buy),)
