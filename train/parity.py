"""Collective parity of DR+T rollouts across ranks (issue 24).

Every generation of the policy is a collective under ZeRO-3: transformers generation gathers the
sharded weights (``unwrap_model_for_generation``), vLLM colocate with sleep mode re-syncs them
before each call, and vLLM server mode gathers the prompts (``gather_object``). A rank that skips a
generation another rank makes leaves that rank waiting, and the run hangs. So the rollout
(``train.transition.run_episodes``) decides how many prompts each later turn generates across ranks
first (``max_over_ranks``) and pads the ranks with fewer episodes with masked no-op prompts.

``GenerationLedger`` records each rank's generation calls; ``check_parity`` compares the ledgers of
all ranks at the end of a run and fails with ``CollectiveMismatch`` if they differ (under DDP with
transformers generation a mismatch does not hang, so this is where it shows).

>>> compare_ledgers([[("train", 8, 0), ("train", 3, 1)], [("train", 8, 0), ("train", 3, 3)]]) is None
True
>>> compare_ledgers([[("train", 8, 0), ("train", 3, 0)], [("train", 8, 0)]])
'rank 0 made 2 generation calls (train 8 + 3 prompts), rank 1 made 1 (train 8 prompts)'
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.errors import RobustBenchError

Call = tuple[str, int, int]
"""One generation call: ``(mode, prompts, of which padding)``."""


class CollectiveMismatch(RobustBenchError):
    """Ranks made different generation calls: under ZeRO-3 or vLLM server mode this run would hang."""


@dataclass
class GenerationLedger:
    """One rank's generation calls, in order."""

    calls: list[Call] = field(default_factory=list)

    def record(self, mode: str, prompts: int, padding: int) -> None:
        self.calls.append((mode, prompts, padding))

    def summary(self) -> dict[str, Any]:
        """Counts a person reads: calls, prompts and padded prompts per mode."""
        out: dict[str, Any] = {}
        for mode, prompts, padding in self.calls:
            row = out.setdefault(mode, {"calls": 0, "prompts": 0, "padding": 0})
            row["calls"] += 1
            row["prompts"] += prompts
            row["padding"] += padding
        return out


def _describe(calls: Sequence[Call]) -> str:
    modes = "/".join(sorted({m for m, _, _ in calls})) or "no"
    return f"({modes} {' + '.join(str(p) for _, p, _ in calls) or 0} prompts)"


def compare_ledgers(ledgers: Sequence[Sequence[Call]]) -> str | None:
    """None when every rank made the same generation calls with the same number of prompts, else
    what differs (the padding may differ: it is what makes the calls equal)."""
    shapes = [[(mode, prompts) for mode, prompts, _ in calls] for calls in ledgers]
    if all(s == shapes[0] for s in shapes):
        return None
    other = next(i for i, s in enumerate(shapes) if s != shapes[0])
    return (
        f"rank 0 made {len(ledgers[0])} generation calls {_describe(ledgers[0])}, "
        f"rank {other} made {len(ledgers[other])} {_describe(ledgers[other])}"
    )


def max_over_ranks(accelerator: Any) -> Callable[[int], int]:
    """``sync(n)``: the largest ``n`` over all ranks (one all-gather; the identity on one process)."""
    if getattr(accelerator, "num_processes", 1) <= 1:
        return lambda n: n

    def sync(n: int) -> int:
        import torch

        local = torch.tensor([n], dtype=torch.long, device=accelerator.device)
        return int(accelerator.gather(local).max().item())

    return sync


def check_parity(ledger: GenerationLedger, accelerator: Any) -> dict[str, Any]:
    """Gather every rank's ledger (a collective: call it on every rank) and compare them.

    Returns ``{"ranks": [per-rank summary], "equal": True}``; raises ``CollectiveMismatch`` if the
    ranks' generation calls differ."""
    if getattr(accelerator, "num_processes", 1) <= 1:
        ledgers = [ledger.calls]
    else:
        from accelerate.utils import gather_object

        ledgers = gather_object([ledger.calls])
    problem = compare_ledgers(ledgers)
    report = {"ranks": [GenerationLedger(list(c)).summary() for c in ledgers], "equal": problem is None}
    if problem is not None:
        raise CollectiveMismatch(
            f"DR+T ranks made different generation calls: {problem}. Under ZeRO-3 or vLLM server mode "
            "this run would hang; every rank must generate each turn (train/transition.py pads it)."
        )
    return report


def leave_process_group(accelerator: Any) -> None:
    """End a run on every rank, last (a collective; in place of ``trainer.end()``): line the ranks
    up, finish the trackers, then leave the process group. Under gloo (CPU, several processes) the
    process ends here with status 0, after flushing its output; otherwise the call returns after
    ``accelerator.end_training()`` (trackers finished, group destroyed), as ``trainer.end()`` does.

    Gloo's group must not be destroyed with the GIL held, which is how both
    ``destroy_process_group()`` (inside ``trainer.end()``) and interpreter teardown destroy it: its
    destructor joins its worker threads, and a worker still dropping the tensors of the last
    all-gather waits for the GIL (pytorch/pytorch#190489). Rank 0 then hung after writing every
    output (py-spy: ``~Reducer`` -> ``~ProcessGroupGloo`` -> ``thread::join`` on the main thread,
    ``~AsyncAllgatherWork`` -> ``gil_scoped_acquire`` on a gloo worker). ``os._exit`` runs no
    destructor and no atexit hook, so every output is written and closed before this call.
    """
    import torch.distributed as dist

    several = getattr(accelerator, "num_processes", 1) > 1 and dist.is_available() and dist.is_initialized()
    if several:
        accelerator.wait_for_everyone()
    if several and dist.get_backend() == "gloo":
        for tracker in getattr(accelerator, "trackers", []):
            tracker.finish()
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)
    accelerator.end_training()
