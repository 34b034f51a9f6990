"""The DOM snapshot rendered as uiautomator XML: read back by the phone parser, bounds true."""

from __future__ import annotations


import pytest
from playwright.sync_api import Browser

from autoagent.actuators.browser import BrowserDevice
from autoagent.perception.dom import DomNode, DomSnapshot, find_node, render_hierarchy
from autoagent.perception.hierarchy import parse_hierarchy
from autoagent.perception.tree import node_at, subtree_text


def test_render_scales_bounds_and_escapes_without_a_browser() -> None:
    snap = DomSnapshot(url="http://x/?a=1&b=2", title="T <1>", width=100, height=200, nodes=[
        DomNode(tag="button", kind="button", text='Pay "now" & go\x07', rid="pay", box=(10, 20, 50, 40),
                clickable=True),
        DomNode(tag="span", kind="text", text="inner 确认支付", parent=0, box=(12, 22, 48, 38)),
    ])
    xml = render_hierarchy(snap, (300, 400), package="shop")
    nodes = parse_hierarchy(xml)
    root, button, span = nodes
    assert root.cls == "android.webkit.WebView" and root.bounds == (0, 0, 300, 400) and root.desc == snap.url
    assert button.text == 'Pay "now" & go' and button.resource_id == "pay" and button.package == "shop"
    assert button.bounds == (30, 40, 150, 80) and button.clickable and button.cls == "android.widget.Button"
    assert span.parent == button.index and span.depth == button.depth + 1
    assert subtree_text(nodes, button) == 'Pay "now" & go inner 确认支付'


LAB = """
<meta name=viewport content='width=device-width'>
<style>body{margin:0} .box{position:absolute}</style>
<button class=box style='left:10px;top:10px;width:100px;height:40px' data-testid=buy>Buy <b>it</b></button>
<input class=box style='left:10px;top:60px;width:200px;height:30px' id=q placeholder='Search 搜索' value='茶'>
<img class=box style='left:10px;top:100px;width:40px;height:40px' alt='Logo'
     src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>
<a class=box style='left:60px;top:100px' href='#x' aria-label='Open cart'>🛒</a>
<button class=box style='left:120px;top:100px' disabled>Off</button>
<div class=box style='left:0;top:150px;width:200px;height:100px;overflow:auto' id=list>
  <div style='height:60px'>row one</div><div style='height:60px'>row two</div><div style='height:60px'>row three</div>
</div>
<div class=box style='left:0;top:2000px'>far below</div>
<div style='display:none'>hidden text</div>
"""


@pytest.mark.parametrize("mobile,hidpi", [(False, False), (True, True)], ids=["desktop", "phone-hidpi"])
def test_snapshot_of_a_real_page(browser: Browser, mobile: bool, hidpi: bool) -> None:
    with BrowserDevice.attach(browser, None, mobile=mobile, hidpi_screenshots=hidpi) as dev:
        dev.page.set_content(LAB)
        dev.page.focus("#q")
        obs = dev.observe()
        scale = obs.size[0] / dev.page.viewport_size["width"]
        assert scale == (2.0 if hidpi else 1.0)
        nodes = parse_hierarchy(obs.hierarchy)
        buy = find_node(nodes, resource_id="buy")
        # "Buy <b>it</b>": the emphasis is part of the label, not a node of its own.
        assert buy.text == "Buy it" and buy.clickable and buy.cls.endswith("Button")
        assert buy.bounds == tuple(round(v * scale) for v in (10, 10, 110, 50))
        assert subtree_text(nodes, buy) == "Buy it"
        assert all(n.parent != buy.index for n in nodes)  # no separate "it" node
        q = find_node(nodes, resource_id="q")
        assert (q.text, q.desc, q.focused, q.cls) == ("茶", "Search 搜索", True, "android.widget.EditText")
        assert find_node(nodes, desc="Logo").cls.endswith("ImageView")
        assert find_node(nodes, desc="Open cart").clickable
        assert find_node(nodes, text="Off").enabled is False
        # The scroller is marked; its second row is clipped to the part that shows, the third hidden.
        xml_list = [n for n in nodes if n.resource_id == "list"]
        assert xml_list and 'scrollable="true"' in obs.hierarchy
        two = find_node(nodes, text="row two")
        assert two.bounds[1] == round(210 * scale) and two.bounds[3] == round(250 * scale)
        assert find_node(nodes, text="row three") is None
        # Off-screen and hidden elements are not in the dump.
        assert find_node(nodes, text="far below") is None and find_node(nodes, text="hidden text") is None
        # What a tap at the button's centre would hit is the button (or its child).
        hit = node_at(nodes, *buy.center, clickable_only=True)
        assert hit is not None and hit.resource_id == "buy"
