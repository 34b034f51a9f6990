"""Ads, permission prompts, slow loads and error pages, driven by seed and an injected clock."""

from __future__ import annotations

import time

import pytest

from emulator import Phone


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_permission_then_ad_on_first_launch_only() -> None:
    phone = Phone(seed=3, hazards={"permissions", "ads"})
    phone.launch("Shop")
    assert phone.find(resource_id="permission_message") is not None
    # The dialog is modal: the app underneath cannot be reached.
    assert phone.find(resource_id="search_box") is not None
    phone.tap_on(resource_id="search_box")
    assert phone.current_activity() == "com.autoagent.shop.HomeActivity"
    phone.tap_on(resource_id="permission_allow_button")
    assert phone.permissions[("com.autoagent.shop", "send you notifications")] is True
    ad = phone.find(resource_id="ad_close")
    assert ad is not None and phone.find(resource_id="ad_title") is not None
    phone.tap(*ad.center)
    assert phone.find(resource_id="ad_close") is None and phone.ad_clicks == []
    phone.home()
    phone.launch("Shop")
    assert phone.find(resource_id="ad_close") is None and phone.find(resource_id="permission_message") is None


def test_back_dismisses_dialogs_and_ad_trap_is_recorded() -> None:
    phone = Phone(seed=3, hazards=True)
    phone.launch("Travel")
    phone.back()  # deny permission
    assert phone.permissions[("com.autoagent.travel", "access this device's location")] is False
    phone.tap_on(resource_id="ad_claim_button")
    assert phone.ad_clicks == ["com.autoagent.travel"]
    assert phone.find(resource_id="ad_close") is None


def test_slow_load_shows_spinner_and_wait_returns_at_its_end() -> None:
    clock = FakeClock()
    phone = Phone(seed=1, hazards={"slow"}, clock=clock, sleep=clock.sleep)
    phone.launch("Shop")
    phone.tap_on(resource_id="search_box")
    phone.type_text("mug\n")
    assert phone.busy()
    assert phone.find(resource_id="loading") is not None and phone.find(resource_id="product_name") is None
    spinning = phone.screenshot()
    clock.now += 0.25
    assert phone.screenshot().tobytes() != spinning.tobytes()  # the spinner turns
    assert phone.wait_until_settled(timeout=0.1) is False  # bounded by the timeout
    started = clock.now
    assert phone.wait_until_settled(timeout=10) is True
    # It slept only until the load's known end (1-3 s), not for the whole timeout.
    assert 0 < clock.now - started <= 3.0 and len(clock.slept) <= 3
    assert phone.find(resource_id="product_name") is not None and not phone.busy()


def test_wait_with_real_clock_returns_immediately_when_idle() -> None:
    phone = Phone()
    phone.launch("Shop")
    started = time.monotonic()
    assert phone.wait_until_settled(timeout=5) is True
    assert time.monotonic() - started < 0.5


def test_error_page_then_retry() -> None:
    phone = Phone(seed=2, hazards={"errors"})
    phone.launch("Shop")
    phone.tap_on(resource_id="search_box")
    phone.type_text("coffee\n")
    assert phone.find(resource_id="error_title") is not None
    assert phone.find(resource_id="product_name") is None
    phone.tap_on(resource_id="retry_button")
    assert "Coffee Beans 500g 咖啡豆500克" in [n.text for n in phone.find_all(resource_id="product_name")]
    phone.back()
    phone.type_text("mug\n")  # the second search of the session works first time
    assert phone.find(resource_id="error_title") is None


def test_unknown_hazard_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown hazard.*choose from"):
        Phone(hazards={"earthquake"})


@pytest.mark.parametrize("app,taps,rid", [("Travel", [], "adults_value"),
                                          ("Restaurant", ["restaurant_item", "reserve_button"], "party_value")])
def test_remembered_party_sizes_are_named_only_and_vary_by_seed(app: str, taps: list[str], rid: str) -> None:
    def first_count(seed: int, hazards) -> str:
        phone = Phone(seed=seed, hazards=hazards)
        phone.launch(app)
        for tap in taps:
            phone.tap_on(resource_id=tap)
        return phone.find(resource_id=rid).text

    assert "remembered" not in Phone(hazards=True).hazards  # True keeps meaning the four that misbehave
    assert {first_count(seed, False) for seed in range(6)} == {"2"}
    remembered = {first_count(seed, {"remembered"}) for seed in range(12)}
    assert remembered == {"1", "3", "4"}
