"""Hot-path reads whose SQL the ORM writes once per process and database, not on every call.

Why: turning a queryset into SQL costs about 0.3–0.5 ms of Python per call (cloning, resolving
lookups, compiling joins and columns) — for a unique-key read that is more than the database
needs to answer it. The exchange gateway reads one person per logged exchange, hundreds of times
a second, so that compile time is a large share of its throughput. Here the ORM still writes the
statement (the backend's dialect, quoting, joins) and converts the values it returns (SQLite's
dates, for instance); only the compiled text is kept and re-executed with new parameters.

Parameters are strings: the queryset is built once with a unique marker string in place of
each parameter, and the marker's positions in the compiled parameter list are where the real
values go. Use it only for reads whose shape never changes with the values (no `__in` lists,
no optional filters)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet


class CompiledRead:
    """`build(**markers)` must return a `.values(...)` queryset; `rows(**values)` runs it."""

    def __init__(self, build: Callable[..., QuerySet], *params: str) -> None:
        self._build = build
        self._params = params
        self._compiled: dict[tuple[str, str], tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple:
        markers = {name: f"\x00{name}:{uuid.uuid4().hex}\x00" for name in self._params}
        queryset = self._build(**markers)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_marker = {marker: name for name, marker in markers.items()}
        # (the parameter's name, or None for a constant of the query; markers are strings)
        slots = [(by_marker.get(v) if isinstance(v, str) else None, v) for v in params]
        columns = [select[2] or select[0].target.attname for select in compiler.select]
        expressions = [select[0] for select in compiler.select]
        converters = compiler.get_converters(expressions)
        return sql, slots, columns, compiler, converters

    def rows(self, *, using: str = "default", **values: str) -> list[dict[str, Any]]:
        """The rows for these parameter values, as dicts keyed by the `.values()` names."""
        connection = connections[using]
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(key, self._compile(using))
        sql, slots, columns, compiler, converters = compiled
        params = [values[name] if name is not None else constant for name, constant in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        if converters:
            fetched = compiler.apply_converters(fetched, converters)
        return [dict(zip(columns, row, strict=True)) for row in fetched]


class CompiledInsert:
    """INSERTs of rows into `model` whose SQL the ORM writes once per database and row count.

    Why: `Model.objects.create` runs signals, per-field hooks and a RETURNING of the new key for
    every row, and `bulk_create` on PostgreSQL turns each column into an array (UNNEST) — costly
    for the two or three rows of a notification. An append-only log written on every exchange,
    or the notifications of every event, need none of that. Values are prepared for the database
    by the fields themselves (`get_db_prep_save`: JSON, time zones); a field not given gets its
    default, or now when it is `auto_now(_add)`. `ignore_conflicts` skips rows that would break
    a unique constraint (the database's own ON CONFLICT DO NOTHING / INSERT OR IGNORE)."""

    def __init__(self, model: type[Model]) -> None:
        self._model = model
        self._fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self._compiled: dict[tuple, str] = {}

    def _compile(self, alias: str, rows: int, ignore_conflicts: bool) -> str:
        from django.db.models.constants import OnConflict
        from django.db.models.sql import InsertQuery

        query = InsertQuery(self._model)
        query.insert_values(self._fields, [self._model()], raw=False)
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = None
        ((sql, _params),) = compiler.as_sql()
        head, values = sql.split(" VALUES ", 1)
        if not ignore_conflicts:
            return f"{head} VALUES {', '.join([values] * rows)}"
        ops = connections[alias].ops
        on_conflict = OnConflict.IGNORE
        head = head.replace("INSERT INTO", ops.insert_statement(on_conflict=on_conflict), 1)
        suffix = ops.on_conflict_suffix_sql(self._fields, on_conflict, None, None)
        return f"{head} VALUES {', '.join([values] * rows)} {suffix}".rstrip()

    def insert(self, *, using: str = "default", **values: Any) -> None:
        """One row."""
        self.insert_many([values], using=using)

    def insert_many(self, rows: list[dict[str, Any]], *, using: str = "default",
                    ignore_conflicts: bool = False) -> None:  # fmt: skip
        """Several rows in one statement (their field values by attribute name)."""
        from django.utils import timezone

        if not rows:
            return
        connection = connections[using]
        key = (using, connection.vendor, len(rows), ignore_conflicts)
        sql = self._compiled.get(key)
        if sql is None:
            sql = self._compiled.setdefault(key, self._compile(using, len(rows), ignore_conflicts))
        now = timezone.now()
        params = []
        for values in rows:
            for field in self._fields:
                if field.attname in values:
                    value = values[field.attname]
                elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    value = now
                else:
                    value = field.get_default()
                params.append(field.get_db_prep_save(value, connection))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
