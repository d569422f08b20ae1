"""The migrations build exactly the schema the models describe, from the first revision on."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from auditor.store.db import Store
from auditor.store.models import Base


def test_migrations_match_models(database_url):
    store = Store.open(database_url)
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    store.close()


def test_upgrade_step_by_step_from_first_revision(database_url):
    store = Store.open(database_url, migrate=False)
    store.migrate("0001")
    assert "run_lock" not in inspect(store.engine).get_table_names()
    store.migrate("head")
    assert {"run_lock", "findings"} <= set(inspect(store.engine).get_table_names())
    store.close()
