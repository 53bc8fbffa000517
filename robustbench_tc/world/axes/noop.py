"""``silent_noop`` (Appendix N (2)): the gold write reports success without changing anything.

Where the sources allow it: the gold tool must change state (its name starts or holds a write
verb: add, create, modify, delete, book, ...).  Most gold tools of the five sources read or compute
(BFCL's functions, ToolAlpaca's GET endpoints, RoTBench's and ToolEyes' search and lookup tools),
so this row is mostly API-Bank.

Every successful gold call answers ``{"message": "Request accepted.", "matched": 1, "modified":
0}``: accepted, nothing changed, whatever is retried.  Right when the episode ends with a final
answer that says the change did not happen (``did not``, ``unchanged``, ``no effect``, ...); wrong
when the model reports success, or retries until the step limit (the loop of the issues cited).
"""

from __future__ import annotations

from robustbench_tc.records import Sample
from robustbench_tc.world.axes.base import (
    AxisBuilder,
    Pool,
    name_words,
    needs_target,
    runtime_row,
    target_call,
)
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.spec import SilentNoOp

CODE = "silent_noop"

WRITE_WORDS = frozenset(
    "add create modify update delete remove cancel set book register record open send post put reset switch "
    "upload save change edit forgot appointment shorten".split()
)
"""Name words of tools that change state (as data: eligibility is this list)."""


def is_write(tool: str) -> bool:
    """Whether ``tool`` changes state (a write verb in its name).

    >>> is_write("AddAgenda"), is_write("book_hotel"), is_write("QueryBalance")
    (True, True, False)
    """
    return bool(name_words(tool) & WRITE_WORDS)


def eligible(sample: Sample, pool: Pool) -> str | None:
    reason = needs_target(sample, pool)
    if reason:
        return reason
    gold = target_call(sample)
    assert gold is not None
    return None if is_write(gold.name) else "the gold tool changes no state (a read or a computation)"


def make(clean: Sample, _pool: Pool, _draw: Draw) -> Sample:
    gold = target_call(clean)
    assert gold is not None
    return runtime_row(clean, CODE, SilentNoOp(tool=gold.name))


BUILDER = AxisBuilder(
    CODE,
    eligible,
    make,
    note="samples whose gold tool changes state (a write verb in its name, `WRITE_WORDS`); every gold call "
    "is accepted with `modified: 0`.",
)
