"""Type replaces the focused field's text (AutoGLM's meaning of Type) on every device: the
browser, the emulator's phone, and a phone driven by uiautomator2 (the emulator over our wire
server). A field holding "1" given "3" holds "3", not "13"."""

from __future__ import annotations

import urllib.parse

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Type
from autoagent.actuators.android import AndroidDevice
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.execute import execute, replaces_text
from autoagent.perception.dom import find_node
from emulator import Phone

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

FIELDS = """<!doctype html><meta name=viewport content='width=device-width'>
<style>input,textarea,div{display:block;width:300px;height:40px;margin:8px;font-size:16px}</style>
<input id=qty value='1'><input id=city value='Beijing'><input id=count type=number value='12'>
<input id=mail type=email value='a@b.cn'><textarea id=note>old note</textarea>
<div id=rich contenteditable>old <b>rich</b> text</div>
<script>window.keys = 0; document.addEventListener('keydown', () => window.keys++);</script>
"""


def test_only_newlines_alone_leave_the_text() -> None:
    assert replaces_text("3") and replaces_text("") and replaces_text("abc\n") and replaces_text("\nabc")
    assert not replaces_text("\n") and not replaces_text("\n\n")


@VIEWPORTS
def test_type_replaces_the_focused_fields_text_in_a_browser(browser: Browser, mobile: bool) -> None:
    url = "data:text/html," + urllib.parse.quote(FIELDS)
    with BrowserDevice.attach(browser, url, mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        nodes = dev.observe().tree.nodes

        def typed(rid: str, text: str) -> str:
            dev.tap(*find_node(nodes, resource_id=rid).center)
            execute(Type(text=text), dev)
            return dev.page.evaluate(f"(e => e.value ?? e.innerText)(document.getElementById('{rid}'))")

        assert typed("qty", "3") == "3"
        assert typed("city", "Shanghai") == "Shanghai"
        assert typed("city", "上海") == "上海"
        assert typed("count", "5") == "5"
        assert typed("mail", "x@y.com") == "x@y.com"
        assert typed("note", "new") == "new"
        assert typed("rich", "plain") == "plain"
        assert typed("city", "") == ""
        assert dev.page.evaluate("window.keys") > 0  # ASCII still arrives as keys a page hears
        # Enter alone submits without touching the text.
        dev.tap(*find_node(nodes, resource_id="qty").center)
        execute(Type(text="\n"), dev)
        assert dev.page.evaluate("document.getElementById('qty').value") == "3"


def _focus(phone: Phone, rid: str) -> None:
    node = next(n for n in phone.observe().tree.nodes if n.resource_id.endswith(f":id/{rid}"))
    phone.tap(*node.center)


def _shop_search(phone: Phone) -> None:
    phone.launch("Shop")
    _focus(phone, "search_box")


def test_type_replaces_the_focused_fields_text_on_the_emulator() -> None:
    phone = Phone(seed=0)
    _shop_search(phone)
    shop = phone.app_state("shop")
    execute(Type(text="mug"), phone)
    execute(Type(text="T恤"), phone)
    assert shop.query == "T恤"
    execute(Type(text="\n"), phone)  # Enter alone searches what the field holds
    assert shop.searches == ["T恤"]


@pytest.mark.usefixtures("no_adb_daemon")
def test_type_replaces_the_focused_fields_text_through_uiautomator2(wire_server) -> None:
    phone = wire_server.phone
    dev = AndroidDevice.connect(wire_server.serial, adb_host="127.0.0.1", adb_port=wire_server.adb_port)
    try:
        _shop_search(phone)
        shop = phone.app_state("shop")
        execute(Type(text="Beijing"), dev)
        execute(Type(text="Shanghai 上海"), dev)
        assert shop.query == "Shanghai 上海"
        execute(Type(text="mug\n"), dev)
        assert shop.searches == ["mug"]
    finally:
        dev.close()
