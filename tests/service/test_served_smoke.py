"""The served fixtures start, answer and stop."""

import requests


def test_served_answers_with_auth(served):
    assert requests.get(f"{served.url}/health", timeout=5).json()["status"] == "ok"
    r = requests.get(f"{served.url}/v1/sessions", headers=served.headers(), timeout=5)
    assert r.status_code == 200, r.text
    assert requests.get(f"{served.url}/v1/sessions", timeout=5).status_code == 401


def test_served_process_restarts(served_process):
    r = requests.post(
        f"{served_process.url}/v1/sessions",
        json={"name": "s"},
        headers=served_process.headers(),
        timeout=5,
    )
    assert r.status_code == 201, r.text
    served_process.restart()
    r = requests.get(
        f"{served_process.url}/v1/sessions", headers=served_process.headers(), timeout=5
    )
    assert r.json()["count"] == 1


def test_a_served_process_whose_port_is_taken_first_moves_to_another(tmp_path, monkeypatch):
    """free_port() frees the port it found before the server binds it; a socket that takes
    it in between made the fixture fail ("serve exited early") instead of drawing again."""
    import socket

    from tests.fixtures import servers

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        draws = iter([busy])
        real_free_port = servers.free_port
        monkeypatch.setattr(servers, "free_port", lambda: next(draws, None) or real_free_port())
        instance = servers.ServedProcess(tmp_path / "moved.db")
        try:
            assert instance.port != busy
            assert requests.get(f"{instance.url}/health", timeout=5).status_code == 200
            assert "already in use" in instance.output()  # the first draw was refused
        finally:
            instance.stop()
