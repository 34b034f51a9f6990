"""What the wire adds around the phone: a serial, a tiny file system, the uiautomator server.

The phone itself only knows screens and input. An adb device also has files that clients
push (uiautomator2 pushes its ``u2.jar``), a clipboard, settings, packages installed over adb
(and the input methods they bring) and a uiautomator server process that is started with
``app_process`` and dies with its shell connection.
"""

from __future__ import annotations

import stat
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from emulator.wire.apk import Manifest

# Directories every Android device has; clients stat them before pushing into them.
_BASE_DIRS = ("/", "/data", "/data/local", "/data/local/tmp", "/sdcard", "/system", "/system/bin")

PROPS = {
    "ro.build.version.sdk": "30",
    "ro.build.version.release": "11",
    "ro.product.brand": "autoagent",
    "ro.product.manufacturer": "autoagent",
    "ro.product.model": "EmulatorPhone",
    "ro.product.name": "autoagent_phone",
    "ro.product.device": "emulator",
    "ro.product.cpu.abi": "x86_64",
    "ro.build.characteristics": "emulator",
    "ro.sf.lcd_density": "440",
}

DEFAULT_IME = "com.android.inputmethod.latin/.LatinIME"
# The ADB Keyboard is not preinstalled, as on a phone out of the box: a client installs its APK
# (autoglm-gui installs the one it ships; by hand: `adb install ADBKeyboard.apk`), then enables
# and selects it with `ime enable` / `ime set`. Its broadcasts type only while it is selected.
ADB_KEYBOARD_PACKAGE = "com.android.adbkeyboard"
ADB_KEYBOARD_IME = "com.android.adbkeyboard/.AdbIME"


@dataclass
class FileEntry:
    data: bytes
    mode: int
    mtime: int


@dataclass
class DeviceState:
    phone: Any  # emulator.Phone (or any object with the same methods)
    serial: str
    transport_id: int = 1
    files: dict[str, FileEntry] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=lambda: set(_BASE_DIRS))
    clipboard: str | None = None
    settings: dict[str, str] = field(
        default_factory=lambda: {"secure default_input_method": DEFAULT_IME,
                                 "secure enabled_input_methods": DEFAULT_IME}
    )
    # Packages installed over adb (third-party apps): package -> its manifest.
    installed: dict[str, Manifest] = field(default_factory=dict)
    install_sessions: int = 0
    # uiautomator servers running on the device: port -> launch count still alive
    _uiautomator: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- files -------------------------------------------------------------------------
    def write_file(self, path: str, data: bytes, mode: int) -> None:
        with self._lock:
            self.files[path] = FileEntry(data, stat.S_IFREG | (mode & 0o7777), int(time.time()))

    def mkdir(self, path: str) -> None:
        with self._lock:
            path = _norm(path)
            while path not in self.dirs:
                self.dirs.add(path)
                path = _norm(path.rsplit("/", 1)[0] or "/")

    def read_file(self, path: str) -> FileEntry | None:
        with self._lock:
            return self.files.get(path)

    def remove(self, path: str) -> bool:
        with self._lock:
            return self.files.pop(path, None) is not None

    def stat(self, path: str) -> tuple[int, int, int] | None:
        """(mode, size, mtime) or None when nothing is there."""
        path = _norm(path)
        with self._lock:
            if path in self.dirs:
                return stat.S_IFDIR | 0o771, 4096, 0
            entry = self.files.get(path)
            if entry is None:
                return None
            return entry.mode, len(entry.data), entry.mtime

    def listdir(self, path: str) -> list[tuple[str, int, int, int]] | None:
        """(name, mode, size, mtime) of a directory's entries, None if it is not a directory."""
        path = _norm(path)
        prefix = path.rstrip("/") + "/"
        with self._lock:
            if path not in self.dirs:
                return None
            out = []
            for full, entry in self.files.items():
                name = full[len(prefix):]
                if full.startswith(prefix) and name and "/" not in name:
                    out.append((name, entry.mode, len(entry.data), entry.mtime))
            for full in self.dirs:
                name = full[len(prefix):]
                if full != path and full.startswith(prefix) and "/" not in name:
                    out.append((name, stat.S_IFDIR | 0o771, 4096, 0))
            return sorted(out)

    # -- installed packages --------------------------------------------------------------
    def install_package(self, manifest: Manifest, apk: bytes) -> None:
        """Register an APK's package; its base.apk is kept where `pm path` says it is."""
        with self._lock:
            self.installed[manifest.package] = manifest
        directory = f"/data/app/{manifest.package}"
        self.mkdir(directory)
        self.write_file(f"{directory}/base.apk", apk, 0o644)

    def uninstall_package(self, package: str) -> bool:
        with self._lock:
            manifest = self.installed.pop(package, None)
        if manifest is None:
            return False
        self.remove(f"/data/app/{package}/base.apk")
        # Its input methods go with it; the phone falls back to its own keyboard.
        gone = set(manifest.input_methods())
        with self._lock:
            enabled = [i for i in self._enabled_imes() if i not in gone]
            self.settings["secure enabled_input_methods"] = ":".join(enabled)
            if self.settings.get("secure default_input_method") in gone:
                self.settings["secure default_input_method"] = enabled[0] if enabled else DEFAULT_IME
        return True

    # -- input methods (kept in secure settings, as Android keeps them) ------------------------
    def input_methods(self) -> list[str]:
        """Every input method on the phone: its own keyboard and those of installed packages."""
        with self._lock:
            return [DEFAULT_IME] + [ime for m in self.installed.values() for ime in m.input_methods()]

    def enabled_input_methods(self) -> list[str]:
        with self._lock:
            return self._enabled_imes()

    def _enabled_imes(self) -> list[str]:
        known = [DEFAULT_IME] + [ime for m in self.installed.values() for ime in m.input_methods()]
        # Entries may carry subtypes ("id;subtype"); only the id matters here.
        listed = [e.split(";", 1)[0] for e in self.settings.get("secure enabled_input_methods", "").split(":")]
        return [ime for ime in listed if ime in known]

    def set_input_method_enabled(self, ime: str, enabled: bool) -> bool:
        """Enable or disable ``ime``; returns whether it was enabled before."""
        with self._lock:
            current = self._enabled_imes()
            before = ime in current
            if enabled and not before:
                current.append(ime)
            elif not enabled and before:
                current.remove(ime)
                if self.settings.get("secure default_input_method") == ime:
                    self.settings["secure default_input_method"] = current[0] if current else ""
            self.settings["secure enabled_input_methods"] = ":".join(current)
            return before

    def selected_input_method(self) -> str:
        with self._lock:
            return self.settings.get("secure default_input_method", "")

    def select_input_method(self, ime: str) -> None:
        with self._lock:
            self.settings["secure default_input_method"] = ime

    def next_install_session(self) -> int:
        with self._lock:
            self.install_sessions += 1
            return 1_000_000 + self.install_sessions

    # -- uiautomator server ------------------------------------------------------------
    def start_uiautomator(self, port: int) -> None:
        with self._lock:
            self._uiautomator[port] = self._uiautomator.get(port, 0) + 1

    def stop_uiautomator(self, port: int) -> None:
        with self._lock:
            left = self._uiautomator.get(port, 0) - 1
            if left > 0:
                self._uiautomator[port] = left
            else:
                self._uiautomator.pop(port, None)

    def uiautomator_running(self, port: int) -> bool:
        with self._lock:
            return port in self._uiautomator


def _norm(path: str) -> str:
    if len(path) > 1:
        path = path.rstrip("/")
    return path or "/"
