"""What a block of code costs the database: its SQL statements and its commits.

A commit is a transaction PostgreSQL ends (``xact_commit`` of ``pg_stat_database``): in Django's autocommit
mode every statement outside ``transaction.atomic`` is one, and an outermost atomic block is one when it
ends. Each is a round trip and a WAL flush, so a request's commits say more about its cost than its
statements alone. Celery tasks run eagerly (no broker: inside the request that enqueues them) are counted
apart, as the background work a worker does elsewhere. ``bench/profile.py`` prints these figures per
submission and per completion; ``tests/test_query_counts.py`` holds them.
"""
from dataclasses import dataclass, field

from celery.signals import task_postrun, task_prerun
from django.db import connections


@dataclass
class Work:
    statements: int = 0
    commits: int = 0
    sql: list = field(default_factory=list)  # "T sql" inside a transaction block, "  sql" in autocommit

    def __iadd__(self, other):
        self.statements += other.statements
        self.commits += other.commits
        self.sql += other.sql
        return self


class DbWork:
    """``with DbWork() as work:``; then ``work.request`` and ``work.background`` (``Work``)."""

    def __init__(self, using="default"):
        self.connection = connections[using]
        self.request, self.background = Work(), Work()
        self._tasks = 0  # eager tasks running (one may enqueue another)

    def _current(self):
        return self.background if self._tasks else self.request

    def _execute(self, execute, sql, params, many, context):
        work, atomic = self._current(), self.connection.in_atomic_block
        work.statements += 1
        if not atomic:
            work.commits += 1
        work.sql.append(f"{'T' if atomic else ' '} {sql}")
        return execute(sql, params, many, context)

    def _task_started(self, **kwargs):
        self._tasks += 1

    def _task_ended(self, **kwargs):
        self._tasks -= 1

    def __enter__(self):
        self._wrapper = self.connection.execute_wrapper(self._execute)
        self._wrapper.__enter__()
        commit = self.connection.commit

        def counted_commit():
            self._current().commits += 1
            return commit()

        self.connection.commit = counted_commit
        task_prerun.connect(self._task_started, weak=False)
        task_postrun.connect(self._task_ended, weak=False)
        return self

    def __exit__(self, *exc):
        task_prerun.disconnect(self._task_started)
        task_postrun.disconnect(self._task_ended)
        del self.connection.commit  # the class's method again
        self._wrapper.__exit__(*exc)
