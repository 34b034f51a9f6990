"""The red team in the repo (issue #16, item 5): attacks and harmless sequences as data, their runners and judges.

``attacks.ATTACKS`` and ``harmless.HARMLESS`` are the catalogues; ``phone`` and ``web`` run an entry on the
emulator or in Chromium and report what the apps and servers recorded; ``play`` is the agent loop they share.
"""
