"""What the demo shop sells and where the demo hotels are. Deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    price: int  # in fen (cents), to keep money exact
    description: str


@dataclass(frozen=True)
class Room:
    id: str
    name: str
    capacity: int
    price: int  # per night, in fen


@dataclass(frozen=True)
class Hotel:
    id: str
    name: str
    city: str
    city_zh: str
    rooms: tuple[Room, ...]


_PRODUCT_NAMES = (
    "Wireless Mouse", "Mechanical Keyboard", "USB-C Cable", "Laptop Stand", "Desk Lamp",
    "无线蓝牙耳机", "保温杯", "机械键盘", "Water Bottle", "Notebook A5",
    "Fountain Pen", "绿茶 250g", "Coffee Beans 1kg", "Phone Case", "Screen Protector",
    "充电宝 20000mAh", "Yoga Mat", "Running Shoes", "Backpack", "Umbrella",
    "Sunglasses", "电动牙刷", "Bluetooth Speaker", "Smart Watch", "Tea Set",
    "Rice Cooker", "空气净化器", "Hand Cream", "Wool Socks", "Desk Organizer",
)

_CITIES = (("Hangzhou", "杭州"), ("Shanghai", "上海"), ("Beijing", "北京"), ("Chengdu", "成都"))
_HOTEL_WORDS = ("Lakeside", "Garden", "Riverside", "Central", "Bamboo", "Pearl")
_ROOMS = (("Standard Queen", 2), ("Deluxe Twin", 2), ("Family Suite", 4), ("Single Room", 1))


def make_products(seed: int) -> list[Product]:
    rng = random.Random(seed)
    return [
        Product(id=f"p{i + 1:02d}", name=name, price=rng.randrange(990, 49900, 10),
                description=f"{name}: a well made everyday item, ships in two days.")
        for i, name in enumerate(_PRODUCT_NAMES)
    ]


def make_hotels(seed: int) -> list[Hotel]:
    rng = random.Random(seed + 1)
    hotels = []
    for c, (city, city_zh) in enumerate(_CITIES):
        for k in range(3):
            word = _HOTEL_WORDS[(c + k) % len(_HOTEL_WORDS)]
            rooms = tuple(Room(id=f"r{j + 1}", name=name, capacity=cap, price=rng.randrange(29900, 129900, 100))
                          for j, (name, cap) in enumerate(_ROOMS))
            hotels.append(Hotel(id=f"h{c + 1}{k + 1}", name=f"{city} {word} Hotel", city=city,
                                city_zh=city_zh, rooms=rooms))
    return hotels


def money(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"
