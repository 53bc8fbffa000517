"""``episode_clean``: the clean sample as a multi-step episode in a world without faults.

The baseline every runtime axis's drop is paired with (same base sample).  A sample is in it when
its gold calls are real tools (a gold that is a meta-tool, RoTBench's ``ask_to_user``, has nothing
for the world to execute).
"""

from __future__ import annotations

from robustbench_tc.records import Sample
from robustbench_tc.sources import get_source
from robustbench_tc.world.axes.base import AxisBuilder, Pool, runtime_row
from robustbench_tc.world.draw import Draw

CODE = "episode_clean"


def eligible(sample: Sample, _pool: Pool) -> str | None:
    meta = set(get_source(sample.source).meta_tools)
    if any(c.name in meta for a in sample.golden_answers for c in a.calls):
        return "the gold is a meta-tool (nothing to execute)"
    return None


def make(clean: Sample, _pool: Pool, _draw: Draw) -> Sample:
    return runtime_row(clean, CODE, None)


BUILDER = AxisBuilder(
    CODE,
    eligible,
    make,
    note="the clean samples whose gold calls are real tools, unchanged; the world answers every call "
    "and never faults.",
)
