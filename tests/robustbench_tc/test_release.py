"""Predictions in the paper's release layout (``perturbation.type``) convert and score (issue 10)."""

from __future__ import annotations

import json

import pytest

from robustbench_tc.cli import main
from robustbench_tc.release import ReleaseFormatError, convert_record, convert_release
from robustbench_tc.scoring.oracle import oracle_records


@pytest.fixture(scope="module")
def oracle(built_dataset):
    from robustbench_tc.dataset import load_samples

    return oracle_records(load_samples(built_dataset, ["clean", "CD_AB", "transient_timeout"]))


def _release(record, *, with_pass1: bool = True) -> dict:
    """The record as the paper's release writes it: a nested perturbation object, display name."""
    out = {"id": record.id, "raw_output": record.raw_output, "score": 1,
           "perturbation": {"type": "MisDesc-Abbr" if record.perturbation == "CD_AB" else record.perturbation}}  # fmt: skip
    if record.transition_injected is not None and with_pass1:
        out["first_pass_output"] = record.first_pass_output
        out["transition_injected"] = record.transition_injected
    return out


def test_release_file_converts_and_scores_like_the_oracle(built_dataset, oracle, tmp_path, capsys):
    release = tmp_path / "model.predictions.jsonl"
    release.write_text("".join(json.dumps(_release(r)) + "\n" for r in oracle))
    out = tmp_path / "converted.jsonl"
    assert main(["convert-release", str(release), "--out", str(out), "--dataset", str(built_dataset)]) == 0
    report = tmp_path / "report.json"
    assert (
        main(["score", str(out), "--dataset", str(built_dataset), "--n-boot", "10", "--json", str(report)])
        == 0
    )
    scored = json.loads(report.read_text())
    assert scored["configs_scored"] == ["clean", "CD_AB", "transient_timeout"]
    assert scored["clean"]["value"] == 1.0 and all(c["acc"]["value"] == 1.0 for c in scored["configs"])
    first = json.loads(out.read_text().splitlines()[0])
    assert first["meta"]["release"]["score"] == 1


def test_transition_records_without_pass_one(oracle, tmp_path):
    record = next(r for r in oracle if r.transition_injected)
    source = record.id.split("__")[0]
    # a give-up without a call: pass 1 scored as is
    give_up = {**_release(record, with_pass1=False), "raw_output": "It timed out. Please try again later."}
    assert convert_record(give_up, source_of={record.id: source}).transition_injected is False
    # a call without its pass 1 cannot be checked: refused unless trusted
    bare = _release(record, with_pass1=False)
    path = tmp_path / "release.jsonl"
    path.write_text(json.dumps(bare) + "\n")
    with pytest.raises(ReleaseFormatError, match="line 1: a transition record that makes a call"):
        convert_release(path, tmp_path / "out.jsonl", source_of={record.id: source})
    trusted = convert_record(bare, source_of={record.id: source}, trust_transitions=True)
    assert trusted.transition_injected and trusted.meta["first_pass_assumed"] is True


def test_unknown_types_are_named(tmp_path):
    path = tmp_path / "release.jsonl"
    path.write_text(json.dumps({"id": "x", "raw_output": "", "perturbation": {"type": "MisDescAbbr"}}) + "\n")
    with pytest.raises(ReleaseFormatError, match="MisDesc-Abbr"):
        convert_release(path, tmp_path / "out.jsonl", source_of={})
