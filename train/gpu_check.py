"""GPU check of the paper's recipe without downloading weights: a Qwen2.5-3B-shaped model with
random weights, trained for a few GRPO steps; prints a memory estimate before it starts, then step
time and peak GPU memory. See docs/training.md for the commands.

    python train/gpu_check.py --data DATA_DIR --out OUT_DIR [--steps 2] [--recipes dr_full,dr_t]
        [-- extra GRPO flags]

``--recipes dr_full,dr_t`` runs ToolRL-DR-Full and then ToolRL-DR+T (``toolrl_dr_t.yaml``: transition
rollouts through ``rollout_func``) on the same model and data, and reports each one's step time and
peak memory side by side.

Sized for one 80 GB GPU (``ONE_GPU``): the recipe's 128 completions per optimizer step as 4 per
micro-batch x 32 accumulation steps, a generation batch of 32 completions (transformers generates a
whole generation batch at once, so its KV cache and prefill grow with it: Table 16's 256 on one GPU
alone would need ~58 GiB of KV cache at 5k-token prompts), and prompts up to 2,048 tiny-tokenizer
tokens (longer rows are dropped). ``estimate_memory`` prints what each part should take before the
run starts; the check stops if the estimate exceeds the GPU (``--force`` runs anyway).

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


ONE_GPU: tuple[str, ...] = (
    "--per_device_train_batch_size", "4",
    "--gradient_accumulation_steps", "32",  # 4 x 1 x 32 = the recipe's 128 completions per step
    "--generation_batch_size", "32",
    "--per_device_eval_batch_size", "4",
    "--max_prompt_length", "2048",
)  # fmt: skip
"""The recipe's batch on one 80 GB GPU (see the module docstring)."""


def _dim(shape: dict[str, object], key: str) -> int:
    value = shape[key]
    assert isinstance(value, int), f"{key} must be an int"
    return value


def parameter_count(shape: dict[str, object]) -> int:
    """Parameters of a Qwen2 model of ``shape`` (tied embeddings, q/k/v biases).

    >>> round(parameter_count(QWEN25_3B_SHAPE) / 1e9, 2)
    3.09
    """
    h, inter, layers = (
        _dim(shape, "hidden_size"),
        _dim(shape, "intermediate_size"),
        _dim(shape, "num_hidden_layers"),
    )
    heads, kv = _dim(shape, "num_attention_heads"), _dim(shape, "num_key_value_heads")
    vocab, head_dim = _dim(shape, "vocab_size"), h // heads
    attention = h * h + h + 2 * (h * kv * head_dim + kv * head_dim) + h * h
    per_layer = attention + 3 * h * inter + 2 * h
    return vocab * h * (1 if shape.get("tie_word_embeddings", True) else 2) + layers * per_layer + h


def estimate_memory(
    shape: dict[str, object],
    *,
    per_device_batch: int,
    generation_per_rank: int,
    prompt_tokens: int,
    completion_tokens: int,
    processes: int = 1,
    zero3: bool = False,
    reference_model: bool = True,
) -> dict[str, float]:
    """GiB one GPU should need at the peak of a GRPO step, by part (an estimate from the shape and
    the batch, not a measurement): fp32 weights + fp32 gradients + AdamW's two fp32 moments (16 bytes
    a parameter, sharded over ``processes`` under ZeRO-3, which also gathers a full bf16 copy for
    generation), TRL's fp32 reference model (``beta`` > 0), the bf16 KV cache of one generation batch,
    the prefill's largest transient (one layer's gate and up projections for the whole batch), and a
    micro-batch's training activations (checkpointed layer inputs) and fp32 logits of the completion.

    >>> plan = estimate_memory(QWEN25_3B_SHAPE, per_device_batch=4, generation_per_rank=32,
    ...                        prompt_tokens=2048, completion_tokens=1024)
    >>> plan["peak"] < 78, plan["train_state"]
    (True, 45.98)
    """
    params = parameter_count(shape)
    h, inter, layers = (
        _dim(shape, "hidden_size"),
        _dim(shape, "intermediate_size"),
        _dim(shape, "num_hidden_layers"),
    )
    kv_width = _dim(shape, "num_key_value_heads") * (h // _dim(shape, "num_attention_heads"))
    vocab, gib, shard = _dim(shape, "vocab_size"), 2.0**30, (processes if zero3 else 1)
    sequence = prompt_tokens + completion_tokens
    parts = {
        "train_state": params * 16 / shard,
        "reference_model": params * 4 / shard if reference_model else 0.0,
        "gathered_for_generation": params * 2 if zero3 else 0.0,
        "kv_cache": generation_per_rank * sequence * layers * 2 * kv_width * 2,
        "prefill_transient": generation_per_rank * prompt_tokens * 2 * inter * 2,
        "train_activations": per_device_batch * sequence * h * 2 * (layers + 12),
        "logits": per_device_batch * completion_tokens * vocab * 4 * 2,
        "cuda_context_and_fragmentation": 2.0 * gib,
    }
    out = {k: round(v / gib, 2) for k, v in parts.items()}
    static = out["train_state"] + out["reference_model"] + out["cuda_context_and_fragmentation"]
    generation = out["gathered_for_generation"] + out["kv_cache"] + out["prefill_transient"]
    training = out["train_activations"] + out["logits"]
    out["peak"] = round(static + max(generation, training), 2)
    return out


def flag(argv: list[str], name: str, default: str) -> str:
    """The last value of ``--name`` in ``argv`` (``default`` when absent).

    >>> flag(["--a", "1", "--a", "2"], "--a", "0"), flag([], "--a", "0")
    ('2', '0')
    """
    values = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == name]
    return values[-1] if values else default


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
            "--config", config,
            "--model_name_or_path", str(model_dir),
            "--dataset_name", args.data,
            "--output_dir", str(args.out / f"run-{recipe}"),
            "--use_vllm", "false",
            "--max_steps", str(args.steps),
            "--save_strategy", "no",
            "--eval_strategy", "no",
            "--report_to", "none",
            *grpo_flags(args.smoke, extra),
        ]
    )  # fmt: skip
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


SMOKE: tuple[str, ...] = (
    "--use_cpu", "true",
    "--bf16", "false",
    "--max_completion_length", "16",
    "--per_device_train_batch_size", "8",
    "--gradient_accumulation_steps", "1",
    "--generation_batch_size", "8",
    "--activation_checkpointing", "false",
    "--max_prompt_length", "5120",  # the tiny tokenizer needs ~2.5x Qwen's tokens
    "--allow_batch_change", "true",  # 8 completions per step, not 128: checks the code, measures nothing
)  # fmt: skip


def grpo_flags(smoke: bool, extra: list[str]) -> list[str]:
    """The check's GRPO flags: its sizing (``ONE_GPU``, or ``SMOKE`` on CPU), then the user's."""
    return [*(SMOKE if smoke else ONE_GPU), *[a for a in extra if a != "--"]]


def planned_memory(flags: list[str], shape: dict[str, object], recipe_config: str) -> dict[str, float]:
    """``estimate_memory`` for one recipe run with ``flags`` (what the command line sets, else the
    recipe YAML's values)."""
    import yaml

    recipe = yaml.safe_load(Path(recipe_config).read_text())

    def value(name: str) -> int:
        return int(flag(flags, f"--{name}", str(recipe[name])))

    generation = value("generation_batch_size")
    return estimate_memory(
        shape,
        per_device_batch=value("per_device_train_batch_size"),
        generation_per_rank=generation,
        prompt_tokens=value("max_prompt_length"),
        completion_tokens=value("max_completion_length"),
        reference_model=float(flag(flags, "--beta", str(recipe["beta"]))) > 0,
    )


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
    parser.add_argument("--force", action="store_true", help="run even when the estimate exceeds the GPU")
    args, extra = parser.parse_known_args(argv)

    import torch

    cuda = torch.cuda.is_available() and not args.smoke
    shape = SMOKE_SHAPE if args.smoke else QWEN25_3B_SHAPE
    configs = (
        {"custom": args.config}
        if args.config
        else {r.strip(): RECIPES[r.strip()] for r in args.recipes.split(",") if r.strip()}
    )
    plans = {recipe: planned_memory(grpo_flags(args.smoke, extra), shape, c) for recipe, c in configs.items()}
    total = torch.cuda.get_device_properties(0).total_memory / 2**30 if cuda else None
    for recipe, plan in plans.items():
        parts = ", ".join(f"{k} {v}" for k, v in plan.items() if k != "peak")
        print(f"memory estimate per GPU, {recipe}: {plan['peak']} GiB ({parts})"
              + (f"; this GPU has {total:.1f} GiB" if total else ""), flush=True)  # fmt: skip
        if total is not None and plan["peak"] > total and not args.force:
            raise SystemExit(
                f"error: the estimate ({plan['peak']} GiB) exceeds this GPU ({total:.1f} GiB): lower "
                "--per_device_train_batch_size or --generation_batch_size, or pass --force"
            )
    model_dir = build_random_model(args.out, shape)
    results = {}
    for recipe, config in configs.items():
        results[recipe] = run_recipe(recipe, config, model_dir, args, extra, cuda)
        results[recipe]["memory_estimate_gib"] = plans[recipe]
    result = results if len(results) > 1 else next(iter(results.values()))
    print(json.dumps(result, indent=2))
    (args.out / "gpu_check.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
