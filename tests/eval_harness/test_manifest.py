"""The model manifest holds Table 15 as printed; --model resolves names, paths and overrides."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from eval_harness.manifest import ManifestError, load_manifest, resolve_model
from tests.support.requires import require_path

MODELS_CSV = Path(__file__).resolve().parents[3] / "shared" / "paper" / "models.csv"


def test_manifest_has_the_papers_21_models() -> None:
    manifest = load_manifest()
    assert len(manifest.models) == 21 and len(set(manifest.names())) == 21
    assert sum(m.in_table15 for m in manifest.models) == 20


def test_manifest_matches_table15() -> None:
    require_path(MODELS_CSV, "paper tables (shared/paper)")
    manifest = load_manifest()
    for row in csv.DictReader(MODELS_CSV.open()):
        entry = manifest.get(row["model"])
        assert (entry.hf_id_as_printed or "") == row["hf_id"]
        assert (entry.dtype or "") == row["dtype"]
        assert str(entry.max_model_len or "") == row["max_len"]
        assert {"fc": "FC", "prompt": "Prompt", None: ""}[entry.mode] == row["mode"]
        assert {False: "off", None: ""}[entry.thinking] == row["thinking"]
        assert ("" if entry.temperature is None else entry.temperature) == (
            float(row["temperature"]) if row["temperature"] else ""
        )
        assert str(entry.max_tokens or "") == row["max_tokens"]


@pytest.mark.parametrize(
    ("model", "overrides", "expected"),
    [
        (
            "Qwen3-14B",
            {},
            {
                "model": "Qwen/Qwen3-14B",
                "mode": "fc",
                "dtype": "bfloat16",
                "max_model_len": 16384,
                "chat_template_kwargs": {"enable_thinking": False},
            },
        ),
        (
            "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
            {},
            {"name": "DeepSeek-R1-Distill-14B", "temperature": 0.6, "max_tokens": 4096},
        ),
        (
            "ToolRL-Qwen2.5-3B",
            {"dtype": "float32", "max_tokens": 64},
            {"mode": "prompt", "dtype": "float32", "max_tokens": 64, "chat_template_kwargs": {}},
        ),
        (
            "/models/mine",
            {"mode": "fc", "thinking": True},
            {
                "model": "/models/mine",
                "mode": "fc",
                "temperature": 0.0,
                "max_tokens": 1024,
                "chat_template_kwargs": {"enable_thinking": True},
            },
        ),
        ("o4-mini", {"mode": "fc"}, {"model": "o4-mini", "temperature": None}),
    ],
)
def test_resolve_model(model: str, overrides: dict, expected: dict) -> None:
    settings = resolve_model(model, **overrides)
    assert {k: getattr(settings, k) for k in expected} == expected


@pytest.mark.parametrize(
    ("model", "message"),
    [("ToolRL-DR-Full", "no public id"), ("o4-mini", "--mode prompt or --mode fc")],
)
def test_unresolvable_models_say_what_to_pass(model: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        resolve_model(model)
