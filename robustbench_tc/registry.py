"""A tiny name -> object registry whose lookup errors suggest close names.

>>> colours = Registry("colour")
>>> @colours.register("red")
... def red():
...     return "#f00"
>>> colours.get("red")()
'#f00'
>>> colours.get("rde")
Traceback (most recent call last):
...
KeyError: "unknown colour 'rde'; did you mean 'red'? (known: red)"
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar, overload

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects; ``register`` is usable as a decorator."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self.version = 0
        """Bumped by every change, so that a caller may keep what it derived from the entries."""

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...
    @overload
    def register(self, name: str, obj: T) -> T: ...
    def register(self, name: str, obj: T | None = None) -> Callable[[T], T] | T:
        def add(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = item
            self.version += 1
            return item

        return add(obj) if obj is not None else add

    def unregister(self, name: str) -> T:
        """Remove and return an entry (a plugin or test that registered it at run time)."""
        try:
            item = self._items.pop(name)
        except KeyError:
            raise KeyError(unknown_name_message(self.kind, name, self._items)) from None
        self.version += 1
        return item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(unknown_name_message(self.kind, name, self._items)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return list(self._items)


def unknown_name_message(kind: str, name: str, known: Iterable[object]) -> str:
    """The error text for an unknown name, with close matches first."""
    names = [str(k) for k in known]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (known: {', '.join(names)})"
