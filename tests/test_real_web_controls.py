"""Poorly described controls: a contenteditable region is a text field (Type replaces its
text); a file input is a button whose tap tells the model that choosing the file is the user's
to do (a take-over)."""

from __future__ import annotations

import urllib.parse

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Type
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_notices import TOAST_CLASS
from autoagent.actuators.execute import execute
from autoagent.perception.dom import find_node

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

CONTROLS = """<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>
<style>div,label{display:block;width:300px;min-height:40px;margin:8px}</style>
<div id=review contenteditable aria-label='Your review'>Great <b>mug</b></div>
<label for=cv>Résumé</label><input id=cv type=file>
"""


@VIEWPORTS
def test_contenteditable_is_a_field_and_a_file_input_asks_for_a_take_over(browser: Browser, mobile: bool) -> None:
    with BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(CONTROLS), mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        nodes = dev.observe().tree.nodes
        review = find_node(nodes, resource_id="review")
        assert review is not None and review.cls == "android.widget.EditText" and review.clickable
        assert review.text == "Great mug" and not any(n.text == "mug" for n in nodes)
        dev.tap(*review.center)
        execute(Type(text="Sturdy, 5 stars"), dev)
        assert dev.page.evaluate("document.getElementById('review').innerText") == "Sturdy, 5 stars"
        assert find_node(dev.observe().tree.nodes, resource_id="review").focused
        upload = find_node(nodes, resource_id="cv")
        assert upload is not None and upload.cls == "android.widget.Button" and upload.text == "Choose file"
        assert upload.desc == "Résumé"
        dev.tap(*upload.center)
        assert dev.wait_until_settled(5)
        (toast,) = [n.text for n in dev.observe().tree.nodes if n.cls == TOAST_CLASS]
        assert "file to upload for 'Résumé'" in toast and "Take_over" in toast
