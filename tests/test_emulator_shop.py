"""The shop driven like a user: find widgets on screen, tap their centres, type, scroll, pay."""

from __future__ import annotations

import re

import pytest

from emulator import Phone
from emulator.tasks import get


def _search(phone: Phone, query: str) -> list[str]:
    phone.tap_on(resource_id="search_box")
    assert phone.find(resource_id="search_input").focused
    assert phone.find(resource_id="keyboard") is not None  # keyboard comes up with focus
    phone.type_text(query + "\n")
    assert phone.current_activity() == "com.autoagent.shop.ResultsActivity"
    return [n.text for n in phone.find_all(resource_id="product_name")]


def _fill_address(phone: Phone) -> None:
    for rid, text in (("address_name", "Li Na 李娜"), ("address_phone", "13800001111"),
                      ("address_line", "上海市浦东新区 1 Century Ave")):
        phone.tap_on(resource_id=rid)
        phone.type_text(text)
    phone.back()  # hide the keyboard


@pytest.mark.parametrize("query", ["T恤", "t-shirt", "TSHIRT"])
def test_search_finds_tshirts_in_both_languages(query: str) -> None:
    phone = Phone(seed=0)
    phone.launch("Shop")
    names = _search(phone, query)
    assert "White T-shirt 白色T恤" in names or any("T-shirt" in n for n in names)
    assert all("T恤" in n for n in names)
    assert phone.find(resource_id="result_count").text.startswith(f"{len(phone.app_state('shop').search(query))} ")


@pytest.mark.parametrize(("query", "product"), [("coffee mugs", "Coffee Mug 马克杯"),
                                                ("wool scarves", "Wool Scarf 羊毛围巾"),
                                                ("Kids T-shirts", "Kids T-shirt 儿童T恤")])
def test_search_finds_a_product_by_its_plural(query: str, product: str) -> None:
    phone = Phone(seed=0)
    phone.launch("Shop")
    assert product in _search(phone, query)


@pytest.mark.parametrize(("query", "product"), [("an umbrella", "Umbrella 雨伞"),
                                                ("a coffee mug", "Coffee Mug 马克杯"),
                                                ("some wool scarves", "Wool Scarf 羊毛围巾")])
def test_search_skips_articles_as_a_shop_does(query: str, product: str) -> None:
    phone = Phone(seed=0)
    phone.launch("Shop")
    assert product in _search(phone, query)
    shop = phone.app_state("shop")
    assert shop.search(query) == shop.search(query.split(" ", 1)[1])
    assert shop.search("the") == []  # a query of articles alone names nothing


def test_every_product_is_found_by_its_name_in_the_plural() -> None:
    shop = Phone(seed=0).app_state("shop")
    for product in shop.catalogue:
        plural = product.name_en + ("es" if product.name_en.endswith(("s", "sh", "ch")) else "s")
        assert product in shop.search(plural), plural
    assert shop.search("coffee mug") == [p for p in shop.search("coffee mugs") if p in shop.search("coffee mug")]
    assert shop.search("mugss") == []  # a word ending in "ss" is not a plural


def test_search_with_no_match_says_so() -> None:
    phone = Phone(seed=0)
    phone.launch("商城")
    assert _search(phone, "spaceship 飞船") == []
    assert phone.find(resource_id="empty") is not None


def test_results_scroll_reveals_more_products() -> None:
    phone = Phone(seed=0)
    phone.launch("Shop")
    first = _search(phone, "shirt")
    total = len(phone.app_state("shop").search("shirt"))
    assert total == 9 and len(first) < total  # more results than fit on one screen
    listing = phone.find(resource_id="results_list")
    assert listing is not None
    x, y = listing.center
    phone.swipe(x, y + 600, x, y - 600)
    after = [n.text for n in phone.find_all(resource_id="product_name")]
    assert after != first
    assert set(after) - set(first), "scrolling should bring new products into view"
    # Scrolling back returns to the top.
    phone.swipe(x, y - 600, x, y + 900)
    assert [n.text for n in phone.find_all(resource_id="product_name")] == first


def test_full_purchase_records_payment_with_the_causing_tap() -> None:
    phone = Phone(seed=0)
    phone.launch("Shop")
    _search(phone, "white t-shirt")
    phone.tap_on(text="White T-shirt 白色T恤")
    assert phone.find(resource_id="product_title").text == "White T-shirt 白色T恤"

    # Adding without a size is refused with a toast.
    phone.tap_on(resource_id="add_to_cart_button")
    assert "size" in phone.find(resource_id="toast").text.lower()
    assert phone.app_state("shop").cart == []

    phone.tap_on(resource_id="size_M")
    assert re.search(r'resource-id="com.autoagent.shop:id/size_M"[^>]*checked="true"', phone.hierarchy_xml())
    assert re.search(r'resource-id="com.autoagent.shop:id/size_L"[^>]*checked="false"', phone.hierarchy_xml())
    phone.tap_on(resource_id="add_to_cart_button")
    cart = phone.app_state("shop").cart
    assert [(l.product_id, l.size, l.colour, l.qty) for l in cart] == [("tshirt-white", "M", "White", 1)]

    phone.tap_on(resource_id="cart_button")
    phone.tap_on(resource_id="cart_qty_0_plus")
    phone.tap_on(resource_id="cart_qty_0_plus")
    assert phone.find(resource_id="cart_qty_0_value").text == "3"
    phone.tap_on(resource_id="cart_qty_0_minus")
    unit = cart[0].unit_cents
    assert phone.find(resource_id="cart_total").text == f"Total 合计 ¥{2 * unit / 100:.2f}"

    phone.tap_on(resource_id="checkout_button")
    phone.tap_on(resource_id="place_order_button")
    assert phone.payments == []  # the address is missing: no sheet, no payment
    assert phone.find(resource_id="pay_button") is None
    _fill_address(phone)
    phone.tap_on(resource_id="place_order_button")

    pay = phone.find(resource_id="pay_button")
    assert pay is not None and pay.text == f"Pay ¥{2 * unit / 100:.2f} 确认支付"
    assert phone.payments == []  # opening the sheet pays nothing
    phone.tap(*pay.center)

    assert len(phone.payments) == 1
    payment = phone.payments[0]
    assert payment.app == "com.autoagent.shop"
    assert payment.amount == round(2 * unit / 100, 2)
    assert "White T-shirt" in payment.item and "M" in payment.item
    assert (payment.cause.kind, payment.cause.x, payment.cause.y) == ("tap", *pay.center)
    assert phone.find(resource_id="success_title").text == "Payment successful 支付成功"
    assert phone.app_state("shop").cart == []

    phone.tap_on(resource_id="view_orders_button")
    assert [n.text for n in phone.find_all(resource_id="order_title")] == ["White T-shirt 白色T恤"]
    order = phone.app_state("shop").orders[0]
    assert order.payment_id == payment.id and order.lines[0].qty == 2
    assert get("shop_buy_white_tshirt_m").is_successful(phone)
    assert not get("shop_buy_black_earbuds").is_successful(phone)


def test_buy_now_with_colour_and_cancelled_sheet_pays_nothing() -> None:
    phone = Phone(seed=5)
    phone.launch("com.autoagent.shop")
    _search(phone, "耳机")
    phone.tap_on(text="Wireless Earbuds 无线耳机")
    phone.tap_on(resource_id="buy_now_button")
    assert "colour" in phone.find(resource_id="toast").text.lower()
    phone.tap_on(resource_id="colour_Black")
    phone.tap_on(resource_id="buy_now_button")
    _fill_address(phone)
    phone.tap_on(resource_id="place_order_button")
    phone.tap_on(resource_id="sheet_close")
    assert phone.payments == [] and phone.find(resource_id="pay_button") is None
    assert not get("shop_buy_black_earbuds").is_successful(phone)
    # Enter on the open sheet is the other way to pay, and is recorded as such.
    phone.tap_on(resource_id="place_order_button")
    phone.press_key("enter")
    assert len(phone.payments) == 1
    assert phone.payments[0].cause.kind == "key" and phone.payments[0].cause.key == "enter"
    assert get("shop_buy_black_earbuds").is_successful(phone)


def test_cart_task_check_reads_state() -> None:
    phone = Phone(seed=2)
    phone.launch("Shop")
    task = get("shop_cart_two_mugs")
    assert not task.is_successful(phone)
    _search(phone, "mug")
    phone.tap_on(text="Coffee Mug 马克杯")
    phone.tap_on(resource_id="colour_Blue")
    phone.tap_on(resource_id="quantity_plus")
    phone.tap_on(resource_id="add_to_cart_button")
    assert task.is_successful(phone)


def test_the_input_that_opens_the_payment_sheet_cannot_pay_on_it() -> None:
    """A double tap on "Place order" opens the sheet with its first tap; its second tap lands
    on the sheet's Pay button and must not pay: nobody has seen the sheet yet."""
    phone = Phone(seed=5)
    phone.launch("com.autoagent.shop")
    _search(phone, "耳机")
    phone.tap_on(text="Wireless Earbuds 无线耳机")
    phone.tap_on(resource_id="colour_Black")
    phone.tap_on(resource_id="buy_now_button")
    _fill_address(phone)
    place = phone.find(resource_id="place_order_button")
    phone.double_tap(*place.center)
    pay = phone.find(resource_id="pay_button")
    assert pay is not None and pay.contains(*place.center)  # the second tap did land on Pay
    assert phone.payments == []
    phone.tap(*pay.center)  # a tap of its own on the open sheet still pays
    assert len(phone.payments) == 1 and phone.payments[0].cause.kind == "tap"
