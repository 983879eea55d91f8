"""The README's quick start and its "Serving it for a team" steps, run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

import requests

from tests.fixtures.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_PORT = "8080"  # the README's; the tests serve on a free port in its place


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHONPATH=str(ROOT),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


def bash(script: str, cwd: Path, home: Path, timeout: float) -> subprocess.CompletedProcess:
    """Run ``script`` with bash in ``cwd``, as a reader whose home is ``home`` would."""
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=child_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def on_port(text: str, port: int) -> str:
    """``text`` (the README's commands) with its port 8080 replaced by ``port``, a free
    one: a test never takes a port that a reader's own server (or another run) may hold."""
    assert README_PORT in text, "the README's serving steps no longer name its port"
    return text.replace(f":{README_PORT}", f":{port}").replace(
        f"--port {README_PORT}", f"--port {port}"
    )


WAIT_FOR_SERVER = """
python - <<'PY'
import time, requests
for _ in range(600):
    try:
        if requests.get("http://127.0.0.1:8080/health", timeout=1).ok:
            break
    except requests.RequestException:
        time.sleep(0.1)
PY
"""


SIGN_IN = """
import sys, requests
page = requests.get(sys.argv[1], timeout=10)
assert page.ok and "<html" in page.text.lower(), page.status_code
form = {"email": "alice@lab.example", "password": "correct horse battery staple"}
signed = requests.post(sys.argv[1].rstrip("/") + "/auth/sign-in", json=form, timeout=10)
print("dashboard", signed.status_code, signed.json()["signed_in"])
"""


def test_serving_it_for_a_team_as_written(tmp_path):
    """Before: these steps gave a 401 (users/tokens and serve used two databases); and the
    Dashboard section's URL after them, http://doe.lab.example:8080/, was not where the
    service they start (on 127.0.0.1) answers."""
    text = section("Serving it for a team")
    setup, client = blocks(text, "bash")
    (script,) = blocks(text, "python")
    work = tmp_path / "team"
    work.mkdir()
    (work / "password.txt").write_text("correct horse battery staple\n")
    port = free_port()
    (work / "snippet.py").write_text(on_port(script, port))
    # the Dashboard section's first URL, which a reader of this section opens next
    dashboard = on_port(re.search(r"`(http://[^`]+)`", section("Dashboard")).group(1), port)
    run = "\n".join(
        [
            "set -euo pipefail",
            on_port(setup, port),
            "SERVER=$!",
            "trap 'kill $SERVER; wait $SERVER' EXIT",
            on_port(WAIT_FOR_SERVER, port),
            "python snippet.py",
            on_port(client, port),
            f"python - {dashboard} <<'PY'\n{SIGN_IN}PY",
        ]
    )
    done = bash(run, work, tmp_path / "home", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"database {work / 'doe.sqlite3'}" in done.stdout
    lines = done.stdout.splitlines()
    assert "team-screen" in lines
    assert any(line.split()[:2] == ["1", "team-screen"] for line in lines)
    assert "dashboard 201 True" in lines
    assert (work / "doe.sqlite3").is_file()


def test_the_test_command_is_what_ci_runs():
    quick = blocks(section("Quick start"), "bash")[0].splitlines()
    test_line = quick[1].split("#")[0].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_line in ci.splitlines()


def test_quick_start_demo_as_written(tmp_path):
    """`pip install ".[service]" && python -m sigopt_like demo` in a copy of this folder.

    The new environment sees this one's packages (a .pth file), so pip installs
    only sigopt_like itself, from the copy, as a user's would.
    """
    line = blocks(section("Quick start"), "bash")[0].splitlines()[0].split("#")[0].strip()
    assert line == 'pip install ".[service]" && python -m sigopt_like demo'
    copy = tmp_path / "sigopt_like-src"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file() and not name.startswith(("docs/", "benchmarks/")):
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    purelib = subprocess.run(
        [bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "_parent_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = child_env(tmp_path / "home")
    env.pop("PYTHONPATH")
    env["PATH"] = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        ["bash", "-c", line],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "sigopt-like demo: 'formulation-screen' space" in out
    assert re.search(r"^gen 6: 40 experiments, best so far", out, flags=re.M)
    assert re.search(r"^recommended: ", out, flags=re.M)
    written = [p for p in (copy / "sigopt-like-demo").iterdir() if not p.name.startswith("demo.")]
    assert re.search(r"^wrote 20 files ", out, flags=re.M)
    database = (copy / "sigopt-like-demo" / "demo.sqlite3").resolve()
    assert f"; the campaign is in {database} (see it: sigopt-like dashboard --db " in out
    assert len(written) == 20 and any(p.suffix == ".png" for p in written)


LAB = """
import csv
with open("gen1_design.csv", newline="") as handle:
    rows = list(csv.reader(handle))
for row in rows[1:]:
    row[-1] = str(float(row[0]) / 100 + float(row[1]) / 10)
with open("gen1_measured.csv", "w", newline="") as handle:
    csv.writer(handle).writerows(rows)
"""


def test_a_campaign_in_a_short_script_as_written(tmp_path):
    """The README's two scripts with the files they name: the demo's space as space.csv, an
    initial.csv, and the lab filling in gen1_design.csv as gen1_measured.csv between them.

    Before: it created its session before reading space.csv, so a first run without
    the file failed after the session existed, and every run after it was a 409. Then the
    same with initial.csv ("optional", read after the session was made), and one script
    read gen1_measured.csv right after writing gen1_design.csv: run as written, it failed
    there, and run again with the lab's file it was a 409 (or, on a fresh database, a
    design the file did not match).
    """
    design_script, measured_script = blocks(section("A campaign in a short script"), "python")
    work = tmp_path / "lab"
    work.mkdir()
    (work / "design.py").write_text(design_script)
    (work / "measured.py").write_text(measured_script)
    env = child_env(tmp_path / "home")
    env["MPLBACKEND"] = "Agg"

    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, name], cwd=work, env=env, capture_output=True, text=True, timeout=600
        )

    first = run("design.py")
    assert first.returncode != 0 and "space.csv" in first.stderr
    shutil.copy(ROOT / "sigopt_like" / "data" / "formulation-screen.csv", work / "space.csv")
    second = run("design.py")
    assert second.returncode != 0 and "initial.csv" in second.stderr
    (work / "initial.csv").write_text(
        "temperature,pH,time,catalyst,solvent,Response\n60,7,90,Pd,water,0.8\n"
    )
    done = run("design.py")  # no session was left behind by the failed runs: no 409
    assert done.returncode == 0, done.stderr[-3000:]
    assert (work / "gen1_design.csv").is_file()
    (work / "lab.py").write_text(LAB)
    subprocess.run([sys.executable, "lab.py"], cwd=work, check=True)
    done = run("measured.py")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (work / "plots" / "summary.csv").is_file()


def test_sigopt_style_as_written(tmp_path):
    """The SigOpt section's two snippets: ours embedded (``conn`` and ``run_lab`` are the
    reader's), and sigopt-python against a served instance on the README's port."""
    ours, official = blocks(section("SigOpt style"), "python")
    work = tmp_path / "sigopt"
    work.mkdir()
    prelude = (
        "import sigopt_like\n"
        'conn = sigopt_like.Connection(database="lab.sqlite3")\n'
        "def run_lab(a):  # the reader's experiment, here a stand-in\n"
        '    return -((a["temperature"] - 70) ** 2) / 100 + a["stirring"] / 10\n'
    )
    (work / "ours.py").write_text(prelude + ours)
    port = free_port()
    (work / "official.py").write_text(
        'TOKEN = open("token.txt").read().strip()\n'
        + on_port(official, port)
        + 'print(conn.experiments().create(name="from-readme", parameters=['
        + '{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]).name)\n'
    )
    run = "\n".join(
        [
            "set -euo pipefail",
            "python ours.py",
            'export SIGOPT_LIKE_DATABASE="$PWD/team.sqlite3"',
            "echo 'correct horse battery staple' | sigopt-like users create a@lab.example "
            "--password-stdin",
            "sigopt-like tokens create --user a@lab.example > token.txt",
            f"sigopt-like serve --host 127.0.0.1 --port {port} &",
            "SERVER=$!",
            "trap 'kill $SERVER; wait $SERVER' EXIT",
            on_port(WAIT_FOR_SERVER, port),
            "python official.py",
        ]
    )
    done = bash(run, work, tmp_path / "home", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    shares = next(line for line in done.stdout.splitlines() if line.startswith("{"))
    assert all(name in shares for name in ("temperature", "stirring", "solvent"))
    assert done.stdout.splitlines()[-1] == "from-readme"


def test_each_package_a_snippet_imports_is_installed_or_named():
    """Before: the SigOpt section's second snippet began `import sigopt`, which the
    README's `pip install ".[service]"` does not install and the README did not name: a
    stranger's run of it was a ModuleNotFoundError. A snippet that imports a package
    the install line leaves out has ``pip install <it>`` in the text before it."""
    from importlib.metadata import requires

    extra = re.compile(r"extra == ['\"](\w+)['\"]")
    installed = " ".join(
        r
        for r in requires("sigopt_like") or []
        if (found := extra.search(r)) is None or found.group(1) == "service"
    )
    lacking = []
    for found in re.finditer(r"```python\n(.*?)```", README, flags=re.S):
        before = README[max(0, found.start() - 600) : found.start()]
        for name in re.findall(r"^(?:import|from) (\w+)", found.group(1), flags=re.M):
            if name in ("sigopt_like", *sys.stdlib_module_names):
                continue
            if re.search(rf"\b{name}\b", installed) or f"pip install {name}" in before:
                continue
            lacking.append(name)
    assert not lacking, lacking


FILL_IN_THE_LAB = """
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
for i, row in enumerate(rows):
    row["Response"] = str(0.5 + (i % 7) / 10)  # the lab's readings, here stand-ins
with open(sys.argv[1], "w", newline="") as sink:
    out = csv.DictWriter(sink, fieldnames=list(rows[0]))
    out.writeheader()
    out.writerows(rows)
"""


def test_a_campaign_from_the_command_line_as_written(tmp_path):
    """The CLI section's commands in order, on a fresh embedded database; between
    ``generate`` and ``experiments put`` the lab (a stand-in) fills in Response."""
    (commands,) = blocks(section("A campaign from the command line"), "bash")
    lines = commands.strip().splitlines()
    lab = next(i for i, line in enumerate(lines) if "fill in Response" in line) + 1
    work = tmp_path / "cli"
    work.mkdir()
    shutil.copy(ROOT / "sigopt_like" / "data" / "formulation-screen.csv", work / "space.csv")
    (work / "fill.py").write_text(FILL_IN_THE_LAB)
    run = "\n".join(["set -euo pipefail", *lines[:lab], "python fill.py gen1.csv", *lines[lab:]])
    done = bash(run, work, tmp_path / "home", timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "created session 1" in done.stdout
    for made in ("gen1.csv", "gen2.csv", "history.csv", "plots"):
        assert (work / made).exists(), made
    assert "Response" in (work / "gen2.csv").read_text().splitlines()[0]


def test_the_laptop_dashboard_shows_what_the_embedded_steps_made(tmp_path):
    """The Dashboard section's command, run where the quick start's embedded commands ran
    (no host, no --db), lists their session. Before: it opened the team's database with no
    sign-in, where the local user owns nothing: Alice's sessions were there, it listed none."""
    (dashboard,) = blocks(section("Dashboard"), "bash")
    command = dashboard.split("#")[0].split()
    assert command[0] == "sigopt-like" and "doe.sqlite3" not in dashboard
    home = tmp_path / "home"
    made = bash("sigopt-like sessions create alloy-screen", tmp_path, home, timeout=120)
    assert made.returncode == 0, made.stderr
    port = free_port()
    args = [sys.executable, "-m", "sigopt_like", *command[1:], "--port", str(port)]
    server = subprocess.Popen(args, cwd=tmp_path, env=child_env(home), text=True)
    try:
        names = None
        for _ in range(300):
            try:
                page = requests.get(f"http://127.0.0.1:{port}/v1/sessions", timeout=2)
            except requests.ConnectionError:
                time.sleep(0.1)
                continue
            names = [s["name"] for s in page.json()["data"]]
            break
        assert names == ["alloy-screen"], names
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_scaling_out_keeps_the_database_password_off_the_command_line():
    """A PostgreSQL URL holds the role's password, and a command line shows in ``ps`` to
    every user of the machine: the README names it in ``SIGOPT_LIKE_DATABASE``, as
    docs/service.md advises. Before: "To scale out" passed it as ``--db postgresql+...``."""
    assert not re.search(r"--db\s+['\"]?postgres", README)
    assert "SIGOPT_LIKE_DATABASE='postgresql+psycopg://" in section("Serving it for a team")
