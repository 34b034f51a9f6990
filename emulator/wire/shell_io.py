"""What a shell command sees besides its arguments: its exit status and its standard input.

Shared by the shell (``shell.py``) and the framework commands (``framework.py``), so neither
imports the other.
"""

from __future__ import annotations

from typing import Callable, Protocol, TypeVar


class ShellExit(Exception):
    """A command ends with ``message`` as its output and ``code`` as its exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.message = message
        self.code = code


class Stdin(Protocol):
    def read(self, n: int | None = None) -> bytes:
        """Up to ``n`` bytes (all of it when None); fewer only at end of input."""


class NoStdin:
    def read(self, n: int | None = None) -> bytes:
        return b""


class BytesStdin:
    def __init__(self, data: bytes):
        self._data = data
        self._pos = 0

    def read(self, n: int | None = None) -> bytes:
        end = len(self._data) if n is None else min(len(self._data), self._pos + n)
        out = self._data[self._pos:end]
        self._pos = end
        return out


NO_STDIN = NoStdin()

F = TypeVar("F", bound=Callable[..., object])


def reads_stdin(handler: F) -> F:
    """Mark a command that takes its standard input as a fourth argument (``pm install -S``)."""
    handler.reads_stdin = True  # type: ignore[attr-defined]
    return handler
