"""uiautomator's hierarchy as a list of nodes, and the policy's text rendering of it.

The nodes, their parser and writer live in :mod:`autoagent.perception.tree`; these two serve
callers that hold a plain node list.
"""

from __future__ import annotations

from autoagent.perception.tree import ScreenTree, UINode


def parse_hierarchy(xml: str) -> list[UINode]:
    """All nodes in document order. Raises ValueError on XML that is not a hierarchy."""
    return ScreenTree.from_xml(xml).nodes


def render_compact(nodes: list[UINode], size: tuple[int, int]) -> str:
    """One line per labelled or clickable node, with its centre in 0-999 space.

    This is the text a policy can read next to the screenshot.
    """
    from autoagent.geometry import to_relative

    lines = []
    for node in nodes:
        if not (node.label or node.clickable):
            continue
        rel = to_relative(node.center, size)
        tag = node.cls.rsplit(".", 1)[-1]
        flags = "".join(("*" if node.clickable else "", "^" if node.focused else ""))
        label = node.label.replace("\n", " ")
        lines.append(f"[{rel.x},{rel.y}] {tag}{flags} {label}".rstrip())
    return "\n".join(lines)
