"""Dossier codes in the prescribed shape ``<agency identifier>-YYMMDD-NNNN``."""
from django.db import connection

from .models import DailySequence

# One statement takes the next number, whether or not the day's row exists yet (PostgreSQL, and SQLite
# from 3.35): the insert of the day's first number and every later increment lock the row the same way.
_NEXT = (
    'INSERT INTO {table} ("agency_id", "day", "last") VALUES (%s, %s, 1) '
    'ON CONFLICT ("agency_id", "day") DO UPDATE SET "last" = {table}."last" + 1 RETURNING "last"'
)


def issue_code(agency, day):
    """The next code of ``agency`` for ``day``; unique under concurrent submissions.

    The daily sequence row stays locked until the caller's transaction ends, so two submissions
    to one agency on one day take numbers one after the other, and a rolled-back submission
    gives its number back.
    """
    table = connection.ops.quote_name(DailySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_NEXT.format(table=table), [agency.pk, connection.ops.adapt_datefield_value(day)])
        number = cursor.fetchone()[0]
    return f"{agency.identifier}-{day:%y%m%d}-{number:04d}"
