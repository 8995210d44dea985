"""gunicorn's entry point for the benchmark: the embedded settings (the database comes from
QYZMET_DATABASE_URL, DEBUG from QYZMET_DEBUG), not the production ones `qyzmet.wsgi` picks."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "qyzmet.settings.embedded"
application = get_wsgi_application()
