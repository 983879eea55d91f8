"""A unit of work opened without savepoints (``Database.unit(savepoints=False)``, what
``SigoptStore.atomic`` opens): its write blocks are no SAVEPOINTs of their own, and an
error let out of one rolls the whole unit back, the blocks written before it too."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigopt_like.service.store.facade import open_store
from sigopt_like.service.store.sigopt import SigoptStore


class Refused(Exception):
    pass


@pytest.mark.parametrize("savepoints", [True, False])
def test_an_error_let_out_of_a_unit_undoes_all_of_it(tmp_path: Path, savepoints: bool) -> None:
    store = open_store(tmp_path / "u.db")
    try:
        owner = store.accounts.create_user("u@example.com").id
        sigopt = SigoptStore(store.database)
        with pytest.raises(Refused), store.database.unit(savepoints=savepoints):
            with sigopt.write() as unit:
                unit.projects.create(owner, "kept-until-the-end", "p", None, 1)
            with sigopt.write() as unit:
                unit.projects.create(owner, "second", "p", None, 1)
                raise Refused
        with sigopt.read() as unit:
            assert unit.projects.get(owner, "kept-until-the-end") is None
            assert unit.projects.get(owner, "second") is None
        with sigopt.atomic():
            with sigopt.write() as unit:
                unit.projects.create(owner, "first", "p", None, 1)
            with sigopt.write() as unit:
                unit.projects.create(owner, "second", "p", None, 1)
        with sigopt.read() as unit:
            assert unit.projects.get(owner, "first") is not None
            assert unit.projects.get(owner, "second") is not None
    finally:
        store.close()
