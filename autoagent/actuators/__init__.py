"""Actuators: turn actions into taps, keys and swipes on a real target."""

from autoagent.actuators.execute import execute, pixel_points

__all__ = ["execute", "pixel_points"]
