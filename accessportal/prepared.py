"""A lookup asked on every API request, compiled to SQL once per process instead of once per request.

Building and compiling a queryset with joins and a subquery costs about a millisecond of Python, ten times the
query itself on a local database (``make profile``). ``PreparedLookup`` builds the queryset once with a stand-in
value, keeps Django's compiler for it, and then only executes its SQL with the value of the moment, turning
each row into model instances through the same compiler (the database's converters, ``select_related``
objects and annotations), as the queryset itself would. It is for the few lookups on the request path of every
API call; everything else uses querysets."""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

_STAND_IN = "\x00prepared-lookup-value\x00"


class _Compiled:
    def __init__(self, queryset: QuerySet, using: str):
        self.using = using
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        positions = [i for i, param in enumerate(params) if param == _STAND_IN]
        if len(positions) != 1:
            raise ValueError("a prepared lookup takes exactly one value, used once in its query")
        self.params, self.position = list(params), positions[0]
        self.compiler = compiler
        info = compiler.klass_info
        self.model = info["model"]
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        self.fields = (start, end)
        self.init_list = [column[0].target.attname for column in compiler.select[start:end]]
        self.populators = get_related_populators(info, compiler.select, using)
        self.annotations = dict(compiler.annotation_col_map or {})
        # The database's converters of each column (dates of SQLite, JSON...): asked once, not once a row.
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )

    def first(self, value):
        params = list(self.params)
        params[self.position] = value
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(1)
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        for row in rows:
            start, end = self.fields
            instance = self.model.from_db(self.using, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, instance)
            for name, position in self.annotations.items():
                setattr(instance, name, row[position])
            return instance
        return None


class PreparedLookup:
    """``PreparedLookup(lambda value: Model.objects....filter(field=value))``, then ``.first(value)``: the
    instance the queryset built with ``value`` would give first (it is limited to one row), or None. The
    queryset must use ``value`` exactly once, as a parameter."""

    def __init__(self, build: Callable[[object], QuerySet], using: str = "default"):
        self.build, self.using = build, using
        self._compiled: dict = {}

    def first(self, value):
        connection = connections[self.using]
        # Keyed by the connection's settings too, so that a test that swaps the database compiles afresh.
        key = (connection.vendor, connection.settings_dict.get("NAME"))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.build(_STAND_IN)[:1], self.using)
        return compiled.first(value)
