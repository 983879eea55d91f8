"""Lists filtered by many ids, split over several requests and merged into one page.

A list filtered by ids (``suggestions.list(id="1,2,...")``) carries them in its URL,
and a server refuses a request line over 8,190 bytes (a 414): about 900 six-digit ids,
commas percent-encoded. When the ids would not fit in :data:`ID_QUERY_BYTES`, the
client asks for them in runs of ids that do (:func:`split_ids`) and answers with the
page the server would have given for all of them (:func:`merged_page`).

The runs are ranges of ids: sorted in the list's order (newest first, the largest id
first), each run holds ids that all come before the next run's. The list is ordered by
id and its cursors are ids, so each run's share of a page is one request with the
caller's own cursors, and the page is the runs' shares laid end to end:

- forward (``before``, or no cursor, or both): runs in order, each asked for what the
  page still lacks, until the page is full; each later run once more (one item) for
  its count and whether anything lies past the page;
- backward (``after`` alone): runs from the last, each asked for the items nearest the
  cursor, until the page is full; the earlier runs once more for their counts.

``count`` is the sum of the runs' counts (they share no id); ``paging.before`` and
``paging.after`` are the ids of the page's last and first items when something lies
past them, as the server gives them. A list that is not filtered by ids this long
(or whose ids are not all whole numbers, which the server refuses) is one request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus

#: the longest ``id=`` query (percent-encoded) sent in one request: with the path and
#: the other parameters, well under the 8,190-byte request line servers take
ID_QUERY_BYTES = 4096
#: the page size of a SigOpt list when ``limit`` is not given (the service's
#: ``SIGOPT_PAGE_LIMIT``): a merged page without ``limit`` has as many items
SIGOPT_PAGE_LIMIT = 1000

Fetch = Callable[[dict[str, Any]], Mapping[str, Any]]


def split_ids(text: str, budget: int = ID_QUERY_BYTES) -> list[str] | None:
    """``text`` (ids separated by commas) as runs that each fit ``budget`` bytes once
    percent-encoded, largest ids first, each id once; None when it fits as it is, or
    holds something other than whole numbers (sent as given: the server names it)."""
    if len(quote_plus(text)) <= budget:
        return None
    parts = [part for part in text.split(",") if part]
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    ids = sorted({int(part) for part in parts}, reverse=True)
    runs: list[str] = []
    run: list[str] = []
    size = 0
    for number in ids:
        cost = len(str(number)) + (3 if run else 0)  # "%2C" before all but the first
        if run and size + cost > budget:
            runs.append(",".join(run))
            run, size = [], 0
            cost = len(str(number))
        run.append(str(number))
        size += cost
    runs.append(",".join(run))
    return runs


def _whole(value: Any) -> int | None:
    """``limit`` as a count of items (an int, or its digits), or None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def merged_page(
    fetch: Fetch, params: Mapping[str, Any], name: str, runs: list[str]
) -> dict[str, Any]:
    """The page of a list asked with ``params`` whose ``name`` filter holds every id of
    ``runs`` (:func:`split_ids`), from one request per run through ``fetch``."""
    asked = dict(params)
    given = asked.pop("limit", None)
    limit = SIGOPT_PAGE_LIMIT if given is None else _whole(given)
    if limit is None:  # not a count: the server's 400 names it (one request, one run)
        return dict(fetch({**asked, name: runs[0], "limit": given}))
    backward = asked.get("after") is not None and asked.get("before") is None
    items: list[Any] = []
    counts: list[int] = []  # each run's count, in the walk's order
    ends: list[Mapping[str, Any]] = []  # each run's paging, in the walk's order
    gave: list[int] = []  # the runs, in the walk's order, that gave the page items
    beyond = False  # forward: a run after the full page has an item in the window
    for index, run in enumerate(reversed(runs) if backward else runs):
        wanted = limit - len(items)
        full = wanted <= 0
        if full and limit and not backward:
            wanted = 1  # one item: does anything lie past the page in this run?
        body = fetch({**asked, name: run, "limit": max(wanted, 0)})
        data = list(body.get("data") or [])
        counts.append(int(body.get("count") or 0))
        ends.append(dict(body.get("paging") or {}))
        if full:
            beyond = beyond or bool(data)
        elif data:
            gave.append(index)
            items = data + items if backward else items + data
    paging: dict[str, Any] = {"before": None, "after": None}
    if items:
        first, last = gave[0], gave[-1]
        if backward:  # walked from the list's end: ``first`` holds the page's last item
            later = ends[first].get("before") is not None or any(counts[:first])
            earlier = ends[last].get("after") is not None or any(counts[last + 1 :])
        else:
            later = ends[last].get("before") is not None or beyond
            earlier = ends[first].get("after") is not None or any(counts[:first])
        paging = {
            "before": str(items[-1]["id"]) if later else None,
            "after": str(items[0]["id"]) if earlier else None,
        }
    return {"object": "pagination", "count": sum(counts), "data": items, "paging": paging}
