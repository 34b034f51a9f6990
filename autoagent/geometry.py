"""The one place where AutoGLM's 0-999 space meets device pixels."""

from __future__ import annotations

import math

from autoagent.actions import RELATIVE_MAX, RelativePoint

_SCALE = RELATIVE_MAX + 1


def to_pixels(point: RelativePoint, size: tuple[int, int]) -> tuple[int, int]:
    """Map a relative point to the pixel it names on a screen of ``size`` (width, height).

    Each of the 1000 relative steps covers ``size/1000`` pixels; we aim at the middle
    of that cell so that a round trip through :func:`to_relative` is stable.
    """
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(f"screen size must be positive, got {size}")
    px = int((point.x + 0.5) * width / _SCALE)
    py = int((point.y + 0.5) * height / _SCALE)
    return min(px, width - 1), min(py, height - 1)


def to_relative(pixel: tuple[float, float], size: tuple[int, int]) -> RelativePoint:
    """Map a device pixel to the relative cell that holds its middle (clamped to the screen).

    Pixel 27 covers 27.0 to 28.0: aiming at its left edge would pick the cell that ends there
    where cells are narrower than a pixel (a 844-pixel-high screen), and :func:`to_pixels` would
    then name pixel 26, an offset that misses a control a few pixels wide."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(f"screen size must be positive, got {size}")
    x = int((math.floor(pixel[0]) + 0.5) * _SCALE / width)
    y = int((math.floor(pixel[1]) + 0.5) * _SCALE / height)
    return RelativePoint(x=max(0, min(RELATIVE_MAX, x)), y=max(0, min(RELATIVE_MAX, y)))
