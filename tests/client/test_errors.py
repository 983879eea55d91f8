"""The error hierarchy: classes, messages that read well, pickling."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import sigopt_like
from sigopt_like import errors
from sigopt_like.errors import UnencodableValueError
from sigopt_like.models import Task
from sigopt_like.spaces import SpaceError
from sigopt_like.tables import TableError


def test_every_error_is_a_sigopt_like_error():
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type):
            assert issubclass(value, sigopt_like.SigoptLikeError), name
            assert getattr(sigopt_like, name) is value


def test_every_error_the_package_exports_is_in_the_errors_modules_all():
    """Before: ``sigopt_like.UnusablePathError`` was exported at the top level but not in
    ``sigopt_like.errors.__all__``, so ``from sigopt_like.errors import *`` lacked it.
    SpaceError and TableError live with the pure modules that raise them (spaces, tables,
    which import errors; errors importing them back would be a cycle)."""
    exported = {
        name: value
        for name in sigopt_like.__all__
        if isinstance(value := getattr(sigopt_like, name), type)
        and issubclass(value, BaseException)
    }
    elsewhere = {"SpaceError": "sigopt_like.spaces", "TableError": "sigopt_like.tables"}
    lacking = [
        name
        for name, cls in exported.items()
        if elsewhere.get(name) != cls.__module__ and name not in errors.__all__
    ]
    assert exported and not lacking, lacking
    namespace: dict[str, object] = {}
    exec("from sigopt_like.errors import *", namespace)
    assert namespace["UnusablePathError"] is sigopt_like.UnusablePathError


def test_builtin_bases_for_except_clauses():
    assert issubclass(errors.APIConnectionError, ConnectionError)
    assert issubclass(errors.APITimeoutError, TimeoutError)
    assert issubclass(errors.TaskTimeoutError, TimeoutError)
    assert issubclass(errors.ServiceNotInstalledError, ImportError)


def test_message_reads_like_the_contract():
    err = errors.api_error(
        409,
        {
            "object": "error",
            "status": 409,
            "code": "duplicate_name",
            "message": "A session named 'alloy' already exists",
            "detail": {},
        },
        request_id="3f2a9c",
    )
    assert isinstance(err, errors.ConflictError)
    assert str(err) == "409 duplicate_name: A session named 'alloy' already exists (request 3f2a9c)"


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        (None, "Bad Gateway", "bad_gateway"),
        ("", "Bad Gateway", "bad_gateway"),
        ("upstream   died\n badly", "upstream died badly", "bad_gateway"),
        (["a", "list"], "Bad Gateway", "bad_gateway"),
        ({"code": 5, "message": None}, "Bad Gateway", "bad_gateway"),
    ],
)
def test_odd_bodies_still_make_a_useful_error(body, message, code):
    err = errors.api_error(502, body, reason="Bad Gateway")
    assert isinstance(err, errors.ServerError)
    assert (err.message, err.code) == (message, code)


def test_long_text_bodies_are_shortened():
    err = errors.api_error(500, "x" * 5000)
    assert len(err.message) < 400


def test_api_errors_pickle():
    err = errors.api_error(
        422,
        {
            "code": "validation_failed",
            "message": "bad",
            "detail": {"errors": [{"message": "m", "row": 1}]},
        },
        request_id="r",
    )
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is errors.ValidationError
    assert (again.status, again.code, again.request_id, again.errors) == (
        422,
        "validation_failed",
        "r",
        [{"message": "m", "row": 1}],
    )
    assert str(again) == str(err)


def test_task_failed_error_lists_problems():
    task = Task.from_dict(
        {
            "id": "1",
            "status": "failed",
            "errors": [{"message": f"problem {i}", "row": i, "column": "p"} for i in range(12)],
        }
    )
    err = errors.TaskFailedError("Task 1 failed", task, task.errors)
    assert "row 0, column p: problem 0" in str(err)
    assert "(+2 more)" in str(err)
    assert err.task is task and len(err.errors) == 12


def test_a_task_problem_of_no_place_is_said_as_it_is():
    """Before: a problem with no row, column or field (a refusal of the whole request,
    such as a space that the stored initial experiments do not fit) raised IndexError
    while the TaskFailedError was being made."""
    task = Task.from_dict(
        {"id": "3", "status": "failed", "errors": [{"message": "2 initial experiments are"}]}
    )
    err = errors.TaskFailedError("Task 3 failed", task, task.errors)
    assert str(err) == "Task 3 failed: 2 initial experiments are"


def test_version_error_carries_versions():
    err = errors.VersionError("old", client_version="0.1.0", min_client_version="2.0")
    assert (err.client_version, err.min_client_version) == ("0.1.0", "2.0")


def test_a_body_json_cannot_carry_names_its_field_and_sends_nothing(conn):
    """Before: a bare ValueError naming no field."""
    e = conn.experiments.create(
        name="nan-value",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m"}],
    )
    suggestion = conn.experiments(e.id).suggestions().create()
    with pytest.raises(errors.RequestEncodingError) as caught:
        conn.experiments(e.id).observations().create(suggestion=suggestion.id, value=float("nan"))
    assert caught.value.field == "value"
    assert "failed=True" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(errors.RequestEncodingError) as caught:
        conn.experiments.create(
            name="inf-bound",
            parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": float("inf")}}],
            metrics=[{"name": "m"}],
        )
    assert caught.value.field == "parameters[0].bounds.max"  # as the service writes a path
    # the failed-measurement advice is for a measurement; a bound got it too
    assert str(caught.value) == (
        "The field 'parameters[0].bounds.max' is inf, which JSON cannot carry: send a finite "
        "number. Nothing was sent."
    )
    with pytest.raises(errors.RequestEncodingError) as caught:
        conn.experiments(e.id).observations().create(
            suggestion=suggestion.id, values=[{"name": float("nan"), "value": 1.0}]
        )
    assert caught.value.field == "values[0].name"
    assert "failed=True" not in str(caught.value)
    with pytest.raises(errors.RequestEncodingError) as caught:
        conn.experiments(e.id).observations().create(
            suggestion=suggestion.id, values=[{"name": "m", "value": float("-inf")}]
        )
    assert caught.value.field == "values[0].value" and "failed=True" in str(caught.value)
    assert conn.experiments(e.id).observations().list().data == []  # nothing was stored
    assert [x.name for x in conn.experiments.list().data] == ["nan-value"]


def test_the_failed_measurement_advice_goes_by_the_fields_role_not_its_name(conn):
    """Before: any field whose path ended in 'value' got the advice for a failed
    measurement: a parameter named 'value' (``assignments.value``), metadata's 'value'.
    Only an observation's value, in its body or in a batch, gets it."""
    e = conn.experiments.create(
        name="named-value",
        parameters=[{"name": "value", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m"}],
    )
    observations = conn.experiments(e.id).observations()
    nan = float("nan")
    for call, field, measured in (
        (
            lambda: observations.create(assignments={"value": nan}, value=1.0),
            "assignments.value",
            False,
        ),
        (
            lambda: conn.experiments.create(
                name="m", metrics=[{"name": "m"}], metadata={"value": nan}
            ),
            "metadata.value",
            False,
        ),
        (
            lambda: observations.create(
                assignments={"value": 0.5}, value=1.0, metadata={"values": [{"value": nan}]}
            ),
            "metadata.values[0].value",
            False,
        ),
        (lambda: observations.create(assignments={"value": 0.5}, value=nan), "value", True),
        (
            lambda: observations.create_batch(
                [
                    {"assignments": {"value": 0.5}, "value": 1.0},
                    {"assignments": {"value": 0.5}, "values": [{"name": "m", "value": nan}]},
                ]
            ),
            "observations[1].values[0].value",
            True,
        ),
    ):
        with pytest.raises(errors.RequestEncodingError) as caught:
            call()
        assert caught.value.field == field, caught.value
        assert ("failed=True" in str(caught.value)) is measured, caught.value
        assert "send a finite number" in str(caught.value), caught.value
    assert observations.list().data == []  # nothing was stored
    assert [x.name for x in conn.experiments.list().data] == ["named-value"]


def test_a_nan_key_is_told_a_key_is_a_name_not_the_failed_measurement_advice(conn):
    """Before: a NaN dict key in an observation's assignments got the advice meant for a
    NaN value ("a failed measurement is reported with failed=True"), which a key is not."""
    e = conn.experiments.create(
        name="nan-key",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m"}],
    )
    observations = conn.experiments(e.id).observations()
    for body, field in (
        ({"assignments": {float("nan"): 0.5}, "value": 1.0}, "assignments"),
        ({"assignments": {"x": 0.5}, "values": [{float("inf"): 1.0}]}, "values[0]"),
    ):
        with pytest.raises(errors.RequestEncodingError) as caught:
            observations.create(**body)
        assert caught.value.field == field, caught.value
        text = str(caught.value)
        assert text.startswith(f"The field '{field}' has a key "), text
        assert "keys are names" in text and "Nothing was sent" in text, text
        assert "failed=True" not in text, text
    assert observations.list().data == []  # nothing was stored


def test_a_body_that_holds_itself_is_typed_names_its_field_and_sends_nothing(conn):
    """Before: a list or dict inside itself raised RecursionError: the encoder said
    "Circular reference detected" and the walk that looked for the field to name then
    went round the loop until Python's stack ran out."""
    e = conn.experiments.create(
        name="kept",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m"}],
    )
    itself: list[Any] = [1]
    itself.append(itself)
    loop: dict[str, Any] = {"a": 1}
    loop["again"] = loop
    inner: dict[str, Any] = {}
    inner["me"] = [inner]
    for metadata, field, kind in (
        ({"k": itself}, "metadata.k[1]", "a list"),
        (loop, "metadata.again", "a dict"),
        ({"s": [{"deep": inner}]}, "metadata.s[0].deep.me[0]", "a dict"),
    ):
        with pytest.raises(errors.RequestEncodingError) as caught:
            conn.experiments.create(name="circular", metrics=[{"name": "m"}], metadata=metadata)
        assert caught.value.field == field, caught.value
        text = str(caught.value)
        assert text.startswith(f"The field '{field}' is {kind} that holds it (a circular "), text
        assert "refers to itself" in text and "Nothing was sent" in text, text
    assert [x.id for x in conn.experiments.list().data] == [e.id]  # nothing was stored


class _HoldsItself:
    """A caller's model whose ``to_dict()`` holds the model itself."""

    def to_dict(self) -> dict[str, Any]:
        return {"me": self}


def test_a_mapping_or_model_that_holds_itself_is_named_as_a_circular_reference(conn):
    """Before: a UserDict, a mappingproxy or a model whose ``to_dict()`` held itself was
    converted to a new dict at each turn, so the walk that looked for the field went
    round the loop until Python's stack ran out: "nested too deeply ... recursion
    limit", which it was not, naming no field."""
    import collections
    import types

    user_dict: collections.UserDict[str, Any] = collections.UserDict()
    user_dict["again"] = user_dict
    backing: dict[str, Any] = {}
    proxy = types.MappingProxyType(backing)
    backing["again"] = proxy
    for value, field, kind in (
        (user_dict, "metadata.k.again", "a dict"),
        (proxy, "metadata.k.again", "a dict"),
        (_HoldsItself(), "metadata.k.me", "a _HoldsItself object"),
        ([1, {"m": _HoldsItself()}], "metadata.k[1].m.me", "a _HoldsItself object"),
    ):
        with pytest.raises(errors.RequestEncodingError) as caught:
            conn.experiments.create(name="circular", metrics=[{"name": "m"}], metadata={"k": value})
        assert caught.value.field == field, caught.value
        text = str(caught.value)
        assert text.startswith(f"The field '{field}' is {kind} that holds it (a circular "), text
        assert "nested too deeply" not in text and "Nothing was sent" in text, text
    assert conn.experiments.list().data == []  # nothing was stored


def test_an_int_python_will_not_write_names_its_field_and_sends_nothing(conn):
    """Before: ``10**5000`` as a value or a bound was a RequestEncodingError saying Python's
    own "Exceeds the limit (4300 digits) for integer string conversion; use
    sys.set_int_max_str_digits()", naming no field (``field`` None). Now its path as the
    service's refusals write one, and the number as every message shows a long one."""
    e = conn.experiments.create(
        name="huge-value",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m"}],
    )
    suggestion = conn.experiments(e.id).suggestions().create()
    observations = conn.experiments(e.id).observations()
    shown = "000000000... (a number of 5,001 digits), more digits than Python writes"
    for call, field in (
        (lambda: observations.create(suggestion=suggestion.id, value=10**5000), "value"),
        (
            lambda: observations.create(
                suggestion=suggestion.id, values=[{"name": "m", "value": -(10**5000)}]
            ),
            "values[0].value",
        ),
        (
            lambda: conn.experiments.create(
                name="huge-bound",
                parameters=[{"name": "x", "type": "int", "bounds": {"min": 0, "max": 10**5000}}],
            ),
            "parameters[0].bounds.max",
        ),
    ):
        with pytest.raises(errors.RequestEncodingError) as caught:
            call()
        assert caught.value.field == field, caught.value
        said = str(caught.value)
        assert said.startswith(f"The field '{field}' is "), said
        assert shown in said and "Nothing was sent" in said, said
        assert "set_int_max_str_digits" not in said, said
    assert observations.list().data == []  # nothing was stored
    assert [x.name for x in conn.experiments.list().data] == ["huge-value"]


class _Bounds:
    """A caller's model: the client sends what its ``to_dict()`` gives."""

    def to_dict(self) -> dict:
        return {"min": 0, "max": 10**5000}


def test_a_long_int_inside_what_the_client_converts_or_in_a_key_names_its_field(conn):
    """Before: a long int inside a set, a model's ``to_dict()`` or as a dict key was still
    Python's "Exceeds the limit (4300 digits)" with ``field`` None (only lists and dicts
    were looked into); and a key True or None was named 'True' or 'None', where JSON sends
    ``true`` and ``null``."""
    made = conn.experiments.create(
        name="kept",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    )
    metrics = [{"name": "m"}]

    def create(**fields):
        conn.experiments.create(name="huge", metrics=metrics, **fields)

    whole = {"name": "x", "type": "int"}
    for fields, field, said in (
        ({"metadata": {"s": {10**5000}}}, "metadata.s[0]", "is"),
        ({"metadata": {"s": frozenset([-(10**5000)])}}, "metadata.s[0]", "is"),
        ({"parameters": [{**whole, "bounds": _Bounds()}]}, "parameters[0].bounds.max", "is"),
        ({"metadata": {10**5000: 1}}, "metadata", "has a key"),
        ({"metadata": {True: 10**5000}}, "metadata.true", "is"),
        ({"metadata": {None: 10**5000}}, "metadata.null", "is"),
    ):
        with pytest.raises(errors.RequestEncodingError) as caught:
            create(**fields)
        assert caught.value.field == field, caught.value
        text = str(caught.value)
        assert text.startswith(f"The field '{field}' {said} "), text
        assert "(a number of 5,001 digits)" in text and "Nothing was sent" in text, text
    with pytest.raises(errors.RequestEncodingError) as caught:
        create(metadata={None: float("nan")})
    assert caught.value.field == "metadata.null", caught.value
    with pytest.raises(errors.UnencodableValueError) as unencodable:
        create(metadata={False: b"x"})
    assert unencodable.value.field == "metadata.false", unencodable.value
    assert [x.id for x in conn.experiments.list().data] == [made.id]  # nothing was stored


def test_a_value_json_has_no_form_for_names_its_field_and_sends_nothing(conn):
    """Before: ``TypeError: bytes is not JSON serialisable``, naming no field (a Decimal
    from a spreadsheet, a date, bytes read from a file)."""
    import datetime
    import decimal

    e = conn.experiments.create(
        name="typed",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m"}],
    )
    suggestion = conn.experiments(e.id).suggestions().create()
    for value, path, shown in (
        (decimal.Decimal("0.5"), "value", "Decimal('0.5') (Decimal)"),
        ({"when": datetime.date(2026, 12, 2)}, "metadata.when", "(date)"),
    ):
        key = "value" if path == "value" else "metadata"
        body = {"suggestion": suggestion.id, "value": 1.0, key: value}
        with pytest.raises(TypeError) as caught:
            conn.experiments(e.id).observations().create(**body)
        assert f"The field {path!r} holds" in str(caught.value) and shown in str(caught.value)
        assert "Nothing was sent" in str(caught.value)
    with pytest.raises(TypeError, match="'name' holds b'catalyst' \\(bytes\\)"):
        conn.sessions.create(name=b"catalyst")
    assert conn.experiments(e.id).observations().list().data == []  # nothing was stored
    assert conn.sessions.list().data == []


class _KeylessMapping(Mapping):
    """A mapping whose keys cannot be read."""

    def __getitem__(self, key: Any) -> Any:
        return 1

    def __iter__(self) -> Any:
        raise RuntimeError("the keys are locked")

    def __len__(self) -> int:
        return 1


class _Unprintable:
    """An object whose ``__str__`` and ``__repr__`` raise."""

    def __str__(self) -> str:
        raise RuntimeError("no text")

    __repr__ = __str__


def test_an_object_that_raises_when_read_is_a_typed_error_naming_its_field(conn):
    """Before: the caller's own RuntimeError from deep inside the encoder's error path (a
    mapping whose keys() raise, an object whose __repr__ raises, read to name the field),
    never naming the field."""
    double = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    unreadable_bound = {**double, "bounds": {"min": _Unprintable(), "max": 1}}
    create = conn.experiments.create
    for call, field in (
        (lambda: create(name="m", parameters=[double], metadata=_KeylessMapping()), "metadata"),
        (lambda: create(name="m", parameters=[_KeylessMapping()]), "parameters[0]"),
        (lambda: create(name=_Unprintable(), parameters=[double]), "name"),
        (lambda: create(name="m", parameters=[unreadable_bound]), "parameters[0].bounds.min"),
        (lambda: create(name="m", parameters=[double], metadata={_Unprintable(): 1}), None),
    ):
        with pytest.raises(UnencodableValueError) as caught:
            call()
        assert isinstance(caught.value, TypeError)  # as the encoder's error was
        if field is not None:
            assert caught.value.field == field, caught.value
            assert f"The field '{field}' holds a" in str(caught.value), caught.value
        assert "Nothing was sent" in str(caught.value)
    session = conn.sessions(conn.sessions.create(name="keyless").id)
    with pytest.raises(UnencodableValueError, match="The field 'space' holds a _KeylessMapping"):
        session.space.put(population_size=2, replicates=0, space=_KeylessMapping())
    assert conn.experiments().list().data == []
    assert session.tasks.list().data == []


def _one_parameter(*levels: Any) -> dict[str, Any]:
    parameter = {"name": "a", "type": "categorical", "values": list(levels)}
    return {"type": "factorial", "parameters": [parameter]}


def test_a_cell_json_cannot_carry_is_named_by_its_cell_before_anything_is_sent(conn):
    """Before: a date, a Decimal or an object as a space level or a table cell was the
    encoder's TypeError naming 'space.parameters.0.values.0' or 'table.rows.0.0', places
    no spreadsheet shows (a set in a space was sent as a list, which the service refused)."""
    import datetime
    import decimal

    session = conn.sessions(conn.sessions.create(name="cells").id)
    cells = [
        ({1, 2}, "a set"),
        (datetime.date(2026, 12, 7), "a date"),
        (decimal.Decimal("0.5"), "a Decimal"),
        (object(), "an object"),
        (_Unprintable(), "a _Unprintable"),
    ]
    for cell, kind in cells:
        said = rf"parameter 1 \('a'\), level 1: the level holds {kind}"
        with pytest.raises(SpaceError, match=said):
            session.space.put(population_size=2, replicates=0, space=_one_parameter(cell, "c"))
    assert session.tasks.list().data == []  # nothing was sent
    session.space.put(population_size=2, replicates=0, space=_one_parameter("b", "c"), wait=True)
    for cell, kind in cells:
        table = {"columns": ["a", "Response"], "rows": [["b", 1.0], [cell, 2.0]]}
        with pytest.raises(TableError, match=rf"row 3, column a: the cell holds {kind}"):
            session.experiments.put(type="initial", table=table)
    assert len(session.tasks.list().data) == 1  # the space's task alone


def _nested(levels: int) -> list:
    outer: list = []
    inner = outer
    for _ in range(levels):
        inner.append([])
        inner = inner[0]
    return outer


def test_a_body_nested_past_the_encoders_limit_is_typed_and_sends_nothing(conn):
    """Before: 10,000 lists inside each other in a description, a space or metadata raised
    the JSON encoder's RecursionError, no error of the library's."""
    deep = _nested(10_000)
    session = conn.sessions.create(name="deep")
    space = {"type": "factorial", "parameters": deep}
    calls = [
        lambda: conn.sessions.create(name="deep-description", description=deep),
        lambda: conn.sessions(session.id).space.put(space=space, population_size=2, replicates=0),
        lambda: conn.experiments.create(
            name="deep-metadata",
            parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            metadata={"k": deep},
        ),
    ]
    for call in calls:
        with pytest.raises(errors.RequestEncodingError, match="nested too deeply") as caught:
            call()
        assert "Nothing was sent" in str(caught.value)
    assert [s.name for s in conn.sessions.list().data] == ["deep"]
    assert conn.sessions(session.id).tasks.list().data == []
    assert conn.experiments.list().data == []


def test_a_deep_body_whose_first_fault_is_past_the_depth_is_typed_too(conn):
    """Before: the encoder passed 990 lists inside each other and stopped at a value
    after them; the walk that looked for that value's field then ran out of Python's
    stack in the deep lists, and RecursionError escaped, no error of the library's. Where
    the encoder stops and the walk runs out depends on the frames below the call, so every
    depth from well inside the limit to past it is tried."""
    import sys

    limit = sys.getrecursionlimit()
    for levels in range(limit - 100, limit):
        deep = _nested(levels)
        for metadata in ({"a": deep, "b": b"x"}, {"a": deep, "b": float("nan")}):
            with pytest.raises(errors.RequestEncodingError) as caught:
                conn.experiments.create(name="deep-then-bad", metadata=metadata)
            assert "Nothing was sent" in str(caught.value), caught.value
    with pytest.raises(errors.RequestEncodingError, match="nested too deeply"):
        conn.experiments.create(name="deeper", metadata={"k": _nested(100_000)})
    assert conn.experiments.list().data == []


class _Wrapped:
    """A caller's model: sent as its ``to_dict()``, which holds the next one."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.inner}


def test_a_body_just_inside_the_encoders_depth_never_raises_recursion_error(conn):
    """Before: a body the encoder went through (models inside each other, each its
    ``to_dict()``; tuples) up to a value it cannot write after them, was walked again to
    name that value's field, a frame or two deeper a level than the encoder went: near
    the encoder's depth the walk ran out of Python's stack and RecursionError escaped.
    Every depth up to past the encoder's gets one of the library's errors."""
    import sys

    half = sys.getrecursionlimit() // 2
    for levels in range(half - 150, half + 10):
        model: Any = []
        nested: Any = []
        for _ in range(levels):
            model = _Wrapped(model)
            nested = (nested,)
        for metadata in ({"a": model, "b": b"x"}, {"a": model, "b": float("nan")}):
            with pytest.raises(errors.RequestEncodingError) as caught:
                conn.experiments.create(name="deep-models", metadata=metadata)
            assert "Nothing was sent" in str(caught.value), caught.value
        # tuples were walked two frames a level, the encoder one: the field is named
        with pytest.raises(UnencodableValueError) as unencodable:
            conn.experiments.create(name="deep-tuples", metadata={"a": nested, "b": b"x"})
        assert unencodable.value.field == "metadata.b", unencodable.value
    assert conn.experiments.list().data == []


def test_file_errors_pickle():
    """Before: OSError's own pickling handed the message to __init__ as the paths, so
    the copy's filename was '/' and its message read "/, t, m, p, ..."."""
    exists = errors.AnalyticsFilesExistError([Path("/tmp/a/summary.csv"), Path("/tmp/a/x.png")])
    again = pickle.loads(pickle.dumps(exists))
    assert type(again) is errors.AnalyticsFilesExistError
    assert again.paths == exists.paths
    assert again.filename == "/tmp/a/summary.csv"
    assert str(again) == str(exists)
    unusable = errors.UnusablePathError("a\x00b.csv", "a NUL character (U+0000)")
    again = pickle.loads(pickle.dumps(unusable))
    assert type(again) is errors.UnusablePathError
    assert again.filename == "a\x00b.csv"
    assert str(again) == str(unusable)


def test_file_errors_keep_their_notes_when_pickled():
    """Before: their pickling rebuilt them from their arguments alone, so a note added to
    one (``add_note``, as a caller wrapping it does) or an attribute set on it after it
    was made was lost across multiprocessing."""
    for error in (
        errors.AnalyticsFilesExistError([Path("/tmp/a/summary.csv")]),
        errors.UnusablePathError("a\x00b.csv", "a NUL character (U+0000)"),
    ):
        error.add_note("while downloading generation 3")
        error.campaign = "screen 7"  # type: ignore[union-attr]
        again = pickle.loads(pickle.dumps(error))
        assert again.__notes__ == ["while downloading generation 3"], type(error)
        assert again.campaign == "screen 7" and str(again) == str(error)
