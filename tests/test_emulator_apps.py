"""Travel, restaurant, settings, contacts and messages, driven through the screen."""

from __future__ import annotations

import datetime as dt

from emulator import Phone
from emulator.tasks import TASKS, get


def _type_into(phone: Phone, rid: str, text: str) -> None:
    phone.tap_on(resource_id=rid)
    phone.type_text(text)


def _scroll_to(phone: Phone, list_rid: str, **query) -> None:
    """Swipe a list up until a node matching ``query`` is fully inside it."""
    for _ in range(12):
        node = phone.find(**query)
        listing = phone.find(resource_id=list_rid)
        if node is not None and node.bounds[3] < listing.bounds[3] - 10 and node.bounds[1] > listing.bounds[1]:
            return
        x, y = listing.center
        phone.swipe(x, y + 300, x, y - 300)
    raise AssertionError(f"{query} never scrolled into view")


def test_hotel_booking_to_payment() -> None:
    phone = Phone(seed=4)
    phone.launch("旅行")
    phone.tap_on(resource_id="search_hotels_button")
    assert "destination" in phone.find(resource_id="toast").text.lower()
    phone.tap_on(resource_id="destination_field")
    phone.type_text("上海\n")
    assert phone.app_state("travel").destination == "Shanghai"
    phone.tap_on(resource_id="dates_field")
    phone.tap_on(resource_id="day_2025-06-10")  # the past is disabled
    assert phone.app_state("travel").check_in is None
    phone.tap_on(resource_id="day_2025-06-20")
    phone.tap_on(resource_id="day_2025-06-22")
    assert phone.find(resource_id="nights").text.startswith("2 nights")
    phone.tap_on(resource_id="dates_done_button")
    phone.tap_on(resource_id="adults_plus")
    phone.tap_on(resource_id="adults_minus")
    phone.tap_on(resource_id="rooms_plus")
    phone.tap_on(resource_id="rooms_minus")
    phone.tap_on(resource_id="search_hotels_button")
    hotels = phone.find_all(resource_id="hotel_name")
    assert hotels and all("Shanghai" in h.text and "上海" in h.text for h in hotels)
    phone.tap(*hotels[0].center)
    name = phone.find(resource_id="hotel_title").text
    phone.tap_on(resource_id="choose_deluxe")
    _type_into(phone, "guest_name", "Wang Fang")
    _type_into(phone, "guest_phone", "13812345678")
    phone.back()
    total = phone.find(resource_id="booking_total").text
    phone.tap_on(resource_id="book_button")
    assert phone.payments == []
    phone.tap_on(resource_id="pay_button")
    assert len(phone.payments) == 1 and phone.payments[0].app == "com.autoagent.travel"
    assert total.endswith(f"¥{phone.payments[0].amount:.2f}")
    booking = phone.app_state("travel").bookings[0]
    assert (booking.hotel, booking.nights, booking.adults, booking.room) == (name, 2, 2, "deluxe")
    assert booking.check_in == dt.date(2025, 6, 20)
    assert get("travel_book_shanghai").is_successful(phone)
    assert phone.find(resource_id="success_title").text.startswith("Booking confirmed")


def test_restaurant_reservation_without_payment() -> None:
    phone = Phone(seed=1)
    phone.launch("Restaurant")
    _scroll_to(phone, "restaurant_list", text="Sichuan Kitchen 川菜馆")
    phone.tap_on(text="Sichuan Kitchen 川菜馆")
    phone.tap_on(resource_id="reserve_button")
    phone.tap_on(resource_id="date_1")
    phone.tap_on(resource_id="time_19:00")
    phone.tap_on(resource_id="party_plus")
    phone.tap_on(resource_id="party_plus")
    _type_into(phone, "contact_name", "Zhou Min")
    phone.back()
    _scroll_to(phone, "reservation_form", resource_id="contact_phone")
    _type_into(phone, "contact_phone", "13700000000")
    phone.back()
    phone.tap_on(resource_id="confirm_reservation_button")
    assert phone.find(resource_id="success_title").text.startswith("Table reserved")
    assert phone.payments == []
    assert get("restaurant_reserve_sichuan").is_successful(phone)


def test_restaurant_food_order_to_payment() -> None:
    phone = Phone(seed=1)
    phone.launch("餐厅")
    _scroll_to(phone, "restaurant_list", text="Golden Dumpling House 金饺子馆")
    phone.tap_on(text="Golden Dumpling House 金饺子馆")
    phone.tap_on(resource_id="order_food_button")
    assert not phone.find(resource_id="food_checkout_button").enabled
    phone.tap_on(resource_id="dish_0_plus")
    phone.tap_on(resource_id="dish_0_plus")
    phone.tap_on(resource_id="food_checkout_button")
    phone.tap_on(resource_id="place_order_button")
    assert phone.find(resource_id="pay_button") is None  # no address yet
    _type_into(phone, "delivery_address", "Room 301, 88 Nanjing Rd 南京路88号\n")
    phone.back()
    phone.tap_on(resource_id="place_order_button")
    phone.tap_on(resource_id="pay_button")
    assert len(phone.payments) == 1 and "Pork Dumplings" in phone.payments[0].item
    assert get("restaurant_order_dumplings").is_successful(phone)


def test_messages_send_and_contacts_handover() -> None:
    phone = Phone(seed=0)
    phone.launch("短信")
    phone.tap_on(resource_id="new_message_button")
    phone.type_text("Li Na\n")
    assert phone.current_activity() == "com.autoagent.messages.ThreadActivity"
    phone.tap_on(resource_id="send_button")
    assert phone.app_state("messages").sent == []  # empty messages are not sent
    phone.type_text("I will be late 我会晚到")
    phone.tap_on(resource_id="send_button")
    sent = phone.app_state("messages").sent
    assert [(m.to_name, m.text) for m in sent] == [("Li Na 李娜", "I will be late 我会晚到")]
    assert phone.find(resource_id="message_outgoing", text="I will be late 我会晚到") is not None
    assert get("messages_send_li_na").is_successful(phone)

    phone.home()
    phone.launch("Contacts")
    phone.tap_on(text="Zhang Wei 张伟")
    phone.tap_on(resource_id="message_button")
    assert phone.current_package() == "com.autoagent.messages"
    phone.type_text("Meeting at 3pm 下午三点开会\n")  # Enter sends
    assert get("contacts_then_message_zhang_wei").is_successful(phone)
    assert phone.payments == []


def test_contacts_add() -> None:
    phone = Phone()
    phone.launch("联系人")
    phone.tap_on(resource_id="add_contact_button")
    phone.type_text("Chen Jie 陈杰\n13900001234\n")
    assert get("contacts_add_chen_jie").is_successful(phone)
    assert phone.find(text="Chen Jie 陈杰") is not None


def test_settings_switches_and_language() -> None:
    phone = Phone()
    phone.launch("设置")
    phone.tap_on(resource_id="wifi_switch")
    assert get("settings_wifi_off").is_successful(phone)
    assert phone.find(resource_id="wifi_switch").text == "OFF"
    phone.tap_on(resource_id="display_row")
    phone.tap_on(resource_id="dark_mode_switch")
    assert get("settings_dark_mode").is_successful(phone)
    phone.back()
    phone.tap_on(resource_id="language_row")
    phone.tap_on(resource_id="language_zh")
    assert get("settings_language_zh").is_successful(phone)


def test_every_task_starts_unsolved_and_names_its_app() -> None:
    assert len({t.id for t in TASKS}) == len(TASKS) >= 12
    for task in TASKS:
        phone = task.make_phone()
        assert not task.is_successful(phone), task.id
        phone.launch(task.app)
        assert phone.current_package() == task.app
        assert task.goal and task.goal_zh and task.goal != task.goal_zh
