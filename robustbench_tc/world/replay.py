"""Server-side replay: a client's tool results are never trusted.

Every runtime record's trajectory is played again in the row's world: each turn's text is read
with the one call rule, the world answers the calls, and its tool messages must equal the ones the
record holds, byte for byte.  The trajectory must also end where the episode ends: after a turn
without a call the world executes (a final answer), or at the run's step limit.  ``score`` and the
Space refuse a file with any violation, naming the first records (as the transition protocol check
does), and score the replayed episodes, never the client's view of them.

>>> from robustbench_tc.gold import GoldRow
>>> from robustbench_tc.predictions import PredictionRecord, TrajectoryStep
>>> from robustbench_tc.records import GoldAnswer, GoldCall, Tool
>>> row = GoldRow("toolalpaca__x", "toolalpaca__x", "toolalpaca", "episode_clean",
...               [GoldAnswer(calls=[GoldCall(name="f")])], [Tool(name="f")])
>>> forged = PredictionRecord(id="toolalpaca__x", perturbation="episode_clean", raw_output="Final Answer: 42",
...     trajectory=[TrajectoryStep(output="Action: f\\nAction Input: {}", observations=['{"status": "success"}']),
...                 TrajectoryStep(output="Final Answer: 42")])
>>> print(replay(row, forged, 4)[1])
toolalpaca__x/episode_clean: step 1: the tool messages differ from the world's (1 sent, 1 expected; first difference at message 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.predictions import PredictionRecord, PredictionsFile
from robustbench_tc.taxonomy import is_runtime
from robustbench_tc.world.core import WORLD_VERSION
from robustbench_tc.world.episode import DEFAULT_STEP_LIMIT, Episode

MAX_LISTED = 5
"""Violations named in the error message (the count is always complete)."""


class TrajectoryReplayError(RobustBenchError):
    """A predictions file whose trajectories do not replay in the tool world."""


def step_limit_of(predictions: PredictionsFile) -> int:
    """The run's step limit (the header's, else the default)."""
    header = predictions.header
    return header.step_limit if header is not None and header.step_limit else DEFAULT_STEP_LIMIT


def version_problem(predictions: PredictionsFile) -> str | None:
    """Why the file's trajectories cannot be replayed by this world version, or ``None``."""
    header = predictions.header
    version = header.world_version if header is not None else None
    if version is not None and version != WORLD_VERSION:
        return (
            f"the trajectories were played in tool world version {version}, and this scorer runs version "
            f"{WORLD_VERSION}: rerun the runtime configs with this version of robustbench-tc"
        )
    return None


def replay(row: Any, record: PredictionRecord, step_limit: int) -> tuple[Episode, str | None]:
    """The record's episode replayed in ``row``'s world, and its first violation (``None``: it replays)."""
    where = f"{record.id}/{record.perturbation}"
    episode = Episode(row, step_limit)
    steps = record.trajectory or []
    if not steps:
        return episode, f"{where}: no trajectory (a runtime record holds every turn of its episode)"
    for k, step in enumerate(steps, 1):
        if episode.done:
            return episode, (
                f"{where}: the trajectory goes on after the episode ended at step {k - 1} "
                f"({'a final answer' if episode.ended_by_answer else f'the step limit {step_limit}'})"
            )
        expected = episode.feed(step.output).observations
        if list(step.observations) != expected:
            first = next((i for i, (a, b) in enumerate(zip(step.observations, expected), 1) if a != b),
                         min(len(step.observations), len(expected)) + 1)  # fmt: skip
            return episode, (
                f"{where}: step {k}: the tool messages differ from the world's ({len(step.observations)} sent, "
                f"{len(expected)} expected; first difference at message {first})"
            )
    if not episode.done:
        return episode, (
            f"{where}: the trajectory stops after step {len(steps)}, whose calls the world answered, "
            f"before a final answer or the step limit {step_limit}"
        )
    if record.raw_output != steps[-1].output:
        return episode, f"{where}: raw_output is not the trajectory's last output"
    return episode, None


def replay_file(
    rows: Mapping[tuple[str, str], Any], predictions: PredictionsFile
) -> tuple[dict[tuple[str, str], Episode], list[str]]:
    """Replay every runtime record of ``predictions`` known to ``rows`` (key -> dataset row);
    returns the replayed episodes and every violation."""
    limit = step_limit_of(predictions)
    problem = version_problem(predictions)
    runtime = [r for r in predictions.records if is_runtime(r.perturbation) and r.key in rows]
    if problem is not None:
        return {}, [problem] if runtime else []
    episodes: dict[tuple[str, str], Episode] = {}
    violations: list[str] = []
    for record in runtime:
        episode, violation = replay(rows[record.key], record, limit)
        if violation is not None:
            violations.append(violation)
        else:
            episodes[record.key] = episode
    return episodes, violations


def check_trajectories(
    rows: Mapping[tuple[str, str], Any], predictions: PredictionsFile, *, label: str = ""
) -> dict[tuple[str, str], Episode]:
    """The replayed episodes of every runtime record, or ``TrajectoryReplayError`` naming the first
    violations (nothing is scored)."""
    episodes, problems = replay_file(rows, predictions)
    if problems:
        shown = "; ".join(problems[:MAX_LISTED])
        more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise TrajectoryReplayError(
            f"{label}{len(problems)} runtime record(s) do not replay in the tool world, nothing was scored: "
            f"{shown}{more}"
        )
    return episodes


def runtime_rows(samples: Mapping[str, Sequence[Any]]) -> dict[tuple[str, str], Any]:
    """key -> row for the runtime configs of a dataset (``load_gold`` / ``load_samples`` output)."""
    return {row.key: row for config, rows in samples.items() if is_runtime(config) for row in rows}
