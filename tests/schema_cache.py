"""The migrated test database, kept between runs.

Migrating an empty test database costs about 5 seconds a process (over a hundred migrations, the triggers among
them), and ``make test`` pays it in every pytest-xdist worker of every run. What migrating leaves behind depends
only on the migration files, the settings module and the installed packages, so it is kept under a name made of
their digest and loaded instead of migrated the next time:

- SQLite (the in-memory test database): the first run writes a copy to ``.pytest_cache/schema/<digest>.sqlite3``;
  a later run loads it into the empty database just before ``migrate``, which then finds nothing to apply.
- PostgreSQL: the first run copies the migrated test database to a template database,
  ``test_<name>_schema_<digest>``; a later run creates each worker's test database from it (Django's
  ``TEST["TEMPLATE"]``). Templates of other digests are dropped when a new one is made.

``migrate`` still runs every time (its post-migrate steps included): only the migrations it would apply are
gone. Keeping is best effort: when a copy cannot be made (two workers making the same one, a template in use),
the run goes on with its freshly migrated database and says nothing. ``make clean`` removes the SQLite copies;
``pytest --create-db`` neither loads nor keeps one.
"""

import hashlib
import os
import shutil
import sqlite3
from importlib import import_module, metadata
from pathlib import Path

import django
from django.db.migrations.loader import MigrationLoader

TEMPLATE_MARK = "_schema_"


def digest() -> str:
    """What the migrated database depends on: every installed app's migration files, the settings module and
    the installed distributions' versions."""
    from django.apps import apps

    hashed = hashlib.blake2b(digest_size=8)
    hashed.update(f"django {django.get_version()} sqlite {sqlite3.sqlite_version}".encode())
    for distribution in sorted({f"{d.metadata['Name']} {d.version}" for d in metadata.distributions()}):
        hashed.update(distribution.encode())
    hashed.update(Path(import_module(os.environ["DJANGO_SETTINGS_MODULE"]).__file__).read_bytes())
    for config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        module_name, _ = MigrationLoader.migrations_module(config.label)
        if module_name is None:  # migrations turned off for the app (MIGRATION_MODULES)
            continue
        try:
            module = import_module(module_name)
        except ImportError:
            continue
        for directory in getattr(module, "__path__", []):
            for path in sorted(Path(directory).rglob("*.py")):
                hashed.update(f"{config.label}/{path.relative_to(directory)}".encode())
                hashed.update(path.read_bytes())
    return hashed.hexdigest()


class SchemaCache:
    """One test database connection's kept schema: ``prepare()`` before Django creates the test database,
    ``keep()`` once it is migrated."""

    def __init__(self, connection, directory: Path):
        self.connection = connection
        self.directory = directory
        self.digest = digest()
        # Named now: once the test database is created, NAME is the test database's.
        self.template_prefix = f"test_{connection.settings_dict['NAME']}{TEMPLATE_MARK}"
        self.template = f"{self.template_prefix}{self.digest}"
        # The test database's, not the settings' (NAME is the development database's until the test one exists).
        self.sqlite_in_memory = connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
            connection.creation._get_test_db_name()
        )
        self.loaded = False

    # ---- SQLite: a file copy ------------------------------------------------------------------------------------

    @property
    def _file(self) -> Path:
        return self.directory / f"{self.digest}.sqlite3"

    def _load_file(self):
        """Before ``migrate``: an empty in-memory test database becomes the kept copy."""
        if not self._file.exists() or "django_migrations" in self.connection.introspection.table_names():
            return
        self.connection.ensure_connection()
        source = sqlite3.connect(self._file)
        try:
            source.backup(self.connection.connection)
        finally:
            source.close()
        self.loaded = True

    def _keep_file(self):
        partial = self._file.with_suffix(f".{os.getpid()}.partial")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = sqlite3.connect(partial)
            try:
                self.connection.connection.backup(target)
            finally:
                target.close()
            os.replace(partial, self._file)  # atomic: another worker keeping the same copy changes nothing
            for stale in self.directory.glob("*.sqlite3"):
                if stale != self._file:
                    stale.unlink(missing_ok=True)
        except (OSError, sqlite3.Error):
            partial.unlink(missing_ok=True)  # a tree it cannot write to: keeping is best effort

    def copy_sqlite(self, target: Path) -> bool:
        """A migrated SQLite database at ``target`` (for a test that runs the portal in another process), if a
        copy is kept for these migrations (a run on SQLite keeps one, the PostgreSQL pass may find it)."""
        try:
            shutil.copyfile(self._file, target)
        except FileNotFoundError:
            return False
        return True

    # ---- PostgreSQL: a template database ------------------------------------------------------------------------

    def _template_exists(self) -> bool:
        with self.connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.template])
            return cursor.fetchone() is not None

    def _keep_template(self):
        from django.db import DatabaseError

        test_database = self.connection.settings_dict["NAME"]  # the test database's, once it is created
        self.connection.close()  # CREATE DATABASE … TEMPLATE needs the source without other sessions
        quote = self.connection.ops.quote_name
        try:
            with self.connection._nodb_cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {quote(self.template)} TEMPLATE {quote(test_database)}")
                cursor.execute(
                    "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
                    [self.template_prefix, self.template],
                )
                for (stale,) in cursor.fetchall():
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)}")
        except DatabaseError:
            pass  # another worker made it first, or a stale template is in use: keeping is best effort

    # ---- both -------------------------------------------------------------------------------------------------------

    def is_kept(self) -> bool:
        """Whether a copy of the migrated schema is kept for these migrations (the SQLite file, the template)."""
        if self.sqlite_in_memory:
            return self._file.exists()
        return self.connection.vendor == "postgresql" and self._template_exists()

    def prepare(self):
        """Before the test database is created: have it start from the kept schema, if there is one."""
        if self.sqlite_in_memory:
            migrate_prepares = self.connection.prepare_database

            def prepare_database():
                self._load_file()
                migrate_prepares()

            self.connection.prepare_database = prepare_database  # ``migrate`` calls it first
        elif self.connection.vendor == "postgresql" and self._template_exists():
            self.connection.settings_dict.setdefault("TEST", {})["TEMPLATE"] = self.template
            self.loaded = True

    def keep(self):
        """Once the test database is migrated: keep it for the next run, if it was not loaded from a kept one."""
        if self.loaded:
            return
        if self.sqlite_in_memory:
            self._keep_file()
        elif self.connection.vendor == "postgresql":
            self._keep_template()
