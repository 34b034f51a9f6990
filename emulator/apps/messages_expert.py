"""The expert's strategy for sending a message: from Messages (an open thread or a new
message), or from the contact's card in Contacts."""

from __future__ import annotations

from dataclasses import dataclass

from autoagent.actions import Action, Back
from autoagent.policy.base import PolicyError
from emulator.apps.contacts import Contacts
from emulator.apps.contacts_expert import find_contact
from emulator.apps.messages import Messages
from emulator.expertkit import Moves, Screen, Strategy


@dataclass(frozen=True)
class SendMessage:
    to: str  # a contact's English name ("Li Na")
    text: str
    via_contacts: bool = False  # start from the Contacts app and use its Message button


def thread_is_target(ex: Moves, messages) -> bool:
    contact = find_contact(ex, ex.spec.to)  # type: ignore[union-attr]
    return contact is not None and messages.top.params.get("phone") == contact.phone


def step(ex: Moves, s: Screen, app) -> tuple[str, Action]:
    spec = ex.spec
    assert isinstance(spec, SendMessage)
    contact = find_contact(ex, spec.to)
    if contact is None:
        raise PolicyError(f"the phone has no contact called {spec.to!r}")
    en, zh = contact.name.rsplit(" ", 1)
    who = ex.as_goal_writes(en, zh)
    screen = app.top
    if app.package == Contacts.package:
        if screen.name == "home":
            row = s.row("contact_item", contact.name)
            if row is not None:
                return ex.say(f"I open {en}'s contact card.", f"打开{zh}的联系人详情。"), ex.tap(s, row)
            return ex.seek(s, "contact_list", (en, zh))
        if screen.name == "contact":
            if screen.params.get("phone") != contact.phone:
                return ex.say("This is someone else; I go back.", "这是别人，返回。"), Back()
            return ex.press(s, "message_button", ("Message", "发消息"))
        return ex.say("I go back to the contact list.", "返回联系人列表。"), Back()
    if screen.name == "home":
        thread = s.row("thread_item", contact.name)
        if thread is not None:
            return ex.say(f"I open the conversation with {en}.", f"打开和{zh}的对话。"), ex.tap(s, thread)
        return ex.press(s, "new_message_button", ("New message", "新消息"))
    if screen.name == "compose":
        state = app.state
        row = s.row("suggestion_item", contact.name)
        if row is not None and state.compose_to:
            return ex.say(f"I pick {en} from the suggestions.", f"在建议中选择{zh}。"), ex.tap(s, row)
        step = ex.fill(s, "recipient_input", state.compose_to, who, ("recipient", "收件人"))
        if step is not None:
            return step
        return ex.seek(s, "contact_suggestions", (en, zh))
    if screen.name == "thread":
        if not thread_is_target(ex, app):
            return ex.say("This conversation is with someone else; I go back.", "这是和别人的对话，返回。"), Back()
        thread = app.state.thread(contact.phone)
        step = ex.fill(s, "message_input", thread.draft, spec.text, ("message", "短信内容"))
        if step is not None:
            return step
        return ex.press(s, "send_button", ("Send", "发送"), message=("Send the message", "发送短信"))
    return ex.say("I go back.", "返回。"), Back()


def needed_app(ex: Moves) -> str:
    """Messages, unless the task goes through the contact's card and that thread is not open yet."""
    spec = ex.spec
    if spec.via_contacts:
        messages = ex.phone.apps[Messages.package]
        if ex.phone.foreground is messages and messages.top.name == "thread" and thread_is_target(ex, messages):
            return Messages.package
        return Contacts.package
    return Messages.package


def summary(ex: Moves) -> str:
    return ex.say(f"Sent the message to {ex.spec.to}.", f"已给{ex.spec.to}发送短信。")


STRATEGIES = (Strategy(SendMessage, step, summary, app=needed_app),)
