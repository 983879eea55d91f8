"""Shared fixtures, gathered from tests/fixtures/ (servers and clients)."""

pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.clients",
    "tests.fixtures.faults",
    "tests.fixtures.postgres",
    "tests.fixtures.waiting",
]
