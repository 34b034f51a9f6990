"""A URL that downloads: the file is saved and the model hears what came and where (a notice in
the next observation), and the run goes on instead of ending on an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Finish, Launch
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_notices import TOAST_CLASS
from autoagent.actuators.execute import execute
from autoagent.agent import Agent, Status
from autoagent.policy.scripted import ScriptedPolicy
from emulator.web import DemoSite, serve_demo_site

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


@VIEWPORTS
def test_launching_a_download_saves_it_and_says_so(browser: Browser, site: DemoSite, tmp_path: Path,
                                                   mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile, download_dir=tmp_path) as dev:
        assert dev.wait_until_settled(5)
        execute(Launch(app=site.url + "/shop/catalogue.csv"), dev)
        assert dev.wait_until_settled(5)
        assert dev.url == site.url + "/shop"  # the page stays where it was
        saved = tmp_path / "catalogue.csv"
        assert saved.read_text(encoding="utf-8").startswith("id,name,price\n")
        obs = dev.observe()
        (toast,) = [n for n in obs.tree.nodes if n.cls == TOAST_CLASS]
        assert "catalogue.csv" in toast.text and str(saved) in toast.text and "bytes" in toast.text
        # The next action's screen no longer carries it.
        execute(Launch(app=site.url + "/shop/cart"), dev)
        assert not [n for n in dev.observe().tree.nodes if n.cls == TOAST_CLASS]


def test_a_run_that_opens_a_download_goes_on(browser: Browser, site: DemoSite, tmp_path: Path) -> None:
    script = ScriptedPolicy.of([Launch(app=site.url + "/shop/catalogue.csv"), Finish(message="saved")])
    with BrowserDevice.attach(browser, site.url + "/shop", download_dir=tmp_path / "dl") as dev:
        result = Agent(dev, script, trace_root=tmp_path / "traces").run("download the catalogue")
    assert result.status is Status.SUCCESS, result.message
    assert (tmp_path / "dl" / "catalogue.csv").is_file()
