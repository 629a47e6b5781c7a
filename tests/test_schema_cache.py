"""The kept migrated schema (tests/schema_cache.py) is the schema the migrations make, whether this run loaded it
or migrated."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_the_test_database_has_every_migration_applied_and_nothing_else(db):
    executor = MigrationExecutor(connection)
    on_disk = set(executor.loader.disk_migrations)

    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert executor.loader.applied_migrations.keys() == on_disk


def test_the_migrated_schema_is_kept_for_the_next_run(db, schema_cache):
    if schema_cache is None:
        pytest.skip("pytest --create-db keeps nothing")

    assert schema_cache.is_kept()
