"""A lookup asked on every API request, compiled to SQL once per process instead of once per request.

Building and compiling a queryset with joins and a subquery costs about a millisecond of Python, ten times the
query itself on a local database (``make profile``). ``PreparedLookup`` builds the queryset once with a stand-in
value, keeps Django's compiler for it, and then only executes its SQL with the value of the moment, turning
each row into model instances through the same compiler (the database's converters, ``select_related``
objects and annotations), as the queryset itself would. It is for the few lookups on the request path of every
API call (the API key; the organization or project a path names, with the caller's permission to see it);
everything else uses querysets."""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# What the queryset is built with in place of each value: a text no one sends, an integer no row has.
_TEXT_STAND_IN = "\x00prepared-lookup-value-{}\x00"
_INTEGER_STAND_IN = -7_340_219_555_000_000


def _stand_in(kind, position):
    return _TEXT_STAND_IN.format(position) if kind is str else _INTEGER_STAND_IN - position


class _Compiled:
    def __init__(self, queryset: QuerySet, using: str, stand_ins: list):
        self.using = using
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        # Where each value goes among the parameters (a value may be used more than once).
        self.positions = [
            [i for i, param in enumerate(params) if type(param) is type(stand_in) and param == stand_in]
            for stand_in in stand_ins
        ]
        if not all(self.positions):
            raise ValueError("a prepared lookup must use each of its values as a parameter of its query")
        self.params = list(params)
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

    def first(self, values):
        params = list(self.params)
        for value, positions in zip(values, self.positions, strict=True):
            for position in positions:
                params[position] = value
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
    instance the queryset built with ``value`` would give first (it is limited to one row), or None. With
    ``kinds=(str, int)`` the queryset takes two values, a text and an integer (an id), and so on: each must be
    used as a parameter (as often as the query needs), never to decide the query's shape."""

    def __init__(self, build: Callable[..., QuerySet], using: str = "default", kinds: tuple = (str,)):
        self.build, self.using, self.kinds = build, using, kinds
        self._compiled: dict = {}

    def first(self, *values):
        if len(values) != len(self.kinds):
            raise TypeError(f"this prepared lookup takes {len(self.kinds)} value(s), not {len(values)}")
        connection = connections[self.using]
        # Keyed by the connection's settings too, so that a test that swaps the database compiles afresh.
        key = (connection.vendor, connection.settings_dict.get("NAME"))
        compiled = self._compiled.get(key)
        if compiled is None:
            stand_ins = [_stand_in(kind, i) for i, kind in enumerate(self.kinds)]
            compiled = self._compiled[key] = _Compiled(self.build(*stand_ins)[:1], self.using, stand_ins)
        return compiled.first(values)

    def bound(self, *values) -> "BoundLookup":
        """These values, for a caller that asks ``.first()`` as of a queryset (``access_common``)."""
        return BoundLookup(self, values)


class BoundLookup:
    def __init__(self, lookup: PreparedLookup, values: tuple):
        self.lookup, self.values = lookup, values

    def first(self):
        return self.lookup.first(*self.values)
