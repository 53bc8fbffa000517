"""The resumable predictions file.

While a run goes, the file is append-only JSONL: the header line, then records, each flushed
batch written with one ``write`` and ``fsync``ed. Reopening it (a restarted run) repairs a
truncated last line, checks that the header describes the same run, and returns the records
already there. At the end the file is rewritten canonically (header + records in dataset order)
through a temporary file and ``os.replace``, so an interrupted-and-resumed run ends with the same
bytes as an uninterrupted one, except the header's ``created_at``.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "p.jsonl"
>>> store = PredictionStore(path, RunHeader(model="m", engine="fake"))
>>> store.open()
{}
>>> store.append([PredictionRecord(id="a", perturbation="clean", raw_output="x")])
>>> sorted(PredictionStore(path, RunHeader(model="m", engine="fake")).open())
[('a', 'clean')]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.predictions import PredictionRecord, RunHeader

Key = tuple[str, str]

#: Header fields that may differ between the run that started a file and the one resuming it.
UNCOMPARED_HEADER_FIELDS = frozenset({"created_at", "project_version"})
#: Header fields a file may have left unknown (``None``) that a resuming run then knows: a Hub
#: model's revision is only in the local cache once the engine has downloaded it.
FILLABLE_HEADER_FIELDS = frozenset({"model_revision", "engine_version"})


class ResumeError(RobustBenchError, ValueError):
    """The existing file cannot be continued; the message says why and what to do."""


def dump_line(obj: dict[str, Any]) -> str:
    """One JSONL line, deterministic (field order as defined, compact separators)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def record_line(record: PredictionRecord) -> str:
    return dump_line(record.model_dump(mode="json"))


def header_line(header: RunHeader) -> str:
    return dump_line({"header": header.model_dump(mode="json")})


def header_differences(old: RunHeader, new: RunHeader) -> list[str]:
    """Human-readable differences between two headers, ignoring the uncompared fields and
    fillable fields the file left unknown.

    >>> header_differences(RunHeader(model="a", engine="vllm"), RunHeader(model="b", engine="vllm"))
    ["model: 'a' (file) != 'b' (this run)"]
    >>> header_differences(RunHeader(model="a", engine="vllm"),
    ...                    RunHeader(model="a", engine="vllm", model_revision="abc"))
    []
    """
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    return [
        f"{k}: {a[k]!r} (file) != {b[k]!r} (this run)"
        for k in a
        if k not in UNCOMPARED_HEADER_FIELDS
        and a[k] != b[k]
        and not (k in FILLABLE_HEADER_FIELDS and a[k] is None)
    ]


class PredictionStore:
    """One predictions file being written by one run."""

    def __init__(self, path: Path, header: RunHeader, *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.header = header
        self.overwrite = overwrite
        self.records: dict[Key, PredictionRecord] = {}

    def open(self) -> dict[Key, PredictionRecord]:
        """Start the file, or take over an existing one; returns the records already written."""
        if self.path.is_dir():
            raise ResumeError(
                f"{self.path} is a folder; --out takes a file path (e.g. {self.path / 'predictions.jsonl'})"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.overwrite or not self.path.exists() or self.path.stat().st_size == 0:
            self._rewrite([])
            return {}
        old_header, records = self._read_existing()
        if old_header is None:
            raise ResumeError(
                f"{self.path} exists but has no run header (not written by `robustbench-tc run`?); "
                "pass --overwrite to replace it or choose another --out"
            )
        differences = header_differences(old_header, self.header)
        if differences:
            raise ResumeError(
                f"{self.path} was written by a different run ({'; '.join(differences)}); "
                "pass --overwrite to start over or choose another --out"
            )
        self.header = self.header.model_copy(update={"created_at": old_header.created_at})
        self.records = records
        return dict(records)

    def _read_existing(self) -> tuple[RunHeader | None, dict[Key, PredictionRecord]]:
        data = self.path.read_bytes()
        header: RunHeader | None = None
        records: dict[Key, PredictionRecord] = {}
        complete = data.split(b"\n")[:-1]  # after the last newline: an unfinished write
        good_end = offset = 0  # end of the last good line: everything after it is cut off
        for lineno, raw in enumerate(complete, 1):
            offset += len(raw) + 1
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                if lineno == 1 and isinstance(obj, dict) and "header" in obj:
                    header = RunHeader.model_validate(obj["header"])
                    good_end = offset
                    continue
                record = PredictionRecord.model_validate(obj)
            except Exception as exc:  # noqa: BLE001 - reported with the location
                if lineno == len(complete):  # torn last line: dropped like an unfinished one
                    break
                raise ResumeError(
                    f"{self.path}:{lineno}: unreadable line ({exc}); pass --overwrite to start over"
                ) from exc
            records[record.key] = record  # a later copy of a key replaces an earlier one
            good_end = offset
        if good_end != len(data):
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)
                fh.flush()
                os.fsync(fh.fileno())
        return header, records

    def append(self, records: Sequence[PredictionRecord]) -> None:
        """Write a batch with one write call, then fsync."""
        if not records:
            return
        payload = "".join(record_line(r) for r in records).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        for record in records:
            self.records[record.key] = record

    def drop(self, keys: Iterable[Key]) -> None:
        """Forget some records (a partly written batch that will be redone)."""
        keys = set(keys) & set(self.records)
        if keys:
            for key in keys:
                del self.records[key]
            self._rewrite(list(self.records.values()))

    def finalize(self, order: Sequence[Key]) -> None:
        """Rewrite canonically: header, then records in ``order``; records of other keys (from an
        earlier run over other configs) follow in their file order."""
        position = {key: i for i, key in enumerate(order)}
        ranked = sorted(
            enumerate(self.records.values()),
            key=lambda item: (position.get(item[1].key, len(position)), item[0]),
        )
        self._rewrite([record for _, record in ranked])

    def _rewrite(self, records: Sequence[PredictionRecord]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(header_line(self.header))
            for record in records:
                fh.write(record_line(record))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self.records = {r.key: r for r in records}
