"""The names speech recognition should know on the emulator: products, cities, hotels, rooms,
restaurants, dishes and reservation times, read from the apps themselves."""

from __future__ import annotations

import re

from autoagent.voice.domain import Domain
from emulator.apps.restaurant import TIMES
from emulator.apps.travel import ROOMS
from emulator.phone import Phone


def english(name: str) -> str:
    """Drop the Chinese half of a bilingual label and anything in brackets."""
    name = re.sub(r"\(.*?\)", " ", name)
    return " ".join(w for w in name.split() if re.search(r"[A-Za-z0-9]", w)).strip()


def vocabulary() -> Domain:
    """Seed 0: names do not depend on the seed."""
    phone = Phone(seed=0)
    try:
        shop, travel, food = phone.app_state("shop"), phone.app_state("travel"), phone.app_state("restaurant")
        products = tuple(dict.fromkeys(p.name_en for p in shop.catalogue))
        colours = tuple(dict.fromkeys(c for p in shop.catalogue for c in p.colours))
        sizes = tuple(dict.fromkeys(s for p in shop.catalogue for s in p.sizes))
        cities = tuple(dict.fromkeys(h.city for h in travel.hotels))
        hotels = tuple(dict.fromkeys(english(h.name).replace(f"{h.city} ", "", 1) for h in travel.hotels))
        rooms = tuple(dict.fromkeys(english(label) for _, label, _ in ROOMS))
        restaurants = tuple(dict.fromkeys(english(r.name) for r in food.restaurants))
        dishes = tuple(dict.fromkeys(english(d.name) for r in food.restaurants for d in r.menu))
    finally:
        phone.close()
    return Domain(products, colours, sizes, cities, hotels, rooms, restaurants, dishes, tuple(TIMES))
