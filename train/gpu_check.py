"""GPU check of the paper's recipe without downloading weights: a Qwen2.5-3B-shaped model with
random weights, trained for a few GRPO steps at Table 16's batch settings; prints step time and
peak GPU memory. See docs/training.md for the commands.

    python train/gpu_check.py --data DATA_DIR --out OUT_DIR [--steps 2] [--recipes dr_full,dr_t]
        [-- extra GRPO flags]

``--recipes dr_full,dr_t`` runs ToolRL-DR-Full and then ToolRL-DR+T (``toolrl_dr_t.yaml``: transition
rollouts through ``rollout_func``) on the same model and data, and reports each one's step time and
peak memory side by side.

Generation uses transformers (``--use_vllm false``): vLLM is not installed on the lent machines.
A random model never emits EOS, so every completion runs to ``max_completion_length`` (1024):
the step time and memory are an upper bound for the real run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

# Qwen/Qwen2.5-3B-Instruct's config.json (architecture numbers are facts, not weights).
QWEN25_3B_SHAPE: dict[str, object] = {
    "hidden_size": 2048,
    "intermediate_size": 11008,
    "num_hidden_layers": 36,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
    "vocab_size": 151936,
}


SMOKE_SHAPE: dict[str, object] = {
    **QWEN25_3B_SHAPE,
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
    "vocab_size": 2048,
}
"""A tiny stand-in with the same code path, to check the script itself on CPU (``--smoke``)."""


def build_random_model(out: Path, shape: dict[str, object], seed: int = 0) -> Path:
    """Save a random-weight Qwen2 model of ``shape`` (bf16 on disk) with the tiny test tokenizer."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from robustbench_tc.testing.tiny_model import build_tiny_model

    tokenizer_dir = build_tiny_model(out / "tokenizer-src", seed=seed)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = Qwen2Config(
        **shape,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).to(torch.bfloat16)
    model_dir = out / "random-model"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    return model_dir


RECIPES = {"dr_full": "train/configs/toolrl_dr_full.yaml", "dr_t": "train/configs/toolrl_dr_t.yaml"}


def run_recipe(
    recipe: str,
    config: str,
    model_dir: Path,
    args: argparse.Namespace,
    smoke: list[str],
    extra: list[str],
    cuda: bool,
) -> dict[str, object]:
    """Train ``args.steps`` optimizer steps of one config; its step times and peak memory."""
    import torch

    from train.grpo import main as train_main

    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    started = time.time()
    out = train_main(
        [
            "--config",
            config,
            "--model_name_or_path",
            str(model_dir),
            "--dataset_name",
            args.data,
            "--output_dir",
            str(args.out / f"run-{recipe}"),
            "--use_vllm",
            "false",
            "--max_steps",
            str(args.steps),
            "--max_prompt_length",
            "5120",  # the tiny tokenizer needs ~2.5x Qwen's tokens
            "--save_strategy",
            "no",
            "--eval_strategy",
            "no",
            "--report_to",
            "none",
            *smoke,
            *[a for a in extra if a != "--"],
        ]
    )
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "step_time" in h]
    return {
        "recipe": recipe,
        "config": config,
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "steps": len(steps),
        "step_time_s": [round(h["step_time"], 2) for h in steps],
        "completion_mean_length": [h.get("completions/mean_length") for h in steps],
        "fault_injected_frac": [h.get("transition/fault_injected_frac") for h in steps],
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "wall_s": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder written by `robustbench-tc make-train-data`")
    parser.add_argument("--out", type=Path, required=True, help="work folder (model, run output)")
    parser.add_argument("--config", default=None, help="one config (default: the --recipes' configs)")
    parser.add_argument(
        "--recipes",
        default="dr_full",
        help="comma-separated: dr_full (toolrl_dr_full.yaml), dr_t (toolrl_dr_t.yaml)",
    )
    parser.add_argument("--steps", type=int, default=2, help="optimizer steps to time")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny shape on CPU: checks the script, measures nothing"
    )
    args, extra = parser.parse_known_args(argv)

    import torch

    cuda = torch.cuda.is_available() and not args.smoke
    model_dir = build_random_model(args.out, SMOKE_SHAPE if args.smoke else QWEN25_3B_SHAPE)
    smoke = (
        [
            "--use_cpu",
            "true",
            "--bf16",
            "false",
            "--max_completion_length",
            "16",
            "--per_device_train_batch_size",
            "8",
            "--gradient_accumulation_steps",
            "1",
            "--generation_batch_size",
            "8",
            "--activation_checkpointing",
            "false",
        ]
        if args.smoke
        else []
    )
    configs = (
        {"custom": args.config}
        if args.config
        else {r.strip(): RECIPES[r.strip()] for r in args.recipes.split(",") if r.strip()}
    )
    results = {}
    for recipe, config in configs.items():
        results[recipe] = run_recipe(recipe, config, model_dir, args, smoke, extra, cuda)
    result = results if len(results) > 1 else next(iter(results.values()))
    print(json.dumps(result, indent=2))
    (args.out / "gpu_check.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
