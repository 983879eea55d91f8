"""A mixture's total units that is no whole number is refused as the space is read (a 422,
no task), as a component's bound that is none: before, ``"min": 2.5`` was a 422 and
``"total_units": 2.5`` (or ``true``) a space task that failed, one mistake answered two
ways."""

from __future__ import annotations

import pytest


def mixture(total: object, low: object = 0) -> dict[str, object]:
    return {
        "type": "mixture",
        "total_units": total,
        "parameters": [{"name": "A", "min": low, "max": 10}, {"name": "B", "min": 0, "max": 10}],
    }


@pytest.mark.parametrize(
    ("space", "words"),
    [
        (mixture(10, low=2.5), "minimum '2.5' is not a whole number of units"),
        (mixture(2.5), "total_units must be a positive whole number, not 2.5"),
        (mixture(True), "total_units must be a positive whole number, not True"),
        (mixture(1e-300), "total_units must be a positive whole number, not 1e-300"),
    ],
)
def test_units_that_are_no_whole_number_are_a_422_and_start_nothing(embedded, space, words):
    sid = embedded.session()
    before = embedded.snapshot(sid)
    body = {"space": space, "population_size": 2, "replicates": 0}
    r = embedded.put(f"/v1/sessions/{sid}/space", body)
    assert r.status == 422, r
    assert r.body["code"] == "validation_failed"
    assert words in r.body["message"]
    assert embedded.snapshot(sid) == before


def test_a_whole_total_breaking_a_rule_is_refused_at_once_too(embedded):
    """0 is a whole number, read, then judged by the space's rules as ``min: -1`` is: as
    the space's task is started (a 422, no task; before, a task that failed)."""
    sid = embedded.session()
    errors = embedded.refused_space(sid, mixture(0), population_size=2, replicates=0)
    assert "total_units must be a positive whole number, not 0" in errors[0]["message"]
    errors = embedded.refused_space(sid, mixture(10, low=-1), population_size=2, replicates=0)
    assert "minimum -1 of 'A' is negative" in errors[0]["message"]
