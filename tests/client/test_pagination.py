"""Page: first page's data, count, paging; iteration over every page, lazily."""

from __future__ import annotations

from sigopt_like.pagination import Page


def fake_service(total: int):
    """A list of ids total..1 (newest first) paged the way the contract says."""
    items = list(range(total, 0, -1))
    asked = []

    def fetch(params):
        asked.append(dict(params))
        limit = int(params.get("limit", 100))
        if params.get("after") is not None:
            newer = [i for i in items if i > int(params["after"])][-limit:]
            return {
                "count": total,
                "data": newer,
                "paging": {
                    "before": None,
                    "after": str(newer[0]) if newer and newer[0] < total else None,
                },
            }
        before = int(params["before"]) if params.get("before") else total + 1
        rest = [i for i in items if i < before]
        page = rest[:limit]
        return {
            "count": total,
            "data": page,
            "paging": {"before": str(page[-1]) if len(rest) > limit else None, "after": None},
        }

    return fetch, asked


def test_iterates_every_page_lazily():
    fetch, asked = fake_service(250)
    page = Page(fetch({"limit": 100}), lambda x: x, fetch, {"limit": 100})
    assert page.count == 250 and len(page.data) == 100 and page.paging["before"] == "151"
    iterator = iter(page)
    assert [next(iterator) for _ in range(100)] == list(range(250, 150, -1))
    assert len(asked) == 1  # nothing fetched before it is needed
    rest = list(iterator)
    assert len(rest) == 150 and len(set(rest)) == 150
    assert asked[1:] == [{"limit": 100, "before": "151"}, {"limit": 100, "before": "51"}]


def test_after_direction_follows_after_cursor():
    fetch, _asked = fake_service(30)
    params = {"limit": 10, "after": "5"}
    page = Page(fetch(params), lambda x: x, fetch, params)
    assert page.direction == "after"
    assert sorted(page) == list(range(6, 31))


def test_empty_and_single_page():
    fetch, _ = fake_service(0)
    page = Page(fetch({}), lambda x: x, fetch, {})
    assert list(page) == [] and page.count == 0
    fetch, asked = fake_service(3)
    page = Page(fetch({}), str, fetch, {})
    assert page.to_list() == ["3", "2", "1"]
    assert len(asked) == 1
    assert "count=3" in repr(page)
