"""A suggestion's ``state`` sent back in its update (pure).

An observation reported for a suggestion closes it, by this client or another, so a
suggestion fetched open and sent back whole after that says ``"open"`` where it is
``"closed"``. That is a stale echo, or an attempt to reopen it: SigOpt's update reads
``metadata`` only and ignores ``state``, which would drop the second silently. So it
stays a 400, one that says which observation closed the suggestion and what to send
(leave ``state`` out, or send ``"closed"``); ``"closed"`` on an open suggestion says how a
suggestion is closed.

A deleted suggestion cannot be updated at all: it has left the lists and can no longer
be observed, SigOpt answers it 404, and an update cannot restore it (``deleted: false``
sent back whole after a DELETE is a stale echo or an attempt to undelete). Taking its
metadata would let a client believe it still works on a live suggestion, so any update of
one is a 409 saying it was deleted and to create a new suggestion.
"""

from __future__ import annotations

from typing import Any

from .sigopt_checks import RuleError, json_shown, same_value


def check_state(sent: Any, now: str, closed_by: int | None) -> None:
    """``state`` sent back: the suggestion's now (``now``) is taken; another value is a
    400 naming ``state``. ``closed_by``: the observation reported for the suggestion, if
    it is closed and that observation is still there."""
    if same_value(sent, now):
        return
    said = f"'state' is set by the service: this suggestion has {json_shown(now)}, not "
    said += json_shown(sent)
    if now == "closed" and sent == "open":
        who = (
            f"observation {closed_by} was reported for it"
            if closed_by is not None
            else "an observation was reported for it (deleted since)"
        )
        raise RuleError(
            f"{said}: {who}, which closed it (after this copy was fetched, if it was sent "
            "back whole). An update cannot reopen a suggestion; to change its metadata, "
            "leave 'state' out or send \"closed\".",
            "state",
            400,
        )
    if now == "open" and sent == "closed":
        raise RuleError(
            f"{said}: a suggestion is closed by reporting an observation for it (POST "
            "/v1/experiments/{id}/observations with its id as 'suggestion'), not by an "
            "update; leave 'state' out or send \"open\".",
            "state",
            400,
        )
    raise RuleError(f"{said}; leave it out, or send it as the suggestion renders it.", "state", 400)


def deleted_refusal(sid: int, eid: int, sent: Any) -> tuple[str, str]:
    """Why an update of deleted suggestion ``sid`` (of experiment ``eid``) is refused, and
    the field it names; ``sent``: the body's ``deleted``, if any (``false``: a copy fetched
    before the DELETE and sent back whole, or an attempt to undelete; ``true`` as the
    suggestion renders it, the refusal is the same as with it left out)."""
    echoed = sent is None or sent is True
    said = (
        ""
        if echoed
        else (
            f"'deleted' is set by the service: this suggestion has true, not {json_shown(sent)}. "
        )
    )
    when = " since this copy was fetched" if sent is False else ""
    return (
        f"{said}Suggestion {sid} was deleted{when}: a deleted suggestion can no longer be "
        "updated or observed, and an update cannot restore it. Create a new suggestion "
        f"(POST /v1/experiments/{eid}/suggestions) and give it this metadata.",
        "suggestion" if echoed else "deleted",
    )
