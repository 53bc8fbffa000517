"""``fabricated_observation`` (Appendix N (1)): the gold call's first result contradicts the query.

The world answers the first successful gold call as if the request had named another value of
the same kind for one parameter (another city, another date, another amount): the result's
``request`` echo and its data are about that value.  A repeated call gets the true result.

The verdict is decided deterministically (``scoring.episodes``): right when the model calls the
gold tool again and gets the true result (a re-query), or when its final answer holds one of the
row's contradiction markers (a closed word list: "does not match", "instead of", "you asked",
...); wrong otherwise, in particular when the final answer repeats the fabricated value.

The replacement value, by priority: a member of the same kind in ``KINDS`` (countries, cities,
languages, currencies, weekdays, months), a date or time shifted by a seeded amount in the same
spelling, a number changed by a seeded amount in the same spelling, or the value another clean
sample of the same source gives the same parameter.  It never appears in the conversation, and it
is not an acceptable gold value.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from robustbench_tc.records import OPTIONAL, Sample
from robustbench_tc.scoring.values import as_number, loose_equal
from robustbench_tc.world.axes.base import AxisBuilder, Pool, needs_target, runtime_row, target_call
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.spec import Fabrication, parse_spec

CODE = "fabricated_observation"

KINDS: dict[str, tuple[str, ...]] = {
    "country": ("Argentina", "Australia", "Brazil", "Canada", "Chile", "China", "Egypt", "France", "Germany",
                "India", "Italy", "Japan", "Kenya", "Mexico", "Nigeria", "Norway", "Peru", "Poland",
                "Portugal", "Spain", "Sweden", "Turkey", "United Kingdom", "United States", "Vietnam"),
    "city": ("Amsterdam", "Austin", "Barcelona", "Berlin", "Boston", "Chicago", "Denver", "Dublin", "Lisbon",
             "London", "Los Angeles", "Lyon", "Madrid", "Miami", "Milan", "Munich", "New York", "Paris",
             "Rome", "San Francisco", "Seattle", "Sydney", "Tokyo", "Toronto", "Vienna"),
    "language": ("Arabic", "Chinese", "Dutch", "English", "French", "German", "Hindi", "Italian", "Japanese",
                 "Korean", "Portuguese", "Russian", "Spanish", "Swedish", "Turkish"),
    "currency": ("AUD", "CAD", "CHF", "CNY", "EUR", "GBP", "INR", "JPY", "MXN", "USD"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"),
}  # fmt: skip
_BY_VALUE = {v.casefold(): kind for kind, values in KINDS.items() for v in values}
_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(.*)")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(:\d{2})?")


def _shift_date(text: str, draw: Draw) -> str | None:
    m = _DATE.fullmatch(text.strip())
    if not m:
        return None
    year, sep, month, day, rest = m.groups()
    try:
        when = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    days = draw.between(3, 40) * draw.choice((-1, 1))
    new = when + dt.timedelta(days=days)
    width_m, width_d = len(month), len(day)
    return f"{new.year:04d}{sep}{new.month:0{width_m}d}{sep}{new.day:0{width_d}d}{rest}"


def _shift_time(text: str, draw: Draw) -> str | None:
    m = _TIME.fullmatch(text.strip())
    if not m:
        return None
    hour = (int(m.group(1)) + draw.between(2, 9)) % 24
    return f"{hour:0{len(m.group(1))}d}:{m.group(2)}{m.group(3) or ''}"


def _shift_number(value: Any, draw: Draw) -> Any:
    number = as_number(value)
    if number is None:
        return None
    if isinstance(number, int):
        delta = max(1, abs(number) // draw.between(3, 6))
        new: int | float = number + delta * draw.choice((-1, 1)) if number - delta > 0 else number + delta
    else:
        new = round(number * draw.choice((0.5, 0.75, 1.25, 1.5, 2.0)), 4)
        if new == number:
            new = number + 1.5
    return str(new) if isinstance(value, str) else new


def candidates(sample: Sample, pool: Pool, draw: Draw) -> list[tuple[str, Any, Any]]:
    """``(parameter, gold value, fabricated value)`` options for the target call, best first."""
    gold = target_call(sample)
    if gold is None:
        return []
    said = " ".join(m.content for m in sample.messages).casefold()
    out: list[tuple[int, str, Any, Any]] = []
    for param, values in gold.arguments.items():
        if not values or values[0] == OPTIONAL or isinstance(values[0], (bool, list, dict)):
            continue
        value = values[0]
        text = str(value).strip()
        options: list[tuple[int, Any]] = []
        kind = _BY_VALUE.get(text.casefold())
        if kind:
            others = [v for v in KINDS[kind] if v.casefold() != text.casefold()]
            options.append((0, draw.choice(others)))
        for rank, shifted in ((1, _shift_date(text, draw)), (1, _shift_time(text, draw))):
            if shifted is not None and isinstance(value, str):
                options.append((rank, shifted))
        number = _shift_number(value, draw)
        if number is not None:
            options.append((2, number))
        if isinstance(value, str) and as_number(value) is None:
            pooled = sorted(
                {
                    str(c.arguments[param][0]).strip()
                    for other in pool.by_source.get(sample.source, [])
                    if other.id != sample.id
                    for a in other.golden_answers
                    for c in a.calls
                    if param in c.arguments
                    and c.arguments[param]
                    and isinstance(c.arguments[param][0], str)
                    and c.arguments[param][0].strip() not in ("", "None")
                }
            )
            if pooled:
                options.append((3, draw.choice(pooled)))
        for rank, fake in options:
            fake_text = str(fake).strip()
            if not fake_text or fake_text.casefold() in said or any(loose_equal(fake, v) for v in values):
                continue
            out.append((rank, param, value, fake))
            break
    return [(p, v, f) for _, p, v, f in sorted(out, key=lambda r: r[0])]


def eligible(sample: Sample, pool: Pool) -> str | None:
    reason = needs_target(sample, pool)
    if reason:
        return reason
    if not candidates(sample, pool, Draw(pool.seed, CODE, sample.id)):
        return "no gold value with a plausible replacement of the same kind"
    return None


def make(clean: Sample, pool: Pool, draw: Draw) -> Sample:
    gold = target_call(clean)
    options = candidates(clean, pool, draw)
    assert gold is not None and options
    param, value, fake = options[0]
    spec = Fabrication(tool=gold.name, parameter=param, value=fake, original=value)
    return runtime_row(clean, CODE, spec)


def checks(clean: Sample, row: Sample) -> list[str]:
    spec = parse_spec(row.perturbation_metadata.get("world"))
    if not isinstance(spec, Fabrication):
        return ["no fabrication spec"]
    gold = target_call(clean)
    out = []
    if gold is None or spec.parameter not in gold.arguments:
        return [f"{spec.parameter!r} is not a gold parameter"]
    if any(loose_equal(spec.value, v) for v in gold.arguments[spec.parameter]):
        out.append("the fabricated value is an acceptable gold value")
    said = " ".join(m.content for m in clean.messages).casefold()
    if str(spec.value).strip().casefold() in said:
        out.append("the fabricated value appears in the conversation")
    return out


BUILDER = AxisBuilder(
    CODE,
    eligible,
    make,
    checks,
    note="samples whose gold call has a value with a plausible replacement of the same kind (a listed "
    "country, city, language, currency, weekday or month; a date or time; a number; another sample's value "
    "for the same parameter), never in the conversation; the first gold result echoes it instead.",
)
