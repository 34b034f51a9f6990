"""Perception: screenshots and UI hierarchies turned into observations."""

from autoagent.perception.hierarchy import parse_hierarchy, render_compact
from autoagent.perception.observation import Observation
from autoagent.perception.tree import ScreenTree, TreeBuilder, UINode, node_at

__all__ = ["Observation", "ScreenTree", "TreeBuilder", "UINode", "node_at", "parse_hierarchy", "render_compact"]
