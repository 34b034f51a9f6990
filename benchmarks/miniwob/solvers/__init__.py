"""Solvers by task name. Each reads only a :class:`~benchmarks.miniwob.screen.Screen`."""

from __future__ import annotations

from ..policy import Solver
from . import clicks, forms, puzzles

SOLVERS: dict[str, Solver] = {**clicks.SOLVERS, **forms.SOLVERS, **puzzles.SOLVERS}
