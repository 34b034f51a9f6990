"""Turning model text into a Decision, and telling when a reply is complete."""

from __future__ import annotations

from autoagent.grammar import UnparseableReply, parse_reply
from autoagent.policy.base import Decision

ANSWER_CLOSE = "</answer>"


def decide_from_text(raw: str, timings: dict[str, float]) -> Decision:
    """Parse a reply; an empty or unparseable one raises UnparseableReply, never 'finished'."""
    parsed = parse_reply(raw)
    return Decision(raw=raw, thought=parsed.thought, action=parsed.action, timings=timings)


def reply_complete(text: str) -> bool:
    """True once the reply holds a whole action: ``</answer>`` or a closed do(...)/finish(...).

    A call inside an unfinished ``<think>`` does not count: the model is still reasoning.
    """
    if ANSWER_CLOSE in text:
        return True
    if "(" not in text or ")" not in text:
        return False
    try:
        parsed = parse_reply(text)
    except UnparseableReply:
        return False
    return parsed.answer.endswith(")")
