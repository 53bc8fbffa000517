"""Predictions in the paper's release layout, converted to this project's predictions file.

The paper's released ``*.predictions.jsonl`` records name their configuration in a nested
``perturbation.type`` key (Table 4's code names; ``clean`` for the baseline) and keep the model's
text in ``raw_output``.  ``convert_release`` maps each record onto a ``PredictionRecord``:

* ``id`` (or ``sample_id``), ``raw_output`` (or ``output`` / ``response``), ``tool_calls`` and
  ``error`` are kept;
* ``perturbation``: ``perturbation.type`` (an object), or a string; display names (Table 4's
  left column, e.g. ``MisDesc-Abbr``) are mapped to code names (``CD_AB``);
* transition records keep ``first_pass_output`` (or ``pass1_output``) and ``transition_injected``
  (or ``injected``).  A release record without its pass 1 cannot be checked against the
  protocol: if its ``raw_output`` makes no call it is pass 1 scored as is
  (``transition_injected=false``, the paper's convention); if it makes one, the record is refused,
  unless ``trust_transitions`` is set, which records the output as its own pass 1 and marks
  ``meta.first_pass_assumed`` (the check then proves nothing for that record);
* every other field goes to ``meta.release``.

    robustbench-tc convert-release RELEASE.predictions.jsonl --out preds.jsonl [--trust-transitions]

>>> record = {"id": "s1", "perturbation": {"type": "MisDesc-Abbr", "seed": 3}, "raw_output": "[f(a=1)]",
...           "score": 0}
>>> converted = convert_record(record, source_of={})
>>> converted.perturbation, converted.meta["release"]
('CD_AB', {'score': 0, 'perturbation': {'type': 'MisDesc-Abbr', 'seed': 3}})
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.parsing import made_call
from robustbench_tc.predictions import PredictionRecord, write_predictions
from robustbench_tc.taxonomy import CLEAN, get_type, is_transition

_ID_KEYS = ("id", "sample_id")
_RAW_KEYS = ("raw_output", "output", "response")
_FIRST_PASS_KEYS = ("first_pass_output", "pass1_output")
_INJECTED_KEYS = ("transition_injected", "injected")
MAX_LISTED = 10


class ReleaseFormatError(RobustBenchError):
    """A release-layout file that cannot be converted (the message names the records)."""


def _first(record: Mapping[str, Any], keys: Iterable[str]) -> tuple[str | None, Any]:
    for key in keys:
        if key in record:
            return key, record[key]
    return None, None


def config_of(value: Any) -> str:
    """The config a release record names: ``perturbation.type`` or a string, display names mapped.

    >>> config_of({"type": "TimeDesc"}), config_of("clean"), config_of(None), config_of("transient_timeout")
    ('TD', 'clean', 'clean', 'transient_timeout')
    """
    name = value.get("type") if isinstance(value, Mapping) else value
    if name is None or (isinstance(name, str) and name.strip().lower() in ("", "clean", "none")):
        return CLEAN
    if not isinstance(name, str):
        raise KeyError(f"perturbation type must be a string, got {name!r}")
    return get_type(name.strip()).code_name


def convert_record(
    record: Mapping[str, Any],
    *,
    source_of: Mapping[str, str] | Callable[[str], str | None],
    trust_transitions: bool = False,
) -> PredictionRecord:
    """One release record as a ``PredictionRecord``; raises ``ValueError`` saying why not.
    ``source_of`` maps a sample id to its source (the dispatch order used to read pass 1)."""
    if not isinstance(record, Mapping):
        raise ValueError("not a JSON object")
    id_key, sample_id = _first(record, _ID_KEYS)
    raw_key, raw = _first(record, _RAW_KEYS)
    if not isinstance(sample_id, str):
        raise ValueError("no string 'id'")
    if not isinstance(raw, str):
        raise ValueError("no string 'raw_output'")
    try:
        config = config_of(record.get("perturbation"))
    except KeyError as exc:
        raise ValueError(str(exc).strip("'\"")) from None
    used = {id_key, raw_key, "perturbation", "tool_calls", "error"}
    fields: dict[str, Any] = {"id": sample_id, "perturbation": config, "raw_output": raw}
    if isinstance(record.get("error"), str):
        fields["error"] = record["error"]
    meta: dict[str, Any] = {}
    if config != CLEAN and is_transition(config):
        first_key, first = _first(record, _FIRST_PASS_KEYS)
        injected_key, injected = _first(record, _INJECTED_KEYS)
        used |= {first_key, injected_key}
        if isinstance(injected, bool):
            fields["transition_injected"] = injected
            fields["first_pass_output"] = first if isinstance(first, str) else None
        else:
            lookup = source_of if callable(source_of) else source_of.get
            source = lookup(sample_id)
            if isinstance(first, str):
                fields["first_pass_output"] = first
                fields["transition_injected"] = made_call(first, source)
            elif not made_call(raw, source):
                fields["transition_injected"] = False
            elif trust_transitions:
                fields["first_pass_output"], fields["transition_injected"] = raw, True
                meta["first_pass_assumed"] = True
            else:
                raise ValueError(
                    "a transition record that makes a call but carries no pass 1 (first_pass_output): the "
                    "protocol cannot be checked; pass --trust-transitions to take its output as its own pass 1"
                )
    release = {k: v for k, v in record.items() if k not in used}
    if isinstance(record.get("perturbation"), Mapping):
        release["perturbation"] = record["perturbation"]
    if release:
        meta["release"] = release
    if meta:
        fields["meta"] = meta
    return PredictionRecord(**fields)


def convert_release(
    path: str | Path,
    out: str | Path,
    *,
    source_of: Mapping[str, str] | Callable[[str], str | None],
    trust_transitions: bool = False,
) -> Path:
    """Convert a release-layout JSONL file; refuse it (naming the first records) if any record fails."""
    records, problems = [], []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                records.append(
                    convert_record(record, source_of=source_of, trust_transitions=trust_transitions)
                )
            except (ValueError, TypeError) as exc:
                problems.append(f"line {number}: {str(exc).splitlines()[0]}")
    if problems:
        shown = "; ".join(problems[:MAX_LISTED])
        more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise ReleaseFormatError(f"{path}: {len(problems)} record(s) cannot be converted: {shown}{more}")
    if not records:
        raise ReleaseFormatError(f"{path}: no records")
    return write_predictions(out, records)
