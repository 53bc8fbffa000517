"""Offline keyboard-noise typo model (the ``rules`` generator of Typo).

2-4 edits, each on a different plain word when enough exist: an adjacent QWERTY key, a swap of
two neighbouring letters, a dropped letter or a doubled letter.  The first letter of a word is
never touched, and nothing that ``text.editable_words`` excludes is ever edited: numbers, dates,
proper nouns, technical terms, quoted strings, markup, assistant turns, and every gold value.

>>> import random
>>> text = "Please find the type of soil for the sample ID ab123 near Lake Tahoe."
>>> out, edits = add_typos(text, random.Random(3), protect=["ab123"])
>>> out != text, 2 <= sum(len(e["kinds"]) for e in edits) <= 4
(True, True)
>>> all(keep in out for keep in ("ID ab123", "Lake Tahoe."))
True
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from robustbench_tc.perturbations.text import editable_words

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_POS = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}


def _neighbours(char: str) -> list[str]:
    """QWERTY keys adjacent to ``char`` (same row and the rows above/below).

    >>> _neighbours("e")
    ['w', 'r', 's', 'd']
    """
    if char.lower() not in _POS:
        return []
    r, i = _POS[char.lower()]
    out = []
    for dr, di in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0)):
        rr, ii = r + dr, i + di
        if 0 <= rr < 3 and 0 <= ii < len(_ROWS[rr]):
            out.append(_ROWS[rr][ii])
    return [c.upper() if char.isupper() else c for c in out]


KINDS = ("adjacent_key", "swap", "drop", "double")


def _edit_word(word: str, rng: random.Random) -> tuple[str, str] | None:
    """One typo inside ``word`` (first letter kept), or None if no edit changes it."""
    kinds = list(KINDS)
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "adjacent_key":
            positions = [i for i in range(1, len(word)) if _neighbours(word[i])]
            if positions:
                i = rng.choice(positions)
                return word[:i] + rng.choice(_neighbours(word[i])) + word[i + 1 :], kind
        elif kind == "swap":
            positions = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1]]
            if positions:
                i = rng.choice(positions)
                return word[:i] + word[i + 1] + word[i] + word[i + 2 :], kind
        elif kind == "drop" and len(word) >= 4:
            i = rng.randrange(1, len(word))
            return word[:i] + word[i + 1 :], kind
        elif kind == "double":
            i = rng.randrange(1, len(word))
            return word[: i + 1] + word[i] + word[i + 1 :], kind
    return None


def add_typos(text: str, rng: random.Random, protect: Iterable[str] = ()) -> tuple[str, list[dict[str, Any]]]:
    """``text`` with 2-4 typos, and one record per edited word (offset in ``text``, the word,
    its typo'd form, the edit kinds).  Raises ValueError if no word may be edited."""
    words = [(a, b, w) for a, b, w in editable_words(text, protect) if len(w) >= 3]
    if not words:
        raise ValueError("no plain word may receive a typo (all are protected)")
    count = rng.randint(2, 4)
    chosen = rng.sample(words, min(count, len(words)))
    # Fewer plain words than typos: the remaining typos go into words already chosen.
    plan: dict[tuple[int, int, str], int] = {w: 1 for w in chosen}
    for i in range(count - len(chosen)):
        plan[chosen[i % len(chosen)]] += 1
    edits: list[dict[str, Any]] = []
    out = text
    for a, b, word in sorted(plan, reverse=True):  # right to left keeps earlier offsets valid
        new, kinds = word, list[str]()
        for _ in range(10 * plan[(a, b, word)]):
            if len(kinds) == plan[(a, b, word)]:
                break
            edited = _edit_word(new, rng)
            if edited is None or edited[0] == word:  # a second edit must not undo the first
                continue
            new, kind = edited
            kinds.append(kind)
        if new != word:
            out = out[:a] + new + out[b:]
            edits.append({"offset": a, "word": word, "typo": new, "kinds": kinds})
    edits.sort(key=lambda e: e["offset"])
    if sum(len(e["kinds"]) for e in edits) < 2:
        raise ValueError("could not place two typos")
    return out, edits
