"""The embedded service's table row limit: ``Connection(max_table_rows=...)``.

Before, the embedded service's tables were bounded at 100,000 rows with no way to raise
(or lower) it: only a served one's settings could be changed. The embedded service now
takes the setting as it takes ``max_body_bytes``, and the 413 says how to raise it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sigopt_like
from sigopt_like import Space, Table
from sigopt_like.errors import ConfigError, PayloadTooLargeError
from sigopt_like.service.settings import ServiceSettings
from tests.fixtures.servers import ServedProcess

DEFAULT = 100_000
SPACE = Space.from_dict(
    {
        "type": "factorial",
        "parameters": [
            {"name": "temp", "type": "numerical", "values": [40, 50, 60, 70]},
            {"name": "cat", "type": "categorical", "values": ["a", "b", "c"]},
        ],
    }
)


def _table(count: int) -> Table:
    rows = [[40 + 10 * (k % 4), "abc"[k % 3], k % 97] for k in range(count)]
    return Table(columns=[*SPACE.columns], rows=rows)


def _campaign(conn: sigopt_like.Connection) -> Any:
    session = conn.sessions.create(name="long")
    campaign = conn.sessions(session.id)
    campaign.space.put(space=SPACE, population_size=4, replicates=0, wait=True)
    return campaign


def test_a_table_over_the_default_rows_is_refused_naming_the_setting_and_taken_when_raised(
    tmp_path: Path, clean_env: Any
) -> None:
    table = _table(DEFAULT + 1)
    database = tmp_path / "long.db"
    with sigopt_like.Connection(database=database, task_processes=0) as conn:
        campaign = _campaign(conn)
        with pytest.raises(PayloadTooLargeError) as caught:
            campaign.experiments.put(type="initial", table=table, wait=True)
        message = str(caught.value)
        assert f"the limit is {DEFAULT} " in message, message
        assert "Connection(max_table_rows=" in message, message
        assert campaign.history.fetch().generations[0].table.rows == ()  # nothing stored
        sid = campaign.fetch().id
    with sigopt_like.Connection(
        database=database, task_processes=0, max_table_rows=DEFAULT + 1
    ) as conn:
        assert conn.service.settings.max_table_rows == DEFAULT + 1
        campaign = conn.sessions(sid)
        campaign.experiments.put(type="initial", table=table, wait=True, timeout=600)
        assert len(campaign.history.fetch().generations[0].table.rows) == DEFAULT + 1


def test_a_lowered_row_limit_is_honoured(tmp_path: Path, clean_env: Any) -> None:
    with sigopt_like.Connection(
        database=tmp_path / "short.db", task_processes=0, max_table_rows=10
    ) as conn:
        campaign = _campaign(conn)
        with pytest.raises(PayloadTooLargeError, match="the limit is 10 "):
            campaign.experiments.put(type="initial", table=_table(11), wait=True)
        campaign.experiments.put(type="initial", table=_table(10), wait=True)
        assert len(campaign.history.fetch().generations[0].table.rows) == 10


def test_a_numpy_integer_row_limit_is_taken_and_honoured(tmp_path: Path, clean_env: Any) -> None:
    """Before: ``max_table_rows=np.int64(10)``, a count as a script computes it, was a
    ConfigError "must be a whole number of rows"; any integer type is taken, as an int."""
    np = pytest.importorskip("numpy")
    with sigopt_like.Connection(
        database=tmp_path / "numpy.db", task_processes=0, max_table_rows=np.int64(10)
    ) as conn:
        assert type(conn.service.settings.max_table_rows) is int
        campaign = _campaign(conn)
        with pytest.raises(PayloadTooLargeError, match="the limit is 10 "):
            campaign.experiments.put(type="initial", table=_table(11), wait=True)
        campaign.experiments.put(type="initial", table=_table(10), wait=True)
        assert len(campaign.history.fetch().generations[0].table.rows) == 10


@pytest.mark.parametrize("kind", ["float64", "bool_"])
def test_a_numpy_float_or_bool_row_limit_is_refused(
    tmp_path: Path, clean_env: Any, kind: str
) -> None:
    np = pytest.importorskip("numpy")
    value = getattr(np, kind)(10.0 if kind == "float64" else True)
    with pytest.raises(ConfigError, match="'max_table_rows' must be a whole number of rows"):
        sigopt_like.Connection(database=tmp_path / "x.db", max_table_rows=value)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "10"])
def test_a_row_limit_that_is_no_count_of_rows_is_refused(
    tmp_path: Path, clean_env: Any, value: Any
) -> None:
    with pytest.raises(ConfigError, match="'max_table_rows' must be a whole number of rows"):
        sigopt_like.Connection(database=tmp_path / "x.db", max_table_rows=value)


def test_a_remote_connection_is_told_its_server_has_its_own_row_limit(clean_env: Any) -> None:
    with pytest.raises(ConfigError, match="serve --max-table-rows"):
        sigopt_like.Connection("http://127.0.0.1:9", "token", max_table_rows=DEFAULT)


@pytest.mark.parametrize("value", [0, -1, True, "10"])
def test_the_settings_refuse_a_row_limit_below_one(value: Any) -> None:
    """Before: ``application(max_table_rows=0)`` (gunicorn) started and refused every table."""
    with pytest.raises(ValueError, match="max_table_rows must be a whole number of rows"):
        ServiceSettings(max_table_rows=value)


def test_serve_takes_max_table_rows(tmp_path: Path, clean_env: Any) -> None:
    """Before: ``serve`` had no option for the row limit; now ``--max-table-rows`` sets it."""
    server = ServedProcess(tmp_path / "served.db", "--max-table-rows", "3")
    try:
        with sigopt_like.Connection(server.url, server.token) as conn:
            campaign = _campaign(conn)
            with pytest.raises(
                PayloadTooLargeError, match=r"the limit is 3 .*serve --max-table-rows"
            ):
                campaign.experiments.put(type="initial", table=_table(4), wait=True)
            campaign.experiments.put(type="initial", table=_table(3), wait=True)
            assert len(campaign.history.fetch().generations[0].table.rows) == 3
    finally:
        server.stop()
