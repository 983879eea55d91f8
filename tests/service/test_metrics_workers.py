"""``/metrics`` under gunicorn with several workers answers the whole server's counts:
a real gunicorn (``-c python:sigopt_like.service.gunicorn_conf``) on 127.0.0.1, requests
over fresh connections (each may reach any worker), scraped several times."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from sigopt_like.service.gunicorn_metrics import (
    LOCK_FILE,
    MAKING_ABANDONED_SECONDS,
    prepare_shared_metrics,
    remove_abandoned,
)
from sigopt_like.service.middleware.shared_metrics import (
    METRICS_DIR_ENV,
    PROMETHEUS_DIR_ENV,
    UNSHARED_WARNING,
)
from tests.fixtures.servers import (
    REPO_ROOT,
    gunicorn_answering,
    start_gunicorn,
    stop_gunicorn,
    wsgi_factory,
)

WORKERS = 3


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[float]]:
    """Every sample of one scrape (over a connection of its own), by name and labels: a
    list, so that a sample written twice (per worker, not summed) shows."""
    text = requests.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10).text
    found: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            found.setdefault(key, []).append(sample.value)
    return found


def _requests(samples: dict, route: str) -> list[float]:
    key = (
        "sigopt_like_http_requests_total",
        (("method", "GET"), ("route", route), ("status", "200")),
    )
    return samples.get(key, [0.0])


def _answered(access_log: Path) -> list[tuple[str, str]]:
    """(worker pid, path) of every request the access log says was answered."""
    lines = access_log.read_text().splitlines()
    return [
        (pid.strip("<>"), path) for pid, path in (line.split() for line in lines if line.strip())
    ]


def _replacement(log: str, killed: str) -> str | None:
    """The pid of the worker gunicorn booted after ``killed`` was killed, once it did."""
    after = log.partition(f"(pid:{killed}) was sent SIGKILL")[2]
    found = re.search(r"Booting worker with pid: (\d+)", after)
    return found.group(1) if found else None


def _gunicorn_logging_workers(
    tmp_path: Path, database: str, args: tuple[str, ...], env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Path, Path, str]:
    """gunicorn (2 threads a worker, with ``args``) serving a new SQLite ``database`` in
    ``tmp_path``, its access log naming the worker's pid and the path of each request:
    the process, its log, its access log and the glob of its metrics folder."""
    path = str(tmp_path / database)
    factory = wsgi_factory(path, auth_required=False)
    access_log = tmp_path / "access.log"
    proc, log = start_gunicorn(
        tmp_path,
        factory,
        threads=2,
        env=env,
        args=(*args, "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(U)s"),
    )
    folder_glob = os.path.join(tempfile.gettempdir(), f"sigopt-like-metrics-{proc.pid}-*")
    return proc, log, access_log, folder_glob


@pytest.mark.parametrize("preload", [(), ("--preload",)], ids=["", "preload"])
def test_metrics_sum_the_requests_every_worker_answered(
    tmp_path: Path, preload: tuple[str, ...]
) -> None:
    """Before: each scrape answered the counts of the worker that took it (one of three:
    a third of the requests, and another third at the next scrape). Now every scrape
    says every request, the gauges summed over the workers alive, and a worker killed
    (gunicorn starts another) leaves what it counted in the sums. With ``--preload`` the
    app is made in gunicorn's master, before the workers: the same."""
    proc, log, access_log, folder_glob = _gunicorn_logging_workers(
        tmp_path, "workers.db", ("--workers", str(WORKERS), *preload)
    )
    try:
        url = gunicorn_answering(proc, log)  # its GET /health probes answered too
        assert len(glob.glob(folder_glob)) == 1, "no folder of this server's own"
        sent = 0
        while sent < 300 and len({pid for pid, _ in _answered(access_log)}) < 2:
            for _ in range(30):
                answer = requests.get(f"{url}/health", headers={"Connection": "close"}, timeout=10)
                assert answer.status_code == 200
                sent += 1
            time.sleep(0.2)  # the access log written
        answered = _answered(access_log)
        workers = {pid for pid, _ in answered}
        assert len(workers) >= 2, f"every request reached one worker: {workers}"
        probes = sum(path == "/health" for _, path in answered) - sent
        assert probes >= 1
        sent += probes
        for scrape in range(6):
            samples = _samples(url)
            assert _requests(samples, "/health") == [sent], (scrape, sent)
            assert _requests(samples, "/metrics") == [scrape]  # this one is counted after
            # this scrape is the one request in flight, in whichever worker took it
            assert samples[("sigopt_like_http_requests_in_flight", ())] == [1.0]
            assert samples[("sigopt_like_http_streams_open", (("kind", "long_poll"),))] == [0.0]
            # read by the worker scraped, at the scrape: one sample, never a sum
            age = samples[("sigopt_like_task_worker_seen_age_seconds", ())]
            assert age == [float("inf")]

        killed = sorted(workers)[0]
        os.kill(int(killed), signal.SIGKILL)  # gunicorn starts another
        deadline = time.monotonic() + 60
        while (replaced := _replacement(log.read_text(), killed)) is None:
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.1)
        while replaced not in {pid for pid, _ in _answered(access_log)}:  # until it answers
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            answer = requests.get(f"{url}/health", headers={"Connection": "close"}, timeout=10)
            assert answer.status_code == 200
            sent += 1
            time.sleep(0.05)
        for scrape in range(3):
            samples = _samples(url)
            assert _requests(samples, "/health") == [sent]
            assert _requests(samples, "/metrics") == [6 + scrape]
            assert samples[("sigopt_like_http_requests_in_flight", ())] == [1.0]
    finally:
        stop_gunicorn(proc)
    assert glob.glob(folder_glob) == [], log.read_text()  # the folder outlived gunicorn


def test_a_server_never_counts_in_a_folder_it_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder named in the environment by an earlier run (or another server: a fixed
    path) holds files prometheus_client would add to the counts: gunicorn's settings
    make a fresh one instead, and keep it when read again (gunicorn's reload)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"sigopt-like-metrics-{os.getpid() + 1}-old"
    stale.mkdir()
    (stale / "counter_1234.db").write_bytes(b"stale")
    monkeypatch.setenv(METRICS_DIR_ENV, str(stale))
    monkeypatch.setenv(PROMETHEUS_DIR_ENV, str(stale))
    made = prepare_shared_metrics()
    assert made != str(stale) and os.listdir(made) == [LOCK_FILE]
    assert os.environ[METRICS_DIR_ENV] == os.environ[PROMETHEUS_DIR_ENV] == made
    assert os.stat(made).st_mode & 0o077 == 0, "the folder is not private"
    assert prepare_shared_metrics() == made  # read again by the same server


def _ended(pid: int) -> bool:
    """Whether process ``pid`` ended (gone, or a zombie no one reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_start_removes_the_folders_of_gunicorns_killed_and_no_live_ones(tmp_path: Path) -> None:
    """A master killed with SIGKILL (the OOM killer's way) cannot remove its folder. Before,
    it stayed in the temporary folder for good, one more each such death; now the next
    gunicorn to start removes it, and leaves alone the folder of a gunicorn still running
    and the folders with no lock file, as older versions made, whose pid is alive or not
    (an older gunicorn run with --daemon names its folder after a process that exits)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"TMPDIR": str(temporary)}
    dead_unlocked = temporary / "sigopt-like-metrics-999999999-older"
    live_unlocked = temporary / f"sigopt-like-metrics-{os.getpid()}-older"
    for folder in (dead_unlocked, live_unlocked):
        folder.mkdir()
        (folder / "counter_1.db").write_bytes(b"old")
    started = []
    try:
        for name in ("killed", "running", "next"):
            (tmp_path / name).mkdir()
            factory = wsgi_factory(str(tmp_path / name / "m.db"), auth_required=False)
            proc, log = start_gunicorn(tmp_path / name, factory, threads=1, env=env)
            started.append(proc)
            gunicorn_answering(proc, log)
            if name == "killed":
                (killed_folder,) = glob.glob(str(temporary / f"sigopt-like-metrics-{proc.pid}-*"))
                (worker,) = re.findall(r"Booting worker with pid: (\d+)", log.read_text())
                os.kill(proc.pid, signal.SIGKILL)  # the master alone: its worker sees it go
                proc.wait(10)
                deadline = time.monotonic() + 60
                while not _ended(int(worker)):  # a worker still writing keeps the folder
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
                assert os.path.isdir(killed_folder)
            elif name == "running":
                (running_folder,) = glob.glob(str(temporary / f"sigopt-like-metrics-{proc.pid}-*"))
        assert not os.path.exists(killed_folder), os.listdir(temporary)
        assert (dead_unlocked / "counter_1.db").exists()
        assert glob.glob(f"{running_folder}/*.db"), "the running gunicorn's counts were removed"
        assert (live_unlocked / "counter_1.db").exists()
        (next_folder,) = glob.glob(str(temporary / f"sigopt-like-metrics-{started[2].pid}-*"))
    finally:
        for proc in started:
            if proc.poll() is None:
                stop_gunicorn(proc)
    assert not os.path.exists(running_folder) and not os.path.exists(next_folder)


def test_a_folder_whose_master_died_is_kept_while_its_workers_hold_it(tmp_path: Path) -> None:
    """A master killed alone leaves its workers finishing their requests (and counting in
    its folder) for up to the graceful timeout: their lock keeps the folder; it goes at a
    start once they are gone."""
    folder = tmp_path / "sigopt-like-metrics-999999999-abcdefgh"
    folder.mkdir()
    (folder / LOCK_FILE).touch()
    held = os.open(folder / LOCK_FILE, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the dead master's workers hold it
        assert remove_abandoned(str(tmp_path)) == []
        assert folder.is_dir()
    finally:
        os.close(held)
    assert remove_abandoned(str(tmp_path)) == [str(folder)]
    assert not folder.exists()


def test_a_folder_without_the_lock_file_is_never_removed(tmp_path: Path) -> None:
    """An older version's gunicorn took no lock, and run with --daemon it named its folder
    after the process that read the settings, which exits as gunicorn goes on. Before, the
    next start took that live server's folder for a dead one's and removed it; at its next
    reload its new worker failed ("... is not a folder") and the master shut down. Nothing
    proves such a folder abandoned: it is left alone."""
    folder = tmp_path / "sigopt-like-metrics-999999999-daemon"  # that pid is not alive
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"counts")
    assert remove_abandoned(str(tmp_path)) == []
    assert (folder / "counter_1.db").read_bytes() == b"counts"


def test_a_lock_file_that_is_no_regular_file_is_never_taken_for_a_lock(tmp_path: Path) -> None:
    """Before: the lock file was opened with a plain O_RDONLY. A FIFO named folder.lock
    blocked remove_abandoned, so every gunicorn's start, forever; a directory named so was
    opened, locked, and its whole folder removed. Neither is a lock: both folders stay,
    and a start returns at once (run in a child, so a hang fails the test)."""
    fifo = tmp_path / "sigopt-like-metrics-999999991-fifo"
    fifo.mkdir()
    os.mkfifo(fifo / LOCK_FILE)
    directory = tmp_path / "sigopt-like-metrics-999999992-dir"
    directory.mkdir()
    (directory / LOCK_FILE).mkdir()
    (directory / "counter_1.db").write_bytes(b"counts")
    linked = tmp_path / "sigopt-like-metrics-999999993-link"
    linked.mkdir()
    (tmp_path / "elsewhere.lock").write_bytes(b"")
    (linked / LOCK_FILE).symlink_to(tmp_path / "elsewhere.lock")
    code = (
        "from sigopt_like.service.gunicorn_metrics import remove_abandoned; "
        f"print(remove_abandoned({str(tmp_path)!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
    assert (directory / "counter_1.db").read_bytes() == b"counts"
    assert fifo.is_dir() and linked.is_dir()


#: a start (prepare_shared_metrics) that stops for good just before it renames its folder
#: from the name it is made under: killed there, it leaves that folder behind
START_STOPPED_WHILE_MAKING = """
import os, time
from sigopt_like.service import gunicorn_metrics
rename = os.rename
def stopping_rename(source, target, *args, **kwargs):
    if os.path.basename(str(target)).startswith(f"sigopt-like-metrics-{os.getpid()}-"):
        print("making", flush=True)
        time.sleep(600)
    return rename(source, target, *args, **kwargs)
os.rename = stopping_rename
gunicorn_metrics.prepare_shared_metrics()
"""


def test_a_start_removes_the_folder_a_start_killed_while_making_it_left(tmp_path: Path) -> None:
    """A folder is made under a name of its own, then renamed: a start killed between the
    two (SIGKILL, the OOM killer) left ``sigopt-like-metrics-making-*`` behind, and no start
    removed it. Now one whose lock is free is removed; one whose start lives is not; one
    that has no lock file yet once it is old."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    making = subprocess.Popen(
        [sys.executable, "-c", START_STOPPED_WHILE_MAKING],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TMPDIR": str(temporary)},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert making.stdout is not None and making.stdout.readline() == "making\n"
        (folder,) = glob.glob(str(temporary / "sigopt-like-metrics-making-*"))
        assert remove_abandoned(str(temporary)) == []  # its start lives
        assert os.path.isdir(folder)
    finally:
        making.kill()
        making.wait(10)
    lockless_old = temporary / "sigopt-like-metrics-making-killedbeforelock"
    lockless_new = temporary / "sigopt-like-metrics-making-beinglockednow"
    lockless_old.mkdir()
    lockless_new.mkdir()
    long_ago = time.time() - MAKING_ABANDONED_SECONDS - 5
    os.utime(lockless_old, (long_ago, long_ago))
    assert sorted(remove_abandoned(str(temporary))) == sorted([folder, str(lockless_old)])
    assert os.listdir(temporary) == [lockless_new.name]


#: a start (prepare_shared_metrics) while another start looks: at each step that makes a
#: folder appear, every metrics folder there is locked (the folder and its lock file) by
#: other descriptors, as another start's remove_abandoned does while it checks them
START_WHILE_ANOTHER_LOOKS = """
import fcntl, json, os, re, tempfile
from sigopt_like.service import gunicorn_metrics
looked = []
def look():
    for entry in os.scandir(tempfile.gettempdir()):
        if re.match(r"sigopt-like-metrics-[0-9]+-", entry.name):
            for path in (entry.path, os.path.join(entry.path, gunicorn_metrics.LOCK_FILE)):
                try:
                    descriptor = os.open(path, os.O_RDONLY)
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    looked.append(descriptor)
                except OSError:
                    pass
def looking(step):
    def step_then_look(*args, **kwargs):
        done = step(*args, **kwargs)
        look()
        return done
    return step_then_look
os.mkdir = looking(os.mkdir)
os.rename = looking(os.rename)
made = gunicorn_metrics.prepare_shared_metrics()
for descriptor in looked:
    os.close(descriptor)
print(json.dumps([made, gunicorn_metrics.remove_abandoned(tempfile.gettempdir())]))
"""


def test_a_start_never_fails_while_another_start_looks(tmp_path: Path) -> None:
    """Two gunicorns starting at once: B's look at the folders (it locks each a moment to
    check it) fell between A making its folder and locking it, and A stopped with "cannot
    lock the metrics folder". A folder is now made locked (under another name, then
    renamed), so B never sees it unlocked; and B leaves it alone."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = _in_a_process(tmp_path, START_WHILE_ANOTHER_LOOKS, TMPDIR=str(temporary))
    assert done.returncode == 0, done.stderr
    made, removed = json.loads(done.stdout)
    assert removed == [] and os.path.dirname(made) == str(temporary)
    assert os.listdir(temporary) == [], "the folder outlived its process"


def test_a_gunicorn_run_with_daemon_removes_its_folder_when_it_exits(tmp_path: Path) -> None:
    """Under --daemon the master is not the process that read the settings and made the
    folder (it exits as gunicorn goes on), so the removal at that process's exit never ran
    and each such run left its folder behind; gunicorn's on_exit removes it now."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    pid_file = tmp_path / "gunicorn.pid"
    factory = wsgi_factory(str(tmp_path / "d.db"), auth_required=False)
    proc, log = start_gunicorn(
        tmp_path,
        factory,
        threads=1,
        env={"TMPDIR": str(temporary)},
        args=(
            "--daemon",
            "--pid",
            str(pid_file),
            "--error-logfile",
            str(tmp_path / "gunicorn.log"),
        ),
    )
    assert proc.wait(30) == 0, log.read_text()  # it read the settings and daemonized
    deadline = time.monotonic() + 60
    while not pid_file.exists():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    master = int(pid_file.read_text())
    try:
        (folder,) = glob.glob(str(temporary / f"sigopt-like-metrics-{proc.pid}-*"))
        while not (listening := re.search(r"Listening at: (http://\S+)", log.read_text())):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        while True:  # its worker answers: it has booted, counting in the folder
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{listening.group(1)}/metrics", timeout=2).ok:
                    break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        os.kill(master, signal.SIGTERM)
        while not _ended(master):
            assert time.monotonic() < deadline + 30, log.read_text()
            time.sleep(0.1)
    assert "Shutting down" in log.read_text()
    assert not os.path.exists(folder), os.listdir(folder)


def _in_a_process(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh Python (prometheus_client not yet imported) with ``env``."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


COUNT_ONE_REQUEST = (
    "from sigopt_like.service.middleware.metrics import ServiceMetrics\n"
    "m = ServiceMetrics.create()\n"
    "m.request_started(); m.request_finished('/x', 'GET', '200', 0.1)\n"
    "print(m.render().decode())\n"
)


#: every kind of count, N times, then what /metrics says and what the process kept itself
COUNT_EVERY_KIND = (
    "import json\n"
    "from sigopt_like.service.middleware.metrics import LONG_POLL, ServiceMetrics\n"
    "m = ServiceMetrics.create()\n"
    "for i in range(7):\n"
    "    m.request_started(); in_flight = m._in_flight\n"
    "    m.request_finished('/x', 'GET', '200', 0.1)\n"
    "    m.request_refused('/y', 'POST', '413')\n"
    "    m.task_finished('space', 'success', 0.5); m.suggestion_chosen('optimizer')\n"
    "    m.suggestions_batched(2)\n"
    "    with m.waiting(LONG_POLL): waiting = m._open[LONG_POLL]\n"
    "print(m.render().decode())\n"
    "kept = {f.name: len(f.children) for f in m._families()}\n"
    "kept['gauges'] = [in_flight, waiting]\n"
    "print('KEPT', json.dumps(kept))\n"
)
EVERY_KIND_COUNTED = (
    'sigopt_like_http_requests_total{method="GET",route="/x",status="200"} 7.0',
    'sigopt_like_http_requests_total{method="POST",route="/y",status="413"} 7.0',
    'sigopt_like_http_request_duration_seconds_count{method="GET",route="/x"} 7.0',
    'sigopt_like_tasks_total{status="success",type="space"} 7.0',
    'sigopt_like_task_duration_seconds_count{type="space"} 7.0',
    'sigopt_like_suggestion_choices_total{source="optimizer"} 7.0',
    "sigopt_like_suggestion_batch_size_count 7.0",
    "sigopt_like_http_requests_in_flight 0.0",
)


def _kept(stdout: str) -> dict[str, object]:
    return json.loads(stdout.rpartition("KEPT ")[2])


def test_shared_counts_are_counted_once(tmp_path: Path) -> None:
    """Under gunicorn (a folder to share in) every count goes to the shared files alone,
    and /metrics says each exactly; before, each request was counted a second time in the
    process's own counts, which nothing there reads. Without the folder (``serve``, an
    embedded service) the process's own counts are the ones kept, as exact."""
    shared = tmp_path / "shared"
    shared.mkdir()
    folder = {METRICS_DIR_ENV: str(shared), PROMETHEUS_DIR_ENV: str(shared)}
    done = _in_a_process(tmp_path, COUNT_EVERY_KIND, **folder)
    assert done.returncode == 0, done.stderr
    for line in EVERY_KIND_COUNTED:
        assert line in done.stdout, (line, done.stdout)
    assert os.listdir(shared) != []
    kept = _kept(done.stdout)
    assert kept.pop("gauges") == [0.0, 0.0]  # while a request ran, a long poll waited
    assert set(kept.values()) == {0}, kept
    alone = _in_a_process(tmp_path, COUNT_EVERY_KIND)
    assert alone.returncode == 0, alone.stderr
    for line in EVERY_KIND_COUNTED:
        assert line in alone.stdout, (line, alone.stdout)
    kept = _kept(alone.stdout)
    assert kept.pop("gauges") == [1.0, 1.0]
    assert 0 not in kept.values(), kept


def test_a_program_with_its_own_multiprocess_folder_counts_alone(tmp_path: Path) -> None:
    """``$PROMETHEUS_MULTIPROC_DIR`` set for a program's own metrics does not make an
    embedded service write to that folder: only the gunicorn settings module's
    ``$SIGOPT_LIKE_METRICS_DIR`` does."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    done = _in_a_process(tmp_path, COUNT_ONE_REQUEST, **{PROMETHEUS_DIR_ENV: str(theirs)})
    assert done.returncode == 0, done.stderr
    assert 'sigopt_like_http_requests_total{method="GET",route="/x",status="200"} 1.0' in (
        done.stdout
    )
    assert os.listdir(theirs) == []


def test_counts_that_cannot_be_shared_are_counted_alone(tmp_path: Path) -> None:
    """prometheus_client imported before the folder was named keeps its counts in the
    process: it counts alone, saying so, and writes nothing into the folder (it stopped
    the process before); imported after, it counts into the folder."""
    shared = tmp_path / "shared"
    shared.mkdir()
    done = _in_a_process(
        tmp_path,
        "import os, prometheus_client\n"
        f"os.environ[{METRICS_DIR_ENV!r}] = os.environ[{PROMETHEUS_DIR_ENV!r}] = {str(shared)!r}\n"
        + COUNT_ONE_REQUEST,
    )
    assert done.returncode == 0, done.stderr
    assert 'sigopt_like_http_requests_total{method="GET",route="/x",status="200"} 1.0' in (
        done.stdout
    )
    assert done.stderr.count(UNSHARED_WARNING) == 1, done.stderr
    assert os.listdir(shared) == []
    with_it = _in_a_process(
        tmp_path,
        COUNT_ONE_REQUEST,
        **{METRICS_DIR_ENV: str(shared), PROMETHEUS_DIR_ENV: str(shared)},
    )
    assert with_it.returncode == 0, with_it.stderr
    assert 'sigopt_like_http_requests_total{method="GET",route="/x",status="200"} 1.0' in (
        with_it.stdout
    )
    assert UNSHARED_WARNING not in with_it.stderr
    assert os.listdir(shared) != []


def test_a_settings_file_importing_prometheus_first_serves_per_worker_counts(
    tmp_path: Path,
) -> None:
    """A settings file that layers the service's (``import prometheus_client`` then
    ``from sigopt_like.service.gunicorn_conf import *``): before, every worker raised at
    boot and gunicorn stopped ("Worker failed to boot"). Now each worker serves, counting
    its own requests (as before the shared folder), writes nothing into the folder, and
    logs once why and how to get summed counts."""
    (tmp_path / "layered_conf.py").write_text(
        "import prometheus_client\nfrom sigopt_like.service.gunicorn_conf import *\n"
    )
    proc, log, access_log, folder_glob = _gunicorn_logging_workers(
        tmp_path,
        "layered.db",
        ("-c", "python:layered_conf", "--workers", "2"),
        env={"PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(tmp_path)])},
    )
    try:
        url = gunicorn_answering(proc, log)
        sent = 0
        while sent < 300 and len({pid for pid, _ in _answered(access_log)}) < 2:
            for _ in range(30):
                answer = requests.get(f"{url}/health", headers={"Connection": "close"}, timeout=10)
                assert answer.status_code == 200
                sent += 1
            time.sleep(0.2)  # the access log written
        workers = {pid for pid, _ in _answered(access_log)}
        assert len(workers) == 2, f"every request reached one worker: {workers}"
        for _ in range(6):
            before = len(_answered(access_log))
            samples = _samples(url)
            deadline = time.monotonic() + 10
            while len(answered := _answered(access_log)) == before:  # the scrape's line
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            scraped_by, path = answered[before]
            assert path == "/metrics"
            # the counts of the worker that answered the scrape, its own requests alone
            own = [p for pid, p in answered[:before] if pid == scraped_by]
            assert _requests(samples, "/health") == [float(own.count("/health"))]
            assert _requests(samples, "/metrics") == [float(own.count("/metrics"))]
            assert samples[("sigopt_like_http_requests_in_flight", ())] == [1.0]
        folders = glob.glob(folder_glob)
        assert len(folders) == 1, folders
        assert os.listdir(folders[0]) == [LOCK_FILE], "written to the folder"
    finally:
        stop_gunicorn(proc)
    text = log.read_text()
    assert "Worker failed to boot" not in text
    assert text.count(UNSHARED_WARNING) == 2, text  # once by each worker, at its start
