"""The task domain the default speech model is built for: the emulator's shop, travel and
restaurant apps (product, colour, size, city, hotel, room, restaurant and dish names),
numbers, dates and times, framed in the ways people ask for purchases and bookings.

The sentences below are not a list of accepted commands: they train an n-gram model, so
other orders and combinations of these words are still recognised.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

from autoagent.plugins import target
from autoagent.voice.text import number_to_words, ordinal_words, tokens

# Words of the domain that the CMU dictionary lacks, in its phone set.
EXTRA_PRONUNCIATIONS: dict[str, str] = {
    "earbuds": "IH1 R B AH0 D Z",
    "earbud": "IH1 R B AH0 D",
    "edamame": "EH2 D AH0 M AA1 M EY0",
    "hangzhou": "HH AA1 NG JH OW0",
    "hoodie": "HH UH1 D IY0",
    "hoodies": "HH UH1 D IY0 Z",
    "lanzhou": "L AA1 N JH OW0",
    "mapo": "M AA1 P OW0",
    "margherita": "M AA2 R G ER0 IY1 T AH0",
    "margheritas": "M AA2 R G ER0 IY1 T AH0 Z",
    "miso": "M IY1 S OW0",
    "smoothie": "S M UW1 DH IY0",
    "smoothies": "S M UW1 DH IY0 Z",
    "tempura": "T EH0 M P UH1 R AH0",
    "xi'an": "SH IY2 AA1 N",
    "xl": "EH1 K S EH1 L",
    "xxl": "EH1 K S EH1 K S EH1 L",
    "zhajiang": "JH AA1 JH IY0 AA1 NG",
}

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
DAYS = ["today", "tomorrow", "tonight", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday"]


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
        return sorted(all_names, key=lambda n: (-len(spoken(n)), n))


@lru_cache(maxsize=1)
def emulator_domain() -> Domain:
    """The emulator's names, which the emulator target supplies (autoagent.plugins)."""
    emulator = target("emulator")
    if emulator is None or emulator.vocabulary is None:
        raise LookupError("no emulator target is installed to supply the speech vocabulary")
    return emulator.vocabulary()


def spoken(written: str) -> str:
    """How a written name is said: "USB-C Cable" -> "usb c cable", "500g" -> "five hundred g"."""
    out = []
    for word in tokens(written):
        out.append(number_to_words(int(word)) if word.isdigit() and len(word) <= 4 else word)
    return " ".join(out)


_UNCOUNTED = {"rice", "tofu", "tea", "coffee", "edamame", "tempura", "sushi", "tiramisu", "pork", "g",
              "bread", "beef", "lamb", "chicken", "duck", "quinoa", "greens"}


def plural(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    if last.endswith(("s", "x", "ch", "sh")) or last in _UNCOUNTED:
        return phrase
    last = last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + "s"
    return f"{head} {last}".strip()


def spoken_time(hhmm: str) -> list[str]:
    hour, minute = (int(x) for x in hhmm.split(":"))
    h12 = hour % 12 or 12
    suffix = "pm" if hour >= 12 else "am"
    minutes = "" if minute == 0 else f" {number_to_words(minute)}"
    return [f"{number_to_words(h12)}{minutes} {suffix}", f"{number_to_words(h12)}{minutes}",
            f"{number_to_words(h12)} o'clock" if not minute else f"half past {number_to_words(h12)}",
            f"{number_to_words(hour)} hundred" if not minute else f"{number_to_words(hour)}{minutes}"]


def corpus(domain: Domain, sentences: int = 6000, seed: int = 0) -> list[str]:
    """Training sentences for the domain language model (spoken form, lower case)."""
    rng = random.Random(seed)
    pick = rng.choice
    products = [spoken(p) for p in domain.products]
    colours = [spoken(c) for c in domain.colours]
    sizes = [spoken(s) for s in domain.sizes]
    cities = [spoken(c) for c in domain.cities]
    hotels = [spoken(h) for h in domain.hotels]
    rooms = [spoken(r) for r in domain.rooms]
    restaurants = [spoken(r) for r in domain.restaurants]
    dishes = [spoken(d) for d in domain.dishes]
    times = [t for hhmm in domain.times for t in spoken_time(hhmm)]

    def count() -> str:
        return number_to_words(rng.choice([1, 2, 2, 3, 4, 5, 6, 8, 10]))

    def some(noun: str) -> str:
        n = rng.choice(["a", "one", "two", "two", "three", "four", "the", "some"])
        return f"{n} {noun if n in ('a', 'one', 'the') else plural(noun)}"

    def date() -> str:
        day = rng.randint(1, 31)
        return pick([f"{pick(MONTHS)} {ordinal_words(day)}", f"{pick(MONTHS)} {number_to_words(day)}",
                     f"the {ordinal_words(day)} of {pick(MONTHS)}"])

    def year() -> str:
        return pick(["", "", " twenty twenty five", " two thousand twenty five"])

    def polite(s: str) -> str:
        return pick(["", "", "please ", "i want to ", "i would like to ", "can you ", "help me "]) + s

    def in_app(s: str, app: str) -> str:
        return pick([s, s, f"in the {app} app {s}", f"{s} in the {app} app", f"open the {app} app and {s}",
                     f"{s} from the {app}", f"{s} on the {app} app"])

    def shop() -> str:
        product = pick(products)
        item = pick([product, f"{pick(colours)} {product}", f"{pick(colours)} {product}"])
        size = pick(["", "", f" in size {pick(sizes)}", f" size {pick(sizes)}", f" in {pick(sizes)}"])
        pay = pick(["", "", "", " and pay", " and check out", " and pay for it"])
        verb = pick(["buy", "buy", "order", "get me", "purchase", "find"])
        s = pick([f"{verb} {some(item)}{size}{pay}",
                  f"add {some(item)}{size} to the cart",
                  f"add {some(item)} to my cart but do not buy {pick(['them', 'it'])}",
                  f"search for {plural(product)}",
                  f"put {some(item)} in the cart{pay}"])
        return in_app(polite(s), "shop")

    def travel() -> str:
        guests = pick([f"for {count()} adults", f"for one adult", f"for {count()} people", ""])
        room = pick(["a hotel", "a hotel", "a room", f"a {pick(rooms)} room", f"the {pick(hotels)}",
                     f"a {pick(rooms)}"])
        when = pick([f"checking in on {date()} and out on {date()}{year()}",
                     f"from {date()} to {date()}{year()}", f"{date()} to {date()}{year()}",
                     f"check in {date()} check out {date()}", f"for {count()} nights from {date()}", ""])
        parts = [f"{pick(['book', 'book', 'reserve', 'find'])} {room} in {pick(cities)}", guests, when]
        rng.shuffle(parts[1:]) if rng.random() < 0.3 else None
        return in_app(polite(" ".join(p for p in parts if p)), "travel")

    def restaurant() -> str:
        place = pick(restaurants)
        s = pick([f"reserve a table for {count()} at {place} {pick(DAYS)} at {pick(times)}",
                  f"book a table at {place} for {count()} people {pick(DAYS)} at {pick(times)}",
                  f"reserve a table for {count()} at {place} at {pick(times)} {pick(DAYS)}",
                  f"order {count()} portions of {pick(dishes)} from {place} for delivery{pick(['', ' and pay'])}",
                  f"order {some(pick(dishes))} and {some(pick(dishes))} from {place}",
                  f"order {some(pick(dishes))} from {place}{pick(['', ' and pay', ' for delivery'])}"])
        return in_app(polite(s), "restaurant")

    out = []
    for _ in range(sentences):
        out.append(pick([shop, shop, travel, restaurant])())
    # Every name on its own too, so each has a path into the model even after pruning.
    out += products + colours + cities + hotels + rooms + restaurants + dishes + times
    out += [number_to_words(n) for n in range(0, 32)] + [ordinal_words(n) for n in range(1, 32)] + MONTHS
    return [re.sub(r"\s+", " ", s).strip() for s in out]
