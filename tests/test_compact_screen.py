"""The embedded policy's compact format on the real emulator: it can express every step the
expert takes, and the policy does not repeat an answer that left the screen unchanged."""

from __future__ import annotations

from autoagent.policy.compact import Screen, decode_answer, encode_action
from emulator import Phone


def test_the_embedded_policy_does_not_repeat_an_answer_on_an_unchanged_screen() -> None:
    """Shown the very screen its last answer was given on (so that answer changed nothing), the
    policy takes its next most likely answer instead of looping until the step limit."""
    from autoagent.perception.observation import Observation
    from autoagent.policy.base import StepInput, Turn
    from autoagent.policy.embedded import embedded_checkpoint
    from autoagent.policy.local_engine import LocalGLMPolicy

    phone = Phone(seed=3)
    phone.launch("Contacts")
    observation = Observation(screenshot=phone.screenshot(), hierarchy=phone.hierarchy_xml(),
                              app=phone.current_package())
    policy = LocalGLMPolicy(embedded_checkpoint(), device="cpu")
    goal = "text li na that i am running late"
    first = policy.decide(StepInput(task=goal, step=1, observation=observation))
    history = (Turn(thought=first.thought, answer=first.raw),)
    second = policy.decide(StepInput(task=goal, step=2, observation=observation, history=history))
    assert first.raw != "wait" and second.raw != first.raw
    # A new run starts with a clean memory: the first answer is given again.
    assert policy.decide(StepInput(task=goal, step=1, observation=observation)).raw == first.raw


def test_every_expert_step_survives_the_compact_format(tmp_path) -> None:
    """The expert's actions, written as compact answers and read back, solve its tasks: the
    format can say everything the demonstrations need (judged by the apps' state)."""
    from autoagent.agent import Agent
    from autoagent.policy.base import Decision, StepInput
    from emulator.training.demos import ManualClock, approving_human
    from emulator.training.taskgen import cases
    from emulator.expert import ExpertPolicy

    class ThroughTheFormat:
        name = "compact-round-trip"

        def __init__(self, expert: ExpertPolicy) -> None:
            self.expert = expert

        def decide(self, step: StepInput) -> Decision:
            action = self.expert.decide(step).action
            obs = step.observation
            screen = Screen.read(step.task, obs.hierarchy, obs.size)
            answer = encode_action(action, screen)
            assert answer is not None, f"no compact answer for {action} at step {step.step}"
            return Decision(raw=answer, thought="", action=decode_answer(answer, screen))

        def close(self) -> None:
            pass

    chosen = cases("eval", 24)
    assert len({c.family for c in chosen}) >= 8
    for case in chosen:
        clock = ManualClock()
        phone = case.task.make_phone(clock=clock, sleep=clock.sleep)
        agent = Agent(device=phone, policy=ThroughTheFormat(ExpertPolicy(phone, case.task, case.spec)),
                      human=approving_human(), max_steps=60, trace_root=tmp_path, save_screenshots=False)
        result = agent.run(case.goal)
        assert result.ok and case.task.is_successful(phone), (case.task.id, case.goal, result.status)
