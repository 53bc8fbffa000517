"""Tool-name surgery: split a name into words in its own style, rebuild it, abbreviate it.

**The abbreviation rule** (MisDesc-Abbr / TimeDesc-Abbr), derived from the paper's two examples
``country_info.capital -> cou_info.cap`` and ``mutation_type.find -> mut_type.find``: every word
longer than four letters is cut to its first three; shorter words, separators (``.``, ``_``,
``-``), digits and the word boundaries of camelCase are kept.  When that leaves the name
unchanged (only short words) or collides with a tool already listed, stronger candidates are
tried in order: drop the inner vowels of each word, then cut every word to two letters, then
append a digit.

>>> abbreviate("country_info.capital"), abbreviate("mutation_type.find")
('cou_info.cap', 'mut_type.find')
>>> abbreviate("AddAgenda"), abbreviate("angleToXAxis.calculate"), abbreviate("preferred-routes_get")
('AddAge', 'angToXAxis.cal', 'pre-rou_get')
>>> abbreviate("add_date"), abbreviate("api"), abbreviate("tags")
('add_dt', 'ap', 'tgs')
>>> abbreviate("GetToday", taken={"GetTod"})
'GtTd'
>>> abbreviate("météo.prévision"), split_name("obtenirMétéoVille")
('mét.pré', ('', ['obtenir', 'Météo', 'Ville'], 'camel'))
>>> split_name("get_collectables_in_season")
('', ['get', 'collectables', 'in', 'season'], 'snake')
>>> split_name("findCatByTag"), split_name("mutation_type.find")
(('', ['find', 'Cat', 'By', 'Tag'], 'camel'), ('mutation_type', ['find'], 'lower'))
>>> join_name("", ["list", "cat", "by", "color"], "camel"), join_name("", ["delete", "agenda"], "pascal")
('listCatByColor', 'DeleteAgenda')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator


def _upper_class() -> str:
    """A regex character class of the BMP uppercase letters (``re`` has no ``\\p{Lu}``)."""
    codes = [c for c in range(0x10000) if chr(c).isupper()]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return (
        "[" + "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges) + "]"
    )


# Words in any script ("météo", "Ärger"): _U upper, _L any other letter; the last branches keep
# every other character (separators, digits, astral letters) as a token of its own.
_U = _upper_class()
_L = rf"(?:(?!{_U})[^\W\d_])"
_TOKEN = re.compile(rf"{_U}+(?={_U}{_L})|{_U}?{_L}+|{_U}+|\d+|[\W_]+|.", re.S)
_VOWELS = set("aeiouAEIOU")


def _tokens(name: str) -> list[str]:
    return _TOKEN.findall(name)


def _map_words(name: str, fn: Callable[[str], str]) -> str:
    return "".join(fn(t) if t.isalpha() else t for t in _tokens(name))


def _cut3(word: str) -> str:
    return word[:3] if len(word) > 4 else word


def _devowel(word: str) -> str:
    if len(word) < 3:
        return word
    return word[0] + "".join(c for c in word[1:] if c not in _VOWELS)


def _candidates(name: str) -> Iterator[str]:
    first = _map_words(name, _cut3)
    yield first
    yield _map_words(name, lambda w: _devowel(_cut3(w)))
    yield _map_words(name, _devowel)
    yield _map_words(name, lambda w: w[:2])
    for n in range(2, 1000):
        yield f"{first}{n}"


def abbreviate(name: str, taken: Collection[str] = ()) -> str:
    """The abbreviated form of ``name``: differs from it and from every name in ``taken``
    (compared case-insensitively, since some scorers fold case)."""
    blocked = {t.lower() for t in taken} | {name.lower()}
    for cand in _candidates(name):
        if cand and cand.lower() not in blocked:
            return cand
    raise ValueError(f"cannot abbreviate tool name {name!r}")  # unreachable: digits always free


def segment_style(segment: str) -> str:
    """``snake``, ``kebab``, ``pascal``, ``camel`` or ``lower`` (one lowercase word)."""
    if "_" in segment:
        return "snake"
    if "-" in segment:
        return "kebab"
    if segment[:1].isupper():
        return "pascal"
    if any(c.isupper() for c in segment):
        return "camel"
    return "lower"


def split_name(name: str) -> tuple[str, list[str], str]:
    """(namespace before the last dot, the words of the last segment, that segment's style)."""
    namespace, _, last = name.rpartition(".")
    style = segment_style(last)
    words = [t for t in _tokens(last) if t.isalnum()]
    return namespace, words, style


def join_name(namespace: str, words: list[str], style: str) -> str:
    """Rebuild a name from words in a style (``lower`` joins with ``_`` like snake)."""
    if style == "pascal":
        seg = "".join(w[:1].upper() + w[1:] for w in words)
    elif style == "camel":
        seg = words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])
    elif style == "kebab":
        seg = "-".join(words)
    else:
        seg = "_".join(words)
    return f"{namespace}.{seg}" if namespace else seg


def unique_name(base: str, taken: Collection[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is not in ``taken`` (case-insensitively).

    >>> unique_name("AddAgenda_1", {"AddAgenda_1"})
    'AddAgenda_1_2'
    """
    blocked = {t.lower() for t in taken}
    if base.lower() not in blocked:
        return base
    n = 2
    while f"{base}_{n}".lower() in blocked:
        n += 1
    return f"{base}_{n}"
