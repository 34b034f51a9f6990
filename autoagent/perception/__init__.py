"""Perception: screenshots and UI hierarchies turned into observations."""

from autoagent.perception.hierarchy import UINode, node_at, parse_hierarchy, render_compact
from autoagent.perception.observation import Observation

__all__ = ["Observation", "UINode", "node_at", "parse_hierarchy", "render_compact"]
