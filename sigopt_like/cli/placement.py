"""Where an option goes: a command's option given before the command, or the root's
after it, said as the command line with the option moved to its place.

``sigopt-like --db lab.db sessions list`` was "No such option '--db'" (and ``--json``
before the command "Did you mean '--version'?"), though every command takes ``--db``;
``sigopt-like sessions list -v`` was "No such option '-v'", though ``--help`` lists it.
A :class:`PassThrough` command (``demo``, whose arguments go to argparse) is asked for its
parser's options: ``sigopt-like --db x.db demo`` was "No such option '--db'".
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable, Sequence
from typing import Any

import click


class PassThrough(click.Command):
    """A command handing its arguments to a parser of its own, made by ``parser`` (None
    when that is not installed): its options are that parser's, not Click's."""

    def __init__(
        self, *args: Any, parser: Callable[[], argparse.ArgumentParser | None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.parser = parser

    def passed_options(self) -> dict[str, bool]:
        """Each option name of the parser, with whether it takes a value."""
        parser = self.parser()
        if parser is None:
            return {}
        # argparse lists its actions only in this attribute; nargs 0 is a flag (store_true)
        return {
            name: action.nargs != 0 for action in parser._actions for name in action.option_strings
        }


def misplaced_option(err: click.NoSuchOption, args: Sequence[str]) -> click.UsageError | None:
    """A usage error naming where ``err``'s option goes, with ``args`` (the command line
    after ``sigopt-like``) rewritten so; None when the option is nobody's."""
    ctx = err.ctx
    if ctx is None:
        return None
    name = err.option_name
    root = ctx.find_root().command
    here = ctx.command
    found = _position(args, name)
    if found is None:
        return None
    after = here is root or name not in _own_options(root)
    command = _command_named(root, [*args[:found], *args[found + 1 :]])
    if after:  # a command's option before it: the command named must take it
        takes_value = None if command is None else _own_options(command).get(name)
    else:
        takes_value = _own_options(root)[name]
    if takes_value is None:
        return None
    count = 2 if takes_value and args[found] == name else 1
    moved = list(args[found : found + count])
    rest = [*args[:found], *args[found + count :]]
    if after and _command_named(root, rest) is not command:
        return None  # its value was the command's name (--db sessions list)
    fixed = [*rest, *moved] if after else [*moved, *rest]
    where = "after the command" if after else "before the command, right after sigopt-like"
    return click.UsageError(
        f"{name} goes {where}: sigopt-like {shlex.join(fixed)}",
        ctx,
    )


def _position(args: Sequence[str], name: str) -> int | None:
    for index, arg in enumerate(args):
        if arg == "--":
            return None
        if arg == name or (name.startswith("--") and arg.startswith(f"{name}=")):
            return index
        if re.fullmatch(rf"{re.escape(name)}+", arg) and not name.startswith("--"):
            return index  # "-vv": click reads it as "-v" twice
    return None


def _own_options(command: click.Command) -> dict[str, bool]:
    """Each option name of ``command``, with whether it takes a value."""
    names = command.passed_options() if isinstance(command, PassThrough) else {}
    for param in command.params:
        if isinstance(param, click.Option):
            takes = not (param.is_flag or param.count)
            names.update(dict.fromkeys([*param.opts, *param.secondary_opts], takes))
    return names


def _command_named(group: click.Command, words: Sequence[str]) -> click.Command | None:
    """The command ``words`` name under ``group`` (``sessions list``), None if they name
    none: a group's option before its subcommand has no other place."""
    command = group
    for word in words:
        if not isinstance(command, click.Group):
            break
        if word in command.commands:
            command = command.commands[word]
    return None if isinstance(command, click.Group) else command
