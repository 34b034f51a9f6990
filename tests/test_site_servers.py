"""The demo and attack sites' HTTP layer (no browser): loopback only, bodies within their limit,
stuck requests that do not hold a shutdown, and the attack site's command line."""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest

from emulator.web import serve_demo_site
from emulator.web.hostile import main as hostile_main
from emulator.web.hostile import serve_hostile_site
from emulator.web.server import MAX_FORM
from tests.rawhttp import raw_request


@pytest.mark.parametrize("serve", [serve_demo_site, serve_hostile_site], ids=["demo", "attack"])
def test_a_site_serves_this_machine_only(serve) -> None:
    with pytest.raises(ValueError, match="0.0.0.0 is not a loopback address"):
        with serve(host="0.0.0.0"):
            pass


@pytest.mark.parametrize("path", ["/shop/cart", "/net/api/search"])
def test_a_chunked_form_is_counted_as_it_arrives(path: str) -> None:
    """Without a Content-Length to check first, the limit still holds: 413 once the bytes pass it,
    and the connection closes (the rest of the body is never read)."""
    chunk = b"x" * 16384
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_FORM // len(chunk) + 1)) + b"0\r\n\r\n"
    with serve_demo_site() as site:
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Transfer-Encoding: chunked\r\n\r\n").encode()
        reply = raw_request(site.server_address, head + body)  # returns only because the server closes
        assert reply.startswith(b"HTTP/1.1 413 ")
        assert f"larger than {MAX_FORM} bytes".encode() in reply
        assert site.state.cart == {} and site.state.lab_log == []
        with urllib.request.urlopen(site.url + "/shop", timeout=10) as resp:
            assert resp.status == 200


def test_a_chunked_form_within_the_limit_is_taken() -> None:
    form = b"product_id=p01&quantity=2"
    with serve_demo_site() as site:
        head = (b"POST /shop/cart HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        reply = raw_request(site.server_address, head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(form), form))
        assert reply.startswith(b"HTTP/1.1 303 ") and b"location: /shop/cart" in reply.lower()
        assert site.state.cart == {"p01": 2}


def test_a_stuck_request_does_not_hold_the_sites_shutdown() -> None:
    errors: list[BaseException] = []

    def hang(url: str) -> None:
        try:
            urllib.request.urlopen(url, timeout=20).read()
        except BaseException as err:  # the site closes under it: any ending will do
            errors.append(err)

    with serve_demo_site() as site:
        thread = threading.Thread(target=hang, args=(site.url + "/api/hang?ms=30000&headers=1",), daemon=True)
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
    assert time.monotonic() - started < 3
    thread.join(5)
    assert not thread.is_alive() and errors  # the body that never came was cut, not finished


def test_the_attack_sites_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        hostile_main(["--help"])
    assert done.value.code == 0 and "[port]" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        hostile_main(["eighty"])
    assert done.value.code == 2 and "invalid int value: 'eighty'" in capsys.readouterr().err
