"""The start-up check that a launch trains on the recipe's effective batch (train.grpo)."""

from __future__ import annotations

import pytest

from train.grpo import BatchSizeChanged, OneCpuProcessStarted, check_cpu_launch, check_effective_batch


@pytest.mark.parametrize(
    ("per_device", "processes", "accumulation", "recipe", "effective"),
    [
        (16, 2, 4, 128, 128),  # the paper recipe on 2 GPUs
        (16, 1, 8, 128, 128),  # one GPU, accumulation doubled
        (8, 4, 4, 128, 128),
        (2, 1, 4, 8, 8),  # tiny CPU configs
        (2, 2, 2, 8, 8),  # tiny configs on 2 CPU processes
        (16, 1, 4, None, 64),  # no recipe batch: not checked
    ],
)
def test_the_recipes_batch_passes(per_device, processes, accumulation, recipe, effective) -> None:
    assert check_effective_batch(per_device, processes, accumulation, recipe) == effective


@pytest.mark.parametrize(
    ("per_device", "processes", "accumulation", "recipe", "fixes"),
    [
        # a bare `accelerate launch` (one process) of the 2-GPU recipe: half the batch
        (16, 1, 4, 128, ["launch 2 processes", "--gradient_accumulation_steps 8", "train on 64"]),
        (16, 4, 4, 128, ["--gradient_accumulation_steps 2", "train on 256"]),
        (2, 2, 4, 8, ["launch 1 process (", "--gradient_accumulation_steps 2", "train on 16"]),
        (16, 3, 4, 128, ["launch 2 processes", "train on 192"]),
        (
            48,
            1,
            1,
            128,
            ["choose per_device_train_batch_size and gradient_accumulation_steps", "train on 48"],
        ),
    ],
)
def test_a_changed_batch_names_the_numbers_and_the_fixes(per_device, processes, accumulation, recipe, fixes):
    with pytest.raises(BatchSizeChanged) as raised:
        check_effective_batch(per_device, processes, accumulation, recipe)
    message = str(raised.value)
    assert f"per_device_train_batch_size {per_device} x {processes} process" in message
    assert f"gradient_accumulation_steps {accumulation} = {per_device * processes * accumulation}" in message
    assert f"the recipe trains on {recipe}" in message and "\n" not in message
    for fix in fixes:
        assert fix in message
    assert check_effective_batch(per_device, processes, accumulation, recipe, allow=True) == (
        per_device * processes * accumulation
    )


SIMPLE_LAUNCHER = {"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}
"""What `accelerate launch --cpu --num_processes 2` (no MPI hostfile) hands its one process."""


@pytest.mark.parametrize(
    ("env", "stops"),
    [
        (SIMPLE_LAUNCHER, True),
        ({**SIMPLE_LAUNCHER, "ACCELERATE_USE_CPU": "true"}, True),
        ({"ACCELERATE_USE_CPU": "True"}, False),  # --cpu, one process asked for
        ({**SIMPLE_LAUNCHER, "ACCELERATE_USE_CPU": "False"}, False),  # not --cpu
        ({**SIMPLE_LAUNCHER, "WORLD_SIZE": "2", "RANK": "0"}, False),  # torchrun
        ({**SIMPLE_LAUNCHER, "WORLD_SIZE": "1"}, False),  # torchrun, one process
        ({**SIMPLE_LAUNCHER, "OMPI_COMM_WORLD_SIZE": "2"}, False),  # --mpirun_hostfile (Open MPI)
        ({**SIMPLE_LAUNCHER, "PMI_SIZE": "2"}, False),  # --mpirun_hostfile (Intel MPI, MPICH)
        ({}, False),  # python train/grpo.py
    ],
)
def test_a_cpu_launch_that_started_one_of_several_processes_stops(env: dict[str, str], stops: bool) -> None:
    if not stops:
        check_cpu_launch(env)
        return
    with pytest.raises(OneCpuProcessStarted) as error:
        check_cpu_launch(env)
    message = str(error.value)
    assert "\n" not in message and "--mpirun_hostfile" in message
    assert "accelerate launch --multi_gpu --num_processes N" in message
    assert "accelerate_2proc_cpu.yaml" in message


@pytest.mark.parametrize(
    ("name", "processes"),
    [("toolrl_dr_full", 2), ("toolrl_dr_mixed", 2), ("toolrl_clean", 2), ("toolrl_dr_t", 2),
     ("tiny_cpu", 1), ("tiny_cpu_dr_t", 1)],
)  # fmt: skip
def test_every_config_states_its_batch(name: str, processes: int) -> None:
    from tests.train.test_configs import parse

    script, config = parse(name, "--bf16", "false", "--use_cpu", "true")
    assert script.effective_batch_size is not None and not script.allow_batch_change
    per_device, accumulation = config.per_device_train_batch_size, config.gradient_accumulation_steps
    assert check_effective_batch(per_device, processes, accumulation, script.effective_batch_size)
