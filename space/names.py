"""Model names that could pass for a paper model's: Unicode skeletons (UTS #39 confusables).

A submitted name is refused when its skeleton equals the skeleton of a seeded (paper) model's
name or HF id: ``GPT-4о`` with a Cyrillic ``о``, ``gpt4o``, ``ＧＰＴ-4o`` (full width) and
``GPT-40`` all read as the paper's ``GPT-4o`` on the board. The skeleton is NFKC, then every
non-ASCII character replaced by an ASCII letter or digit it is confusable with (the Unicode
confusables table, via ``confusable_homoglyphs``), case-folded, with the look-alike digits
``0``/``1`` read as ``o``/``l``, and separators (spaces, ``-``, ``_``, ``.``, ``/``) dropped.

>>> skeleton("GPT-4о") == skeleton("gpt4o") == skeleton("ＧＰＴ-4o") == skeleton("GPT-40")
True
>>> skeleton("Qwen3-8B"), skeleton("Qwen3-8B (my run)")
('qwen38b', 'qwen38b(myrun)')
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

_SEPARATORS = frozenset(" -_./\t")
_ASCII_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})


@functools.lru_cache(maxsize=4096)
def _ascii_prototype(ch: str) -> str:
    """An ASCII letter/digit that ``ch`` is confusable with, else ``ch`` itself."""
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin"]) or []
    for entry in found:
        for glyph in entry.get("homoglyphs", []):
            c = glyph.get("c", "")
            if len(c) == 1 and c.isascii() and c.isalnum():
                return c
    return ch


def skeleton(name: str) -> str:
    """What ``name`` looks like, for comparing names (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch if ch.isascii() else _ascii_prototype(ch) for ch in text)
    text = text.casefold().translate(_ASCII_LOOKALIKES)
    return "".join(ch for ch in text if ch not in _SEPARATORS)


class ReservedNames:
    """The skeletons of the paper models' names and HF ids."""

    def __init__(self, names: Iterable[str]) -> None:
        self._by_skeleton: dict[str, str] = {}
        for name in names:
            if name:
                self._by_skeleton.setdefault(skeleton(name), name)

    def clash(self, name: str) -> str | None:
        """The reserved name that ``name`` equals or could pass for, if any.

        >>> ReservedNames(["GPT-4o", "Qwen/Qwen3-8B"]).clash("GPT-4о")
        'GPT-4o'
        >>> ReservedNames(["GPT-4o"]).clash("GPT-4o-mini (ours)") is None
        True
        """
        return self._by_skeleton.get(skeleton(name))
