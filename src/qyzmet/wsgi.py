"""WSGI entry point for gunicorn (production) and the benchmarks."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qyzmet.settings.production")
application = get_wsgi_application()
