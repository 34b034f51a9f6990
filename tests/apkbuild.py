"""Build small APKs for tests: a zip whose AndroidManifest.xml is compiled to Android's binary XML.

Only what the package manager reads is written (string pool, resource map, elements); the
tests also install a real, signed APK (the ADB Keyboard that autoglm-gui ships) so the
reader is not only checked against this writer.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

ANDROID_NS = "http://schemas.android.com/apk/res/android"
# android:* attributes and their framework resource ids (the order of the resource map).
ANDROID_ATTRS = {"name": 0x01010003, "permission": 0x01010006, "versionCode": 0x0101021B,
                 "versionName": 0x0101021C}
NO_INDEX = 0xFFFFFFFF


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | int | bool] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)


def app_manifest(package: str, activity: str = ".MainActivity", version_code: int = 1,
                 version_name: str = "1.0") -> Node:
    """A manifest with one launcher activity."""
    intent = Node("intent-filter", children=[Node("action", {"name": "android.intent.action.MAIN"}),
                                             Node("category", {"name": "android.intent.category.LAUNCHER"})])
    application = Node("application", children=[Node("activity", {"name": activity}, [intent])])
    return Node("manifest", {"package": package, "versionCode": version_code, "versionName": version_name},
                [application])


def build_apk(manifest: Node | bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """An APK: the compiled manifest plus a placeholder classes.dex (the phone never runs it)."""
    raw = manifest if isinstance(manifest, bytes) else compile_xml(manifest)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("AndroidManifest.xml", raw)
        z.writestr("classes.dex", b"dex\n035\x00")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def compile_xml(root: Node) -> bytes:
    strings = list(ANDROID_ATTRS)  # first, so their indexes line up with the resource map
    for extra in (ANDROID_NS,):
        strings.append(extra)

    def intern(s: str) -> int:
        if s not in strings:
            strings.append(s)
        return strings.index(s)

    body = b"".join(_element(root, intern))
    pool = _string_pool(strings)
    resmap = struct.pack("<HHI", 0x0180, 8, 8 + 4 * len(ANDROID_ATTRS)) + struct.pack(
        f"<{len(ANDROID_ATTRS)}I", *ANDROID_ATTRS.values())
    payload = pool + resmap + body
    return struct.pack("<HHI", 0x0003, 8, 8 + len(payload)) + payload


def _element(node: Node, intern) -> list[bytes]:
    attrs = b""
    for key, value in node.attrs.items():
        android = key in ANDROID_ATTRS
        ns = intern(ANDROID_NS) if android else NO_INDEX
        if isinstance(value, bool):
            raw, vtype, data = NO_INDEX, 0x12, 0xFFFFFFFF if value else 0
        elif isinstance(value, int):
            raw, vtype, data = NO_INDEX, 0x10, value & 0xFFFFFFFF
        else:
            raw = intern(value)
            vtype, data = 0x03, raw
        attrs += struct.pack("<IIIHBBI", ns, intern(key), raw, 8, 0, vtype, data)
    name = intern(node.tag)
    ext = struct.pack("<IIHHHHHH", NO_INDEX, name, 20, 20, len(node.attrs), 0, 0, 0)
    start_body = struct.pack("<II", 1, NO_INDEX) + ext + attrs
    out = [struct.pack("<HHI", 0x0102, 16, 8 + len(start_body)) + start_body]
    for child in node.children:
        out += _element(child, intern)
    end_body = struct.pack("<IIII", 1, NO_INDEX, NO_INDEX, name)
    out.append(struct.pack("<HHI", 0x0103, 16, 8 + len(end_body)) + end_body)
    return out


def _string_pool(strings: list[str]) -> bytes:
    offsets, data = [], b""
    for s in strings:
        offsets.append(len(data))
        encoded = s.encode("utf-16-le")
        data += struct.pack("<H", len(s)) + encoded + b"\x00\x00"
    data += b"\x00" * (-len(data) % 4)
    header_size = 28
    strings_start = header_size + 4 * len(strings)
    body = struct.pack(f"<{len(strings)}I", *offsets) + data
    return struct.pack("<HHIIIIII", 0x0001, header_size, header_size + len(body), len(strings), 0, 0,
                       strings_start, 0) + body
