"""One evaluation run: samples -> chats -> backend passes -> predictions file (resumable).

Work is split into fixed chunks of the run's item list (``chunk_size``); each chunk is generated
(pass 1 for every item; pass 2 for transition items whose pass 1 made a tool call), then its
records are appended to the file with one write + fsync. Chunk membership depends only on the
dataset, the configs, ``--limit`` and the chunk size, so a restarted run redoes exactly the
chunks that were not completely written and gets the same batches an uninterrupted run had.

Items are processed sample-major (every config of a sample next to each other), so at
temperature 0 identical first-pass chats (the clean sample and its six transition variants)
are generated once per chunk; the file is written in dataset order at the end.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from eval_harness.backends import Backend, BackendOptions, ChatRequest, Generation, make_backend
from eval_harness.conversation import FC_SYSTEM_PROMPT, build_messages, follow_up
from eval_harness.manifest import ModelSettings
from eval_harness.store import Key, PredictionStore
from robustbench_tc import __version__ as PROJECT_VERSION
from robustbench_tc.dataset import dataset_fingerprint, load_samples
from robustbench_tc.predictions import PredictionRecord, RunHeader
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import CONFIG_NAMES, is_transition

#: Bump when what the harness sends changes (prompts, follow-up turns): resuming across it refuses.
PROTOCOL_VERSION = 2

MadeCall = Callable[[Sample, Generation], int]
"""How many tool calls pass 1 made (0: none, so no fault is injected)."""

DEFAULT_CHUNK_SIZE = {"vllm": 1024, "openai": 256, "transformers": 32}


@dataclass(frozen=True)
class RunOptions:
    """What to run and where to write it (the model is ``ModelSettings``)."""

    dataset: Path
    out: Path
    backend: str = "vllm"
    configs: tuple[str, ...] | None = None
    limit: int | None = None
    chunk_size: int | None = None
    overwrite: bool = False
    retry_errors: bool = False
    progress: bool = True
    backend_options: BackendOptions = field(default_factory=BackendOptions)


@dataclass(frozen=True)
class RunSummary:
    out: Path
    records: int
    generated: int
    resumed: int
    transition_injected: int
    errors: int


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


def build_header(settings: ModelSettings, backend: Backend, dataset: Path) -> RunHeader:
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
        extra=extra,
    )


def run_eval(
    settings: ModelSettings,
    options: RunOptions,
    *,
    backend: Backend | None = None,
    made_call: MadeCall = calls_made,
) -> RunSummary:
    """Run (or resume) an evaluation and write ``options.out``.

    A ``backend`` passed in stays open (the caller owns it); one made here is closed at the end.
    """
    by_config = select_samples(options.dataset, options.configs, options.limit)
    items = [_Item(c, s) for c in CONFIG_NAMES if c in by_config for s in by_config[c]]
    dataset_order = [item.key for item in items]
    if backend is not None:
        return _run(settings, options, backend, made_call, items, dataset_order)
    with make_backend(options.backend, settings, options.backend_options) as own:
        return _run(settings, options, own, made_call, items, dataset_order)


def _run(
    settings: ModelSettings,
    options: RunOptions,
    backend: Backend,
    made_call: MadeCall,
    items: list[_Item],
    dataset_order: list[Key],
) -> RunSummary:
    store = PredictionStore(
        options.out, build_header(settings, backend, options.dataset), overwrite=options.overwrite
    )
    done = store.open()
    if options.retry_errors:
        done = {k: r for k, r in done.items() if r.error is None}

    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(item.sample.id, len(first_seen))
    config_rank = {c: i for i, c in enumerate(CONFIG_NAMES)}
    work = sorted(items, key=lambda it: (first_seen[it.sample.id], config_rank[it.config]))
    size = options.chunk_size or DEFAULT_CHUNK_SIZE.get(backend.name, 256)
    chunks = [work[i : i + size] for i in range(0, len(work), size)]
    pending = [chunk for chunk in chunks if not all(it.key in done for it in chunk)]
    partial = [it.key for chunk in pending for it in chunk if it.key in store.records]
    store.drop(partial)  # redo partly written chunks whole: same batches as an uninterrupted run

    n_pending = sum(len(c) for c in pending)
    n_transition = sum(1 for c in pending for it in c if is_transition(it.config))
    bar1 = tqdm(total=n_pending, desc="pass 1", unit="chat", disable=not options.progress)
    bar2 = tqdm(
        total=n_transition,
        desc="pass 2 (transition)",
        unit="chat",
        disable=not options.progress or n_transition == 0,
    )
    injected_total = errors = 0
    dedupe = (settings.temperature or 0.0) == 0.0
    try:
        for chunk in pending:
            records, injected = _run_chunk(chunk, settings, backend, made_call, dedupe, bar1, bar2)
            store.append(records)
            injected_total += injected
            errors += sum(1 for r in records if r.error)
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


def _run_chunk(
    chunk: list[_Item],
    settings: ModelSettings,
    backend: Backend,
    made_call: MadeCall,
    dedupe: bool,
    bar1: Any,
    bar2: Any,
) -> tuple[list[PredictionRecord], int]:
    mode = settings.mode
    tools_for = (lambda s: list(s.tools)) if mode == "fc" else (lambda s: None)
    first = _generate_unique(
        backend,
        [ChatRequest(build_messages(it.sample, mode), tools_for(it.sample)) for it in chunk],
        dedupe,
    )
    bar1.update(len(chunk))

    n_calls = {
        i: int(made_call(it.sample, first[i]))
        for i, it in enumerate(chunk)
        if is_transition(it.config) and first[i].error is None
    }
    second_items = [i for i, n in n_calls.items() if n > 0]
    second_requests = [
        ChatRequest(
            follow_up(
                chunk[i].sample,
                mode,
                first[i].text,
                first[i].tool_calls,
                chunk[i].sample.transition_error,
                n_calls=n_calls[i],
            ),
            tools_for(chunk[i].sample),
        )
        for i in second_items
    ]
    second = (
        dict(zip(second_items, _generate_unique(backend, second_requests, dedupe), strict=True))
        if second_items
        else {}
    )
    bar2.update(sum(1 for it in chunk if is_transition(it.config)))

    records = []
    for i, item in enumerate(chunk):
        one = first[i]
        if not is_transition(item.config):
            records.append(_record(item, one))
        elif i in second:
            records.append(_record(item, second[i], first_pass=one, injected=True))
        else:
            records.append(_record(item, one, first_pass=one, injected=False))
    return records, len(second)


def _record(
    item: _Item,
    generation: Generation,
    *,
    first_pass: Generation | None = None,
    injected: bool | None = None,
) -> PredictionRecord:
    meta = dict(generation.meta)
    if first_pass is not None and injected:
        meta["first_pass"] = dict(first_pass.meta)
    error = generation.error
    if first_pass is not None and first_pass.error and not error:
        error = f"first pass: {first_pass.error}"
    calls = [{"name": c.get("name"), "arguments": c.get("arguments")} for c in generation.tool_calls]
    return PredictionRecord(
        id=item.sample.id,
        perturbation=item.sample.perturbation,
        raw_output=generation.text,
        first_pass_output=first_pass.text if first_pass is not None else None,
        transition_injected=injected,
        tool_calls=calls or None,
        error=error,
        meta=meta,
    )
