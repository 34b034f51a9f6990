"""An in-process virtual Android phone (1080x2400) for autoagent.

One widget tree per frame is the single source of truth: the Pillow screenshot, the
uiautomator-format hierarchy XML and hit-testing of taps are all derived from it, so the
XML always agrees with the pixels. Frames are cached until something changes.

Device protocol (``autoagent.device.Device``)::

    from emulator import Phone
    phone = Phone(seed=0, hazards=False, clock=time.monotonic)   # sleep=time.sleep keyword too
    phone.name == "emulator"; phone.screen_size() == (1080, 2400)
    phone.observe() -> Observation(screenshot, hierarchy XML, app=current package)
    tap / double_tap / long_press / swipe / type_text ("\\n" = Enter) / back / home / launch / close
    phone.wait_until_settled(timeout) -> True as soon as nothing loads (sleeps only until a load's end)
    phone.touch_if_unchanged(gesture, expected) -> TouchCheck   (``autoagent.device.TouchesIfUnchanged``:
        the touch lands only if the node under the finger is the one the guard judged, checked and
        touched in one operation; the wire server offers it as the JSON-RPC extension ``clickIfMatches``)

``launch`` takes a package or an English/Chinese name ("Shop"/"商城", "Travel"/"旅行",
"Restaurant"/"餐厅", "Settings"/"设置", "Contacts"/"联系人", "Messages"/"短信") and raises
``UnknownApp`` listing the installed apps. Points off the screen and unknown keys raise
``DeviceError``; the phone stays usable. Typing with no focused field goes nowhere, as on a phone.

Extras (thread-safe; every public method takes ``phone.lock``, an RLock)::

    phone.screenshot() -> PIL.Image (a copy)      phone.hierarchy_xml() -> str
    phone.current_package() -> str                phone.current_activity() -> "pkg.NameActivity"
    phone.packages() -> list[str]                 phone.press_key("back"|"home"|"enter"|"delete"|"recent")
    phone.clear_text()                            phone.input_text(text)  (no Enter handling)
    phone.find(text=, resource_id=, desc=, cls=, contains=False, clickable=None) -> UINode | None
    phone.find_all(...) -> list[UINode]           phone.tap_on(text=/resource_id=/desc=) -> UINode
    phone.busy() -> bool                          phone.invalidate()  (after editing state by hand)

``resource_id`` matches the short id ("pay_button") or the full one ("com.autoagent.shop:id/pay_button").
The launcher's package is ``com.autoagent.launcher``.

State a checker reads::

    phone.payments: list[emulator.models.Payment]  (app, app_name, amount, currency, item, reference,
                                                    cause: InputEvent(kind="tap", x, y) or (kind="key", key="enter"))
    phone.app_state("shop")        ShopState: catalogue, cart, orders, address, searches
    phone.app_state("travel")      TravelState: hotels, destination, check_in/out, adults, rooms, guest, bookings
    phone.app_state("restaurant")  RestaurantState: restaurants, reservations, orders, basket
    phone.app_state("settings")    SettingsState: wifi, bluetooth, airplane_mode, notifications, dark_mode, ...
    phone.app_state("contacts")    ContactsState: contacts
    phone.app_state("messages")    MessagesState: threads, sent (SentMessage: to_name, to_phone, text)
    phone.events (every input), phone.permissions, phone.ad_clicks

Payments happen only on an app's payment sheet ("Pay ¥123.00 确认支付", resource id ``pay_button``;
Enter on the open sheet presses it).

Hazards: ``hazards=True`` or a subset of {"ads", "permissions", "slow", "errors"}: an ad with a close
button and a trap button on an app's first launch, a permission prompt on first launch, loads that
show a spinner for 1-3 s of the injected clock, and the first load of each kind failing once with a
Retry page. "remembered", only when named: Travel and Restaurant fill in an earlier booking's party size
(1, 3 or 4) instead of 2, so that a count has to go down as well as up. Seeds fix
catalogues, prices, list order, ads and load times; another seed reorders lists.

Race tests: ``emulator.late_swap.LateSwap`` (a sheet whose "Later" becomes "Pay ¥5900.00" at a set moment)
and ``emulator.race.race_once`` (one guarded step with that swap between the re-check and the touch).

Also: ``emulator.tasks`` (AndroidWorld-style tasks: ``initialize_task``, ``is_successful``, ``tear_down``), ``emulator.gym``
(Gymnasium-style ``EmulatorEnv``), ``python -m emulator`` (``serve`` starts the adb/uiautomator2 server).
"""

from emulator.models import InputEvent, Payment
from emulator.phone import HAZARDS, Phone

__all__ = ["HAZARDS", "InputEvent", "Payment", "Phone"]
