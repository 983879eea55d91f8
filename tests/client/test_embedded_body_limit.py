"""The embedded service's body limit: ``Connection(max_body_bytes=...)``.

A 7 MB CSV (11.6 MB as JSON) was refused 413 by the embedded service, whose limit was
fixed at 10 MiB; only a served one could raise it (``sigopt-like serve
--max-body-bytes``). The embedded service now takes the same setting, and the 413 says
how to raise it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import sigopt_like
from sigopt_like import Space, Table
from sigopt_like.errors import ConfigError, PayloadTooLargeError

DEFAULT = 10 * 1024 * 1024
LEVELS = [f"{name}-" + "m" * 150 for name in ("alpha", "beta", "gamma")]
SPACE = Space.from_dict(
    {
        "type": "factorial",
        "parameters": [
            {"name": "temp", "type": "numerical", "values": [40, 50, 60, 70]},
            {"name": "cat", "type": "categorical", "values": LEVELS},
        ],
    }
)


def _big_table() -> Table:
    """An initial table of 64,000 rows, past the default limit as JSON (11 MiB)."""
    rows = [[40 + 10 * (k % 4), LEVELS[k % 3], round(k / 7, 3)] for k in range(64_000)]
    return Table(columns=[*SPACE.columns], rows=rows)


def _campaign(conn: sigopt_like.Connection) -> Any:
    session = conn.sessions.create(name="big")
    campaign = conn.sessions(session.id)
    campaign.space.put(space=SPACE, population_size=4, replicates=0, wait=True)
    return campaign


def test_a_body_over_the_default_is_refused_naming_the_setting_and_taken_when_raised(
    tmp_path: Path, clean_env: Any
) -> None:
    table = _big_table()
    size = len(json.dumps({"type": "initial", "table": table.to_dict()}))
    assert DEFAULT < size < 2 * DEFAULT
    database = tmp_path / "big.db"
    with sigopt_like.Connection(database=database, task_processes=0) as conn:
        campaign = _campaign(conn)
        with pytest.raises(PayloadTooLargeError) as caught:
            campaign.experiments.put(type="initial", table=table, wait=True)
        message = str(caught.value)
        assert f"the limit is {DEFAULT} bytes" in message, message
        assert "max_body_bytes" in message and "Connection(max_body_bytes=" in message, message
        assert campaign.history.fetch().generations[0].table.rows == ()  # nothing stored
        sid = campaign.fetch().id
    with sigopt_like.Connection(
        database=database, task_processes=0, max_body_bytes=2 * DEFAULT
    ) as conn:
        assert conn.service.settings.max_body_bytes == 2 * DEFAULT
        campaign = conn.sessions(sid)
        campaign.experiments.put(type="initial", table=table, wait=True, timeout=600)
        stored = campaign.history.fetch().generations[0].table.rows
        assert len(stored) == len(table.rows)


@pytest.mark.parametrize("kind", ["int64", "uint32"])
def test_a_numpy_integer_body_limit_is_taken_as_an_int(
    tmp_path: Path, clean_env: Any, kind: str
) -> None:
    """Before: ``max_body_bytes=np.int64(...)``, a size as a script computes it, was a
    ConfigError "must be a whole number of bytes"; any integer type is taken, as an int,
    and a body over it is refused naming it."""
    np = pytest.importorskip("numpy")
    limit = getattr(np, kind)(4096)
    with sigopt_like.Connection(
        database=tmp_path / "numpy.db", task_processes=0, max_body_bytes=limit
    ) as conn:
        assert conn.service.settings.max_body_bytes == 4096
        assert type(conn.service.settings.max_body_bytes) is int
        campaign = _campaign(conn)
        with pytest.raises(PayloadTooLargeError, match="the limit is 4096 bytes"):
            campaign.experiments.put(type="initial", table=_big_table(), wait=True)


@pytest.mark.parametrize("kind", ["float64", "bool_"])
def test_a_numpy_float_or_bool_body_limit_is_refused(
    tmp_path: Path, clean_env: Any, kind: str
) -> None:
    np = pytest.importorskip("numpy")
    value = getattr(np, kind)(4096.0 if kind == "float64" else True)
    with pytest.raises(ConfigError, match="'max_body_bytes' must be a whole number of bytes"):
        sigopt_like.Connection(database=tmp_path / "x.db", max_body_bytes=value)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "10"])
def test_a_body_limit_that_is_no_count_of_bytes_is_refused(
    tmp_path: Path, clean_env: Any, value: Any
) -> None:
    with pytest.raises(ConfigError, match="max_body_bytes"):
        sigopt_like.Connection(database=tmp_path / "x.db", max_body_bytes=value)


def test_a_remote_connection_is_told_its_server_has_its_own_limit(clean_env: Any) -> None:
    with pytest.raises(ConfigError, match="serve --max-body-bytes"):
        sigopt_like.Connection("http://127.0.0.1:9", "token", max_body_bytes=DEFAULT)
