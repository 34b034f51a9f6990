"""``dumpsys``: the system services' state in the layout Android 11 prints it.

Clients grep these dumps rather than parse them, so what matters is that the lines they look
for are there, spelled as on a phone: ``mCurrentFocus=Window{hash u0 pkg/full.Class}``,
``mFocusedApp=ActivityRecord{hash u0 pkg/.Class t12}``, ``mResumedActivity:``, the display's
``real 1080 x 2400`` and ``uniqueId "local:..."``, ``mCurMethodId``, ``mInputShown``.
"""

from __future__ import annotations

import hashlib

from emulator.wire.device_state import DEFAULT_IME, PROPS, DeviceState
from emulator.wire.intents import short_component
from emulator.wire.shell_io import ShellExit

# The physical display id SurfaceFlinger reports (the one `screencap -d` takes).
PHYSICAL_DISPLAY_ID = "4619827259835644672"
_IME_WINDOW_PACKAGE = "com.autoagent.ime"


def hex_id(text: str, digits: int = 7) -> str:
    """A stable object hash for a name, as Android prints object identities."""
    return hashlib.md5(text.encode()).hexdigest()[:digits]


def pid_of(package: str) -> int:
    # Stable per package, so clients that compare pids across calls see the same process.
    return 1000 + int(hashlib.md5(package.encode()).hexdigest()[:4], 16) % 30000


def task_id(state: DeviceState, package: str) -> int:
    packages = _apps(state)
    return 10 + (packages.index(package) if package in packages else len(packages))


def focus(state: DeviceState) -> tuple[str, str]:
    """(package, activity class) of the window in front."""
    with state.phone.lock:
        return state.phone.current_package(), state.phone.current_activity()


def _apps(state: DeviceState) -> list[str]:
    with state.phone.lock:
        return list(state.phone.packages())


def _size(state: DeviceState) -> tuple[int, int]:
    with state.phone.lock:
        w, h = state.phone.screen_size()
    return int(w), int(h)


def _keyboard_shown(state: DeviceState) -> bool:
    with state.phone.lock:
        return state.phone.find(resource_id="keyboard") is not None


def _window(pkg: str, act: str) -> str:
    return f"Window{{{hex_id(pkg + act)} u0 {pkg}/{act}}}"


def _record(state: DeviceState, pkg: str, act: str) -> str:
    return f"ActivityRecord{{{hex_id(act)} u0 {short_component(f'{pkg}/{act}')} t{task_id(state, pkg)}}}"


# -- services ---------------------------------------------------------------------------------

def window(state: DeviceState, args: list[str]) -> str:
    sections = {"policy": _window_policy, "displays": _window_displays, "windows": _window_windows}
    wanted = args[0] if args else ""
    if wanted in ("d", "display"):
        wanted = "displays"
    if wanted in ("w",):
        wanted = "windows"
    if wanted in sections:
        return sections[wanted](state)
    if wanted and not wanted.startswith("-"):
        raise ShellExit(f"Bad window command, or no windows match: {wanted}\n", 0)
    return "\n".join(fn(state) for fn in sections.values())


def _window_policy(state: DeviceState) -> str:
    return ("WINDOW MANAGER POLICY STATE (dumpsys window policy)\n"
            "    mSafeMode=false mSystemReady=true mSystemBooted=true\n"
            "    mScreenOnEarly=true mScreenOnFully=true\n"
            "    mKeyguardDrawComplete=true mWindowManagerDrawComplete=true\n"
            "    mShowingDream=false isKeyguardShowing=false isKeyguardOccluded=false\n")


def _window_displays(state: DeviceState) -> str:
    pkg, act = focus(state)
    w, h = _size(state)
    density = PROPS["ro.sf.lcd_density"]
    return ("WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)\n"
            "  Display: mDisplayId=0 stacks=1\n"
            f"    init={w}x{h} {density}dpi cur={w}x{h} app={w}x{h} rng={w}x{w}-{h}x{h}\n"
            "    deferred=false mLayoutNeeded=false mTouchExcludeRegion=SkRegion()\n"
            f"  mCurrentFocus={_window(pkg, act)}\n"
            f"  mFocusedApp={_record(state, pkg, act)}\n")


def _window_windows(state: DeviceState) -> str:
    pkg, act = focus(state)
    lines = ["WINDOW MANAGER WINDOWS (dumpsys window windows)"]
    windows = [("NavigationBar0", "com.android.systemui"), ("StatusBar", "com.android.systemui")]
    if _keyboard_shown(state):
        windows.append(("InputMethod", _IME_WINDOW_PACKAGE))
    windows.append((f"{pkg}/{act}", pkg))
    for i, (title, owner) in enumerate(windows):
        lines += [f"  Window #{i} Window{{{hex_id(title)} u0 {title}}}:",
                  f"    mDisplayId=0 rootTaskId=1 mSession=Session{{{hex_id(owner)} {pid_of(owner)}:u0a10080}}",
                  f"    mOwnerUid=10080 showForAllUsers=false package={owner} appop=NONE"]
    ime_target = _window(pkg, act) if _keyboard_shown(state) else "null"
    lines += ["  mGlobalConfiguration={1.0 ?mcc?mnc [en_US] ldltr sw411dp w411dp h914dp 440dpi nrml port}",
              "  mHasPermanentDpad=false",
              "  mTopFocusedDisplayId=0",
              f"  mInputMethodTarget in display# 0 {ime_target}",
              f"  mCurrentFocus={_window(pkg, act)}",
              f"  mFocusedApp={_record(state, pkg, act)}"]
    return "\n".join(lines) + "\n"


def activity(state: DeviceState, args: list[str]) -> str:
    pkg, act = focus(state)
    sub = args[0] if args else "activities"
    if sub == "top":
        return (f"TASK {pkg} id={task_id(state, pkg)} userId=0\n"
                f"  ACTIVITY {short_component(f'{pkg}/{act}')} {hex_id(act)} pid={pid_of(pkg)}\n")
    if sub == "recents":
        with state.phone.lock:
            recents = list(reversed(state.phone.recents))
        lines = ["ACTIVITY MANAGER RECENT TASKS (dumpsys activity recents)", "  Recent tasks:"]
        lines += [f"  * Recent #{i}: Task{{{hex_id(p)} #{task_id(state, p)} type=standard A=10080:{p}}}"
                  for i, p in enumerate(recents)]
        return "\n".join(lines) + "\n"
    if sub in ("activities", "a"):
        record = _record(state, pkg, act)
        return ("ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n"
                "Display #0 (activities from top to bottom):\n"
                f"  * Task{{{hex_id(pkg)} #{task_id(state, pkg)} type=standard A=10080:{pkg} U=0 visible=true "
                "mode=fullscreen translucent=false sz=1}\n"
                f"    mResumedActivity: {record}\n"
                f"    topResumedActivity={record}\n"
                f"  ResumedActivity:{record}\n")
    if sub in ("processes", "p"):
        return f"ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)\n  *APP* UID 10080 ProcessRecord{{{hex_id(pkg)} {pid_of(pkg)}:{pkg}/u0a80}}\n"
    raise ShellExit(f"Bad activity command, or no activities match: {sub}\n  Use -h for help.\n", 0)


def display(state: DeviceState, args: list[str]) -> str:
    w, h = _size(state)
    density = PROPS["ro.sf.lcd_density"]
    info = (f"DisplayInfo{{\"Built-in Screen\", displayId 0, FLAG_SECURE, FLAG_SUPPORTS_PROTECTED_BUFFERS, "
            f"FLAG_TRUSTED, real {w} x {h}, largest app {w} x {h}, smallest app {w} x {h}, "
            f"density {density} ({density}.0 x {density}.0) dpi, rotation 0, state ON, type INTERNAL, "
            f"uniqueId \"local:{PHYSICAL_DISPLAY_ID}\", app {w} x {h}}}")
    return ("DISPLAY MANAGER (dumpsys display)\n"
            "Display Devices: size=1\n"
            f"  DisplayDeviceInfo{{\"Built-in Screen\": uniqueId=\"local:{PHYSICAL_DISPLAY_ID}\", {w} x {h}, "
            f"modeId 1, defaultModeId 1, density {density}, state ON, type INTERNAL}}\n"
            f"    mUniqueId=local:{PHYSICAL_DISPLAY_ID}\n"
            f"    mPhysicalDisplayId={PHYSICAL_DISPLAY_ID}\n"
            "Logical Displays: size=1\n"
            "  Display 0:\n"
            "    mDisplayId=0\n"
            "    mLayerStack=0\n"
            f"    mBaseDisplayInfo={info}\n"
            f"    mOverrideDisplayInfo={info}\n"
            "  orientation=0\n")


def surface_flinger(state: DeviceState, args: list[str]) -> str:
    if "--display-id" in args:
        return f"Display {PHYSICAL_DISPLAY_ID} (HWC display 0): port=0 pnpId=GGL displayName=\"EMU_display_0\"\n"
    w, h = _size(state)
    return f"Display {PHYSICAL_DISPLAY_ID} (HWC display 0)\n  {w}x{h} 60.00 Hz\n"


def package(state: DeviceState, args: list[str]) -> str:
    if not args:
        return "Packages:\n" + "".join(f"  Package [{p}] ({hex_id(p)}):\n" for p in _all_packages(state))
    name = args[-1]
    manifest = state.installed.get(name)
    if manifest is None and name not in _all_packages(state):
        return ""  # a phone prints nothing for a package it does not have
    version_code = manifest.version_code if manifest else 1
    version_name = manifest.version_name if manifest else "1.0"
    flags = "HAS_CODE ALLOW_CLEAR_USER_DATA" if manifest else "SYSTEM HAS_CODE ALLOW_CLEAR_USER_DATA"
    return (f"Packages:\n  Package [{name}] ({hex_id(name)}):\n"
            f"    userId=10080\n    pkg=Package{{{hex_id(name + 'p')} {name}}}\n"
            f"    codePath=/data/app/{name}\n"
            f"    versionCode={version_code} minSdk=21 targetSdk=30\n"
            f"    versionName={version_name}\n    pkgFlags=[ {flags} ]\n"
            "    firstInstallTime=2024-01-01 00:00:00\n    lastUpdateTime=2024-01-01 00:00:00\n"
            f"    signatures=PackageSignatures{{{hex_id(name + 's')} version:2, signatures:[5d6e7f8], "
            "past signatures:[]}\n")


def _all_packages(state: DeviceState) -> list[str]:
    return sorted(set(_apps(state)) | set(state.installed))


def input_method(state: DeviceState, args: list[str]) -> str:
    shown = _keyboard_shown(state)
    return (f"  mCurMethodId={state.selected_input_method() or DEFAULT_IME}\n"
            f"  mEnabledInputMethods={':'.join(state.enabled_input_methods())}\n"
            f"  mInputShown={'true' if shown else 'false'}\n"
            f"  mShowRequested={'true' if shown else 'false'}\n")


def power(state: DeviceState, args: list[str]) -> str:
    return "  mWakefulness=Awake\n  Display Power: state=ON\n  mHoldingDisplaySuspendBlocker=true\n"


def battery(state: DeviceState, args: list[str]) -> str:
    return ("Current Battery Service state:\n  AC powered: true\n  USB powered: false\n  status: 2\n"
            "  level: 100\n  scale: 100\n  temperature: 250\n  technology: Li-ion\n")


SERVICES = {"window": window, "activity": activity, "display": display, "SurfaceFlinger": surface_flinger,
            "package": package, "input_method": input_method, "power": power, "battery": battery}


def dumpsys(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if not args:
        return "Currently running services:\n" + "".join(f"  {name}\n" for name in sorted(SERVICES))
    if args[0] == "-l":
        return "Currently running services:\n" + "".join(f"  {name}\n" for name in sorted(SERVICES))
    service = SERVICES.get(args[0])
    if service is None:
        return f"Can't find service: {args[0]}\n"
    return service(state, args[1:])
