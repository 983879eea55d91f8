"""Client configuration: keyword arguments, then environment, then a JSON file.

Nothing here runs at import time; :func:`resolve_config` is called by
``Connection()``. A config file is a JSON object (Daptics' ``daptics.conf`` idea)::

    {"host": "https://doe.example.org", "token": "...",        # or "email" + "password"
     "auto_export_path": "exports", "auto_task_timeout": 600,
     "auto_generate_next_design": true, "run_tasks_async": false,
     "verify_ssl_certificates": true, "timeout": [5, 60], "max_tries": 5}

Daptics' own keys are understood: ``user`` is the email to log in with,
``auto_generate_next_design`` makes ``experiments.put`` generate the next design
unless told otherwise, and ``run_tasks_async`` follows a task started without
``wait=`` in a background thread, handing each update to its ``progress=``.

A file named by the caller (``config=`` or ``SIGOPT_LIKE_CONFIG``) must exist and
parse; the default files (``./sigopt_like.conf``, then
``~/.config/sigopt-like/config.json``, then Daptics' ``./daptics.conf``) are read only when
present, the first one found alone. Daptics' environment
variables (``DAPTICS_HOST``, ``DAPTICS_USER``, ...) count, below ours.
"""

from __future__ import annotations

import json
import math
import numbers
import operator
import os
import sys
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, SupportsIndex

import attrs

from . import _constants as C
from . import csvio
from .errors import ConfigError
from .transport import RetryPolicy
from .url_redaction import redact_url, refused_url, shown_url

Timeout = tuple[float, float]

#: keys a config file may hold, with the ClientConfig field each one sets.
FILE_KEYS = {
    "host": "host",
    "token": "token",
    "email": "email",
    "user": "email",
    "password": "password",
    "database": "database",
    "auto_export_path": "export_dir",
    "export_dir": "export_dir",
    "auto_task_timeout": "auto_task_timeout",
    "auto_generate_next_design": "auto_generate_next_design",
    "run_tasks_async": "run_tasks_async",
    "verify_ssl_certificates": "verify",
    "verify": "verify",
    "timeout": "timeout",
    "max_tries": "max_tries",
    "max_retry_time": "max_retry_time",
}

ENV_KEYS = {
    C.ENV_HOST: "host",
    C.ENV_TOKEN: "token",
    C.ENV_EMAIL: "email",
    C.ENV_PASSWORD: "password",
    C.ENV_DATABASE: "database",
    C.ENV_EXPORT_DIR: "export_dir",
    C.ENV_AUTO_TASK_TIMEOUT: "auto_task_timeout",
    C.ENV_AUTO_GENERATE_NEXT_DESIGN: "auto_generate_next_design",
    C.ENV_RUN_TASKS_ASYNC: "run_tasks_async",
    C.ENV_VERIFY: "verify",
    C.ENV_TIMEOUT: "timeout",
    C.ENV_MAX_TRIES: "max_tries",
    C.ENV_MAX_RETRY_TIME: "max_retry_time",
}

#: the Daptics client's environment variables (its v0.12 docs), read below ours: a script
#: or a shell set up for Daptics reaches the host it names, not the embedded service.
DAPTICS_ENV_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "DAPTICS_HOST": "host",
        "DAPTICS_USER": "email",
        "DAPTICS_PASSWORD": "password",
        "DAPTICS_AUTO_EXPORT_PATH": "export_dir",
        "DAPTICS_AUTO_TASK_TIMEOUT": "auto_task_timeout",
        "DAPTICS_AUTO_GENERATE_NEXT_DESIGN": "auto_generate_next_design",
        "DAPTICS_RUN_TASKS_ASYNC": "run_tasks_async",
        "DAPTICS_VERIFY_SSL_CERTIFICATES": "verify",
    }
)

ENV_PREFIX = "SIGOPT_LIKE_"

# Names a user guesses for a setting that are too short for a close match ("DB" is not
# near "DATABASE"), or that SigOpt's client uses (SIGOPT_API_TOKEN, SIGOPT_API_URL).
GUESSED_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "DB": "DATABASE",
        "DB_URL": "DATABASE",
        "DB_PATH": "DATABASE",
        "DB_FILE": "DATABASE",
        "SQLITE": "DATABASE",
        "URL": "HOST",
        "API_URL": "HOST",
        "SERVER": "HOST",
        "API_TOKEN": "TOKEN",
        "API_KEY": "TOKEN",
        "USER": "EMAIL",
        "USERNAME": "EMAIL",
    }
)


def _refuse_misspelt_variables(env: Mapping[str, str]) -> None:
    """A ConfigError for a ``SIGOPT_LIKE_`` variable that is a near miss of a setting's:
    ``SIGOPT_LIKE_DATABSE`` was ignored, and the campaign went to the default database.
    ``SIGOPT_LIKE_DB`` and ``SIGOPT_LIKE_API_TOKEN`` (a guess, or SigOpt's name) are
    refused the same way. Other variables of the prefix (the test harness's,
    ``SIGOPT_LIKE_TRACEBACK``) are left alone: only a close match to a setting's name or a
    known guess is taken for a mistake."""
    import difflib

    names = [name.removeprefix(ENV_PREFIX) for name in (*ENV_KEYS, C.ENV_CONFIG)]
    for variable in env:
        if not variable.startswith(ENV_PREFIX) or variable.removeprefix(ENV_PREFIX) in names:
            continue
        name = variable.removeprefix(ENV_PREFIX)
        close = [GUESSED_NAMES[name]] if name in GUESSED_NAMES else []
        close = close or difflib.get_close_matches(name, names, 1, 0.8)
        if close:
            raise ConfigError(
                f"the environment variable {variable} is not a setting: did you mean "
                f"{ENV_PREFIX}{close[0]}? (correct or unset it; it would be ignored)"
            )


@attrs.frozen(repr=False)
class ClientConfig:
    """The resolved settings of one Connection.

    host: base URL of a remote service, or None for the embedded one.
    database: the embedded service's SQLite file (ignored for a remote host).
    auto_task_timeout: Daptics semantics for methods that start a task when the
        caller gives no ``wait=``: None -> don't wait; > 0 -> wait up to that many
        seconds; < 0 -> wait without limit; 0 -> look at the task once.
    auto_generate_next_design: ``experiments.put`` without ``generate_next=``
        generates the next design after the experiments are in.
    run_tasks_async: a call that starts a task without ``wait=`` (and is not
        told to wait by ``auto_task_timeout``) returns the started task at once
        and follows it in a background thread, giving each update to its
        ``progress=`` callable or coroutine.
    """

    host: str | None = None
    token: str | None = None
    email: str | None = None
    password: str | None = None
    database: str | None = None
    export_dir: str | None = None
    auto_task_timeout: float | None = None
    auto_generate_next_design: bool = False
    run_tasks_async: bool = False
    timeout: Timeout = C.DEFAULT_TIMEOUT
    retries: RetryPolicy = attrs.field(factory=RetryPolicy)
    verify: bool | str = True
    cert: str | tuple[str, str] | None = None
    proxies: Mapping[str, str] | None = None
    config_path: str | None = None

    @property
    def embedded(self) -> bool:
        """True when no host is configured: the service runs in this process."""
        return not self.host

    def __repr__(self) -> str:
        token = "'***'" if self.token else "None"
        password = "'***'" if self.password else "None"
        return (
            f"ClientConfig(host={_shown_host(self.host)!r}, token={token}, email={self.email!r}, "
            f"password={password}, database={_shown_host(self.database)!r}, "
            f"export_dir={self.export_dir!r}, "
            f"auto_task_timeout={self.auto_task_timeout!r}, "
            f"auto_generate_next_design={self.auto_generate_next_design!r}, "
            f"run_tasks_async={self.run_tasks_async!r}, timeout={self.timeout!r}, "
            f"retries={self.retries!r}, verify={self.verify!r}, config_path={self.config_path!r})"
        )


def _shown_host(host: str | None) -> str | None:
    """``host`` (or a database URL) as a repr shows it: its password and secrets hidden."""
    return None if host is None else redact_url(host)


#: settings whose value names a file or folder: blanks alone would name one in the
#: current folder
BLANK_IS_A_NAME = {
    "database": "name a SQLite file or a database URL",
    "export_dir": "name a folder",
}


def _unusable_name(name: str) -> str | None:
    """What in ``name`` no file name can hold (a NUL, a lone surrogate, a name between its
    slashes past what file systems take: before, Python's OSError "File name too long"
    quoting it whole, from ``Connection()`` or the first export), or None. A database
    URL's parts are not file names: its query may be long."""
    if "\x00" in name:
        return "a NUL character (U+0000)"
    try:
        encoded = os.fsencode(name)
    except UnicodeEncodeError as err:
        return f"{name[err.start]!r} (a lone UTF-16 surrogate, not text)"
    return None if "://" in name else csvio.too_long(encoded)


def _as_path_text(value: Any) -> Any:
    """A path argument as text; any other value as it is, for the type check to name
    (before, ``database=123`` was os.fspath's TypeError "expected str, bytes or
    os.PathLike object, not int", naming no setting, where ``database=b"x"`` was the
    ConfigError "'database' must be a string")."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _path_quoted(path: str) -> str:
    """``path``'s repr, whole unless a name in it is too long for any file: then cut short
    as :func:`_quoted` cuts it (a 5,000-character name was quoted whole)."""
    return repr(path) if len(path) <= 300 else _quoted(path)


def _refuse_empty_host(
    values: Mapping[str, Any],
    pick: Callable[[str], tuple[Any, str]],
    host_elsewhere: str | None,
    environ: Mapping[str, str],
) -> None:
    """A ConfigError for ``host=""`` (an argument) when a token or a login is set, from
    any source: an empty host argument is a remote host's URL that came out empty (an
    unset variable), and the embedded service it would mean takes no token. Before, a
    token argument was refused but one from the environment or a config file was
    ignored, the call sent to the embedded service.

    ``host_elsewhere`` is where a host is set besides the argument (an environment
    variable, a config file), if anywhere: leaving out ``host=''`` then reaches that
    host, not the embedded service, so the way out named is to unset both."""
    # each login that is set, from any source: all are to unset or leave out (before, a
    # token hid an exported password, and an email argument was not named beside it)
    logins = [field for field in ("token", "email", "password") if values[field]]
    if not logins:
        return
    given_login = _login_words(logins)
    sources = list(dict.fromkeys(pick(field)[1] for field in logins))
    source = " and ".join(sources)
    arguments = [field for field in logins if pick(field)[1] == "argument"]
    # the embedded service: without the login given here, or without ``host`` (whose
    # absence says "embedded" and leaves the environment's or the file's login unused)
    named = " and ".join(arguments) + (" arguments" if len(arguments) > 1 else " argument")
    if source == "argument":
        way_out = f"leave out the {named} for the embedded service"
    elif host_elsewhere is None:
        way_out = "leave out host='' for the embedded service"
    else:
        # before: "leave out host=''", which reached the exported host: advice in a circle
        # every variable for the host and each login, ours and Daptics' (one shadows the
        # next: before, DAPTICS_PASSWORD was left behind SIGOPT_LIKE_PASSWORD), and the
        # config file's keys that are still the ones read
        unset = setting_variables(("host", *logins), environ)
        for field, place in (("host", host_elsewhere), *((f, pick(f)[1]) for f in logins)):
            if place.startswith("config file "):
                unset.append(_setting_place(place, field))
        listed = ", ".join(unset[:-1]) + " and " + unset[-1] if len(unset) > 1 else unset[0]
        leave_out = f", and leave out the {named}" if arguments else ""
        way_out = (
            f"for the embedded service unset {listed}{leave_out} (leaving out host='' "
            f"reaches the host from {host_elsewhere})"
        )
    verb = "are" if len(logins) > 1 else "is"
    if source != "argument":
        given_login = f"{given_login} (from {source})"
    raise ConfigError(
        f"'host' is empty (from argument) but {given_login} {verb} given: no host means the "
        "embedded service, which takes none. Give 'host' the service's URL, like "
        f"https://doe.lab.example, or {way_out}."
    )


def _login_words(logins: list[str]) -> str:
    """``["email", "password"]`` as ``"an email and a password"``."""
    words = [{"token": "a token", "email": "an email", "password": "a password"}[f] for f in logins]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


def _setting_place(source: str, key: str) -> str:
    """What to unset for a setting from ``source``: its variable, or the config file's key."""
    if source.startswith("environment variable "):
        return source.removeprefix("environment variable ")
    return f"the config file's '{key}'"


def resolve_config(
    host: str | None = None,
    token: str | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    email: str | None = None,
    password: str | None = None,
    database: str | os.PathLike[str] | None = None,
    export_dir: str | os.PathLike[str] | None = None,
    auto_task_timeout: float | None = None,
    auto_generate_next_design: bool | None = None,
    run_tasks_async: bool | None = None,
    timeout: float | Timeout | None = None,
    retries: SupportsIndex | RetryPolicy | Mapping[str, Any] | None = None,
    verify: bool | str | None = None,
    cert: str | tuple[str, str] | None = None,
    proxies: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> ClientConfig:
    """Resolve every setting: arguments first, then environment, then the config file.

    Raises ConfigError (naming the path) when a named config file is missing or
    unparsable, or when a value has the wrong type.
    """
    env = os.environ if environ is None else environ
    _refuse_misspelt_variables(env)
    named = config if config is not None else env.get(C.ENV_CONFIG) or None
    path, from_file = _load_file(named, cwd=Path(cwd) if cwd else Path.cwd(), env=env)
    # each setting's variable, ours over Daptics': an error names the one to correct
    # (before: "(from environment)", and SIGOPT_LIKE_VERIFY_SSL_CERTIFICATES is no
    # variable a reader finds from the setting's name 'verify')
    variables = {field: name for name, field in DAPTICS_ENV_KEYS.items() if env.get(name)}
    variables.update({field: name for name, field in ENV_KEYS.items() if env.get(name)})
    from_env = {field: env[name] for field, name in variables.items()}
    given = {
        "host": host,
        "token": token,
        "email": email,
        "password": password,
        "database": _as_path_text(database),
        "export_dir": _as_path_text(export_dir),
        "auto_task_timeout": auto_task_timeout,
        "auto_generate_next_design": auto_generate_next_design,
        "run_tasks_async": run_tasks_async,
        "timeout": timeout,
        "verify": verify,
    }
    where = {key: "argument" for key, value in given.items() if value is not None}

    def pick(field: str) -> tuple[Any, str]:
        if given.get(field) is not None:
            return given[field], "argument"
        if field in from_env:
            return from_env[field], f"environment variable {variables[field]}"
        if field in from_file:
            return from_file[field], f"config file {path}"
        return None, "default"

    values: dict[str, Any] = {}
    for field in ("host", "token", "email", "password", "database", "export_dir"):
        value, source = pick(field)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"'{field}' must be a string (from {source}).", path=_p(source, path))
        if field in BLANK_IS_A_NAME and value and not value.strip():
            # before: a database file (or an export folder) named by the blanks, made in
            # the current folder, for SIGOPT_LIKE_DATABASE=" " (a quoted, unset variable)
            raise ConfigError(
                f"'{field}' is only blanks (from {source}): {BLANK_IS_A_NAME[field]}, or "
                "leave it unset for the default.",
                path=_p(source, path),
            )
        unusable = _unusable_name(value) if field in BLANK_IS_A_NAME and value else None
        if unusable:
            # before: accepted, then Python's ValueError "embedded null byte" (or a
            # UnicodeEncodeError) from the first export, after its task had run
            raise ConfigError(
                f"'{field}' {_path_quoted(str(value))} holds {unusable}, which no file name "
                "holds (from "
                f"{source}): "
                f"{BLANK_IS_A_NAME[field]}.",
                path=_p(source, path),
            )
        if field == "database" and value == "" and source != "default":
            # before: the default database, silently, where the command line refuses
            # ``--db ""`` (an argument built from a variable left unset, say). The
            # environment's empty variable stays an unset one, as for every setting
            leave = "leave it out" if source == "argument" else "remove the key"
            raise ConfigError(
                f"'database' is empty (from {source}): name a SQLite file or a database "
                f"URL, or {leave} for the default database.",
                path=_p(source, path),
            )
        values[field] = value or None
    if host is not None and not host:
        host_elsewhere = (
            f"environment variable {variables['host']}"
            if from_env.get("host")
            else f"config file {path}"
            if from_file.get("host")
            else None
        )
        _refuse_empty_host(values, pick, host_elsewhere, env)
    if values["host"]:
        values["host"] = _normalise_host(values["host"], pick("host")[1], path)
        if not (values["email"] or values["password"]):
            _refuse_empty_token(pick("token"), env, path)
    if values["token"]:
        values["token"] = _token(values["token"], pick("token")[1], path)
    if values["host"] and where.get("database"):
        _refuse_database_with_host(values["host"], pick("host")[1], path, env)
    if values["email"] and not values["password"] and not values["token"]:
        raise ConfigError("An email needs a password.", path=str(path) if path else None)

    att, source = pick("auto_task_timeout")
    values["auto_task_timeout"] = _number(att, "auto_task_timeout", source, path, allow_none=True)
    if values["auto_task_timeout"] != values["auto_task_timeout"]:  # NaN: no answer to > 0
        raise ConfigError(
            f"'auto_task_timeout' must be a number of seconds (< 0: without limit), not "
            f"{att!r} (from {source}).",
            path=_p(source, path),
        )
    tmo, source = pick("timeout")
    values["timeout"] = _timeout(tmo, source, path) if tmo is not None else C.DEFAULT_TIMEOUT
    for flag in ("auto_generate_next_design", "run_tasks_async"):
        value, source = pick(flag)
        values[flag] = _flag(value, flag, source, path) if value is not None else False
    ver, source = pick("verify")
    values["verify"] = _verify(ver, source, path) if ver is not None else True
    values["retries"] = _retries(retries, from_env, from_file, path, variables)
    return ClientConfig(
        cert=cert,
        proxies=dict(proxies) if proxies else None,
        config_path=str(path) if path else None,
        **values,
    )


def default_database_path(environ: Mapping[str, str] | None = None) -> Path:
    """The embedded service's database file in the user's data folder (per platform)."""
    env = os.environ if environ is None else environ
    return _data_dir(env).joinpath(*C.DATABASE_FILE)


def default_config_paths(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """The config files read when none is named, in order (the first present one wins):
    ours, then Daptics' ``./daptics.conf`` (the Daptics client's default ``config``), so a
    folder set up for Daptics reaches the host its file names, not the embedded service."""
    env = os.environ if environ is None else environ
    here = cwd or Path.cwd()
    return [
        here / C.LOCAL_CONFIG_FILE,
        _config_dir(env).joinpath(*C.USER_CONFIG_FILE),
        here / C.DAPTICS_CONFIG_FILE,
    ]


def _data_dir(env: Mapping[str, str]) -> Path:
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _config_dir(env: Mapping[str, str]) -> Path:
    if sys.platform == "win32":
        return Path(env.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def _load_file(
    named: str | os.PathLike[str] | None, *, cwd: Path, env: Mapping[str, str]
) -> tuple[Path | None, dict[str, Any]]:
    if named is not None:
        path = Path(named).expanduser()
        if not path.is_absolute():
            path = cwd / path
        if path.is_dir():
            raise ConfigError(
                f"The config file {path} is a folder; name the JSON file in it.", path=str(path)
            )
        if not path.is_file():
            raise ConfigError(f"The config file {path} does not exist.", path=str(path))
        return path, _parse_file(path)
    for path in default_config_paths(cwd, env):
        if path.is_file():
            return path, _parse_file(path)
    return None, {}


def _parse_file(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(  # Notepad writes a BOM
            path.read_text(encoding="utf-8-sig"),
            object_pairs_hook=_once_each,
            parse_int=_whole_number,
        )
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ConfigError(
            f"The config file {path} cannot be read as JSON: {err}", path=str(path)
        ) from err
    except RecursionError as err:  # before: the decoder's RecursionError, a traceback
        raise ConfigError(
            f"The config file {path} is nested too deeply to be read as JSON (lists or "
            "objects inside each other); it must hold one object of settings.",
            path=str(path),
        ) from err
    if not isinstance(raw, dict):
        raise ConfigError(f"The config file {path} must hold a JSON object.", path=str(path))
    for key, value in raw.items():
        digits = _long_number_in(value)
        if digits is not None:  # before: Python's "Exceeds the limit (4300 digits) for
            # integer string conversion ... use sys.set_int_max_str_digits()"
            raise ConfigError(
                f"'{key}' is a number of {digits:,} digits (from config file {path}): "
                f"more digits than Python reads ({sys.get_int_max_str_digits():,}), and no "
                "setting takes a number that long.",
                path=str(path),
            )
    unknown = sorted(set(raw) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(
            f"The config file {path} has unknown keys {unknown}; known: {sorted(FILE_KEYS)}.",
            path=str(path),
        )
    named: dict[str, str] = {}
    for key in raw:  # two names of one setting (export_dir, auto_export_path): one unseen
        if FILE_KEYS[key] in named:
            raise ConfigError(
                f"The config file {path} gives one setting as '{named[FILE_KEYS[key]]}' and "
                f"as '{key}'; only one value would be used: give it once.",
                path=str(path),
            )
        named[FILE_KEYS[key]] = key
    return {FILE_KEYS[key]: value for key, value in raw.items() if value is not None}


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are distinct; a key given twice kept one value unseen, and
    no option is silently ignored."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key '{key}' is given twice; give it once")
        seen[key] = value
    return seen


class _LongNumber:
    """A whole number of a config file of more digits than Python reads (``int()`` refuses
    past ``sys.get_int_max_str_digits()``), kept as its count of digits."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _whole_number(text: str) -> int | _LongNumber:
    """A whole number of a config file as ``int``, or a :class:`_LongNumber` for one of
    more digits than Python reads, refused by :func:`_parse_file` naming its setting."""
    try:
        return int(text)
    except ValueError:  # past Python's limit on digits
        return _LongNumber(len(text.lstrip("-")))


def _long_number_in(value: Any) -> int | None:
    """The digits of a :class:`_LongNumber` in ``value`` (a setting's value as read, lists
    and objects looked into without recursion), or None."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _LongNumber):
            return item.digits
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def _refuse_database_with_host(
    host: str, source: str, path: Path | None, environ: Mapping[str, str]
) -> None:
    """ConfigError for a ``database`` argument beside a host, naming the host and its source.

    Before: "'database' is for the embedded service; it cannot go with a host.", which did
    not say which host: one exported as SIGOPT_LIKE_HOST for a team's service (as the
    README's "Serving it for a team" does) was invisible from the script that failed.
    """
    raise ConfigError(database_beside_host(host, source, environ=environ), path=_p(source, path))


def database_beside_host(
    host: str,
    source: str,
    database: str = "'database'",
    *,
    host_usable: bool = True,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Why a database (``database``: the argument's name, or the command line's ``--db``)
    cannot go with ``host`` (from ``source``, as :func:`host_source` says it), and the two
    ways out: one message for ``Connection(database=...)`` and the commands' ``--db``.
    ``host_usable=False`` leaves out the second, "leave out ``database`` to use that
    host", for what never uses a host (``sigopt-like demo`` runs on the embedded service
    with or without ``--db``)."""
    use_host = f", or leave out {database} to use that host" if host_usable else ""
    if source == "argument":
        way_out = "give one of them: 'database' for the embedded service, 'host' for a remote one"
    elif source.startswith("environment variable "):
        # every variable that sets the host or a login, ours and Daptics': before, only
        # the first was named, and once it was unset the next (DAPTICS_HOST) was refused
        listed = _and_listed(setting_variables(("host", "token", "email", "password"), environ))
        way_out = f"unset {listed} for the embedded service{use_host}"
    else:
        way_out = (
            f"remove 'host' (and its token or login) from "
            f"{source.removeprefix('config file ')} for the embedded service{use_host}"
        )
    return (
        f"{database} is for the embedded service, but a host is set: {shown_url(host)} (from "
        f"{source}); {way_out}."
    )


def setting_variables(fields: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Every environment variable set for ``fields`` (ours, then Daptics', for each):
    what to unset for those settings to be unset, since one shadows the next."""
    env = os.environ if environ is None else environ
    return [
        name
        for field in fields
        for keys in (ENV_KEYS, DAPTICS_ENV_KEYS)
        for name, key in keys.items()
        if key == field and env.get(name)
    ]


def _and_listed(items: Sequence[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def host_source(config: ClientConfig, environ: Mapping[str, str] | None = None) -> str:
    """Where the host of ``config`` (resolved with no ``host`` argument) was set: its
    environment variable (ours over Daptics', as :func:`resolve_config` picks), else
    the config file."""
    env = os.environ if environ is None else environ
    for name in (C.ENV_HOST, *(k for k, v in DAPTICS_ENV_KEYS.items() if v == "host")):
        if env.get(name):
            return f"environment variable {name}"
    return f"config file {config.config_path}"


def _p(source: str, path: Path | None) -> str | None:
    return str(path) if path is not None and source.startswith("config file") else None


#: the longest host name DNS holds (RFC 1035's 255 bytes on the wire)
MOST_HOST_NAME_CHARACTERS = 253


def _normalise_host(host: str, source: str = "argument", path: Path | None = None) -> str:
    """``host`` as a base URL; ConfigError if it is not an http(s) URL with a host name.

    With no scheme written: http:// for this machine (``localhost``, ``127.x.x.x``,
    ``::1``: where ``sigopt-like serve`` serves plain HTTP and says so), https://
    elsewhere (a token is not sent in clear over a network unless asked). Before,
    ``127.0.0.1:8080`` asked a plain-HTTP ``serve`` for TLS and waited for its whole
    timeout and retries. A trailing ``/v1``, the API's own prefix, is dropped
    (before, ``http://h/v1`` asked for ``/v1/v1/...``: a 404). Before, ``ftp://x``
    reached requests and ``http://`` was retried for two minutes. A query or fragment
    (``http://h:9/?token=abc``) is refused: a request's path would follow it.
    """
    text = host.strip()
    try:
        if "://" not in text:
            local = _is_loopback(urllib.parse.urlsplit("//" + text).hostname)
            text = ("http://" if local else "https://") + text
        text = text.rstrip("/")
        parts = urllib.parse.urlsplit(text)
        text.encode("utf-8")  # a lone surrogate: before, taken, then requests' InvalidURL
    except ValueError:  # 'http://[::1' (before: urllib's bare ValueError), or not text
        parts = urllib.parse.SplitResult("", "", "", "", "")
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    try:  # each part between dots 1 to 63 characters: before, 'x' * 64 was urllib3's
        # LocationParseError traceback "label empty or too long", after the first request
        encoded = (parts.hostname or "").rstrip(".").encode("idna")
        # and the whole name at most DNS's 253: before, fifty 60-character labels were
        # taken, and only the first request's lookup said the name does not resolve
        name_ok = len(encoded) <= MOST_HOST_NAME_CHARACTERS
    except UnicodeError:
        name_ok = False
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or not name_ok
        # a control character: before, "http://lab\x00.example" was taken and requests
        # sent it as "http://lab .example", a name that never resolves, for the retries
        or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in text)
    ):
        raise ConfigError(
            f"'host' must be the service's URL, like http://127.0.0.1:8080 or "
            f"https://doe.lab.example, not {_quoted(refused_url(host))} (from {source}).",
            path=_p(source, path),
        )
    if "?" in text or "#" in text:
        # before: taken, and every request went to "http://h:9/?x=1#f/v1/version", which
        # no service answers (a token in the query was never sent as one either)
        raise ConfigError(
            f"'host' has a query or fragment (a '?' or '#' part): "
            f"{_quoted(refused_url(host))} (from {source}); a request's path would go after "
            "it, so none could reach the service. Drop that part: the host is the URL up "
            "to its port (and path), and a token goes in --token, SIGOPT_LIKE_TOKEN, the "
            "config file's 'token' or Connection(token=...).",
            path=_p(source, path),
        )
    if parts.path.endswith("/v1"):  # the API's own prefix: every path already starts with it
        text = text.removesuffix("/v1")
    return text


#: the most of a refused value that a message quotes
QUOTED_CHARACTERS = 80


def _quoted(value: str) -> str:
    """``value``'s repr, cut short past :data:`QUOTED_CHARACTERS` (a 5,000-character host
    was printed whole)."""
    if len(value) <= QUOTED_CHARACTERS:
        return repr(value)
    return f"{value[:QUOTED_CHARACTERS]!r}... ({len(value):,} characters)"


def _refuse_empty_token(picked: tuple[Any, str], env: Mapping[str, str], path: Path | None) -> None:
    """A ConfigError for a token that is empty or only blanks where a host is used and no
    email and password sign in instead: ``SIGOPT_LIKE_TOKEN="$(cat token.txt)"`` of a
    token.txt left empty (by a ``tokens create`` that failed), a config file's ``"token":
    " "``, ``Connection(host, token=Path("token.txt").read_text())``. Before, each sent
    no token, and the server's 401 was all one saw, after the first request. (An empty
    variable is an unset one for every other setting; with a host, an empty token
    variable is this mistake.)"""
    token, source = picked
    if token is None:
        if env.get(C.ENV_TOKEN) != "":  # unset (an empty variable is an unset one)
            return
        token, source = "", f"environment variable {C.ENV_TOKEN}"
    if token.strip():
        return
    if source == "argument":
        where, read = "give it", True
    elif source.startswith("config file"):
        where, read = "put it in the config file", False
    else:
        where, read = f"put it in {C.ENV_TOKEN}", True
    maybe = " If it was read from a file (token.txt), that file is empty." if read else ""
    raise ConfigError(
        f"'token' is {'empty' if not token else 'only blanks'} (from {source}), so no request "
        f"could sign in.{maybe} Make a token with 'sigopt-like tokens create --user EMAIL > "
        f"token.txt' on the service's database and {where}, or leave the token out for a "
        "server that takes none (serve --no-auth).",
        path=_p(source, path),
    )


def _token(token: str, source: str, path: Path | None) -> str:
    """``token`` without the white space around it (a line end read from a file); a
    ConfigError, which never shows the token, if anything else in it is not a visible
    ASCII character: no API token has one, and an HTTP header cannot carry a line break.

    Before, a token with a line break in it stopped at requests' InvalidHeader, whose
    message printed the token, and one with a byte the terminal could not decode (a lone
    surrogate) at a UnicodeEncodeError traceback.
    """
    text = token.strip()
    for at, ch in enumerate(text, start=1):
        if not "!" <= ch <= "~":
            raise ConfigError(
                f"'token' has {_character(ch)} at character {at}, which no API token has (from "
                f"{source}); copy the token again, as 'sigopt-like tokens create' or "
                f"POST /v1/login printed it.",
                path=_p(source, path),
            )
    return text


def _character(ch: str) -> str:
    """A character as a refusal names it, e.g. ``a line break (U+000A)``."""
    if "\ud800" <= ch <= "\udfff":
        what = "a byte that is not text in this system's encoding"
    elif ch in _WHITE:
        what = _WHITE[ch]
    else:
        what = str(unicodedata.name(ch, "a control character"))
    return f"{what} (U+{ord(ch):04X})"


_WHITE = MappingProxyType(
    {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
)


def _is_loopback(hostname: str | None) -> bool:
    """Whether a host name is this machine's loopback (``localhost``, 127/8, ``::1``)."""
    if not hostname:
        return False
    if hostname.lower() == "localhost":
        return True
    import ipaddress  # here: only a host without a scheme needs it

    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _number(
    value: Any, name: str, source: str, path: Path | None, *, allow_none: bool
) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        if csvio.ascii_digits(value) is not None:  # float() reads U+0661 as 1
            raise ConfigError(
                f"'{name}' must be a number, not {value!r} (from {source})"
                f"{csvio.ascii_digits_tip(value)}.",
                path=_p(source, path),
            )
        try:
            return float(value)
        except ValueError:
            pass
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        # numpy's float32 and int64 too (were refused, though the counts took numpy's
        # integers); numpy's bool is no numbers.Real, so it is refused as bool is
        return float(value)
    raise ConfigError(
        f"'{name}' must be a number, not {value!r} (from {source}).", path=_p(source, path)
    )


def _timeout(value: Any, source: str, path: Path | None) -> Timeout:
    given = value  # what the message quotes (before: the split text, "not []" for " ")
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
        if len(value) == 1:
            value = value[0]
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ConfigError(
                f"'timeout' must be a number or a (connect, read) pair, not {given!r} "
                f"(from {source}).",
                path=_p(source, path),
            )
        connect = _number(value[0], "timeout", source, path, allow_none=False)
        read = _number(value[1], "timeout", source, path, allow_none=False)
    else:
        connect = read = _number(value, "timeout", source, path, allow_none=False)
    assert connect is not None and read is not None
    if connect <= 0 or read <= 0:
        raise ConfigError(f"'timeout' must be positive (from {source}).", path=_p(source, path))
    if not (connect <= C.MAX_TIMEOUT and read <= C.MAX_TIMEOUT):  # NaN fails this too
        # before, NaN, inf and 2**70 were taken, and every call of the Connection then
        # failed in urllib3 or the socket layer (ValueError, OverflowError)
        raise ConfigError(
            f"'timeout' must be a finite number of seconds, at most {C.MAX_TIMEOUT:.0f} (a "
            f"year), not {given!r} (from {source}).",
            path=_p(source, path),
        )
    return (connect, read)


def _flag(value: Any, name: str, source: str, path: Path | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(
        f"'{name}' must be true or false, not {value!r} (from {source}).", path=_p(source, path)
    )


def _verify(value: Any, source: str, path: Path | None) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        if not Path(value).expanduser().exists():
            raise ConfigError(
                f"'verify' must be true, false or the path of a CA bundle; {value!r} is "
                f"neither, and no such file exists (from {source}).",
                path=_p(source, path),
            )
        return value  # a CA bundle path
    raise ConfigError(
        f"'verify' must be true, false or a CA bundle path (from {source}).", path=_p(source, path)
    )


def whole_number(value: object) -> int | None:
    """``value`` as an int when it is an integer of any type (an int, numpy's ``int64`` or
    ``uint32``: what ``operator.index`` takes), else None: a bool (numpy's too), a float
    (even ``5.0``) or text is no count."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def _retries(
    retries: SupportsIndex | RetryPolicy | Mapping[str, Any] | None,
    from_env: Mapping[str, Any],
    from_file: Mapping[str, Any],
    path: Path | None,
    variables: Mapping[str, str],
) -> RetryPolicy:
    if isinstance(retries, RetryPolicy):
        return retries
    count = whole_number(retries)
    if count is not None:  # an int, or numpy's int64 (before: "must be a number of retries")
        if count < 0:
            raise ConfigError("'retries' cannot be negative.")
        return RetryPolicy(max_tries=count + 1)
    if isinstance(retries, Mapping):
        try:
            return RetryPolicy(**retries)
        except TypeError as err:
            if "unexpected keyword" not in str(err):  # a value of the wrong type
                raise ConfigError(f"'retries': {err}") from err
            raise ConfigError(f"'retries' has an unknown key: {err}") from err
        except ValueError as err:
            raise ConfigError(f"'retries': {err}") from err
    if retries is not None:
        raise ConfigError("'retries' must be a number of retries, a dict or a RetryPolicy.")
    policy: dict[str, Any] = {}
    for source_name, source in (("config file", from_file), ("environment", from_env)):
        for key in ("max_tries", "max_retry_time"):
            if key in source:
                where = (
                    f"config file {path}"
                    if source_name == "config file"
                    else f"environment variable {variables[key]}"
                )
                value = _number(source[key], key, where, path, allow_none=False)
                assert value is not None
                least = 1 if key == "max_tries" else 0
                # NaN and infinity fail the first test (before: a traceback from int(), or
                # from RetryPolicy, for 'nan' or 'inf')
                ok = math.isfinite(value) and value >= least
                if ok and key == "max_tries":
                    ok = value == int(value)
                elif ok:
                    ok = value <= C.MAX_TIMEOUT
                if not ok:
                    raise ConfigError(
                        f"'{key}' must be a whole number of tries, 1 or more (1: no retry), "
                        f"not {source[key]!r} (from {where})."
                        if key == "max_tries"
                        else f"'{key}' must be a finite number of seconds, 0 to "
                        f"{C.MAX_TIMEOUT:.0f} (a year), not {source[key]!r} (from {where}).",
                        path=_p(where, path),
                    )
                policy["max_time" if key == "max_retry_time" else key] = (
                    int(value) if key == "max_tries" else value
                )
    return RetryPolicy(**policy)
