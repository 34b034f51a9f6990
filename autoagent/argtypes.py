"""Argument types shared by every command line (autoagent's and the emulator's), so that each
option is checked the same way everywhere."""

from __future__ import annotations

import argparse


def seed(text: str) -> int:
    """An emulator seed: a whole number, 0 or more (argparse prints the one-line error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 or more, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value
