"""Operations our migrations share."""

from django.db import migrations


def _fields(apps, app_label, model_name, field_names):
    model = apps.get_model(app_label, model_name)
    return model, [model._meta.get_field(name) for name in field_names]


def drop_pattern_indexes(app_label: str, model_name: str, *field_names: str) -> migrations.RunPython:
    """On PostgreSQL, drop the ``varchar_pattern_ops`` twin (``…_like``) Django adds beside the index of each unique
    ``CharField``. Our public ids, token and secret hashes are only ever compared whole (the unique index serves
    that), so the twin serves no query and costs every INSERT, and every UPDATE that changes an indexed column
    (the expiry jobs' bulk updates write each row into every index of the table). Reversible; nothing on SQLite.
    """

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, fields = _fields(apps, app_label, model_name, field_names)
        for field in fields:
            name = schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like")
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def restore(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, fields = _fields(apps, app_label, model_name, field_names)
        for field in fields:
            statement = schema_editor._create_like_index_sql(model, field)
            if statement is not None:
                schema_editor.execute(statement)

    return migrations.RunPython(drop, restore, elidable=False)


def drop_foreign_key_indexes(app_label: str, model_name: str, *fields) -> migrations.SeparateDatabaseAndState:
    """``db_index=False`` on these foreign keys (``fields``: the new fields, by name) without rebuilding the
    table: ``AlterField`` rebuilds a SQLite table, and with it would go the triggers of the table (the audit
    trail's append-only trigger). The state changes as ``AlterField`` would change it; the database only drops
    each index (and makes it again when reversed)."""
    names = [name for name, _ in fields]

    def drop(apps, schema_editor):
        model, found = _fields(apps, app_label, model_name, names)
        for field in found:
            name = schema_editor._create_index_name(model._meta.db_table, [field.column])
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def restore(apps, schema_editor):
        model, found = _fields(apps, app_label, model_name, names)
        for field in found:
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(model_name=model_name, name=name, field=field) for name, field in fields
        ],
        database_operations=[migrations.RunPython(drop, restore, elidable=False)],
    )


def sql_by_vendor(forward: dict[str, list[str]], backward: dict[str, list[str]]) -> migrations.RunPython:
    """Run the statements written for the database in use (``{"sqlite": [...], "postgresql": [...]}``), forward
    and backward: triggers and functions, which each database spells its own way."""

    def run(statements_by_vendor):
        def execute(apps, schema_editor):
            for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
                schema_editor.execute(statement)

        return execute

    return migrations.RunPython(run(forward), run(backward), elidable=False)
