"""An insider's tools against the audit trail and the log: raw SQL on the database itself, with
the append-only triggers dropped first (as the owner of the tables can). Shared by the tamper
tests; nothing here goes through qyzmet's code."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

LOG_TABLES = (
    "transparency_logleaf",
    "transparency_lognode",
    "transparency_treehead",
    "transparency_auditanchorrows",
)


def sql(statement: str, params: list | None = None) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall() if cursor.description else []


def drop_audit_triggers() -> None:
    if connection.vendor == "postgresql":
        sql("DROP TRIGGER audit_no_update ON audit_auditentry")
        sql("DROP TRIGGER audit_no_truncate ON audit_auditentry")
    else:
        sql("DROP TRIGGER audit_no_update")
        sql("DROP TRIGGER audit_no_delete")


def drop_log_triggers() -> None:
    for table in LOG_TABLES:
        if connection.vendor == "postgresql":
            sql(f"DROP TRIGGER {table}_no_change ON {table}")
            sql(f"DROP TRIGGER {table}_no_truncate ON {table}")
        else:
            sql(f"DROP TRIGGER {table}_no_update")
            sql(f"DROP TRIGGER {table}_no_delete")


def run(command: str, *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a management command, as the shell would see them."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(str(exc))
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()
