"""A tiny random-weight Qwen2 chat model with a locally trained tokenizer, built fully offline.

Used by the harness and training tests: it loads with transformers and runs in vLLM CPU
(head_dim 64, float32). Its outputs are garbage, which is fine for plumbing tests.

>>> from pathlib import Path
>>> import tempfile
>>> path = build_tiny_model(Path(tempfile.mkdtemp()) / "tiny")   # doctest: +SKIP
>>> (path / "config.json").is_file()                               # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

#: Bump when the recipe below changes, so cached builds are not reused.
RECIPE_VERSION = 2

MODEL_SPEC: dict[str, int | float | str] = {
    "hidden_size": 128,
    "num_attention_heads": 2,  # head_dim 64: the smallest vLLM CPU supports
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "intermediate_size": 256,
    "max_position_embeddings": 8192,
    "vocab_target": 1024,
    "dtype": "float32",
}

EOS_TOKEN = "<|im_end|>"
PAD_TOKEN = "<|endoftext|>"
SPECIAL_TOKENS = [PAD_TOKEN, "<|im_start|>", EOS_TOKEN]
#: Added tokens that are not special, as in Qwen2.5: decoding with ``skip_special_tokens`` keeps them.
TOOL_TAGS = ["<tool_call>", "</tool_call>"]

#: ChatML with tools: system/user/assistant/tool roles, assistant `tool_calls` rendered as
#: `<tool_call>{json}</tool_call>`, a `tools` list rendered into the system turn.
CHAT_TEMPLATE = """\
{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages and messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}
{{- '# Tools\\nYou may call one or more functions. Function signatures:\\n<tools>' }}
{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}
{{- '\\n</tools>\\nReturn each call as <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>.<|im_end|>\\n' }}
{%- elif messages and messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' %}
{%- if not loop.first %}{{- '<|im_start|>system\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant\\n' }}
{%- if message.content %}{{- message.content }}{%- endif %}
{%- if message.tool_calls %}
{%- for call in message.tool_calls %}
{%- set fn = call.function if call.function is defined else call %}
{{- '\\n<tool_call>{\"name\": \"' + fn.name + '\", \"arguments\": ' }}
{%- if fn.arguments is string %}{{- fn.arguments }}{%- else %}{{- fn.arguments | tojson }}{%- endif %}
{{- '}</tool_call>' }}
{%- endfor %}
{%- endif %}
{{- '<|im_end|>\\n' }}
{%- else %}
{{- '<|im_start|>' + message.role + '\\n' + (message.content or '') + '<|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""

_WORDS = (
    "the a an of to in for on with from by at as is are was be can will should please find get "
    "set send make book check search list create update delete show tell give weather city date "
    "time user name email phone number address order price flight hotel room movie song music "
    "news stock market account balance meeting calendar reminder note file image text language "
    "translate convert currency amount unit temperature location distance route map restaurant "
    "recipe food health doctor appointment schedule event ticket travel car train bus today "
    "tomorrow yesterday morning evening first last next previous new old big small high low "
    "true false null none error result response request query value type string integer number "
    "boolean array object required optional description parameters properties function tool call "
    "answer question thought action input observation final help sorry cannot sure here what "
    "when where which who how why and or not if then else there this that these those"
).split()
_KEYS = ("name", "city", "date", "query", "limit", "user_id", "amount", "currency", "unit", "id")


def _corpus(rng: random.Random, lines: int = 3000) -> list[str]:
    """Generic training text: English-ish sentences, JSON objects, tool-call and ReAct strings."""

    def sentence() -> str:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 14))]
        return " ".join(words).capitalize() + rng.choice([".", "?", "!"])

    def value() -> object:
        kind = rng.randrange(4)
        if kind == 0:
            return rng.randint(-100, 5000)
        if kind == 1:
            return round(rng.uniform(0, 100), 2)
        if kind == 2:
            return rng.choice([True, False, None])
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))

    def arguments() -> dict[str, object]:
        return {rng.choice(_KEYS): value() for _ in range(rng.randint(1, 3))}

    def fn_name() -> str:
        return "_".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))

    out: list[str] = []
    for _ in range(lines):
        kind = rng.randrange(5)
        if kind == 0:
            out.append(sentence())
        elif kind == 1:
            out.append(json.dumps({"name": fn_name(), "arguments": arguments()}))
        elif kind == 2:
            call = json.dumps({"name": fn_name(), "arguments": arguments()})
            out.append(f"<tool_call>{call}</tool_call>")
        elif kind == 3:
            out.append(f"Thought: {sentence()}\nAction: {fn_name()}\nAction Input: {json.dumps(arguments())}")
        else:
            args = ", ".join(f"{k}={json.dumps(v)}" for k, v in arguments().items())
            out.append(f"[{fn_name()}({args})]")
    return out


def recipe_hash(seed: int = 0) -> str:
    """Content hash of everything that determines the built files.

    >>> recipe_hash(0) == recipe_hash(0) and recipe_hash(0) != recipe_hash(1)
    True
    """
    payload = json.dumps(
        {
            "v": RECIPE_VERSION,
            "seed": seed,
            "spec": MODEL_SPEC,
            "template": CHAT_TEMPLATE,
            "special": SPECIAL_TOKENS,
            "tool_tags": TOOL_TAGS,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _build(out_dir: Path, seed: int) -> None:
    import torch
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    rng = random.Random(seed)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=int(MODEL_SPEC["vocab_target"]),
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(rng), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        additional_special_tokens=SPECIAL_TOKENS[1:],
        model_max_length=int(MODEL_SPEC["max_position_embeddings"]),
    )
    tokenizer.add_tokens([AddedToken(tag, special=False, normalized=False) for tag in TOOL_TAGS])
    tokenizer.chat_template = CHAT_TEMPLATE

    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=int(MODEL_SPEC["hidden_size"]),
        intermediate_size=int(MODEL_SPEC["intermediate_size"]),
        num_hidden_layers=int(MODEL_SPEC["num_hidden_layers"]),
        num_attention_heads=int(MODEL_SPEC["num_attention_heads"]),
        num_key_value_heads=int(MODEL_SPEC["num_key_value_heads"]),
        max_position_embeddings=int(MODEL_SPEC["max_position_embeddings"]),
        tie_word_embeddings=True,
        eos_token_id=tokenizer.convert_tokens_to_ids(EOS_TOKEN),
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD_TOKEN),
        bos_token_id=None,
        dtype="float32",
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).to(torch.float32)
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _cache_root() -> Path:
    return Path(os.environ.get("RBTC_TINY_MODEL_CACHE", Path(tempfile.gettempdir()) / "rbtc-tiny-model"))


def build_tiny_model(out_dir: Path, *, seed: int = 0) -> Path:
    """Build (or copy from the content-hash cache) the tiny model into `out_dir`; return it.

    The cache lives in `$RBTC_TINY_MODEL_CACHE` (default: the temp dir), keyed by
    `recipe_hash(seed)`, and is filled atomically so concurrent builders are safe.
    """
    out_dir = Path(out_dir)
    digest = recipe_hash(seed)
    marker = out_dir / ".tiny-model-hash"
    if marker.is_file() and marker.read_text() == digest:
        return out_dir
    cached = _cache_root() / digest
    if not (cached / ".tiny-model-hash").is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{digest}.", dir=cached.parent))
        _build(staging, seed)
        (staging / ".tiny-model-hash").write_text(digest)
        try:
            staging.rename(cached)
        except OSError:  # another process won the race: keep theirs
            shutil.rmtree(staging, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in sorted(cached.iterdir()):
        if item.name != ".tiny-model-hash":
            shutil.copy2(item, out_dir / item.name)
    marker.write_text(digest)  # written last: a partial copy is rebuilt next time
    return out_dir
