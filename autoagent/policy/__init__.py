"""Policies: GLM engines, scripted steps and trace replay behind one protocol."""

from autoagent.policy.base import Decision, Policy, PolicyError, StepInput, Turn
from autoagent.policy.scripted import ScriptedPolicy

__all__ = ["Decision", "Policy", "PolicyError", "ScriptedPolicy", "StepInput", "Turn"]
