"""Prometheus metrics.

Two kinds: what a web process sees (requests and their latency: counters in the process, summed over
gunicorn's workers through ``PROMETHEUS_MULTIPROC_DIR``), and what the system holds (dossiers by
state, work items waiting per agency, exchanges and their durations, open incidents, Celery queue
lengths), read from PostgreSQL and the broker at scrape time, so every web instance gives the same
answer and nothing is lost when a process restarts.
"""
import logging
import os
import threading
import time

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Q, Sum
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import REGISTRY, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

REQUESTS = Counter("onestop_http_requests", "HTTP requests answered, by view and status.",
                   ["method", "view", "status"])
LATENCY = Histogram("onestop_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "view"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
# Exchanges are calls to other agencies: slow peers are the usual suspects, hence long buckets.
EXCHANGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_request(method, view, status, seconds):
    method = method if method in METHODS else "other"  # a client must not be able to mint label values
    REQUESTS.labels(method, view, str(status)).inc()
    LATENCY.labels(method, view).observe(seconds)


class StateCollector:
    """Gauges and histograms computed from the database and the broker at scrape time.

    Kept for ONESTOP_METRICS_STATE_SECONDS: the queries count whole tables, and several Prometheus
    servers (or a scrape per pod) must not repeat them every few seconds.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._cached_at, self._cached = None, []

    def collect(self):
        with self._lock:
            now = time.monotonic()
            if self._cached_at is None or now - self._cached_at >= settings.ONESTOP_METRICS_STATE_SECONDS:
                self._cached, self._cached_at = list(self._fresh()), now
            return list(self._cached)

    def _fresh(self):
        try:
            yield from self._database()
        except DatabaseError:
            logger.exception("metrics: the database could not be read")
        yield from self._queues()

    def _database(self):
        from onestop.dossiers.models import Dossier, Incident, Status
        from onestop.interop.models import Exchange
        from onestop.worklist.models import WorkItem

        dossiers = GaugeMetricFamily("onestop_dossiers", "Dossiers by status.", labels=["status"])
        counts = dict(Dossier.objects.order_by().values_list("status").annotate(n=Count("id")))
        for status in Status.values:
            dossiers.add_metric([status], counts.get(status, 0))
        yield dossiers

        waiting = GaugeMetricFamily("onestop_work_items_waiting",
                                    "Active work items per agency: open (unclaimed) or claimed.",
                                    labels=["agency", "state"])
        rows = (WorkItem.objects.filter(state__in=WorkItem.ACTIVE_STATES).order_by()
                .values_list("agency__code", "state").annotate(n=Count("id")))
        for agency, state, n in rows:
            waiting.add_metric([agency or "applicant", state], n)
        yield waiting

        exchanges = GaugeMetricFamily("onestop_exchanges", "Exchanges with other agencies' systems, by outcome.",
                                      labels=["operator", "state"])
        for operator, state, n in (Exchange.objects.order_by().values_list("operator", "state")
                                   .annotate(n=Count("id"))):
            exchanges.add_metric([operator, state], n)
        yield exchanges
        yield self._exchange_durations(Exchange)

        incidents = GaugeMetricFamily("onestop_incidents_open", "Incidents waiting for someone to resolve them.")
        incidents.add_metric([], Incident.objects.filter(resolved_at__isnull=True).count())
        yield incidents

        stuck = GaugeMetricFamily("onestop_dossiers_stuck",
                                  "Dossiers the sweep found with no way forward, their incident still open.")
        stuck.add_metric([], Incident.objects.filter(kind=Incident.Kind.STUCK, resolved_at__isnull=True).count())
        yield stuck

    def _exchange_durations(self, Exchange):
        """Finished exchanges' total time over all attempts, as a histogram (one query)."""
        family = HistogramMetricFamily("onestop_exchange_duration_seconds",
                                       "Time spent calling the peer, over all attempts of a finished exchange.",
                                       labels=["operator"])
        buckets = {f"le{i}": Count("id", filter=Q(total_duration_ms__lte=b * 1000))
                   for i, b in enumerate(EXCHANGE_BUCKETS)}
        rows = (Exchange.objects.filter(finished_at__isnull=False).order_by().values("operator")
                .annotate(n=Count("id"), total_ms=Sum("total_duration_ms"), **buckets))
        for row in rows:
            points = [(str(b), row[f"le{i}"]) for i, b in enumerate(EXCHANGE_BUCKETS)] + [("+Inf", row["n"])]
            family.add_metric([row["operator"]], points, (row["total_ms"] or 0) / 1000)
        return family

    def _queues(self):
        from onestop.celery import app as celery_app

        from . import health

        if celery_app.conf.task_always_eager:
            return  # the demo has no broker: tasks run in the web process
        family = GaugeMetricFamily("onestop_celery_queue_length", "Tasks waiting in a Celery queue.",
                                   labels=["queue"])
        try:
            for queue, length in health.queue_lengths().items():
                family.add_metric([queue], length)
        except Exception:  # noqa: BLE001 - a broken broker must not break the scrape; /readyz reports it
            logger.warning("metrics: the broker could not be read", exc_info=True)
            return
        yield family


_STATE = CollectorRegistry(auto_describe=False)
_STATE.register(StateCollector())


def exposition():
    """The text a Prometheus server scrapes: this process's (or all workers') counters, then the state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_STATE), CONTENT_TYPE_LATEST
