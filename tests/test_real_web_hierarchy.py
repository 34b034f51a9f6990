"""What a page shows stays in its hierarchy: links inside sentences whose handlers a script
attached, controls named only by an id, icons drawn by CSS, whole field values, the options
of a list box (``<select multiple>``), which a tap toggles, and how far a text area is scrolled."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Browser

from autoagent.actuators.browser import BrowserDevice
from autoagent.loops import screen_key
from autoagent.perception.dom import find_node
from autoagent.perception.tree import UINode
from tests.pages import serve_pages

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

LONG = "First line of the agreement.\n\n    Indented   part, " + "word " * 80 + "and the very last word"
PAGE = f"""<!doctype html><meta name=viewport content='width=device-width'>
<style>
.alink {{ color: blue; text-decoration: underline; cursor: pointer; }}
.row {{ cursor: pointer; padding: 4px; width: 300px; border-bottom: 1px solid #ccc }}
.trash {{ content: url(/icons/delete.png); width: 16px; height: 16px; float: right; cursor: pointer }}
.cell {{ display: inline-block; width: 40px; height: 40px; border: 1px solid black }}
select {{ height: 90px; width: 150px }}
</style>
<p id=para>Lorem ipsum <span class=alink>dolor</span> sit amet, <span class=alink>consectetur</span> elit.</p>
<p style='width:150px'>Address: <a href='#' id=wrapped onclick="hits.push('wrapped'); return false">1063 Castaneda Grove</a></p>
<div class=row id=mail><span>Gerta</span><span class=trash></span></div>
<div id=board><span class=cell id=cell-0></span><span class=cell id=cell-1></span></div>
<textarea id=area rows=3 cols=30>{LONG}</textarea>
<input id=spaced value='  two  spaces '>
<select id=list multiple>{"".join(f"<option>Item {i}</option>" for i in range(10))}</select>
<script>
window.hits = [];
for (const el of document.querySelectorAll('.alink, .trash, .cell'))
  el.addEventListener('click', e => {{ e.stopPropagation(); hits.push(el.textContent || el.className + ':' + el.id); }});
document.getElementById('mail').addEventListener('click', () => hits.push('row'));
</script>
"""


def _icon() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def url():
    with serve_pages({"/page": PAGE, "/icons/delete.png": _icon()}) as base:
        yield base + "/page"


def _open(browser: Browser, url: str, mobile: bool) -> BrowserDevice:
    dev = BrowserDevice.attach(browser, url, mobile=mobile)
    assert dev.wait_until_settled(5)
    return dev


def _nodes(dev: BrowserDevice) -> list[UINode]:
    return dev.observe().tree.nodes


@VIEWPORTS
def test_a_link_inside_a_sentence_is_a_control_of_its_own(browser: Browser, url: str, mobile: bool) -> None:
    with _open(browser, url, mobile) as dev:
        link = find_node(_nodes(dev), text="consectetur")
        assert link is not None and link.clickable
        dev.tap(*link.center)
        assert dev.page.evaluate("hits") == ["consectetur"]


@VIEWPORTS
def test_an_icon_drawn_by_css_inside_a_tappable_row_is_its_own_control(browser: Browser, url: str,
                                                                       mobile: bool) -> None:
    with _open(browser, url, mobile) as dev:
        icon = find_node(_nodes(dev), desc="delete")
        assert icon is not None and icon.clickable and icon.cls.endswith("ImageView")
        dev.tap(*icon.center)
        assert dev.page.evaluate("hits") == ["trash:"]


@VIEWPORTS
def test_empty_controls_named_by_an_id_stay(browser: Browser, url: str, mobile: bool) -> None:
    with _open(browser, url, mobile) as dev:
        cell = find_node(_nodes(dev), resource_id="cell-1")
        assert cell is not None and cell.bounds[2] - cell.bounds[0] > 10
        dev.tap(*cell.center)
        assert dev.page.evaluate("hits") == ["cell:cell-1"]


@VIEWPORTS
def test_field_values_are_whole(browser: Browser, url: str, mobile: bool) -> None:
    with _open(browser, url, mobile) as dev:
        nodes = _nodes(dev)
        assert find_node(nodes, resource_id="area").text == LONG  # long, with its line breaks and spaces
        assert find_node(nodes, resource_id="spaced").text == "  two  spaces "


@VIEWPORTS
def test_a_list_box_shows_its_options_and_a_tap_toggles_one(browser: Browser, url: str, mobile: bool) -> None:
    with _open(browser, url, mobile) as dev:
        nodes = _nodes(dev)
        box = find_node(nodes, resource_id="list")
        options = [n for n in nodes if n.parent == box.index]
        assert [n.text for n in options][:4] == ["Item 0", "Item 1", "Item 2", "Item 3"]
        assert len(options) < 10  # the rows scrolled out of the box are not shown
        assert all(n.checkable and not n.checked and n.clickable for n in options)
        dev.tap(*options[1].center)
        dev.tap(*options[3].center)
        nodes = _nodes(dev)
        assert find_node(nodes, resource_id="list").text == "Item 1, Item 3"
        assert [n.text for n in nodes if n.checked] == ["Item 1", "Item 3"]
        dev.tap(*find_node(nodes, text="Item 1").center)  # a second tap takes it back
        assert dev.page.evaluate("[...document.getElementById('list').selectedOptions].map(o => o.text)") == ["Item 3"]


@VIEWPORTS
def test_a_swipe_that_scrolls_a_text_area_makes_a_new_screen(browser: Browser, url: str, mobile: bool) -> None:
    # The text area's node keeps its text and bounds as it scrolls: only its offset tells that
    # the swipe showed other lines (and is no loop of swipes that change nothing).
    with _open(browser, url, mobile) as dev:
        before = dev.observe()
        area = find_node(before.tree.nodes, resource_id="area")
        assert area.scrollable and area.scrolled == (0, 0)
        left, top, right, bottom = area.bounds
        dev.swipe((left + right) // 2, bottom - 5, (left + right) // 2, top + 5)
        assert dev.wait_until_settled(5)
        after = dev.observe()
        moved = find_node(after.tree.nodes, resource_id="area")
        offset = dev.page.evaluate("document.getElementById('area').scrollTop")
        assert offset > 10 and moved.scrolled[1] > 10  # the screenshot's pixels match CSS ones here
        assert (moved.text, moved.bounds) == (area.text, area.bounds)
        assert screen_key(after) != screen_key(before)


@VIEWPORTS
def test_a_link_that_wraps_onto_two_lines_is_tapped_at_its_centre(browser: Browser, url: str, mobile: bool) -> None:
    with _open(browser, url, mobile) as dev:
        assert dev.page.evaluate("document.getElementById('wrapped').getClientRects().length") == 2
        link = find_node(_nodes(dev), resource_id="wrapped")
        assert link is not None and link.clickable
        dev.tap(*link.center)
        assert dev.page.evaluate("hits") == ["wrapped"]
