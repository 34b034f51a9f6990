"""The guard: classify every action before it runs, from what the agent itself can see.

The model's own sensitive flag is one signal among several; the screen decides too,
because a model (or text injected into the page) can simply leave the flag off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from autoagent.actions import Action, Tap, TakeOver, Type, target_point
from autoagent.geometry import to_pixels
from autoagent.perception.hierarchy import UINode, node_at, parse_hierarchy, subtree_text
from autoagent.perception.observation import Observation
from autoagent.safety.types import GuardDecision, Verdict

# Words that mark an irreversible step, per class. Lower-case; matched as substrings.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "payment": (
        "pay", "payment", "confirm payment", "pay now", "checkout", "check out",
        "支付", "付款", "确认支付", "立即支付", "确认付款", "结算", "去结算",
    ),
    "purchase": (
        "place order", "buy now", "purchase", "submit order", "book now", "reserve now",
        "confirm booking", "confirm order", "提交订单", "立即购买", "确认下单", "下单", "立即预订", "确认预订",
    ),
    "send": ("send", "发送", "post", "发布"),
    "delete": ("delete", "remove account", "删除", "清空"),
}

# Categories whose controls we refuse to let the model reach by Enter in a form.
DEFAULT_POLICY: dict[str, Verdict] = {
    "payment": Verdict.CONFIRM,
    "purchase": Verdict.CONFIRM,
    "send": Verdict.CONFIRM,
    "delete": Verdict.CONFIRM,
}

_WORD = re.compile(r"[a-z]+")


def classify_text(text: str) -> str | None:
    """The first irreversible class whose keyword appears in ``text``."""
    lowered = text.lower()
    words = set(_WORD.findall(lowered))
    for category, keywords in KEYWORDS.items():
        for keyword in keywords:
            if keyword.isascii():
                # Whole words only, so "paypal help" is not "pay" but "pay now" is.
                parts = keyword.split()
                if len(parts) == 1 and parts[0] in words:
                    return category
                if len(parts) > 1 and re.search(r"\b" + re.escape(keyword) + r"\b", lowered):
                    return category
            elif keyword in lowered:
                return category
    return None


@dataclass
class KeywordGuard:
    policy: dict[str, Verdict] = field(default_factory=lambda: dict(DEFAULT_POLICY))

    def _verdict(self, category: str, reason: str, evidence: dict[str, object]) -> GuardDecision:
        verdict = self.policy.get(category, Verdict.CONFIRM)
        return GuardDecision(verdict=verdict, category=category, reason=reason, evidence=evidence)

    def review(self, action: Action, observation: Observation) -> GuardDecision:
        if isinstance(action, TakeOver):
            return GuardDecision(verdict=Verdict.ALLOW, category="takeover", reason="model asked for a human")
        nodes = _nodes(observation)
        point = target_point(action)
        if point is not None:
            px = to_pixels(point, observation.size)
            target = node_at(nodes, *px, clickable_only=True) or node_at(nodes, *px)
            label = subtree_text(nodes, target) if target else ""
            evidence: dict[str, object] = {"pixel": list(px), "target": label}
            category = classify_text(label) if label else None
            if category:
                return self._verdict(category, f"target reads {label!r}", evidence)
            if isinstance(action, Tap) and action.message is not None:
                return self._verdict("payment", f"model flagged the tap: {action.message!r}", evidence)
            return GuardDecision(verdict=Verdict.ALLOW, reason="target is not sensitive", evidence=evidence)
        if isinstance(action, Type) and action.text.endswith("\n"):
            # Enter submits the form: judge it by the buttons the form offers.
            for node in nodes:
                if node.clickable and (category := classify_text(node.label)):
                    return self._verdict(category, f"Enter would submit a form with {node.label!r}", {"button": node.label})
        return GuardDecision(verdict=Verdict.ALLOW, reason="no sensitive target")


def _nodes(observation: Observation) -> list[UINode]:
    if not observation.hierarchy:
        return []
    try:
        return parse_hierarchy(observation.hierarchy)
    except ValueError:
        return []
