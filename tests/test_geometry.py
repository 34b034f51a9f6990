"""AutoGLM's 0-999 space and device pixels: a pixel sent through the relative space comes back."""

from __future__ import annotations

import pytest

from autoagent.geometry import to_pixels, to_relative


@pytest.mark.parametrize("size", [(390, 844), (720, 1000), (100, 37)])
def test_every_pixel_comes_back_where_cells_are_finer_than_pixels(size: tuple[int, int]) -> None:
    width, height = size
    for x in range(width):
        for y in range(height):
            assert to_pixels(to_relative((x, y), size), size) == (x, y)
    # A point inside a pixel names that pixel.
    assert to_pixels(to_relative((18.25, 27.9), size), size) == (18, 27)


@pytest.mark.parametrize("size", [(1280, 800), (1080, 2400)])
def test_a_pixel_comes_back_within_one_where_cells_are_coarser(size: tuple[int, int]) -> None:
    width, height = size
    for x in range(0, width, 3):
        for y in range(0, height, 5):
            px, py = to_pixels(to_relative((x, y), size), size)
            assert abs(px - x) <= 1 and abs(py - y) <= 1
