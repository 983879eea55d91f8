"""``GET /best`` reads the campaign as stored (codes and responses, nothing decoded):
its answer is the one of the whole campaign loaded and decoded, as the route read it
before (``load_with_codes``, ``encoded_history``, readings matched on decoded points)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from sigopt_like.service import create_app
from sigopt_like.service.domain.campaign import DESIGNED, Row, table_json
from sigopt_like.service.domain.codes import Codec, EncodedHistory, encoded_history
from sigopt_like.service.optimizer import finite, recommend
from sigopt_like.service.store.campaigns import _codes_array
from sigopt_like.spaces import Space

from ..optimizer.conftest import mixture
from .test_campaigns import SPACE, Campaign


def _as_before(store, sid: int) -> dict:
    """The recommendation as the route computed it from the whole decoded campaign."""
    loaded = store.campaigns.load_with_codes(sid)
    c = loaded.campaign
    space = c.space
    observations = [(p, y) for p, y in c.observations() if y is not None]
    codec = Codec(space)
    history = encoded_history(c, lambda g: loaded.codes.codes_of(g, codec))
    responded = [i for i, y in enumerate(history.values) if y is not None]
    encoded = EncodedHistory(
        [history.codes[i] for i in responded], [history.values[i] for i in responded], []
    )
    point, predicted = recommend(space, observations, encoded=encoded)
    point = tuple(point)
    readings = [y for p, y in observations if tuple(p) == point]
    row = table_json(c, [Row(point, None, False, DESIGNED)])["rows"][0][:-1]
    return json.loads(
        json.dumps(
            {
                "object": "recommendation",
                "experiment": dict(zip(space.names, row, strict=True)),
                "predicted_response": predicted,
                "observed_mean": finite.mean(readings) if readings else None,
                "n_observations": len(readings),
                "gen": c.gen,
            }
        )
    )


def _check(campaign: Campaign) -> dict:
    store = campaign.service.context.store
    sid = int(campaign.sid)
    answer = campaign.client.simulate_get(f"/v1/sessions/{sid}/best")
    assert answer.status_code == 200, answer.json
    assert answer.json == _as_before(store, sid)
    # and what it reads is the decoded campaign's tested experiments, in order
    stored = store.campaigns.responses(sid)
    loaded = store.campaigns.load_with_codes(sid)
    c = loaded.campaign
    history = encoded_history(c, lambda g: loaded.codes.codes_of(g, Codec(c.space)))
    assert stored.codes.tolist() == [list(k) for k in history.codes]
    assert stored.responses == history.values
    assert (stored.state, stored.gen) == (c.state, c.gen)
    return answer.json


def _initial(space: Space, n: int, seed: int) -> dict:
    rng = random.Random(seed)
    points = space.random_points(n, seed)
    points += points[: n // 4]  # replicates
    rows = []
    for p in points:
        y = round(rng.gauss(sum(map(_num, p)), 1.0), 3)  # responses are required here
        rows.append([*p, y])
    return {"type": "initial", "table": {"columns": list(space.columns), "rows": rows}}


def _num(value) -> float:
    return float(value) if not isinstance(value, str) else float(ord(value[0]) % 5)


@pytest.mark.parametrize("space", [Space.from_dict(SPACE), mixture()], ids=["factorial", "mixture"])
def test_best_answers_as_from_the_decoded_campaign(tmp_path: Path, space: Space) -> None:
    with create_app(database=str(tmp_path / "b.db"), run_tasks=False) as service:
        campaign = Campaign(service)
        campaign.run(
            "PUT", "/space", {"space": space.to_dict(), "population_size": 5, "replicates": 1}
        )
        no = campaign.client.simulate_get(f"/v1/sessions/{campaign.sid}/best")
        assert no.status_code == 409 and no.json["code"] == "no_responses"
        campaign.run("POST", "/experiments", _initial(space, 24, 3))
        first = _check(campaign)
        assert first["n_observations"] >= 1
        campaign.run("POST", "/generate", {})
        pending = _check(campaign)  # a pending design is not tested: the same answer
        assert pending == {**first, "gen": 1}
        campaign.upload_simulated()
        _check(campaign)
        campaign.run("POST", "/generate", {})
        _check(campaign)


def test_stored_codes_read_alike_in_any_json_form() -> None:
    rows = [[0, 12, 3], [7, 0, 100], [0, 12, 3]]
    compact = json.dumps(rows, separators=(",", ":"))
    for text in (compact, json.dumps(rows)):
        assert _codes_array(text, 3, 3).tolist() == rows
    assert _codes_array("[]", 0, 3).shape == (0, 3)
    floats = _codes_array("[[1.0,2.5],[3,4]]", 2, 2)  # not whole numbers: read as JSON
    np.testing.assert_array_equal(floats, [[1.0, 2.5], [3, 4]])
