"""A lookup asked on every API request, compiled to SQL once per process instead of once per request.

Building and compiling a queryset with joins and a subquery costs about a millisecond of Python, ten times the
query itself on a local database (``make profile``). ``PreparedLookup`` builds the queryset once with a stand-in
value, keeps Django's compiler for it, and then only executes its SQL with the value of the moment, turning
each row into model instances through the same compiler (the database's converters, ``select_related``
objects and annotations), as the queryset itself would. It is for the few lookups on the request path of every
API call (the API key; the organization or project a path names, with the caller's permission to see it).
``PreparedRows`` does the same for a ``values_list`` read that takes lists of ids (a page's members): the
reads of the users list, the API's largest page. Everything else uses querysets."""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# What the queryset is built with in place of each value: a text no one sends, an integer no row has.
_TEXT_STAND_IN = "\x00prepared-lookup-value-{}\x00"
_INTEGER_STAND_IN = -7_340_219_555_000_000


def _stand_in(kind, position):
    return _TEXT_STAND_IN.format(position) if kind is str else _INTEGER_STAND_IN - position


def _stand_in_list(position, length) -> list[int]:
    """Stand-ins for a list of ``length`` ids as the value at ``position``: integers no row has, none equal to
    another value's."""
    return [_INTEGER_STAND_IN - 1_000_000 * (position + 1) - i for i in range(length)]


def _positions(params, stand_ins) -> list[list[int]]:
    """Where each stand-in stands among the compiled query's parameters (as often as the query uses it)."""
    # isinstance, not type: PostgreSQL's backend hands a big integer over as psycopg's Int8 (an int).
    positions = [
        [i for i, param in enumerate(params) if isinstance(param, type(stand_in)) and param == stand_in]
        for stand_in in stand_ins
    ]
    if not all(positions):
        raise ValueError("a prepared query must use each of its values as a parameter of its query")
    return positions


def _connection_key(using):
    # Keyed by the connection's settings too, so that a test that swaps the database compiles afresh.
    connection = connections[using]
    return connection.vendor, connection.settings_dict.get("NAME")


class _Compiled:
    def __init__(self, queryset: QuerySet, using: str, stand_ins: list):
        self.using = using
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        # Where each value goes among the parameters (a value may be used more than once).
        self.positions = _positions(params, stand_ins)
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

    def instances(self, values, window: tuple[int, int] | None = None) -> list:
        """The instances of the query with these values: its first row only, or with ``window`` (offset,
        limit) those rows of it (the query was compiled without a limit)."""
        params = list(self.params)
        for value, positions in zip(values, self.positions, strict=True):
            for position in positions:
                params[position] = value
        sql = self.sql
        if window is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [window[1], window[0]]
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchmany(1) if window is None else cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        instances = []
        start, end = self.fields
        for row in rows:
            instance = self.model.from_db(self.using, self.init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, instance)
            for name, position in self.annotations.items():
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


class PreparedLookup:
    """``PreparedLookup(lambda value: Model.objects....filter(field=value))``, then ``.first(value)``: the
    instance the queryset built with ``value`` would give first (it is limited to one row), or None. With
    ``kinds=(str, int)`` the queryset takes two values, a text and an integer (an id), and so on: each must be
    used as a parameter (as often as the query needs), never to decide the query's shape."""

    def __init__(self, build: Callable[..., QuerySet], using: str = "default", kinds: tuple = (str,)):
        self.build, self.using, self.kinds = build, using, kinds
        self._compiled: dict = {}

    def first(self, *values):
        found = self._compiled_for(values, windowed=False).instances(values)
        return found[0] if found else None

    def window(self, offset: int, limit: int, *values) -> list:
        """The instances the queryset built with ``values`` gives from ``offset``, ``limit`` of them at most, in
        its order: a page (the query is compiled without a limit, which is then a parameter)."""
        return self._compiled_for(values, windowed=True).instances(values, window=(offset, limit))

    def _compiled_for(self, values, *, windowed: bool) -> _Compiled:
        if len(values) != len(self.kinds):
            raise TypeError(f"this prepared lookup takes {len(self.kinds)} value(s), not {len(values)}")
        key = (*_connection_key(self.using), windowed)
        compiled = self._compiled.get(key)
        if compiled is None:
            stand_ins = [_stand_in(kind, i) for i, kind in enumerate(self.kinds)]
            queryset = self.build(*stand_ins)
            if windowed and not queryset.ordered:
                raise ValueError("a prepared lookup read by windows needs an order")
            compiled = _Compiled(queryset if windowed else queryset[:1], self.using, stand_ins)
            self._compiled[key] = compiled
        return compiled

    def bound(self, *values) -> "BoundLookup":
        """These values, for a caller that reads the lookup as a queryset: ``.first()`` (``access_common``),
        or pages of it through slices, with ``count()`` (``Concatenation``)."""
        return BoundLookup(self, values)


class BoundLookup:
    def __init__(self, lookup: PreparedLookup, values: tuple):
        self.lookup, self.values = lookup, values

    def first(self):
        return self.lookup.first(*self.values)

    def __getitem__(self, window: slice) -> list:
        start = window.start or 0
        if window.step is not None or window.stop is None or start < 0 or window.stop < start:
            raise ValueError("a prepared lookup is read by windows [start:stop]")
        return self.lookup.window(start, window.stop - start, *self.values)

    def count(self) -> int:
        """How many rows the queryset has: asked through the queryset itself (rarely: counts are cached)."""
        return self.lookup.build(*self.values).count()


class PreparedRows:
    """``PreparedRows(lambda ids, other: Model.objects.filter(pk__in=ids, ...).values_list(...), kinds=(list,
    int))``, then ``.rows(ids, other)``: the tuples that the ``values_list`` queryset built with those values
    would give, in the database's order (give the queryset an order if it matters). A ``list`` value is a list
    of ids (integers) of any length: the query is compiled once for each length met (a page's rows number at
    most a few hundred), and an empty list gives no rows without asking the database, as ``__in=[]`` does in
    an ``AND``. The other values are as ``PreparedLookup``'s."""

    MAX_SHAPES = 512  # compiled queries kept for one connection, at most (lengths of the lists)

    def __init__(self, build: Callable[..., QuerySet], using: str = "default", kinds: tuple = (list,)):
        self.build, self.using, self.kinds = build, using, kinds
        self._compiled: dict = {}

    def rows(self, *values) -> list[tuple]:
        if len(values) != len(self.kinds):
            raise TypeError(f"this prepared query takes {len(self.kinds)} value(s), not {len(values)}")
        flat, lengths = [], []
        for value, kind in zip(values, self.kinds, strict=True):
            if kind is list:
                if not value:
                    return []
                flat += list(value)
                lengths.append(len(value))
            else:
                flat.append(value)
        key = (*_connection_key(self.using), *lengths)
        compiled = self._compiled.get(key)
        if compiled is None:
            if len(self._compiled) >= self.MAX_SHAPES:
                self._compiled.clear()
            compiled = self._compiled[key] = self._compile_for(values)
        sql, params, positions, converters, compiler = compiled
        params = list(params)
        for value, places in zip(flat, positions, strict=True):
            for place in places:
                params[place] = value
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [tuple(row) for row in rows]

    def _compile_for(self, values):
        """The query built with stand-ins of these values' shapes: (SQL, parameters, where each value goes,
        the columns' converters, the compiler that applies them)."""
        built, stand_ins = [], []
        for position, (value, kind) in enumerate(zip(values, self.kinds, strict=True)):
            if kind is list:
                ids = _stand_in_list(position, len(value))
                built.append(ids)
                stand_ins += ids
            else:
                built.append(_stand_in(kind, position))
                stand_ins.append(built[-1])
        query = self.build(*built).query
        if query.annotation_select or query.extra_select or not query.values_select:
            raise ValueError("a prepared query reads named columns (values_list), nothing else")
        compiler = query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        return sql, list(params), _positions(params, stand_ins), converters, compiler
