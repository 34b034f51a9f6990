"""The embedded policy: the small GLM checkpoint shipped inside the package.

It was trained by ``autoagent demos`` + ``autoagent train`` on the emulator's tasks (see the
model card, ``MODEL_CARD.md`` in its folder) and reads the compact prompt of
:mod:`autoagent.policy.compact`. ``--engine local`` loads it when no ``--model-path`` is given.
"""

from __future__ import annotations

from pathlib import Path

from autoagent.policy.base import PolicyError

EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded_model"


def embedded_checkpoint() -> Path:
    """The shipped checkpoint's folder; PolicyError if this installation lacks it."""
    if not (EMBEDDED_DIR / "config.json").is_file():
        raise PolicyError(f"the embedded policy is missing from this installation ({EMBEDDED_DIR}); reinstall "
                          "autoagent, or train one: autoagent demos --out data && autoagent train --data data "
                          "--out ckpt && autoagent run TASK --engine local --model-path ckpt")
    return EMBEDDED_DIR
