"""What the package manager reads from an APK: its binary AndroidManifest.xml.

An APK is a zip whose ``AndroidManifest.xml`` is compiled to Android's binary XML (a string
pool, an attribute resource map, then start/end element chunks). The phone cannot run the
APK's code, but installing one registers its package, version and components, so a client
that installs the ADB Keyboard gets an input method it can enable and select.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

RES_XML_TYPE = 0x0003
RES_STRING_POOL_TYPE = 0x0001
RES_XML_RESOURCE_MAP_TYPE = 0x0180
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
UTF8_FLAG = 1 << 8
NO_INDEX = 0xFFFFFFFF

# Typed attribute values (Res_value.dataType).
TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12

# Shrunk APKs may drop android:* attribute names from the string pool and keep only their
# resource ids; these are the ids of the attributes the package manager reads here.
ANDROID_ATTR_IDS = {
    0x01010003: "name",
    0x01010006: "permission",
    0x0101021B: "versionCode",
    0x0101021C: "versionName",
    0x01010001: "label",
    0x01010010: "exported",
}

BIND_INPUT_METHOD = "android.permission.BIND_INPUT_METHOD"
INPUT_METHOD_ACTION = "android.view.InputMethod"
COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")


class ApkError(Exception):
    """The file is not an installable APK. ``code`` is the PackageManager failure name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)

    def find_all(self, tag: str) -> list[Element]:
        return [c for c in self.children if c.tag == tag]


@dataclass(frozen=True)
class Component:
    kind: str  # activity | activity-alias | service | receiver | provider
    name: str  # fully qualified class name
    permission: str = ""
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    package: str
    version_code: int = 1
    version_name: str = ""
    components: tuple[Component, ...] = ()

    def short_name(self, component: Component) -> str:
        """``pkg/.Cls`` as Android's ComponentName.flattenToShortString writes it."""
        cls = component.name
        if cls.startswith(self.package + "."):
            cls = cls[len(self.package):]
        return f"{self.package}/{cls}"

    def input_methods(self) -> list[str]:
        """Ids of the input-method services the package declares (``com.x/.MyIME``)."""
        return [self.short_name(c) for c in self.components
                if c.kind == "service" and c.permission == BIND_INPUT_METHOD and INPUT_METHOD_ACTION in c.actions]

    def launcher_activity(self) -> str | None:
        for c in self.components:
            if c.kind in ("activity", "activity-alias") and "android.intent.action.MAIN" in c.actions \
                    and "android.intent.category.LAUNCHER" in c.categories:
                return self.short_name(c)
        return None


def read_apk(data: bytes, path: str) -> Manifest:
    """The manifest of an APK's bytes; ApkError with Android's failure codes otherwise.

    ``path`` only goes into messages (the device path the package manager parsed).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            raw = archive.read("AndroidManifest.xml")
    except KeyError:
        raise ApkError("INSTALL_PARSE_FAILED_NOT_APK",
                       f"Failed to parse {path}: AndroidManifest.xml not found") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise ApkError("INSTALL_PARSE_FAILED_NOT_APK",
                       f"Failed to parse {path}: Failed to load asset path {path}") from None
    try:
        root = parse_binary_xml(raw)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as err:
        raise ApkError("INSTALL_PARSE_FAILED_MANIFEST_MALFORMED",
                       f"Failed to parse {path}: Binary XML file line #-1: {err}") from None
    return manifest_from_xml(root, path)


def manifest_from_xml(root: Element, path: str) -> Manifest:
    if root.tag != "manifest":
        raise ApkError("INSTALL_PARSE_FAILED_MANIFEST_MALFORMED",
                       f"Failed to parse {path}: No <manifest> tag in AndroidManifest.xml")
    package = root.attrs.get("package", "")
    if not _valid_package(package):
        raise ApkError("INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME",
                       f"Failed to parse {path}: <manifest> specifies bad package name \"{package}\"")
    try:
        version_code = int(root.attrs.get("versionCode", "1"), 0)
    except ValueError:
        version_code = 1
    components: list[Component] = []
    for app in root.find_all("application"):
        for node in app.children:
            if node.tag in COMPONENT_TAGS:
                components.append(_component(package, node))
    return Manifest(package, version_code, root.attrs.get("versionName", ""), tuple(components))


def _component(package: str, node: Element) -> Component:
    name = node.attrs.get("name", "")
    if name.startswith("."):
        name = package + name
    elif name and "." not in name:
        name = f"{package}.{name}"  # a bare class name lives in the package
    actions: list[str] = []
    categories: list[str] = []
    for intent_filter in node.find_all("intent-filter"):
        actions += [a.attrs.get("name", "") for a in intent_filter.find_all("action")]
        categories += [c.attrs.get("name", "") for c in intent_filter.find_all("category")]
    return Component(node.tag, name, node.attrs.get("permission", ""), tuple(actions), tuple(categories))


def _valid_package(name: str) -> bool:
    # Android wants at least two segments, each a Java identifier.
    parts = name.split(".")
    return len(parts) >= 2 and all(p and (p[0].isalpha() or p[0] == "_") and p.replace("_", "a").isalnum()
                                   for p in parts)


# -- binary XML ------------------------------------------------------------------------------

def parse_binary_xml(data: bytes) -> Element:
    """The element tree of a compiled (binary) Android XML file."""
    kind, header_size, total = struct.unpack_from("<HHI", data, 0)
    if kind != RES_XML_TYPE:
        raise ValueError("not a binary XML file (a text manifest is not installable)")
    end = min(total, len(data))
    strings: list[str] = []
    resource_ids: list[int] = []
    stack: list[Element] = []
    root: Element | None = None
    pos = header_size
    while pos + 8 <= end:
        chunk_type, chunk_header, chunk_size = struct.unpack_from("<HHI", data, pos)
        if chunk_size < 8:
            raise ValueError(f"bad chunk size {chunk_size} at offset {pos}")
        if chunk_type == RES_STRING_POOL_TYPE:
            strings = _string_pool(data, pos)
        elif chunk_type == RES_XML_RESOURCE_MAP_TYPE:
            count = (chunk_size - chunk_header) // 4
            resource_ids = list(struct.unpack_from(f"<{count}I", data, pos + chunk_header))
        elif chunk_type == RES_XML_START_ELEMENT_TYPE:
            element = _start_element(data, pos, chunk_header, strings, resource_ids)
            if stack:
                stack[-1].children.append(element)
            elif root is None:
                root = element
            stack.append(element)
        elif chunk_type == RES_XML_END_ELEMENT_TYPE and stack:
            stack.pop()
        pos += chunk_size
    if root is None:
        raise ValueError("no elements in the binary XML")
    return root


def _string_pool(data: bytes, pos: int) -> list[str]:
    _, header_size, _, count, _, flags, strings_start = struct.unpack_from("<HHIIIII", data, pos)
    offsets = struct.unpack_from(f"<{count}I", data, pos + header_size)
    base = pos + strings_start
    utf8 = bool(flags & UTF8_FLAG)
    return [_pool_string(data, base + off, utf8) for off in offsets]


def _pool_string(data: bytes, p: int, utf8: bool) -> str:
    if utf8:
        _, p = _len8(data, p)  # length in characters, then in bytes
        nbytes, p = _len8(data, p)
        return data[p:p + nbytes].decode("utf-8", errors="replace")
    n, p = _len16(data, p)
    return data[p:p + 2 * n].decode("utf-16-le", errors="replace")


def _len8(data: bytes, p: int) -> tuple[int, int]:
    first = data[p]
    if first & 0x80:
        return ((first & 0x7F) << 8) | data[p + 1], p + 2
    return first, p + 1


def _len16(data: bytes, p: int) -> tuple[int, int]:
    (first,) = struct.unpack_from("<H", data, p)
    if first & 0x8000:
        (second,) = struct.unpack_from("<H", data, p + 2)
        return ((first & 0x7FFF) << 16) | second, p + 4
    return first, p + 2


def _start_element(data: bytes, pos: int, header_size: int, strings: list[str], resource_ids: list[int]) -> Element:
    ext = pos + header_size
    _ns, name_idx, attr_start, attr_size, attr_count = struct.unpack_from("<IIHHH", data, ext)
    attrs: dict[str, str] = {}
    for i in range(attr_count):
        a = ext + attr_start + i * attr_size
        _ans, aname, raw, _vsize, _res0, vtype, vdata = struct.unpack_from("<IIIHBBI", data, a)
        key = _string(strings, aname)
        if aname < len(resource_ids) and resource_ids[aname] in ANDROID_ATTR_IDS:
            key = ANDROID_ATTR_IDS[resource_ids[aname]]
        attrs[key] = _value(strings, raw, vtype, vdata)
    return Element(_string(strings, name_idx), attrs)


def _string(strings: list[str], index: int) -> str:
    return strings[index] if index != NO_INDEX and index < len(strings) else ""


def _value(strings: list[str], raw: int, vtype: int, vdata: int) -> str:
    if raw != NO_INDEX:
        return _string(strings, raw)
    if vtype == TYPE_STRING:
        return _string(strings, vdata)
    if vtype == TYPE_INT_BOOLEAN:
        return "true" if vdata else "false"
    if vtype == TYPE_INT_DEC:
        return str(vdata - (1 << 32) if vdata & 0x80000000 else vdata)
    if vtype == TYPE_INT_HEX:
        return f"0x{vdata:x}"
    if vtype == TYPE_REFERENCE:
        return f"@0x{vdata:08x}"
    return str(vdata)
