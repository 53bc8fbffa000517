"""The board's prose: the one-line header, the About tab, the Submit and Request help, the
glossary of Appendix L terms. Kept apart from the layout so the app module stays about layout.

Every view quotes ``DROP_DEFINITION`` for the sign of a drop (Clean − Acc, positive = worse).
"""

from __future__ import annotations

from robustbench_tc.scoring import DROP_DEFINITION

ARXIV_URL = "https://arxiv.org/abs/2605.11928"
CITATION = """@article{zhou2026simulationlies,
  title   = {When Simulation Lies: A Sim-to-Real Benchmark and Domain-Randomized RL Recipe for Tool-Use Agents},
  author  = {Zhou, Xiaolin and Yuan, Aojie and Luo, Zheng and Ling, Zipeng and Pan, Xixiao and others},
  journal = {arXiv preprint arXiv:2605.11928},
  year    = {2026}
}"""

HEADER_HTML = (
    "<div class='rbtc-header'><b>RobustBench-TC</b> · how tool-calling models hold up under 22 "
    "perturbations of the tool-use POMDP · <a href='"
    + ARXIV_URL
    + "' target='_blank' rel='noopener'>paper</a>"
    "<span class='more'> · column meanings: hover a header, or see About</span></div>"
)
"""One line above the tabs; everything else lives in About and the column tooltips."""


def whole_path(dataset: str) -> str:
    """From install to the board, as Markdown (``dataset``: how the served dataset is named)."""
    return f"""
**1. Install** (Python ≥ 3.11; vLLM on GPU machines):

```bash
pip install "robustbench-tc[harness]"   # from a checkout: pip install -e ".[harness]"
pip install vllm                        # GPU; on CPU use --backend transformers
```

**2. Get the dataset this board scores on** ({dataset}):

```bash
hf download {dataset} --repo-type dataset --local-dir robustbench-tc
# or build it: robustbench-tc fetch-sources --out sources && robustbench-tc build --sources sources --out robustbench-tc
```

**3. Run your model** over every config (two passes on the transition types; resumable):

```bash
robustbench-tc run --dataset robustbench-tc --model Qwen/Qwen2.5-3B-Instruct --backend vllm --mode prompt --out preds.jsonl
```

**4. Check it locally with the board's own scorer** (same parser, same rules, same bootstrap):

```bash
robustbench-tc score preds.jsonl --dataset robustbench-tc
```

**5. Upload `preds.jsonl`** on the Submit tab with a model name (and optionally its HF id, size,
revision, licence and a link). The row appears at once, marked *self-reported*; its detail view
has a shareable link (`?row=<id>`).

**6. Or ask for a verified row:** on *Request evaluation*, give the HF model id, revision and mode;
the maintainers' worker runs the harness on it and stores the row as *✓ verified*.

Paper: [arXiv:2605.11928]({ARXIV_URL}). Cite:

```bibtex
{CITATION}
```
"""


ABOUT = f"""
### What the board shows

Tool-use agents look good on clean benchmarks and break in deployment. RobustBench-TC measures that
gap along the four parts of the tool-use POMDP: **Observation** (the query and tool docs),
**Action** (the tool registry), **Reward** (cost/latency claims and names) and **Transition**
(transient tool failures): 22 perturbation types over 199 clean samples from BFCL V3, API-Bank,
RoTBench, ToolAlpaca and ToolEyes.

| column | meaning |
|---|---|
| Rank | rank by Pert. Acc. **within its group**, as the range the paired bootstrap tests support (LMArena-style: `2–4` = could be 2nd to 4th). Rows without a paired test (paper rows; submissions further apart than the 20 closest) are separated when their 95% intervals do not overlap |
| Clean | accuracy on the 199 unperturbed samples |
| Pert. Acc. | accuracy over every perturbed record (clean excluded; the types weighted by their sample counts); the board is ranked by it |
| Δ Obs / Act / Rew / Trn | **{DROP_DEFINITION}**: Clean − the sample-weighted accuracy over that component's records. Shaded red when the model lost accuracy, blue when it gained |
| ± | half-width of the 95% percentile-bootstrap interval (B = 10,000; records resampled within each type) |
| badges | **✓ verified**: the maintainers ran the model themselves (Request evaluation); **self-reported**: scored from an uploaded predictions file; **⚠ matches gold on every record**: a self-reported file that is right on every record, which is what a file made from the public gold answers (`robustbench-tc oracle`) scores |

Hidden behind *Filters and columns*: model details (size, group, prompt/FC mode, training
declaration), provenance (scorer version, date) and every type's accuracy. Click a header to sort;
the groups never mix and Rank stays the Pert. Acc. rank. Click a model for its detail view.

**One sign everywhere.** Every drop on this board, in the downloads, the detail view, the plots and
the `robustbench-tc score` report is **Clean − Acc (positive = worse)**. (The paper's Tables 7–14
print the opposite sign per type; Table 2 uses this one.)

### Data versions: which rows are comparable

The paper's numbers come from the authors' data release: 3,721 rows whose LLM-made types were
written by gpt-5-mini/gpt-4o-mini, with per-type subsets (102–144 samples for the Dup/Reward
types). This board scores submissions on the dataset build it serves (named by the sha256
fingerprint of its data files): every Dup/Reward type covers all 147 one-gold-tool samples
(4,005 rows) and the LLM-made types come from this project's generators. The same model scores
differently on the two, so each data version is its own group, ranked on its own; paired tests
and head-to-head comparisons are made only within one. Use the paper rows as the published
reference, not as competitors of a submission.

### Verified and self-reported rows

Anyone can upload predictions, and the public dataset carries the gold answers, so an uploaded
file proves only what it contains. As on the Open LLM Leaderboard and BFCL, the maintainers can
re-run a model themselves: *Request evaluation* files the request (HF model id, revision, prompt
or FC mode); `robustbench-tc board worker` evaluates pending requests with the project's harness
and stores the row as **verified** with the revision, engine and sampling it used. Tick *Verified
only* to see just those rows.

### Scorer versions and provenance

Each submission stores its raw predictions file, the scorer version that scored it and the data
fingerprint. When the scorer changes, `robustbench-tc board rescore` re-scores every stored
submission in one transaction and keeps the previous scores (shown in the row's detail view).
Paper rows come from Table 2 (headline columns) and Tables 7–14 (per-type accuracies) of
arXiv:2605.11928, via `leaderboard_seed/build_seed.py`. Sizes follow the model names, except
TL-CodeLLaMA-2 (assumed 7B) and ToolRL-DR-Full/-Mixed (3B backbone, §5.2); o4-mini has no public
size. Scoring: strict per-source rule-based scorers (no LLM judge) after a format-tolerant parser.

### Get a model on the board
"""

SUBMIT_HELP = """
Upload a predictions file made by `robustbench-tc run` (`.jsonl`, or `.json`): one record per
`(id, perturbation)` for **every** record of every config. The server re-parses each `raw_output`
and scores it against the gold answers it holds; nothing of the gold is ever sent back. The row is
marked *self-reported*. Limits: files up to **{mb}**; **{limit}** accepted submissions and
**{refusals}** refused uploads per user per hour{login}; reading and scoring one file may take
**{budget:g} s**; at most {queue} submissions wait in the queue. Resubmitting the same predictions
(same records and outputs, whatever the formatting) is refused. Uploaded files are deleted after
scoring.
"""

REQUEST_HELP = """
Ask the maintainers to evaluate a model themselves. Give its Hugging Face model id, the revision
(a commit hash, tag or branch; `main` by default) and the mode (*prompt*: tools in the system
prompt; *fc*: the engine's function calling). `robustbench-tc board worker` picks pending requests
in order, runs the project's harness on the model (vLLM on GPU) and stores the row as **✓ verified**
with the revision, engine and sampling it used. The same model, revision and mode is evaluated once.
"""

GLOSSARY = f"""
**Error modes (Appendix L)**, one per incorrect record: **empty**: the output is empty once the
chat template's tokens are removed; **omitted**: no tool call could be read from it; **name bias**:
under a Reward type, the call went to the distractor tool (the one advertised as cheaper, faster or
renamed); **param. mismatch**: a call to the right tool with a missing or wrong argument (and other
wrong calls); **other**: a call was read but the benchmark's rule rejects it for another reason
(partial ToolEyes credit, call count or order); **missing**: the file had no record for it.
**Runtime episodes (beyond the paper)** add: **followed injection**: called the tool an instruction
inside a tool result asked for; **unrecovered**: the world's error (a prerequisite, an enforced type)
and the gold never executed after it; **repeated value**: the answer repeats a fabricated value, with
no flag; **accepted result**: another changed result (fabricated, stale, a no-op) taken as is;
**step limit**: still calling tools at the episode's last turn.
**Ghost-tool calls (App. N (7))**: calls to a tool that is not in the sample's tool list (counted
per call, over all calls). **Drop**: {DROP_DEFINITION}.
"""
