"""ToolRL-DR with TRL's GRPOTrainer (paper §5, Appendix M).

    accelerate launch --config_file train/configs/accelerate_2gpu.yaml \\
        train/grpo.py --config train/configs/toolrl_dr_full.yaml

Arguments come from ``ScriptArguments`` (model and data) and TRL's ``GRPOConfig`` (everything
else); a ``--config`` YAML sets them and command-line flags override it. The reward is ToolRL's
(``train.rewards``): format and correctness as two reward functions so that each is logged.
Multi-GPU runs go through accelerate (DDP or DeepSpeed configs in ``train/configs``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    _ROOT = str(Path(__file__).resolve().parents[1])
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = _ROOT
    elif _ROOT not in sys.path:
        sys.path.insert(0, _ROOT)

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict
    from trl import GRPOConfig


@dataclass(frozen=True)
class ScriptArguments:
    """Model and data of a ToolRL-DR run (the rest is ``GRPOConfig``)."""

    model_name_or_path: str = field(
        default="Qwen/Qwen2.5-3B-Instruct",
        metadata={"help": "the policy to train: a Hub model id or a local folder"},
    )
    dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "training data: a folder written by `robustbench-tc make-train-data`, a "
            "`save_to_disk` folder, or a Hub dataset id"
        },
    )
    dataset_config: str | None = field(
        default="dr_full", metadata={"help": "training set: clean, dr_full or dr_mixed"}
    )
    dataset_train_split: str = field(default="train", metadata={"help": "split to train on"})
    dataset_test_split: str = field(default="validation", metadata={"help": "split to evaluate on"})
    max_prompt_length: int | None = field(
        default=2048,
        metadata={
            "help": "drop prompts longer than this many tokens (chat template applied), like "
            "veRL's data.max_prompt_length; TRL itself no longer truncates prompts"
        },
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "train on the first N rows only (smoke tests)"}
    )
    max_eval_samples: int | None = field(
        default=None, metadata={"help": "evaluate on the first N rows only (smoke tests)"}
    )


def load_splits(args: ScriptArguments) -> DatasetDict:
    """The training data as a ``DatasetDict`` (a local folder or a Hub dataset)."""
    import datasets

    if not args.dataset_name:
        raise ValueError(
            "dataset_name is required (a folder from `robustbench-tc make-train-data` or a Hub id)"
        )
    path = Path(args.dataset_name)
    if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file()):
        loaded = datasets.load_from_disk(str(path))
        return loaded if isinstance(loaded, datasets.DatasetDict) else datasets.DatasetDict(train=loaded)
    return datasets.load_dataset(args.dataset_name, args.dataset_config)


def check_columns(dataset: Dataset, split: str) -> None:
    missing = {"prompt", "ground_truth"} - set(dataset.column_names)
    if missing:
        raise ValueError(
            f"split {split!r} lacks column(s) {sorted(missing)}; build the data with "
            "`robustbench-tc make-train-data`"
        )


def drop_overlong(dataset: Dataset, tokenizer: Any, max_tokens: int | None) -> Dataset:
    """Drop rows whose prompt (chat template and generation prompt applied) exceeds ``max_tokens``."""
    if max_tokens is None:
        return dataset

    def fits(row: dict[str, Any]) -> bool:
        ids = tokenizer.apply_chat_template(
            row["prompt"], add_generation_prompt=True, tokenize=True, return_dict=True
        )
        return len(ids["input_ids"]) <= max_tokens

    return dataset.filter(fits, desc=f"dropping prompts over {max_tokens} tokens")


def check_toolrl_config(config: GRPOConfig) -> None:
    """Fail early on settings that would silently change the recipe."""
    from train.rewards import REWARD_FUNCS

    if config.reward_weights is not None and len(config.reward_weights) != len(REWARD_FUNCS):
        names = ", ".join(f.__name__ for f in REWARD_FUNCS)
        raise ValueError(
            f"reward_weights needs {len(REWARD_FUNCS)} values ({names}), got {config.reward_weights}"
        )
    if config.remove_unused_columns:
        raise ValueError("remove_unused_columns must be false: the reward reads the ground_truth column")


def main(argv: list[str] | None = None) -> Path:
    """Parse arguments, train, save the model, tokenizer and trainer state; return output_dir."""
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer, TrlParser

    from train.rewards import REWARD_FUNCS

    parser = TrlParser((ScriptArguments, GRPOConfig))
    script_args, training_args = parser.parse_args_and_config(argv)
    check_toolrl_config(training_args)

    splits = load_splits(script_args)
    tokenizer = AutoTokenizer.from_pretrained(script_args.model_name_or_path)
    train_dataset = splits[script_args.dataset_train_split]
    check_columns(train_dataset, script_args.dataset_train_split)
    if script_args.max_train_samples is not None:
        train_dataset = train_dataset.select(range(min(script_args.max_train_samples, len(train_dataset))))
    train_dataset = drop_overlong(train_dataset, tokenizer, script_args.max_prompt_length)
    eval_dataset = None
    if training_args.eval_strategy != "no":
        eval_dataset = splits[script_args.dataset_test_split]
        check_columns(eval_dataset, script_args.dataset_test_split)
        if script_args.max_eval_samples is not None:
            eval_dataset = eval_dataset.select(range(min(script_args.max_eval_samples, len(eval_dataset))))
        eval_dataset = drop_overlong(eval_dataset, tokenizer, script_args.max_prompt_length)

    trainer = GRPOTrainer(
        model=script_args.model_name_or_path,
        reward_funcs=list(REWARD_FUNCS),
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)

    out = Path(training_args.output_dir)
    trainer.save_model(str(out))
    trainer.save_state()
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(str(out))
        run = {
            "script_args": asdict(script_args),
            "train_rows": len(train_dataset),
            "eval_rows": len(eval_dataset) if eval_dataset is not None else 0,
            "grpo_config": json.loads(training_args.to_json_string()),
        }
        (out / "toolrl_dr_run.json").write_text(
            json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8"
        )
    if hasattr(trainer, "end"):
        trainer.end()
    return out


if __name__ == "__main__":
    main()
