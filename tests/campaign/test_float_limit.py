"""Responses near the float limit (1.7e308 is a finite number, so a valid response): a
campaign goes on, the recommendation and the analytics are made, never a 500.

Found by a stranger's pass: two replicate readings of 1.7e308 had an infinite mean (their
sum overflowed), the model refused it and ``GET /best`` answered a 500; the analytics task
failed in Matplotlib (the axis spanned 3.4e308) and its summary wrote 1e308 as 309 digits.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .conftest import Api, small_space

BIG = 1.7e308


def measured_design(api: Api, sid: str) -> tuple[dict[str, Any], list[Any]]:
    """Generation 1's design, its first point's two replicates at +1.7e308, one other
    reading at -1.7e308, the rest ordinary; and that first point."""
    design = api.get(f"/v1/sessions/{sid}/design").body["table"]
    first = design["rows"][0][:-1]
    # the low reading goes to the first row of another point: "row 5" was the first
    # point's own replicate in some designs, and then no reading was -1.7e308
    low = next(i for i, row in enumerate(design["rows"]) if row[:-1] != first)
    rows = []
    for i, row in enumerate(design["rows"]):
        value = BIG if row[:-1] == first else (-BIG if i == low else float(i % 7))
        rows.append([*row[:-1], value])
    assert sum(r[-1] == BIG for r in rows) == 2  # the replicates of the first point
    assert sum(r[-1] == -BIG for r in rows) == 1
    return {"columns": design["columns"], "rows": rows}, first


def test_replicates_at_the_float_limit_are_averaged_not_a_500(api):
    """And the next design is chosen without overflow (numpy warnings): the UCB of such
    responses was infinite for every candidate, and the batch the pool's first ones."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _a_campaign_at_the_float_limit(api)
    assert [f"{w.filename}:{w.lineno}: {w.message}" for w in caught] == []


def _a_campaign_at_the_float_limit(api: Api) -> None:
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    api.generate(sid)
    table, first = measured_design(api, sid)
    assert api.put_experiments(sid, "designed", table)["status"] == "success"

    best = api.get(f"/v1/sessions/{sid}/best")
    assert best.status == 200, best.body
    assert [best.body["experiment"][c] for c in ("a", "b", "c", "d")] == first
    assert best.body["observed_mean"] == BIG

    api.generate(sid)  # the model is fitted on the finite mean: generation 2 is designed

    task = api.run("POST", f"/v1/sessions/{sid}/analytics")
    assert task["status"] == "success", task
    got = api.get(f"/v1/sessions/{sid}/analytics/files/summary.csv", gen=task["result"]["gen"])
    assert got.status == 200
    row, _ = list(csv.DictReader(io.StringIO(got.content.decode())))  # generations 1 and 2
    assert row["best"] == "1.7e+308" and row["best_so_far"] == "1.7e+308"
    assert 1e306 < float(row["mean"]) < 1e307  # (2 x 1.7e308 - 1.7e308 + small) / 24


def test_levels_at_the_float_limit_are_designed_simulated_and_plotted(tmp_path):
    """Levels -1e308, 0 and 1e308 (finite, so valid): their span, 2e308, overflowed. The
    engine scaled every level to NaN (numpy warnings on the user's console), the
    simulated lab answered NaN and ``simulate`` failed ("response nan is not a finite
    number"), and the analytics' x axis overflowed in Matplotlib (warnings)."""
    import warnings

    import sigopt_like

    space = {
        "type": "factorial",
        "parameters": [
            {"name": "t", "type": "numerical", "values": [-1e308, 0, 1e308]},
            {"name": "u", "type": "numerical", "values": [-1e308, 1e308]},
            {"name": "c", "type": "categorical", "values": ["a", "b"]},
        ],
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "limit.db") as conn:
            campaign = conn.sessions(conn.sessions.create(name="limit").id)
            campaign.space.put(space=space, population_size=3, replicates=0, wait=True)
            assert campaign.simulate(ngens=2, wait=True).status == "success"
            design = campaign.design.fetch()
            assert {row[0] for row in design.rows} <= {-1e308, 0, 1e308}
            assert campaign.analytics.create(wait=True).status == "success"
            best = campaign.best.fetch()
            assert best.experiment["t"] in (-1e308, 0, 1e308)
    assert [f"{w.filename}:{w.lineno}: {w.message}" for w in caught] == []


def test_responses_of_plus_and_minus_1e308_design_without_overflow(tmp_path, capfd):
    """Before: an embedded campaign whose responses were 1e308 and -1e308 printed numpy's
    "overflow encountered in subtract" on the user's console at each generation (the
    observed range, 2e308, taken to judge which categorical decides the response); the
    design was fine. The range is now taken in halves, which is exact for ordinary ones.
    The tasks run in processes of their own: their console is read (``capfd``) as well."""
    import warnings

    import sigopt_like

    space = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1, 2, 3]},
            {"name": "b", "type": "numerical", "values": [0, 1, 2, 3]},
            {"name": "c", "type": "categorical", "values": ["x", "y"]},
        ],
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "wide.db") as conn:
            campaign = conn.sessions(conn.sessions.create(name="wide", seed=1).id)
            campaign.space.put(space=space, population_size=6, replicates=0, wait=True)
            for _ in range(3):
                design = campaign.generate(wait=True).result.experiments
                responses = [1e308 if i % 2 else -1e308 for i in range(len(design.rows))]
                table = design.with_responses(responses)
                campaign.experiments.put(type="designed", table=table, wait=True)
            assert campaign.best.fetch().observed_mean == 1e308
    assert [f"{w.filename}:{w.lineno}: {w.message}" for w in caught] == []
    assert "overflow" not in capfd.readouterr().err
