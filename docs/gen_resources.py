"""Build-time page: every endpoint of the resource table, its call, arguments and route.

Run by the mkdocs-gen-files plugin (see mkdocs.yml); it writes
``reference/resources.md`` into the built site from ``sigopt_like.interface.API``,
the one place endpoints and their arguments are declared.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import mkdocs_gen_files

from sigopt_like.interface import API
from sigopt_like.resources import (
    CALL_OPTIONS,
    TASK_OPTIONS,
    Endpoint,
    Group,
    endpoint_signature,
)


def walk(group: Group, call: str, route: str) -> Iterator[tuple[str, str, Group, Endpoint]]:
    """(python call prefix, REST route prefix, group, endpoint) for every endpoint."""
    for endpoint in group.endpoints:
        yield call, route, group, endpoint
    item_call = f"{call}(id)" if group.takes_id else call
    item_route = f"{route}/{{id}}" if group.takes_id else route
    if group.takes_id:
        for endpoint in group.item_endpoints:
            yield item_call, item_route, group, endpoint
    for sub in group.groups:
        yield from walk(sub, f"{item_call}.{sub.name}", f"{item_route}/{sub.name}")


def signature(endpoint: Endpoint) -> str:
    sig = endpoint_signature(endpoint)
    parts = []
    for param in list(sig.parameters.values())[1:]:
        if param.name in (*CALL_OPTIONS, *TASK_OPTIONS):
            continue  # said once, at the top of the page
        default = "" if param.default is inspect.Parameter.empty else "=..."
        prefix = "**" if param.kind is param.VAR_KEYWORD else ""
        parts.append(f"{prefix}{param.name}{default}")
    return ", ".join(parts)


def page() -> str:
    lines = [
        "# The resource tree",
        "",
        "Every endpoint under a `Connection`, generated from the resource table",
        "(`sigopt_like.interface.API`). Each also takes `idempotency_key=`,",
        "`request_timeout=` and `headers=`; those that start a task take `wait=`,",
        "`timeout=`, `progress=` and `export_dir=`.",
        "",
    ]
    for call, route, group, endpoint in walk(API, "conn", "/v1"):
        name = f"{call}.{endpoint.name}".removeprefix("conn.")
        if endpoint.handler is not None:
            where = "computed on the client"
        else:
            path = endpoint.path or ""
            target = path if path.startswith("/") else f"{route}/{path}".rstrip("/")
            where = f"`{endpoint.method} {target}`"
        lines += [f"## `{name}`", "", f"`{name}({signature(endpoint)})`: {where}", ""]
        lines += [endpoint.doc or group.doc, ""]
        params = [p for p in endpoint.all_params() if endpoint.handler is None]
        if params:
            lines += ["| argument | required | what |", "|---|---|---|"]
            for p in params:
                lines.append(f"| `{p.name}` | {'yes' if p.required else ''} | {p.doc} |")
            lines.append("")
    return "\n".join(lines)


with mkdocs_gen_files.open("reference/resources.md", "w") as out:
    out.write(page())
