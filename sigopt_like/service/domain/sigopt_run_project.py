"""The refusal of a training run sent with another ``project`` (pure).

A run belongs to the project it is made in (the URL it is created at, or its AI
experiment's project); SigOpt's run update takes the run's own fields and moves no run,
and the seeds say nothing more, so the 400 stays. It says what is wrong for each kind
of value sent, and what would work: leave ``project`` out; and, only when the value is
a project id a run can be made in, how to make a run there (the id is then safe to
write into a URL path, since project ids are lowercase letters, digits, '-', '_' and
'.', and '.' and '..' are no new project's id). Nothing sent is written unescaped:
every quote of it is ``json_shown``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...json_kinds import json_kind
from .sigopt_checks import RuleError, json_shown
from .sigopt_rules import DOT_SEGMENTS, PROJECT_ID

_LEAVE_OUT = "Leave 'project' out, or send it as the run renders it."


def project_refusal(sent: Any, shown: Mapping[str, Any]) -> RuleError:
    """The 400 of a run body whose ``project`` is not the run's (``shown``: the run as it
    renders)."""
    stays = (
        "'project': a run stays in the project it is made in, "
        f"{json_shown(shown.get('project'))} for this run; no request moves a run to "
        "another project (SigOpt moves none)."
    )
    if sent is None:
        why = "null does not take a run out of its project."
        return RuleError(f"{stays} {why} {_LEAVE_OUT}", "project", 400)
    if not isinstance(sent, str):
        why = f"A project id is a string, not {json_kind(sent)}."
        return RuleError(f"{stays} {why} {_LEAVE_OUT}", "project", 400)
    if not PROJECT_ID.match(sent) or sent in DOT_SEGMENTS:
        why = (
            f"{json_shown(sent)} is no id a run can be made in either (project ids are 1 to "
            "100 lowercase letters, digits, '-', '_' and '.', other than '.' and '..')."
        )
        return RuleError(f"{stays} {why} {_LEAVE_OUT}", "project", 400)
    client = shown.get("client")
    clients = f"/v1/clients/{client}" if isinstance(client, str) else "/v1/clients/{client}"
    how = (
        f"To have a run in project {json_shown(sent)}, make a new run there: "
        f"POST {clients}/projects/{sent}/training_runs (sigopt-python: SIGOPT_PROJECT={sent} "
        "when the run starts). Or leave 'project' out to keep this run where it is."
    )
    return RuleError(f"{stays} {how}", "project", 400)
