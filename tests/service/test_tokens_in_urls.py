"""A token put in a URL (``?token=``): never read, never logged, and the answer says where
it goes (the ``Authorization`` header), against ``sigopt-like serve`` as a subprocess."""

from __future__ import annotations

from typing import Any

import requests

from sigopt_like.service.access_log import redacted_query

#: a secret not shaped like a service token (``slk_...``): only its parameter's name tells
SECRET = "hunter2-Xq7pZ"


def test_secrets_in_queries_reach_no_log_line_of_serve(served_process: Any) -> None:
    """Before: ``?a=1;token=...`` (a ``;`` pair) and ``?jwt=...`` (a name not listed)
    were written to the access log as sent; and ``?sslkey=...``, once database URLs'
    messages showed a client key's file path, until that was kept to them."""
    url, headers = served_process.url, served_process.headers()
    queries = (
        f"a=1;token={SECRET}",
        f"jwt={SECRET}",
        f"credential={SECRET}&limit=1",
        f"limit=1&Bearer={SECRET}",
        f"%74oken={SECRET}",
        f"sslkey={SECRET}",  # a key's file only in a database URL: here it may be the key
        f"token={served_process.token}",
    )
    for query in queries:
        assert requests.get(f"{url}/health?{query}", timeout=10).status_code == 200
        assert requests.get(f"{url}/v1/sessions?{query}", timeout=10).status_code == 401
        answer = requests.get(f"{url}/v1/sessions?{query}", headers=headers, timeout=10)
        assert answer.status_code == 400, (query, answer.text)
    logged = served_process.output()
    assert logged.count('"GET /health?') == len(queries), logged
    assert SECRET not in logged and served_process.token not in logged, logged
    assert "a=1;token=*** HTTP/1.1" in logged, logged


def test_a_token_in_the_url_is_a_4xx_that_says_to_use_the_header(served_process: Any) -> None:
    url, token = served_process.url, served_process.token
    for name in ("token", "access_token", "api_key", "sslkey"):
        without = requests.get(f"{url}/v1/sessions", params={name: token}, timeout=10)
        assert without.status_code == 401
        message = without.json()["message"]
        assert f"its URL has '{name}'" in message, message
        assert "'Authorization: Bearer <token>'" in message, message
        assert token not in without.text
        both = requests.get(
            f"{url}/v1/sessions",
            params={name: token},
            headers=served_process.headers(),
            timeout=10,
        )
        assert both.status_code == 400
        message = both.json()["message"]
        assert f"takes no query parameter '{name}'" in message, message
        assert "'Authorization: Bearer <token>'" in message, message
    # a parameter a route takes is judged as before, its name notwithstanding
    plain = requests.get(f"{url}/v1/sessions", params={"limit": "x"}, timeout=10)
    assert "This service needs an API token" in plain.json()["message"]


def test_redacted_queries_keep_what_is_not_secret() -> None:
    assert redacted_query("gen=2&token=abc&api_key=x") == "gen=2&token=***&api_key=***"
    assert redacted_query("q=a%20b;password") == "q=a+b;password=***"
    assert redacted_query("design_only=true&key=k") == "design_only=true&key=***"
    assert redacted_query("sslkey=MIIEvQ") == "sslkey=***"  # a file's path in a database URL
    assert redacted_query("x=%0d%0aFAKE") == "x=%0D%0AFAKE"  # no line end reaches a log
    assert redacted_query("") == ""
