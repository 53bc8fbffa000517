"""Deterministic draws: the same key gives the same values on every machine and Python version.

The world's results are seeded by the sample id and the calls made so far, so a trajectory replays
byte for byte on the server.  ``random.Random`` would do on one interpreter, but its methods'
algorithms are not promised across versions; these draws are sha256 over the key and a counter.

>>> d = Draw("apibank__level1_2", [["f", {"a": 1}]])
>>> d.below(10) == Draw("apibank__level1_2", [["f", {"a": 1}]]).below(10)
True
>>> 0 <= d.unit() < 1, len(d.hex(6)), d.choice(["x", "y", "z"]) in "xyz"
(True, 6, True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def key_bytes(*key: object) -> bytes:
    """A canonical byte spelling of a JSON-serialisable key."""
    return json.dumps(key, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode(
        "utf-8", "surrogatepass"
    )


class Draw:
    """A stream of values seeded by ``key`` (anything JSON-serialisable)."""

    __slots__ = ("_seed", "_count")

    def __init__(self, *key: object) -> None:
        self._seed = hashlib.sha256(key_bytes(*key)).digest()
        self._count = 0

    def _next(self) -> bytes:
        self._count += 1
        return hashlib.sha256(self._seed + self._count.to_bytes(8, "big")).digest()

    def unit(self) -> float:
        """A float in [0, 1)."""
        return int.from_bytes(self._next()[:7], "big") / float(1 << 56)

    def below(self, n: int) -> int:
        """An int in [0, n) (n >= 1)."""
        if n < 1:
            raise ValueError(f"below() needs n >= 1, got {n}")
        return int.from_bytes(self._next()[:8], "big") % n

    def between(self, lo: int, hi: int) -> int:
        """An int in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def hex(self, n: int) -> str:
        """``n`` lowercase hex digits (n <= 64)."""
        return self._next().hex()[:n]


def unit_hash(*key: object) -> float:
    """One draw in [0, 1) for ``key`` (a shortcut for ``Draw(*key).unit()``)."""
    return Draw(*key).unit()
