"""A published AutoGLM client, autoglm-gui, drives whole emulator tasks over Debian's adb.

The client's own adb layer does everything (see tests/peer_autoglm.py): it installs and
selects the ADB Keyboard, takes screenshots with exec-out screencap, reads the app in front
from dumpsys window, launches with monkey, taps with input and types with the keyboard's
broadcasts. Its model is replaced by the replies the emulator's expert gave in-process. The
tasks are judged by the apps' own state (orders, payments, contacts), not by the client's word.
"""

from __future__ import annotations

import shutil

import pytest

from emulator import tasks
from emulator.expert import PROFILE
from emulator.wire import serve
from emulator.wire.device_state import ADB_KEYBOARD_IME, DEFAULT_IME
from tests.peer_autoglm import client_delays, client_env, emulator_apps, expert_replies, run_replies

pytest.importorskip("AutoGLM_GUI", reason="autoglm-gui is a dev dependency (bash install.sh --dev)")
pytestmark = [
    pytest.mark.skipif(shutil.which("adb") is None, reason="Debian's adb is not installed (bash install.sh --dev)"),
    pytest.mark.usefixtures("no_adb_daemon"),
]


@pytest.fixture()
def served(monkeypatch):
    """Serve a task's phone and point the client's adb at it; yields a function taking the task."""
    servers = []

    def start(task: tasks.Task):
        srv = serve(task.make_phone())
        servers.append(srv)
        for key, value in client_env(srv.adb_port).items():
            monkeypatch.setenv(key, value)
        return srv

    yield start
    for srv in servers:
        srv.stop()


def test_autoglm_gui_buys_the_white_tshirt(served, tmp_path):
    task = tasks.get("shop_buy_white_tshirt_m")
    replies = expert_replies(task, str(tmp_path))
    srv = served(task)
    phone = srv.phone
    with emulator_apps(phone), client_delays(0.0):
        run = run_replies(srv.serial, replies)

    assert run.finished and all(step.success for step in run.steps), [(s.action, s.message) for s in run.steps]
    assert task.is_successful(phone)  # a paid order for a White T-shirt in size M
    (order,) = phone.app_state("shop").orders
    # Typed through the ADB Keyboard's base64 broadcast, Chinese included.
    assert (order.address.name, order.address.phone, order.address.address) == (
        PROFILE.name, PROFILE.phone, PROFILE.address)
    (payment,) = phone.payments
    assert payment.cause.kind == "tap" and phone.find(resource_id="success_title") is not None
    # The client asked its confirmation callback before each sensitive tap, then tapped.
    assert run.confirmations == ["Buy the product", "Place the order and pay", "Pay for the order"]
    # It installed the keyboard itself, typed with it, and put the user's keyboard back.
    assert "com.android.adbkeyboard" in srv.device.installed
    assert ADB_KEYBOARD_IME in srv.device.enabled_input_methods()
    assert srv.device.selected_input_method() == DEFAULT_IME
    assert [s.current_app for s in run.steps][:2] == ["System Home", "Shop"]


def test_autoglm_gui_adds_a_contact(served, tmp_path):
    task = tasks.get("contacts_add_chen_jie")
    replies = expert_replies(task, str(tmp_path))
    srv = served(task)
    with emulator_apps(srv.phone), client_delays(0.0):
        run = run_replies(srv.serial, replies)
    assert run.finished and task.is_successful(srv.phone)
    assert run.confirmations == []  # nothing sensitive on the way


def test_a_refused_confirmation_stops_before_paying(served, tmp_path):
    task = tasks.get("shop_buy_white_tshirt_m")
    replies = expert_replies(task, str(tmp_path))
    srv = served(task)
    with emulator_apps(srv.phone), client_delays(0.0):
        run = run_replies(srv.serial, replies, confirm=lambda message: message != "Pay for the order")
    assert run.steps[-1].message == "User cancelled sensitive operation"
    assert not task.is_successful(srv.phone) and srv.phone.payments == []
    assert srv.phone.find(resource_id="pay_button") is not None  # left on the payment sheet
