"""After-commit callbacks that write: each write is a transaction of its own, not a
second start of the request's unit that has just committed."""

from __future__ import annotations

import time

from sigopt_like.service.store import Store, open_store
from sigopt_like.service.store.idempotency import KeyUse


def test_a_callback_after_an_idempotent_requests_commit_writes_in_its_own_transaction(
    store: Store,
) -> None:
    """A request with an Idempotency-Key (its unit's ``on_begin`` claims the key) whose
    after-commit callback writes, as a queued task's wake-up takes the runner promise.
    Before, the callback ran while the committed unit was still current: its write began
    that unit again, the claim was refused as a key already answered, and the write was
    lost (only logged)."""
    owner = store.accounts.local_user_id()
    now = int(time.time())
    seen: dict[str, object] = {}

    def callback() -> None:
        seen["unit"] = store.database.current_unit()
        try:
            seen["session"] = store.sessions.create(owner, "written after", "", 1, now)
        except Exception as err:
            seen["error"] = err

    call = store.idempotency.begin(KeyUse(owner, "key-1", "POST", "/v1/sessions", "0", now, 3600))
    first = store.sessions.create(owner, "the request's", "", 1, now)
    store.after_commit(callback)
    assert seen == {}  # not before the commit
    assert call.finish(201, '{"ok": true}', "application/json") is None

    assert "error" not in seen, seen.get("error")
    assert seen["unit"] is None  # no unit current: the callback's write was its own
    after = seen["session"]
    assert store.sessions.get(owner, first.id).name == "the request's"
    assert store.sessions.get(owner, after.id).name == "written after"  # committed
    assert store.database.current_unit() is None
    # the key holds the request's answer, as it did
    answer = store.idempotency.find(KeyUse(owner, "key-1", "POST", "/v1/sessions", "0", now, 3600))
    assert answer is not None and answer.status == 201


def test_a_callback_after_a_plain_units_commit_writes_in_its_own_transaction(
    store: Store,
) -> None:
    """The same in a unit without an ``on_begin`` (``Store.atomic``). Before, the callback's
    write began a new transaction on the unit that had ended, which nothing committed: the
    write was lost without a word."""
    owner = store.accounts.local_user_id()
    now = int(time.time())
    made: list[int] = []
    with store.atomic():
        store.sessions.create(owner, "in the unit", "", 1, now)
        store.after_commit(
            lambda: made.append(store.sessions.create(owner, "after", "", 1, now).id)
        )
    assert len(made) == 1
    assert store.database.current_unit() is None
    other = open_store(store.database.engine.url.render_as_string(hide_password=False))
    try:  # another connection sees it: committed, not left in an open transaction
        assert other.sessions.get(owner, made[0]).name == "after"
    finally:
        other.close()
