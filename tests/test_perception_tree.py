"""The screen tree: every attribute kept, built once per observation, the same from every source."""

from __future__ import annotations

import pytest
from PIL import Image

from autoagent.actions import RelativePoint, Tap, Type
from autoagent.geometry import to_relative
from autoagent.perception.dom import DomNode, DomSnapshot, dom_tree, render_hierarchy
from autoagent.perception.observation import Observation
from autoagent.perception.tree import ScreenTree, TreeBuilder, node_attributes
from autoagent.policy.base import StepInput
from autoagent.policy.compact import Screen as CompactScreen
from autoagent.policy.prompts import screen_text
from autoagent.safety.guard import ScreenGuard
from autoagent.safety.screen import Screen
from autoagent.safety.types import Verdict
from emulator.phone import Phone

SIZE = (1080, 2400)


def _xml() -> str:
    login = node_attributes(index=0, text="", resource_id="app:id/login", cls="android.widget.LinearLayout",
                            package="app", desc="", bounds=(0, 0, 1080, 1200), scrollable=True)
    secret = node_attributes(index=3, text="hunter2", resource_id="app:id/pw", cls="android.widget.EditText",
                             package="app", desc="", bounds=(40, 100, 1040, 230), password=True, focusable=True,
                             long_clickable=True, clickable=True, focused=True)
    remember = node_attributes(index=4, text="Remember me", resource_id="app:id/remember",
                               cls="android.widget.CheckBox", package="app", desc="", bounds=(40, 300, 1040, 400),
                               checkable=True, checked=True, clickable=True)
    label = node_attributes(index=0, text="", resource_id="", cls="android.widget.TextView", package="app",
                            desc="Remember", bounds=(60, 310, 300, 390))
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<hierarchy rotation=\"0\">\n"
            f"  <node {login}>\n    <node {secret} />\n    <node {remember}>\n      <node {label} />\n"
            "    </node>\n  </node>\n</hierarchy>")


def _observation(xml: str | None = None, tree: ScreenTree | None = None) -> Observation:
    return Observation(screenshot=Image.new("RGB", SIZE, "white"), hierarchy=xml, app="app", tree=tree)


@pytest.fixture()
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every hierarchy parsed from XML, in order."""
    seen: list[str] = []
    original = ScreenTree.from_xml.__func__  # type: ignore[attr-defined]

    def counting(cls: type[ScreenTree], xml: str) -> ScreenTree:
        seen.append(xml)
        return original(cls, xml)

    monkeypatch.setattr(ScreenTree, "from_xml", classmethod(counting))
    return seen


def test_the_parser_keeps_every_attribute_and_the_family() -> None:
    tree = ScreenTree.from_xml(_xml())
    login, secret, remember, label = tree.nodes
    assert login.scrollable and not login.password and tree.root is login and tree.roots == [login]
    assert secret.password and secret.focusable and secret.long_clickable and secret.focused
    assert secret.sibling == 3 and secret.path == "0/0" and secret.depth == 1
    assert remember.checkable and remember.checked and not remember.password
    assert tree.children(login) == [secret, remember] and tree.children(remember) == [label]
    assert tree.ancestors(label) == [remember, login]
    assert tree.descendants(login) == [secret, remember, label]
    assert tree.subtree_text(remember) == "Remember me Remember"


def test_node_at_is_the_deepest_node_under_the_point() -> None:
    tree = ScreenTree.from_xml(_xml())
    label = tree.nodes[3]
    assert tree.node_at(100, 350) is label
    assert tree.node_at(100, 350, clickable_only=True) is tree.nodes[2]
    assert tree.node_at(100, 2000) is None
    assert tree.tap_reaches(label, SIZE) and tree.is_within(label, tree.nodes[0])


def test_writer_and_parser_agree() -> None:
    xml = _xml()
    tree = ScreenTree.from_xml(xml)
    assert tree.to_xml() == xml
    assert ScreenTree.from_xml(tree.to_xml()) == tree


def test_the_guard_reads_flags_from_the_tree_without_any_xml() -> None:
    builder = TreeBuilder()
    page = builder.add(None, cls="android.widget.FrameLayout", bounds=(0, 0, *SIZE))
    # A password field that shows its text (no dots): only the flag says it is one.
    field = builder.add(page, cls="android.widget.EditText", text="visible", bounds=(40, 100, 1040, 230),
                        password=True, focused=True, clickable=True)
    obs = _observation(tree=builder.build())
    assert Screen.of(obs).passwords == frozenset({field})
    decision = ScreenGuard().review(Type(text="secret"), obs)
    assert decision.verdict is not Verdict.ALLOW and "password" in decision.reason


def test_emulator_observations_are_never_parsed_from_xml(parses: list[str]) -> None:
    phone = Phone(seed=3)
    phone.launch("shop")
    obs = phone.observe()
    tap = Tap(element=to_relative(phone.find_all(clickable=True)[0].center, obs.size))
    guard = ScreenGuard()
    step = StepInput(task="buy a t-shirt", step=1, observation=obs)
    assert "Search" in screen_text(step, "en")
    assert CompactScreen.of(step.task, obs.tree, obs.size).elements
    before = guard.review(tap, obs)
    guard.recheck(tap, before, phone.observe())
    assert phone.find_all(text="Search 搜索", contains=True) is not None
    assert parses == []
    # The tree handed over is the one its XML would parse to, and that XML is the phone's dump.
    assert obs.hierarchy == phone.hierarchy_xml()
    assert ScreenTree.from_xml(obs.hierarchy) == obs.tree


def test_a_hierarchy_is_parsed_once_per_observation(parses: list[str]) -> None:
    obs = _observation(_xml())
    guard = ScreenGuard()
    step = StepInput(task="log in", step=1, observation=obs)
    tap = Tap(element=RelativePoint(x=500, y=70))
    screen_text(step, "en")
    CompactScreen.of(step.task, obs.tree, obs.size)
    before = guard.review(tap, obs)
    guard.recheck(tap, before, obs)
    ScreenGuard().review(tap, obs)
    assert len(parses) == 1


def test_broken_xml_is_parsed_once_and_read_as_no_hierarchy(parses: list[str]) -> None:
    obs = _observation("<hierarchy><node")
    for _ in range(2):
        with pytest.raises(ValueError, match="not valid XML"):
            obs.tree
    screen = Screen.of(obs)
    assert screen.source == "none" and screen.parse_error and not screen.nodes
    assert "elements" not in screen_text(StepInput(task="x", step=1, observation=obs), "en").lower()
    assert len(parses) == 1


def test_the_dom_tree_is_what_its_xml_parses_to(parses: list[str]) -> None:
    snap = DomSnapshot(url="http://x/?a=1&b=2", title="T <1>", width=100, height=200, nodes=[
        DomNode(tag="button", kind="button", text='Pay "now"\x07', rid="pay", box=(10, 20, 50, 40), clickable=True),
        DomNode(tag="span", kind="text", text="inner", parent=0, box=(12, 22, 48, 38)),
        DomNode(tag="input", kind="checkbox", rid="agree", box=(0, 50, 20, 70), checkable=True, checked=True),
    ])
    tree = dom_tree(snap, (300, 400), package="shop")
    assert parses == []
    assert ScreenTree.from_xml(render_hierarchy(snap, (300, 400), package="shop")) == tree
    root, pay, inner, agree = tree.nodes
    assert pay.text == 'Pay "now"' and tree.children(root) == [pay, agree] and tree.children(pay) == [inner]
    assert agree.checkable and agree.checked and pay.focusable and root.desc == snap.url


def test_observation_is_immutable_and_writes_xml_from_a_given_tree() -> None:
    tree = ScreenTree.from_xml(_xml())
    obs = _observation(tree=tree)
    assert obs.tree is tree and obs.hierarchy == _xml()
    with pytest.raises(AttributeError):
        obs.app = "other"  # type: ignore[misc]
    plain = Observation(screenshot=obs.screenshot, hierarchy=None, app=None)
    assert plain.tree is None and plain.hierarchy is None
