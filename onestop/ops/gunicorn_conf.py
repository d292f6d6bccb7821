"""gunicorn settings for production (``gunicorn -c python:onestop.ops.gunicorn_conf onestop.wsgi``).

Environment: PORT (8000), WEB_CONCURRENCY (workers, 2 per core is usual), GUNICORN_TIMEOUT,
FORWARDED_ALLOW_IPS (the reverse proxy's addresses), PROMETHEUS_MULTIPROC_DIR (so that /metrics sums
the request counters of all workers of this instance).
"""
import os
import shutil

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30  # on SIGTERM, requests in flight finish before the worker exits
keepalive = 5
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # onestop.ops.middleware logs each request as JSON, with its request id
errorlog = "-"
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None  # /dev/shm in containers
control_socket_disable = True  # gunicorn 24+ would open one under $HOME: read-only in the image, unused

if os.environ.get("LOG_FORMAT", "json") == "json":
    # gunicorn's own lines (start, worker boot, timeouts) as JSON too, like the app's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "onestop.ops.logging.ContextFilter"}},
        "formatters": {"json": {"()": "onestop.ops.logging.JsonLogFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"],
                                 "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }


def on_starting(server):
    """Counters of a previous run are not this run's: start the shared directory empty."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
