"""Who may talk to `autoagent serve`: loopback by default, a token otherwise (real HTTP server)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message

import pytest

from autoagent.web.server import make_app
from tests.rawhttp import raw_request


def call(url: str, path: str, body: dict | None = None, headers: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(url + path, data=data, headers=hdrs, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture
def with_token(tmp_path):
    served = make_app(token="s3cret-token", traces=tmp_path)
    yield served
    served.close()


def test_requests_without_the_token_get_401(with_token):
    base = with_token.url.split("?")[0]
    assert call(base, "") == 401
    assert call(base, "api/state") == 401
    assert call(base, "api/run", {"task": "buy"}) == 401
    assert call(base, "api/state?token=wrong-token") == 401
    assert call(base, "api/state?token=s3cret-token") == 200
    assert call(base, "api/state", headers={"X-Autoagent-Token": "s3cret-token"}) == 200
    assert call(base, "?token=s3cret-token") == 200


def test_loopback_without_token_is_open_but_strict(tmp_path):
    served = make_app(traces=tmp_path)
    try:
        base = served.url
        assert served.server_address[0] == "127.0.0.1"
        assert call(base, "api/state") == 200
        assert call(base, "api/state", headers={"Host": "evil.example:80"}) == 403  # DNS rebinding
        # A form post from another site cannot send JSON without a preflight: refused.
        req = urllib.request.Request(base + "api/run", data=b"task=buy", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 415
        assert call(base, "api/run", {"task": "  "}) == 400
        assert call(base, "api/run", {"task": "buy", "device": "toaster"}) == 400
        assert call(base, "api/run", {"task": "buy", "device": "emulator"}) == 400  # no engine chosen
        assert call(base, "api/stop", {}) == 409  # nothing to stop
    finally:
        served.close()


def test_other_addresses_need_the_flag_and_get_a_token(tmp_path):
    with pytest.raises(ValueError, match="not a loopback address"):
        make_app(host="0.0.0.0", traces=tmp_path)
    served = make_app(host="0.0.0.0", allow_remote=True, traces=tmp_path)
    try:
        assert served.app.token and len(served.app.token) >= 16
        port = served.server_address[1]
        assert call(f"http://127.0.0.1:{port}/", "api/state") == 401
        assert call(f"http://127.0.0.1:{port}/", f"api/state?token={served.app.token}") == 200
    finally:
        served.close()


def test_engine_errors_are_reported_not_crashed(tmp_path):
    served = make_app(traces=tmp_path)
    try:
        base = served.url
        assert call(base, "api/run", {"task": "make coffee", "device": "emulator", "engine": "openai"}) == 202
        assert served.app.run.join(20)
        summary = served.app.run.summary()
        assert summary["status"] == "error" and "base_url" in summary["message"]
        assert call(base, "api/state") == 200  # the server lives on
    finally:
        served.close()


def headers_of(url: str, path: str) -> Message:
    """The response's headers, looked up as HTTP names them: in any case."""
    try:
        with urllib.request.urlopen(url + path, timeout=10) as res:
            return res.headers
    except urllib.error.HTTPError as err:
        return err.headers


def test_no_response_may_be_framed(tmp_path):
    served = make_app(traces=tmp_path)
    try:
        base = served.url
        page = headers_of(base, "")
        csp = [part.strip() for part in page["Content-Security-Policy"].split(";")]
        assert "frame-ancestors 'none'" in csp
        for path in ("", "api/state", "api/screen.png", "nowhere"):  # 200s and errors alike
            assert headers_of(base, path).get("X-Frame-Options") == "DENY", path
    finally:
        served.close()


@pytest.mark.parametrize("length", ["-1", "abc"])
def test_bad_content_length_gets_400_and_the_server_lives_on(tmp_path, length):
    served = make_app(traces=tmp_path)
    try:
        host, port = served.server_address[:2]
        request = (f"POST /api/run HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {length}\r\n\r\n{{\"task\": \"buy\"}}").encode()
        reply = raw_request(served.server_address[:2], request)  # returns only because the server answers and closes
        # The HTTP layer refuses the request before any route reads it.
        assert reply.startswith(b"HTTP/1.1 400 ")
        assert reply.split(b"\r\n\r\n", 1)[1] == b"Invalid HTTP request received."
        assert served.app.run is None
        assert call(served.url, "api/state") == 200
    finally:
        served.close()


def test_a_chunked_body_is_counted_as_it_arrives(tmp_path):
    """Without a Content-Length to check first, the limit still holds: 413 once the bytes pass it."""
    served = make_app(traces=tmp_path)
    try:
        host, port = served.server_address[:2]
        chunk = b"x" * 16384
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
        request = (f"POST /api/input HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                   f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode() + body
        reply = raw_request(served.server_address[:2], request)
        assert reply.startswith(b"HTTP/1.1 413 ")
        assert json.loads(reply.split(b"\r\n\r\n", 1)[1]) == {"error": "the body is larger than 65536 bytes"}
        assert call(served.url, "api/state") == 200
    finally:
        served.close()


def test_input_on_the_live_screen_needs_the_token_and_this_sites_origin(with_token):
    """The take-over's input endpoint is guarded as every other one: token, Origin, body checks."""
    base = with_token.url.split("?")[0]
    own = base.rstrip("/")
    token = {"X-Autoagent-Token": "s3cret-token"}
    tap = {"kind": "tap", "x": 500, "y": 500}
    assert call(base, "api/input", tap) == 401
    assert call(base, "api/input", tap, headers={**token, "Origin": "http://evil.example"}) == 403
    assert call(base, "api/input", tap, headers={**token, "Origin": "null"}) == 403
    assert call(base, "api/run", {"task": "buy"}, headers={**token, "Origin": "http://evil.example"}) == 403
    assert call(base, "api/input", tap, headers={**token, "Origin": own}) == 409  # no run: nothing to drive
    req = urllib.request.Request(base + "api/input", data=b"kind=tap&x=1&y=1", method="POST",
                                 headers={**token, "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 415
    huge = {"kind": "type", "text": "x" * (70 * 1024)}
    assert call(base, "api/input", huge, headers=token) == 413


def reply_of(url: str, path: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


@pytest.mark.parametrize(("body", "error"), [
    ({"kind": "tap", "x": 1000, "y": 5}, "x must be a whole number from 0 to 999, a point on the screen (got 1000)"),
    ({"kind": "tap", "x": 5, "y": -1}, "y must be a whole number from 0 to 999, a point on the screen (got -1)"),
    ({"kind": "tap", "x": 5.5, "y": 5}, "x must be a whole number from 0 to 999, a point on the screen (got 5.5)"),
    ({"kind": "swipe", "x1": 1, "y1": 2, "x2": 3}, "y2 is missing for a swipe"),
    ({"kind": "type", "text": ""}, "text must be 1 to 1000 characters of text (got 0 characters)"),
    ({"kind": "type", "text": "y" * 1001}, "text must be 1 to 1000 characters of text (got 1001 characters)"),
    ({"kind": "pinch"}, "kind must be tap, swipe or type (got 'pinch')"),
    ({"kind": "tap", "x": 1, "y": 1, "force": 9}, "unexpected field 'force' for a tap"),
])
def test_bad_input_on_the_live_screen_gets_one_clear_line(tmp_path, body, error):
    served = make_app(traces=tmp_path)
    try:
        assert reply_of(served.url, "api/input", body) == (400, {"error": error})
    finally:
        served.close()
