"""Reading and validating predictions files: good files in every form, hostile ones rejected with
one clear error naming the first problems (with line numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import robustbench_tc.predictions as predictions_module
from robustbench_tc.predictions import (
    PredictionRecord,
    PredictionsError,
    RunHeader,
    parse_predictions,
    read_predictions,
    render_json_schema,
    write_predictions,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = {"model": "m", "engine": "vllm"}


def rec(i: int = 1, perturbation: str = "clean", **extra) -> dict:
    return {"id": f"s{i}", "perturbation": perturbation, "raw_output": f"out {i}", **extra}


def jsonl(*objs: object) -> str:
    return "\n".join(json.dumps(o) for o in objs) + "\n"


TRANSITION = rec(3, "transient_timeout", first_pass_output="p1", transition_injected=True)


@pytest.mark.parametrize(
    "content, n_records, has_header",
    [
        (jsonl(rec(1), rec(2)), 2, False),
        (jsonl({"header": HEADER}, rec(1), TRANSITION), 2, True),
        (json.dumps([rec(1), rec(2)], indent=2), 2, False),
        (json.dumps([rec(1)]), 1, False),
        (json.dumps({"header": HEADER, "predictions": [rec(1), TRANSITION]}, indent=1), 2, True),
        (json.dumps({"predictions": [rec(1)]}), 1, False),
        ("\ufeff" + jsonl(rec(1)), 1, False),  # UTF-8 BOM
        (
            jsonl(
                rec(1), rec(2, "transient_rate_limit", first_pass_output="no call", transition_injected=False)
            ),
            2,
            False,
        ),
        (jsonl(rec(1, tool_calls=[{"name": "ignored"}], meta={"latency_s": 1.5}, error=None)), 1, False),
    ],
)
def test_accepts_every_documented_form(content, n_records, has_header):
    for source in (content, content.encode("utf-8")):
        f = parse_predictions(source)
        assert len(f.records) == n_records and (f.header is not None) == has_header


def test_reads_paths_and_round_trips(tmp_path):
    records = [PredictionRecord(**rec(1)), PredictionRecord(**TRANSITION)]
    path = write_predictions(tmp_path / "p.jsonl", records, RunHeader(**HEADER))
    f = read_predictions(path)
    assert f.records == records and f.header.model == "m"
    assert f.configs == ["clean", "transient_timeout"]
    assert read_predictions(str(path)).records == records


BIG = 200_000


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"hello world\nnot json", "line 1: not valid JSON"),
        (jsonl(rec(1)) + "{broken\n", "line 2: not valid JSON"),
        ('{\n  "predictions": [1,\n', "line 3: not valid JSON"),
        (b"\x00\x01\x02\x03binary", "binary content"),
        (b"PK\x03\x04\x14\x00\x00\x00", "binary content"),
        ('{"id": "caf\xe9"}\n'.encode("latin-1"), "line 1: not valid UTF-8"),
        (jsonl(rec(1)).encode() + '\n{"id": "\xff"}'.encode("cp1252"), "line 3: not valid UTF-8"),
        ("", "the file is empty"),
        ('{"id": "a", "perturbation": "clean", "raw_output": NaN}', "line 1: NaN/Infinity"),
        ('{"id": "a", "perturbation": "clean", "raw_output": "x", "meta": {"t": Infinity}}', "NaN/Infinity"),
        ('{"id": "a", "perturbation": "clean", "raw_output": "x", "meta": {"t": 1e999999}}', "out of range"),
        (
            '{"id": "a", "perturbation": "clean", "raw_output": "x", "meta": {"t": ' + "9" * 5000 + "}}",
            "integer with 5,000 digits is too long (at most 30 digits)",
        ),
        ('{"id": "a", "id": "b", "perturbation": "clean", "raw_output": "x"}', "duplicate key 'id'"),
        (
            '{"id": "a", "perturbation": "clean", "raw_output": "x", "meta": '
            + '{"a": ' * 40
            + "1"
            + "}" * 41,
            "nested deeper than 32",
        ),
        ("[" * 100_000, "nested too deeply"),
        (jsonl(rec(1), rec(1)), "line 2: duplicate record for ('s1', 'clean'), first given at line 1"),
        (jsonl(rec(1, raw_output=5)), "line 1 (id 's1'): field 'raw_output': Input should be a valid string"),
        (jsonl({"id": "s1", "perturbation": "clean"}), "field 'raw_output': Field required"),
        (jsonl(rec(1, answer="x")), "field 'answer': Extra inputs are not permitted"),
        (jsonl(rec(1), [rec(2)], 5), "line 2: expected a JSON object (one prediction record), got list"),
        (jsonl([rec(1)], 5), "line 2: extra data after the JSON document"),
        (jsonl(rec(1, "Typo")), "unknown perturbation 'Typo'"),
        (jsonl(rec(1, "realistic_typo")), "did you mean 'realistic_typos'"),
        (jsonl(rec(1, "transient_timeout")), "needs 'transition_injected'"),
        (jsonl(rec(1, "transient_timeout", transition_injected=True)), "no 'first_pass_output'"),
        (
            jsonl(rec(1, "transient_timeout", transition_injected="yes", first_pass_output="x")),
            "valid boolean",
        ),
        (jsonl(rec(1, first_pass_output="x")), "only transition records carry"),
        (jsonl(rec(1), {"header": HEADER}), "line 2: a header is only allowed on the first line"),
        (jsonl({"header": {"model": "m"}}, rec(1)), "header: field 'engine': Field required"),
        (json.dumps({"predictions": [rec(1)], "extra": 1}), "unexpected keys ['extra']"),
        (json.dumps({"header": HEADER}), "no prediction records"),
        ("x" * (BIG + 1), f"{BIG + 1:,} bytes; the limit is {BIG:,}"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 60 else None,
)
def test_rejects_hostile_files_with_one_clear_error(content, expected):
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    with pytest.raises(PredictionsError) as info:
        parse_predictions(data, max_bytes=BIG)
    message = str(info.value)
    assert message.startswith("predictions file rejected")
    assert expected in message, message


def test_unknown_ids_given_the_dataset():
    known = {("s1", "clean"), ("s2", "clean"), ("s1", "realistic_typos")}
    content = jsonl(rec(1), rec(2, "realistic_typos"), rec(99))
    with pytest.raises(PredictionsError) as info:
        parse_predictions(content, known_keys=known)
    assert info.value.problems == [
        "line 2: sample 's2' has no 'realistic_typos' row in the dataset",
        "line 3: unknown sample id 's99' (not in the dataset)",
    ]
    assert len(parse_predictions(jsonl(rec(1), rec(2)), known_keys=known).records) == 2


def test_lists_only_the_first_problems():
    content = "\n".join("not json" for _ in range(100))
    with pytest.raises(PredictionsError) as info:
        parse_predictions(content)
    assert len(info.value.problems) == predictions_module.MAX_PROBLEMS
    assert "reading stopped there" in str(info.value)


def test_oversize_file_is_rejected_before_reading(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(jsonl(*(rec(i) for i in range(200))))
    with pytest.raises(PredictionsError, match="the limit is 1,000"):
        read_predictions(path, max_bytes=1000)
    with pytest.raises(PredictionsError, match="no such file"):
        read_predictions(tmp_path / "missing.jsonl")


def test_published_json_schema_is_up_to_date():
    published = (REPO_ROOT / "docs" / "predictions.schema.json").read_text(encoding="utf-8")
    assert published == render_json_schema(), (
        "docs/predictions.schema.json is stale: run `python -m robustbench_tc.predictions docs/predictions.schema.json`"
    )


def test_schema_describes_the_records():
    schema = json.loads(render_json_schema())
    record = schema["$defs"]["PredictionRecord"]
    assert record["required"] == ["id", "perturbation", "raw_output"]
    assert record["additionalProperties"] is False
    assert "transient_timeout" in record["properties"]["perturbation"]["enum"]


# -- streaming: refusals cost little -------------------------------------------------------------
class _CountingDecoder:
    """Wraps the module's JSON decoder and counts the values it is asked to decode."""

    def __init__(self, inner):
        self.inner = inner
        self.calls = 0

    def raw_decode(self, *args):
        self.calls += 1
        return self.inner.raw_decode(*args)


JUNK_FORMS = {
    "jsonl of {}": lambda n: "{}\n" * n,
    "jsonl of 1": lambda n: "1\n" * n,
    "jsonl of unknown ids": lambda n: jsonl(*(rec(i) for i in range(n))),
    "document of {}": lambda n: "[" + ", ".join(["{}"] * n) + "]",
    "document object of {}": lambda n: '{"predictions": [' + ",".join(["{}"] * n) + "]}",
}


@pytest.mark.parametrize("form", sorted(JUNK_FORMS))
def test_junk_is_refused_after_its_first_problems_without_decoding_the_rest(form, monkeypatch):
    counter = _CountingDecoder(predictions_module._DECODER)
    monkeypatch.setattr(predictions_module, "_DECODER", counter)
    content = JUNK_FORMS[form](50_000)
    known = {("s0", "clean")}
    with pytest.raises(PredictionsError) as info:
        parse_predictions(content.encode(), known_keys=known)
    assert len(info.value.problems) == predictions_module.MAX_PROBLEMS
    assert "reading stopped there" in str(info.value)
    assert counter.calls <= predictions_module.MAX_PROBLEMS + 2, counter.calls


@pytest.mark.parametrize("form", ["jsonl of {}", "document of {}"])
def test_memory_of_a_refusal_is_a_small_multiple_of_the_file(form):
    import tracemalloc

    content = JUNK_FORMS[form](700_000).encode()  # about 2 MB
    tracemalloc.start()
    try:
        with pytest.raises(PredictionsError):
            parse_predictions(content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * len(content), (peak, len(content))


def _long_record(chars: int) -> dict:
    return rec(1, raw_output="x" * chars)


@pytest.mark.parametrize(
    "content, expected",
    [
        (jsonl({"header": {**HEADER, "extra": {"blob": "x" * 20_000}}}, rec(1)), "header: longer than 16,384"),
        (
            json.dumps({"header": {**HEADER, "extra": {"blob": "x" * 20_000}}, "predictions": [rec(1)]}),
            "header: longer than 16,384 characters",
        ),
        (jsonl(_long_record(predictions_module.MAX_RECORD_CHARS)), "one record may have at most 1,048,576"),
        (json.dumps([_long_record(predictions_module.MAX_RECORD_CHARS)]), "record 1 (line 1): longer than"),
        (jsonl(rec(1, meta={"k": list(range(3000))})), "holds more than 2,000 JSON values"),
        (jsonl({"header": {**HEADER, "extra": {"k": [0] * 3000}}}, rec(1)), "header: the header holds more"),
        ('[{"id": "a", "perturbation": "clean", "raw_output": x}' + ", {}" * 100_000 + "]", "line 1: not valid"),
        ('{"predictions": [], "predictions": []}', "duplicate key 'predictions'"),
    ],
    ids=["jsonl header", "document header", "jsonl record", "document record", "meta values",
         "header values", "syntax error early in a big document", "duplicate document key"],
)  # fmt: skip
def test_size_limits_of_records_and_header(content, expected):
    with pytest.raises(PredictionsError) as info:
        parse_predictions(content)
    assert expected in str(info.value), str(info.value)


def test_records_just_under_the_limits_are_accepted():
    big = predictions_module.MAX_RECORD_CHARS - 200
    for content in (jsonl(_long_record(big)), json.dumps([_long_record(big), rec(2)])):
        f = parse_predictions(content)
        assert len(f.records[0].raw_output) == big


def test_path_and_content_are_never_guessed(tmp_path):
    with pytest.raises(PredictionsError, match="no such file"):
        read_predictions(jsonl(rec(1)).strip())
    with pytest.raises(TypeError, match="read_predictions"):
        parse_predictions(tmp_path / "p.jsonl")
    with pytest.raises(TypeError, match="parse_predictions"):
        read_predictions(b"{}")


def test_content_digest_ignores_formatting_and_extras_but_not_outputs():
    base = parse_predictions(jsonl(rec(1), rec(2))).content_digest()
    same = [
        jsonl(rec(1), rec(2)) + "\n",
        jsonl(rec(2), rec(1)),
        json.dumps([rec(1), rec(2)], indent=2),
        jsonl({"header": HEADER}, rec(1, meta={"latency_s": 3}), rec(2, tool_calls=[{"name": "x"}])),
    ]
    assert [parse_predictions(c).content_digest() for c in same] == [base] * len(same)
    assert parse_predictions(jsonl(rec(1), rec(2, raw_output="other"))).content_digest() != base
