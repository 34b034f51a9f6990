"""Tasks that need a little reasoning or several screens."""

from __future__ import annotations

from ..policy import Solver

SOLVERS: dict[str, Solver] = {}
