"""Where an option goes: a command's option given before the command, or the root's
after it, said as the command line with the option moved to its place.

``sigopt-like --db lab.db sessions list`` was "No such option '--db'" (and ``--json``
before the command "Did you mean '--version'?"), though every command takes ``--db``;
``sigopt-like sessions list -v`` was "No such option '-v'", though ``--help`` lists it.
A :class:`PassThrough` command (``demo``, whose arguments go to argparse) is asked for its
parser's options: ``sigopt-like --db x.db demo`` was "No such option '--db'".
Every misplaced option is moved in one hint (before, one per run).
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


#: the most options one hint moves (each move is a parse of the command line)
MOST_MOVES = 20


def misplaced_option(err: click.NoSuchOption, args: Sequence[str]) -> click.UsageError | None:
    """A usage error naming where ``err``'s option goes, and where every other misplaced
    option of ``args`` (the command line after ``sigopt-like``) goes, with ``args``
    rewritten so; None when ``err``'s option is nobody's.

    All at once: before, two misplaced options were hinted one at a time, the person
    fixing one and running again to be told of the next."""
    moves: dict[bool, list[str]] = {True: [], False: []}  # after the command, or before
    count = 0
    current: NoSuchOption | None = err
    fixed = list(args)
    while current is not None and count < MOST_MOVES:
        move = _moved(current, fixed)
        if move is None:
            break
        name, after, fixed = move
        count += 1
        if name not in moves[after]:
            moves[after].append(name)
        current = _unknown_option(err, fixed)
    if not count:
        return None
    told = [
        _goes(names, where)
        for names, where in (
            (moves[True], "after the command"),
            (moves[False], "before the command, right after sigopt-like"),
        )
        if names
    ]
    said = f"{', and '.join(told)}: sigopt-like {shlex.join(fixed)}"
    if current is not None:  # an option nobody takes is left: said too, not found next run
        said += f"; then: {current.format_message()}"
    return click.UsageError(said, err.ctx)


NoSuchOption = click.NoSuchOption


def _goes(names: list[str], where: str) -> str:
    """ "--db goes after the command", "--db and --json go after the command"."""
    if len(names) == 1:
        return f"{names[0]} goes {where}"
    return f"{', '.join(names[:-1])} and {names[-1]} go {where}"


def _unknown_option(err: click.NoSuchOption, args: Sequence[str]) -> NoSuchOption | None:
    """The first option of ``args`` that Click would not know where it stands, or None.

    Only the option parsers run (no callback: ``--help`` or ``--version`` in ``args`` print
    nothing), level by level down the command tree, as Click's own parse goes."""
    root = err.ctx.find_root() if err.ctx is not None else None
    if root is None:
        return None
    command: click.Command = root.command
    ctx = click.Context(command, info_name=root.info_name, **command.context_settings)
    rest = list(args)
    while True:
        try:
            _, rest, _ = command.make_parser(ctx).parse_args(rest)
        except click.NoSuchOption as unknown:
            return unknown
        except click.UsageError:  # a missing value: Click says it when the line is run
            return None
        if not isinstance(command, click.Group) or not rest:
            return None
        name, sub = rest[0], command.commands.get(rest[0])
        if sub is None:
            return None
        ctx = click.Context(sub, parent=ctx, info_name=name, **sub.context_settings)
        command, rest = sub, rest[1:]


def _moved(err: click.NoSuchOption, args: Sequence[str]) -> tuple[str, bool, list[str]] | None:
    """``err``'s option, whether it goes after the command (else before), and ``args``
    with it moved there; None when the option is nobody's."""
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
    return name, after, fixed


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
