"""The run configs: Table 16's values, every version-sensitive TRL default set explicitly, and the
three paper runs identical except for their data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from train.grpo import ScriptArguments, check_toolrl_config

CONFIGS = Path(__file__).resolve().parents[2] / "train" / "configs"
PAPER_RUNS = {"toolrl_dr_full": "dr_full", "toolrl_dr_mixed": "dr_mixed", "toolrl_clean": "clean"}

# Defaults that changed between TRL versions (or that differ from veRL's), which every config
# must set itself rather than inherit (docs/training.md explains each value).
EXPLICIT = [
    "beta",
    "loss_type",
    "scale_rewards",
    "importance_sampling_level",
    "mask_truncated_completions",
    "num_iterations",
    "epsilon",
    "epsilon_high",
    "temperature",
    "top_p",
    "top_k",
    "use_vllm",
    "vllm_mode",
    "activation_checkpointing",
    "bf16",
    "model_init_kwargs",
    "lr_scheduler_type",
    "warmup_steps",
    "optim",
    "weight_decay",
    "max_grad_norm",
    "entropy_coef",
    "use_bias_correction_kl",
    "multi_objective_aggregation",
    "reward_weights",
    "num_generations",
    "max_completion_length",
    "max_prompt_length",
    "learning_rate",
    "shuffle_dataset",
    "disable_dropout",
    "report_to",
    "logging_steps",
    "seed",
    "repetition_penalty",
    "top_entropy_quantile",
    "sync_ref_model",
]
OBJECTIVE = [
    "beta",
    "loss_type",
    "scale_rewards",
    "importance_sampling_level",
    "mask_truncated_completions",
    "num_iterations",
    "epsilon",
    "epsilon_high",
    "temperature",
    "top_p",
    "top_k",
    "entropy_coef",
    "use_bias_correction_kl",
    "multi_objective_aggregation",
    "reward_weights",
    "num_generations",
    "lr_scheduler_type",
    "optim",
    "weight_decay",
    "max_grad_norm",
    "repetition_penalty",
]


def raw(name: str) -> dict:
    return yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())


def parse(name: str, *extra: str):
    from trl import GRPOConfig, TrlParser

    argv = ["--config", str(CONFIGS / f"{name}.yaml"), *extra]
    return TrlParser((ScriptArguments, GRPOConfig)).parse_args_and_config(argv)


@pytest.mark.parametrize("name", [*PAPER_RUNS, "tiny_cpu", "toolrl_dr_t", "tiny_cpu_dr_t"])
def test_every_version_sensitive_default_is_explicit(name: str) -> None:
    missing = [key for key in EXPLICIT if key not in raw(name)]
    assert not missing, f"{name}.yaml leaves TRL defaults implicit: {missing}"


@pytest.mark.parametrize(("name", "data"), PAPER_RUNS.items())
def test_paper_runs_follow_table_16(name: str, data: str) -> None:
    config = raw(name)
    assert config["model_name_or_path"] == "Qwen/Qwen2.5-3B-Instruct"
    assert config["dataset_config"] == data
    assert config["num_generations"] == 4
    assert config["generation_batch_size"] == 64 * 4  # train batch 64 prompts x 4 rollouts
    assert config["learning_rate"] == 1e-6 and config["num_train_epochs"] == 3
    assert config["max_prompt_length"] == 2048 and config["max_completion_length"] == 1024
    assert config["bf16"] is True and config["beta"] > 0
    assert config["use_vllm"] is True and config["vllm_mode"] == "colocate"
    assert config["vllm_tensor_parallel_size"] == 1
    assert (
        config["save_steps"] == 10 and config["eval_steps"] == 20
    )  # Table 16 5 / 10 veRL steps, 2 optimizer steps each
    # 2 GPUs: 32 prompts (PPO mini-batch) per optimizer step, 16 completions per GPU micro-batch
    assert config["per_device_train_batch_size"] == 16
    assert config["per_device_train_batch_size"] * 2 * config["gradient_accumulation_steps"] == 32 * 4


def test_paper_runs_differ_only_in_data_and_names() -> None:
    configs = {name: raw(name) for name in PAPER_RUNS}
    varying = {"dataset_config", "output_dir", "run_name"}
    base = {k: v for k, v in configs["toolrl_dr_full"].items() if k not in varying}
    for name, config in configs.items():
        assert {k: v for k, v in config.items() if k not in varying} == base, name


def test_tiny_config_keeps_the_paper_objective() -> None:
    tiny, paper = raw("tiny_cpu"), raw("toolrl_dr_full")
    assert {k: tiny[k] for k in OBJECTIVE} == {k: paper[k] for k in OBJECTIVE}
    assert tiny["use_cpu"] is True and tiny["bf16"] is False and tiny["use_vllm"] is False


@pytest.mark.parametrize("name", [*PAPER_RUNS, "tiny_cpu"])
def test_configs_parse_into_grpo_config(name: str) -> None:
    cpu = ["--bf16", "false", "--use_cpu", "true"] if name in PAPER_RUNS else []  # no GPU here
    script, config = parse(name, *cpu)
    check_toolrl_config(config)
    assert config.beta == raw(name)["beta"] and config.loss_type == "bnpo"
    assert config.reward_weights == [1.0, 1.0]
    assert config.generation_batch_size % config.num_generations == 0
    assert script.dataset_config in ("clean", "dr_full", "dr_mixed")


def test_command_line_overrides_the_config() -> None:
    script, config = parse("tiny_cpu", "--model_name_or_path", "/m", "--beta", "0.04")
    assert script.model_name_or_path == "/m" and config.beta == 0.04


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--reward_weights", "1.0"], "reward_weights needs 2 values"),
        (["--remove_unused_columns", "true"], "remove_unused_columns must be false"),
    ],
)
def test_recipe_breaking_settings_are_rejected(flags: list[str], message: str) -> None:
    _, config = parse("tiny_cpu", *flags)
    with pytest.raises(ValueError, match=message):
        check_toolrl_config(config)


@pytest.mark.parametrize("name", ["accelerate_2gpu_zero3", "accelerate_2gpu_ddp"])
def test_accelerate_configs_use_two_gpus(name: str) -> None:
    config = raw(name)
    assert config["num_processes"] == 2 and config["mixed_precision"] == "bf16"
    assert config["distributed_type"] in ("DEEPSPEED", "MULTI_GPU")


# --- ToolRL-DR+T (issue 16) -----------------------------------------------------------------------
DRT_KEYS = {"transition_ratio", "transition_max_turns", "transition_seed", "extra_call_cost"}


def test_dr_t_is_dr_full_plus_transitions() -> None:
    full, drt = raw("toolrl_dr_full"), raw("toolrl_dr_t")
    varying = {"output_dir", "run_name", "reward_weights"}
    assert {k: v for k, v in drt.items() if k not in varying | DRT_KEYS} == {
        k: v for k, v in full.items() if k not in varying
    }
    assert drt["reward_weights"] == [1.0, 1.0, 0.0] and drt["dataset_config"] == "dr_full"
    assert 0.0 < drt["transition_ratio"] < 1.0 and drt["transition_max_turns"] == 2
    assert drt["use_vllm"] is True  # TRL runs vLLM generation inside a rollout_func too


def test_tiny_dr_t_config_keeps_the_dr_t_objective() -> None:
    tiny, paper = raw("tiny_cpu_dr_t"), raw("toolrl_dr_t")
    assert {k: tiny[k] for k in OBJECTIVE} == {k: paper[k] for k in OBJECTIVE}
    assert {k: tiny[k] for k in DRT_KEYS} == {k: paper[k] for k in DRT_KEYS}
    assert tiny["use_cpu"] is True and tiny["bf16"] is False and tiny["use_vllm"] is False


@pytest.mark.parametrize("name", ["toolrl_dr_t", "tiny_cpu_dr_t"])
def test_dr_t_configs_parse_with_three_reward_weights(name: str) -> None:
    from train.grpo import reward_funcs_for, transition_config

    cpu = ["--bf16", "false", "--use_cpu", "true"] if name == "toolrl_dr_t" else []
    script, config = parse(name, *cpu)
    check_toolrl_config(config, script)
    assert [f.__name__ for f in reward_funcs_for(script)] == [
        "drt_format_reward",
        "drt_correctness_reward",
        "retry_after_fault",
    ]
    transitions = transition_config(script)
    assert transitions.fault_probability == raw(name)["transition_ratio"] and transitions.max_turns == 2
    with pytest.raises(ValueError, match="reward_weights needs 3 values"):
        check_toolrl_config(parse(name, *cpu, "--reward_weights", "1.0", "1.0")[1], script)


def test_transition_ratio_zero_is_plain_dr_full() -> None:
    from train.grpo import reward_funcs_for, transition_config
    from train.rewards import REWARD_FUNCS

    script, _ = parse("tiny_cpu_dr_t", "--transition_ratio", "0")
    assert transition_config(script) is None and reward_funcs_for(script) == REWARD_FUNCS
