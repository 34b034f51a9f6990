"""Learning the embedded policy from rows a target's expert demonstrated.

- :mod:`autoagent.training.rows`      the row files: names per split, reading them
- :mod:`autoagent.training.progress`  a one-line progress bar
- :mod:`autoagent.training.train`     a small Glm4vForConditionalGeneration trained from scratch on them (CPU)

The emulator collects the rows and evaluates checkpoints on its own tasks (:mod:`emulator.training`).
"""
