"""The documentation: built with warnings as errors, every snippet run, no stale file name."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.S | re.M)
#: ``<!-- docs-test: served ... -->`` on a page: its snippets run against a served
#: instance (SIGOPT_API_URL/SIGOPT_API_TOKEN and SIGOPT_LIKE_HOST/TOKEN set), after
#: the comment's own lines (a reader's stand-ins, e.g. ``def train(lr): ...``).
SETUP = re.compile(r"^<!-- docs-test: (served|embedded)\n(.*?)^-->", flags=re.S | re.M)
#: what the test extra installs and the README's ``pip install ".[service]"`` does not: a
#: page's snippets run without them, as on a reader's machine (before, the tutorial's
#: ``history.to_dataframe()`` was an ImportError there)
NOT_IN_THE_README_INSTALL = ("pandas", "tqdm")
WITHOUT_THEM = f"import sys\n\nsys.modules.update(dict.fromkeys({NOT_IN_THE_README_INSTALL!r}))\n"


def blocks(page: Path, language: str) -> list[str]:
    return [code for lang, code in FENCE.findall(page.read_text()) if lang == language]


#: a shell block, then prose saying what it ``prints``, then that output in a ``text`` block
SHOWN_OUTPUT = re.compile(
    r"^```bash\n.*?^```\n(?:(?!^```).)*?\bprints\b(?:(?!^```).)*?^```text\n(.*?)^```",
    flags=re.S | re.M,
)


def shown_outputs(page: Path) -> list[str]:
    """What a page shows its shell blocks printing (``…`` for what varies)."""
    return SHOWN_OUTPUT.findall(page.read_text())


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHONPATH=str(ROOT),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        DISABLE_MKDOCS_2_WARNING="true",
        MPLBACKEND="Agg",
    )
    return env


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        env=child_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    site = tmp_path / "site"
    rest = (site / "rest" / "index.html").read_text()
    assert "listTasks" in rest or "/v1/sessions/{sid}/tasks" in rest  # from the OpenAPI document
    tree = (site / "reference" / "resources" / "index.html").read_text()
    assert "population_size" in tree and "sessions(id).space.put" in tree
    cli = (site / "cli-reference" / "index.html").read_text()
    assert "experiments put" in cli or "put" in cli
    api = (site / "api" / "index.html").read_text()
    assert "TaskFailedError" in api and "resolve_config" in api


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")], ids=lambda p: p.name)
def test_python_snippets_run(page, tmp_path, request):
    """Each page's Python blocks run in order, as one script, on the embedded service
    (or on a served instance, for a page that says so)."""
    env = child_env(tmp_path / "home")
    setup = SETUP.search(page.read_text())
    if setup and setup.group(1) == "served":
        served = request.getfixturevalue("served")
        env.update(
            SIGOPT_API_URL=served.url,
            SIGOPT_API_TOKEN=served.token,
            SIGOPT_LIKE_HOST=served.url,
            SIGOPT_LIKE_TOKEN=served.token,
        )
    script = "\n\n".join([WITHOUT_THEM, setup.group(2) if setup else "", *blocks(page, "python")])
    (tmp_path / "snippets.py").write_text(script)
    done = subprocess.run(
        [sys.executable, "snippets.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    # what a reader sees printed must be data: before, the tutorial printed
    # "<bound method Space.size of Space(...)>" (size is a method)
    assert not re.search(r"<(bound method|function) ", done.stdout), done.stdout[-2000:]


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "bash")], ids=lambda p: p.name)
def test_shell_snippets_run(page, tmp_path, request):
    """Each page's shell blocks run in order with `set -e`: the command line as documented
    (against a served instance, SIGOPT_LIKE_HOST/TOKEN set, for a page that says so)."""
    script = "set -euo pipefail\n" + "\n".join(blocks(page, "bash"))
    assert "curl " not in script or shutil.which("curl"), "curl is needed (.ci/run installs it)"
    env = child_env(tmp_path / "home")
    setup = SETUP.search(page.read_text())
    if setup and setup.group(1) == "served":
        served = request.getfixturevalue("served")
        env.update(SIGOPT_LIKE_HOST=served.url, SIGOPT_LIKE_TOKEN=served.token)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # what the page shows them printing is what they print: before, docs/rest.md's
    # "prints" block was never compared with its curl session's output
    for shown in shown_outputs(page):
        assert_shown(shown, done.stdout)
    if page.name == "cli.md":
        assert "created session 1 (catalyst-screen)" in done.stdout
        assert "exit status 1" in done.stdout and "Traceback" not in done.stderr
    if page.name == "rest.md":
        (shown,) = blocks(page, "text")
        assert_shown(shown, done.stdout)


def test_the_rest_reference_has_an_example_to_run():
    """Before: docs/rest.md was the OpenAPI document alone, with no call a reader could run
    by hand; its curl example runs in test_shell_snippets_run, against a served instance."""
    page = (DOCS / "rest.md").read_text()
    assert "curl" in "".join(blocks(DOCS / "rest.md", "bash"))
    assert shown_outputs(DOCS / "rest.md"), "its printed output is no longer shown to compare"
    assert SETUP.search(page) and SETUP.search(page).group(1) == "served"


def test_the_error_message_quoted_is_the_one_raised(tmp_path):
    """Before: docs/client.md quoted a 409 without the id and the advice its message gives."""
    import sigopt_like

    text = (DOCS / "client.md").read_text()
    quoted = re.search(r"Messages read\s+`([^`]+)`", text)
    assert quoted, "docs/client.md's Errors section quotes no message"
    with sigopt_like.Connection(database=str(tmp_path / "e.db"), task_processes=0) as conn:
        conn.sessions.create(name="alloy")
        with pytest.raises(sigopt_like.ConflictError) as raised:
            conn.sessions.create(name="alloy")
    assert_shown(quoted.group(1), str(raised.value))


def assert_shown(shown: str, printed: str) -> None:
    """What a page shows a command printing is what it prints: each line shown is a line
    printed, in order, where ``…`` stands for any text (a line of ``…`` alone, any lines).

    Before: docs/rest.md had no example a reader could run."""
    lines = printed.splitlines()
    at = 0
    for want in shown.strip("\n").splitlines():
        if want == "…":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in want.split("…")) + r"\Z")
        while at < len(lines) and not pattern.match(lines[at]):
            at += 1
        assert at < len(lines), f"shown and not printed: {want!r}\nprinted:\n{printed[-3000:]}"
        at += 1


PIP_EXTRAS = re.compile(r"""pip install ['"]?[^\s'"]*\[([\w,-]+)\]""")
DRIVERS = {"postgresql+psycopg://": "psycopg"}


def extra_requirements(extras: list[str]) -> str:
    """The requirements these extras of the installed distribution add, as one text."""
    from importlib.metadata import requires

    wanted = {f"extra == '{extra}'" for extra in extras} | {f'extra == "{e}"' for e in extras}
    return " ".join(r for r in requires("sigopt_like") or [] if any(w in r for w in wanted))


def test_install_lines_bring_the_drivers_their_urls_need():
    """Before: the production steps installed `[service,gunicorn]`, then gave the worker a
    `postgresql+psycopg://` URL, whose driver only the `postgres` extra installs."""
    lacking = []
    for page in [*PAGES, ROOT / "README.md"]:
        for _, code in FENCE.findall(page.read_text()):
            extras = [e for found in PIP_EXTRAS.findall(code) for e in found.split(",")]
            if not extras:
                continue
            installed = extra_requirements(extras)
            for scheme, driver in DRIVERS.items():
                if scheme in code and driver not in installed:
                    lacking.append(f"{page.name}: [{','.join(extras)}] lacks {driver}")
    assert not lacking, lacking


REPO_PATH = re.compile(r"`((?:sigopt_like|tests|docs|examples|benchmarks|\.ci)/[\w./-]*)`")


def test_no_stale_file_names():
    """Before: docs/reliability.md named `seed.py`, docs/contract.md `cli.py` and
    `sigopt_experiments.py`, none of which exist."""
    missing = []
    for page in [*PAGES, ROOT / "README.md"]:
        text = page.read_text()
        for path in REPO_PATH.findall(text):
            if not (ROOT / path.rstrip("/")).exists():
                missing.append(f"{page.name}: {path}")
        table = re.findall(r"^\| [^|]+ \| (`[^|]+) \|", text, flags=re.M)  # "file" columns
        for cell in table:
            names = re.findall(r"`([\w./-]+\.py)`", cell)
            # a bare name is beside the cell's first path, else in the package
            bases = [Path(n).parent for n in names if "/" in n] or [Path("sigopt_like")]
            for name in names:
                where = ROOT / name if "/" in name else ROOT / bases[0] / name
                if not where.exists():
                    missing.append(f"{page.name}: {name}")
    tree = FENCE.findall((DOCS / "contract.md").read_text())[0][1]
    missing += [f"contract.md: {p}" for p in tree_paths(tree) if not (ROOT / p).exists()]
    assert not missing, missing


def tree_paths(tree: str) -> list[str]:
    """The files and folders of the package layout block in contract.md."""
    paths: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in tree.splitlines():
        match = re.match(r"^( *)([\w.-]+/?)\s", line + " ")
        if not match or not re.search(r"\.py$|/$", match.group(2)):
            continue
        indent, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = "".join(part for _, part in stack) + name
        paths.append(path.rstrip("/"))
        if name.endswith("/"):
            stack.append((indent, name))
    return paths


def test_the_python_api_reference_has_every_public_error():
    """Before: docs/api.md listed 12 of the package's 27 errors (not `SpaceError`,
    `TableError`, `PayloadTooLargeError` or `ServerError`, which the tutorial and the
    integrators' guide tell readers to catch) and not `RetryPolicy`, which the guide builds."""
    import sigopt_like

    text = (DOCS / "api.md").read_text()
    public = [
        name
        for name in dir(sigopt_like)
        if isinstance(getattr(sigopt_like, name), type)
        and (issubclass(getattr(sigopt_like, name), Exception) or name == "RetryPolicy")
    ]
    lacking = [name for name in public if not re.search(rf"\b{name}\b", text)]
    assert public and not lacking, lacking


def test_command_blocks_hold_commands_not_synopses():
    """Before: docs/service.md's serving commands ended with `sigopt-like tokens revoke
    TOKEN | --token-stdin | --id N | --user EMAIL`, a synopsis that, pasted with the lines
    above it, piped into a command named `--token-stdin`."""
    synopses = []
    for page in [*PAGES, ROOT / "README.md"]:
        for lang, code in FENCE.findall(page.read_text()):
            if lang in ("", "bash", "sh"):
                synopses += [
                    f"{page.name}: {line}"
                    for line in code.splitlines()
                    if re.search(r"\s\|\s+--", line)
                ]
    assert not synopses, synopses


#: a ``<placeholder>`` typed in a shell: ``<`` and ``>`` are redirections there
ANGLE_PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]*>")


def test_shell_blocks_parse_as_typed():
    """Every shell block (``sh`` as well as ``bash``: only ``bash`` blocks run) parses with
    ``bash -n`` and holds no ``<placeholder>``. Before: docs/sigopt.md's ``sh`` block said
    ``export SIGOPT_API_TOKEN=<a token of this service>``, which a shell reads as a
    redirection from a file named ``a`` (a syntax error, as typed)."""
    wrong = []
    for page in [*PAGES, ROOT / "README.md"]:
        for lang, code in FENCE.findall(page.read_text()):
            if lang not in ("bash", "sh", "shell"):
                continue
            parsed = subprocess.run(["bash", "-n", "-c", code], capture_output=True, text=True)
            if parsed.returncode:
                wrong.append(f"{page.name}: {parsed.stderr.strip()}")
            wrong += [f"{page.name}: {found}" for found in ANGLE_PLACEHOLDER.findall(code)]
    assert not wrong, wrong


def test_the_health_answer_shown_is_what_curl_prints(served):
    """docs/service.md shows ``/health``'s answer as curl prints it. Before, it showed it
    without the spaces the service writes (``{"object":"health",...}``), so a reader's
    probe matching the text shown never matched."""
    import requests

    text = (DOCS / "service.md").read_text()
    (shown,) = re.findall(r"- `GET /health`: `([^`]+)`", text)
    assert requests.get(f"{served.url}/health", timeout=10).text.strip() == shown


def test_the_task_example_has_the_fields_a_task_has(tmp_path):
    """Before: docs/campaign.md's task JSON lacked ``attempts``, which every task has, and
    so did docs/contract.md's Task; its Session and /ready are checked the same way."""
    import json

    import sigopt_like

    (example,) = blocks(DOCS / "campaign.md", "json")
    documented = json.loads(example)
    contract = (DOCS / "contract.md").read_text()
    space = sigopt_like.Space.from_csv("x,numerical,1,2,3\ny,categorical,a,b\n", type="factorial")
    with sigopt_like.Connection(database=str(tmp_path / "t.db"), task_processes=0) as conn:
        session = conn.sessions.create(name="fields")
        task = conn.sessions(session.id).space.put(space=space, population_size=2, replicates=0)
        path = f"/v1/sessions/{session.id}/tasks/{task.id}"
        served = conn.transport.request_json("GET", path)
        served_session = conn.transport.request_json("GET", f"/v1/sessions/{session.id}")
        ready = conn.transport.request_json("GET", "/ready")
    assert set(documented) == set(served), set(documented) ^ set(served)
    for name, answer in (("Task", served), ("Session", served_session)):
        shape = re.search(rf"^{name}: `(\{{.*?\}})`", contract, flags=re.S | re.M)
        assert shape, f"docs/contract.md has no {name}: `{{...}}`"
        keys = top_level_keys(shape.group(1))
        assert keys == set(answer), (name, keys ^ set(answer))
    row = re.search(r"^\| /ready \| [^|]+ \| [^`]*`(\{[^`]*\})`", contract, flags=re.M)
    assert row, "docs/contract.md's routes table has no /ready row"
    assert top_level_keys(row.group(1)) == set(ready), set(ready)


def test_the_contract_lists_every_error_code_of_a_status():
    """Before: docs/contract.md's "Codes used" left out 411, 415, 503 and 507's codes, which
    the service answers (a 415 for a body sent as text/plain)."""
    from sigopt_like.error_codes import SERVICE_CODES
    from sigopt_like.service.store import errors as store_errors

    contract = (DOCS / "contract.md").read_text()
    listed = contract[contract.index("Codes used:") :].split("\n- ")[0]
    codes = {*SERVICE_CODES.values()}
    codes |= {kind.code for kind in (store_errors.StorageFull, store_errors.Unwritable)}
    codes |= {store_errors.DatabaseGone.code}
    lacking = sorted(code for code in codes if f"`{code}`" not in listed)
    assert not lacking, lacking


def test_the_routes_open_without_a_token_are_the_ones_named(tmp_path):
    """Before: the README and docs/contract.md named six routes open without a token, and
    the dashboard's five and a run image's upload were open too (docs/service.md left out
    the upload)."""
    from sigopt_like.service import create_app

    with create_app(database=str(tmp_path / "o.db"), auth_required=True) as svc:
        open_routes: list[str] = []

        def walk(nodes) -> None:
            for node in nodes:
                if node.resource is not None and getattr(node.resource, "auth_exempt", False):
                    open_routes.append(node.uri_template)
                walk(node.children)

        walk(svc.app._router._roots)
    readme = (ROOT / "README.md").read_text()
    places = {
        "README.md": readme[readme.index("Served, every route but") :].split("\n\n")[0],
        "contract.md": (DOCS / "contract.md").read_text().split("Open without a token:")[1],
        "service.md": (DOCS / "service.md").read_text().split("- Open routes")[1],
    }
    lacking = []
    for page, text in places.items():
        named = set(re.findall(r"(/[\w{}./-]*)", text.split("\n- ")[0].split(". ")[0]))
        lacking += [f"{page}: {route}" for route in open_routes if route not in named]
    assert open_routes and not lacking, lacking


def top_level_keys(shape: str) -> set[str]:
    """The keys of a JSON object written in the docs' shorthand, where a key may stand
    alone (``{"object":"task","id","session":"<sid>"}``): each string at the top level
    that follows ``{`` or ``,``."""
    keys: set[str] = set()
    depth, previous = 0, ""
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]', shape):
        text = token.group(0)
        if text in "{[":
            depth += 1
        elif text in "}]":
            depth -= 1
        elif text.startswith('"') and depth == 1 and previous in "{,":
            keys.add(text[1:-1])
        previous = text
    return keys


def test_the_configuration_tables_name_every_setting():
    """Before: the README's and docs/client.md's configuration tables left out
    `SIGOPT_LIKE_AUTO_GENERATE_NEXT_DESIGN` and `SIGOPT_LIKE_RUN_TASKS_ASYNC` (and their
    config keys), which the tutorial and the integrators' guide tell readers to set."""
    from sigopt_like import _constants, config

    readme = (ROOT / "README.md").read_text()
    client = (DOCS / "client.md").read_text()
    tables = {
        "README.md": readme[readme.index("\n## Configuration\n") :].split("\n## ")[1],
        "client.md": client[client.index("\n### Configuration\n") :].split("\n## ")[0],
    }
    names = [*config.ENV_KEYS, _constants.ENV_CONFIG]
    keys = set(config.FILE_KEYS) - {"user", "verify"}  # Daptics' "user"; "verify" an alias
    lacking = [
        f"{page}: {name}"
        for page, table in tables.items()
        for name in [*names, *keys]
        if f"`{name}`" not in table
    ]
    assert not lacking, lacking


def test_the_retry_policy_defaults_are_the_real_ones():
    """Before: docs/client.md gave `RetryPolicy(max_tries=5, max_time=60, ...)` as the
    policy, while a call is retried with no count of tries until 120 s have passed."""
    import ast

    import attrs

    from sigopt_like.transport import RetryPolicy

    text = (DOCS / "client.md").read_text()
    section = text[text.index("\n## Retries\n") :]
    call = re.search(r"`(RetryPolicy\([^`]*\))`", section)
    assert call, "docs/client.md's Retries section names no RetryPolicy(...)"
    documented = {
        k.arg: ast.literal_eval(k.value)
        for k in ast.parse(call.group(1), mode="eval").body.keywords
    }
    defaults = {f.name: f.default for f in attrs.fields(RetryPolicy) if f.name in documented}
    assert documented == defaults


def test_a_progress_bar_promised_names_what_draws_it():
    """Before: the README, docs/cli.md and the tutorial promised a progress bar, and the
    README's ``pip install ".[service]"`` does not install tqdm, which draws it: a stranger
    following them saw one line per step. Each paragraph that promises one names tqdm."""
    lacking = []
    for page in (ROOT / "README.md", DOCS / "cli.md", DOCS / "tutorial.md"):
        for paragraph in re.split(r"\n\s*\n", page.read_text()):
            if "progress bar" in paragraph and "tqdm" not in paragraph:
                lacking.append(f"{page.name}: {paragraph[:80]!r}")
    assert not lacking, lacking


@pytest.mark.parametrize("name", ["daptics.md", "tutorial.md", "index.md", "integrators.md"])
def test_a_pages_script_run_again_says_what_the_page_says(tmp_path, name):
    """A page's Python, run twice where it was run (as a reader does), stops the second
    time at its session's name: the page says so, in the words the error uses. Before,
    docs/daptics.md was silent, and the reader met a 409 it had not told of; so were the
    tutorial, the index and the integrators' guide, whose scripts stop there too."""
    page = DOCS / name
    quoted = re.search(r"`(ConflictError: 409\s+duplicate_name: [^`]*)`", page.read_text())
    assert quoted is not None, f"docs/{name} does not say what a second run meets"
    words = " ".join(quoted.group(1).split())
    script = "\n\n".join([WITHOUT_THEM, *blocks(page, "python")])
    (tmp_path / "snippets.py").write_text(script)
    runs = [
        subprocess.run(
            [sys.executable, "snippets.py"],
            cwd=tmp_path,
            env=child_env(tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=600,
        )
        for _ in range(2)
    ]
    assert runs[0].returncode == 0, runs[0].stderr[-3000:]
    assert runs[1].returncode == 1
    assert words in runs[1].stderr, runs[1].stderr[-2000:]


def test_the_event_stream_is_framed_as_the_page_says(served):
    """Before: docs/campaign.md described a task's event stream as its `event: task`
    frames alone; it opens with a `retry: 1000` frame, which a client parsing the stream
    as described met first."""
    import requests

    auth = {"Authorization": f"Bearer {served.token}"}
    space = {
        "population_size": 3,
        "replicates": 0,
        "space": {
            "type": "factorial",
            "parameters": [{"name": "t", "type": "numerical", "values": [1, 2, 3]}],
        },
    }
    sid = requests.post(f"{served.url}/v1/sessions", json={"name": "s"}, headers=auth).json()
    put = requests.put(f"{served.url}/v1/sessions/{sid['id']}/space", json=space, headers=auth)
    events = f"{served.url}/v1/sessions/{sid['id']}/tasks/{put.json()['id']}/events"
    body = requests.get(events, headers=auth, timeout=60).text
    frames = [frame for frame in body.split("\n\n") if frame and not frame.startswith(":")]
    stand_ins = {"id": "<version>", "data": "<task json>"}
    shapes = [
        "\\n".join(
            f"{field}: {stand_ins.get(field, value)}"
            for field, _, value in (line.partition(": ") for line in frame.splitlines())
        )
        + "\\n\\n"
        for frame in frames
    ]
    text = (DOCS / "campaign.md").read_text()
    route = text[text.index("`GET …/tasks/{tid}/events`") :].split("`: keep-alive`")[0]
    said = " ".join(route.split())
    described = [part for part in said.split("`")[1::2] if part.endswith("\\n\\n")]
    assert described == list(dict.fromkeys(shapes)), (described, shapes)


def test_serving_as_the_service_page_writes_it(tmp_path):
    """docs/service.md's "Served (exists)" commands, typed in a fresh shell, its folder
    and port in the test's place. Before: they began with the database in a folder no
    step made (`users create` stopped there, "the database's folder ... does not
    exist"), and did not say what password.txt holds."""
    import getpass

    import requests

    from tests.fixtures.servers import free_port

    text = (DOCS / "service.md").read_text()
    start = text.index("### Served (exists)")
    (block,) = [code for lang, code in FENCE.findall(text[start:])[:1] if lang == ""]
    *setup, serve = block.strip().splitlines()
    port = free_port()
    folder = tmp_path / "var" / "lib" / "sigopt-like"  # not there, as on a fresh machine

    def as_here(line: str) -> str:
        return (
            line.replace("/var/lib/sigopt-like", str(folder))
            .replace("sudo ", "")
            .replace("--host 0.0.0.0", "--host 127.0.0.1")
            .replace("--port 8080", f"--port {port}")
        )

    (tmp_path / "password.txt").write_text("correct horse battery staple\n")
    env = {**child_env(tmp_path / "home"), "USER": getpass.getuser()}
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + "\n".join(map(as_here, setup))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (token,) = [line for line in done.stdout.split() if line.startswith("slk_")]
    export = next(line for line in setup if line.startswith("export "))
    server = subprocess.Popen(
        ["bash", "-c", f"{as_here(export)}\nexec {as_here(serve)}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            server.poll()
            assert server.returncode is None, "serve stopped"
            time.sleep(0.1)
        answer = requests.get(f"{url}/v1/sessions", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_no_page_puts_a_database_url_on_a_command_line():
    """A command line shows in ``ps`` to every user of the machine, and a PostgreSQL URL
    can hold its role's password. Before: docs/service.md suggested ``serve``, ``worker``,
    ``users`` and ``tokens`` with ``--db postgresql+psycopg://...``, after saying to set
    ``SIGOPT_LIKE_DATABASE`` instead."""
    shown = [
        f"{page.name}: {found}"
        for page in [*PAGES, ROOT / "README.md"]
        for found in re.findall(r"--db[ =]+['\"]?postgres\S*", page.read_text())
    ]
    assert not shown, shown


@pytest.mark.parametrize("page", [DOCS / "service.md", ROOT / "README.md"], ids=lambda p: p.name)
def test_scaling_out_as_the_pages_write_it(page, tmp_path, pg_url):
    """docs/service.md's (and the README's) PostgreSQL commands, typed in one shell (its
    database and port in the test's place): the app and a worker both run. Before,
    gunicorn ran in the foreground and the `sigopt-like worker` line after it never
    started: `/ready` said no task worker had run, and every task queued waited."""
    import signal

    import requests

    from tests.fixtures.servers import free_port

    (block,) = [code for lang, code in FENCE.findall(page.read_text()) if "gunicorn -c" in code]
    install, export, *commands = block.strip().splitlines()
    assert install.startswith("pip install "), install  # the extras: test_install_lines_...
    port = free_port()
    script = "\n".join(
        [
            "set -euo pipefail",
            re.sub(r"'postgresql\+psycopg://[^']*'", f"'{pg_url}'", export),
            *(line.replace("0.0.0.0:8080", f"127.0.0.1:{port}") for line in commands),
        ]
    )
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=child_env(tmp_path / "home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        ready: dict = {}
        for _ in range(600):
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/ready", timeout=1).json()
                if ready.get("task_workers") == "seen":
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        assert ready.get("task_workers") == "seen", ready
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(timeout=60)
