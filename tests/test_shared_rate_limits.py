"""Rate limits count in a cache every web process shares, when the deployment names one (ONESTOP_CACHE_URL)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cache_backend(url):
    env = {**os.environ, "ONESTOP_CACHE_URL": url, "DJANGO_SETTINGS_MODULE": "onestop.settings"}
    done = subprocess.run([sys.executable, "-c", "from django.conf import settings; "
                           "print(settings.CACHES['default']['BACKEND'])"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()


@pytest.mark.parametrize("url, backend", [
    ("db", "django.core.cache.backends.db.DatabaseCache"),
    ("redis://127.0.0.1:6379/3", "django.core.cache.backends.redis.RedisCache"),
    ("", "django.core.cache.backends.locmem.LocMemCache"),
])
def test_the_cache_the_limits_count_in(url, backend):
    assert cache_backend(url) == (0, backend)


def test_a_cache_url_it_cannot_use_stops_the_start_with_a_reason():
    code, output = cache_backend("memcached://x")
    assert code != 0 and 'ONESTOP_CACHE_URL must be "db" or a redis:// URL.' in output


@pytest.mark.django_db(transaction=True)
def test_a_count_one_process_keeps_is_read_by_another_through_postgresql(settings):
    """Two web processes (here: this one and a child) see one count: a limit holds across them."""
    from django.core.cache import caches
    from django.core.management import call_command

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "onestop_cache"}}
    call_command("createcachetable")
    caches["default"].set("shared-count", 7)
    from django.db import connection

    env = {**os.environ, "ONESTOP_CACHE_URL": "db", "DJANGO_SETTINGS_MODULE": "onestop.settings",
           "DATABASE_URL": _database_url(connection)}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.core.cache import cache; "
                           "print(cache.get('shared-count'))"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "7", done.stderr


def _database_url(connection):
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
