"""The one place where AutoGLM's 0-999 space meets device pixels."""

from __future__ import annotations

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
    """Map a device pixel to the relative cell that contains it (clamped to the screen)."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(f"screen size must be positive, got {size}")
    x = int(pixel[0] * _SCALE / width)
    y = int(pixel[1] * _SCALE / height)
    return RelativePoint(x=max(0, min(RELATIVE_MAX, x)), y=max(0, min(RELATIVE_MAX, y)))
