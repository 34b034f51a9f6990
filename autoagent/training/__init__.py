"""Learning a policy from the emulator's expert.

- :mod:`autoagent.training.taskgen`   seeded tasks with English/Chinese goal templates, train/eval hold-outs
- :mod:`autoagent.training.demos`     expert demonstrations as JSONL rows (screen, goal, history -> reply)
- :mod:`autoagent.training.train`     a small Glm4vForConditionalGeneration trained from scratch on them
- :mod:`autoagent.training.evaluate`  a checkpoint on held-out tasks: success, steps, latency, payment safety
"""
