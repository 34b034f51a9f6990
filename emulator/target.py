"""The emulator as an autoagent target (entry point ``autoagent.targets``: ``emulator``).

Everything here is data or a function that imports what it needs when called, so looking
the target up stays cheap for a run that never opens the emulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from autoagent.plugins import Command, Target
from emulator.apps.contacts import Contacts
from emulator.apps.messages import Messages
from emulator.apps.restaurant import Restaurant
from emulator.apps.settings import Settings
from emulator.apps.shop import Shop
from emulator.apps.travel import Travel

APPS = (Shop, Travel, Restaurant, Settings, Contacts, Messages)


def _open(seed: int = 0, hazards: Any = False) -> Any:
    from emulator.phone import Phone

    return Phone(seed=seed, hazards=hazards)


def _tasks() -> Sequence[Any]:
    from emulator.tasks import TASKS

    return TASKS


def _expert(device: Any, task: Any, lang: str | None) -> Any:
    from emulator.expert import ExpertPolicy

    return ExpertPolicy(device, task, lang=lang)


def _vocabulary() -> Any:
    from emulator.vocabulary import vocabulary

    return vocabulary()


def _demo_site(seed: int) -> AbstractContextManager[Any]:
    from emulator.web import serve_demo_site

    return serve_demo_site(seed=seed)


def _phone_command(argv: list[str]) -> int:
    from emulator.__main__ import main

    return main(argv)


def _demos_command(argv: list[str]) -> int:
    from emulator.training.demos import main

    return main(argv)


def _eval_command(argv: list[str]) -> int:
    from emulator.training.evaluate import main

    return main(argv)


TARGET = Target(
    name="emulator",
    # The names a person uses for each app: what the phone's own launch accepts too.
    apps={name: (app.package,) for app in APPS for name in (app.label.lower(), app.label_zh, *app.aliases)},
    # The apps with a payment sheet.
    payment_apps=(Shop.package, Travel.package, Restaurant.package),
    open_device=_open,
    tasks=_tasks,
    expert=_expert,
    vocabulary=_vocabulary,
    demo_site=_demo_site,
    commands={
        "emulator": Command(help="the built-in virtual phone: serve it over adb, list apps, screenshot",
                            main=_phone_command),
        "demos": Command(help="collect expert demonstrations (and DAgger corrections) on the emulator: training rows",
                         main=_demos_command),
        "eval": Command(help="evaluate a checkpoint (default: the embedded one) on held-out emulator tasks",
                        main=_eval_command),
    },
)
