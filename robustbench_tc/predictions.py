"""The predictions file: what the harness writes, the scorer reads and the Space accepts.

A predictions file is JSONL: an optional first line ``{"header": {...}}`` (a ``RunHeader``),
then one ``PredictionRecord`` per (sample id, perturbation). A JSON document is accepted too:
either a list of records or ``{"header": {...}, "predictions": [...]}``. The JSON Schema of the
document form (records are the same in JSONL) is published as ``docs/predictions.schema.json``.

The scorer always re-parses ``raw_output``; ``tool_calls`` (whatever a client parsed) is kept
for reference and ignored.

``read_predictions`` validates everything a hostile upload could get wrong (encoding, binary
content, NaN/Infinity, duplicate keys, deep nesting, size, wrong types, unknown configs or ids,
duplicate records, inconsistent transition fields) and raises ONE ``PredictionsError`` that lists
the first problems with their line numbers.

>>> r = PredictionRecord(id="apibank__level1_213", perturbation="transient_timeout",
...                      raw_output="<tool_call>...</tool_call>", first_pass_output="...",
...                      transition_injected=True)
>>> r.key
('apibank__level1_213', 'transient_timeout')
>>> text = '{"header": {"model": "m", "engine": "oracle"}}\\n' + r.model_dump_json()
>>> f = read_predictions(text)
>>> f.header.model, len(f.records), f.records[0] == r
('m', 1, True)
>>> read_predictions('{"id": "a", "perturbation": "clean", "raw_output": NaN}')
Traceback (most recent call last):
...
robustbench_tc.predictions.PredictionsError: predictions file rejected (1 problem):
  line 1: NaN/Infinity are not valid JSON numbers
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.registry import unknown_name_message
from robustbench_tc.taxonomy import CONFIG_NAMES, is_transition


class RunHeader(BaseModel):
    """Where a predictions file came from. Free-form extras are allowed under ``extra``."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="Manifest name, HF id or local path of the model.")
    model_revision: str | None = None
    engine: str = Field(description="vllm, openai, transformers, oracle, ...")
    engine_version: str | None = None
    mode: str | None = Field(default=None, description="prompt or fc (function calling).")
    sampling: dict[str, Any] = Field(default_factory=dict)
    dataset_fingerprint: str | None = None
    project_version: str | None = None
    created_at: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class PredictionRecord(BaseModel):
    """One model output for one (sample id, perturbation)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The sample id, identical across perturbations (e.g. apibank__level1_213).")
    perturbation: str = Field(
        description="'clean' or a perturbation code name (the dataset config).",
        json_schema_extra={"enum": list(CONFIG_NAMES)},
    )
    raw_output: str = Field(
        description="The model's raw output; the scorer re-parses it (pass 2 for transition records)."
    )
    first_pass_output: str | None = Field(
        default=None, description="Transition configs: the output of pass 1 (on the clean sample)."
    )
    transition_injected: bool | None = Field(
        default=None,
        description="Transition configs: whether pass 1 made a call, so the fault was injected.",
    )
    tool_calls: Any = Field(default=None, description="Client-parsed calls; ignored by the scorer.")
    error: str | None = Field(default=None, description="Client-side failure, if any (e.g. timeout).")
    meta: dict[str, Any] = Field(default_factory=dict, description="Free-form (latency, token counts).")

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.perturbation)


# --------------------------------------------------------------------------- file reading
MAX_JSON_DEPTH = 32
"""Deepest nesting of objects/arrays accepted in one record (real records need about 6)."""
MAX_PROBLEMS = 20
"""Problems listed in one ``PredictionsError`` before reading stops."""

Key = tuple[str, str]


class PredictionsDocument(BaseModel):
    """The JSON-document form of a predictions file (JSONL holds the same header and records)."""

    model_config = ConfigDict(extra="forbid", title="RobustBench-TC predictions")

    header: RunHeader | None = None
    predictions: list[PredictionRecord]


class PredictionsFile(BaseModel):
    """A validated predictions file."""

    header: RunHeader | None = None
    records: list[PredictionRecord]

    def by_key(self) -> dict[Key, PredictionRecord]:
        return {r.key: r for r in self.records}

    @property
    def configs(self) -> list[str]:
        """The configs the file has records for, in taxonomy order."""
        present = {r.perturbation for r in self.records}
        return [c for c in CONFIG_NAMES if c in present]


class PredictionsError(RobustBenchError, ValueError):
    """The predictions file is unusable; ``problems`` lists the first problems found."""

    def __init__(self, problems: list[str], truncated: bool = False) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        if truncated:
            count = f"first {len(problems)} problems shown; reading stopped there"
        super().__init__(
            "predictions file rejected (" + count + "):\n" + "\n".join(f"  {p}" for p in problems)
        )


class _Reject(ValueError):
    """One problem inside a JSON value (raised from the json hooks)."""


def _no_constants(name: str) -> Any:
    raise _Reject("NaN/Infinity are not valid JSON numbers")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Reject(f"number {text[:20]}{'...' if len(text) > 20 else ''} is out of range")
    return value


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Reject(f"duplicate key {key[:60]!r} in one JSON object")
        out[key] = value
    return out


def _loads(text: str) -> Any:
    """``json.loads`` that rejects NaN/Infinity, out-of-range numbers and duplicate object keys."""
    return json.loads(
        text, parse_constant=_no_constants, parse_float=_finite_float, object_pairs_hook=_unique_pairs
    )


def _depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, _Reject):
        return str(exc)
    if isinstance(exc, RecursionError):
        return f"JSON nested too deeply (more than {MAX_JSON_DEPTH} levels)"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} (column {exc.colno})"
    return f"not valid JSON: {str(exc)[:120]}"


def _pydantic_problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        out.append(f"field {loc!r}: {err['msg']}")
    return out


def _read_bytes(source: str | os.PathLike[str] | bytes, max_bytes: int | None) -> tuple[bytes | str, str]:
    """(content, where) from a path, raw bytes or a string holding the content."""
    if isinstance(source, bytes):
        data: bytes | str = source
        where = "uploaded content"
    elif isinstance(source, str) and (
        "\n" in source or source.lstrip()[:1] in ("{", "[") or not source.strip()
    ):
        data, where = source, "content"
    else:
        path = Path(source)
        if not path.is_file():
            raise PredictionsError([f"{path}: no such file"])
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise PredictionsError([f"{path}: file is {size:,} bytes; the limit is {max_bytes:,}"])
        data, where = path.read_bytes(), str(path)
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if max_bytes is not None and size > max_bytes:
        raise PredictionsError([f"{where}: {size:,} bytes; the limit is {max_bytes:,}"])
    return data, where


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as exc:
            line = data[: exc.start].count("\n") + 1
            raise PredictionsError(
                [f"line {line}: text is not encodable as UTF-8 (lone surrogate)"]
            ) from None
        text = data
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data[:nul].count(b"\n") + 1
            raise PredictionsError([f"line {line}: binary content (NUL byte); expected UTF-8 JSON text"])
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise PredictionsError(
                [
                    f"line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "save the file as UTF-8"
                ]
            ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise PredictionsError([f"line {line}: binary content (NUL character); expected UTF-8 JSON text"])
    return text


def _document(whole: Any) -> tuple[Any, list[tuple[str, Any]]]:
    if isinstance(whole, list):
        return None, [(f"record {i + 1}", obj) for i, obj in enumerate(whole)]
    extra = set(whole) - {"header", "predictions"} if isinstance(whole, dict) else set()
    if not isinstance(whole, dict) or extra or not isinstance(whole.get("predictions"), list):
        hint = f"; unexpected keys {sorted(extra)[:5]}" if extra else ""
        raise PredictionsError(
            ['a JSON document must be a list of records or {"header": {...}, "predictions": [...]}' + hint]
        )
    return whole.get("header"), [(f"record {i + 1}", obj) for i, obj in enumerate(whole["predictions"])]


def _complete_json(line: str) -> bool:
    """Whether a line is one whole JSON value syntactically (JSONL) rather than part of a document."""
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    except (ValueError, RecursionError):
        return True
    return True


def _items(text: str) -> tuple[Any, list[tuple[str, Any]]]:
    """(header object or None, [(location, record object)]) from JSONL or a JSON document."""
    stripped = text.lstrip()
    if not stripped:
        raise PredictionsError(["the file is empty"])
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if stripped[0] in "[{" and not _complete_json(lines[0]):
        offset = text[: len(text) - len(stripped)].count("\n")
        try:
            return _document(_loads(text))
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise PredictionsError([f"line {exc.lineno}: {_json_problem(exc)}"]) from None
            # several JSON values: JSONL whose first line is broken; read it line by line
        except (_Reject, RecursionError, ValueError) as exc:
            raise PredictionsError(
                [f"document starting on line {offset + 1}: {_json_problem(exc)}"]
            ) from None
    elif len(lines) == 1 and stripped[0] in "[{":
        try:
            whole = _loads(lines[0])
        except (json.JSONDecodeError, _Reject, RecursionError, ValueError):
            whole = None  # reported below, with its line number
        if isinstance(whole, list) or (isinstance(whole, dict) and "predictions" in whole):
            return _document(whole)
    # JSONL
    header: Any = None
    items: list[tuple[str, Any]] = []
    problems: list[str] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = _loads(line)
        except (json.JSONDecodeError, _Reject, RecursionError, ValueError) as exc:
            problems.append(f"line {lineno}: {_json_problem(exc)}")
            if len(problems) >= MAX_PROBLEMS:
                raise PredictionsError(problems, truncated=True) from None
            continue
        if isinstance(obj, dict) and set(obj) == {"header"}:
            if items or header is not None:
                problems.append(f"line {lineno}: a header is only allowed on the first line")
                continue
            header = obj["header"]
            continue
        items.append((f"line {lineno}", obj))
    if problems:
        raise PredictionsError(problems)
    return header, items


def read_predictions(
    source: str | os.PathLike[str] | bytes,
    *,
    max_bytes: int | None = None,
    known_keys: Collection[Key] | None = None,
) -> PredictionsFile:
    """Read and validate a predictions file.

    ``source`` is a path, the raw bytes of an upload, or a string holding the content (a string
    with a newline or starting with ``{``/``[`` is content; otherwise it is a path).  ``max_bytes``
    rejects bigger inputs before parsing.  With ``known_keys`` (the dataset's ``(id, perturbation)``
    pairs), records of unknown samples are rejected too.
    """
    data, _ = _read_bytes(source, max_bytes)
    text = _decode(data)
    header_obj, items = _items(text)
    problems: list[str] = []
    truncated = False

    def problem(msg: str) -> None:
        nonlocal truncated
        if len(problems) < MAX_PROBLEMS:
            problems.append(msg)
        else:
            truncated = True

    header: RunHeader | None = None
    if header_obj is not None:
        if _depth_exceeds(header_obj):
            problem(f"header: JSON nested deeper than {MAX_JSON_DEPTH} levels")
        else:
            try:
                header = RunHeader.model_validate(header_obj, strict=True)
            except ValidationError as exc:
                problem("header: " + "; ".join(_pydantic_problems(exc)))
    records: list[PredictionRecord] = []
    seen: dict[Key, str] = {}
    known_ids = {k[0] for k in known_keys} if known_keys is not None else set()
    for where, obj in items:
        if truncated:
            break
        if not isinstance(obj, dict):
            problem(f"{where}: expected a JSON object (one prediction record), got {type(obj).__name__}")
            continue
        if _depth_exceeds(obj):
            problem(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
            continue
        try:
            record = PredictionRecord.model_validate(obj, strict=True)
        except ValidationError as exc:
            rid = obj.get("id")
            label = f" (id {str(rid)[:80]!r})" if isinstance(rid, str) else ""
            for msg in _pydantic_problems(exc):
                problem(f"{where}{label}: {msg}")
            continue
        for msg in _record_problems(record, known_keys, known_ids):
            problem(f"{where}: {msg}")
        if record.key in seen:
            problem(f"{where}: duplicate record for {record.key}, first given at {seen[record.key]}")
            continue
        seen[record.key] = where
        records.append(record)
    if problems:
        raise PredictionsError(problems, truncated=truncated)
    if not records:
        raise PredictionsError(["no prediction records"])
    return PredictionsFile(header=header, records=records)


def _record_problems(
    record: PredictionRecord, known_keys: Collection[Key] | None, known_ids: set[str]
) -> Iterable[str]:
    if record.perturbation not in CONFIG_NAMES:
        yield unknown_name_message("perturbation", record.perturbation, CONFIG_NAMES)
        return
    if is_transition(record.perturbation):
        if record.transition_injected is None:
            yield f"transition record {record.key} needs 'transition_injected' (true or false)"
        elif record.transition_injected and record.first_pass_output is None:
            yield f"transition record {record.key} has transition_injected=true but no 'first_pass_output'"
    elif record.transition_injected is not None or record.first_pass_output is not None:
        yield (
            f"record {record.key}: only transition records carry 'first_pass_output' / "
            "'transition_injected' (leave them null)"
        )
    if known_keys is not None and record.key not in known_keys:
        if record.id in known_ids:
            yield f"sample {record.id!r} has no {record.perturbation!r} row in the dataset"
        else:
            yield f"unknown sample id {record.id[:120]!r} (not in the dataset)"


def predictions_json_schema() -> dict[str, Any]:
    """The JSON Schema of the document form, generated from the pydantic models."""
    schema = PredictionsDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = (
        'A RobustBench-TC predictions file. JSONL form: an optional first line {"header": RunHeader}, '
        "then one PredictionRecord per line. JSON form: this object, or a bare list of PredictionRecord. "
        "perturbation is 'clean' or a perturbation code name; transition records carry "
        "first_pass_output and transition_injected, other records leave them null."
    )
    return schema


def render_json_schema() -> str:
    return json.dumps(predictions_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_json_schema(path: str | os.PathLike[str]) -> Path:
    """Write ``docs/predictions.schema.json`` (a test checks it is up to date)."""
    out = Path(path)
    out.write_text(render_json_schema(), encoding="utf-8")
    return out


def write_predictions(
    path: str | os.PathLike[str], records: Iterable[PredictionRecord], header: RunHeader | None = None
) -> Path:
    """Write a JSONL predictions file (header line first when given)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        if header is not None:
            fh.write(json.dumps({"header": header.model_dump(mode="json")}, ensure_ascii=False) + "\n")
        for record in records:
            fh.write(json.dumps(record.model_dump(mode="json"), ensure_ascii=False) + "\n")
    return out


if __name__ == "__main__":  # python -m robustbench_tc.predictions docs/predictions.schema.json
    import sys

    print(write_json_schema(sys.argv[1] if len(sys.argv) > 1 else "docs/predictions.schema.json"))
