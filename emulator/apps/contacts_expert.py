"""The expert's strategy in Contacts: add a contact with a name and a number."""

from __future__ import annotations

from dataclasses import dataclass

from autoagent.actions import Action, Back
from emulator.apps.contacts import Contacts
from emulator.expertkit import Moves, Screen, Strategy


@dataclass(frozen=True)
class AddContact:
    name: str
    phone: str


def find_contact(ex: Moves, name: str):
    return ex.phone.app_state("contacts").by_name(name)  # type: ignore[attr-defined]


def step(ex: Moves, s: Screen, app) -> tuple[str, Action]:
    spec = ex.spec
    assert isinstance(spec, AddContact)
    state = app.state
    screen = app.top
    if screen.name == "home":
        return ex.press(s, "add_contact_button", ("+ Add", "新建"))
    if screen.name == "add":
        for rid, attr, wanted, what in (("new_contact_name", "new_name", spec.name, ("name", "姓名")),
                                        ("new_contact_phone", "new_phone", spec.phone, ("phone number", "电话"))):
            step = ex.fill(s, rid, getattr(state, attr), wanted, what)
            if step is not None:
                return step
        return ex.press(s, "save_contact_button", ("Save", "保存"))
    return ex.say("I go back to the contact list.", "返回联系人列表。"), Back()


def summary(ex: Moves) -> str:
    return ex.say(f"Saved {ex.spec.name} to contacts.", f"已保存联系人{ex.spec.name}。")


STRATEGIES = (Strategy(AddContact, step, summary, app=lambda ex: Contacts.package),)
