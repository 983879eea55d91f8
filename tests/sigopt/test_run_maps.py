"""What a training run's maps hold, entry by entry, as SigOpt's server checks it: logs,
assignments_meta, assignments_sources, sys_metadata and dev_metadata (embedded and
served). SigOpt's parser is ``zigopt/handlers/training_runs/parser.py``."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service.domain.sigopt_run_maps import MAX_LOG_LENGTH
from sigopt_like.service.store import schema

from .conftest import Api


def merge(api: Api, rid: str, body: dict) -> Any:
    return api.call("MERGE" if api.mode == "served" else "PATCH", f"/v1/training_runs/{rid}", body)


def runs_rows(api: Api) -> list[tuple]:
    """Every stored training run, to check that a refusal changed none."""
    with api.service.context.store.database.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(schema.training_runs))]


@pytest.fixture
def runs(api: Api) -> str:
    client = api.get("/v1/tokens/self").body["client"]
    return f"/v1/clients/{client}/projects/maps/training_runs"


def _refused(api: Api, runs: str, body: dict, field: str, status: int = 400) -> None:
    """``body`` is refused naming ``field`` by a create, ``upload_runs``, PUT and MERGE,
    nothing stored or changed."""
    run = api.post(runs, {"name": "r", "assignments": {"lr": 0.1}}).body
    path = f"/v1/training_runs/{run['id']}"
    before = runs_rows(api)
    for reply, where in (
        (api.post(runs, {"name": "n", "assignments": {"lr": 0.1}, **body}), field),
        (
            api.post(f"{runs}/batch", {"runs": [{"name": "n", "assignments": {"lr": 1}, **body}]}),
            f"runs[0].{field}",
        ),
        (api.put(path, body), field),
        (merge(api, run["id"], body), field),
    ):
        assert reply.status == status, (body, reply.status, reply.body)
        assert reply.body["detail"]["field"] == where, (body, reply.body)
    assert runs_rows(api) == before


# ---------------------------------------------------------------- logs


def test_a_log_is_its_content_cut_where_sigopt_cuts_it(api: Api, runs: str):
    """A log entry was kept as sent, whatever it held. SigOpt keeps ``{"content": text}``
    and cuts the text at 1124 characters (``MAX_LOG_LENGTH``, 1024 and room for
    sigopt-python's own disclaimer): so does this service, in a create and an update."""
    long = "a" * (MAX_LOG_LENGTH * 2)
    made = api.post(runs, {"name": "r", "logs": {"stdout": {"content": long}}})
    assert made.status == 201, made.body
    assert made.body["logs"]["stdout"]["content"] == "a" * MAX_LOG_LENGTH == "a" * 1124
    rid = made.body["id"]
    exact = "b" * MAX_LOG_LENGTH
    reply = merge(api, rid, {"logs": {"stderr": {"content": exact}, "empty": {"content": ""}}})
    assert reply.status == 200, reply.body
    assert api.get(f"/v1/training_runs/{rid}").body["logs"] == {
        "stdout": {"content": "a" * MAX_LOG_LENGTH},
        "stderr": {"content": exact},
        "empty": {"content": ""},
    }


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({}, "logs.stdout.content"),
        ({"content": None}, "logs.stdout.content"),
        ({"content": 3}, "logs.stdout.content"),
        ({"content": ["a"]}, "logs.stdout.content"),
        ({"content": "a", "level": "info"}, "logs.stdout.level"),
    ],
)
def test_a_log_without_text_content_is_refused(api: Api, runs: str, entry: dict, field: str):
    """SigOpt requires a log's ``content`` as a string (``get_with_validation(...,
    ValidationType.string)``: a 400); a field beside it SigOpt drops, and this service
    refuses rather than keep it unseen."""
    _refused(api, runs, {"logs": {"stdout": entry}}, field)


# ---------------------------------------------------------------- assignments_meta


def test_an_assignments_source_is_kept_as_sigopt_keeps_it(api: Api, runs: str):
    """sigopt-python's ``run.set_parameter_source(name, source)`` and
    ``set_parameters_sources_meta(source, sort=, default_show=)`` (the xgboost
    integration sends both) are kept and rendered as sent; a ``sort`` given as an
    integral float is the integer SigOpt keeps (an ``int32``)."""
    run = api.post(runs, {"name": "r"}).body
    assert merge(api, run["id"], {"assignments": {"eta": 0.3}}).status == 200
    meta = merge(api, run["id"], {"assignments_meta": {"eta": {"source": "XGBoost Defaults"}}})
    assert meta.status == 200, meta.body
    sources = {"XGBoost Defaults": {"sort": 4.0, "default_show": False}}
    reply = merge(api, run["id"], {"assignments_sources": sources})
    assert reply.status == 200, reply.body
    fetched = api.get(f"/v1/training_runs/{run['id']}").body
    assert fetched["assignments_meta"] == {"eta": {"source": "XGBoost Defaults"}}
    assert fetched["assignments_sources"] == {
        "XGBoost Defaults": {"sort": 4, "default_show": False}
    }
    assert isinstance(fetched["assignments_sources"]["XGBoost Defaults"]["sort"], int)
    both = merge(  # the assignment and its meta in one update
        api,
        run["id"],
        {"assignments": {"depth": 6}, "assignments_meta": {"depth": {"source": "u"}}},
    )
    assert both.status == 200 and both.body["assignments_meta"]["depth"] == {"source": "u"}


@pytest.mark.parametrize(
    ("entry", "field", "status"),
    [
        ({}, "assignments_meta.lr.source", 400),
        ({"source": None}, "assignments_meta.lr.source", 400),
        ({"source": 1}, "assignments_meta.lr.source", 400),
        ({"source": "s" * 31}, "assignments_meta.lr.source", 422),
        ({"source": "SigOpt"}, "assignments_meta.lr.source", 422),
        ({"source": "u", "note": "x"}, "assignments_meta.lr.note", 400),
    ],
)
def test_an_assignments_meta_needs_a_short_source(
    api: Api, runs: str, entry: dict, field: str, status: int
):
    """SigOpt requires ``source`` (a string of at most 30 characters, never ``SigOpt``,
    which it sets on suggested assignments): ``validate_assignments_meta_json``,
    ``validate_assignments_meta``. (A missing or non-string source is a 500 there; a 400
    here.)"""
    _refused(api, runs, {"assignments_meta": {"lr": entry}}, field, status)


def test_a_run_of_an_ai_experiment_says_sigopt_chose_its_assignments(api: Api, runs: str):
    """SigOpt sets the source ``SigOpt`` (sort 1, shown by default) on every assignment
    of a run it makes from its suggestion (``aiexperiments/training_runs/create.py``);
    this service rendered ``assignments_meta`` and ``assignments_sources`` null. The run
    sent back whole is taken (the reserved source is the one it has), a caller still
    cannot give that source to another assignment, and one it logs beside the suggested
    ones takes its own source as on any run."""
    client = runs.split("/")[3]
    experiment = api.post(
        f"/v1/clients/{client}/projects/maps/aiexperiments",
        {
            "name": "ai",
            "parameters": [
                {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
                {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]},
            ],
            "metrics": [{"name": "acc"}],
            "budget": 3,
        },
    ).body
    made = api.post(f"/v1/aiexperiments/{experiment['id']}/training_runs", {"name": "r"})
    assert made.status == 201, made.body
    run = made.body
    assert run["assignments_meta"] == {"x": {"source": "SigOpt"}, "c": {"source": "SigOpt"}}
    assert run["assignments_sources"] == {"SigOpt": {"default_show": True, "sort": 1}}
    path = f"/v1/training_runs/{run['id']}"
    for verb in ("PUT", "MERGE" if api.mode == "served" else "PATCH"):
        reply = api.call(verb, path, run)
        assert reply.status == 200, (verb, reply.body)
        assert reply.body["assignments_meta"] == run["assignments_meta"]
    before = runs_rows(api)
    stolen = merge(
        api,
        run["id"],
        {"assignments": {"seed": 3}, "assignments_meta": {"seed": {"source": "SigOpt"}}},
    )
    assert stolen.status == 422 and stolen.body["detail"]["field"] == "assignments_meta.seed.source"
    assert runs_rows(api) == before
    own = merge(
        api,
        run["id"],
        {"assignments": {"seed": 3}, "assignments_meta": {"seed": {"source": "user"}}},
    )
    assert own.status == 200, own.body
    assert api.get(path).body["assignments_meta"] == {
        "x": {"source": "SigOpt"},
        "c": {"source": "SigOpt"},
        "seed": {"source": "user"},
    }
    plain = api.post(runs, {"name": "outside any experiment"}).body
    assert plain["assignments_meta"] is None and plain["assignments_sources"] is None


def test_an_assignments_meta_names_one_of_the_runs_assignments(api: Api, runs: str):
    """SigOpt refuses a parameter meta "but there is no corresponding parameter" in the
    body's assignments or the run's: so does this service, nothing stored."""
    _refused(
        api, runs, {"assignments_meta": {"depth": {"source": "u"}}}, "assignments_meta.depth", 422
    )


# ---------------------------------------------------------------- assignments_sources


@pytest.mark.parametrize(
    ("entry", "field", "status"),
    [
        ({"sort": 1}, "assignments_sources.u.default_show", 400),
        ({"sort": 1, "default_show": None}, "assignments_sources.u.default_show", 400),
        ({"sort": 1, "default_show": "yes"}, "assignments_sources.u.default_show", 400),
        ({"default_show": True}, "assignments_sources.u.sort", 400),
        ({"default_show": True, "sort": "1"}, "assignments_sources.u.sort", 400),
        ({"default_show": True, "sort": True}, "assignments_sources.u.sort", 400),
        ({"default_show": True, "sort": 1.5}, "assignments_sources.u.sort", 422),
        ({"default_show": True, "sort": 2**31}, "assignments_sources.u.sort", 422),
        ({"default_show": True, "sort": 2**70}, "assignments_sources.u.sort", 422),
        ({"default_show": True, "sort": 1e308}, "assignments_sources.u.sort", 422),
        ({"default_show": True, "sort": 1, "colour": "red"}, "assignments_sources.u.colour", 400),
    ],
)
def test_an_assignments_source_needs_default_show_and_an_integer_sort(
    api: Api, runs: str, entry: dict, field: str, status: int
):
    """SigOpt requires both (``get_with_validation``: a 400) and keeps ``sort`` as an
    ``int32`` (a fraction, or a number past it, cannot be kept: a 500 there)."""
    _refused(api, runs, {"assignments_sources": {"u": entry}}, field, status)


def test_an_assignments_source_name_is_at_most_30_characters(api: Api, runs: str):
    name = "s" * 31
    body = {"assignments_sources": {name: {"sort": 1, "default_show": True}}}
    _refused(api, runs, body, f"assignments_sources.{name}", 422)


# ---------------------------------------------------------------- sys_metadata, dev_metadata


def test_sys_metadata_holds_feature_importances_as_sigopt_keeps_them(api: Api, runs: str):
    """sigopt-python's xgboost integration logs ``run.log_sys_metadata(
    "feature_importances", {"type": ..., "scores": {...}})``; SigOpt keeps each score as a
    32-bit float."""
    run = api.post(runs, {"name": "r"}).body
    importances = {"type": "weight", "scores": {"f0": 12, "f1": 0.1, "f2": 0.123456789}}
    reply = merge(api, run["id"], {"sys_metadata": {"feature_importances": importances}})
    assert reply.status == 200, reply.body
    assert api.get(f"/v1/training_runs/{run['id']}").body["sys_metadata"] == {
        "feature_importances": {
            "type": "weight",
            "scores": {"f0": 12.0, "f1": 0.1, "f2": 0.12345679},
        }
    }


@pytest.mark.parametrize(
    ("value", "field", "status"),
    [
        ({"host": "h"}, "sys_metadata.host", 400),
        ({"feature_importances": 1}, "sys_metadata.feature_importances", 400),
        ({"feature_importances": {"kind": "x"}}, "sys_metadata.feature_importances.kind", 400),
        ({"feature_importances": {"type": 1}}, "sys_metadata.feature_importances.type", 400),
        (
            {"feature_importances": {"type": "t" * 101}},
            "sys_metadata.feature_importances.type",
            422,
        ),
        ({"feature_importances": {"scores": [1]}}, "sys_metadata.feature_importances.scores", 400),
        (
            {"feature_importances": {"scores": {"f": None}}},
            "sys_metadata.feature_importances.scores.f",
            400,
        ),
        (
            {"feature_importances": {"scores": {"f": "1"}}},
            "sys_metadata.feature_importances.scores.f",
            400,
        ),
        (
            {"feature_importances": {"scores": {"f": 1e308}}},
            "sys_metadata.feature_importances.scores.f",
            422,
        ),
        (
            {"feature_importances": {"scores": {f"f{i}": 1 for i in range(51)}}},
            "sys_metadata.feature_importances.scores",
            422,
        ),
        (
            {"feature_importances": {"scores": {"f" * 101: 1}}},
            "sys_metadata.feature_importances.scores",
            422,
        ),
    ],
)
def test_sys_metadata_refuses_what_sigopt_refuses(
    api: Api, runs: str, value: dict, field: str, status: int
):
    """SigOpt's ``sys_metadata`` is its ``SysMetadata`` message: ``feature_importances``
    and nothing else, at most 50 scores, names and type of at most 100 characters, each
    score a 32-bit float (``validate_sys_metadata``). Anything was kept here."""
    _refused(api, runs, {"sys_metadata": value}, field, status)


@pytest.mark.parametrize(
    ("value", "field", "status"),
    [
        ({"k": {"nested": 1}}, "dev_metadata.k", 400),
        ({"k": [1]}, "dev_metadata.k", 400),
        ({"k": True}, "dev_metadata.k", 400),
        ({"k": "v" * 501}, "dev_metadata.k", 422),
        ({f"k{i}": i for i in range(101)}, "dev_metadata", 422),
    ],
)
def test_dev_metadata_is_metadata_as_sigopt_reads_it(
    api: Api, runs: str, value: dict, field: str, status: int
):
    """SigOpt reads ``dev_metadata`` as metadata (``parse_metadata``: strings, numbers or
    null, at most 100 keys, strings of at most 500 characters); any object was kept."""
    _refused(api, runs, {"dev_metadata": value}, field, status)


# ---------------------------------------------------------------- hostile input

DEEP: Any = 1
for _ in range(70):
    DEEP = [DEEP]
HOSTILE = {
    "lone surrogate": "a\ud800b",
    "NUL": "a\x00b",
    "2**70": 2**70,
    "1e308": 1e308,
    "deep": DEEP,
    "object": {"a": 1},
    "list": [1],
    "true": True,
}
#: each place of a run's maps that takes a value, with the field a refusal names there
PLACES = {
    "logs.out.content": lambda v: {"logs": {"out": {"content": v}}},
    "assignments_meta.lr.source": lambda v: {"assignments_meta": {"lr": {"source": v}}},
    "assignments_sources.u.sort": lambda v: {
        "assignments_sources": {"u": {"sort": v, "default_show": True}}
    },
    "assignments_sources.u.default_show": lambda v: {
        "assignments_sources": {"u": {"sort": 1, "default_show": v}}
    },
    "sys_metadata.feature_importances.type": lambda v: {
        "sys_metadata": {"feature_importances": {"type": v}}
    },
    "sys_metadata.feature_importances.scores.f": lambda v: {
        "sys_metadata": {"feature_importances": {"scores": {"f": v}}}
    },
    "dev_metadata.k": lambda v: {"dev_metadata": {"k": v}},
}


def test_hostile_values_in_a_runs_maps_are_refused_naming_the_field(api: Api, runs: str):
    """Each place of the maps, given what it cannot hold (text that is not text, an
    integer past 64 bits, a float no 32-bit float holds, nesting past the door's depth,
    a wrong type): a 4xx naming that field, never a 5xx, and no run changed."""
    run = api.post(runs, {"name": "r", "assignments": {"lr": 0.1}}).body
    path = f"/v1/training_runs/{run['id']}"
    before = runs_rows(api)
    for field, build in PLACES.items():
        for name, value in HOSTILE.items():
            if (field, name) in _TAKEN:
                continue
            for reply in (api.put(path, build(value)), merge(api, run["id"], build(value))):
                assert 400 <= reply.status < 500, (field, name, reply.status, reply.body)
                shown = reply.body["detail"]["field"]
                assert shown == field or shown.startswith(field), (field, name, reply.body)
    assert runs_rows(api) == before


#: what a place takes among HOSTILE (metadata takes any finite number, as SigOpt's; an
#: integer past 64 bits is the double it denotes there, and in a 32-bit score, as SigOpt
#: reads it: 2**70 is about 1.2e21)
_TAKEN = {
    ("dev_metadata.k", "1e308"),
    ("dev_metadata.k", "2**70"),
    ("sys_metadata.feature_importances.scores.f", "2**70"),
    ("assignments_sources.u.default_show", "true"),
}


def test_null_inside_sys_metadata_removes_that_key(api: Api, runs: str):
    """As a null inside ``metadata`` or ``assignments`` does here: ``feature_importances``
    given as null is removed, the run's other fields as they were; a run created with it
    null is made without it."""
    importances = {"type": "gain", "scores": {"f": 1.5}}
    run = api.post(runs, {"name": "r", "sys_metadata": {"feature_importances": importances}})
    assert run.status == 201 and run.body["sys_metadata"]["feature_importances"] == importances
    reply = merge(api, run.body["id"], {"sys_metadata": {"feature_importances": None}})
    assert reply.status == 200 and reply.body["sys_metadata"] == {}, reply.body
    made = api.post(runs, {"name": "n", "sys_metadata": {"feature_importances": None}})
    assert made.status == 201 and made.body["sys_metadata"] == {}, made.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"logs": {"a\ud800": {"content": "x"}}}, "logs.a"),
        ({"logs": {"a\x00": {"content": "x"}}}, "logs.a"),
        (
            {"assignments_sources": {"s\ud800": {"sort": 1, "default_show": True}}},
            "assignments_sources.s",
        ),
        (
            {"sys_metadata": {"feature_importances": {"scores": {"f\x00": 1}}}},
            "sys_metadata.feature_importances.scores.f",
        ),
        ({"logs": "stdout"}, "logs"),
        ({"logs": ["stdout"]}, "logs"),
        ({"assignments_meta": 1}, "assignments_meta"),
        ({"assignments_sources": [{"sort": 1}]}, "assignments_sources"),
        ({"sys_metadata": "feature_importances"}, "sys_metadata"),
        ({"sys_metadata": [1]}, "sys_metadata"),
        ({"dev_metadata": 1e308}, "dev_metadata"),
        (
            {"sys_metadata": {"feature_importances": {"scores": DEEP}}},
            "sys_metadata.feature_importances.scores",
        ),
    ],
)
def test_hostile_keys_and_shapes_of_a_runs_maps_are_refused(
    api: Api, runs: str, body: dict, field: str
):
    """A key that is not text (a lone surrogate, a NUL) and a map of the wrong shape: a
    400 naming the place, by PUT and MERGE, no run changed."""
    run = api.post(runs, {"name": "r", "assignments": {"lr": 0.1}}).body
    path = f"/v1/training_runs/{run['id']}"
    before = runs_rows(api)
    for reply in (
        api.put(path, body),
        merge(api, run["id"], body),
        api.post(runs, {"name": "n", **body}),
    ):
        assert reply.status == 400, (body, reply.status, reply.body)
        assert reply.body["detail"]["field"].startswith(field), (body, reply.body)
    assert runs_rows(api) == before


# ---------------------------------------------------------------- assignments


@pytest.mark.parametrize(
    ("value", "field", "status"),
    [
        ({"flag": True}, "assignments.flag", 400),
        ({"k": {"nested": 1}}, "assignments.k", 400),
        ({"k": [1, 2]}, "assignments.k", 400),
        ({"k": "v" * 501}, "assignments.k", 422),
        ({f"p{i}": i for i in range(101)}, "assignments", 422),
        ({"p" * 501: 1}, "assignments", 422),  # a parameter name runs to 500 here
    ],
)
def test_assignments_are_metadata_as_sigopt_reads_them(
    api: Api, runs: str, value: dict, field: str, status: int
):
    """SigOpt reads a run's ``assignments`` as metadata (``parse_metadata`` ->
    ``validate_metadata``): strings of at most 500 characters, numbers or null, at most
    100 keys (of at most 500 characters here, a parameter name's limit); a boolean
    (sigopt-python's ``run.params.flag = True``) is a 400 there. Booleans and any number
    of keys or characters were kept."""
    _refused(api, runs, {"assignments": value}, field, status)


def test_a_model_and_source_code_hold_what_sigopt_keeps(api: Api, runs: str):
    """SigOpt keeps a run's ``model`` as its ``type`` and its ``source_code`` as
    ``content`` and ``hash``, strings (``parse_training_run_model``,
    ``parse_source_code``); any object was kept here as sent. Another field, or another
    kind of value, is a 400 naming it, nothing changed; null leaves a field out."""
    made = api.post(
        runs,
        {
            "name": "m",
            "model": {"type": "xgboost"},
            "source_code": {"content": "print(1)", "hash": "abc", "url": None},
        },
    )
    assert made.status == 400 and made.body["detail"]["field"] == "source_code.url"
    made = api.post(
        runs, {"name": "m", "model": {"type": None}, "source_code": {"hash": "abc"}}
    ).body
    assert made["model"] == {} and made["source_code"] == {"hash": "abc"}
    for body, field in (
        ({"model": {"type": "xgb", "framework": "torch"}}, "model.framework"),
        ({"model": {"type": 3}}, "model.type"),
        ({"source_code": {"content": 5}}, "source_code.content"),
        ({"source_code": {"hash": "h", "url": "u"}}, "source_code.url"),
    ):
        _refused(api, runs, body, field)
