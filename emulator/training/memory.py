"""Give the memory a long collection run has freed back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any


@functools.cache
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> None:
    """Return freed heap pages to the system, where the C library is glibc (a no-op elsewhere).

    Each episode renders hundreds of frames; glibc keeps the freed buffers in its heap, so a
    2,000-episode collection grew to 6.7 GB although the live data stayed flat (tracemalloc: 4 MB
    over 50 episodes, while the resident size grew by 2.5 GB). Trimming after each episode keeps
    it at its first episode's size.
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
