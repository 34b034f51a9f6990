"""autoagent: an AutoGLM-style agent that drives phones and browsers, and asks before it pays."""

from autoagent.actions import Action
from autoagent.agent import Agent, Result
from autoagent.grammar import UnparseableReply, format_action, format_reply, parse_reply
from autoagent.trace import Status

__all__ = ["Action", "Agent", "Result", "Status", "UnparseableReply", "format_action", "format_reply", "parse_reply"]
__version__ = "0.1.0"
