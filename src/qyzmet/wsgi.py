"""WSGI entry point for gunicorn (production) and `runserver` (the embedded default)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qyzmet.settings.production")
application = get_wsgi_application()

# The embedded default has no Celery beat: its web process runs the periodic work itself.
from qyzmet.core.scheduler import scheduler_start  # noqa: E402

scheduler_start()
