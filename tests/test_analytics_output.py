"""The record an analytics download keeps in its folder (``analytics_output``)."""

from __future__ import annotations

from pathlib import Path

from sigopt_like.analytics_output import RECORD_FILE, read_record


def test_a_record_nested_past_pythons_stack_is_not_one_of_ours(tmp_path: Path) -> None:
    """Before: a record file of 100,000 lists inside each other (damaged, or not this
    module's) made the decoder raise RecursionError out of every download into the
    folder; it is read as a record this module did not write, as one that is not JSON
    is."""
    (tmp_path / RECORD_FILE).write_text("[" * 100_000 + "]" * 100_000)
    assert read_record(tmp_path) == {}
    (tmp_path / RECORD_FILE).write_text('{"files": {"a.pdf": {"session": "1@2", "sha256": "x"}}}')
    assert read_record(tmp_path) == {"a.pdf": {"session": "1@2", "sha256": "x"}}
