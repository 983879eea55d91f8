"""Sessions: create a few, list them (all pages, then a search), fetch and update one.

Runs on the embedded service: no server to start. By default the state lives
in a temporary SQLite file, removed at the end; pass ``--database PATH`` to keep it
(run again on it, it stops: its sessions' names are taken).

    python examples/sessions_basics.py [--database PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import sigopt_like
from sigopt_like.errors import ConflictError


def run(database: str) -> None:
    """Create, list, search, fetch and update sessions in the store at ``database``."""
    # No host: the service runs in this process, on the SQLite file `database`.
    with sigopt_like.Connection(database=database) as conn:
        # Create: a name (unique per user) and an optional description.
        try:
            alloy = conn.sessions.create(
                name="alloy screen", description="hardness of a ternary alloy"
            )
        except ConflictError:  # a --database kept from an earlier run: the names are taken
            raise SystemExit(
                f"{database} holds this example's sessions from an earlier run (a session's "
                "name is unique): delete it, or give another --database"
            ) from None
        conn.sessions.create(name="coating mixture", description="gloss of a 5-component coating")
        conn.sessions.create(name="alloy follow-up", description="refine the best alloy region")
        print(f"created session {alloy.id}: {alloy.name!r} (status {alloy.status})")

        # A second session with the same name is refused with a clear, typed error.
        try:
            conn.sessions.create(name="alloy screen")
        except ConflictError as exc:
            print(f"duplicate refused: {exc.code}")

        # List: newest first; iterating the page walks every page for you.
        page = conn.sessions.list(limit=2)
        print(f"{page.count} sessions, {len(page.data)} on the first page")
        for session in page:
            print(f"  {session.id}  {session.name}")

        # Search by name or description.
        found = [s.name for s in conn.sessions.list(q="alloy")]
        print(f"search 'alloy': {', '.join(found)}")

        # Fetch one by id, then update its description.
        fetched = conn.sessions(alloy.id).fetch()
        print(f"fetched {fetched.id}: {fetched.name!r}, gen {fetched.gen}")
        updated = conn.sessions(alloy.id).update(description="hardness and cost of a ternary alloy")
        print(f"updated description: {updated.description!r}")


def main() -> None:
    """Parse ``--database`` and run the example (a temporary store by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLite file (default: a temporary file)")
    args = parser.parse_args()
    if args.database:
        run(args.database)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(str(Path(tmp) / "sessions.sqlite3"))


if __name__ == "__main__":
    main()
