"""The harness over the real built dataset: every config, one row each, scored as written."""

from __future__ import annotations

import json
from pathlib import Path

from robustbench_tc.cli import main
from robustbench_tc.dataset import available_configs
from robustbench_tc.testing.mini_dataset import score_file


def test_transformers_run_over_every_config(
    built_dataset: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    configs = available_configs(built_dataset)
    assert (
        main(
            [
                "run",
                "--dataset",
                str(built_dataset),
                "--model",
                str(tiny_model_dir),
                "--backend",
                "transformers",
                "--dtype",
                "float32",
                "--max-tokens",
                "8",
                "--max-model-len",
                "8192",
                "--limit",
                "1",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    records = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert [r["perturbation"] for r in records] == configs
    report = score_file(built_dataset, configs, out)
    assert report.complete and [c.n_predicted for c in report.configs] == [1] * len(configs)
