"""SigOpt's project notes: ``POST``/``GET /v1/clients/{cid}/projects/{pid}/notes``.

As SigOpt's ``ClientsProjectsNotesCreateHandler`` and ``...NotesListHandler``: a note is
text (``contents``) kept with a project; every note is kept, and the list holds the
latest one only (a page of one, or none). The project must exist (a 404 otherwise: a
note does not make a project, as a run's create does).
"""

from __future__ import annotations

from typing import Any

import falcon

from ...domain import sigopt_notes as note_rules
from ...domain import sigopt_rules as rules
from ...http import now, read_json
from ...store.sigopt import SigoptStore
from . import render_runs
from .clients import client_of, project_of
from .common import rule_error, whole_or_paged


class ProjectNotes:
    """POST/GET /v1/clients/{cid}/projects/{pid}/notes."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        """A new note of the project: ``contents``."""
        owner = client_of(req, self.context, cid)
        body = read_json(req)
        with self.store.write() as unit:
            project = project_of(unit, owner, pid, create=False)
            try:
                contents = note_rules.note_contents(body)
            except rules.RuleError as err:
                raise rule_error(err) from err
            note = unit.notes.add(project.id, owner, contents, now())
        resp.media = render_runs.project_note(note, project)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        """The project's latest note, in a page (empty when it has none), as SigOpt's."""
        owner = client_of(req, self.context, cid)
        with self.store.read() as unit:
            project = project_of(unit, owner, pid, create=False)
            note = unit.notes.latest(project.id)
        shown = [] if note is None else [render_runs.project_note(note, project)]
        resp.media = whole_or_paged(shown, req)  # paging as every list's, over one note
