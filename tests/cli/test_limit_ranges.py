"""One range for each of the service's limits, whoever sets it.

``serve --max-body-bytes`` took 1 to 1 GiB and ``serve --max-table-rows`` 1 to 10,000,000;
the embedded service's commands (``sessions list --max-body-bytes``...),
``Connection(max_body_bytes=...)``, ``ServiceSettings`` and gunicorn's factory
(``application(max_body_bytes=...)``) took any whole number from 1 up: ``2**70`` was a
limit in name only (a body is held whole in memory, a table parsed whole before its rows
are counted). Each now takes the same range, from one definition (``_constants``), and
its refusal names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sigopt_like
from sigopt_like._constants import MAX_BODY_LIMIT, MAX_TABLE_ROWS_LIMIT, MAX_TASK_PROCESSES
from sigopt_like.errors import ConfigError
from sigopt_like.service.settings import ServiceSettings
from sigopt_like.service.wsgi import StartError, application

#: (setting, its most, the unit its refusal names)
LIMITS = [
    ("max_body_bytes", MAX_BODY_LIMIT, "bytes"),
    ("max_table_rows", MAX_TABLE_ROWS_LIMIT, "rows"),
]
#: how far past the most: one past it, and far past what a 64-bit integer holds
TOO_MANY = ["just past", "2**70"]


def _value(how_far: str, most: int) -> int:
    return most + 1 if how_far == "just past" else 2**70


@pytest.mark.parametrize("command", [("sessions", "list"), ("serve",)])
@pytest.mark.parametrize("setting, most, unit", LIMITS)
@pytest.mark.parametrize("how_far", TOO_MANY)
def test_each_command_refuses_a_limit_past_serves_range(
    run: Any, command: tuple[str, ...], setting: str, most: int, unit: str, how_far: str
) -> None:
    option = "--" + setting.replace("_", "-")
    done = run(*command, option, str(_value(how_far, most)))
    assert done.code == 2, done
    assert f"give a number of {unit} from 1 to {most}." in done.err, done.err
    assert option in done.err and "Traceback" not in done.err, done.err


@pytest.mark.parametrize("setting, most, unit", LIMITS)
def test_an_embedded_command_takes_the_top_of_the_range(
    run: Any, tmp_path: Path, setting: str, most: int, unit: str
) -> None:
    option = "--" + setting.replace("_", "-")
    done = run("sessions", "list", "--db", str(tmp_path / "top.db"), option, str(most))
    assert done.code == 0, done


@pytest.mark.parametrize("setting, most, unit", LIMITS)
@pytest.mark.parametrize("how_far", TOO_MANY)
def test_a_connection_refuses_a_limit_past_serves_range(
    clean_env: Any, tmp_path: Path, setting: str, most: int, unit: str, how_far: str
) -> None:
    with pytest.raises(ConfigError, match=f"whole number of {unit} from 1 to {most},"):
        sigopt_like.Connection(database=tmp_path / "x.db", **{setting: _value(how_far, most)})
    assert not (tmp_path / "x.db").exists()
    with sigopt_like.Connection(
        database=tmp_path / "x.db", task_processes=0, **{setting: most}
    ) as conn:
        assert getattr(conn.service.settings, setting) == most


@pytest.mark.parametrize("setting, most, unit", LIMITS)
@pytest.mark.parametrize("how_far", TOO_MANY)
def test_the_settings_and_the_factory_refuse_a_limit_past_serves_range(
    tmp_path: Path, setting: str, most: int, unit: str, how_far: str
) -> None:
    value = _value(how_far, most)
    with pytest.raises(ValueError, match=f"{setting} must be a whole number of {unit} from 1 to"):
        ServiceSettings(**{setting: value})
    assert getattr(ServiceSettings(**{setting: most}), setting) == most
    with pytest.raises(StartError, match=f"from 1 to {most}, not {value}"):
        application(database=str(tmp_path / "w.db"), **{setting: value})
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize("value", [MAX_TASK_PROCESSES + 1, 2**70, -1])
def test_task_processes_take_serves_range_wherever_given(
    run: Any, clean_env: Any, tmp_path: Path, value: int
) -> None:
    """Before: ``serve --task-processes`` took 0 to 1024, and ``Connection(task_processes=...)``,
    ``ServiceSettings`` and gunicorn's ``application(task_processes=...)`` any count from 0
    up: ``2**70`` was a service that would start worker processes until the system ran out."""
    said = f"from 0 to {MAX_TASK_PROCESSES}"
    done = run("serve", "--port", "0", "--task-processes", str(value))
    assert done.code == 2 and f"worker processes {said}" in done.err, done
    with pytest.raises(ConfigError, match=f"'task_processes' must be a whole number {said} "):
        sigopt_like.Connection(database=tmp_path / "x.db", task_processes=value)
    with pytest.raises(
        ValueError, match=f"task_processes must be a whole number of worker processes {said} "
    ):
        ServiceSettings(task_processes=value)
    with pytest.raises(StartError, match=f"worker processes {said} "):
        application(database=str(tmp_path / "w.db"), task_processes=value)
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "w.db").exists()
    assert ServiceSettings(task_processes=MAX_TASK_PROCESSES).worker_processes == MAX_TASK_PROCESSES
