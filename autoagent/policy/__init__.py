"""Policies: GLM engines, scripted steps and trace replay behind one protocol."""

from autoagent.policy.base import Decision, Policy, PolicyError, StepInput, TruncatedReply, Turn
from autoagent.policy.factory import ENGINES, make_policy
from autoagent.policy.reply_replay import ReplayPolicy
from autoagent.policy.scripted import ScriptedPolicy

__all__ = ["ENGINES", "Decision", "Policy", "PolicyError", "ReplayPolicy", "ScriptedPolicy", "StepInput",
           "TruncatedReply", "Turn", "make_policy"]
