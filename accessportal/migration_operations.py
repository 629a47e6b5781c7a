"""Operations our migrations share."""

from django.db import migrations


def drop_pattern_indexes(app_label: str, model_name: str, *field_names: str) -> migrations.RunPython:
    """On PostgreSQL, drop the ``varchar_pattern_ops`` twin (``…_like``) Django adds beside the index of each unique
    ``CharField``. Our public ids, token and secret hashes are only ever compared whole (the unique index serves
    that), so the twin serves no query and costs every INSERT, and every UPDATE that changes an indexed column
    (the expiry jobs' bulk updates write each row into every index of the table). Reversible; nothing on SQLite.
    """

    def fields(apps):
        model = apps.get_model(app_label, model_name)
        return model, [model._meta.get_field(name) for name in field_names]

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, found = fields(apps)
        for field in found:
            name = schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like")
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def restore(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, found = fields(apps)
        for field in found:
            statement = schema_editor._create_like_index_sql(model, field)
            if statement is not None:
                schema_editor.execute(statement)

    return migrations.RunPython(drop, restore, elidable=False)
