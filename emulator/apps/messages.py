"""短信 Messages (com.autoagent.messages): conversations, compose, send."""

from __future__ import annotations

from pydantic import BaseModel, Field

from emulator import theme
from emulator.apps.base import App, Screen
from emulator.apps.common import matches
from emulator.widgets import UI, Node


class Message(BaseModel):
    text: str
    outgoing: bool


class Thread(BaseModel):
    name: str
    phone: str
    messages: list[Message] = Field(default_factory=list)
    draft: str = ""


class SentMessage(BaseModel):
    to_name: str
    to_phone: str
    text: str


class MessagesState(BaseModel):
    threads: list[Thread] = Field(default_factory=list)
    sent: list[SentMessage] = Field(default_factory=list)
    compose_to: str = ""

    def thread(self, phone: str) -> Thread:
        return next(t for t in self.threads if t.phone == phone)


_GREETINGS = ["See you tomorrow! 明天见！", "Thanks 谢谢", "Are you free tonight? 今晚有空吗？",
              "The package arrived 快递到了", "Call me when you can 方便时给我回电话"]


class Messages(App):
    package = "com.autoagent.messages"
    label = "Messages"
    label_zh = "短信"
    letter = "信"
    aliases = ("sms", "message", "信息", "消息")
    permission = "access your contacts"

    def make_state(self) -> MessagesState:
        contacts = self.phone.apps["com.autoagent.contacts"].state.contacts  # type: ignore[attr-defined]
        threads = [Thread(name=c.name, phone=c.phone,
                          messages=[Message(text=self.rng.choice(_GREETINGS), outgoing=False)])
                   for c in self.rng.sample(contacts, 3)]
        return MessagesState(threads=threads)

    @property
    def box(self) -> MessagesState:
        return self.state  # type: ignore[return-value]

    def screen_title(self, screen: Screen) -> str:
        return {"compose": "New message 新消息"}.get(screen.name, "Messages 短信")

    def screen_home(self, ui: UI) -> None:
        self.app_bar(ui, "Messages 短信", [("New 新消息", self._compose, "new_message_button")])
        if not self.box.threads:
            ui.gap(300)
            ui.text("No conversations 暂无会话", size=44, align="center", rid="empty")
            return
        with ui.scroll("threads", rid="thread_list"):
            for t in self.box.threads:
                last = t.messages[-1].text if t.messages else ""
                ui.row(t.name, lambda t=t: self.open("thread", phone=t.phone), subtitle=last, rid="thread_item",
                       image=t.name.split()[-1][0], image_color="#7B1FA2", chevron=False)

    def _compose(self) -> None:
        self.box.compose_to = ""
        screen = self.open("compose")
        screen.focus = "recipient_input"

    def open_conversation(self, name: str, phone: str) -> None:
        """Open (or start) the conversation with a contact: how other apps hand over."""
        if not any(t.phone == phone for t in self.box.threads):
            self.box.threads.insert(0, Thread(name=name, phone=phone))
        screen = self.open("thread", phone=phone)
        screen.focus = "message_input"

    def screen_compose(self, ui: UI) -> None:
        s = self.box
        self.app_bar(ui, "New message 新消息")
        ui.gap(20)
        ui.edit("recipient_input", s.compose_to, lambda v: setattr(s, "compose_to", v),
                hint="To: name or number 收件人", submit=self._pick_first)
        ui.gap(20)
        with ui.scroll("suggestions", rid="contact_suggestions"):
            for c in self._suggestions():
                ui.row(c.name, lambda c=c: self.open_conversation_from_compose(c.name, c.phone), subtitle=c.phone,
                       rid="suggestion_item", chevron=False)

    def _suggestions(self):
        contacts = self.phone.apps["com.autoagent.contacts"].state.contacts  # type: ignore[attr-defined]
        query = self.box.compose_to.strip()
        return [c for c in contacts if not query or matches(query, c.name, c.phone)]

    def _pick_first(self) -> None:
        query = self.box.compose_to.strip()
        found = self._suggestions()
        if found:
            self.open_conversation_from_compose(found[0].name, found[0].phone)
        elif query.replace("+", "").isdigit():
            self.open_conversation_from_compose(query, query)
        else:
            self.toast("No such contact 没有该联系人")

    def open_conversation_from_compose(self, name: str, phone: str) -> None:
        self.stack.pop()
        self.open_conversation(name, phone)

    def screen_thread(self, ui: UI, phone: str) -> None:
        t = self.box.thread(phone)
        self.app_bar(ui, t.name)
        with ui.footer(170) as bar:
            top = bar.bounds[1]
            saved_y = ui.y
            ui.y = top + 20
            ui._parents.append(bar)
            ui.edit("message_input", t.draft, lambda v: setattr(t, "draft", v), hint="Message 短信",
                    submit=lambda: self._send(t), right=800)
            ui._parents.pop()
            ui.y = saved_y
            bar.add(Node((820, top + 20, 1040, top + 150), cls="android.widget.Button", text="Send 发送",
                         rid="send_button", clickable=True, focusable=True, bg=theme.PRIMARY, fg="#FFFFFF",
                         radius=65, size=38, bold=True, align="center", on_tap=lambda: self._send(t)))
        with ui.scroll("thread", rid="message_list"):
            ui.gap(20)
            from emulator.render import wrap_lines
            for m in t.messages:
                lines = wrap_lines(m.text, 40, False, 640)
                height = len(lines) * 58 + 40
                width = min(700, max(int(__import__("emulator.render", fromlist=["x"]).text_width(l, 40))
                                     for l in lines) + 60)
                left = theme.WIDTH - 40 - width if m.outgoing else 40
                ui.put(Node((left, ui.y, left + width, ui.y + height), cls="android.widget.TextView", text=m.text,
                            rid="message_outgoing" if m.outgoing else "message_incoming", size=40, wrap=True,
                            pad=30, bg=theme.PRIMARY if m.outgoing else theme.SURFACE,
                            fg="#FFFFFF" if m.outgoing else theme.TEXT, radius=30))
                ui.gap(20)

    def _send(self, t: Thread) -> None:
        text = t.draft.strip()
        if not text:
            self.toast("Type a message first 请输入内容")
            return
        t.messages.append(Message(text=text, outgoing=True))
        self.box.sent.append(SentMessage(to_name=t.name, to_phone=t.phone, text=text))
        t.draft = ""
