"""Learning the embedded policy from the emulator's expert.

- :mod:`autoagent.training.phrasing`  goals as people say them: many wordings, spoken styles, held-out wordings
- :mod:`autoagent.training.taskgen`   seeded tasks (slots from large pools), train/eval seed hold-outs
- :mod:`autoagent.training.demos`     expert demonstrations and DAgger corrections as compact prompt rows
- :mod:`autoagent.training.train`     a small Glm4vForConditionalGeneration trained from scratch on them (CPU)
- :mod:`autoagent.training.evaluate`  a checkpoint on held-out tasks: success, steps, loops, latency, payment safety
"""
