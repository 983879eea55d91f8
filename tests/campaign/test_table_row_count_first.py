"""A table of more rows than the service takes is refused for its count first.

Before, the door checked every cell of a body's table (a NUL, a lone surrogate, an integer
past 64 bits) before the route counted its rows: a 3 MB body of a million empty rows took
seconds before its 413, and one whose last row held a NUL was answered with that cell,
a 422, after the same walk. Now the rows are counted as soon as the body is parsed: the
413 says the count and the limit, whatever the cells hold (timed by
benchmarks/perf_table_rows.py, not here).
"""

from __future__ import annotations

import pytest

from .conftest import small_space

COLUMNS = ["a", "b", "c", "d", "Response"]
ROWS = 1_000_000


def _million_rows(last: str) -> str:
    return (
        '{"columns": ' + str(COLUMNS).replace("'", '"') + ', "rows": ['
        + "[], " * (ROWS - 1) + last + "]}"
    )  # fmt: skip


@pytest.mark.parametrize("last", ["[]", '["\\u0000"]', "[1180591620717411303424]"])
@pytest.mark.parametrize(
    ("method", "route", "body"),
    [
        ("POST", "experiments", '{"type": "initial", "table": TABLE}'),
        ("POST", "responses/simulate", '{"table": TABLE}'),
    ],
)
def test_a_table_of_a_million_rows_is_refused_for_its_count(api, method, route, body, last):
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    before = api.snapshot(sid)
    reply = api.call(
        method,
        f"/v1/sessions/{sid}/{route}",
        data=body.replace("TABLE", _million_rows(last)),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 413, reply
    assert reply.body["code"] == "payload_too_large"
    assert reply.body["message"].startswith(
        f"The table has {ROWS} rows; the limit is 100000 (the service's max_table_rows setting"
    ), reply.body
    assert reply.body["detail"] == {"limit_rows": 100000}
    assert api.snapshot(sid) == before
