"""What a process says of a database outage in which requests fail (failures.py): the
first failure with what failed, then a line a minute with how many requests were
answered 503, then the end with the count; each request's own line at DEBUG."""

from __future__ import annotations

import logging
import time

import pytest

from sigopt_like.service.failures import DatabaseOutage
from sigopt_like.service.store.refusals import is_unreachable_error
from tests.fixtures.servers import free_port

REPORT_SECONDS = 2.0


def _refused() -> BaseException:
    """A real "the database does not answer": a PostgreSQL connection no one takes."""
    psycopg = pytest.importorskip("psycopg")
    try:
        psycopg.connect(f"host=127.0.0.1 port={free_port()} dbname=x connect_timeout=5")
    except psycopg.OperationalError as err:
        assert is_unreachable_error(err)
        return err
    raise AssertionError("a connection to a free port was taken")


def _said(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


def test_failed_requests_are_counted_in_a_line_a_minute_and_in_the_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    err = _refused()
    outage = DatabaseOutage(logging.getLogger("tests.outage"), report_seconds=REPORT_SECONDS)
    with caplog.at_level(logging.DEBUG, logger="tests.outage"):
        outage.request_failed(err, "GET /v1/sessions, request r0")
        (start,) = _said(caplog)
        assert start.startswith("the database does not answer (GET /v1/sessions, request r0)")
        assert start.endswith("; answering requests 503 until it does")
        started = time.monotonic()
        sent = 1
        while time.monotonic() - started < REPORT_SECONDS + 0.3:  # a request every 0.25 s
            outage.request_failed(err, f"GET /v1/sessions/1, request r{sent}")
            sent += 1
            time.sleep(0.25)
        outage.failed(err, "claiming a task")  # a loop's failure: counted, not a request
        said = _said(caplog)
        assert len(said) == 2, said  # the start, and one line since
        assert said[1].startswith("the database still does not answer, for "), said
        counted = int(said[1].split("; ")[-1].split()[0])
        assert 1 <= counted <= sent - 1, (counted, sent, said)
        assert said[1].endswith(" requests answered 503 since the last line"), said
        # nothing is lost: every request failed after the first, at DEBUG
        debug = [
            m
            for m in _said(caplog, logging.DEBUG)
            if m.startswith("the database does not answer on")
        ]
        assert len(debug) == sent - 1
        assert "request r1: " in debug[0]
        outage.worked()
        end = _said(caplog)[-1]
        assert end.startswith("the database answers again, after "), end
        assert f"({sent + 1} failed calls meanwhile, {sent} of them requests answered 503)" in end


def test_a_failure_long_after_the_last_one_starts_another_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A process that only requests reach (no loop, no readiness probe) never hears the
    database answer again: a failure a while after the last one is another outage, said
    as one, not "still does not answer, for 3 days now"."""
    err = _refused()
    outage = DatabaseOutage(logging.getLogger("tests.outage"), report_seconds=REPORT_SECONDS)
    with caplog.at_level(logging.INFO, logger="tests.outage"):
        outage.request_failed(err, "GET /v1/sessions, request r0")
        time.sleep(REPORT_SECONDS + 0.5)
        outage.request_failed(err, "POST /v1/sessions, request r1")
    said = _said(caplog)
    assert len(said) == 2, said
    assert said[1].startswith("the database does not answer (POST /v1/sessions, request r1)")
