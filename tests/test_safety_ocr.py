"""The guard without a hierarchy: tesseract reads the screenshot (Debian tesseract-ocr + chi-sim).

Skipped on a workstation where tesseract or its Chinese data is not installed, but failed on
CI (the CI variable set), where it must be. The fallback without OCR (a screen the guard cannot
read is asked about) is tested in test_safety_guard.py.
"""

from __future__ import annotations

import os

import pytest
from PIL import Image, ImageDraw

from autoagent.actions import Tap, Type
from autoagent.geometry import to_relative
from autoagent.perception.observation import Observation
from autoagent.safety import GuardPolicy, ScreenGuard, Verdict
from autoagent.safety.ocr import OcrUnavailable, read_lines, usable_languages

if usable_languages("eng+chi_sim") != "eng+chi_sim":
    _missing = "tesseract with eng and chi_sim is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
    if os.environ.get("CI"):
        pytest.fail(_missing, pytrace=False)
    pytest.skip(_missing, allow_module_level=True)

import emulator
from emulator.fonts import font

SIZE = (1080, 2400)
BUY = (100, 2000, 980, 2150)
NOTE = (100, 600, 980, 700)


def drawn_screen(button_text: str, title: str = "Order 订单") -> Image.Image:
    img = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(img)
    draw.text((100, 200), title, fill="black", font=font(56, bold=True))
    draw.text((NOTE[0], NOTE[1]), "Leave a note for the rider", fill=(60, 60, 60), font=font(44))
    draw.rounded_rectangle(BUY, radius=70, fill=(30, 91, 184))
    draw.text((330, 2040), button_text, fill="white", font=font(52, bold=True))
    return img


def centre(bounds) -> object:
    left, top, right, bottom = bounds
    return to_relative(((left + right) / 2, (top + bottom) / 2), SIZE)


def blind(img: Image.Image, app: str = "com.example.food") -> Observation:
    return Observation(screenshot=img, hierarchy=None, app=app)


def test_read_lines_reads_both_languages() -> None:
    lines = read_lines(drawn_screen("立即支付 Pay"))
    text = " ".join(line.text for line in lines)
    assert "Order" in text and "订单" in text and "note" in text


@pytest.mark.parametrize("label", ["立即支付 ¥59", "Pay now ¥59", "提交订单"])
def test_pay_button_read_from_pixels(label: str) -> None:
    guard = ScreenGuard()
    decision = guard.review(Tap(element=centre(BUY)), blind(drawn_screen(label)))
    assert decision.verdict is Verdict.CONFIRM and decision.category in ("payment", "purchase")
    assert decision.evidence["source"] == "ocr"
    assert any(f["source"] in ("target", "slop") for f in decision.evidence["findings"])


def test_harmless_text_read_from_pixels_is_allowed() -> None:
    decision = ScreenGuard().review(Tap(element=centre(NOTE)), blind(drawn_screen("Add to basket")))
    assert decision.verdict is Verdict.ALLOW and "lines read" in decision.evidence["ocr"]


def test_enter_with_a_pay_button_in_the_picture() -> None:
    decision = ScreenGuard().review(Type(text="no onions\n"), blind(drawn_screen("Pay now ¥59")))
    assert decision.verdict is Verdict.CONFIRM and decision.category == "payment"


def test_emulator_payment_sheet_without_its_hierarchy() -> None:
    phone = emulator.Phone(seed=5)
    phone.launch("Shop")
    phone.tap_on(resource_id="search_box")
    phone.type_text("耳机\n")
    phone.tap_on(text="Wireless Earbuds 无线耳机")
    phone.tap_on(resource_id="colour_Black")
    phone.tap_on(resource_id="buy_now_button")
    for rid, text in (("address_name", "Li Na"), ("address_phone", "13800001111"), ("address_line", "1 Road")):
        phone.tap_on(resource_id=rid)
        phone.type_text(text)
    phone.back()
    phone.tap_on(resource_id="place_order_button")
    pay = phone.find(resource_id="pay_button")
    decision = ScreenGuard().review(Tap(element=to_relative(pay.center, SIZE)),
                                    blind(phone.screenshot(), app="com.example.unknown"))
    assert decision.verdict is Verdict.CONFIRM and decision.category == "payment"
    assert decision.evidence["targets"][0]["text"].startswith("Pay")


def test_missing_language_degrades_to_the_payment_app_rule() -> None:
    guard = ScreenGuard(GuardPolicy(ocr_languages="klingon"))
    with pytest.raises(OcrUnavailable):
        read_lines(drawn_screen("Pay"), languages="klingon")
    decision = guard.review(Tap(element=centre(NOTE)), blind(drawn_screen("Pay"), app="com.taobao.taobao"))
    assert decision.verdict is Verdict.CONFIRM and "unavailable" in decision.evidence["ocr"]
    assert decision.evidence["findings"][0]["source"] == "app"
