"""Stores holding the two sample runs, on SQLite (fast, shared) or on every database."""

import pytest
from report.sample_runs import sample_runs

from auditor.store.db import Store


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """SQLite store with the two sample runs, shared by one test module (read only)."""
    path = tmp_path_factory.mktemp("sample") / "audit.db"
    store = Store.open(f"sqlite:///{path}")
    runs = sample_runs(store)
    yield store, runs
    store.close()


@pytest.fixture
def every_database_store(database_url):
    """The two sample runs on SQLite and on PostgreSQL."""
    store = Store.open(database_url)
    runs = sample_runs(store)
    yield store, runs
    store.close()
