"""The ``sigopt-like`` command line: a whole campaign from CSV files, and the service.

Built on Click. :func:`main` runs one command and returns its exit status:
0 done, 1 an API, data or file error (one readable line on standard error,
with the service's message), 2 a usage error, 130 stopped by Ctrl-C (the program,
:func:`program`, then ends by SIGINT, as a shell expects of a command Ctrl-C stopped).
Every command imports what it needs when it runs, so ``sigopt-like --help`` stays quick.

Modules: :mod:`.root` (the command tree, global options and errors),
:mod:`.options` (options shared by commands), :mod:`.connect` (the
Connection a command talks through), :mod:`.database` (checks of ``--db``),
:mod:`.output` (text and ``--json``), :mod:`.campaign`, :mod:`.experiments`
(the campaign's experiments and SigOpt experiments), :mod:`.admin` (serve,
worker, users, tokens, demo), :mod:`.stdin_secret` (a password or token read from
standard input).
"""

from __future__ import annotations

from .root import default_database, main, program

__all__ = ["default_database", "main", "program"]
