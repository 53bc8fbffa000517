"""``prerequisite_dependency`` (Appendix N (6)): the gold tool fails until a prerequisite tool is called.

A new tool joins the registry (before any meta-tool): a session, authentication or connection
step of the gold tool's service, whose description says it must come first.  Until it has been
called successfully, every call to the gold tool gets the style's error, which names it.  Scored
by the recovery rate: of the episodes whose gold call hit the error, the share that called the
prerequisite and then the gold tool successfully.
"""

from __future__ import annotations

from robustbench_tc.formats import with_tools
from robustbench_tc.records import Sample, Tool
from robustbench_tc.sources import get_source
from robustbench_tc.world.axes.base import AxisBuilder, Pool, needs_target, runtime_row, target_call
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.spec import Prerequisite, parse_spec

CODE = "prerequisite_dependency"

# style: (tool name, description, error); {service}, {prerequisite}, {tool} are filled in at build time
STYLES: dict[str, tuple[str, str, str]] = {
    "session": (
        "open_session",
        "Opens a session with the {service} service. Call it once before any other {service} tool.",
        "Precondition failed (HTTP 428): there is no open session. Call {prerequisite} first, then retry {tool}.",
    ),
    "auth": (
        "authenticate",
        "Authenticates this client with the {service} service. Required once before other {service} calls.",
        "HTTP 401 Unauthorized: this client is not authenticated for {tool}. Call {prerequisite} before {tool}.",
    ),
    "connect": (
        "connect",
        "Connects to the {service} backend. Must be called before the {service} tools can be used.",
        "Service not initialised: {tool} needs a connection to the backend. Call {prerequisite} first.",
    ),
}


def _namespace(tool: str) -> str:
    return tool.rsplit(".", 1)[0] + "." if "." in tool else ""


def _service(sample: Sample, tool: str) -> str:
    if "." in tool:
        return tool.rsplit(".", 1)[0]
    api = sample.source_meta.get("api_name")
    return str(api) if api else tool


def make(clean: Sample, _pool: Pool, draw: Draw) -> Sample:
    gold = target_call(clean)
    assert gold is not None
    taken = {t.name for t in clean.tools}
    styles = sorted(STYLES)
    first = draw.below(len(styles))
    for k in range(len(styles)):  # the seeded style, or the next whose name is free
        style = styles[(first + k) % len(styles)]
        base, description, error = STYLES[style]
        name = _namespace(gold.name) + base
        if name not in taken:
            break
    else:
        raise ValueError(f"{clean.id}: every prerequisite name is taken")
    service = _service(clean, gold.name)
    fill = {"{service}": service, "{prerequisite}": name, "{tool}": gold.name}
    for key, value in fill.items():
        description, error = description.replace(key, value), error.replace(key, value)
    new = Tool(
        name=name, description=description, parameters={"type": "object", "properties": {}, "required": []}
    )
    meta = set(get_source(clean.source).meta_tools)
    at = next((i for i, t in enumerate(clean.tools) if t.name in meta), len(clean.tools))
    tools = [*clean.tools[:at], new, *clean.tools[at:]]
    updated = with_tools(clean, tools)
    spec = Prerequisite(tool=gold.name, prerequisite=name, error=error, style=style)
    return runtime_row(clean, CODE, spec, tools=updated.tools, system_prompt=updated.system_prompt)


def checks(clean: Sample, row: Sample) -> list[str]:
    spec = parse_spec(row.perturbation_metadata.get("world"))
    if not isinstance(spec, Prerequisite):
        return ["no prerequisite spec"]
    out = []
    added = [t for t in row.tools if t.name not in {c.name for c in clean.tools}]
    if [t.name for t in added] != [spec.prerequisite]:
        out.append(
            f"the registry should gain exactly {spec.prerequisite!r}, gained {[t.name for t in added]}"
        )
    if [t for t in row.tools if t.name != spec.prerequisite] != clean.tools:
        out.append("the other tools changed")
    if spec.prerequisite not in spec.error or spec.tool not in spec.error:
        out.append("the error does not name the prerequisite and the gold tool")
    if row.system_prompt and spec.prerequisite not in row.system_prompt:
        out.append("the system prompt does not list the prerequisite")
    return out


BUILDER = AxisBuilder(
    CODE,
    needs_target,
    make,
    checks,
    note=f"every sample with a real gold tool; a parameterless prerequisite tool ({', '.join(sorted(STYLES))} "
    "style, named in the gold tool's namespace) joins the registry and the system prompt, and the gold tool "
    "answers with an error naming it until it has been called.",
)
