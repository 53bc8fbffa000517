"""One evaluation run: samples -> chats -> backend passes -> predictions file (resumable).

Work is split into chunks of the run's item list; each chunk is generated (pass 1 for every
item; pass 2 for transition items whose pass 1 made a tool call), then its records are appended
to the file with one write + fsync, so a kill loses at most the chunk in flight.

- By default chunk sizes follow the measured throughput: each chunk is sized to take about
  ``flush_seconds`` (60 s) at the rate the previous one ran, growing at most 4x per chunk up to the
  backend's cap (vllm 1024, openai 256, transformers 32) and, on a GPU, never below what fills the
  engine (256 for vLLM), so a fast engine still gets its large batches. Chunks end on a sample
  boundary (the clean row and its transition copies stay together for dedupe). A restart keeps
  every record already written and generates the rest.
- With a fixed ``chunk_size`` chunk membership depends only on the dataset, the configs,
  ``--limit`` and the size, so a restarted run redoes exactly the chunks that were not completely
  written and gets the same batches an uninterrupted run had (byte-identical files).

Items are processed sample-major (every config of a sample next to each other), so at
temperature 0 identical first-pass chats (the clean sample and its six transition variants)
are generated once per chunk; the file is written in dataset order at the end.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from eval_harness.backends import Backend, BackendOptions, ChatRequest, Generation, make_backend
from eval_harness.conversation import FC_SYSTEM_PROMPT, Turn, build_messages, episode_messages, fault_turn
from eval_harness.manifest import ModelSettings
from eval_harness.store import Key, PredictionStore, ResumeError, header_differences
from robustbench_tc import __version__ as PROJECT_VERSION
from robustbench_tc.dataset import dataset_fingerprint, load_samples
from robustbench_tc.predictions import PredictionRecord, RunHeader, TrajectoryStep
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import config_names, is_runtime, is_transition
from robustbench_tc.world.core import WORLD_VERSION
from robustbench_tc.world.episode import DEFAULT_STEP_LIMIT, Episode

#: Bump when what the harness sends changes (prompts, follow-up turns): resuming across it refuses.
PROTOCOL_VERSION = 2

MadeCall = Callable[[Sample, Generation], int]
"""How many tool calls pass 1 made (0: none, so no fault is injected)."""

#: Largest chunk per backend (and the fixed size a plain ``--chunk-size`` default used to be).
MAX_CHUNK_SIZE = {"vllm": 1024, "openai": 256, "transformers": 32}
#: First chunk of an adaptive run, before any throughput is known.
FIRST_CHUNK_SIZE = 16
#: Chunk growth limit: the rate measured on a small chunk understates a big batch's.
MAX_GROWTH = 4
DEFAULT_FLUSH_SECONDS = 60.0


@dataclass(frozen=True)
class RunOptions:
    """What to run and where to write it (the model is ``ModelSettings``)."""

    dataset: Path
    out: Path
    backend: str = "vllm"
    configs: tuple[str, ...] | None = None
    limit: int | None = None
    chunk_size: int | None = None
    """Fixed chunk size (deterministic batches); ``None``: sized from throughput (``flush_seconds``)."""
    flush_seconds: float = DEFAULT_FLUSH_SECONDS
    """Adaptive chunks: target seconds of work between two flushes (what a kill can lose)."""
    shard: tuple[int, int] | None = None
    """``(rank, world)``: only samples at positions ``rank`` mod ``world`` (data parallelism)."""
    overwrite: bool = False
    retry_errors: bool = False
    progress: bool = True
    step_limit: int = DEFAULT_STEP_LIMIT
    """Runtime configs: model turns per episode (recorded in the header)."""
    backend_options: BackendOptions = field(default_factory=BackendOptions)


@dataclass(frozen=True)
class RunSummary:
    out: Path
    records: int
    generated: int
    resumed: int
    transition_injected: int
    errors: int
    episode_turns: int = 0
    """Model turns generated for runtime episodes (their first turns included)."""


@dataclass
class _Item:
    config: str
    sample: Sample

    @property
    def key(self) -> Key:
        return self.sample.key


def calls_made(sample: Sample, generation: Generation) -> int:
    """How many tool calls pass 1 made: the structured calls the API returned, else the calls
    the project's one rule finds in the raw text (``robustbench_tc.parsing.made_calls``: a call
    mentioned in prose, math or example code is not made, so no fault is injected after it)."""
    if generation.tool_calls:
        return len(generation.tool_calls)
    from robustbench_tc.parsing import made_calls

    return len(made_calls(generation.text, sample.source))


def select_samples(
    dataset: Path, configs: Sequence[str] | None, limit: int | None
) -> dict[str, list[Sample]]:
    """Rows per config in dataset order; ``limit`` keeps the first N rows of each config."""
    by_config = load_samples(dataset, configs)
    if limit is not None:
        by_config = {c: rows[:limit] for c, rows in by_config.items()}
    return by_config


def build_header(
    settings: ModelSettings, backend: Backend, dataset: Path, step_limit: int | None = None
) -> RunHeader:
    extra: dict[str, Any] = {
        "model_path": settings.model,
        "dtype": settings.dtype,
        "max_model_len": settings.max_model_len,
        "chat_template_kwargs": settings.chat_template_kwargs,
        "protocol_version": PROTOCOL_VERSION,
    }
    if settings.mode == "fc":
        extra["fc_system_prompt"] = FC_SYSTEM_PROMPT
    return RunHeader(
        model=settings.name,
        model_revision=backend.model_revision(),
        engine=backend.name,
        engine_version=backend.engine_version(),
        mode=settings.mode,
        sampling=settings.sampling(),
        dataset_fingerprint=dataset_fingerprint(dataset),
        project_version=PROJECT_VERSION,
        created_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        step_limit=step_limit,
        world_version=WORLD_VERSION if step_limit is not None else None,
        extra=extra,
    )


def run_eval(
    settings: ModelSettings,
    options: RunOptions,
    *,
    backend: Backend | None = None,
    made_call: MadeCall = calls_made,
    clock: Callable[[], float] = time.monotonic,
) -> RunSummary:
    """Run (or resume) an evaluation and write ``options.out``.

    A ``backend`` passed in stays open (the caller owns it); one made here is closed at the end
    (also when the run is interrupted: see ``eval_harness.shutdown``).
    """
    items = select_items(options)
    dataset_order = [item.key for item in items]
    if backend is not None:
        return _run(settings, options, backend, made_call, items, dataset_order, clock)
    with make_backend(options.backend, settings, options.backend_options) as own:
        return _run(settings, options, own, made_call, items, dataset_order, clock)


def select_items(options: RunOptions) -> list[_Item]:
    """The run's (config, sample) items in dataset order; with ``shard``, only that rank's
    samples (by the sample's first position, so all configs of a sample go to one rank)."""
    by_config = select_samples(options.dataset, options.configs, options.limit)
    items = [_Item(c, s) for c in config_names() if c in by_config for s in by_config[c]]
    if options.shard is None:
        return items
    rank, world = options.shard
    position: dict[str, int] = {}
    for item in items:
        position.setdefault(item.sample.id, len(position))
    return [item for item in items if position[item.sample.id] % world == rank]


def merge_shards(options: RunOptions, paths: Sequence[Path]) -> None:
    """Write ``options.out`` from the ranks' finished files: their common header (the earliest
    ``created_at``) and every record in dataset order, as a single-process run writes it."""
    headers, records = [], {}
    for path in paths:
        store = PredictionStore(path, RunHeader(model="?", engine="?"))
        header, found = store._read_existing()
        if header is None:
            raise ResumeError(f"{path} has no run header; run the same command again to redo it")
        headers.append(header)
        records.update(found)
    for path, header in zip(paths[1:], headers[1:]):
        differences = header_differences(headers[0], header)
        if differences:
            raise ResumeError(f"{path} and {paths[0]} come from different runs ({'; '.join(differences)})")
    created = min((h.created_at for h in headers if h.created_at), default=None)
    merged = PredictionStore(
        options.out, headers[0].model_copy(update={"created_at": created}), overwrite=True
    )
    merged.open()
    merged.records = records
    merged.finalize([item.key for item in select_items(dataclasses.replace(options, shard=None))])


def next_chunk_size(previous: int, seconds: float, target_s: float, floor: int, cap: int) -> int:
    """Items for the next chunk: about ``target_s`` of work at the rate the previous chunk ran
    (``previous`` items in ``seconds``), at most ``MAX_GROWTH`` times the previous one, within
    [``floor``, ``cap``].

    >>> next_chunk_size(16, seconds=2.0, target_s=60, floor=1, cap=1024)   # fast: grow 4x
    64
    >>> next_chunk_size(16, seconds=120.0, target_s=60, floor=1, cap=1024)  # slow: shrink
    8
    >>> next_chunk_size(16, seconds=600.0, target_s=60, floor=1, cap=1024)
    1
    >>> next_chunk_size(512, seconds=1.0, target_s=60, floor=256, cap=1024)
    1024
    >>> next_chunk_size(16, seconds=600.0, target_s=60, floor=256, cap=1024)  # GPU floor
    256
    """
    fit = int(previous * target_s / seconds) if seconds > 0 else cap
    return max(1, floor, min(cap, previous * MAX_GROWTH, fit))


def _sample_boundary(work: Sequence[_Item], end: int) -> int:
    """``end`` moved forward to the end of the sample it cuts through."""
    while 0 < end < len(work) and work[end].sample.id == work[end - 1].sample.id:
        end += 1
    return end


def _run(
    settings: ModelSettings,
    options: RunOptions,
    backend: Backend,
    made_call: MadeCall,
    items: list[_Item],
    dataset_order: list[Key],
    clock: Callable[[], float],
) -> RunSummary:
    settings = backend.adapt(settings)
    # the step limit is part of a run with runtime configs (a file without them keeps the old header)
    step_limit = options.step_limit if any(is_runtime(it.config) for it in items) else None
    store = PredictionStore(
        options.out, build_header(settings, backend, options.dataset, step_limit), overwrite=options.overwrite
    )
    done = store.open()
    if options.retry_errors:
        done = {k: r for k, r in done.items() if r.error is None}

    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(item.sample.id, len(first_seen))
    config_rank = {c: i for i, c in enumerate(config_names())}
    work = sorted(items, key=lambda it: (first_seen[it.sample.id], config_rank[it.config]))
    cap = MAX_CHUNK_SIZE.get(backend.name, 256)
    if options.chunk_size:
        size = options.chunk_size
        chunks = [work[i : i + size] for i in range(0, len(work), size)]
        pending_chunks = [chunk for chunk in chunks if not all(it.key in done for it in chunk)]
        partial = [it.key for chunk in pending_chunks for it in chunk if it.key in store.records]
        store.drop(partial)  # redo partly written chunks whole: same batches as an uninterrupted run
        pending = [it for chunk in pending_chunks for it in chunk]
    else:
        pending = [it for it in work if it.key not in done]
        store.drop([it.key for it in pending if it.key in store.records])  # --retry-errors

    n_pending = len(pending)
    n_later = sum(1 for it in pending if is_transition(it.config) or is_runtime(it.config))
    bar1 = tqdm(total=n_pending, desc="pass 1", unit="chat", disable=not options.progress)
    bar2 = tqdm(
        desc="later turns (transition pass 2, episodes)",
        unit="chat",
        disable=not options.progress or n_later == 0,
    )
    injected_total = errors = turns_total = 0
    dedupe = (settings.temperature or 0.0) == 0.0
    floor = min(cap, backend.min_chunk_size)
    size = options.chunk_size or max(floor, FIRST_CHUNK_SIZE)
    try:
        if pending:
            backend.load()
        start = 0
        while start < len(pending):
            end = start + size if options.chunk_size else _sample_boundary(pending, start + size)
            chunk = pending[start:end]
            began = clock()
            records, injected, turns = _run_chunk(
                chunk, settings, backend, made_call, dedupe, bar1, bar2, options.step_limit
            )
            store.append(records)
            if not options.chunk_size:
                size = next_chunk_size(len(chunk), clock() - began, options.flush_seconds, floor, cap)
            injected_total += injected
            turns_total += turns
            errors += sum(1 for r in records if r.error)
            start = end
    finally:
        bar1.close()
        bar2.close()
    if store.header.model_revision is None:  # a Hub model the engine downloaded during the run
        store.header = store.header.model_copy(update={"model_revision": backend.model_revision()})
    store.finalize(dataset_order)
    return RunSummary(
        out=options.out,
        records=len(store.records),
        generated=n_pending,
        resumed=len(items) - n_pending,
        transition_injected=injected_total,
        errors=errors,
        episode_turns=turns_total,
    )


def _generate_unique(backend: Backend, requests: list[ChatRequest], dedupe: bool) -> list[Generation]:
    """One backend call for the pass; identical chats share one generation when ``dedupe``."""
    if not dedupe:
        return backend.generate(requests)
    index: dict[str, int] = {}
    unique: list[ChatRequest] = []
    slots = []
    for request in requests:
        key = _request_key(request)
        if key not in index:
            index[key] = len(unique)
            unique.append(request)
        slots.append(index[key])
    outputs = backend.generate(unique) if unique else []
    if len(outputs) != len(unique):
        raise RuntimeError(
            f"backend {backend.name!r} returned {len(outputs)} outputs for {len(unique)} requests"
        )
    return [outputs[s] for s in slots]


def _request_key(request: ChatRequest) -> str:
    tools = [t.model_dump() for t in request.tools] if request.tools is not None else None
    return json.dumps([request.messages, tools], sort_keys=True, ensure_ascii=False)


class _Play:
    """One item's turns while its chunk runs: one turn (paper configs), a two-pass transition (a
    one-fault episode: pass 1, the fault as the tools' answer, pass 2), or a runtime episode in the
    tool world (``robustbench_tc.world.Episode``) until a final answer or the step limit."""

    def __init__(self, item: _Item, mode: str, step_limit: int) -> None:
        self.item = item
        self.mode = mode
        self.generations: list[Generation] = []
        self.turns: list[Turn] = []
        self.injected = False
        self.done = False
        self.episode = Episode(item.sample, step_limit) if is_runtime(item.config) else None

    def request(self) -> ChatRequest:
        sample = self.item.sample
        tools = list(sample.tools) if self.mode == "fc" else None
        if not self.turns:
            return ChatRequest(build_messages(sample, self.mode), tools)
        return ChatRequest(episode_messages(sample, self.mode, self.turns), tools)

    def feed(self, generation: Generation, made_call: MadeCall) -> None:
        self.generations.append(generation)
        sample = self.item.sample
        if generation.error is not None:
            self.done = True
        elif self.episode is not None:
            step = self.episode.feed(generation.text)
            self.turns.append(Turn(generation.text, generation.tool_calls, step.observations))
            self.done = self.episode.done
        elif is_transition(self.item.config) and len(self.generations) == 1:
            n_calls = int(made_call(sample, generation))
            self.injected = n_calls > 0
            self.done = not self.injected
            if self.injected:
                self.turns.append(
                    fault_turn(
                        self.mode,
                        sample.source,
                        generation.text,
                        generation.tool_calls,
                        sample.transition_error,
                        n_calls,
                    )  # fmt: skip
                )
        else:
            self.done = True

    def record(self) -> PredictionRecord:
        last = self.generations[-1]
        if self.episode is not None:
            return _record(self.item, last, episode=self)
        if is_transition(self.item.config):
            return _record(self.item, last, first_pass=self.generations[0], injected=self.injected)
        return _record(self.item, last)


def _run_chunk(
    chunk: list[_Item],
    settings: ModelSettings,
    backend: Backend,
    made_call: MadeCall,
    dedupe: bool,
    bar1: Any,
    bar2: Any,
    step_limit: int = DEFAULT_STEP_LIMIT,
) -> tuple[list[PredictionRecord], int, int]:
    """Every item of the chunk to its end, one batched backend call per round of turns; returns the
    records, the transition faults injected and the runtime turns generated."""
    plays = [_Play(item, settings.mode, step_limit) for item in chunk]
    active = plays
    first = True
    while active:
        generations = _generate_unique(backend, [p.request() for p in active], dedupe)
        for play, generation in zip(active, generations, strict=True):
            play.feed(generation, made_call)
        (bar1 if first else bar2).update(len(active))
        first = False
        active = [p for p in active if not p.done]
    injected = sum(1 for p in plays if p.injected)
    turns = sum(len(p.generations) for p in plays if p.episode is not None)
    return [p.record() for p in plays], injected, turns


def _record(
    item: _Item,
    generation: Generation,
    *,
    first_pass: Generation | None = None,
    injected: bool | None = None,
    episode: _Play | None = None,
) -> PredictionRecord:
    meta = dict(generation.meta)
    if first_pass is not None and injected:
        meta["first_pass"] = dict(first_pass.meta)
    error = generation.error
    if first_pass is not None and first_pass.error and not error:
        error = f"first pass: {first_pass.error}"
    trajectory = None
    if episode is not None:
        steps = episode.episode.steps if episode.episode is not None else []
        trajectory = [TrajectoryStep(output=s.output, observations=s.observations) for s in steps]
        if generation.error is not None:  # the failed turn: no output, nothing answered
            trajectory.append(TrajectoryStep(output=""))
        meta = {"steps": [dict(g.meta) for g in episode.generations]}
    calls = [{"name": c.get("name"), "arguments": c.get("arguments")} for c in generation.tool_calls]
    return PredictionRecord(
        id=item.sample.id,
        perturbation=item.sample.perturbation,
        raw_output=generation.text if generation.error is None or episode is None else "",
        first_pass_output=first_pass.text if first_pass is not None else None,
        transition_injected=injected,
        trajectory=trajectory,
        tool_calls=calls or None,
        error=error,
        meta=meta,
    )
