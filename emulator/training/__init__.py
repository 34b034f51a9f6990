"""The emulator's side of training the embedded policy.

- :mod:`emulator.training.phrasing`  goals as people say them: many wordings, spoken styles, held-out wordings
- :mod:`emulator.training.taskgen`   seeded tasks (slots from large pools), train/eval seed hold-outs
- :mod:`emulator.training.demos`     expert demonstrations and DAgger corrections as compact prompt rows
- :mod:`emulator.training.evaluate`  a checkpoint on held-out tasks: success, steps, loops, latency, payment safety

The rows go to :mod:`autoagent.training.train`.
"""
