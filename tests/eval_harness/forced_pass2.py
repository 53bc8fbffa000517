"""Forcing pass 2 through a real engine, and the file the protocol then scores.

Small real models (the tiny random one, SmolLM2) never make a tool call, so a transition config
would never reach pass 2. The engine tests force it (``made_call=lambda s, g: 1``) to run the
fault turn through the model's chat template; the scorer rightly refuses a fault injected after
no call (``robustbench_tc.scoring.protocol``). ``as_protocol_writes`` turns such records back into
what the harness writes when pass 1 made no call (pass 1 scored as is, ``transition_injected``
false), which is the file that gets scored.
"""

from __future__ import annotations

from pathlib import Path

from robustbench_tc.dataset import load_samples
from robustbench_tc.predictions import PredictionRecord
from robustbench_tc.scoring.protocol import record_violation


def as_protocol_writes(dataset: Path, configs: tuple[str, ...] | list[str], forced: Path, out: Path) -> Path:
    source = {s.key: s.source for rows in load_samples(dataset, configs).values() for s in rows}
    lines = forced.read_text(encoding="utf-8").splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        record = PredictionRecord.model_validate_json(line)
        if record.transition_injected and record_violation(record, source[record.key]):
            meta = dict(record.meta.get("first_pass") or {})
            record = record.model_copy(
                update={"raw_output": record.first_pass_output, "transition_injected": False, "meta": meta}
            )
        kept.append(record.model_dump_json())
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return out
