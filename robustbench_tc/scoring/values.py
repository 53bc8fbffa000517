"""Value comparisons shared by the per-source scorers.

>>> bfcl_standardize("Homo-Sapiens, (Human)")
'homosapiens(human)'
>>> loose_equal("5", 5.0), loose_equal("Paris ", "paris"), loose_equal(True, "true"), loose_equal("5", "6")
(True, True, True, False)
>>> as_number("1e3"), as_number("12abc"), as_number(True)
(1000.0, None, None)
>>> loose_equal(["Jackie Lee", "Mike Chen"], "['jackie lee', 'Mike Chen']")
True
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from robustbench_tc.parsing.scan import structured_value
from robustbench_tc.records import OPTIONAL

_BFCL_DROP = str.maketrans("", "", " ,./-_*^")
_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
MAX_COMPARE_DEPTH = 32
MAX_DECODED_LEN = 10_000
"""Longest string that ``decoded`` reads as a list/dict literal."""


def bfcl_standardize(text: str) -> str:
    """BFCL's string normalisation: drop spaces and the characters ``, . / - _ * ^``, lower-case,
    and treat a single quote like a double quote.  Short strings (names, cities, units: the same
    few recur across records) are remembered."""
    if len(text) <= MAX_REMEMBERED_LEN:
        return _standardize_remembered(text)
    return _standardize(text)


MAX_REMEMBERED_LEN = 128
"""Longest string whose standardised form ``bfcl_standardize`` keeps (at most 4096 of them)."""


def _standardize(text: str) -> str:
    return text.translate(_BFCL_DROP).lower().replace("'", '"')


_standardize_remembered = lru_cache(maxsize=4096)(_standardize)


def as_number(value: Any) -> int | float | None:
    """An int/float, or a string spelling one (``"5"``, ``" 2.50 "``, ``"1e3"``); else ``None``.
    Booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and len(value) <= 64:
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        if _NUMERIC.fullmatch(text):
            return float(text)
    return None


def numbers_equal(a: int | float, b: int | float) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except OverflowError:
        return False


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value).strip().casefold()


def decoded(value: Any) -> Any:
    """A string spelling a list/dict (JSON or Python literal) as that list/dict; else ``value``.

    API-Bank's gold keeps list/dict values as their Python repr (``"['a', 'b']"``), while a model
    may write them as JSON values, or the other way round.

    >>> decoded("['a', {'k': 1}]"), decoded("[1, 2"), decoded("Paris")
    (['a', {'k': 1}], '[1, 2', 'Paris')
    """
    if isinstance(value, str) and len(value) <= MAX_DECODED_LEN and value.lstrip()[:1] in ("[", "{"):
        result = structured_value(value)
        if isinstance(result, (list, dict)):
            return result
    return value


def loose_equal(pred: Any, gold: Any, depth: int = 0) -> bool:
    """API-Bank / ToolAlpaca equality: numbers compared as numbers whatever their spelling
    (``"5" == 5 == 5.0``), strings case-insensitively after trimming, booleans as
    ``true``/``false``; lists element-wise, dicts key-by-key, also when spelled as a string."""
    if depth > MAX_COMPARE_DEPTH:
        return False
    if type(pred) is str and pred == gold and type(gold) is str and pred.lstrip()[:1] not in ("[", "{"):
        return True  # the same plain text: same number or same words (only a structure can hold NaN)
    pred, gold = decoded(pred), decoded(gold)
    if isinstance(gold, list) or isinstance(pred, list):
        return (
            isinstance(gold, list)
            and isinstance(pred, list)
            and len(gold) == len(pred)
            and all(loose_equal(p, g, depth + 1) for p, g in zip(pred, gold))
        )
    if isinstance(gold, dict) or isinstance(pred, dict):
        return (
            isinstance(gold, dict)
            and isinstance(pred, dict)
            and set(gold) == set(pred)
            and all(loose_equal(pred[k], gold[k], depth + 1) for k in gold)
        )
    pn, gn = as_number(pred), as_number(gold)
    if pn is not None and gn is not None:
        return numbers_equal(pn, gn)
    return _text(pred) == _text(gold)


def is_optional(acceptable: list[Any]) -> bool:
    """A gold parameter may be omitted when ``""`` is among its acceptable values (or none are listed)."""
    return not acceptable or OPTIONAL in acceptable


def loosely_acceptable(_param: str, value: Any, acceptable: list[Any]) -> bool:
    """A ``match_arguments`` value check: ``value`` is ``loose_equal`` to one acceptable value.

    >>> loosely_acceptable("n", "5", [4, 5.0])
    True
    """
    return any(loose_equal(value, a) for a in acceptable)
