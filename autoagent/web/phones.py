"""The emulator phone a run from the page drives.

Each run starts on a fresh phone, so a second purchase really buys again instead of finding
the first one's order page (or its search text) still on the screen. The person may ask to
continue on the phone of the previous run instead (``same_phone``).
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from autoagent.device import Device


class PhoneChoice(BaseModel):
    """What the page asks for: a new phone with this seed, or the phone of the previous run."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, ge=0)
    same_phone: StrictBool = False

    @classmethod
    def from_body(cls, body: dict[str, Any], default_seed: int) -> PhoneChoice:
        """Raises ValueError with one line the page can show as is."""
        seed = body.get("seed")
        try:
            return cls(seed=default_seed if seed in (None, "") else seed,
                       same_phone=body.get("same_phone", False))
        except ValidationError as err:
            field = str(err.errors()[0]["loc"][0]) if err.errors() else "seed"
            if field == "seed":
                raise ValueError(f"the seed must be a whole number, 0 or more (got {seed!r})") from None
            raise ValueError("same_phone must be true or false") from None


class Phones:
    """The current emulator phone; a run gets a new one unless it asks for the same one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: Device | None = None

    def for_run(self, choice: PhoneChoice) -> Device:
        from autoagent.targets import open_device

        with self._lock:
            if choice.same_phone and self.current is not None:
                return self.current
            old, self.current = self.current, open_device("emulator", seed=choice.seed)
        if old is not None:
            old.close()
        return self.current

    def close(self) -> None:
        with self._lock:
            phone, self.current = self.current, None
        if phone is not None:
            phone.close()
