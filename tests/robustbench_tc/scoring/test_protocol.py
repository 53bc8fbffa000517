"""The transition protocol is checked with the shared rule, not trusted (``scoring.protocol``)."""

from __future__ import annotations

import json

import pytest

from robustbench_tc.cli import main
from robustbench_tc.gold import GoldRow
from robustbench_tc.predictions import PredictionRecord, PredictionsFile
from robustbench_tc.scoring import TransitionProtocolError, score_predictions, transition_violations

CALL = '[country_info.capital(country="Brazil")]'
GIVE_UP = 'The call country_info.capital(country="Brazil") timed out. Please try again later.'
PROSE = "Given two points A(x1, y1) and B(x2, y2), the distance is sqrt((x2-x1)^2 + (y2-y1)^2)."


@pytest.fixture(scope="module")
def samples(built_dataset):
    from robustbench_tc.dataset import load_samples

    return load_samples(built_dataset, ["clean", "transient_timeout"])


ROW = GoldRow("s", "s", "bfcl_v3", "transient_timeout", [], [])


@pytest.mark.parametrize(
    "injected, first_pass, raw, problem",
    [
        (True, CALL, CALL, None),  # pass 1 called, fault injected, pass 2 retried
        (True, CALL, GIVE_UP, None),  # pass 2 gave up (scored "omitted")
        (False, PROSE, PROSE, None),  # no call in pass 1: scored as is
        (False, None, PROSE, None),  # first_pass_output may be left out when false
        (True, PROSE, CALL, "makes no tool call"),  # a mention is not a call: no fault could follow
        (True, GIVE_UP, CALL, "makes no tool call"),
        (False, CALL, CALL, "pass 1 makes a tool call"),  # the fault was skipped
        (False, PROSE, CALL, "pass 1 makes a tool call"),  # raw_output is pass 1 when false
        (False, None, CALL, "pass 1 makes a tool call"),
    ],
)
def test_each_record_is_checked(injected, first_pass, raw, problem):
    record = PredictionRecord(
        id="s", perturbation="transient_timeout", raw_output=raw,
        first_pass_output=first_pass, transition_injected=injected,
    )  # fmt: skip
    found = transition_violations({"transient_timeout": [ROW]}, PredictionsFile(records=[record]))
    assert (found[0] if found else None) == problem or (problem and problem in found[0])


def test_score_refuses_the_file_naming_the_first_records(samples):
    from robustbench_tc.scoring.oracle import oracle_records

    records = list(oracle_records(samples))
    transition = [i for i, r in enumerate(records) if r.transition_injected]
    for i in transition[:7]:
        records[i] = records[i].model_copy(update={"transition_injected": False})
    with pytest.raises(TransitionProtocolError) as err:
        score_predictions(samples, PredictionsFile(records=records), n_boot=10)
    message = str(err.value)
    assert "7 record(s)" in message and "and 2 more" in message and "nothing was scored" in message
    assert f"{records[transition[0]].id}/{records[transition[0]].perturbation}" in message


def test_cli_score_refuses_a_skipped_fault(built_dataset, tmp_path, capsys):
    oracle = tmp_path / "oracle.jsonl"
    assert (
        main(
            [
                "oracle",
                "--dataset",
                str(built_dataset),
                "--out",
                str(oracle),
                "--configs",
                "transient_timeout",
            ]
        )
        == 0
    )
    lines = oracle.read_text().splitlines()
    first = json.loads(lines[1])
    first["transition_injected"] = False
    lines[1] = json.dumps(first)
    oracle.write_text("\n".join(lines) + "\n")
    report = tmp_path / "report.json"
    assert (
        main(["score", str(oracle), "--dataset", str(built_dataset), "--n-boot", "10", "--json", str(report)])
        == 2
    )
    err = capsys.readouterr().err
    assert "transition protocol violated by 1 record(s)" in err and first["id"] in err
    assert not report.exists()
