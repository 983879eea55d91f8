"""Pages of a list: :class:`Page` holds one page and iterates every page lazily."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")

FetchPage = Callable[[dict[str, Any]], Mapping[str, Any]]


class Page(Generic[T]):
    """The first page of a list, and an iterator over every item of every page.

    ``data`` (this page's items), ``count`` (the total the service reported) and
    ``paging`` (the ``before``/``after`` cursors) describe the page it was built
    from. Iterating goes through all pages, fetching each one only when needed:
    with ``before`` (the default, newest first), the next page is asked with
    ``before=paging.before``; when the list was asked with ``after``, with
    ``after=paging.after``.
    """

    def __init__(
        self,
        body: Mapping[str, Any],
        parse: Callable[[Any], T],
        fetch: FetchPage,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self._body = body
        self._parse = parse
        self._fetch = fetch
        self._params = dict(params or {})
        self.data: list[T] = [parse(item) for item in body.get("data") or []]
        self.count: int | None = body.get("count")
        self.paging: dict[str, Any] = dict(body.get("paging") or {})

    @property
    def direction(self) -> str:
        """Which cursor leads to the next page: ``before`` or ``after``."""
        return "after" if self._params.get("after") is not None else "before"

    def next_page(self) -> Page[T] | None:
        """The next page, or None when this is the last one."""
        cursor = self.paging.get(self.direction)
        if cursor is None or not self.data:
            return None
        params = {k: v for k, v in self._params.items() if k not in ("before", "after")}
        params[self.direction] = cursor
        return Page(self._fetch(params), self._parse, self._fetch, params)

    def pages(self) -> Iterator[Page[T]]:
        """This page and every following one, fetched lazily."""
        page: Page[T] | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data

    def iterate_pages(self) -> Iterator[T]:
        """Every item of every page: sigopt-python's name of iterating a list."""
        return iter(self)

    def to_list(self) -> list[T]:
        """Every item of every page."""
        return list(self)

    def __repr__(self) -> str:
        return f"Page(count={self.count!r}, data=<{len(self.data)} items>, paging={self.paging!r})"
