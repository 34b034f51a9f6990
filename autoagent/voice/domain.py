"""The names speech recognition should know: the emulator's shop, travel and restaurant apps
(product, colour, size, city, hotel, room, restaurant and dish names). Transcripts spell them
as the apps write them, and the recogniser is told some of them as context.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from autoagent.plugins import target


@dataclass(frozen=True)
class Domain:
    products: tuple[str, ...]      # written names: "White T-shirt"
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    cities: tuple[str, ...]
    hotels: tuple[str, ...]
    rooms: tuple[str, ...]
    restaurants: tuple[str, ...]
    dishes: tuple[str, ...]
    times: tuple[str, ...]          # "19:00"

    def names(self) -> list[str]:
        """Every written name, longest first (for restoring capitals in a transcript)."""
        all_names = {*self.products, *self.cities, *self.hotels, *self.rooms, *self.restaurants,
                     *self.dishes}
        return sorted(all_names, key=lambda n: (-len(n), n))


@lru_cache(maxsize=1)
def emulator_domain() -> Domain:
    """The emulator's names, which the emulator target supplies (autoagent.plugins)."""
    emulator = target("emulator")
    if emulator is None or emulator.vocabulary is None:
        raise LookupError("no emulator target is installed to supply the speech vocabulary")
    return emulator.vocabulary()
