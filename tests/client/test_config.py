"""Config resolution: arguments > environment > config file; named files must exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like import ConfigError, RetryPolicy
from sigopt_like.config import default_config_paths, default_database_path, resolve_config


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_defaults_with_nothing_configured(clean_env):
    config = resolve_config()
    assert config.embedded and config.host is None and config.token is None
    assert config.timeout == (5.0, 60.0)
    assert config.verify is True
    assert config.retries == RetryPolicy()
    assert config.auto_task_timeout is None
    assert config.config_path is None


def test_arguments_beat_environment_beat_file(clean_env, monkeypatch):
    path = write(
        clean_env / "conf.json",
        {
            "host": "file.example",
            "token": "file-token",
            "auto_export_path": "from-file",
            "timeout": 11,
        },
    )
    monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(path))
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "env-token")
    monkeypatch.setenv("SIGOPT_LIKE_TIMEOUT", "3,30")
    config = resolve_config()
    assert config.host == "https://file.example"
    assert config.token == "env-token"
    assert config.export_dir == "from-file"
    assert config.timeout == (3.0, 30.0)
    assert config.config_path == str(path)
    config = resolve_config("http://arg.example:8080/", "arg-token", timeout=9)
    assert config.host == "http://arg.example:8080"
    assert config.token == "arg-token"
    assert config.timeout == (9.0, 9.0)


def test_default_files_in_order_and_only_when_present(clean_env, monkeypatch):
    user_file = default_config_paths(clean_env)[1]
    assert user_file == Path(clean_env.parent / "home" / ".config" / "sigopt-like" / "config.json")
    assert resolve_config().config_path is None
    write(user_file, {"host": "user.example"})
    assert resolve_config().host == "https://user.example"
    write(clean_env / "sigopt_like.conf", {"host": "local.example"})
    config = resolve_config()
    assert config.host == "https://local.example"
    assert config.config_path == str(clean_env / "sigopt_like.conf")


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_named_missing_file_names_the_path(clean_env, monkeypatch, how):
    missing = clean_env / "nope.json"
    if how == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(missing))
        call = resolve_config
    else:

        def call():
            return resolve_config(config=missing)

    with pytest.raises(ConfigError) as info:
        call()
    assert str(missing) in str(info.value)
    assert info.value.path == str(missing)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"host": "x", "colour": "red"}'])
def test_unparsable_or_unknown_config_file_names_the_path(clean_env, text):
    path = write(clean_env / "bad.conf", text)
    with pytest.raises(ConfigError) as info:
        resolve_config(config=path)
    assert str(path) in str(info.value)


def test_a_config_file_saved_with_a_byte_order_mark_is_read(clean_env):
    """Windows Notepad saves UTF-8 with a BOM. Before: "cannot be read as JSON: Unexpected
    UTF-8 BOM (decode using utf-8-sig)"."""
    path = clean_env / "notepad.conf"
    path.write_bytes(b'\xef\xbb\xbf{"host": "https://bom.example", "token": "t"}')
    assert resolve_config(config=path).host == "https://bom.example"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"database": "a.db", "database": "b.db"}', "the key 'database' is given twice"),
        (
            '{"export_dir": "a", "auto_export_path": "b"}',
            "as 'export_dir' and as 'auto_export_path'",
        ),
        ('{"user": "a@x.example", "email": "b@x.example"}', "as 'user' and as 'email'"),
    ],
)
def test_a_setting_given_twice_in_a_config_file_is_refused(clean_env, text, said):
    """Before: the file's last value (or one of two names of one setting) was used and the
    other dropped unseen, though no option of the file is silently ignored."""
    path = write(clean_env / "twice.conf", text)
    with pytest.raises(ConfigError) as info:
        sigopt_like.Connection(config=path)
    assert str(path) in str(info.value) and said in str(info.value)
    assert not (clean_env / "a.db").exists() and not (clean_env / "b.db").exists()


def test_a_config_file_nested_too_deeply_is_a_config_error(clean_env):
    """Before: the JSON decoder's RecursionError, no error of the library's."""
    path = write(clean_env / "deep.conf", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError) as info:
        sigopt_like.Connection(config=path)
    assert info.value.path == str(path)
    assert str(info.value) == (
        f"The config file {path} is nested too deeply to be read as JSON (lists or objects "
        "inside each other); it must hold one object of settings."
    )


@pytest.mark.parametrize(
    ("text", "key", "digits"),
    [
        ('{"timeout": ' + "1" * 5000 + "}", "timeout", 5000),
        ('{"max_tries": -' + "9" * 4301 + "}", "max_tries", 4301),
        ('{"host": {"a": [1, ' + "7" * 6000 + "]}}", "host", 6000),
    ],
)
def test_a_number_past_pythons_digits_in_a_config_file_names_its_setting(
    clean_env, text, key, digits
):
    """Before: a ConfigError carrying Python's own words, "Exceeds the limit (4300
    digits) for integer string conversion ... use sys.set_int_max_str_digits()", advice
    for a programmer naming no setting."""
    path = write(clean_env / "long.conf", text)
    with pytest.raises(ConfigError) as info:
        sigopt_like.Connection(config=path)
    assert info.value.path == str(path)
    assert str(info.value) == (
        f"'{key}' is a number of {digits:,} digits (from config file {path}): more "
        "digits than Python reads (4,300), and no setting takes a number that long."
    )


def test_bad_default_file_is_an_error_too(clean_env):
    write(clean_env / "sigopt_like.conf", "{oops")
    with pytest.raises(ConfigError, match=r"sigopt_like\.conf"):
        resolve_config()


def test_daptics_style_options(clean_env):
    path = write(
        clean_env / "d.conf",
        {
            "host": "h.example",
            "email": "a@b.c",
            "password": "pw",
            "auto_task_timeout": -1,
            "verify_ssl_certificates": False,
            "max_tries": 2,
            "max_retry_time": 7,
        },
    )
    config = resolve_config(config=path)
    assert (config.email, config.password) == ("a@b.c", "pw")
    assert config.auto_task_timeout == -1.0
    assert config.verify is False
    assert config.retries.max_tries == 2 and config.retries.max_time == 7.0


def test_wrong_types_are_config_errors(clean_env, monkeypatch):
    path = write(clean_env / "t.conf", {"host": 5})
    with pytest.raises(ConfigError, match="host"):
        resolve_config(config=path)
    monkeypatch.setenv("SIGOPT_LIKE_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="timeout"):
        resolve_config()


def test_email_needs_password(clean_env):
    with pytest.raises(ConfigError, match="password"):
        resolve_config("h.example", email="a@b.c")


def test_retries_forms(clean_env):
    assert resolve_config(retries=0).retries.max_tries == 1
    assert resolve_config(retries=3).retries.max_tries == 4
    assert resolve_config(retries={"max_tries": 2, "max_time": 1.5}).retries.max_time == 1.5
    policy = RetryPolicy(max_tries=9)
    assert resolve_config(retries=policy).retries is policy
    with pytest.raises(ConfigError):
        resolve_config(retries={"tries": 2})


def test_a_numpy_integer_count_of_retries_is_taken(clean_env):
    """Before: ``retries=np.int64(3)`` was "'retries' must be a number of retries", though
    Connection's other counts take numpy integers; a bool or a float is still refused."""
    np = pytest.importorskip("numpy")
    assert resolve_config(retries=np.int64(3)).retries.max_tries == 4
    with sigopt_like.Connection("http://127.0.0.1:9", "t0ken", retries=np.uint8(0)) as conn:
        assert conn.transport.retries.max_tries == 1
        assert type(conn.transport.retries.max_tries) is int
    for wrong in (True, np.bool_(False), 2.0, np.float64(2.0), "3"):
        with pytest.raises(ConfigError, match="'retries' must be a number of retries"):
            resolve_config(retries=wrong)


def test_numpy_numbers_of_seconds_are_taken(clean_env):
    """Before: ``timeout=np.float32(2.5)`` and ``auto_task_timeout=np.int64(30)`` were
    "'timeout' must be a number", though the counts take numpy integers; numpy's bool is
    still refused, as bool is."""
    np = pytest.importorskip("numpy")
    config = resolve_config(timeout=np.float32(2.5), auto_task_timeout=np.int64(30))
    assert config.timeout == (2.5, 2.5) and config.auto_task_timeout == 30.0
    assert type(config.auto_task_timeout) is float
    pair = resolve_config(timeout=(np.int32(3), np.float16(40))).timeout
    assert pair == (3.0, 40.0) and all(type(part) is float for part in pair)
    for wrong in (np.bool_(True), True):
        with pytest.raises(ConfigError, match="'timeout' must be a number"):
            resolve_config(timeout=wrong)


def test_the_retry_deadline_comes_from_the_environment(clean_env, monkeypatch):
    """Before: only a config file's max_retry_time set it; SIGOPT_LIKE_MAX_RETRY_TIME was
    not a setting (and is now named in the notice of a host that cannot be reached)."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_RETRY_TIME", "7.5")
    assert resolve_config("h.example").retries.max_time == 7.5
    with sigopt_like.Connection("http://127.0.0.1:9", "t0ken") as conn:
        assert conn.transport.retries.max_time == 7.5


@pytest.mark.parametrize("variable", ["SIGOPT_LIKE_MAX_TRIES", "SIGOPT_LIKE_MAX_RETRY_TIME"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
def test_retry_settings_that_are_no_number_are_config_errors(
    clean_env, monkeypatch, variable, value
):
    """Before: SIGOPT_LIKE_MAX_TRIES=inf was a traceback (OverflowError from int()), nan a
    ValueError from int() or from RetryPolicy; a deadline of inf retried for ever."""
    monkeypatch.setenv(variable, value)
    name = variable.removeprefix("SIGOPT_LIKE_").lower()
    with pytest.raises(ConfigError, match=f"'{name}' must be .* not '{value}'"):
        resolve_config("h.example")
    path = write(clean_env / "r.conf", {name: float(value)})
    monkeypatch.delenv(variable)
    with pytest.raises(ConfigError, match=f"'{name}' must be"):
        resolve_config("h.example", config=path)


def test_a_number_in_other_digits_is_a_config_error(clean_env, monkeypatch):
    """Before: float() read Arabic-Indic and fullwidth digits, so SIGOPT_LIKE_TIMEOUT set
    to Arabic-Indic five was a timeout of 5 seconds, and fullwidth "10" in a file one of 10."""
    monkeypatch.setenv("SIGOPT_LIKE_TIMEOUT", "\u0665")
    with pytest.raises(ConfigError, match=r"'timeout' must be a number.*ASCII digits: 5\)"):
        resolve_config()
    monkeypatch.delenv("SIGOPT_LIKE_TIMEOUT")
    path = write(clean_env / "d.conf", {"auto_task_timeout": "\uff11\uff10"})
    with pytest.raises(ConfigError, match=r"ASCII digits: 10\)"):
        resolve_config(config=path)


def test_an_auto_task_timeout_of_nan_is_a_config_error(clean_env, monkeypatch):
    """Before: NaN was taken, and answered none of Daptics' cases (> 0, < 0, 0)."""
    monkeypatch.setenv("SIGOPT_LIKE_AUTO_TASK_TIMEOUT", "nan")
    with pytest.raises(ConfigError, match="'auto_task_timeout' must be a number of seconds"):
        resolve_config()


def test_database_default_is_in_the_user_data_dir(clean_env):
    path = default_database_path()
    assert path == clean_env.parent / "home" / ".local" / "share" / "sigopt-like" / "sigopt-like.db"


def test_database_with_a_host_is_refused(clean_env):
    with pytest.raises(ConfigError, match="database"):
        resolve_config("h.example", database="x.db")


def test_repr_hides_secrets(clean_env):
    config = resolve_config("h.example", "s3cret-token")
    assert "s3cret-token" not in repr(config)
    conn = sigopt_like.Connection("http://127.0.0.1:9", "s3cret-token")
    try:
        assert "s3cret-token" not in repr(conn)
        assert "***" in repr(conn)
    finally:
        conn.close()


def test_nothing_is_read_at_import(clean_env, monkeypatch):
    import importlib

    monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(clean_env / "missing.json"))
    importlib.reload(sigopt_like)  # no error: the file is looked at only by Connection()
    with pytest.raises(ConfigError):
        sigopt_like.Connection()


def test_embedded_connection_uses_env_database(clean_env, monkeypatch, tmp_path):
    target = tmp_path / "sub" / "env.db"
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(target))
    with sigopt_like.Connection() as conn:
        assert conn.embedded
        assert conn.health().status == "ok"
    assert target.exists()


def test_a_misspelt_setting_variable_is_an_error(clean_env, monkeypatch, tmp_path):
    """Before: ``SIGOPT_LIKE_DATABSE`` was ignored without a word, and the campaign went to
    the default database. Other variables of the prefix are left alone."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABSE", str(tmp_path / "mine.db"))
    with pytest.raises(ConfigError, match="did you mean SIGOPT_LIKE_DATABASE"):
        resolve_config()
    with pytest.raises(ConfigError, match="SIGOPT_LIKE_DATABSE is not a setting"):
        sigopt_like.Connection()
    monkeypatch.delenv("SIGOPT_LIKE_DATABSE")
    for name in ("SIGOPT_LIKE_TRACEBACK", "SIGOPT_LIKE_CI", "SIGOPT_LIKE_FUZZ_SEED"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "mine.db"))
    assert resolve_config().database == str(tmp_path / "mine.db")


@pytest.mark.parametrize(
    ("guess", "setting"),
    [
        ("SIGOPT_LIKE_DB", "SIGOPT_LIKE_DATABASE"),
        ("SIGOPT_LIKE_API_TOKEN", "SIGOPT_LIKE_TOKEN"),
        ("SIGOPT_LIKE_API_URL", "SIGOPT_LIKE_HOST"),
    ],
)
def test_a_guessed_setting_name_is_an_error(clean_env, monkeypatch, tmp_path, guess, setting):
    """Before: ``SIGOPT_LIKE_DB=...`` (too short to be a near miss of DATABASE) was ignored,
    and the CLI's and the script's campaign went to the default database."""
    monkeypatch.setenv(guess, str(tmp_path / "mine.db"))
    with pytest.raises(ConfigError, match=f"{guess} is not a setting: did you mean {setting}"):
        sigopt_like.Connection()


@pytest.mark.parametrize(
    ("token", "said"),
    [
        ("slk_abc\ndef", "a line break (U+000A) at character 8"),
        ("slk_abc def", "a space (U+0020) at character 8"),
        ("slk_abc\udce9", "a byte that is not text in this system's encoding (U+DCE9)"),
        ("slk_abc\x00", "a control character (U+0000)"),
        ("slk_abcé", "LATIN SMALL LETTER E WITH ACUTE (U+00E9)"),
    ],
)
def test_a_token_no_header_can_carry_is_refused_without_showing_it(clean_env, token, said):
    # before: requests' InvalidHeader printed the token, or a UnicodeEncodeError traceback
    with pytest.raises(ConfigError) as caught:
        sigopt_like.Connection("http://127.0.0.1:8080", token)
    message = str(caught.value)
    assert said in message and "(from argument)" in message
    assert "slk_abc" not in message


def test_a_token_from_the_environment_is_checked_too(clean_env, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "slk_abc\ndef")
    said = r"line break .* \(from environment variable SIGOPT_LIKE_TOKEN\)"
    with pytest.raises(ConfigError, match=said):
        resolve_config(host="http://127.0.0.1:8080")


def test_a_token_read_from_a_file_with_its_line_end_works(clean_env, served):
    saved = clean_env / "token.txt"
    saved.write_text(served.token + "\n")
    conn = sigopt_like.Connection(served.url, saved.read_text())
    assert conn.config.token == served.token
    assert conn.sessions.list().data == []


def test_an_embedded_database_that_cannot_be_used_is_a_config_error(clean_env, tmp_path):
    """Before: SQLAlchemy's own errors (OperationalError "unable to open database file",
    DatabaseError "file is not a database", NoSuchModuleError "Can't load plugin"), or a
    FileExistsError, outside the SigoptLikeError hierarchy and not naming the database."""
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database\n")
    cases = {
        str(tmp_path): "is a folder; name a file in it, e.g. database=",
        str(not_sqlite): "is not a sigopt-like database",
        str(not_sqlite / "x.db"): f"{not_sqlite} is a file, not a folder",
        "foo://bar": "neither a SQLite file nor PostgreSQL: name a file (database=",
        "/proc/sigopt-like-test.db": "cannot use the database /proc/sigopt-like-test.db: ",
    }
    for database, said in cases.items():
        with pytest.raises(ConfigError) as caught, sigopt_like.Connection(database=database) as c:
            c.sessions.list()
        assert said in str(caught.value), (database, str(caught.value))
    assert not_sqlite.read_text() == "not a database\n"
    with sigopt_like.Connection(database=str(tmp_path / "new" / "folder" / "x.db")) as conn:
        assert list(conn.sessions.list()) == []  # the folder of a new file is still made


def test_a_database_name_no_file_can_have_is_a_config_error(clean_env, tmp_path):
    """Before: a ValueError "embedded null byte" and a UnicodeEncodeError "surrogates not
    allowed", outside the SigoptLikeError hierarchy and not naming the database."""
    folder = tmp_path / "databases"
    folder.mkdir()
    cases = {
        str(folder / "a\x00.db"): "holds a NUL character (U+0000), which no file name holds",
        f"sqlite:///{folder}/a\x00.db": "holds a NUL character (U+0000)",
        str(folder / "\ud800.db"): "holds '\\ud800' (a lone UTF-16 surrogate, not text)",
    }
    for database, said in cases.items():
        with pytest.raises(ConfigError) as caught, sigopt_like.Connection(database=database) as c:
            c.sessions.list()
        assert said in str(caught.value) and repr(database) in str(caught.value), database
    assert list(folder.iterdir()) == []  # nothing made


def test_a_database_or_export_folder_name_too_long_is_a_config_error_quoting_it_short(
    clean_env, tmp_path, monkeypatch, capsys
):
    """Before: Python's OSError "[Errno 36] File name too long" with the whole name in it,
    from Connection(database=...), SIGOPT_LIKE_DATABASE, an export folder (the call's or
    the configuration's) and the command line's --db, none a SigoptLikeError."""
    long_name = str(tmp_path / ("x" * 5000))
    said = "holds a name of 5,000 bytes between its slashes (file systems take at most 255)"
    for kwargs in ({"database": long_name}, {"export_dir": long_name}):
        with pytest.raises(ConfigError) as caught:
            sigopt_like.Connection(**kwargs)
        shown = str(caught.value)
        assert said in shown and "(5,0" in shown and len(shown) < 400, shown
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", long_name)
    with pytest.raises(ConfigError, match="SIGOPT_LIKE_DATABASE") as caught:
        sigopt_like.Connection()
    assert said in str(caught.value)
    monkeypatch.delenv("SIGOPT_LIKE_DATABASE")
    with sigopt_like.Connection(database=str(tmp_path / "e.db")) as conn:
        created = conn.sessions.create(name="export")
        session = conn.sessions(created.id)
        space = {"type": "factorial", "parameters": [{"name": "a", "type": "numerical",
                                                      "values": [1, 2, 3]}]}  # fmt: skip
        with pytest.raises(ConfigError) as caught:
            session.space.put(space=space, population_size=2, replicates=0, wait=True,
                              export_dir=long_name)  # fmt: skip
        assert said in str(caught.value) and "nothing was started" in str(caught.value)
        assert list(session.tasks.list()) == []
    from sigopt_like import cli

    capsys.readouterr()
    assert cli.main(["sessions", "list", "--db", long_name]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert said in line and "(5,0" in line and len(line) < 400, line
    # short names, the whole past 4,095 bytes: the same, as a whole path too long
    deep = str(tmp_path) + "/a" * 3000 + ".db"
    for kwargs in ({"database": deep}, {"export_dir": deep}):
        with pytest.raises(ConfigError) as caught:
            sigopt_like.Connection(**kwargs)
        shown = str(caught.value)
        assert "bytes in all (file systems take at most 4,095)" in shown, shown
        assert len(shown) < 400, shown
    with pytest.raises(ConfigError, match="4,096 bytes in all"):  # at the bound
        sigopt_like.Connection(database="ab/" * 1364 + "x.db")
    # a sqlite:/// URL's file too (before: its folder was looked at first, an OSError)
    for url in ("sqlite:///" + "ab/" * 1500 + "x.db", "sqlite:///" + "a" * 300 + "/x.db"):
        with pytest.raises(ConfigError) as caught:
            sigopt_like.Connection(database=url)
        assert "which no file name holds" in str(caught.value), caught.value
        assert len(str(caught.value)) < 400, caught.value
    assert cli.main(["sessions", "list", "--db", deep]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "bytes in all (file systems take at most 4,095)" in line and len(line) < 400, line


@pytest.mark.parametrize("value", [123, 1.5, True, ["a.db"], b"a.db"])
@pytest.mark.parametrize("field", ["database", "export_dir"])
def test_a_path_setting_of_another_type_is_a_config_error_naming_it(clean_env, field, value):
    """Before: ``database=123`` (or ``export_dir=5``) was os.fspath's TypeError "expected
    str, bytes or os.PathLike object, not int", naming no setting, while ``b"a.db"`` was
    the ConfigError below."""
    with pytest.raises(ConfigError) as caught:
        sigopt_like.Connection(**{field: value})
    assert str(caught.value) == f"'{field}' must be a string (from argument).", caught.value


def test_an_export_folder_no_folder_can_be_named_is_refused_at_once(clean_env, tmp_path):
    """Before: accepted, then Python's ValueError "embedded null byte" (or a
    UnicodeEncodeError) from the first export, after its task had run."""
    for export_dir, said in (
        ("out\x00", "'export_dir' 'out\\x00' holds a NUL character (U+0000)"),
        ("\ud800", "holds '\\ud800' (a lone UTF-16 surrogate, not text)"),
    ):
        with pytest.raises(ConfigError, match="which no file name holds") as caught:
            sigopt_like.Connection(database=str(tmp_path / "e.db"), export_dir=export_dir)
        assert said in str(caught.value) and "(from argument): name a folder." in str(
            caught.value
        ), str(caught.value)
    config = write(clean_env / "conf.json", {"export_dir": "x\u0000"})
    with pytest.raises(ConfigError, match="holds a NUL character") as caught:
        sigopt_like.Connection(config=str(config))
    assert caught.value.path == str(config)
    assert not (tmp_path / "e.db").exists()


def test_a_database_or_export_folder_of_blanks_is_refused(clean_env, monkeypatch):
    """Before: SIGOPT_LIKE_DATABASE=" " (a quoted variable left unset) made a database
    file named by the blanks in the current folder, and the campaign went there."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", "  ")
    said = r"'database' is only blanks \(from environment variable SIGOPT_LIKE_DATABASE\)"
    with pytest.raises(ConfigError, match=said):
        sigopt_like.Connection()
    monkeypatch.delenv("SIGOPT_LIKE_DATABASE")
    with pytest.raises(ConfigError, match=r"'export_dir' is only blanks \(from argument\)"):
        sigopt_like.Connection(export_dir="\t")
    config = write(clean_env / "conf.json", {"database": " "})
    with pytest.raises(ConfigError, match="'database' is only blanks") as caught:
        sigopt_like.Connection(config=str(config))
    assert caught.value.path == str(config)
    assert [p.name for p in clean_env.iterdir()] == ["conf.json"]  # nothing made


@pytest.mark.parametrize("text", [" ", "1 2 3", "5, 1e999"])
def test_a_timeout_that_cannot_be_read_is_quoted_as_given(clean_env, monkeypatch, text):
    """Before: SIGOPT_LIKE_TIMEOUT=" " was "not [] (from environment)", and "5, 1e999"
    "not ['5', '1e999']": the text after splitting, not what was written."""
    monkeypatch.setenv("SIGOPT_LIKE_TIMEOUT", text)
    with pytest.raises(ConfigError) as caught:
        resolve_config()
    said = f"not {text!r} (from environment variable SIGOPT_LIKE_TIMEOUT)"
    assert said in str(caught.value), str(caught.value)


@pytest.mark.parametrize(
    "given",
    [{"token": "a-token"}, {"client_token": "a-token"}, {"email": "a@b.example", "password": "pw"}],
)
def test_an_empty_host_argument_with_a_token_is_refused(clean_env, given):
    # before: the embedded service, the token or login silently ignored
    with pytest.raises(ConfigError, match=r"'host' is empty") as caught:
        sigopt_like.Connection(host="", database=str(clean_env / "never.db"), **given)
    assert "a-token" not in str(caught.value) and "pw" not in str(caught.value).split()
    assert not (clean_env / "never.db").exists()


@pytest.mark.parametrize("where", ["environment", "config file", "daptics variables"])
def test_an_empty_host_argument_with_a_login_from_elsewhere_is_refused(
    clean_env, monkeypatch, where
):
    """host="" with a token argument was refused, but with a token (or a login) from the
    environment or a config file it was the embedded service, the token ignored: an
    empty host argument is refused alike, naming where the login came from."""
    config = None
    if where == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "env-token")
    elif where == "daptics variables":
        monkeypatch.setenv("DAPTICS_USER", "a@b.example")
        monkeypatch.setenv("DAPTICS_PASSWORD", "pw")
    else:
        config = clean_env / "conf.json"
        config.write_text(json.dumps({"token": "file-token"}))
    with pytest.raises(ConfigError, match=r"'host' is empty") as caught:
        sigopt_like.Connection(host="", config=config, database=str(clean_env / "never.db"))
    message = str(caught.value)
    assert f"(from {'environment' if where != 'config file' else 'config file'}" in message
    assert "leave out host=''" in message
    assert not any(secret in message for secret in ("env-token", "file-token", "pw "))
    assert not (clean_env / "never.db").exists()


def test_an_empty_host_alone_or_an_empty_host_variable_is_the_embedded_service(
    clean_env, monkeypatch
):
    monkeypatch.setenv("SIGOPT_LIKE_HOST", "")
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "env-token")
    with sigopt_like.Connection(database=":memory:") as conn:  # the variable: "none"
        assert conn.embedded and conn.health().status == "ok"
    monkeypatch.delenv("SIGOPT_LIKE_TOKEN")
    with sigopt_like.Connection(host="", database=":memory:") as conn:
        assert conn.embedded and conn.health().status == "ok"


def test_an_empty_database_is_refused_as_the_command_line_refuses_db(
    clean_env, monkeypatch, capsys
):
    """Before: ``Connection(database="")`` (a path built from a variable left unset) used
    the default database, silently, where ``sigopt-like ... --db ""`` is refused; both now
    say the same words. An empty ``$SIGOPT_LIKE_DATABASE`` stays an unset one."""
    with pytest.raises(ConfigError) as caught:
        sigopt_like.Connection(database="")
    said = "name a SQLite file or a database URL, or leave"
    assert str(caught.value).startswith("'database' is empty (from argument): " + said)
    assert str(caught.value).endswith("out for the default database.")
    from sigopt_like import cli

    assert cli.main(["sessions", "list", "--db", ""]) == 2
    assert f"--db is empty: {said} --db out for the default database" in capsys.readouterr().err
    config = write(clean_env / "conf.json", {"database": ""})
    with pytest.raises(ConfigError, match="'database' is empty") as caught:
        sigopt_like.Connection(config=str(config))
    assert caught.value.path == str(config)
    assert [p.name for p in clean_env.iterdir()] == ["conf.json"]  # no database made
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", "")
    assert resolve_config().database is None


@pytest.mark.parametrize("saved", ["", " \n"])
def test_an_empty_token_is_refused_before_any_request(clean_env, monkeypatch, capsys, saved):
    """Before: an empty token.txt (a ``tokens create`` that failed wrote nothing), read into
    ``Connection(host, token=...)`` or ``SIGOPT_LIKE_TOKEN="$(cat token.txt)"``, or a token
    of blanks in a config file, sent no token at all: the server's 401 was all one saw, after
    the first request. Each is a ConfigError naming where the token came from, and no
    connection is made (the server below never sees one)."""
    import socket

    from sigopt_like import cli

    (clean_env / "token.txt").write_text(saved)
    with socket.create_server(("127.0.0.1", 0)) as server:
        host = f"http://127.0.0.1:{server.getsockname()[1]}"
        with pytest.raises(ConfigError) as caught:
            sigopt_like.Connection(host, (clean_env / "token.txt").read_text())
        said = str(caught.value)
        assert said.startswith("'token' is ") and "(from argument), so no request" in said, said
        assert "that file is empty" in said and "sigopt-like tokens create --user" in said
        config = write(clean_env / "conf.json", {"host": host, "token": saved})
        with pytest.raises(ConfigError, match=r"\(from config file .*conf.json\)") as caught:
            sigopt_like.Connection(config=str(config))
        assert caught.value.path == str(config)
        monkeypatch.setenv("SIGOPT_LIKE_HOST", host)
        monkeypatch.setenv("SIGOPT_LIKE_TOKEN", saved)  # "$(cat token.txt)"
        with pytest.raises(ConfigError, match="environment variable SIGOPT_LIKE_TOKEN"):
            sigopt_like.Connection()
        assert cli.main(["sessions", "list"]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and "401" not in err, err
        assert "(from environment variable SIGOPT_LIKE_TOKEN), so no request could" in err, err
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()  # nothing connected
    # with a login, or without a host, an unset token is not a mistake
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "")
    monkeypatch.delenv("SIGOPT_LIKE_HOST")
    assert resolve_config().token is None
    assert resolve_config("https://h.example", email="a@b.example", password="pw").token is None


def test_a_database_beside_a_host_names_the_host_and_where_it_was_set(clean_env, monkeypatch):
    """Before: "'database' is for the embedded service; it cannot go with a host.", with no
    word of which host: docs/client.md's ``Connection(database="client.sqlite3")`` run in a
    shell that exported SIGOPT_LIKE_HOST for a team's service (as the README says to) failed
    with nothing to say that the host came from the environment, nor what to unset."""
    monkeypatch.setenv("SIGOPT_LIKE_HOST", "http://127.0.0.1:8080")
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "team-token")
    with pytest.raises(ConfigError) as told:
        resolve_config(database="client.sqlite3")
    assert str(told.value) == (
        "'database' is for the embedded service, but a host is set: http://127.0.0.1:8080 "
        "(from environment variable SIGOPT_LIKE_HOST); unset SIGOPT_LIKE_HOST and "
        "SIGOPT_LIKE_TOKEN for the embedded service, or leave out 'database' to use that host."
    )
    monkeypatch.delenv("SIGOPT_LIKE_HOST")
    monkeypatch.delenv("SIGOPT_LIKE_TOKEN")
    path = write(clean_env / "lab.conf", {"host": "http://127.0.0.1:8080", "token": "t"})
    with pytest.raises(ConfigError) as told:
        resolve_config(database="client.sqlite3", config=str(path))
    assert f"(from config file {path}); remove 'host' (and its token or login) from {path}" in str(
        told.value
    ) and told.value.path == str(path)
    with pytest.raises(ConfigError) as told:  # a password in the URL is not shown
        resolve_config(host="http://me:s3cret@lab:8080", token="t", database="client.sqlite3")
    assert str(told.value) == (
        "'database' is for the embedded service, but a host is set: http://me:***@lab:8080 "
        "(from argument); give one of them: 'database' for the embedded service, 'host' for "
        "a remote one."
    )


@pytest.mark.parametrize("where", ["environment", "config file"])
def test_an_empty_host_with_a_host_and_token_set_elsewhere_names_what_to_unset(
    clean_env, monkeypatch, where
):
    """With a host and a token exported (or in a config file), host="" was told to
    "leave out host=''", which then reached the exported host: advice in a circle. The
    message names what to unset, and doing so reaches the embedded service."""
    config = None
    if where == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_HOST", "https://doe.lab.example")
        monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "env-token")
    else:
        config = clean_env / "conf.json"
        config.write_text(json.dumps({"host": "https://doe.lab.example", "token": "t"}))
    with pytest.raises(ConfigError, match=r"'host' is empty") as caught:
        sigopt_like.Connection(host="", config=config, database=str(clean_env / "never.db"))
    message = str(caught.value)
    assert "or leave out host=''" not in message
    if where == "environment":
        assert "unset SIGOPT_LIKE_HOST and SIGOPT_LIKE_TOKEN" in message
        assert "env-token" not in message
    else:
        assert "unset the config file's 'host' and the config file's 'token'" in message
    assert not (clean_env / "never.db").exists()
    if where == "environment":  # the advice followed reaches the embedded service
        monkeypatch.delenv("SIGOPT_LIKE_HOST")
        monkeypatch.delenv("SIGOPT_LIKE_TOKEN")
        with sigopt_like.Connection(database=":memory:") as conn:
            assert conn.embedded and conn.health().status == "ok"
