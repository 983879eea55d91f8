"""Faults on the wire: a whole campaign and SigOpt-style rounds through a faulty relay.

Between the client and a served instance sits :class:`FaultProxy`, which, from a
seeded schedule, resets connections before the request reaches the server, while
the server works on it and after it answered, answers 503 and 429 with
``Retry-After``, stalls answers and truncates bodies, with no cap on faults in a
row (a call meets k in a row with probability 0.3**k). The client is a
``Connection`` with every setting at its default. The served instance
answers a retry that meets its first attempt still running with ``409
idempotency_in_progress`` at once (``idempotency_wait_seconds=0``), so that the
client must wait that out. The campaign and the SigOpt loop run side by side, each
on a connection of its own, and the loop's requests (``/v1/experiments``) meet a seeded
schedule of their own, so that its faults do not hang on how many times the campaign's
waits polled; every other request (``/v1/sessions``, and the ``GET /v1/version`` each
connection sends first) meets the campaign's. The same seeded campaign (4
generations) and SigOpt loop (40 suggest/report rounds) also run through a proxy that
injects nothing, on a fresh instance. The first faults of each schedule take each kind in
turn, so that a run this short meets every kind (then they are drawn by weight). Then:

- every call returned (no exception at all: the client's default retries (a
  deadline, Retry-After honoured), with the same Idempotency-Key, absorbed every
  fault);
- the store, read back through the API, equals the fault-free run's: one
  session, the same tasks, the same generations and rows, one experiment, as
  many suggestions and observations as rounds, nothing twice;
- faults were really injected, of every kind, including ones after which the
  server had acted (so a replay, not a second execution, answered the retry).

Sizes: ``SIGOPT_LIKE_FAULT_SEED``, ``SIGOPT_LIKE_FAULT_RATE``,
``SIGOPT_LIKE_FAULT_GENERATIONS``, ``SIGOPT_LIKE_FAULT_ROUNDS``. The defaults keep CI's run
short (most of its time is the client's backoff between retries, growing with the
faults in a row); docs/reliability.md has bigger runs.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import sigopt_like
from sigopt_like.data import sample_space
from sigopt_like.errors import SigoptLikeError
from sigopt_like.service import create_app
from tests.fixtures.faults import env_float, env_int
from tests.fixtures.servers import ServedInstance, serve_in_thread
from tests.reliability.faultproxy import (
    FAULTS,
    FORWARDED_FAULTS,
    PASS,
    RESET_EARLY,
    FaultSchedule,
)

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]

SEED = env_int("SIGOPT_LIKE_FAULT_SEED", 20261122)
RATE = env_float("SIGOPT_LIKE_FAULT_RATE", 0.3)
GENERATIONS = env_int("SIGOPT_LIKE_FAULT_GENERATIONS", 4)
ROUNDS = env_int("SIGOPT_LIKE_FAULT_ROUNDS", 40)
POPULATION = 12
#: how long the proxy holds a stalled answer before it resets the connection
STALL_SECONDS = 2.0
#: stalls and Retry-After: 1 cost a second or two each: fewer of them keeps CI fast
WEIGHTS = {
    "reset_before": 1.0,
    "reset_after": 1.5,
    "reset_early": 1.0,
    "status_503": 1.0,
    "status_429": 1.0,
    "stall": 0.35,
    "truncate": 1.0,
}
#: the Retry-After values of the proxy's own 503 and 429 answers, drawn in turn
RETRY_AFTER = (0, 0, 0, 1)


def client(url: str, token: str) -> sigopt_like.Connection:
    """A client with every setting at its default (timeouts, retries)."""
    return sigopt_like.Connection(url, token)


class Calls:
    """Counts the calls a run makes; any exception is recorded and re-raised."""

    def __init__(self) -> None:
        self.made = 0
        self.returned = 0
        self.typed_errors: list[str] = []
        self.untyped_errors: list[str] = []
        self._lock = threading.Lock()  # the campaign and the rounds count side by side

    def __call__(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.made += 1
        try:
            result = fn(*args, **kwargs)
        except SigoptLikeError as err:
            with self._lock:
                self.typed_errors.append(f"{type(err).__name__}: {err}")
            raise
        except Exception as err:
            with self._lock:
                self.untyped_errors.append(f"{type(err).__name__}: {err}")
            raise
        with self._lock:
            self.returned += 1
        return result


def run_campaign(conn: sigopt_like.Connection, calls: Calls) -> str:
    """The seeded campaign: a space, then GENERATIONS x (generate, simulate, report)."""
    session = calls(conn.sessions.create, name="wire-faults", description="seeded", seed=SEED)
    campaign = conn.sessions(session.id)
    calls(
        campaign.space.put,
        space=sample_space("formulation-screen"),
        population_size=POPULATION,
        replicates=0,
        wait=True,
    )
    for _ in range(GENERATIONS):
        generated = calls(campaign.generate, wait=True).result
        assert generated.experiments is not None and len(generated.experiments) == POPULATION
        measured = calls(campaign.responses.simulate, generated.experiments)
        assert len(measured) == POPULATION
        calls(campaign.experiments.put, type="designed", table=measured, wait=True)
    return str(session.id)


def run_rounds(conn: sigopt_like.Connection, calls: Calls) -> str:
    """The seeded SigOpt loop: ROUNDS x (suggest, report)."""
    experiment = calls(
        conn.experiments.create,
        name="wire-faults",
        type="random",
        seed=SEED,
        parameters=[
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
            {"name": "n", "type": "int", "bounds": {"min": 1, "max": 50}},
        ],
        observation_budget=ROUNDS,
    )
    exp = conn.experiments(experiment.id)
    for _ in range(ROUNDS):
        suggestion = calls(exp.suggestions().create)
        value = suggestion.assignments["x"] * suggestion.assignments["n"]
        observation = calls(exp.observations().create, suggestion=suggestion.id, value=value)
        assert str(observation.suggestion) == str(suggestion.id)
    return str(experiment.id)


def store_state(conn: sigopt_like.Connection, session_id: str, experiment_id: str) -> dict:
    """Everything the runs stored, read back through the API (no proxy)."""
    sessions = list(conn.sessions.list(limit=1000))
    campaign = conn.sessions(session_id)
    tasks = list(campaign.tasks.list(limit=1000))
    history = campaign.history.fetch()
    experiments = list(conn.experiments.list(limit=1000))
    exp = conn.experiments(experiment_id)
    suggestions = list(exp.suggestions().list(limit=1000))
    observations = list(exp.observations().list(limit=1000))
    return {
        "sessions": sorted(s.name for s in sessions),
        "tasks": sorted(Counter((t.type, t.status) for t in tasks).items()),
        "generations": [
            (g.gen, g.design_rows, [tuple(row) for row in g.table.rows])
            for g in history.generations
        ],
        "experiments": sorted(e.name for e in experiments),
        "suggestions": len(suggestions),
        "suggestion_ids_distinct": len({s.id for s in suggestions}),
        "observations": sorted(
            (round(float(o.value), 9), tuple(sorted(o.assignments.items()))) for o in observations
        ),
        "observed_suggestions_distinct": len({str(o.suggestion) for o in observations}),
        "open_suggestions": sum(1 for s in suggestions if s.state == "open"),
    }


def run_through(tmp_path: Path, fault_proxy: Any, rate: float) -> tuple[dict, Calls, Any, float]:
    """One whole run (campaign + rounds) on a fresh instance, through a proxy at ``rate``."""
    served = serve_in_thread(tmp_path, idempotency_wait_seconds=0.0)
    try:
        campaign_faults, rounds_faults = (
            FaultSchedule(seed, rate=rate, weights=WEIGHTS, max_streak=None, every_kind_first=True)
            for seed in (SEED + 1, SEED)
        )

        def decide(request: Any) -> str:
            rounds = request.path.startswith("/v1/experiments")
            return (rounds_faults if rounds else campaign_faults).decide(request)

        proxy = fault_proxy(
            served.url,
            decide,
            stall_limit=STALL_SECONDS,
            seed=SEED,
            retry_after=RETRY_AFTER,
        )
        calls = Calls()

        def through_proxy(run: Any) -> str:
            with client(proxy.url, served.token) as conn:
                return str(run(conn, calls))

        started = time.monotonic()
        # side by side: each mostly waits out its faults' backoff (their sum, before)
        with ThreadPoolExecutor(2) as pool:
            campaign = pool.submit(through_proxy, run_campaign)
            rounds = pool.submit(through_proxy, run_rounds)
            session_id, experiment_id = campaign.result(), rounds.result()
        elapsed = time.monotonic() - started
        proxy.close()
        with sigopt_like.Connection(served.url, served.token) as direct:
            state = store_state(direct, session_id, experiment_id)
        return state, calls, proxy, elapsed
    finally:
        served.close()


def test_campaign_and_rounds_survive_wire_faults(
    tmp_path: Path, fault_proxy: Any, figures: Any
) -> None:
    # the fault-free run and the faulty one run side by side (each on its own instance):
    # the faulty one mostly waits (stalls, Retry-After), so this halves the wall time
    with ThreadPoolExecutor(2) as pool:
        clean_run = pool.submit(run_through, tmp_path / "clean", fault_proxy, 0)
        faulty_run = pool.submit(run_through, tmp_path / "faulty", fault_proxy, RATE)
        clean, clean_calls, clean_proxy, clean_time = clean_run.result()
        faulty, calls, proxy, faulty_time = faulty_run.result()

    # every call returned; nothing raised, typed or not
    assert calls.untyped_errors == [] and calls.typed_errors == []
    assert calls.returned == calls.made == clean_calls.made
    assert clean_proxy.faults == 0 and proxy.errors == []

    # faults of every kind were injected, some after the server had acted
    assert all(proxy.counts[kind] > 0 for kind in FAULTS), proxy.counts
    keys = proxy.kinds_by_key()
    replayed = [k for k, fates in keys.items() if set(fates[:-1]) & FORWARDED_FAULTS]
    assert replayed, "no mutating call was retried after the server had acted"
    assert all(fates[-1] == PASS for fates in keys.values())

    # the store holds exactly what the fault-free run stored: nothing lost, nothing twice
    assert faulty == clean
    assert faulty["sessions"] == ["wire-faults"]
    assert len(faulty["generations"]) == GENERATIONS + 1  # gen 0 holds no experiments
    assert sum(len(g[2]) for g in faulty["generations"]) == GENERATIONS * POPULATION
    assert dict(faulty["tasks"]) == {
        ("space", "success"): 1,
        ("generate", "success"): GENERATIONS,
        ("update", "success"): GENERATIONS,
    }
    assert faulty["experiments"] == ["wire-faults"]
    assert faulty["suggestions"] == faulty["suggestion_ids_distinct"] == ROUNDS
    assert len(faulty["observations"]) == faulty["observed_suggestions_distinct"] == ROUNDS
    assert faulty["open_suggestions"] == 0

    figures(
        seed=SEED,
        rate=RATE,
        generations=GENERATIONS,
        rounds=ROUNDS,
        calls=calls.made,
        http_requests=sum(proxy.counts.values()),
        faults_injected=proxy.faults,
        faults_by_kind={k: proxy.counts[k] for k in FAULTS},
        mutating_calls_retried_after_server_acted=len(replayed),
        longest_fault_streak_of_one_call=max(_streak(fates) for fates in keys.values()),
        answers_409_in_progress=proxy.answers[(409, "idempotency_in_progress")],
        typed_errors=len(calls.typed_errors),
        duplicates=0,
        losses=0,
        seconds_faulty=round(faulty_time, 1),
        seconds_clean=round(clean_time, 1),
        client_closed_first=proxy.client_gone,
    )


def _streak(fates: list[str]) -> int:
    """The longest run of faults among one call's attempts."""
    longest = current = 0
    for fate in fates:
        current = current + 1 if fate != PASS else 0
        longest = max(longest, current)
    return longest


def test_a_retry_that_meets_its_first_attempt_running_waits_for_its_answer(
    pg_url: str, fault_proxy: Any
) -> None:
    """The issue's 409 case: a batch of observations whose first attempt is cut off while
    the server still works on it. The retry (same key) is answered ``409
    idempotency_in_progress`` with ``Retry-After``; the default client waits that out
    and gets the first attempt's answer, replayed: the batch is stored once.

    "Still works on it" is made certain, not left to timing (on a fast machine a batch
    of 1,000 could be stored before the retry arrives): another PostgreSQL connection
    holds ``observations`` in SHARE mode, so the first attempt waits inside its insert
    until the proxy has relayed a 409 to the retry; then the lock goes. The proxy lets the
    retry through only once the first attempt is seen queued on that lock.
    """
    served = ServedInstance(
        create_app(database=pg_url, auth_required=True, idempotency_wait_seconds=0.0), pg_url
    )
    cut: list[str] = []
    retried: list[bool] = []

    locked = threading.Event()
    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)

    def decide(request: Any) -> str:
        if not request.path.endswith("/observations/batch"):
            return PASS
        if not cut:
            cut.append(request.header("Idempotency-Key") or "")
            return RESET_EARLY
        if not retried:  # the first retry: once the first attempt is inside the server
            retried.append(True)
            wait_for_the_first_attempt_to_queue_on_the_lock()
        return PASS

    def wait_for_the_first_attempt_to_queue_on_the_lock() -> None:
        waiting = sa.text(
            "SELECT count(*) FROM pg_locks "
            "WHERE relation = 'observations'::regclass AND NOT granted"
        )
        deadline = time.monotonic() + 30
        with engine.connect() as conn:
            while not conn.execute(waiting).scalar() and time.monotonic() < deadline:
                conn.rollback()
                time.sleep(0.02)

    def hold_inserts_until_a_409(proxy: Any) -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE observations IN SHARE MODE"))
            locked.set()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proxy.answers[(409, "idempotency_in_progress")]:
                    break
                time.sleep(0.05)

    try:
        proxy = fault_proxy(served.url, decide)
        with sigopt_like.Connection(proxy.url, served.token) as conn:
            experiment = conn.experiments.create(
                name="batch",
                parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            )
            holder = threading.Thread(target=hold_inserts_until_a_409, args=(proxy,))
            holder.start()
            assert locked.wait(30)
            batch = [{"assignments": {"x": i / 1000}, "value": float(i)} for i in range(1000)]
            made = conn.experiments(experiment.id).observations().create_batch(observations=batch)
            holder.join()
            assert len(list(made)) == 1000
            stored = list(conn.experiments(experiment.id).observations().list(limit=1000))
        assert len(stored) == 1000
        assert cut and proxy.counts[RESET_EARLY] == 1
        assert proxy.answers[(409, "idempotency_in_progress")] >= 1, proxy.answers
        keys = proxy.kinds_by_key()
        assert keys[cut[0]][0] == RESET_EARLY and keys[cut[0]][-1] == PASS
    finally:
        served.close()
        engine.dispose()
