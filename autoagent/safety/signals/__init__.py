"""The guard's signals: small functions over the typed screen tree, each named and tested on its own.

Which signals the guard runs, and in what order, is listed in one place: the index in
:mod:`autoagent.safety.guard`. Here live the signals themselves, one module per family:

``look``        the step, its screen and the points it touches (short swipes, keyboard keys);
``controls``    what the controls under the finger and around them say (target, container, stepper, double-tap);
``page``        what the whole screen is (a payment page, a CAPTCHA, a secure screen);
``context``     risky contexts (amounts, totals, cards, filled forms, composers) and what they make ask;
``harmless``    which controls cannot commit (navigation, options, quantity up, fields, Back) and icon-only ones;
``personal``    personal-data forms and secrets (passwords, one-time codes, the task's own);
``keys``        Enter, typed or pressed on the keyboard;
``model``       what the model says (its flag, the URL it opens);
``unreadable``  screens without a hierarchy (OCR) and failing closed where nothing can be read.
"""

from autoagent.safety.signals.context import Amount, Risk, amounts, risks
from autoagent.safety.signals.look import Finding, Look, Touch

__all__ = ["Amount", "Finding", "Look", "Risk", "Touch", "amounts", "risks"]
