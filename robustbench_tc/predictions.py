"""The predictions file: what the harness writes, the scorer reads and the Space accepts.

A predictions file is JSONL: an optional first line ``{"header": {...}}`` (a ``RunHeader``),
then one ``PredictionRecord`` per (sample id, perturbation). A JSON document is accepted too:
either a list of records or ``{"header": {...}, "predictions": [...]}``. The JSON Schema of the
document form (records are the same in JSONL) is published as ``docs/predictions.schema.json``.

The scorer always re-parses ``raw_output``; ``tool_calls`` (whatever a client parsed) is kept
for reference and ignored.

``read_predictions(path)`` reads a file; ``parse_predictions(content)`` takes its text or bytes.
Both validate everything a hostile upload could get wrong (encoding, binary content,
NaN/Infinity, huge integers, duplicate keys, deep nesting, size of the file, of one record and
of the header, wrong types, unknown configs or ids, duplicate records, inconsistent transition
fields) and raise ONE ``PredictionsError`` that lists the first problems with their line
numbers. Reading streams: each record is decoded and checked in turn and reading stops at the
first ``MAX_PROBLEMS`` problems, so refusing a junk file costs little more than its first lines.

>>> r = PredictionRecord(id="apibank__level1_213", perturbation="transient_timeout",
...                      raw_output="<tool_call>...</tool_call>", first_pass_output="...",
...                      transition_injected=True)
>>> r.key
('apibank__level1_213', 'transient_timeout')
>>> text = '{"header": {"model": "m", "engine": "oracle"}}\\n' + r.model_dump_json()
>>> f = parse_predictions(text)
>>> f.header.model, len(f.records), f.records[0] == r
('m', 1, True)
>>> parse_predictions('{"id": "a", "perturbation": "clean", "raw_output": NaN}')
Traceback (most recent call last):
...
robustbench_tc.predictions.PredictionsError: predictions file rejected (1 problem):
  line 1: NaN/Infinity are not valid JSON numbers
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.registry import unknown_name_message
from robustbench_tc.taxonomy import (
    CONFIG_NAMES,
    RUNTIME_CONFIG_NAMES,
    config_names,
    is_config,
    is_runtime,
    is_transition,
)


def _is_none(value: object) -> bool:
    """Fields added for runtime configs are left out of a dump when unset, so files without
    runtime records are written byte for byte as before."""
    return value is None


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
    step_limit: int | None = Field(
        default=None,
        exclude_if=_is_none,
        ge=1,
        le=64,
        description="Runtime configs: model turns per episode (None: the default, 4).",
    )
    world_version: int | None = Field(
        default=None,
        exclude_if=_is_none,
        description="Runtime configs: the tool world's version the trajectories were played in.",
    )
    extra: dict[str, Any] = Field(default_factory=dict)


class TrajectoryStep(BaseModel):
    """One model turn of a runtime episode and the tool messages the world sent back for the calls
    the project's one rule reads in it (one per call, meta-tools such as ``finish`` excluded)."""

    model_config = ConfigDict(extra="forbid")

    output: str = Field(description="The model's raw text for this turn.")
    observations: list[str] = Field(
        default_factory=list, description="The world's tool messages for this turn's calls, in order."
    )


class PredictionRecord(BaseModel):
    """One model output for one (sample id, perturbation)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The sample id, identical across perturbations (e.g. apibank__level1_213).")
    perturbation: str = Field(
        description="'clean' or a perturbation code name (the dataset config).",
        json_schema_extra={"enum": [*CONFIG_NAMES, *RUNTIME_CONFIG_NAMES]},
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
    trajectory: list[TrajectoryStep] | None = Field(
        default=None,
        exclude_if=_is_none,
        description="Runtime configs: every turn of the episode with the tool messages it got back; the "
        "server replays it in the tool world and refuses a file whose tool messages differ.",
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
"""Problems listed in one ``PredictionsError``; reading stops at the first ``MAX_PROBLEMS``."""
MAX_RECORD_CHARS = 1 << 20
"""Longest JSON text of one record (a JSONL line or one element of a document), checked before decoding."""
MAX_HEADER_CHARS = 16_384
"""Longest JSON text of the header (its ``extra`` and ``sampling`` included)."""
MAX_VALUES = 2_000
"""Most JSON values (objects, arrays, strings, numbers, ...) in one record or in the header; real
records hold a few dozen, so ``meta`` / ``tool_calls`` / ``extra`` cannot smuggle big structures."""
MAX_INT_DIGITS = 30
"""Longest integer literal accepted (token counts and latencies need far fewer digits)."""

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
        return [c for c in config_names() if c in present]

    def content_digest(self) -> str:
        """sha256 of what the scorer reads: every record's ``(id, perturbation, raw_output,
        first_pass_output, transition_injected)`` in key order. Formatting, record order, the
        header, ``meta``, ``tool_calls`` and ``error`` do not change it.

        >>> a = parse_predictions('{"id": "s", "perturbation": "clean", "raw_output": "x"}')
        >>> b = parse_predictions('[{"raw_output": "x", "perturbation": "clean", "id": "s", "meta": {"t": 1}}]\\n')
        >>> a.content_digest() == b.content_digest()
        True
        """
        digest = hashlib.sha256()
        for record in sorted(self.records, key=lambda r: r.key):
            canonical: list[Any] = [record.id, record.perturbation, record.raw_output, record.first_pass_output,
                                    record.transition_injected]  # fmt: skip
            if record.trajectory is not None:  # absent from older records: their digests stay the same
                canonical.append([[step.output, step.observations] for step in record.trajectory])
            digest.update(json.dumps(canonical, ensure_ascii=False).encode("utf-8", "surrogatepass"))
            digest.update(b"\n")
        return digest.hexdigest()


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


class _TooLong(ValueError):
    """A JSON value runs past the characters allowed for it."""


def _no_constants(name: str) -> Any:
    raise _Reject("NaN/Infinity are not valid JSON numbers")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Reject(f"number {text[:20]}{'...' if len(text) > 20 else ''} is out of range")
    return value


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Reject(f"integer with {digits:,} digits is too long (at most {MAX_INT_DIGITS} digits)")
    return int(text)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Reject(f"duplicate key {key[:60]!r} in one JSON object")
        out[key] = value
    return out


_DECODER = json.JSONDecoder(
    parse_constant=_no_constants,
    parse_float=_finite_float,
    parse_int=_bounded_int,
    object_pairs_hook=_unique_pairs,
)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _loads(text: str) -> Any:
    """``json.loads`` that rejects NaN/Infinity, out-of-range numbers, huge integers and duplicate keys."""
    value, end = _DECODER.raw_decode(text, _skip(text, 0))
    if _skip(text, end) != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, pos: int) -> int:
    """The position of the first non-whitespace character at or after ``pos``."""
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _decode_at(text: str, pos: int, limit: int) -> tuple[Any, int]:
    """Decode the JSON value starting at ``pos`` without looking further than ``limit`` characters
    (raises ``_TooLong``); returns the value and the position after it. Windows grow 4x from
    4 KiB, so a value of n characters costs O(n) however long the rest of the text is."""
    window = 4096
    while True:
        cut = min(len(text), pos + window)
        chunk = text[pos:cut]
        try:
            value, end = _DECODER.raw_decode(chunk)
        except json.JSONDecodeError as exc:
            cut_short = exc.pos >= len(chunk) - 1 or exc.msg.startswith("Unterminated string")
            if cut == len(text) or not cut_short:  # a real error, not the window's end
                raise json.JSONDecodeError(exc.msg, text, pos + exc.pos) from None
        else:
            if end < len(chunk) or cut == len(text):  # a number ending at the cut may go on
                return value, pos + end
        if window >= limit:
            raise _TooLong
        window = min(window * 4, limit)


def _shape_problem(value: Any, what: str) -> str | None:
    """Too deep or too many values, checked without recursion."""
    stack = [(value, 1)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            return f"{what} holds more than {MAX_VALUES:,} JSON values"
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
        stack.extend((c, depth + 1) for c in children)
    return None


def _small_shape(text: str) -> bool:
    """Whether the JSON text of a value is certainly within the depth and value-count limits, by
    counting its brackets, colons and commas (strings included, so an upper bound): this spares the
    walk of ``_shape_problem`` for ordinary records.

    >>> _small_shape('{"id": "a", "raw_output": "[f(x=1)]", "meta": {}}'), _small_shape("[" * 40)
    (True, False)
    """
    opened = text.count("[") + text.count("{")
    return opened <= MAX_JSON_DEPTH and 1 + opened + text.count(":") + text.count(",") <= MAX_VALUES


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


def _decode(data: bytes | str) -> str:
    """UTF-8 text without NUL characters, or a ``PredictionsError`` naming the line."""
    if isinstance(data, str):
        if not data.isascii():
            try:
                data.encode("utf-8")
            except UnicodeEncodeError as exc:
                line = data.count("\n", 0, exc.start) + 1
                raise PredictionsError(
                    [f"line {line}: text is not encodable as UTF-8 (lone surrogate)"]
                ) from None
        text = data
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            raise PredictionsError([f"line {line}: binary content (NUL byte); expected UTF-8 JSON text"])
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise PredictionsError(
                [
                    f"line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "save the file as UTF-8"
                ]
            ) from None
    text = text.removeprefix("\ufeff")
    nul_at = text.find("\x00")
    if nul_at >= 0:
        line = text.count("\n", 0, nul_at) + 1
        raise PredictionsError([f"line {line}: binary content (NUL character); expected UTF-8 JSON text"])
    return text


_DOCUMENT_SHAPE = 'a JSON document must be a list of records or {"header": {...}, "predictions": [...]}'


class _Reader:
    """Walks a predictions text once, validating each record as soon as it is decoded and
    stopping at the first ``MAX_PROBLEMS`` problems; nothing after that is decoded."""

    def __init__(self, text: str, known_keys: Collection[Key] | None) -> None:
        self.text = text
        self.known_keys = known_keys
        self.known_ids = {k[0] for k in known_keys} if known_keys is not None else set()
        self.problems: list[str] = []
        self.truncated = False
        self.header: RunHeader | None = None
        self.records: list[PredictionRecord] = []
        self.seen: dict[Key, str] = {}
        self.n_items = 0

    @property
    def full(self) -> bool:
        return self.truncated

    def problem(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        if len(self.problems) >= MAX_PROBLEMS:
            self.truncated = True

    # -- entry ---------------------------------------------------------------------------
    def read(self) -> PredictionsFile:
        text = self.text
        pos = _skip(text, 0)
        if pos == len(text):
            raise PredictionsError(["the file is empty"])
        if text[pos] == "[":
            end = self._array(pos)
            if end >= 0:
                self._end_of_document(end)
        elif text[pos] == "{" and self._is_document_object(pos):
            self._document_object(pos)
        else:
            self._jsonl()
        if self.problems:
            raise PredictionsError(self.problems, truncated=self.truncated)
        if not self.records:
            raise PredictionsError(["no prediction records"])
        return PredictionsFile(header=self.header, records=self.records)

    def _line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def _fatal(self, where: str, exc: Exception) -> None:
        if isinstance(exc, json.JSONDecodeError):
            self.problem(f"line {exc.lineno}: {_json_problem(exc)}")
        else:
            self.problem(f"{where}: {_json_problem(exc)}")

    # -- JSONL ---------------------------------------------------------------------------
    def _jsonl(self) -> None:
        text, pos, lineno = self.text, 0, 1
        n = len(text)
        while not self.full:
            start = _skip(text, pos)
            if start == n:
                return
            lineno += text.count("\n", pos, start)
            eol = text.find("\n", start)
            eol = n if eol < 0 else eol
            pos = eol
            where = f"line {lineno}"
            if eol - start > MAX_RECORD_CHARS:
                self.problem(f"{where}: {eol - start:,} characters; one record may have at most "
                             f"{MAX_RECORD_CHARS:,}")  # fmt: skip
                continue
            line = text[start:eol]
            try:
                obj = _loads(line)
            except (json.JSONDecodeError, _Reject, RecursionError, ValueError) as exc:
                self.problem(f"{where}: {_json_problem(exc)}")
                continue
            if isinstance(obj, dict) and set(obj) == {"header"}:
                if self.n_items or self.header is not None:
                    self.problem(f"{where}: a header is only allowed on the first line")
                elif eol - start > MAX_HEADER_CHARS:
                    self.problem(f"header: longer than {MAX_HEADER_CHARS:,} characters")
                else:
                    self._header(obj["header"])
                continue
            self._record(where, obj, line)

    # -- documents -----------------------------------------------------------------------
    def _is_document_object(self, pos: int) -> bool:
        """Whether the object at ``pos`` is ``{"predictions": ...}`` / ``{"header": ..., "predictions"...}``
        rather than the first JSONL line (read its first key, and the header if that is the key)."""
        text = self.text
        key, after = self._key(pos + 1)
        if key == "predictions":
            return True
        if key != "header" or after is None:
            return False
        try:
            _, end = _decode_at(text, after, MAX_HEADER_CHARS)
        except _TooLong:
            return True  # reported as an over-long header
        except (json.JSONDecodeError, _Reject, RecursionError, ValueError):
            return False
        return text.startswith(",", _skip(text, end))

    def _key(self, pos: int) -> tuple[str | None, int | None]:
        """The object key at ``pos`` (after whitespace) and where its value starts; (None, None) if none."""
        text = self.text
        pos = _skip(text, pos)
        if not text.startswith('"', pos):
            return None, None
        try:
            key, end = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]  # not in typeshed
        except json.JSONDecodeError:
            return None, None
        end = _skip(text, end)
        if not text.startswith(":", end):
            return None, None
        return key, _skip(text, end + 1)

    def _document_object(self, pos: int) -> None:
        text = self.text
        seen: set[str] = set()
        pos = _skip(text, pos + 1)
        while not self.full:
            key, value_at = self._key(pos)
            if key is None or value_at is None:
                self.problem(f"line {self._line_of(pos)}: not valid JSON: expected a quoted key")
                return
            if key in seen:
                self.problem(f"line {self._line_of(pos)}: duplicate key {key[:60]!r} in one JSON object")
                return
            seen.add(key)
            if key == "header":
                try:
                    header, pos = _decode_at(text, value_at, MAX_HEADER_CHARS)
                except _TooLong:
                    self.problem(f"header: longer than {MAX_HEADER_CHARS:,} characters")
                    return
                except (json.JSONDecodeError, _Reject, RecursionError, ValueError) as exc:
                    self._fatal("header", exc)
                    return
                self._header(header)
            elif key == "predictions":
                if not text.startswith("[", value_at):
                    self.problem(_DOCUMENT_SHAPE + "; 'predictions' is not a list")
                    return
                pos = self._array(value_at)
                if pos < 0:
                    return
            else:
                self.problem(_DOCUMENT_SHAPE + f"; unexpected keys {[key[:60]]}")
                return
            pos = _skip(text, pos)
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
                continue
            if text.startswith("}", pos):
                if "predictions" not in seen:
                    self.problem(_DOCUMENT_SHAPE + "; 'predictions' is missing")
                    return
                self._end_of_document(pos + 1)
                return
            self._fatal("document", json.JSONDecodeError("Expecting ',' delimiter", text, pos))
            return

    def _array(self, pos: int) -> int:
        """Stream the records of the array at ``pos``; the position after it, or -1 when reading stopped."""
        text = self.text
        pos = _skip(text, pos + 1)
        if text.startswith("]", pos):
            return pos + 1
        index = 0
        while not self.full:
            index += 1
            where = f"record {index}"
            try:
                obj, pos = _decode_at(text, pos, MAX_RECORD_CHARS)
            except _TooLong:
                self.problem(f"{where} (line {self._line_of(pos)}): longer than "
                             f"{MAX_RECORD_CHARS:,} characters")  # fmt: skip
                return -1
            except (json.JSONDecodeError, _Reject, RecursionError, ValueError) as exc:
                self._fatal(f"{where} (line {self._line_of(pos)})", exc)
                return -1
            self._record(where, obj)
            pos = _skip(text, pos)
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
                continue
            if text.startswith("]", pos):
                return pos + 1
            self._fatal("document", json.JSONDecodeError("Expecting ',' delimiter", text, pos))
            return -1
        return -1

    def _end_of_document(self, pos: int) -> None:
        if self.full:
            return
        rest = _skip(self.text, pos)
        if rest != len(self.text):
            self.problem(f"line {self._line_of(rest)}: extra data after the JSON document (JSONL has one "
                         "record object per line; a document is one list or object)")  # fmt: skip

    # -- values --------------------------------------------------------------------------
    def _header(self, obj: Any) -> None:
        shape = _shape_problem(obj, "the header")
        if shape is not None:
            self.problem(f"header: {shape}")
            return
        try:
            self.header = RunHeader.model_validate(obj, strict=True)
        except ValidationError as exc:
            self.problem("header: " + "; ".join(_pydantic_problems(exc)))

    def _record(self, where: str, obj: Any, source: str | None = None) -> None:
        self.n_items += 1
        if not isinstance(obj, dict):
            self.problem(f"{where}: expected a JSON object (one prediction record), got {type(obj).__name__}")
            return
        shape = None if source is not None and _small_shape(source) else _shape_problem(obj, "the record")
        if shape is not None:
            self.problem(f"{where}: {shape}")
            return
        try:
            record = PredictionRecord.model_validate(obj, strict=True)
        except ValidationError as exc:
            rid = obj.get("id")
            label = f" (id {str(rid)[:80]!r})" if isinstance(rid, str) else ""
            for msg in _pydantic_problems(exc):
                self.problem(f"{where}{label}: {msg}")
            return
        bad = list(_record_problems(record, self.known_keys, self.known_ids))
        for msg in bad:
            self.problem(f"{where}: {msg}")
        if record.key in self.seen:
            self.problem(
                f"{where}: duplicate record for {record.key}, first given at {self.seen[record.key]}"
            )
            return
        if bad:
            return
        self.seen[record.key] = where
        self.records.append(record)


def parse_predictions(
    content: str | bytes,
    *,
    max_bytes: int | None = None,
    known_keys: Collection[Key] | None = None,
) -> PredictionsFile:
    """Validate predictions given as their content (the text, or the raw bytes of an upload).

    Reading streams over the text: each record is decoded and validated in turn, and reading
    stops at the first ``MAX_PROBLEMS`` problems, so a hostile file costs little more than its
    first bad records. ``max_bytes`` rejects bigger inputs before anything is decoded. With
    ``known_keys`` (the dataset's ``(id, perturbation)`` pairs), records of unknown samples are
    rejected too.
    """
    if not isinstance(content, (str, bytes)):
        raise TypeError(f"parse_predictions takes the content (str or bytes), not {type(content).__name__}; "
                        "use read_predictions(path) for a file")  # fmt: skip
    if max_bytes is not None:
        size = len(content) if isinstance(content, bytes) else _utf8_size(content, max_bytes)
        if size > max_bytes:
            raise PredictionsError([f"content is {size:,} bytes; the limit is {max_bytes:,}"])
    return _Reader(_decode(content), known_keys).read()


def _utf8_size(text: str, cap: int) -> int:
    """UTF-8 size of ``text`` (at most 4 bytes per character; only counted when that could exceed ``cap``)."""
    if len(text) * 4 <= cap or text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def read_predictions(
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    known_keys: Collection[Key] | None = None,
) -> PredictionsFile:
    """Read and validate the predictions file at ``path`` (see ``parse_predictions``); a file
    bigger than ``max_bytes`` is refused from its size, before it is read."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_predictions takes a path, not {type(path).__name__}; "
                        "use parse_predictions(content) for content")  # fmt: skip
    file = Path(path)
    if not file.is_file():
        raise PredictionsError([f"{file}: no such file"])
    size = file.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise PredictionsError([f"{file}: file is {size:,} bytes; the limit is {max_bytes:,}"])
    with file.open("rb") as fh:
        data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    return parse_predictions(data, max_bytes=max_bytes, known_keys=known_keys)


def _record_problems(
    record: PredictionRecord, known_keys: Collection[Key] | None, known_ids: set[str]
) -> Iterable[str]:
    if not is_config(record.perturbation):
        yield unknown_name_message("perturbation", record.perturbation, config_names())
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
    if is_runtime(record.perturbation):
        if not record.trajectory:
            yield f"runtime record {record.key} needs its 'trajectory' (every turn of the episode)"
        elif record.trajectory and record.raw_output != record.trajectory[-1].output:
            yield f"runtime record {record.key}: raw_output must be the trajectory's last output"
    elif record.trajectory is not None:
        yield f"record {record.key}: only runtime records carry a 'trajectory' (leave it null)"
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
