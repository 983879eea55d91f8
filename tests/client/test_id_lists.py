"""A list filtered by more ids than one URL holds, split over several requests and
merged into the page the server gives for all of them (``sigopt_like.id_lists``)."""

from __future__ import annotations

import itertools
import random
from typing import Any
from urllib.parse import quote_plus

import pytest

import sigopt_like
from sigopt_like.id_lists import merged_page, split_ids

X = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}


@pytest.fixture
def conn(served, clean_env):
    connection = sigopt_like.Connection(served.url, token=served.token)
    try:
        yield connection
    finally:
        connection.close()


def _suggestions(conn: Any, count: int) -> tuple[Any, list[int]]:
    """An experiment with ``count`` suggestions (every third one observed, so closed;
    the fifth deleted), and their ids."""
    e = conn.experiments.create(name="ids", parameters=[X], metrics=[{"name": "v"}])
    suggestions = conn.experiments(e.id).suggestions
    made = [suggestions.create(assignments={"x": i / count}) for i in range(count)]
    for s in made[::3]:
        conn.experiments(e.id).observations.create(suggestion=s.id, value=1.0)
    suggestions(made[4].id).delete()
    return e, [int(s.id) for s in made]


def test_a_list_of_a_thousand_six_digit_ids_is_split_and_merged(conn):
    """About 900 six-digit ids made a URL over the server's 8,190-byte request line: a
    414, raised as BadRequestError telling the caller to shorten the URL. The client
    asks for them in several requests and answers with one list, in the list's order."""
    e, made = _suggestions(conn, 12)
    ids = [str(n) for n in range(500_000, 501_000)] + [str(n) for n in made]
    random.Random(7).shuffle(ids)
    text = ",".join(ids)
    assert len(quote_plus(text)) > 8190  # as the URL carries it: each comma is "%2C"
    listing = conn.experiments(e.id).suggestions
    alive = sorted((n for n in made if n != made[4]), reverse=True)
    page = listing.list(id=text)
    assert [int(s.id) for s in page.data] == alive and page.count == len(alive)
    assert [int(s.id) for s in listing.fetch(id=text, limit=5)] == alive  # every page
    assert [int(s.id) for s in listing.list(id=text, state="closed")] == [
        made[9],
        made[6],
        made[3],
        made[0],
    ]
    assert [int(s.id) for s in listing.list(id=text, deleted=True)] == [made[4]]
    oldest = listing.list(id=text, limit=3, after=str(made[0] - 1))
    assert [int(s.id) for s in oldest.data] == alive[-3:]
    given = [*(int(n) for n in ids[:500]), *page.data, *ids[500:]]  # ids and Suggestions
    assert [int(s.id) for s in listing.list(id=given)] == alive
    assert [s.id for s in listing.list(id=(made[1], made[0]))] == [str(made[1]), str(made[0])]
    for limit in (-1, 1001, 2.5, True):  # refused as in one request: the 400 names limit
        with pytest.raises(sigopt_like.BadRequestError, match="limit"):
            listing.list(id=text, limit=limit)


def test_merged_pages_are_the_servers_page_of_all_the_ids(conn):
    """Split into runs of a few ids each, the merged page (data, count, cursors) is the
    page the server gives for all the ids in one request, for every limit, cursor and
    filter: forward, backward (``after``) and between both cursors."""
    e, made = _suggestions(conn, 10)
    absent = list(range(max(made) + 1, max(made) + 9))
    ids = [str(n) for n in [*made, *absent, made[2], made[7]]]  # repeats, too
    random.Random(3).shuffle(ids)
    text = ",".join(ids)
    runs = split_ids(text, budget=12)
    assert runs is not None and len(runs) >= 6
    path = f"/v1/experiments/{e.id}/suggestions"

    def fetch(params: dict[str, Any]) -> Any:
        return conn.transport.request_json("GET", path, params=params)

    cursors = [None, str(made[0] - 1), str(made[4]), str(made[7]), str(max(absent) + 1)]
    limits = [None, 0, 1, 3, 100]
    filters: list[dict[str, Any]] = [{}, {"state": "closed"}, {"deleted": "true"}]
    checked = 0
    for limit, before, after, where in itertools.product(limits, cursors, cursors, filters):
        params = {**where, "limit": limit, "before": before, "after": after}
        params = {k: v for k, v in params.items() if v is not None}
        whole = fetch({**params, "id": text})
        assert merged_page(fetch, params, "id", runs) == whole, params
        checked += 1 if whole["data"] else 0
    assert checked > 50  # most combinations hold items


def test_ids_that_fit_or_are_not_numbers_are_sent_as_given():
    """One request when the ids fit, or when one is not a whole number (the server's 400
    names it); otherwise runs of distinct ids, largest first, each within the budget."""
    assert split_ids("1,2,3") is None
    assert split_ids(",".join(["x"] * 2000)) is None
    runs = split_ids(",".join(str(n) for n in [5, 12, 5, 300, 7]), budget=6)
    assert runs == ["300", "12,7", "5"]  # "12%2C7" is 6 bytes
