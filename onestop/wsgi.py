import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onestop.settings")
application = get_wsgi_application()

from onestop.ops.warmup import warm_up  # noqa: E402 - after Django is set up

warm_up()  # each worker, before its first request (onestop.ops.warmup)
