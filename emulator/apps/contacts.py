"""联系人 Contacts (com.autoagent.contacts): list, details, add a contact, message a contact."""

from __future__ import annotations

from pydantic import BaseModel

from emulator import theme
from emulator.apps.base import App, Screen
from emulator.apps.common import matches
from emulator.widgets import UI

NAMES = [("Zhang Wei", "张伟"), ("Li Na", "李娜"), ("Wang Fang", "王芳"), ("Liu Yang", "刘洋"), ("Chen Jing", "陈静"),
         ("Alice Chen", "陈爱丽"), ("Bob Li", "李博"), ("Zhao Lei", "赵磊"), ("Sun Li", "孙丽"), ("Zhou Min", "周敏"),
         ("Emma Wu", "吴艾玛"), ("Huang Tao", "黄涛")]


class Contact(BaseModel):
    name: str  # "Li Na 李娜"
    phone: str


class ContactsState(BaseModel):
    contacts: list[Contact]
    new_name: str = ""
    new_phone: str = ""
    query: str = ""

    def by_name(self, name: str) -> Contact | None:
        return next((c for c in self.contacts if matches(name, c.name)), None)


class Contacts(App):
    package = "com.autoagent.contacts"
    label = "Contacts"
    label_zh = "联系人"
    letter = "联"
    aliases = ("phonebook", "address book", "通讯录")

    def make_state(self) -> ContactsState:
        people = [Contact(name=f"{en} {zh}", phone=f"138{self.rng.randrange(10000000, 99999999)}")
                  for en, zh in NAMES]
        people.sort(key=lambda c: c.name)
        return ContactsState(contacts=people)

    @property
    def book(self) -> ContactsState:
        return self.state  # type: ignore[return-value]

    def screen_title(self, screen: Screen) -> str:
        return {"contact": "Contact 联系人详情", "add": "New contact 新建联系人"}.get(screen.name, "Contacts 联系人")

    def screen_home(self, ui: UI) -> None:
        s = self.book
        self.app_bar(ui, "Contacts 联系人", [("+ Add 新建", self._add, "add_contact_button")])
        ui.gap(20)
        ui.edit("contact_search", s.query, lambda v: setattr(s, "query", v), hint="Search contacts 搜索联系人")
        ui.gap(20)
        shown = [c for c in s.contacts if not s.query.strip() or matches(s.query, c.name, c.phone)]
        with ui.scroll("contacts", rid="contact_list"):
            for contact in shown:
                ui.row(contact.name, lambda c=contact: self.open("contact", phone=c.phone), subtitle=contact.phone,
                       rid="contact_item", image=contact.name.split()[-1][0], image_color="#0F9D58")

    def _add(self) -> None:
        self.book.new_name = self.book.new_phone = ""
        screen = self.open("add")
        screen.focus = "new_contact_name"

    def screen_contact(self, ui: UI, phone: str) -> None:
        contact = next(c for c in self.book.contacts if c.phone == phone)
        self.app_bar(ui, "Contact 联系人详情")
        ui.gap(40)
        ui.text(contact.name, size=60, bold=True, align="center", rid="contact_name")
        ui.text(contact.phone, size=44, color=theme.TEXT_2, align="center", rid="contact_phone")
        ui.gap(60)
        ui.button("Message 发消息", lambda: self._message(contact), rid="message_button")
        ui.gap(20)
        ui.button("Call 呼叫", lambda: self.toast(f"Calling 正在呼叫 {contact.name}"), rid="call_button",
                  style="secondary")

    def _message(self, contact: Contact) -> None:
        messages = self.phone.apps["com.autoagent.messages"]
        self.phone.open_app(messages)
        messages.open_conversation(contact.name, contact.phone)  # type: ignore[attr-defined]

    def screen_add(self, ui: UI) -> None:
        s = self.book
        self.app_bar(ui, "New contact 新建联系人")
        ui.gap(30)
        ui.edit("new_contact_name", s.new_name, lambda v: setattr(s, "new_name", v), hint="Name 姓名",
                submit=lambda: self.set_focus("new_contact_phone"))
        ui.gap(20)
        ui.edit("new_contact_phone", s.new_phone, lambda v: setattr(s, "new_phone", v), hint="Phone 电话",
                submit=self._save)
        ui.gap(40)
        ui.button("Save 保存", self._save, rid="save_contact_button")

    def _save(self) -> None:
        s = self.book
        if not s.new_name.strip() or not s.new_phone.strip():
            self.toast("Name and phone are required 请填写姓名和电话")
            return
        s.contacts.append(Contact(name=s.new_name.strip(), phone=s.new_phone.strip()))
        s.contacts.sort(key=lambda c: c.name)
        self.toast("Contact saved 已保存")
        self.set_focus(None)
        self.pop()
