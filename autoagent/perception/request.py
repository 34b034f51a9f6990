"""A request on its way out of the device (a browser's fetch, form post or navigation), as the
guards read it: the method, the URL, a few headers, and the query, form, JSON or multipart
body split into fields. Devices build it (:func:`outgoing_request`); :mod:`autoagent.safety.network`
judges it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, Field

# How much of a body is read: a card number sits in the first kilobytes of any form.
MAX_BODY_CHARS = 256 * 1024


class OutgoingRequest(BaseModel):
    """A request on its way out of the browser, as the guard reads it."""

    method: str
    url: str
    headers: dict[str, str] = Field(default_factory=dict)  # content-type, origin, referer
    fields: list[tuple[str, str]] = Field(default_factory=list)  # query, form and JSON leaves, in order
    body: str = ""  # the body as text (clipped), for what no field holds
    resource_type: str = ""  # document, fetch, xhr, ping, image...
    is_navigation: bool = False


def outgoing_request(method: str, url: str, headers: dict[str, str] | None = None, body: bytes | str | None = None,
                     resource_type: str = "", is_navigation: bool = False) -> OutgoingRequest:
    """The request as the guard reads it: the query, a form, JSON or multipart body split into fields."""
    wanted = {k.lower(): v for k, v in (headers or {}).items() if k.lower() in ("content-type", "origin", "referer")}
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else (body or "")
    text = text[:MAX_BODY_CHARS]
    fields = parse_qsl(urlsplit(url).query, keep_blank_values=True) + body_fields(text, wanted.get("content-type", ""))
    return OutgoingRequest(method=method.upper(), url=url, headers=wanted, fields=fields, body=text,
                           resource_type=resource_type, is_navigation=is_navigation)


def body_fields(text: str, content_type: str) -> list[tuple[str, str]]:
    """A body's fields: form-encoded, JSON (leaves named by their path) or multipart text parts."""
    kind = content_type.split(";")[0].strip().lower()
    stripped = text.lstrip()
    if not stripped:
        return []
    if kind == "multipart/form-data" or stripped.startswith("--"):
        parts = re.findall(r'name="([^"]*)"(?:; filename="[^"]*")?\r?\n(?:[^\r\n]+\r?\n)*\r?\n(.*?)\r?\n--', text,
                           re.DOTALL)
        if parts:
            return [(k, v) for k, v in parts]
    if kind.endswith("json") or stripped[:1] in "{[":
        try:
            return list(_leaves(json.loads(text), ""))
        except ValueError:
            pass
    if kind == "application/x-www-form-urlencoded" or re.fullmatch(r"[^\s=&]+=[^\s&]*(?:&[^\s=&]+=[^\s&]*)*", stripped):
        return parse_qsl(stripped, keep_blank_values=True)
    return []


def _leaves(value: object, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, str(key))  # the nearest name says what a value is
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner, path)
    elif value is not None:
        yield path, value if isinstance(value, str) else json.dumps(value)
