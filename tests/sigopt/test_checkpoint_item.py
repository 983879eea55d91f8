"""One checkpoint of a run, as sigopt-python fetches it, over real HTTP with auth on."""

from __future__ import annotations

import pytest
import requests

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402


def test_the_official_client_fetches_one_checkpoint(served):
    """``conn.training_runs(r).checkpoints(c).fetch()`` was a 404 (no route); SigOpt
    serves it. Another run's checkpoint, an unknown id and another user's run are 404s."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    client = requests.get(
        f"{served.url}/v1/tokens/self",
        headers={"Authorization": f"Bearer {served.token}"},
        timeout=30,
    ).json()["client"]
    runs = conn.clients(client).projects("ck").training_runs()
    run, other = runs.create(name="a"), runs.create(name="b")
    first = conn.training_runs(run.id).checkpoints().create(values=[{"name": "loss", "value": 2}])
    second = (
        conn.training_runs(run.id)
        .checkpoints()
        .create(values=[{"name": "loss", "value": 1}], metadata={"epoch": 2})
    )
    got = conn.training_runs(run.id).checkpoints(second.id).fetch()
    assert isinstance(got, sigopt.objects.Checkpoint)
    assert got.id == second.id and got.training_run == run.id
    assert got.values[0].value == 1 and got.metadata["epoch"] == 2
    assert conn.training_runs(run.id).checkpoints(first.id).fetch().values[0].value == 2
    for rid, ckid in [(other.id, second.id), (run.id, str(int(second.id) + 100)), (run.id, "x")]:
        with pytest.raises(ApiException) as caught:
            conn.training_runs(rid).checkpoints(ckid).fetch()
        assert caught.value.status_code == 404, (rid, ckid)
    _, other_token = served.make_user()
    stranger = requests.get(
        f"{served.url}/v1/training_runs/{run.id}/checkpoints/{second.id}",
        headers={"Authorization": f"Bearer {other_token}"},
        timeout=30,
    )
    assert stranger.status_code == 404, stranger.text


def test_an_unknown_run_is_named_before_its_checkpoint(served):
    """A checkpoint id that is not a number was named first: GET of a run that does not
    exist said "No checkpoint with id 'y'", where every other nested route names the
    parent (an unknown experiment of an observation, a session of a task)."""
    auth = {"Authorization": f"Bearer {served.token}"}
    for rid in ("99999", "x"):
        reply = requests.get(
            f"{served.url}/v1/training_runs/{rid}/checkpoints/y", headers=auth, timeout=30
        )
        assert reply.status_code == 404, reply.text
        assert reply.json()["message"].startswith(f'No training run with id "{rid}"'), reply.text
