"""A training run's fields that move without its update, sent back stale (pure).

A client fetches a run, edits it and sends it back whole; meanwhile other requests may
have moved what the run's update cannot set: a checkpoint posted moves
``checkpoint_count``, a file uploaded (``run.log_image``) adds to ``files``, the run
finishing (by this update's ``state`` or another request's) sets ``finished``,
``completed`` and, for a run of an AI experiment, ``observation``. Such a field sent back
as it was when fetched is a stale echo: taken and ignored, as ``updated`` is. What it
could never have been (a count as a string, ``finished: true`` on an active run, a file
the run never had) is a 400 naming it, since it would be dropped unseen.

Each field's stale values, the values it may have had before:

- ``checkpoint_count``: a whole number from 0 to the run's count now (checkpoints are
  only added, never removed, so a count above it never was);
- ``files``: the run's first files, in order (files are only added, at the end);
- ``finished``: ``false`` once the run is finished (a run never goes back to active);
- ``completed``, ``observation``: null once set (each is set once, and kept).

``tags`` is not one of them: a tag is added and removed by a client (at
``/v1/training_runs/{id}/tags``), so a list unlike the run's may be one a client edited
meaning to change them, which an update cannot do; it stays a 400 (``sigopt_runs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .sigopt_checks import RuleError, is_count, is_number, json_shown, same_id, same_value

#: the run's fields the run's update cannot set and other requests move
MOVED_ELSEWHERE = ("checkpoint_count", "finished", "completed", "observation")

_WHY = {
    "checkpoint_count": "it counts the checkpoints posted to the run",
    "finished": "it follows the run's 'state'",
    "completed": "the run's first finish sets it",
    "observation": "a run of an AI experiment is reported as one when it finishes",
}


def check_stale(key: str, sent: Any, shown: Mapping[str, Any]) -> None:
    """``sent``, the value of ``key`` (one of :data:`MOVED_ELSEWHERE`) a body gives, is
    the run's now (``shown``, as it renders after the update) or one it may have had
    before; a 400 naming ``key`` otherwise."""
    now = shown[key]
    if key == "checkpoint_count":
        if not is_count(sent):
            raise _refused(key, f"it is a whole number of at least 0, not {json_shown(sent)}")
        if sent > now:
            raise _refused(
                key, f"the run's count is {json_shown(now)}; it was never {json_shown(sent)}"
            )
        return
    if key == "finished":
        if not isinstance(sent, bool):
            raise _refused(key, f"it is true or false, not {json_shown(sent)}")
        if sent and not now:
            raise _refused(
                key,
                f"this run is {shown['state']}, not finished; to finish it, send 'state': "
                '"completed" or "failed"',
            )
        return
    if sent is None:
        return
    if now is not None and (same_id(sent, now) if key == "observation" else same_value(sent, now)):
        return
    if key == "completed" and not is_number(sent):
        raise _refused(key, f"it is a timestamp or null, not {json_shown(sent)}")
    raise _refused(key, f"this run has {json_shown(now)}, not {json_shown(sent)}")


def stale_files(sent: Any, files: Sequence[str]) -> bool:
    """Whether ``sent`` is a list of the run's first ``files``, in order: what the run
    had when it was fetched, before more were uploaded."""
    return isinstance(sent, list) and sent == list(files)[: len(sent)]


def _refused(key: str, reason: str) -> RuleError:
    return RuleError(
        f"'{key}' is set by the service ({_WHY[key]}): {reason}; leave it out, or send it "
        "as the run renders it.",
        key,
        400,
    )
